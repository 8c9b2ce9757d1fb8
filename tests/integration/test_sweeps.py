"""The real thing, small: `python -m bench` on real MNIST, from the command line to the report."""

import json
import subprocess
from pathlib import Path

import pytest

from bench.analysis.results import sweep_results
from tests.factories import first_contact_env, imported_top_level, run_bench

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
PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.mnist


FRAMEWORKS = {"keras", "tensorflow", "jax", "jaxlib", "torch"}
CHARTS = (
    "answer",
    "paired",
    "one_time",
    "accuracy",
    "step_time",
    "val_accuracy",
    "time_breakdown",
    "params",
)


def test_a_first_smoke_sweep_in_a_fresh_clone_records_every_field_and_changes_nothing_tracked(
    tmp_path,
):
    # A first run, as the README's first command makes it on a new machine: in a fresh clone,
    # its default output directory, empty caches and no network but an npm registry, with
    # oneDNN's start-up line switched on, which TensorFlow prints even on an AVX2 CPU then.
    env = {**first_contact_env(tmp_path), "TF_ENABLE_ONEDNN_OPTS": "1"}
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(clone)], check=True, timeout=120)
    done = run_bench(
        "--profile",
        "smoke",
        "--epochs",
        "2",
        "--target-accuracy",
        "0.5",
        "--steady-rounds",
        "3",
        "--one-time-cycles",
        "2",
        cwd=clone,
        env=env,
        python_flags=("-X", "importtime"),
    )
    console = done.stdout + "\n".join(
        line for line in done.stderr.splitlines() if not line.startswith("import time:")
    )
    assert done.returncode == 0, console[-3000:]
    assert "[3/3] cnn/" in done.stdout
    # its output, the MNIST download among it, touches nothing git tracks
    (out,) = (clone / "runs").iterdir()
    assert f"report: runs/{out.name}/README.md" in done.stdout
    status = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert status == "", status
    # the sweep's process never imports a framework, on first contact with an empty cache too
    imported = imported_top_level(done.stderr)
    assert {"bench", "numpy"} <= imported, "premise: -X importtime listed the imports"
    assert imported & FRAMEWORKS == set()
    # the harness's own lines only: no framework start-up chatter on the console
    for noise in (
        "absl::InitializeLog",
        "cuInit",
        "cudart_stub",
        "Downloading data",
        "oneDNN",
        "cuda drivers",
        "tensorflow/core",
    ):
        assert noise not in console, noise

    results = json.loads((out / "results.json").read_text())
    runs = sweep_results(out)["runs"]  # as read: each run's identity to its reference derived
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
        # a timed predict call that traced would have failed the run (the trace counter,
        # tests/worker/test_measure.py); its speed is the benchmarks' to judge
        assert run["predict_images_per_second"] > 0
        assert run["achieved_gflops"] > 0
    assert len({run["test_accuracy"] for run in runs}) == 1
    assert results["environment"]["tensorflow"]
    assert results["environment"]["data_source"]
    paired = [e for e in results["paired"] if e["phase"] == "steady"]
    assert {(e["style"], e["measure"]) for e in paired} == {
        (style, measure)
        for style in ("functional", "subclassed")
        for measure in ("train_step", "predict", "latency")
    }
    assert all(
        e["rounds"] == 3 and e["ci95_low"] <= e["estimate"] <= e["ci95_high"] for e in paired
    )
    once = [e for e in results["paired"] if e["phase"] == "one_time"]
    assert {e["measure"] for e in once} == {
        "build",
        "compile",
        "first_train_step",
        "first_predict",
        "save",
        "load",
    }
    assert all(e["cycles"] == 2 and e["interval_over"] == "cycles" for e in once)
    assert all(run["first_execution_seconds"] <= run["first_epoch_seconds"] for run in runs)
    # a paired process's cost includes its start: the framework's import, before the job began
    for name in ("steady.jsonl", "one_time.jsonl"):
        (process,) = map(json.loads, (out / name).read_text().splitlines())
        assert process["startup_seconds"] > 0.5 and process["wall_seconds"] > 0, name
    (steady_phase,) = [p for p in results["paired_stopping"] if p["phase"] == "steady"]
    assert steady_phase["worker_seconds"] > steady_phase["processes"] * 0.5
    summary_md = (out / "summary.md").read_text()
    assert "Does the style change speed?" in summary_md
    assert "What each style costs once" in summary_md
    assert all((out / f"{chart}.png").read_bytes()[:4] == b"\x89PNG" for chart in CHARTS)
    assert "![answer](answer.png)" in (out / "README.md").read_text()
    for name in (
        "runs.jsonl",
        "sweep.json",
        "summary.csv",
        "summary.md",
        "README.md",
    ):
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))
