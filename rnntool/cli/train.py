"""``rnntool train``: train models named on the command line."""

from __future__ import annotations

import sys
from dataclasses import fields

import click

from rnntool.cli.common import device_option, emit, json_option, models_dir_option, quiet_option, stderr
from rnntool.cli.options import (FINITE, FRACTION, MAX_SEED, NON_NEGATIVE, SEED, check_settings,
                                 count, parse_assignments, parse_range)
from rnntool.cli.train_checks import check_network_size, finish_record
from rnntool.envs import ENVIRONMENTS
from rnntool.errors import ConfigError, RunFailedError
from rnntool.rules import PREFIXES, RULES
from rnntool.storage import expand_stdin, output_path, write_model
from rnntool.tasks import TASKS, make_task
from rnntool.training import TrainSettings, network_for, rule_for, stopping_for, train


def _rules_help() -> str:
    lines = []
    for name, cls in sorted(RULES.items()):
        opts = ", ".join(f.name for f in fields(cls))
        lines.append(f"{name} (prefixes {', '.join(p for p, r in PREFIXES.items() if r == name)}): {opts}")
    return "\b\nRule options (--opt KEY=VALUE):\n" + "\n".join(lines)


@click.command("train", epilog=_rules_help())
@click.argument("names", nargs=-1, required=True)
@click.option("--rule", type=click.Choice(sorted(RULES)), default=None,
              help="Learning rule; default: from the name's prefix (bptt/bp, ga, ff, force, hebb), "
                   "else the task's rule.")
@click.option("--task", "task_name", default=None,
              help=f"Task (default cdi; --rdm selects rdm): {', '.join(sorted(TASKS) + sorted(ENVIRONMENTS))} "
                   "(ibl is closed-loop); a comma list (one network, all tasks), FILE.py:Class "
                   "or neurogym:ENV_ID.")
@click.option("--N", "contexts", type=count(1024), default=None, help="Number of contexts K of the N-CDI task.")
@click.option("--rdm", is_flag=True, help="Random-dot-motion task (one input channel).")
@click.option("-v", "--noise-std", type=NON_NEGATIVE, default=None,
              help="Standard deviation of the task's input noise (the original README called "
                   "it a variance; it multiplies N(0, 1) samples). Default 0.5.")
@click.option("-m", "--mean", "coherence_max", type=FINITE, default=None,
              help="Upper bound of the coherence μ ~ U[0, m) (default 0.1857).")
@click.option("--bits", type=count(1024), default=None, help="Number of bits of the flipflop task.")
@click.option("--task-opt", multiple=True, metavar="KEY=VALUE", help="Any other task setting.")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="Seed of every random draw; several names get seed, seed+1, …")
@click.option("--seeds", default=None, help="Train one model per seed, e.g. 1-20; NAME gets a _sSEED suffix.")
@click.option("--n-rec", type=count(65536), default=None, help="Number of recurrent units (default: the task's, else 50).")
@click.option("--preset", default=None, help="Network preset (mcmahan, fullforce, miconi, ctrnn, system-a); default: the task's, "
                   "else the rule's. system-a draws its frozen W_rec (G) from its own seed, so all "
                   "models of --seeds share one G and differ in W_in (I) and W_out (w).")
@click.option("--phi", default=None, help="Rate nonlinearity: tanh, relu, softplus, one_plus_tanh.")
@click.option("--readout", type=click.Choice(["x", "phi"]), default=None, help="Read out x or φ(x).")
@click.option("--alpha", type=FINITE, default=None, help="Euler factor dt/τ.")
@click.option("--noise-in", type=NON_NEGATIVE, default=None, help="Network input noise σ_in (√(2/α) convention).")
@click.option("--noise-rec", type=NON_NEGATIVE, default=None, help="Recurrent noise σ_rec (√(2/α) convention).")
@click.option("--init", default=None, help="Initialisation: mcmahan, gaussian, spectral, fullforce, miconi.")
@click.option("--g", type=NON_NEGATIVE, default=None, help="Gain of the recurrent initialisation.")
@click.option("--train", "trainable", default=None,
              help="Comma-separated parameters to train, e.g. W_rec,W_in,b,W_out,x0.")
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default=None)
@click.option("--max-iters", type=count(10**9), default=None, help="Budget of iterations/generations/trials.")
@click.option("--opt", "rule_opts", multiple=True, metavar="KEY=VALUE",
              help="Rule hyper-parameter (see the list below), e.g. --opt lr=1e-3.")
@click.option("--stop", "stop_specs", multiple=True, metavar="RULE",
              help="Stopping rule, repeatable; any that fires stops: 'val_mse<=0.03 for 5', "
                   "'val_mse plateau 20 [MIN_DELTA]', 'iterations 5000'. Default: the task's "
                   "('val_accuracy>=0.9 for 10' for tasks with a correct answer).")
@click.option("--stop-threshold", type=FRACTION, default=None,
              help="Shorthand for --stop 'val_accuracy>=THRESHOLD for WINDOW' (default 0.9).")
@click.option("--stop-window", type=count(10**6), default=None,
              help="Window of --stop-threshold (default 10).")
@click.option("--validate-from", type=FRACTION, default=None,
              help="Validate only once the training-batch accuracy reaches this (a skipped "
                   "check counts as failed, so stopping is never earlier). Default: the task's, "
                   "else 0.75.")
@click.option("--validate-every", type=count(10**9), default=None,
              help="Validate every K units of progress (stopping windows count checks). "
                   "Default: the task's, else 1.")
@click.option("--validation-trials", type=click.IntRange(20, 10**6), default=None,
              help="Size of the held-out validation set. Default: the task's, else 2000.")
@click.option("--overwrite", is_flag=True, help="Replace an existing model file.")
@device_option
@models_dir_option
@json_option
@quiet_option
def command(names: tuple[str, ...], rule: str | None, task_name: str | None, contexts: int | None,
            rdm: bool, noise_std: float | None, coherence_max: float | None, bits: int | None,
            task_opt: tuple[str, ...], seed: int, seeds: str | None, n_rec: int | None,
            preset: str | None, phi: str | None, readout: str | None, alpha: float | None,
            noise_in: float | None, noise_rec: float | None, init: str | None, g: float | None,
            trainable: str | None, dtype: str | None, max_iters: int | None,
            rule_opts: tuple[str, ...], stop_specs: tuple[str, ...], stop_threshold: float | None,
            stop_window: int | None, validate_from: float | None, validate_every: int | None,
            validation_trials: int | None, overwrite: bool, device: str,
            models_dir: str | None,
            as_json: bool, quiet: bool) -> None:
    """Train models NAMES (written to <models-dir>/NAME.h5; '-' reads names from stdin).

    \b
    Examples:
      rnntool train bptt_0050 -v 0.5 --N 2
      rnntool train bptt_rdm -v 0.5 --rdm
      rnntool train x --rule ga --N 2 --opt population=30
    """
    if rdm and (task_name not in (None, "rdm") or contexts is not None):
        raise click.UsageError("--rdm cannot be combined with --task or --N")
    task_name = "rdm" if rdm else (task_name or "cdi")
    if task_name in ENVIRONMENTS:
        from rnntool.cli.train_env import train_environment

        unsupported = {"--rule": rule, "--N": contexts, "-v": noise_std, "-m": coherence_max,
                       "--bits": bits, "--preset": preset, "--phi": phi, "--readout": readout,
                       "--alpha": alpha, "--noise-in": noise_in, "--noise-rec": noise_rec,
                       "--init": init, "--g": g, "--train": trainable, "--dtype": dtype,
                       "--stop": stop_specs or None, "--stop-threshold": stop_threshold,
                       "--stop-window": stop_window}
        return train_environment(_jobs(expand_stdin(names, sys.stdin), seed, seeds), task_name,
                                 task_opt, rule_opts, max_iters, 50 if n_rec is None else n_rec,
                                 models_dir, overwrite, as_json, quiet, unsupported)
    task_opts = parse_assignments(task_opt, "--task-opt")
    if task_name in TASKS:  # lists, FILE.py:Class and neurogym:ID check their own settings
        task_opts = check_settings(TASKS[task_name], task_opts, "--task-opt")
    task_settings = {"noise_std": noise_std, "coherence_max": coherence_max, "bits": bits,
                     **task_opts}
    if contexts is not None:
        if task_name != "cdi":
            raise click.UsageError("--N applies to the cdi task only")
        task_settings["contexts"] = contexts
    task = make_task(task_name, **task_settings)
    jobs = _jobs(expand_stdin(names, sys.stdin), seed, seeds)
    overrides = dict(phi=phi, readout=readout, alpha=alpha, noise_in=noise_in,
                     noise_rec=noise_rec, init=init, g=g, dtype=dtype,
                     trainable=tuple(t.strip() for t in trainable.split(",") if t.strip())
                     if trainable else None)
    rule_opts_given = parse_assignments(rule_opts, "--opt")
    plans, targets = [], set()
    given = {"validate_from": validate_from, "validate_every": validate_every,
             "validation_trials": validation_trials}
    validation = {**getattr(task, "training_defaults", {}),
                  **{k: v for k, v in given.items() if v is not None}}
    for name, job_seed in jobs:  # everything is checked before the first model trains
        path = output_path(name, models_dir)
        if path.exists() and not overwrite:
            raise ConfigError(f"{path} exists; pass --overwrite to replace it")
        if path.resolve() in targets:
            raise ConfigError(f"{path} is named twice")
        targets.add(path.resolve())
        if not 0 <= job_seed <= MAX_SEED:
            raise ConfigError(f"seed {job_seed} of {name} does not fit in 64 bits")
        rule_cls = rule_for(name, task, rule)
        rule_settings = check_settings(rule_cls, rule_opts_given, "--opt")
        if max_iters is not None:
            rule_settings["max_iters"] = max_iters
        learning_rule = rule_cls.create(task, **rule_settings)
        net_config = network_for(rule_cls, task, n_rec, preset,
                                 **{k: v for k, v in overrides.items() if v is not None})
        check_network_size(net_config, learning_rule)
        settings = TrainSettings(seed=job_seed, stop=tuple(stop_specs) or None,
                                 stop_window=stop_window, stop_threshold=stop_threshold,
                                 device=device, **validation)
        stopping_for(task, learning_rule, settings)
        plans.append((job_seed, path, rule_cls, learning_rule, net_config, settings))
    paths, summaries, failures = [], [], []
    for job_seed, path, rule_cls, learning_rule, net_config, settings in plans:
        if not quiet:
            stderr.print(f"training [bold]{path.stem}[/]: rule {rule_cls.name}, task {task.name}, "
                         f"N={net_config.n_rec}, seed {job_seed}")
        record = train(path.stem, task, learning_rule, net_config, settings,
                       None if quiet else stderr)
        written, failure = finish_record(path, record, write_model)
        failures += [failure] if failure else []
        if not written:
            continue
        t = record.training
        best = f"best_{t['primary_metric']}"
        if not quiet:
            stderr.print(f"{path.stem}: {t['iterations']} {t['unit']}s, {t['seconds']:.1f} s, "
                         f"{best} {t[best]:.4g}, stopped by {t['stopped_by']}"
                         f"{'' if t['converged'] else ' (did not reach the stopping criterion)'}")
        paths.append(path)
        summaries.append({"path": str(path), **{k: t[k] for k in (
            "iterations", "unit", "converged", "stopped_by", "primary_metric", best, "seconds")}})
        if not as_json:
            emit([path])
    if as_json:
        emit(paths, True, summaries)
    if failures:
        raise RunFailedError("; ".join(failures))


def _jobs(names: list[str], seed: int, seeds: str | None) -> list[tuple[str, int]]:
    if seeds is None:
        return [(name, seed + i) for i, name in enumerate(names)]
    return [(f"{name}_s{s}", s) for name in names for s in parse_range(seeds)]
