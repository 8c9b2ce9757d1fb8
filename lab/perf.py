"""`python -m lab perf`: which training knobs make the default fast, what limits the speed,
and what the harness costs.

Everything here runs in one process, interleaved over repeats, so the ratios compare like with
like on a noisy machine. Writes `perf.json` (raw timings) and `perf.md` (the tables).
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf
from tensorflow.python.framework import config as tf_config

from bench.plan.config import COMMON_DEFAULTS
from bench.plan.settings import DEFAULT_TIME_MARGIN, TrainSettings
from bench.plan.specs import RunSpec
from bench.store.files import now_utc, write_atomic, write_json
from bench.store.mnist import load_mnist, preprocess
from bench.worker.runner import (
    EpochTimer,
    compile_model,
    fit_model,
    harness_callbacks,
    make_optimizer,
    run_one,
    weights_sha256,
)
from lab.kernels import time_kernels
from lab.perf_report import perf_markdown
from lab.variants import (
    ARCH,
    BATCH_SIZE,
    KNOB_ARCHS,
    SEED,
    STYLE,
    VARIANTS,
    Variant,
)
from mnist_models import build_model, get_architecture


@dataclass
class Measurements:
    epoch_seconds: dict[str, list[float]] = field(default_factory=dict)
    weights: dict[str, set[str]] = field(default_factory=dict)


def train_variant(
    variant: Variant, arch: str, x, y, batch_size: int, epochs: int
) -> tuple[list[float], str]:
    """Trains `arch` as `variant` says; returns its epoch times and trained weights' digest."""
    if variant.deterministic:
        tf.config.experimental.enable_op_determinism()
    else:
        tf_config.disable_op_determinism()
    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy(variant.precision)
    try:
        model = build_model(arch, STYLE, seed=SEED)
        steps = -(-len(x) // batch_size)
        model.compile(
            optimizer=make_optimizer(COMMON_DEFAULTS["learning_rate"], steps * epochs),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            steps_per_execution=variant.steps_per_execution,
            jit_compile=variant.jit_compile,
        )
        timer = EpochTimer(None)
        if variant.pipeline:
            data = tf.data.Dataset.from_tensor_slices((x, y)).cache()
            data = data.shuffle(len(x), seed=SEED).batch(batch_size).prefetch(tf.data.AUTOTUNE)
            model.fit(data, epochs=epochs, callbacks=[timer], shuffle=False, verbose=0)
        else:
            model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=[timer], verbose=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return timer.epoch_seconds, weights_sha256(model)


def skipped_variants(cpu_native_bf16: bool, gpu: bool) -> dict[str, str]:
    """Variants not worth their time here, with the reason the report gives."""
    if gpu or cpu_native_bf16:
        return {}
    return {
        v.name: "bfloat16 is emulated on this CPU (no avx512_bf16 or amx_bf16): several times "
        "slower than float32, and many minutes per round"
        for v in VARIANTS
        if v.precision == "mixed_bfloat16"
    }


def measure_knobs(
    x, y, *, repeats: int, epochs: int, batch_size: int, echo, skip: dict[str, str] | None = None
) -> dict[str, Measurements]:
    """Trains every arch in every variant `repeats` times, in a fresh random order each round."""
    found = {arch: Measurements() for arch in KNOB_ARCHS}
    rng = random.Random(0)
    variants = [v for v in VARIANTS if v.name not in (skip or {})]
    for round_ in range(1, repeats + 1):
        order = [(arch, variant) for arch in KNOB_ARCHS for variant in variants]
        rng.shuffle(order)
        for arch, variant in order:
            seconds, digest = train_variant(variant, arch, x, y, batch_size, epochs)
            steady = statistics.median(seconds[1:])
            found[arch].epoch_seconds.setdefault(variant.name, []).append(steady)
            found[arch].weights.setdefault(variant.name, set()).add(digest)
            echo(f"  round {round_}/{repeats} {arch} {variant.name}: {steady:.2f} s/epoch")
    tf.config.experimental.enable_op_determinism()
    return found


class TimedCallback(keras.callbacks.Callback):
    """Passes every hook on to `inner` and adds up the wall time spent inside them."""

    HOOKS = tuple(
        f"on_{scope}{event}"
        for scope in (
            "train",
            "epoch",
            "test",
            "predict",
            "train_batch",
            "test_batch",
            "predict_batch",
        )
        for event in ("_begin", "_end")
    )

    def __init__(self, inner: keras.callbacks.Callback):
        super().__init__()
        self.inner = inner
        self.seconds = 0.0
        for hook in self.HOOKS:
            setattr(self, hook, self._timed(getattr(inner, hook)))

    def _timed(self, method):
        def hook(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return hook

    def set_model(self, model):
        super().set_model(model)
        self.inner.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.inner.set_params(params)


def measure_overhead(mnist, settings: TrainSettings, *, repeats: int, echo) -> dict[str, list]:
    """The harness's fit against a bare `model.fit` with the same model, data and settings.

    Each round also fits once with the harness's callbacks timed from inside: a direct
    measure of what they cost, which the noise between two whole fits can hide.
    """
    x = preprocess(mnist.x_train[: settings.train_images])
    y = mnist.y_train[: settings.train_images]
    fit_images = int(len(x) * (1 - settings.validation_split))
    steps_per_epoch = -(-fit_images // settings.batch_size)
    spec = RunSpec(ARCH, STYLE, SEED, settings)
    timings: dict[str, list[float]] = {
        "harness": [],
        "bare": [],
        "timed_fit": [],
        "callback_seconds": [],
    }

    def fit(callbacks: list[keras.callbacks.Callback]) -> float:
        keras.backend.clear_session()
        model = build_model(ARCH, STYLE, seed=SEED)
        compile_model(model, settings, steps_per_epoch)
        start = time.perf_counter()
        fit_model(model, x, y, settings, callbacks)
        return time.perf_counter() - start

    def timed() -> float:
        callbacks = [TimedCallback(c) for c in harness_callbacks(settings.target_accuracy)[1]]
        timings["timed_fit"].append(fit(callbacks))
        timings["callback_seconds"].append(sum(c.seconds for c in callbacks))
        return timings["callback_seconds"][-1]

    runs: dict[str, Callable[[], float]] = {
        "harness": lambda: run_one(spec, mnist).train_seconds,
        "bare": lambda: fit([]),
        "timed": timed,
    }
    for round_ in range(1, repeats + 1):
        for name in random.Random(round_).sample(list(runs), len(runs)):
            seconds = runs[name]()
            if name != "timed":
                timings[name].append(seconds)
            echo(f"  round {round_}/{repeats} {name}: {seconds:.3f} s")
    return timings


def run_perf(
    out: Path,
    *,
    peak: dict[str, float],
    environment: dict[str, Any],
    settings: TrainSettings,
    data_dir: str | None = None,
    repeats: int = 5,
    knob_images: int = 24_000,
    echo=print,
) -> dict[str, Any]:
    """Measures the knobs, the kernels and the harness overhead; writes perf.json and perf.md."""
    mnist = load_mnist(data_dir)
    x = preprocess(mnist.x_train[:knob_images])
    y = mnist.y_train[:knob_images]
    echo(
        f"knob ablation: {', '.join(KNOB_ARCHS)} ({STYLE}), {knob_images} images, {repeats} rounds"
    )
    gpu = bool(tf.config.list_physical_devices("GPU"))
    skip = skipped_variants(bool(environment.get("cpu_native_bf16")), gpu)
    for name, reason in skip.items():
        echo(f"  skipping {name}: {reason}")
    knobs = measure_knobs(
        x, y, repeats=repeats, epochs=2, batch_size=BATCH_SIZE, echo=echo, skip=skip
    )
    echo(f"kernels of one training step, batch {BATCH_SIZE}")
    keras.backend.clear_session()
    kernels = time_kernels(build_model(ARCH, STYLE, seed=SEED), BATCH_SIZE)
    echo(f"harness overhead: {settings.epochs} epochs on {settings.train_images} images")
    overhead = measure_overhead(mnist, settings, repeats=repeats, echo=echo)
    results = {
        "created_at": now_utc(),
        "environment": environment,
        "peak_matmul_gflops": peak["peak_matmul_gflops"],  # median probe
        "peak_matmul_gflops_best": peak["peak_matmul_gflops_best"],
        "time_margin_percent": DEFAULT_TIME_MARGIN,
        "skipped_variants": skip,
        "train_flops_per_image": {
            arch: get_architecture(arch).spec.train_flops_per_image() for arch in KNOB_ARCHS
        },
        "knob_images": knob_images,
        "batch_size": BATCH_SIZE,
        "knobs": {
            arch: {
                v.name: {
                    "knob": v.knob,
                    "steady_epoch_seconds": found.epoch_seconds[v.name],
                    "weights_sha256": sorted(found.weights[v.name]),
                }
                for v in VARIANTS
                if v.name in found.epoch_seconds
            }
            for arch, found in knobs.items()
        },
        "kernels": [{**dataclasses.asdict(t.kernel), "seconds": t.seconds} for t in kernels],
        "overhead_settings": settings.key(),
        "overhead": overhead,
    }
    write_json(out / "perf.json", results)
    write_atomic(out / "perf.md", perf_markdown(results).encode())
    return results
