"""`python -m bench perf`: which training knobs make the default fast, what limits the speed,
and what the harness costs.

Everything here runs in one process, interleaved over repeats, so the ratios compare like with
like on a noisy machine. Writes `perf.json` (raw timings) and `perf.md` (the tables).
"""

from __future__ import annotations

import dataclasses
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

from bench.config import COMMON_DEFAULTS, RunSpec, TrainSettings
from bench.data import load_mnist, preprocess, write_atomic
from bench.kernels import KERNEL_CALLS, KERNEL_REPEATS, time_kernels
from bench.peak import PROBE_REPEATS, PROBE_SIZE
from bench.records import write_json
from bench.runner import (
    EpochTimer,
    compile_model,
    fit_model,
    harness_callbacks,
    make_optimizer,
    run_one,
    weights_sha256,
)
from bench.stats import Stats, describe
from mnist_models import build_model, get_architecture

ARCH, STYLE, SEED = "cnn", "sequential", 1  # kernels and overhead: the architecture that matters
KNOB_ARCHS = ("cnn", "mlp")  # the MLP's tiny steps show what per-step overhead costs
BATCH_SIZE = 128
OVERHEAD_GOAL_PERCENT = 3.0


@dataclass(frozen=True)
class Variant:
    """One way to train the same model on the same data; `knob` says what differs from plain."""

    name: str
    knob: str
    steps_per_execution: int = 1
    deterministic: bool = True
    pipeline: bool = False
    precision: str = "float32"
    jit_compile: bool = False


VARIANTS = (
    Variant("plain model.fit", "none: model.fit(x, y, batch_size=128), op determinism on"),
    Variant("steps_per_execution=10", "10 train steps per call into TensorFlow", 10),
    Variant("steps_per_execution=50", "50 train steps per call into TensorFlow", 50),
    Variant(
        "tf.data cache+prefetch", "a cached, batched, prefetched tf.data.Dataset", pipeline=True
    ),
    Variant("op determinism off", "TensorFlow op determinism disabled", deterministic=False),
    # Not candidates for the default (they change the math), measured so that the README's
    # advice about them rests on this machine's numbers.
    Variant(
        "mixed_bfloat16",
        "bfloat16 compute, float32 weights (Keras mixed precision); other math",
        precision="mixed_bfloat16",
    ),
    # Keras quietly drops XLA under op determinism, so this one runs without it.
    Variant(
        "jit_compile=True",
        "the train step compiled by XLA, op determinism off",
        deterministic=False,
        jit_compile=True,
    ),
)


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


def measure_knobs(
    x, y, *, repeats: int, epochs: int, batch_size: int, echo
) -> dict[str, Measurements]:
    """Trains every arch in every variant `repeats` times, in a fresh random order each round."""
    found = {arch: Measurements() for arch in KNOB_ARCHS}
    rng = random.Random(0)
    for round_ in range(1, repeats + 1):
        order = [(arch, variant) for arch in KNOB_ARCHS for variant in VARIANTS]
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
        for scope in ("train", "epoch", "test", "predict", "train_batch", "test_batch",
                      "predict_batch")
        for event in ("_begin", "_end")
    )  # fmt: skip

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
    peak_gflops: float,
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
    knobs = measure_knobs(x, y, repeats=repeats, epochs=2, batch_size=BATCH_SIZE, echo=echo)
    echo(f"kernels of one training step, batch {BATCH_SIZE}")
    keras.backend.clear_session()
    kernels = time_kernels(build_model(ARCH, STYLE, seed=SEED), BATCH_SIZE)
    echo(f"harness overhead: {settings.epochs} epochs on {settings.train_images} images")
    overhead = measure_overhead(mnist, settings, repeats=repeats, echo=echo)
    results = {
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "environment": environment,
        "peak_matmul_gflops": peak_gflops,
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


def perf_markdown(results: dict[str, Any]) -> str:
    """The ablation, kernel and overhead tables, from perf.json's data."""
    env = results["environment"] or {}
    peak, flops = results["peak_matmul_gflops"], results["train_flops_per_image"]
    costs = " and ".join(
        f"the {arch.upper()} {f / 1e6:.2f} MFLOP per training image" for arch, f in flops.items()
    )
    return "\n".join(
        [
            "# Training speed: knobs, kernels and harness overhead",
            "",
            "Generated by `python -m bench perf`; do not edit by hand.",
            "",
            f"Machine: {env.get('cpu_model')}, {env.get('cpu_cores')} cores; TensorFlow "
            f"{env.get('tensorflow')}. float32 matmul peak (best of {PROBE_REPEATS} products of "
            f"{PROBE_SIZE}² "
            f"matrices through TensorFlow): **{peak:.1f} GFLOP/s**. Costs: {costs} (forward, "
            "weight and input gradients; conv and dense layers only).",
            "",
            *(line for arch in results["knobs"] for line in _knob_section(results, arch)),
            *_kernel_section(results),
            *_overhead_section(results),
        ]
    )


def _knob_section(results: dict[str, Any], arch: str) -> list[str]:
    knobs = results["knobs"][arch]
    base = knobs[VARIANTS[0].name]
    images, flops = results["knob_images"], results["train_flops_per_image"][arch]
    peak = results["peak_matmul_gflops"]
    rows = [
        "| variant | what differs | median s/epoch | best | speed-up vs plain (95 % CI) "
        "| verdict | GFLOP/s (median) | % of peak | same weights as plain |",
        "|:--|:--|--:|--:|--:|:--|--:|--:|:--|",
    ]
    unstable = []
    # In VARIANTS' order, which the text relies on; perf.json stores the keys sorted.
    for name, entry in ((v.name, knobs[v.name]) for v in VARIANTS):
        seconds = entry["steady_epoch_seconds"]
        if describe(seconds).unstable:
            unstable.append(name)
        gflops = flops * images / statistics.median(seconds) / 1e9
        # plain must itself give one digest over all rounds for "same" to mean anything
        same = (
            entry["weights_sha256"] == base["weights_sha256"] and len(base["weights_sha256"]) == 1
        )
        if entry is base:
            speedup, verdict = "1 (reference)", ""
        else:
            # Paired by round: both trained minutes apart, so slow spells of the machine cancel.
            ratios = describe(
                [b / s for b, s in zip(base["steady_epoch_seconds"], seconds, strict=True)]
            )
            speedup = f"{ratios.mean:.3f}× [{_fmt(ratios.ci95_low)}, {_fmt(ratios.ci95_high)}]"
            verdict = _speed_verdict(ratios)
        rows.append(
            f"| {name} | {entry['knob']} | {statistics.median(seconds):.2f} | {min(seconds):.2f} "
            f"| {speedup} | {verdict} | {gflops:.1f} | {100 * gflops / peak:.1f} % "
            f"| {'yes' if same else 'no'} |"
        )
    rounds = len(base["steady_epoch_seconds"])
    notes = (
        [
            f"Unstable timings (stdev over 10 % of the mean): {', '.join(unstable)}; "
            "trust the paired speed-ups over the raw times."
        ]
        if unstable
        else []
    )
    return [
        f"## Knob ablation: {arch}/{STYLE}, seed {SEED}, {images:,} images, "
        f"batch {results['batch_size']}",
        "",
        f"Steady-state epoch time (the second epoch; the first includes tracing) over {rounds} "
        "rounds; each round trains every variant of every architecture once, in a fresh "
        "shuffled order. The "
        "speed-up is the mean over rounds of plain's time over the variant's in the same round, "
        "with a Student-t 95 % interval. A knob is worth keeping when it is faster (interval "
        "above 1) and leaves the trained weights bitwise the same. The last two rows change "
        "the math and are here for reference; their FLOP rate is set against the float32 peak.",
        "",
        *rows,
        "",
        *notes,
        *([""] if notes else []),
    ]


def _speed_verdict(ratios: Stats) -> str:
    if ratios.ci95_low is None or ratios.ci95_high is None:
        return "too few rounds"
    if ratios.ci95_low > 1:
        return "faster"
    if ratios.ci95_high < 1:
        return "slower"
    return "no clear difference"


def _kernel_section(results: dict[str, Any]) -> list[str]:
    peak, batch = results["peak_matmul_gflops"], results["batch_size"]
    kernels = results["kernels"]
    rows = [
        "| layer | kernel | shape | ms per batch | GFLOP/s | % of peak |",
        "|:--|:--|:--|--:|--:|--:|",
    ]
    for k in kernels:
        gflops = k["flops"] / k["seconds"] / 1e9
        rows.append(
            f"| {k['layer']} | {k['kind']} | {k['shape']} | {1000 * k['seconds']:.2f} "
            f"| {gflops:.1f} | {100 * gflops / peak:.1f} % |"
        )
    kernel_seconds = sum(k["seconds"] for k in kernels)
    kernel_gflops = sum(k["flops"] for k in kernels) / kernel_seconds / 1e9
    rows.append(
        f"| **all** | | | **{1000 * kernel_seconds:.2f}** | **{kernel_gflops:.1f}** "
        f"| **{100 * kernel_gflops / peak:.1f} %** |"
    )
    steps = -(-results["knob_images"] // batch)
    knobs = results["knobs"][ARCH]
    plain = knobs[VARIANTS[0].name]["weights_sha256"]
    fastest, epoch = min(
        (
            (v.name, statistics.median(knobs[v.name]["steady_epoch_seconds"]))
            for v in VARIANTS  # on a tie, the first in VARIANTS' order
            if knobs[v.name]["weights_sha256"] == plain  # the same float32 math as the kernels
        ),
        key=lambda item: item[1],
    )
    step = epoch / steps
    achieved = results["train_flops_per_image"][ARCH] * batch / step / 1e9
    return [
        f"## What limits the {ARCH}: its step's kernels, timed alone (batch {batch})",
        "",
        "Each conv and dense layer's forward product and its two gradients (the first layer's "
        "input gradient is not needed in training, so not run), timed alone: best of "
        f"{KERNEL_REPEATS} bursts of {KERNEL_CALLS} calls.",
        "",
        *rows,
        "",
        f"The fastest variant above with plain's math ({fastest}) takes {1000 * step:.1f} ms "
        "per step (median), "
        f"{achieved:.1f} GFLOP/s, {100 * achieved / peak:.1f} % of peak. These kernels take "
        f"{1000 * kernel_seconds:.1f} ms of that ({100 * kernel_seconds / step:.0f} %): were a "
        f"step nothing but them, training would run at {100 * kernel_gflops / peak:.1f} % of "
        f"peak. The other {1000 * (step - kernel_seconds):.1f} ms per step go to what carries "
        "no counted FLOPs: bias, ReLU and their gradients, max pooling forward and back, "
        "dropout's random mask, the loss, the Adam update and dispatch between them.",
        "",
    ]


def _overhead_section(results: dict[str, Any]) -> list[str]:
    harness, bare = results["overhead"]["harness"], results["overhead"]["bare"]
    per_round = [100 * (h / b - 1) for h, b in zip(harness, bare, strict=True)]
    overheads = describe(per_round)
    low, high = overheads.ci95_low, overheads.ci95_high
    if low is None or high is None:
        verdict = "too few rounds to say"
    elif high <= OVERHEAD_GOAL_PERCENT:
        verdict = f"within the {OVERHEAD_GOAL_PERCENT:g} % goal"
    elif low > OVERHEAD_GOAL_PERCENT:
        verdict = f"over the {OVERHEAD_GOAL_PERCENT:g} % goal"
    else:
        verdict = f"not resolved at this noise (the interval straddles {OVERHEAD_GOAL_PERCENT:g} %)"
    direct = _callback_lines(results["overhead"])
    return [
        "## Harness overhead",
        "",
        "Training time of a run through the harness (`bench.runner.run_one`: timing "
        "callbacks, NaN guard) against a bare `model.fit` with the same model, data and "
        f"settings, in one process, paired by round ({overheads.n} rounds, order shuffled "
        "within each).",
        "",
        "| | fit seconds (mean ± stdev) |",
        "|:--|--:|",
        f"| harness | {_mean_sd(harness)} |",
        f"| bare model.fit | {_mean_sd(bare)} |",
        f"| overhead, mean of paired rounds (95 % CI) | {overheads.mean:+.2f} % "
        f"[{_fmt(low, '+.2f')}, {_fmt(high, '+.2f')}] % |",
        f"| rounds | {', '.join(f'{o:+.1f} %' for o in per_round)} |",
        "",
        f"Verdict of the paired fits: {verdict}.",
        "",
        *direct,
    ]


def _callback_lines(overhead: dict[str, list[float]]) -> list[str]:
    shares = [
        100 * c / f
        for c, f in zip(overhead["callback_seconds"], overhead["timed_fit"], strict=True)
    ]
    if not shares:
        return []
    within = max(shares) <= OVERHEAD_GOAL_PERCENT
    return [
        "Measured from inside instead: the wall time spent in the harness's callbacks "
        "(`bench.runner.harness_callbacks`: epoch timer and NaN guard, each hook timed) was "
        f"{1000 * statistics.fmean(overhead['callback_seconds']):.1f} ms per fit on average, "
        f"{statistics.fmean(shares):.3f} % of the fit (largest {max(shares):.3f} %, "
        f"{len(shares)} fits): {'within' if within else 'over'} the "
        f"{OVERHEAD_GOAL_PERCENT:g} % goal. Everything else a harness run does (building, "
        "compiling, the test set, the speed and size measurements) happens outside `fit` and "
        "is not counted as training time.",
        "",
    ]


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def _mean_sd(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.2f} ± {sd:.2f}"
