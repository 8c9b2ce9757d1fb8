"""`--arch module:NAME` from the command line: a user's architecture through a smoke sweep."""

import pytest

from bench.analysis.summary import latest_records
from tests.factories import PROJECT, run_bench
from tests.worker.test_precheck import MODULE

pytestmark = pytest.mark.mnist
TINY = ["--profile", "smoke", "--train-images", "512", "--test-images", "256"]


def test_a_users_module_runs_alike_and_a_lopsided_one_is_reported_loudly(tmp_path):
    # a user's module from their own directory (on PYTHONPATH); the example's three styles are
    # held to one model in tests/models, in process
    (tmp_path / "user_models.py").write_text(MODULE)
    out = tmp_path / "out"
    arch = "user_models:SAME,user_models:LOPSIDED"
    done = run_bench(
        *TINY, "--arch", arch, "--out", str(out), cwd=PROJECT, pythonpath=str(tmp_path)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    console = " ".join(done.stdout.split())  # a line longer than the console's 100 columns wraps
    assert (
        "WARNING: user_models:LOPSIDED/functional is not the same model as "
        "user_models:LOPSIDED/sequential: 7,165 parameters against 6,370"
    ) in console
    assert "user_models:SAME: no subclassed style (not written yet)" in console
    runs = {(r.arch, r.style): r.to_dict() for r in latest_records(out)}
    assert len(runs) == 4 and all(r["status"] == "ok" for r in runs.values())
    assert runs[("user_models:SAME", "functional")]["identical_to_reference"] is True
    assert runs[("user_models:LOPSIDED", "functional")]["identical_to_reference"] is False
    assert runs[("user_models:SAME", "functional")]["achieved_gflops"] is None  # no FLOP count
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## ⚠ WARNING: styles that are not the same model")
    assert "**DIFFER**" in summary


def test_a_reference_to_no_architecture_exits_2_with_one_line(tmp_path):
    done = run_bench(
        *TINY,
        "--arch",
        "no_such_module_here:ARCH",
        "--out",
        str(tmp_path / "o"),
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert "cannot import module 'no_such_module_here'" in done.stderr
    assert (
        not (tmp_path / "o" / "runs.jsonl").exists()
        or not (tmp_path / "o" / "runs.jsonl").read_text()
    )
