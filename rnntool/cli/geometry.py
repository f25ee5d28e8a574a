"""``rnntool geometry``: System A's precision and weight geometry over a group of models."""

from __future__ import annotations

from pathlib import Path

import click

from rnntool.cli.common import device_option, emit, json_option, models_dir_option, quiet_option, read_groups
from rnntool.cli.options import SEED, count
from rnntool.errors import ConfigError


def _durations(text: str, option: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(f"{option} must be comma-separated durations in ms, got {text!r}") from None
    if not values or min(values) <= 0:
        raise ConfigError(f"{option} must list positive durations in ms, got {text!r}")
    return values


@click.command("geometry")
@click.argument("group_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--durations", default="50,150,300", show_default=True,
              help="Durations (ms) whose plateau error defines precision; durations outside "
                   "the training range are flagged as extrapolation.")
@click.option("--trials", type=count(10**6, 2), default=200, show_default=True,
              help="Trials per duration (onsets drawn as in training) for each error bar.")
@click.option("--pca-durations", default="50,150,300", show_default=True,
              help="Durations (ms) of the trials whose memory-period rates are PCA'd.")
@click.option("--spontaneous-ms", type=click.FloatRange(min=0, min_open=True), default=10000.0,
              show_default=True, help="Length of the undriven run; its second half is PCA'd.")
@click.option("--variance-kept", type=click.FloatRange(0, 1, min_open=True), default=0.99,
              show_default=True, help="Variance share of the PCs the vector participation "
                                      "ratios of I and w are taken over.")
@click.option("--vector-form", type=click.Choice(["standard", "legacy_signed"]), default="standard",
              show_default=True, help="Participation ratio of I and w: standard (Σc²)²/Σc⁴, or "
                                      "the original study's signed (Σc)²/Σc² (legacy; both stored).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the precision trials.")
@device_option
@models_dir_option
@json_option
@quiet_option
def command(group_file: Path, durations: str, trials: int, pca_durations: str,
            spontaneous_ms: float, variance_kept: float, vector_form: str, seed: int,
            device: str, models_dir: str | None, as_json: bool, quiet: bool) -> None:
    """Precision per duration (with error bars), cos(I, w), PCA spectra and participation
    ratios of every model in GROUP_FILE (System A: duration-task models), and Pearson r and p
    of each measure against precision, written to GROUP_FILE's stem + .geometry.h5.

    \b
    Examples:
      rnntool geometry sysA.groups.txt
      rnntool geometry sysA.groups.txt --durations 100,200 --trials 500
    """
    from rnntool.analysis.geometry import GeometrySettings
    from rnntool.analysis.geometry_study import study
    from rnntool.analysis.population import population_path
    from rnntool.storage.population_file import write_population

    settings = GeometrySettings(
        durations_ms=_durations(durations, "--durations"), trials=trials,
        pca_durations_ms=_durations(pca_durations, "--pca-durations"),
        spontaneous_ms=spontaneous_ms,
        spontaneous_window_ms=(spontaneous_ms / 2, spontaneous_ms),
        variance_kept=variance_kept, vector_form=vector_form, seed=seed)
    groups = read_groups(group_file, models_dir)
    tree = study(groups, settings, device)
    path = population_path(groups.source, "geometry")
    write_population(path, {"kind": "geometry", "metric": "geometry",
                            "parameters": settings.to_dict(),
                            "group_file": str(groups.source)}, tree)
    summary = _summary(tree)
    if not quiet:
        _show(summary)
    emit([path], as_json, [{"path": str(path), **summary}] if as_json else None)


def _summary(tree: dict) -> dict:
    m = tree["measures"]
    names = [str(n) for n in tree["models"]["names"]]
    keys = ("precision", "cos_I_w", "pr_I", "pr_w", "pr_spontaneous", "pr_memory")
    return {"models": {n: {k: float(m[k][i]) for k in keys} for i, n in enumerate(names)},
            "correlations": {k: [float(v["r"]), float(v["p"])]
                             for k, v in tree["correlations"].items()}}


def _show(summary: dict) -> None:
    from rnntool.cli.common import stderr

    for name, values in summary["models"].items():
        stderr.print(name + ": " + ", ".join(f"{k} {v:.4g}" for k, v in values.items()))
    for name, (r, p) in summary["correlations"].items():
        stderr.print(f"{name} vs precision: r = {r:.3f}, p = {p:.3g}")


def show_precision(name: str, result: dict) -> None:
    """evaluate's table of the duration task's precision per duration (stderr)."""
    p = result.get("precision")
    if not p:
        return
    from rich.table import Table

    from rnntool.cli.common import stderr

    table = Table(title=f"{name}: precision per duration ({p['trials_per_duration']} trials each, "
                        f"plateau MSE ± s.e.)")
    for col in ("duration (ms)", "MSE", "± s.e.", "remembered (ms)", "sd (ms)", ""):
        table.add_column(col, justify="right")
    for i, d in enumerate(p["durations_ms"]):
        table.add_row(f"{d:g}", f"{p['mse'][i]:.4g}", f"{p['sem'][i]:.2g}",
                      f"{p['remembered_ms'][i]:.1f}", f"{p['remembered_sd_ms'][i]:.1f}",
                      "extrapolation" if p["extrapolation"][i] else "")
    stderr.print(table)
