"""The real thing, small: `python -m bench` on real MNIST, and the runner's fault paths."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.config import RunSpec, TrainSettings

REQUIRED_FIELDS = [
    "arch",
    "style",
    "seed",
    "epochs",
    "batch_size",
    "device",
    "params_total",
    "params_trainable",
    "test_loss",
    "test_accuracy",
    "build_seconds",
    "compile_seconds",
    "first_epoch_seconds",
    "steady_epoch_seconds",
    "steady_step_ms",
    "train_seconds",
    "eval_seconds",
    "predict_images_per_second",
    "predict_latency_ms",
    "saved_model_bytes",
    "peak_rss_bytes",
    "history",
    "time_to_target_seconds",
    "status",
    "identical_to_reference",
]
PROJECT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.mnist


def test_smoke_sweep_on_real_mnist_records_every_field(tmp_path):
    out = tmp_path / "results"
    command = [
        sys.executable, "-m", "bench", "--profile", "smoke", "--epochs", "2",
        "--target-accuracy", "0.5", "--out", str(out), "--paired-rounds", "3", "--capabilities",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[3/3] cnn/" in done.stdout
    # the harness's own lines only: no framework start-up chatter on the console
    for noise in ("absl::InitializeLog", "cuInit", "cudart_stub", "Downloading data"):
        assert noise not in done.stdout + done.stderr, noise

    results = json.loads((out / "results.json").read_text())
    runs = results["runs"]
    assert len(runs) == 3
    for run in runs:
        missing = [name for name in REQUIRED_FIELDS if name not in run]
        assert not missing, missing
        assert run["status"] == "ok", run.get("error")
        assert run["params_total"] == 34_826
        assert run["steady_step_ms"] > 0
        assert 0.1 < run["test_accuracy"] <= 1
        assert run["time_to_target_seconds"] is not None
        assert len(run["history"]["val_accuracy"]) == 2
        # op determinism and equal seeds: every style trains to the same weights
        assert run["identical_to_reference"] is True
        # predict sees the images evaluate sees and skips its loss and metrics. A retrace in
        # its timing (the old measurement's flaw) made it about half as fast per image as one
        # evaluate call (0.52-0.61x); without one, the committed full runs ranged 0.73-1.83x,
        # single timed calls on this machine's fast and slow spells. The trace counter, which
        # fails a run whose timed call traces, is the exact guard; this catches the old size.
        evaluate_rate = run["test_images"] / run["eval_seconds"]
        assert run["predict_images_per_second"] >= 0.65 * evaluate_rate
        assert run["efficiency"] > 0 and run["efficiency_best"] > 0
    assert len({run["test_accuracy"] for run in runs}) == 1
    assert results["environment"]["tensorflow"]
    assert results["environment"]["data_source"]
    assert set(results["capabilities"]["cnn"]) == {"sequential", "functional", "subclassed"}
    paired = results["paired"]
    assert {(e["style"], e["measure"]) for e in paired} == {
        (style, measure)
        for style in ("functional", "subclassed")
        for measure in ("train_step", "predict", "latency")
    }
    assert all(e["rounds"] == 3 and e["ci_low"] <= e["ratio"] <= e["ci_high"] for e in paired)
    assert "Does the style change speed?" in (out / "summary.md").read_text()
    assert (out / "paired.png").read_bytes()[:4] == b"\x89PNG"
    for name in ("runs.jsonl", "summary.csv", "summary.md", "README.md", "accuracy.png"):
        assert (out / name).exists(), name
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))


def test_the_default_run_leaves_the_clone_it_runs_in_unchanged(tmp_path):
    # The README's first command runs `python -m bench` in a fresh clone: its output must not
    # touch the committed reference results or anything else git tracks.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(clone)], check=True)
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run([sys.executable, "-m", "bench", "--profile", "smoke"],
                          capture_output=True, text=True, env=env, cwd=clone)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (sweep,) = (clone / "runs").iterdir()
    assert f"report: runs/{sweep.name}/README.md" in done.stdout
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    assert status == "", status


def _spec(**changes):
    settings = dict(
        epochs=2, batch_size=64, learning_rate=1e-3, validation_split=0.25,
        train_images=512, test_images=256,
    )  # fmt: skip
    settings.update(changes)
    return RunSpec("mlp", "functional", 1, TrainSettings(**settings))


def test_exploding_learning_rate_is_recorded_as_diverged(monkeypatch):
    import keras

    from bench import runner

    # Adam's normalised steps survive any rate; plain SGD at 1e12 overflows to NaN at once.
    monkeypatch.setattr(runner, "make_optimizer", lambda lr, steps: keras.optimizers.SGD(lr))
    record = runner.run_one(_spec(learning_rate=1e12))
    assert record.status == "diverged", record.error
    assert record.test_accuracy is None


def test_a_run_that_raises_is_recorded_as_failed():
    from bench.runner import run_one

    spec = _spec()
    broken = RunSpec("mlp", "no-such-style", 1, spec.settings)
    record = run_one(broken)
    assert record.status == "failed"
    assert "unknown style 'no-such-style'" in record.error
    assert record.peak_rss_bytes > 0
