"""`python -m bench ab`: bad input exits 2 with one line; a large planted slowdown is found and
fails the gate."""

import json
import subprocess
import sys

import pytest

from bench.cli import main
from tests.factories import run_bench


def _fails(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["ab", *argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_an_interpreter_that_does_not_exist_is_named(tmp_path, capsys):
    err = _fails([str(tmp_path / "nope" / "python"), sys.executable, "--out", str(tmp_path)],
                 capsys)  # fmt: skip
    assert f"BASE interpreter {tmp_path / 'nope' / 'python'} does not exist" in err


def test_an_interpreter_without_the_harness_says_how_to_install_it(tmp_path, capsys):
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    python = str(bare / "bin" / "python")
    err = _fails([sys.executable, python, "--out", str(tmp_path / "out")], capsys)
    # the harness's own modules may come from the working directory, Keras cannot
    assert f"NEW interpreter {python} lacks " in err and "keras tensorflow" in err
    assert f"{python} -m pip install" in err


def test_a_setting_without_its_value_is_refused(tmp_path, capsys):
    err = _fails([sys.executable, sys.executable, "--new-env", "TF_NUM_INTRAOP_THREADS",
                  "--out", str(tmp_path)], capsys)  # fmt: skip
    assert "--new-env takes NAME=VALUE; received 'TF_NUM_INTRAOP_THREADS'" in err


@pytest.mark.mnist
def test_a_planted_slowdown_is_found_and_fails_the_gate(tmp_path):
    # NEW is the same install with one thread for TensorFlow's kernels: on two cores its
    # steps run well over the margin slower. One style, one cycle and four rounds a process
    # keep it short; three pairs give an interval.
    out = tmp_path / "ab"
    done = run_bench("ab", sys.executable, sys.executable, "--new-env",
                     "TF_NUM_INTRAOP_THREADS=1", "--styles", "sequential", "--cycles", "1",
                     "--rounds", "4", "--min-pairs", "3", "--max-pairs", "3",
                     "--fail-on-regression", "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    found = json.loads((out / "ab.json").read_text())
    assert found["pairs"] == 3 and found["failed_processes"] == 0
    assert found["sides"]["new"]["env"] == {"TF_NUM_INTRAOP_THREADS": "1"}
    assert found["sides"]["base"]["environment"]["keras"]
    # one thread for a 1,024-image predict batch: about twice as long, far past the margin
    predict = next(e for e in found["entries"] if e["measure"] == "predict")
    assert predict["ci95_low"] > 1.03, predict
    assert "predict" in {e["measure"] for e in found["regressions"]}
    step = next(e for e in found["entries"] if e["measure"] == "train_step")
    assert step["estimate"] > 1 and found["smallest_detectable_train_step_percent"] > 0
    assert done.stdout.splitlines()[3].startswith("pair 1/3, BASE")
    assert "REGRESSION: sequential predict, 1,024 images" in done.stdout
    for name in ("ab.md", "ab.png", "ab.jsonl"):
        assert (out / name).stat().st_size > 0
    assert "## Reproduce" in (out / "ab.md").read_text()
