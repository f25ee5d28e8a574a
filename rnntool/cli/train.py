"""``rnntool train``: train models named on the command line."""

from __future__ import annotations

import sys

import click

from rnntool.cli.catalogue import names as registry_names
from rnntool.cli.common import device_option, emit, json_option, models_dir_option, quiet_option, stderr
from rnntool.cli.completion import nonlinearity_choice, preset_choice, rule_choice, task_names
from rnntool.cli.existing import existing_options, must_compute
from rnntool.cli.options import (FINITE, FRACTION, MAX_SEED, NON_NEGATIVE, SEED, check_settings,
                                 count, parse_assignments, parse_range)
from rnntool.progress import DEFAULT_LOG_EVERY


class _RuleOptionsHelp(click.Command):
    """Lists every rule's prefixes and hyper-parameters in the epilog (from the names cache)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rules = registry_names()["rules"]
        with formatter.section("Rule options (--opt KEY=VALUE)"):
            formatter.write_dl([(f"{name} ({', '.join(r['prefixes'])})", ", ".join(r["options"]))
                                for name, r in rules.items()])
        with formatter.section("Tasks (--task)"):
            formatter.write_text(", ".join(registry_names()["tasks"]) +
                                 "; or a comma list, FILE.py:Class, neurogym:ENV_ID.")


@click.command("train", cls=_RuleOptionsHelp)
@click.argument("names", nargs=-1, required=True)
@click.option("--rule", type=rule_choice(), default=None,
              show_default="from the name's prefix, else the task's",
              help="Learning rule (prefixes: bptt/bp, ga, ff, force, hebb; listed below).")
@click.option("--task", "task_name", default=None, show_default="cdi", shell_complete=task_names,
              help="Task: a registered name (listed below; --rdm selects rdm; ibl is "
                   "closed-loop), a comma list (one network, all tasks), FILE.py:Class or "
                   "neurogym:ENV_ID.")
@click.option("--N", "contexts", type=count(1024), default=None, show_default="2",
              help="Number of contexts K of the N-CDI task (cdi only; not the number of units: "
                   "see --n-rec).")
@click.option("--rdm", is_flag=True, help="Random-dot-motion task (one input channel).")
@click.option("-v", "--noise-std", type=NON_NEGATIVE, default=None,
              show_default="0.5",
              help="Standard deviation of the task's input noise (the original README called "
                   "it a variance; it multiplies N(0, 1) samples).")
@click.option("-m", "--coherence-max", "--mean", "coherence_max", type=FINITE, default=None,
              show_default="0.1857",
              help="Upper bound m of the coherence μ ~ U[0, m) (not a mean: --mean is the "
                   "original program's name for it).")
@click.option("--bits", type=count(1024), default=None, show_default="3",
              help="Number of bits of the flipflop task.")
@click.option("--task-opt", multiple=True, metavar="KEY=VALUE",
              help="Any other task setting, e.g. --task-opt steps=300.")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="Seed of every random draw; several names get seed, seed+1, …")
@click.option("--seeds", default=None, metavar="RANGE",
              help="Train one model per seed, e.g. 1-20 or 1,3,5; NAME gets a _sSEED suffix.")
@click.option("--n-rec", type=count(65536), default=None,
              show_default="the task's, else 50", help="Number of recurrent units.")
@click.option("--preset", type=preset_choice(), default=None, show_default="the rule's",
              help="Network preset.")
@click.option("--phi", type=nonlinearity_choice(), default=None, show_default="the preset's",
              help="Rate nonlinearity φ.")
@click.option("--readout", type=click.Choice(["x", "phi"]), default=None,
              show_default="the preset's", help="Read out x or φ(x).")
@click.option("--alpha", type=FINITE, default=None, show_default="the preset's",
              help="Euler factor dt/τ.")
@click.option("--noise-in", type=NON_NEGATIVE, default=None, show_default="the preset's",
              help="Network input noise σ_in (√(2/α) convention).")
@click.option("--noise-rec", type=NON_NEGATIVE, default=None, show_default="the preset's",
              help="Recurrent noise σ_rec (√(2/α) convention).")
@click.option("--init", default=None, show_default="the preset's",
              help="Initialisation: mcmahan, gaussian, spectral, fullforce, miconi.")
@click.option("--g", type=NON_NEGATIVE, default=None, show_default="the preset's",
              help="Gain of the recurrent initialisation.")
@click.option("--train", "trainable", default=None, show_default="the rule's",
              help="Comma-separated parameters to train, e.g. W_rec,W_in,b,W_out,x0.")
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default=None,
              show_default="the preset's", help="Floating-point precision of the network.")
@click.option("--max-iters", type=count(10**9), default=None, show_default="the rule's",
              help="Training budget in the rule's units: iterations (bptt), generations (ga), "
                   "trials (ff, force), updates (hebb).")
@click.option("--opt", "rule_opts", multiple=True, metavar="KEY=VALUE",
              help="Rule hyper-parameter (see the list below), e.g. --opt lr=1e-3.")
@click.option("--stop", "stop_specs", multiple=True, metavar="RULE",
              show_default="the task's: 'val_accuracy>=0.9 for 10' where there is a correct answer",
              help="Stopping rule, repeatable; any that fires stops: 'val_mse<=0.03 for 5', "
                   "'val_mse plateau 20 [MIN_DELTA]', 'iterations 5000'.")
@click.option("--stop-threshold", type=FRACTION, default=None, show_default="0.9",
              help="Shorthand for --stop 'val_accuracy>=THRESHOLD for WINDOW'.")
@click.option("--stop-window", type=count(10**6), default=None, show_default="10",
              help="Window of --stop-threshold: consecutive validations that must reach it.")
@click.option("--validate-from", type=FRACTION, default=None, show_default="the task's, else 0.75",
              help="Validate only once the training-batch accuracy reaches this (a skipped "
                   "check counts as failed, so stopping is never earlier).")
@click.option("--validate-every", type=count(10**9), default=None,
              show_default="the task's, else 1",
              help="Validate every K units of progress (stopping windows count checks).")
@click.option("--validation-trials", type=click.IntRange(20, 10**6), default=None,
              show_default="the task's, else 2000", help="Size of the held-out validation set.")
@click.option("--log-every", type=click.FloatRange(min=0), default=None,
              show_default=f"a live line on a terminal, else every {DEFAULT_LOG_EVERY:g} s",
              help="Seconds between plain progress lines on stderr (0: every unit of progress).")
@existing_options("the model file")
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
            validation_trials: int | None, log_every: float | None, overwrite: bool, keep: bool,
            device: str,
            models_dir: str | None,
            as_json: bool, quiet: bool) -> None:
    """Train models NAMES (written to <models-dir>/NAME.h5; '-' reads names from stdin).

    Defaults replicate McMahan et al. 2021. Progress goes to stderr: a live line on a
    terminal, plain log lines otherwise (see --log-every; -q for none). An existing model
    file needs --overwrite or --keep.

    \b
    Examples:
      rnntool train bptt_mine -v 0.5 --N 2
      rnntool train bptt_rdm -v 0.5 --rdm
      rnntool train ga_mine --N 2 --opt population=30 --log-every 10
      rnntool train flipflop_1 --task flipflop --bits 3 --rule bptt --n-rec 64 --opt lr=1e-2
    """
    from rnntool.cli.train_checks import check_network_size, finish_record
    from rnntool.envs import ENVIRONMENTS
    from rnntool.errors import ConfigError, RunFailedError
    from rnntool.progress import ProgressSettings
    from rnntool.storage import expand_stdin, output_path, write_model
    from rnntool.tasks import TASKS, make_task
    from rnntool.training import TrainSettings, network_for, rule_for, stopping_for, train

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
    given = {"validate_from": validate_from, "validate_every": validate_every,
             "validation_trials": validation_trials}
    validation = {**getattr(task, "training_defaults", {}),
                  **{k: v for k, v in given.items() if v is not None}}
    planned = [(name, job_seed, output_path(name, models_dir)) for name, job_seed in jobs]
    targets: set = set()
    for _, _, path in planned:
        if path.resolve() in targets:
            raise ConfigError(f"{path} is named twice")
        targets.add(path.resolve())
    todo = [must_compute(p.exists(), str(p), overwrite, keep) for _, _, p in planned]
    plans = []
    for (name, job_seed, path), compute in zip(planned, todo):  # all checked before training
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
        plans.append((compute, job_seed, path, rule_cls, learning_rule, net_config, settings))
    paths, summaries, failures = [], [], []
    for compute, job_seed, path, rule_cls, learning_rule, net_config, settings in plans:
        if not compute:
            if not quiet:
                stderr.print(f"{path.stem}: kept the existing model file")
            paths.append(path)
            summaries.append({"path": str(path), "kept": True})
            if not as_json:
                emit([path])
            continue
        if not quiet:
            stderr.print(f"training [bold]{path.stem}[/]: rule {rule_cls.name}, task {task.name}"
                         f"{f' ({task.n_contexts} contexts)' if task.name == 'cdi' else ''}, "
                         f"{net_config.n_rec} units, seed {job_seed}, at most "
                         f"{learning_rule.max_iters} {rule_cls.unit}s")
        progress = None if quiet else ProgressSettings(stderr, log_every, path.stem)
        record = train(path.stem, task, learning_rule, net_config, settings, progress)
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
        summaries.append({"path": str(path), "kept": False, **{k: t[k] for k in (
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
