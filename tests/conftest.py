"""Shared fixtures: a small CDI configuration that trains in seconds, and a CLI runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Test networks are tiny: one thread is faster than two, and CLI subprocesses inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
TINY_TASK = ["--task-opt", "steps=60", "--n-rec", "16", "--validation-trials", "200"]


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m rnntool`` as a user would and capture its streams."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "rnntool", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, env=full_env, timeout=300)


def spawn_cli(*args: str) -> subprocess.Popen:
    """Start ``python -m rnntool`` (one thread, this checkout first on the path) without
    waiting, its streams piped: for tests that kill it part-way."""
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "rnntool", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def kill_after_new_checkpoint(proc: subprocess.Popen, ckpt: Path, settle: float,
                              timeout: float = 240) -> None:
    """SIGKILL ``proc`` ``settle`` seconds after it (re)writes ``ckpt`` — somewhere between two
    checkpoints — and check that the kill, not the end of training, stopped it."""
    before = ckpt.stat().st_mtime_ns if ckpt.exists() else None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ckpt.exists() and ckpt.stat().st_mtime_ns != before:
            time.sleep(settle)
            break
        if proc.poll() is not None:
            pytest.fail(f"training ended before it could be killed: {proc.stderr.read().decode()}")
        time.sleep(settle / 5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def invoke(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process (as ``main`` does for the console script): exit code, stdout
    and stderr."""
    from rnntool.cli.main import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture(scope="session")
def trained_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BPTT CDI model trained through the CLI (shared by several tests)."""
    folder = tmp_path_factory.mktemp("models")
    result = run_cli("train", "bptt_tiny", "-v", "0.1", "--N", "2", *TINY_TASK,
                     "--opt", "lr=0.01", "--opt", "batch_size=64", "--max-iters", "60",
                     "--stop-threshold", "0.8", "--validate-from", "0.6",
                     "--models-dir", str(folder), "-q")
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())
