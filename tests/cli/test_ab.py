"""`python -m bench ab`: bad input exits 2 with one line; a large planted slowdown is found and
fails the gate."""

import json
import subprocess
import sys

import pytest

from bench.cli import main
from tests.factories import PROJECT, run_bench

PLANTED = PROJECT / "examples" / "planted_slowdown"


def _fails(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["ab", *argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_an_interpreter_that_does_not_exist_is_named(tmp_path, capsys):
    err = _fails(
        [str(tmp_path / "nope" / "python"), sys.executable, "--out", str(tmp_path)], capsys
    )
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
    err = _fails(
        [
            sys.executable,
            sys.executable,
            "--new-env",
            "TF_NUM_INTRAOP_THREADS",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert "--new-env takes NAME=VALUE; received 'TF_NUM_INTRAOP_THREADS'" in err


@pytest.mark.mnist
def test_a_planted_slowdown_is_found_and_fails_the_gate(tmp_path):
    # NEW is the same install with every train_on_batch three times as long (the planted
    # slowdown docs/compare.md measures with, at 200 %), and nothing else slowed. Its wrapper
    # is Python work, which the count gate finds in any pair; two pairs time it about three
    # times as long, in an interval over two pairs (one degree of freedom) often too wide to
    # say more. The example's own architecture, as a sweep takes it; one style, one cycle and
    # four rounds a process, and no accuracy runs (tests/sweep/test_ab.py has them) keep it
    # short; the capability checks run as by default.
    out = tmp_path / "ab"
    done = run_bench(
        "ab",
        sys.executable,
        sys.executable,
        "--new-env",
        f"PYTHONPATH={PLANTED}",
        "--new-env",
        "PLANTED_SLOWDOWN=2",
        "--arch",
        "examples.lenet:LENET",
        "--styles",
        "sequential",
        "--one-time-cycles",
        "1",
        "--steady-rounds",
        "4",
        "--min-processes",
        "2",
        "--max-processes",
        "2",
        "--seeds",
        "0",
        "--fail-on-regression",
        "--out",
        str(out),
        cwd=PROJECT,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    found = json.loads((out / "ab.json").read_text())
    assert found["arch"] == "examples.lenet:LENET" and found["pairs"] == 2
    assert found["failed_processes"] == found["failed_runs"] == 0
    assert found["sides"]["new"]["env"]["PLANTED_SLOWDOWN"] == "2"
    assert found["sides"]["base"]["environment"]["keras"]
    step = next(e for e in found["entries"] if e["measure"] == "train_step")
    assert step["estimate"] > 2 and not step["verdict"].startswith(("faster", "equivalent")), step
    # the planted wrapper is Python work too: the count gate finds it, whatever the timing
    assert {"train_step", "first_train_step"} <= {c["measure"] for c in found["more_python_work"]}
    assert found["smallest_detectable_train_step_percent"] > 0
    assert found["accuracy"] is None and not found["accuracy_dropped"]
    # the same Keras on both sides: no check changed, and NEW loaded the file BASE saved
    assert found["capability_changes"] == [] and found["capabilities_lost"] == []
    assert found["program_changes"] == []  # one install: the same compiled programs
    (checks,) = found["capabilities"]["new"].values()
    assert checks["sequential"]["keras_from_previous_install"]["outcome"] == "yes", checks
    lines = done.stdout.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    # the harness's lines only, the capability checks' exports among what ran
    for noise in ("absl::InitializeLog", "oneDNN", "tensorflow/core", "WARNING:tensorflow"):
        assert noise not in done.stdout + done.stderr, noise
    assert lines.index("capabilities, BASE …") < lines.index("pair 1/2, BASE …")
    words = " ".join(line.strip() for line in lines)  # the console's words, across its wraps
    assert "REGRESSION: more Python work: tensorflow/examples.lenet:LENET/sequential" in words
    assert "NEW loaded the .keras file BASE saved for 1 of 1 style(s)" in words
    assert "programs: both sides trace the same" in words
    assert lines.index("programs, NEW …") < lines.index("pair 1/2, BASE …")
    for name in ("ab.md", "ab.png", "ab.jsonl"):
        assert (out / name).stat().st_size > 0
    assert "## Capabilities" in (out / "ab.md").read_text()
