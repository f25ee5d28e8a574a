"""Writing a model's report: title page, evaluation table, one page per applicable figure."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from rnntool.envs.metric_table import AGENT_COLUMNS, agent_rows  # noqa: E402
from rnntool.report.registry import figure_plan  # noqa: E402

PAGE = (8.27, 11.69)  # A4 portrait, inches


def write_report(path: str | os.PathLike, out: str | os.PathLike, key: str | None = None
                 ) -> tuple[Path, list[str], dict[str, str]]:
    """Write the report of the model at ``path`` to the PDF ``out`` (atomically).

    Returns the file, the figure kinds drawn and the kinds left out with their reasons."""
    from rnntool.models import load_model
    from rnntool.plotting.figures import drawers
    from rnntool.storage import atomic_path

    model = load_model(path)
    plan = figure_plan(model)
    drawn = [f for f, why in plan if why is None]
    left_out = {f.kind: why for f, why in plan if why is not None}
    draw = drawers(model, key)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        with PdfPages(tmp) as pdf:
            _save(pdf, title_page(model, [f.title for f in drawn], left_out))
            table = evaluation_page(model)
            if table is not None:
                _save(pdf, table)
            for number, fig_spec in enumerate(drawn, start=1):
                fig = draw[fig_spec.kind]()
                fig.text(0.01, 0.003, f"{model.record.name} · figure {number}/{len(drawn)}: "
                         f"{fig_spec.title} (rnntool plot --kind {fig_spec.kind})",
                         fontsize=7, color="0.4", va="bottom")
                _save(pdf, fig)
            info = pdf.infodict()
            info["Title"] = f"rnntool report: {model.record.name}"
            info["Creator"] = "rnntool"
    return out, [f.kind for f in drawn], left_out


def _save(pdf: PdfPages, fig: plt.Figure) -> None:
    pdf.savefig(fig)
    plt.close(fig)


# title page --------------------------------------------------------------------------------
def title_page(model: Any, figures: list[str], left_out: dict[str, str]) -> plt.Figure:
    """Configuration, training, analyses and the figures in the report (and those not)."""
    rec = model.record
    cfg = model.network.config
    lines: list[tuple[str, str]] = [("h1", f"rnntool report: {rec.name}")]
    lines.append(("p", f"file {model.path}  ·  created {rec.created[:19]}  ·  rnntool "
                       f"{rec.version}  ·  seed {rec.seed}"))
    lines.append(("h2", "Task"))
    lines.append(("p", _compact(rec.task)))
    lines.append(("h2", "Network"))
    lines.append(("p", f"cell {cfg.cell}, {cfg.n_in} inputs → {cfg.n_rec} units → {cfg.n_out} "
                       f"outputs; φ = {cfg.phi}, α = {cfg.alpha:g}, {cfg.dtype}; trained: "
                       f"{', '.join(cfg.trainable)}"))
    lines.append(("h2", "Learning rule"))
    lines.append(("p", _compact(rec.rule)))
    lines.append(("h2", "Training"))
    lines.append(("p", training_summary(rec.training, rec.rule)))
    analyses = analyses_summary(model)
    if analyses:
        lines.append(("h2", "Analyses"))
        lines.extend(("p", a) for a in analyses)
    lines.append(("h2", f"Figures in this report ({len(figures)})"))
    lines.append(("p", "; ".join(f"{i}. {t}" for i, t in enumerate(figures, 1)) or "none"))
    if left_out:
        lines.append(("h2", "Figures left out"))
        other_kind = [k for k, why in left_out.items() if why.startswith("drawn for ")]
        for kind, why in left_out.items():
            if kind not in other_kind:
                lines.append(("p", f"{kind}: {why}"))
        by_reason: dict[str, list[str]] = {}
        for kind in other_kind:
            by_reason.setdefault(left_out[kind], []).append(kind)
        lines.extend(("p", f"{', '.join(kinds)}: {why}") for why, kinds in by_reason.items())
    return _text_page(lines)


def _text_page(lines: list[tuple[str, str]]) -> plt.Figure:
    fig = plt.figure(figsize=PAGE)
    y = 0.96
    for style, text in lines:
        if style == "h1":
            fig.text(0.06, y, text, fontsize=17, weight="bold", va="top")
            y -= 0.04
        elif style == "h2":
            y -= 0.008
            fig.text(0.06, y, text, fontsize=11.5, weight="bold", va="top")
            y -= 0.022
        else:
            wrapped = textwrap.wrap(text, 105) or [""]
            size = 8 if y > 0.1 else 6.5
            for part in wrapped:
                if y < 0.02:
                    break
                fig.text(0.07, y, part, fontsize=size, va="top", family="DejaVu Sans")
                y -= 0.0145 if size == 8 else 0.012
            y -= 0.003
    return fig


def _compact(d: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {_fmt(v)}" for k, v in d.items())


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + _compact(v) + "}"
    return str(v)


def training_summary(training: dict[str, Any], rule: dict[str, Any] | None = None) -> str:
    """Iterations, time, stopping and each history series from first to last value."""
    if not training:
        return "no training record"
    parts = []
    if "method" in training:
        parts.append(f"distilled by {training['method']} from {training.get('teacher_name', '?')}")
    for key in ("iterations", "seconds", "converged", "best_val_accuracy", "final_val_accuracy"):
        if key in training:
            parts.append(f"{key.replace('_', ' ')} {_fmt(_scalar(training[key]))}")
    history = training.get("history", {})
    for key, series in history.items():
        series = np.asarray(series)
        if key in ("iteration", "seconds", "lr") or series.ndim != 1 or not series.size:
            continue
        parts.append(f"{key.replace('_', ' ')} {series[0]:.4g} → {series[-1]:.4g}")
    settings = training.get("settings")
    if isinstance(settings, dict):
        extra = {k: v for k, v in settings.items() if (rule or {}).get(k) != v}
        if extra:
            parts.append("settings: " + _compact(extra))
    return "; ".join(parts)


def _scalar(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def analyses_summary(model: Any) -> list[str]:
    """Headlines of the stored analyses."""
    from rnntool.analysis.fixedpoints import fixed_point_keys
    from rnntool.analysis.ibl_statespace import GROUP as SPACE
    from rnntool.storage import read_group

    out = []
    keys = fixed_point_keys(model.path)
    if keys:
        out.append("fixed points stored: " + ", ".join(keys))
    space = read_group(model.path, SPACE)
    if space is not None:
        s = space["summary"]
        effects = "; ".join(
            f"{cause.replace('_', ' ')} slope along trial {s[f'{cause}_slope_trial']:.3g} (p "
            f"{_p(s[f'{cause}_p_trial'])}), along block {s[f'{cause}_slope_block']:.3g} (p "
            f"{_p(s[f'{cause}_p_block'])})"
            for cause in ("observation", "feedback", "rewarded_side") if f"{cause}_slope_trial" in s)
        out.append(f"state space: angle(trial, block) {s['angle_full_deg']:.1f}°; block decoder "
                   f"held-out accuracy {s['decoder_test_accuracy']:.3f} (PCA plane), "
                   f"{s['decoder_test_accuracy_full']:.3f} (all units); {effects}")
    fit = model.record.training.get("fit")
    if fit is not None:
        r2 = np.asarray(fit["r2_test"])
        out.append(f"RADD: test R² {r2.mean():.4f} (trial {r2[0]:.4f}, block {r2[1]:.4f}); "
                   f"simulated R² {float(fit['r2_simulated']):.4f}; readout R² "
                   f"{float(fit['readout_r2']):.4f}")
    return out


def _p(p: float) -> str:
    return "< 1e-300" if p == 0 else f"{p:.2g}"


# evaluation --------------------------------------------------------------------------------
def evaluation_page(model: Any) -> plt.Figure | None:
    """The stored evaluation as a table (per agent for closed-loop models), or None."""
    ev = model.record.evaluation
    if not ev:
        return None
    fig = plt.figure(figsize=(PAGE[0], 4.5))
    ax = fig.add_axes([0.03, 0.05, 0.94, 0.8])
    ax.axis("off")
    metrics = ev.get("metrics")
    if isinstance(metrics, dict) and metrics and all(isinstance(v, dict) for v in metrics.values()):
        rows = agent_rows(metrics)
        header = ["agent"] + [h for _, h in AGENT_COLUMNS]
        settings = ev.get("settings", {})
        title = (f"Evaluation: {settings.get('sessions', '?')} sessions × "
                 f"{settings.get('blocks_per_session', '?')} blocks, the same sessions for "
                 f"every agent (seed {settings.get('seed', '?')})")
    else:
        flat = {k: v for k, v in (metrics or ev).items() if np.ndim(v) == 0 and not isinstance(v, dict)}
        if "accuracy_per_context" in ev:
            for i, v in enumerate(np.atleast_1d(ev["accuracy_per_context"])):
                flat[f"accuracy, context {i}"] = float(v)
        rows = [[k.replace("_", " "), f"{_scalar(v):.4g}" if isinstance(_scalar(v), float) else str(v)]
                for k, v in flat.items()]
        header = ["metric", "value"]
        title = "Evaluation" + (f" on {ev['trials']} test trials (seed {ev['seed']})"
                                if "trials" in ev and "seed" in ev else "")
    if not rows:
        plt.close(fig)
        return None
    first = 0.34 if len(header) > 2 else 0.6
    widths = [first] + [(1 - first) / (len(header) - 1)] * (len(header) - 1)
    table = ax.table(cellText=rows, colLabels=header, loc="upper center", cellLoc="center",
                     colWidths=widths)
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.4)
    fig.suptitle(title, fontsize=11)
    return fig
