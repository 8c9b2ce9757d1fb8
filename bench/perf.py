"""`python -m bench perf`: which training knobs make the default fast, and what the harness costs.

Everything here runs in one process, interleaved over repeats, so the ratios compare like with
like on a noisy machine. Writes `perf.json` (raw timings) and `perf.md` (the ablation table).
"""

from __future__ import annotations

import datetime
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

from bench.config import RunSpec, TrainSettings
from bench.data import load_mnist, preprocess, write_atomic
from bench.records import write_json
from bench.runner import PREDICT_BATCH, EpochTimer, make_optimizer, run_one, weights_sha256
from mnist_models import build_model, get_architecture

ARCH, STYLE, SEED = "cnn", "sequential", 1


@dataclass(frozen=True)
class Variant:
    """One way to train the same model on the same data; `knob` says what differs from plain."""

    name: str
    knob: str
    steps_per_execution: int = 1
    deterministic: bool = True
    pipeline: bool = False


VARIANTS = (
    Variant("plain model.fit", "none: model.fit(x, y, batch_size=128), op determinism on"),
    Variant("steps_per_execution=10", "10 train steps per call into TensorFlow", 10),
    Variant("steps_per_execution=50", "50 train steps per call into TensorFlow", 50),
    Variant(
        "tf.data cache+prefetch", "a cached, batched, prefetched tf.data.Dataset", pipeline=True
    ),
    Variant("op determinism off", "TensorFlow op determinism disabled", deterministic=False),
)


@dataclass
class Measurements:
    epoch_seconds: dict[str, list[float]] = field(default_factory=dict)
    weights: dict[str, set[str]] = field(default_factory=dict)


def _train(variant: Variant, x, y, batch_size: int, epochs: int) -> tuple[list[float], str]:
    if variant.deterministic:
        tf.config.experimental.enable_op_determinism()
    else:
        tf_config.disable_op_determinism()
    keras.backend.clear_session()
    model = build_model(ARCH, STYLE, seed=SEED)
    steps = -(-len(x) // batch_size)
    model.compile(
        optimizer=make_optimizer(4e-3, steps * epochs),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=variant.steps_per_execution,
    )
    timer = EpochTimer(None)
    if variant.pipeline:
        data = tf.data.Dataset.from_tensor_slices((x, y)).cache()
        data = data.shuffle(len(x), seed=SEED).batch(batch_size).prefetch(tf.data.AUTOTUNE)
        model.fit(data, epochs=epochs, callbacks=[timer], verbose=0)
    else:
        model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=[timer], verbose=0)
    return timer.epoch_seconds, weights_sha256(model)


def measure_knobs(x, y, *, repeats: int, epochs: int, batch_size: int, echo) -> Measurements:
    """Trains every variant `repeats` times, in a fresh random order each round."""
    found = Measurements()
    rng = random.Random(0)
    for round_ in range(1, repeats + 1):
        order = list(VARIANTS)
        rng.shuffle(order)
        for variant in order:
            seconds, digest = _train(variant, x, y, batch_size, epochs)
            steady = statistics.median(seconds[1:])
            found.epoch_seconds.setdefault(variant.name, []).append(steady)
            found.weights.setdefault(variant.name, set()).add(digest)
            echo(f"  round {round_}/{repeats} {variant.name}: {steady:.2f} s/epoch")
    tf.config.experimental.enable_op_determinism()
    return found


def measure_overhead(mnist, settings: TrainSettings, *, repeats: int, echo) -> dict[str, list]:
    """The harness's fit against a bare `model.fit` with the same model, data and settings."""
    x = preprocess(mnist.x_train[: settings.train_images])
    y = mnist.y_train[: settings.train_images]
    fit_images = int(len(x) * (1 - settings.validation_split))
    steps = -(-fit_images // settings.batch_size) * settings.epochs
    spec = RunSpec(ARCH, STYLE, SEED, settings)
    timings: dict[str, list[float]] = {"harness": [], "bare": []}

    def bare() -> float:
        keras.backend.clear_session()
        model = build_model(ARCH, STYLE, seed=SEED)
        model.compile(
            optimizer=make_optimizer(settings.learning_rate, steps),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            steps_per_execution=settings.steps_per_execution,
        )
        start = time.perf_counter()
        model.fit(
            x,
            y,
            batch_size=settings.batch_size,
            epochs=settings.epochs,
            validation_split=settings.validation_split,
            validation_batch_size=PREDICT_BATCH,
            verbose=0,
        )
        return time.perf_counter() - start

    runs: dict[str, Callable[[], float]] = {
        "harness": lambda: run_one(spec, mnist).train_seconds,
        "bare": bare,
    }
    for round_ in range(1, repeats + 1):
        for name in random.Random(round_).sample(list(runs), 2):
            timings[name].append(runs[name]())
            echo(f"  round {round_}/{repeats} {name} fit: {timings[name][-1]:.2f} s")
    return timings


def run_perf(
    out: Path,
    *,
    peak_gflops: float,
    environment: dict[str, Any],
    settings: TrainSettings,
    data_dir: str | None = None,
    repeats: int = 5,
    knob_images: int = 24_000,
    echo=print,
) -> dict[str, Any]:
    """Measures the knobs and the harness overhead; writes perf.json and perf.md in `out`."""
    mnist = load_mnist(data_dir)
    x = preprocess(mnist.x_train[:knob_images])
    y = mnist.y_train[:knob_images]
    echo(f"knob ablation: {ARCH}/{STYLE}, {knob_images} images, {repeats} rounds")
    knobs = measure_knobs(x, y, repeats=repeats, epochs=2, batch_size=128, echo=echo)
    echo(f"harness overhead: {settings.epochs} epochs on {settings.train_images} images")
    overhead = measure_overhead(mnist, settings, repeats=repeats, echo=echo)
    flops = get_architecture(ARCH).spec.train_flops_per_image()
    results = {
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "environment": environment,
        "peak_matmul_gflops": peak_gflops,
        "train_flops_per_image": flops,
        "knob_images": knob_images,
        "knobs": {
            v.name: {
                "knob": v.knob,
                "steady_epoch_seconds": knobs.epoch_seconds[v.name],
                "weights_sha256": sorted(knobs.weights[v.name]),
            }
            for v in VARIANTS
        },
        "overhead_settings": settings.key(),
        "overhead": overhead,
    }
    write_json(out / "perf.json", results)
    write_atomic(out / "perf.md", perf_markdown(results).encode())
    return results


def perf_markdown(results: dict[str, Any]) -> str:
    """The ablation and overhead tables, from perf.json's data."""
    knobs = results["knobs"]
    base_name = VARIANTS[0].name
    base = knobs[base_name]["steady_epoch_seconds"]
    base_weights = knobs[base_name]["weights_sha256"]
    images, flops = results["knob_images"], results["train_flops_per_image"]
    peak = results["peak_matmul_gflops"]
    rows = [
        "| variant | what differs | best s/epoch | median | mean ± stdev "
        "| speed-up vs plain, best (median) | GFLOP/s at best | % of matmul peak "
        "| same weights as plain |",
        "|:--|:--|--:|--:|--:|--:|--:|--:|:--|",
    ]
    for name, entry in knobs.items():
        seconds = entry["steady_epoch_seconds"]
        gflops = flops * images / min(seconds) / 1e9
        same = entry["weights_sha256"] == base_weights and len(base_weights) == 1
        rows.append(
            f"| {name} | {entry['knob']} | {min(seconds):.2f} | {statistics.median(seconds):.2f} "
            f"| {_mean_sd(seconds)} | {min(base) / min(seconds):.3f}× "
            f"({statistics.median(base) / statistics.median(seconds):.3f}×) "
            f"| {gflops:.1f} | {100 * gflops / peak:.1f} % | {'yes' if same else 'no'} |"
        )
    harness, bare = results["overhead"]["harness"], results["overhead"]["bare"]
    overheads = [100 * (h / b - 1) for h, b in zip(harness, bare, strict=True)]
    env = results["environment"] or {}
    return "\n".join(
        [
            "# Training speed: knobs and harness overhead",
            "",
            "Generated by `python -m bench perf`; do not edit by hand.",
            "",
            f"Machine: {env.get('cpu_model')}, {env.get('cpu_cores')} cores; TensorFlow "
            f"{env.get('tensorflow')}. float32 matmul peak (best of 7 products of 2048² "
            f"matrices through TensorFlow): **{peak:.1f} GFLOP/s**. The CNN costs "
            f"{flops / 1e6:.2f} MFLOP per training image (forward, weight and input gradients; "
            "conv and dense layers only).",
            "",
            f"## Knob ablation ({ARCH}/{STYLE}, seed {SEED}, {images:,} images, batch 128)",
            "",
            "Steady-state epoch time (the second epoch; the first includes tracing), each "
            f"variant trained {len(base)} times in a shuffled order per round. Epoch times on "
            "this shared machine jump between two levels (about 6 s and 10 s for the same "
            "work, whatever the variant), so the best time says what a variant can do and the "
            "median how it fares in practice. A knob is worth keeping when it is faster and "
            "leaves the trained weights bitwise the same.",
            "",
            *rows,
            "",
            "## Harness overhead",
            "",
            "Training time of a run through the harness (`bench.runner.run_one`: timing "
            "callbacks, NaN guard) against a bare `model.fit` with the same model, data and "
            "settings, alternating in one process.",
            "",
            "| | fit seconds (mean ± stdev) |",
            "|:--|--:|",
            f"| harness | {_mean_sd(harness)} |",
            f"| bare model.fit | {_mean_sd(bare)} |",
            f"| overhead | {statistics.fmean(overheads):+.2f} % "
            f"(rounds: {', '.join(f'{o:+.1f} %' for o in overheads)}) |",
            "",
        ]
    )


def _mean_sd(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.2f} ± {sd:.2f}"
