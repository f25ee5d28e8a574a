"""``rnntool train``: train models named on the command line."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rnntool.cli.catalogue import names as registry_names
from rnntool.cli.common import device_option, emit, json_option, models_dir_option, quiet_option, stderr
from rnntool.cli.completion import nonlinearity_choice, preset_choice, rule_choice, task_names
from rnntool.cli.existing import existing_options, must_compute
from rnntool.cli.options import (FINITE, FRACTION, MAX_SEED, NON_NEGATIVE, SEED, check_settings,
                                 count, parse_assignments, parse_range)
from rnntool.cli.network_options import network_options
from rnntool.progress import DEFAULT_LOG_EVERY

if TYPE_CHECKING:
    from rnntool.engine.checkpoint import Checkpointer
    from rnntool.engine.chunking import ChunkPlan
    from rnntool.network import NetworkConfig
    from rnntool.progress import ProgressSettings
    from rnntool.rules import LearningRule
    from rnntool.storage import ModelRecord
    from rnntool.tasks import Task
    from rnntool.training import TrainSettings


class _RuleOptionsHelp(click.Command):
    """Lists every rule's prefixes and hyper-parameters in the epilog (from the names cache)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rules = registry_names()["rules"]
        with formatter.section("Rule options (--opt KEY=VALUE)"):
            formatter.write_dl([(f"{name} ({', '.join(r['prefixes'])})", ", ".join(r["options"]))
                                for name, r in rules.items()])
        closed = registry_names().get("closed_loop")
        if closed:
            with formatter.section("Closed-loop training (--task ibl; --opt KEY=VALUE)"):
                formatter.write_text(closed["help"])
                formatter.write_dl([(f"preset={name}", text) for name, text in closed["presets"].items()])
                formatter.write_text("settings: " + ", ".join(closed["options"]))
        with formatter.section("Tasks (--task)"):
            formatter.write_text(", ".join(registry_names()["tasks"]) +
                                 "; or a comma list, FILE.py:Class, neurogym:ENV_ID.")
        with formatter.section("Cells (--cell; --net-opt KEY=VALUE for their settings and the "
                               "constraints mask, nonnegative, self_connections, dale)"):
            formatter.write_dl([(f"{name}: ", text)
                                for name, text in registry_names()["cell_help"].items()])


@click.command("train", cls=_RuleOptionsHelp)
@click.argument("names", nargs=-1, required=True)
@click.option("--rule", type=rule_choice(), default=None,
              show_default="the name's first word, else the task's",
              help="Learning rule; a model name whose first word is a rule prefix (bptt/bp, ga, "
                   "ff, force, hebb: ff_1, ga-3, not ff2) selects it (listed below).")
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
@click.option("--dt", type=click.FloatRange(min=0, min_open=True), default=None, metavar="MS",
              help="Time step in ms of tasks timed in ms (duration: 1 as the original, 10 "
                   "for a laptop; α = dt/τ follows).")
@click.option("--task-opt", multiple=True, metavar="KEY=VALUE",
              help="Any other task setting, e.g. --task-opt steps=300.")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="Seed of every random draw; several names get seed, seed+1, …")
@click.option("--seeds", default=None, metavar="RANGE",
              help="Train one model per seed, e.g. 1-20 or 1,3,5, as ONE batched run with bptt "
                   "(one run per seed with other rules); NAME gets a _sSEED suffix and "
                   "NAME.groups.txt lists them for svcca/topology.")
@click.option("--chunk-size", type=count(10**6), default=None, metavar="K",
              show_default="as many members as fit in 75% of the available memory",
              help="Members per batched pass of a --seeds ensemble (bptt): larger ensembles "
                   "train chunk after chunk, with the same results to float rounding; the "
                   "plan, estimated from the activations BPTT keeps, is logged before training.")
@click.option("--n-rec", type=count(65536), default=None,
              show_default="the task's, else 50", help="Number of recurrent units.")
@click.option("--preset", type=preset_choice(), default=None,
              show_default="the task's, else the rule's",
              help="Network preset. system-a draws its frozen W_rec (G) from its own seed, so all "
                   "models of --seeds share one G and differ in W_in (I) and W_out (w).")
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
@network_options
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
@click.option("--checkpoint-every", type=click.IntRange(min=0), default=0, metavar="K",
              show_default="no checkpoints",
              help="Write NAME.ckpt.h5 (atomically) every K iterations (bptt, closed-loop tasks).")
@click.option("--resume", is_flag=True,
              help="Continue from NAME.ckpt.h5 where it exists (its stored configuration "
                   "replaces the other training options, except --max-iters: a new budget, "
                   "longer or shorter); ends bit-identical to an uninterrupted run.")
@click.option("--tensorboard", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Write TensorBoard scalars to DIR/NAME (needs the tensorboard extra).")
@existing_options("the model file")
@device_option
@models_dir_option
@json_option
@quiet_option
def command(names: tuple[str, ...], rule: str | None, task_name: str | None, contexts: int | None,
            rdm: bool, noise_std: float | None, coherence_max: float | None, bits: int | None,
            dt: float | None, task_opt: tuple[str, ...], seed: int, seeds: str | None,
            chunk_size: int | None, n_rec: int | None,
            preset: str | None, phi: str | None, readout: str | None, alpha: float | None,
            noise_in: float | None, noise_rec: float | None, init: str | None, g: float | None,
            trainable: str | None, dtype: str | None, cell: str | None, dale: float | None,
            no_self_connections: bool, net_opts: tuple[str, ...], max_iters: int | None,
            rule_opts: tuple[str, ...], stop_specs: tuple[str, ...], stop_threshold: float | None,
            stop_window: int | None, validate_from: float | None, validate_every: int | None,
            validation_trials: int | None, log_every: float | None, checkpoint_every: int,
            resume: bool, tensorboard: str | None, overwrite: bool, keep: bool,
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
      rnntool train gru_1 --task flipflop --bits 3 --cell gru
      rnntool train ff2 --task flipflop --bits 2 --task-opt variant=engellab   # the task's bptt
      rnntool train mt_1 --task delaygo,delayanti     # one network, two tasks, one-hot task ID
      rnntool train ens --seeds 1-20 -v 0.5 --N 2     # one batched run, 20 files + ens.groups.txt
      rnntool train sysA --task duration --seeds 1-20   # System A: 20 models share one frozen G
      rnntool train mt --task flipflop --checkpoint-every 500; rnntool train mt --task flipflop --resume
      rnntool train ibl_1 --task ibl                 # closed loop, Schaeffer et al. 2020 (see below)
      rnntool train ibl_p --task ibl --opt preset=paper   # the paper's SGD exactly (slow to learn)
    """
    from rnntool.cli.network_options import network_overrides
    from rnntool.engine.tensorboard_log import require_tensorboard
    from rnntool.envs import ENVIRONMENTS
    from rnntool.errors import ConfigError, RunFailedError
    from rnntool.progress import ProgressSettings
    from rnntool.storage import expand_stdin
    from rnntool.tasks import TASKS, make_task
    from rnntool.training import TrainSettings

    if rdm and (task_name not in (None, "rdm") or contexts is not None):
        raise click.UsageError("--rdm cannot be combined with --task or --N")
    task_name = "rdm" if rdm else (task_name or "cdi")
    if task_name in ENVIRONMENTS:
        from rnntool.cli.train_env import train_environment

        unsupported = {"--rule": rule, "--N": contexts, "-v": noise_std, "-m": coherence_max,
                       "--bits": bits, "--dt": dt, "--preset": preset, "--phi": phi, "--readout": readout,
                       "--alpha": alpha, "--noise-in": noise_in, "--noise-rec": noise_rec,
                       "--init": init, "--g": g, "--train": trainable, "--dtype": dtype,
                       "--stop": stop_specs or None, "--stop-threshold": stop_threshold,
                       "--stop-window": stop_window, "--dale": dale,
                       "--no-self-connections": no_self_connections or None,
                       "--net-opt": net_opts or None}
        return train_environment(_jobs(expand_stdin(names, sys.stdin), seed, seeds), task_name,
                                 task_opt, rule_opts, max_iters, 50 if n_rec is None else n_rec,
                                 models_dir, overwrite, as_json, quiet, unsupported, cell, keep,
                                 checkpoint_every, resume, tensorboard, device)
    task_opts = parse_assignments(task_opt, "--task-opt")
    if task_name in TASKS:  # lists, FILE.py:Class and neurogym:ID check their own settings
        task_opts = check_settings(TASKS[task_name], task_opts, "--task-opt")
    task_settings = {"noise_std": noise_std, "coherence_max": coherence_max, "bits": bits,
                     "dt": dt, **task_opts}
    if contexts is not None:
        if task_name != "cdi":
            raise click.UsageError("--N applies to the cdi task only")
        task_settings["contexts"] = contexts
    task = make_task(task_name, **task_settings)
    overrides = dict(phi=phi, readout=readout, alpha=alpha, noise_in=noise_in,
                     noise_rec=noise_rec, init=init, g=g, dtype=dtype,
                     trainable=tuple(t.strip() for t in trainable.split(",") if t.strip())
                     if trainable else None,
                     **network_overrides(cell, dale, no_self_connections, net_opts))
    rule_opts_given = parse_assignments(rule_opts, "--opt")
    given = {"validate_from": validate_from, "validate_every": validate_every,
             "validation_trials": validation_trials}
    validation = {**getattr(task, "training_defaults", {}),
                  **{k: v for k, v in given.items() if v is not None}}
    settings = TrainSettings(stop=tuple(stop_specs) or None, stop_window=stop_window,
                             stop_threshold=stop_threshold, device=device, **validation)
    if tensorboard:
        require_tensorboard()
    runs, targets = [], set()
    for label, members in _units(expand_stdin(names, sys.stdin), seed, seeds):
        # everything is checked before the first model trains
        run = _plan(label, members, task, rule, rule_opts_given, max_iters, n_rec, preset,
                    overrides, settings, models_dir, resume, checkpoint_every, chunk_size,
                    tensorboard)
        for path in run.paths:
            if path.resolve() in targets:
                raise ConfigError(f"{path} is named twice")
            targets.add(path.resolve())
        computes = [must_compute(p.exists(), str(p), overwrite, keep) for p in run.paths]
        runs.append((run, all(computes) or run.checkpointer is not None and resume))
    paths, summaries, failures = [], [], []
    for run, compute in runs:
        if not compute:
            if not quiet:
                stderr.print(f"{run.label}: kept the existing model file(s)")
            paths.extend(run.paths)
            summaries.extend({"path": str(p), "kept": True} for p in run.paths)
            if not as_json:
                emit(run.paths)
            continue
        progress = None if quiet else ProgressSettings(stderr, log_every, run.label)
        written = _execute(run, tensorboard, progress, quiet)
        for path, record, failure in written:
            failures += [failure] if failure else []
            if record is None:
                continue
            t = record.training
            best = f"best_{t['primary_metric']}"
            if not quiet:
                stderr.print(f"{path.stem}: {t['iterations']} {t['unit']}s, {t['seconds']:.1f} s, "
                             f"{best} {t[best]:.4g}, stopped by {t['stopped_by']}"
                             f"{'' if t['converged'] else ' (did not reach the stopping criterion)'}")
            summaries.append({"path": str(path), "kept": False, **{k: t[k] for k in (
                "iterations", "unit", "converged", "stopped_by", "primary_metric", best, "seconds")}})
        new = [p for p, r, _ in written if r is not None]
        new += [run.group_file] if run.group_file and new else []
        paths.extend(new)
        if not as_json:
            emit(new)
    if as_json:
        emit(paths, True, summaries)
    if failures:
        raise RunFailedError("; ".join(failures))


@dataclass
class _Run:
    """One training run: a single model, or an ensemble of seeds trained together."""

    label: str
    names: list[str]
    seeds: list[int]
    paths: list[Path]
    task: Task
    rule: LearningRule
    net_config: NetworkConfig
    settings: TrainSettings
    checkpointer: Checkpointer | None
    group_file: Path | None
    chunks: ChunkPlan


def resumed_budget(rule_cfg: dict[str, Any], max_iters: int) -> int:
    """The budget a resumed run takes from --max-iters: any, unless the stored learning-rate
    schedule is shaped by the budget (cosine), which a new budget would change mid-run."""
    from rnntool.errors import ConfigError

    if str(rule_cfg.get("schedule", "none")).startswith("cosine") and max_iters != rule_cfg.get("max_iters"):
        raise ConfigError("--max-iters cannot change when resuming a run with a cosine schedule "
                          "(the schedule follows the budget)")
    return max_iters


def _plan(label: str, members: list[tuple[str, int]], task: Task, rule: str | None,
          rule_opts: dict[str, Any], max_iters: int | None, n_rec: int | None, preset: str | None,
          overrides: dict[str, Any], settings: TrainSettings, models_dir: str | None,
          resume: bool, checkpoint_every: int, chunk_size: int | None = None,
          tensorboard: str | None = None) -> _Run:
    """Resolve and check everything a run needs before any training starts."""
    from rnntool.cli.train_checks import check_network_size
    from rnntool.engine.chunking import check_chunked, plan_training
    from rnntool.engine.checkpoint import Checkpointer, checkpoint_path, read_checkpoint
    from rnntool.errors import ConfigError
    from rnntool.network import NetworkConfig
    from rnntool.network.cells import make_cell
    from rnntool.rules import check_rule_cell, get_rule
    from rnntool.storage import output_path
    from rnntool.tasks import task_from_config
    from rnntool.training import TrainSettings, check_checkpointing, network_for, rule_for, stopping_for

    ensemble = len(members) > 1 or members[0][0] != label
    ckpt = checkpoint_path(output_path(label, models_dir))
    state = read_checkpoint(ckpt) if resume and ckpt.exists() else None
    if state is not None:
        cfg = state["config"]
        task = task_from_config(cfg["task"])
        rule_cfg = dict(cfg["rule"])
        if max_iters is not None:
            rule_cfg["max_iters"] = resumed_budget(rule_cfg, max_iters)
        learning_rule = get_rule(rule_cfg.pop("name")).create(task, **rule_cfg)
        net_config = NetworkConfig.from_dict(cfg["network"])
        stored = dict(cfg["settings"])
        stored["stop"] = tuple(stored["stop"]) if "stop" in stored else None
        run_settings = TrainSettings(**stored)
        members = list(zip(cfg["names"], cfg["seeds"]))
        checkpoint_every = checkpoint_every or int(cfg["checkpoint_every"])
        stderr.print(f"resuming {label} from {ckpt}")
    else:
        rule_cls = rule_for(members[0][0], task, rule)
        rule_settings = check_settings(rule_cls, rule_opts, "--opt")
        if max_iters is not None:
            rule_settings["max_iters"] = max_iters
        net_config = network_for(rule_cls, task, n_rec, preset,
                                 **{k: v for k, v in overrides.items() if v is not None})
        check_rule_cell(rule_cls, make_cell(net_config).name)
        learning_rule = rule_cls.create(task, cell=net_config.cell, **rule_settings)
        run_settings = replace(settings, seed=members[0][1])
    for name, job_seed in members:
        if not 0 <= job_seed <= MAX_SEED:
            raise ConfigError(f"seed {job_seed} of {name} does not fit in 64 bits")
    check_network_size(net_config, learning_rule)
    paths = [output_path(name, models_dir) for name, _ in members]
    stopping_for(task, learning_rule, run_settings)
    learning_rule.check_network(net_config)
    checkpointer = None
    if checkpoint_every or resume:
        config = {"names": [n for n, _ in members], "seeds": [s for _, s in members],
                  "task": task.config(), "rule": learning_rule.config(),
                  "network": net_config.to_dict(), "settings": run_settings.config(),
                  "checkpoint_every": checkpoint_every}
        checkpointer = Checkpointer(ckpt, checkpoint_every, config, state)
        check_checkpointing(learning_rule, checkpointer)
    chunks = plan_training(task, learning_rule, net_config, len(members), run_settings.device,
                           chunk_size, label)
    check_chunked(chunks, learning_rule, checkpointer, tensorboard)
    group = output_path(label, models_dir).with_name(f"{label}.groups.txt") if ensemble else None
    return _Run(label, [n for n, _ in members], [s for _, s in members], paths, task,
                learning_rule, net_config, run_settings, checkpointer, group, chunks)


def _execute(run: _Run, tensorboard: str | None, progress: ProgressSettings | None,
             quiet: bool) -> list[tuple[Path, ModelRecord | None, str | None]]:
    """Train one run and write its models; per model (path, record or None if not written,
    failure message or None)."""
    from rnntool.cli.train_checks import finish_record
    from rnntool.engine.chunking import shared_g_note, train_chunks
    from rnntool.engine.ensemble import batches_members, write_group_file
    from rnntool.engine.tensorboard_log import TensorBoardLogger
    from rnntool.storage import write_model
    from rnntool.training import train

    logger = (TensorBoardLogger(Path(tensorboard) / run.label, len(run.names))
              if tensorboard else None)
    if not quiet:
        what = (f"{len(run.seeds)} seeds {run.seeds[0]}…{run.seeds[-1]}" if len(run.seeds) > 1
                else f"seed {run.seeds[0]}")
        contexts = f" ({run.task.n_contexts} contexts)" if run.task.name == "cdi" else ""
        stderr.print(f"training [bold]{run.label}[/]: rule {run.rule.name}, task {run.task.name}"
                     f"{contexts}, {run.net_config.n_rec} units, {what}, at most "
                     f"{run.rule.max_iters} {run.rule.unit}s")
        if len(run.seeds) > 1 and batches_members(run.rule):
            stderr.print(f"{run.label}: {run.chunks.describe()}")
    if run.group_file is None:
        chunks = [[train(run.names[0], run.task, run.rule, run.net_config, run.settings, progress,
                         run.checkpointer, logger)]]
    else:
        chunks = train_chunks(run.names, run.seeds, run.task, run.rule, run.net_config,
                              run.settings, run.chunks, progress, run.checkpointer, logger)
    written = []
    for records in chunks:  # each chunk's models are written before the next chunk trains
        for record in records:
            path = run.paths[len(written)]
            kept, failure = finish_record(path, record, write_model)
            written.append((path, record if kept else None, failure))
    kept_paths = [p for p, r, _ in written if r is not None]
    if run.group_file is not None and kept_paths:
        write_group_file(run.group_file, run.label, kept_paths, shared_g_note(run.net_config))
    if run.checkpointer is not None:
        run.checkpointer.discard()
    return written


def _jobs(names: list[str], seed: int, seeds: str | None) -> list[tuple[str, int]]:
    """(model name, seed) per model, one after another (closed-loop environments)."""
    return [job for _, members in _units(names, seed, seeds) for job in members]


def _units(names: list[str], seed: int, seeds: str | None) -> list[tuple[str, list[tuple[str, int]]]]:
    """Runs as (label, [(model name, seed)]): one per name, or one ensemble per name with --seeds."""
    if seeds is None:
        return [(name, [(name, seed + i)]) for i, name in enumerate(names)]
    chosen = parse_range(seeds)
    return [(name, [(f"{name}_s{s}", s) for s in chosen]) for name in names]


