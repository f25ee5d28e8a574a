"""rnntool report: one page per applicable figure; the IBL analyses and distillation commands
end to end on the shipped 2-unit IBL agent (small runs)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from rnntool.cli.main import main
from rnntool.models import load_model
from rnntool.plotting.figures import applicable_kinds
from rnntool.report import FIGURES, figure_plan


def cli(capsys: pytest.CaptureFixture, *args: str) -> list[str]:
    """Run the CLI in-process; return the paths it printed (exit code must be 0)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    assert exit_info.value.code == 0, out.err[-500:]
    return out.out.split()


def pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


def test_report_of_a_cdi_model_has_a_page_per_applicable_figure(tmp_path: Path, capsys) -> None:
    out = cli(capsys, "report", "bptt_0050", "--out", str(tmp_path), "--models-dir", str(tmp_path))
    pdf = Path(out[0])
    assert pdf == tmp_path / "bptt_0050.report.pdf"
    model = load_model(Path(__file__).resolve().parents[1] / "sample_models" / "bptt_0050.h5")
    kinds = applicable_kinds(model)
    assert {"trials", "pca", "eigen", "loss", "psychometric"} <= set(kinds)
    assert pages(pdf) == 2 + len(kinds)          # title page, evaluation table, figures
    reasons = dict((f.kind, why) for f, why in figure_plan(model))
    assert reasons["statespace"] == "drawn for closed-loop agents only"
    assert all(reasons[k] is None for k in kinds) and len(reasons) == len(FIGURES)


def test_ibl_analyses_distillation_and_report_end_to_end(tmp_path: Path, capsys) -> None:
    common = ["--models-dir", str(tmp_path), "-q"]
    small = ["--sessions", "3", "--blocks", "3"]
    path = Path(cli(capsys, "statespace", "ibl_2u", *small, *common)[0])
    assert path == tmp_path / "ibl_2u.h5"
    with h5py.File(path) as f:
        assert {"statespace", "circuit"} <= set(f["analyses"])
        assert 0 <= f["analyses/statespace/summary"].attrs["angle_full_deg"] <= 180
    cli(capsys, "vectorfield", "ibl_2u", *small, "--grid", "6", "--n-inits", "96",
        "--settle-steps", "50", *common)
    radd = Path(cli(capsys, "distill", "ibl_2u", *small, "--eval-sessions", "2", "--eval-blocks",
                    "2", *common)[0])
    assert radd == tmp_path / "ibl_2u.radd.h5"
    distilled = load_model(radd)
    assert distilled.network.config.n_rec == 2 and distilled.record.rule["name"] == "radd"
    from rnntool.distill import load_comparison

    scores = load_comparison(radd)
    assert list(scores) == ["ibl_2u", "ibl_2u.radd"]
    assert scores["ibl_2u"]["trials"] == scores["ibl_2u.radd"]["trials"]   # the same sessions
    assert cli(capsys, "evaluate", "ibl_2u.radd", "--sessions", "2", "--blocks", "2",
               *common) == [str(radd)]
    soft = Path(cli(capsys, "distill", "ibl_2u", "--method", "soft", "--iterations", "3",
                    "--bank", "4", "--eval-sessions", "2", "--eval-blocks", "2", *common)[0])
    assert load_model(soft).record.training["method"] == "soft"
    pdf = Path(cli(capsys, "report", "ibl_2u", "--out", str(tmp_path), *common)[0])
    kinds = applicable_kinds(load_model(path))
    assert {"behaviour", "statespace", "effects", "vectorfield", "realfield", "basins",
            "circuit"} <= set(kinds)
    assert pages(pdf) == 2 + len(kinds)
    assert "distillation" in applicable_kinds(load_model(radd))


@pytest.mark.parametrize("command", ["statespace", "vectorfield", "distill", "report"])
def test_help_of_the_new_commands_imports_no_torch(command: str) -> None:
    probe = ("import sys; from rnntool.cli.main import main\n"
             "try:\n    main([sys.argv[1], '--help'])\nexcept SystemExit:\n    pass\n"
             "print('HEAVY:' + ','.join(m for m in ('torch', 'sklearn', 'matplotlib') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe, command], capture_output=True, text=True,
                            timeout=120)
    assert "Examples:" in result.stdout and result.stdout.rstrip().endswith("HEAVY:")


def test_closed_loop_commands_refuse_other_models_in_one_line(capsys) -> None:
    for command in ("statespace", "vectorfield", "distill"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "bptt_0050"])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.count("\n") == 1 and "IBL environment" in err
