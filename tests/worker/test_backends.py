"""The backend axis: JAX and PyTorch runs on the real path, each in a process of its own.

A backend that is not installed has its tests skipped, with the extra that brings it.
"""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.analysis.results import sweep_results
from bench.plan.backends import BACKENDS, install_hint, installed
from bench.plan.config import make_config
from bench.plan.settings import ConfigError
from bench.worker import backends
from bench.worker.backends import BackendUnavailableError, select
from tests.factories import run_bench

PROJECT = Path(__file__).resolve().parents[2]
OTHER_BACKENDS = [b for b in BACKENDS if b != "tensorflow"]


def _needs(backend):
    return pytest.mark.skipif(
        not installed(backend),
        reason=f"backend {backend} is not installed; install it with {install_hint(backend)}",
    )


EACH_OTHER_BACKEND = [pytest.param(b, marks=_needs(b)) for b in OTHER_BACKENDS]
INSTALLED_OTHERS = [b for b in OTHER_BACKENDS if installed(b)]


def test_an_unknown_or_missing_backend_is_refused_before_anything_runs(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="unknown backend 'theano'; expected one of: "):
        make_config("smoke", tmp_path, backends=("theano",))
    monkeypatch.setattr("bench.plan.config.installed", lambda name: name == "tensorflow")
    with pytest.raises(ConfigError, match=r"backend 'jax' is not installed; .*\[jax\]"):
        make_config("smoke", tmp_path, backends=("tensorflow", "jax"))
    monkeypatch.setattr(backends, "installed", lambda name: False)
    with pytest.raises(BackendUnavailableError, match=r"pip install '\.\[torch\]'"):
        select("torch")


def test_each_backend_runs_its_own_runs_and_pytorch_one_step_per_call(tmp_path, monkeypatch):
    monkeypatch.setattr("bench.plan.config.installed", lambda name: True)
    config = make_config("smoke", tmp_path, backends=BACKENDS, seeds=(1, 2))
    runs = config.runs()
    assert len(runs) == 3 * 2 * 3
    assert {r.settings.backend for r in runs} == set(BACKENDS)
    assert len({r.key() for r in runs}) == len(runs)  # resume tells the backends apart
    torch_runs = [r for r in runs if r.settings.backend == "torch"]
    assert {r.settings.steps_per_execution for r in torch_runs} == {1}
    assert {r.settings.steps_per_execution for r in runs if r not in torch_runs} == {50}
    # sweeps from before the backend axis keep their run keys: TensorFlow is left out of them
    tf_key = next(r for r in runs if r.settings.backend == "tensorflow").settings.key()
    assert '"backend"' not in tf_key and '"jit_compile": "auto"' in tf_key
    off = make_config("smoke", tmp_path, jit_compile="off").settings.key()
    assert '"jit_compile": false' in off


def test_the_device_check_and_the_capabilities_run_on_the_backend_their_job_names():
    from bench.worker.__main__ import job_backend

    for kind in ("device", "capabilities"):
        assert job_backend(kind, json.dumps({"backend": "torch"})) == "torch"
        assert job_backend(kind, "{}") == "tensorflow"


def test_a_deterministic_jax_worker_asks_xla_for_deterministic_gpu_kernels_before_it_starts():
    from bench.worker.__main__ import job_deterministic

    # in a fresh process, as a worker selects: nothing has imported Keras or JAX yet
    script = """
import json, os
from bench.worker import backends
backends.installed = lambda name: True
flags = []
for deterministic in (False, True, True):
    backends.select("jax", deterministic=deterministic)
    flags.append(os.environ.get("XLA_FLAGS"))
print(json.dumps(flags))
"""
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "XLA_FLAGS": "--xla_dump_to=/tmp/x"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    flags = json.loads(done.stdout.strip().splitlines()[-1])
    wanted = "--xla_dump_to=/tmp/x --xla_gpu_deterministic_ops=true"
    assert flags == ["--xla_dump_to=/tmp/x", wanted, wanted]  # the user's flags kept, once
    settings = make_config("smoke", PROJECT / "unused").settings

    def job(deterministic):
        chosen = dataclasses.replace(settings, backend="jax", deterministic=deterministic)
        return json.dumps({"settings": dataclasses.asdict(chosen)})

    jobs = {False: job(False), True: job(True)}
    assert job_deterministic("run", jobs[False]) is False
    assert job_deterministic("one_time", jobs[True]) is True
    assert job_deterministic("device", "{}") is False


@pytest.mark.parametrize("backend", EACH_OTHER_BACKEND)
def test_a_run_on_another_backend_never_imports_tensorflow(backend, tmp_path):
    # run_one on random images, in a process that selected the backend first, as a worker does
    script = f"""
import json, sys
from bench.worker.backends import select
select({backend!r})
import keras
from bench.plan.settings import TrainSettings
from bench.plan.specs import RunSpec
from bench.worker.runner import run_one
from tests.factories import random_mnist
mnist = random_mnist(train=512, test=256)
settings = TrainSettings(epochs=2, batch_size=64, learning_rate=1e-3, validation_split=0.1,
                         train_images=512, test_images=256, backend={backend!r})
record = run_one(RunSpec("mlp", "subclassed", 1, settings), mnist)
print(json.dumps({{"keras_backend": keras.backend.backend(),
                   "status": record.status, "error": record.error,
                   "jit_compile": record.jit_compile, "backend": record.backend,
                   "tensorflow": sys.modules.get("tensorflow") is not None}}))
"""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    env.pop("KERAS_BACKEND", None)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["keras_backend"] == result["backend"] == backend
    assert result["status"] == "ok", result["error"]
    # "auto" is each backend's own default: XLA on JAX, eager on PyTorch
    assert result["jit_compile"] is (backend == "jax")
    assert result["tensorflow"] is False


def test_the_harness_batch_order_is_the_seeds_and_leaves_the_validation_tail_alone():
    from bench.plan.settings import TrainSettings
    from bench.worker.runner import harness_batch_order

    settings = TrainSettings(
        epochs=1,
        batch_size=4,
        learning_rate=1e-3,
        validation_split=0.2,
        train_images=20,
        test_images=10,
    )
    x, y = np.arange(20, dtype=np.float32).reshape(20, 1), np.arange(20)
    shuffled_x, shuffled_y = harness_batch_order(x, y, settings, seed=3)
    assert list(shuffled_y[16:]) == [16, 17, 18, 19]  # Keras takes validation off the end
    assert sorted(shuffled_y[:16]) == list(range(16)) and list(shuffled_y[:16]) != list(range(16))
    assert (shuffled_x[:, 0] == shuffled_y).all()  # images and labels move together
    again = harness_batch_order(x, y, settings, seed=3)[1]
    other = harness_batch_order(x, y, settings, seed=4)[1]
    assert list(again) == list(shuffled_y) and list(other) != list(shuffled_y)


@pytest.mark.mnist
@pytest.mark.skipif(
    not INSTALLED_OTHERS,
    reason=f"neither {' nor '.join(OTHER_BACKENDS)} is "
    f"installed; install one with {install_hint(OTHER_BACKENDS[0])}",
)
def test_a_smoke_sweep_on_the_other_backends_shares_tensorflows_start_and_its_styles_train_alike(
    tmp_path,
):
    # One sweep serves all: the smoke sweep on each installed backend (each style's trained
    # weights equal Sequential's, each run in its own process) and the shared start with
    # TensorFlow's runs.
    out, backends = tmp_path / "out", ["tensorflow", *INSTALLED_OTHERS]
    command = [
        "--profile",
        "smoke",
        "--backend",
        ",".join(backends),
        "--arch",
        "mlp",
        "--train-images",
        "1024",
        "--test-images",
        "512",
        "--epochs",
        "2",
        "--out",
        str(out),
    ]
    done = run_bench(*command, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "shared start: initial weights of 1 (arch, seed) from TensorFlow" in done.stdout
    assert (out / "init" / "mlp-seed1.npz").exists()
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert len(runs) == 3 * len(backends) and {r["backend"] for r in runs} == set(backends)
    assert all(r["status"] == "ok" for r in runs), [r["error"] for r in runs]
    assert len({r["initial_weights_sha256"] for r in runs}) == 1
    assert f"[{len(runs)}/{len(runs)}] " in done.stdout
    results = json.loads((out / "results.json").read_text())
    assert all(results["environment"][b] is not None for b in backends)  # their versions
    for run in sweep_results(out)["runs"]:  # as read: each run's identity to its reference
        assert run["jit_compile_setting"] == "auto"
        assert run["jit_compile"] is (run["backend"] == "jax")
        assert run["params_total"] == 101_770
        # each run is its own process: equal digests are determinism across processes too
        assert run["identical_to_reference"] is True, (run["backend"], run["style"])
    # without a shared start, the same seed gives each backend weights of its own
    plain = tmp_path / "plain"
    command = [
        *command[:-1],
        str(plain),
        "--no-shared-start",
        "--backend",
        ",".join(INSTALLED_OTHERS),
        "--styles",
        "sequential",
    ]
    done = run_bench(*command, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    own = {
        json.loads(line)["initial_weights_sha256"]
        for line in (plain / "runs.jsonl").read_text().splitlines()
    }
    assert len(own) == len(INSTALLED_OTHERS), own
    assert runs[0]["initial_weights_sha256"] not in own


@pytest.mark.parametrize("backend", EACH_OTHER_BACKEND)
def test_a_keras_file_saved_on_tensorflow_loads_on_another_backend_and_predicts_the_same(
    backend, tmp_path
):
    from bench.worker.capabilities import check_images, write_files

    styles = ["sequential", "functional", "subclassed"]
    for style in styles:
        failed = write_files(
            "cnn", style, "tensorflow", tmp_path, check_images(tmp_path, "cnn", (28, 28, 1))
        )
        assert "keras_reload_with_code" not in failed, failed
    script = f"""
import json, sys
from pathlib import Path
from bench.worker.backends import select
select({backend!r})
from bench.worker.crossload import load_models
print(json.dumps(load_models({backend!r}, "cnn", {styles!r}, ["tensorflow"], Path(sys.argv[1]))))
"""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    for style in styles:
        entry = loaded[style]["from:tensorflow"]
        assert entry["outcome"] == "yes", (style, entry["error"])
        assert entry["detail"].startswith("max |diff|")
