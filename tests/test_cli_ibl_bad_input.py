"""Bad input to the IBL analysis commands (statespace, vectorfield, distill, report, and
evaluate of a closed-loop model): one line, exit code 2, before any work, nothing changed."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest

from rnntool.cli.main import main
from rnntool.storage.names import SAMPLE_MODELS


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A models folder with a 2-unit IBL agent and an open-loop CDI model (copies of the samples)."""
    models = tmp_path / "models"
    models.mkdir()
    for name in ("ibl_2u", "bptt_0050"):
        shutil.copyfile(SAMPLE_MODELS / f"{name}.h5", models / f"{name}.h5")
    (tmp_path / "a_file").write_text("not a folder\n")
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def refused(argv: list[str], root: Path, capsys: pytest.CaptureFixture,
            monkeypatch: pytest.MonkeyPatch) -> str:
    """Run ``argv`` (command, then arguments) against the models folder of ``root`` (unless it
    names another); assert exit 2, nothing on stdout, one line on stderr and every file under
    ``root`` (and the shipped samples) as before."""
    before, samples = snapshot(root), snapshot(SAMPLE_MODELS)
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main([argv[0], "--models-dir", str(root / "models"), "-q", *argv[1:]])
    out, err = capsys.readouterr()
    assert (exit_.value.code, out) == (2, ""), err
    assert err.startswith("rnntool: error: ") and err.count("\n") == 1, err
    assert snapshot(root) == before and snapshot(SAMPLE_MODELS) == samples
    return err


SHARED = [  # the session options and model checks every analysis command takes
    (["nosuch"], "not found"),
    (["bptt_0050"], "IBL environment"),
    (["flipflop_2bit"], "IBL environment"),  # a sample: refused before its copy is made
    (["ibl_50", "--models-dir", "a_file/models"], "a_file is not a folder"),  # where its copy would go
    (["ibl_2u", "bptt_0050"], "IBL environment"),
    (["ibl_2u", "--sessions", "1"], "--sessions"),
    (["ibl_2u", "--sessions", "x"], "--sessions"),
    (["ibl_2u", "--blocks", "1"], "--blocks"),
    (["ibl_2u", "--seed", "-1"], "--seed"),
    (["ibl_2u", "--components", "1"], "--components"),
    (["ibl_2u", "--components", "-2"], "--components"),
    (["ibl_2u", "--components", "3"], "--components"),  # more than the agent's 2 units
    (["ibl_2u", "--overwrite", "--keep"], "exclude each other"),
    (["ibl_2u", "--bogus"], "--bogus"),
]
BAD = {
    "statespace": SHARED + [
        (["ibl_2u", "--cut", "0"], "--cut"), (["ibl_2u", "--cut", "1"], "--cut"),
        (["ibl_2u", "--cut", "nan"], "--cut"),
    ],
    "vectorfield": SHARED + [
        (["ibl_2u", "--grid", "2"], "--grid"), (["ibl_2u", "--n-inits", "0"], "--n-inits"),
        (["ibl_2u", "--settle-steps", "0"], "--settle-steps"),
    ],
    "distill": SHARED + [
        (["ibl_2u", "--method", "pca"], "--method"), (["ibl_2u", "--hidden", "0"], "--hidden"),
        (["ibl_2u", "--lr", "0"], "--lr"), (["ibl_2u", "--lr", "nan"], "--lr"),
        (["ibl_2u", "--bank", "0"], "--bank"), (["ibl_2u", "--iterations", "0"], "--iterations"),
        (["ibl_2u", "--compare", "nosuch"], "not found"),
        (["ibl_2u", "--compare", "bptt_0050"], "IBL environment"),
        (["ibl_2u", "--eval-sessions", "0"], "--eval-sessions"),
        (["ibl_2u", "--eval-blocks", "0"], "--eval-blocks"),
        (["ibl_2u", "--eval-seed", "-1"], "--eval-seed"),
    ],
    "report": [
        (["nosuch"], "not found"), (["ibl_2u", "nosuch"], "not found"),
        (["ibl_2u", "--out", "a_file"], "a_file"),
        (["ibl_2u", "--out", "a_file/reports"], "a_file is not a folder"),
        (["bptt_0050", "--key", "nosuch"], "nosuch"),
        (["ibl_2u", "--bogus"], "--bogus"),
    ],
    "evaluate": [
        (["ibl_2u", "--sessions", "0"], "--sessions"), (["ibl_2u", "--blocks", "0"], "--blocks"),
        (["ibl_2u", "--seed", "-1"], "--seed"), (["ibl_2u", "--device", "bogus"], "device"),
        (["ibl_2u", "--trials", "0"], "--trials"), (["ibl_2u", "nosuch"], "not found"),
        (["ibl_50", "--models-dir", "a_file/models"], "a_file is not a folder"),
        (["ibl_2u", "--overwrite", "--keep"], "exclude each other"),
    ],
    "plot": [
        (["ibl_2u", "--out", "a_file/figures"], "a_file is not a folder"),
        (["ibl_2u", "--kind", "nosuch"], "--kind"),
    ],
}
CASES = [(command, args, fragment) for command, cases in BAD.items() for args, fragment in cases]


@pytest.mark.parametrize("command, args, fragment", CASES,
                         ids=[f"{c}:{' '.join(a)}" for c, a, _ in CASES])
def test_bad_input_is_one_line_and_exit_2_before_any_work(command: str, args: list[str],
                                                          fragment: str, folder: Path, capsys,
                                                          monkeypatch) -> None:
    assert fragment in refused([command, *args], folder, capsys, monkeypatch)


def test_a_folder_where_the_output_file_goes_is_refused_before_any_work(folder: Path, capsys,
                                                                        monkeypatch) -> None:
    (folder / "models" / "ibl_2u.radd.h5").mkdir()
    (folder / "figures" / "ibl_2u.report.pdf").mkdir(parents=True)
    err = refused(["distill", "ibl_2u", "--overwrite"], folder, capsys, monkeypatch)
    assert "ibl_2u.radd.h5: it is a folder" in err
    err = refused(["report", "bptt_0050", "ibl_2u"], folder, capsys, monkeypatch)
    assert "ibl_2u.report.pdf: it is a folder" in err
    assert not (folder / "figures" / "bptt_0050.report.pdf").exists()  # not even the first one
