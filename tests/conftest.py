"""Shared fixtures: a small CDI configuration that trains in seconds, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Test networks are tiny: one thread is faster than two, and CLI subprocesses inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

TINY_TASK = ["--task-opt", "steps=60", "--n-rec", "16", "--validation-trials", "200"]


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m rnntool`` as a user would and capture its streams."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "rnntool", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, env=full_env, timeout=300)


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
