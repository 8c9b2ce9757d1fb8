"""`python -m bench perf`: which training knobs make the default fast, what limits the speed,
and what the harness costs.

Everything here runs in one process, interleaved over repeats, so the ratios compare like with
like on a noisy machine. Writes `perf.json` (raw timings) and `perf.md` (the tables).
"""

from __future__ import annotations

import dataclasses
import datetime
import math
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

from bench.atomic import write_atomic
from bench.config import COMMON_DEFAULTS, DEFAULT_TIME_MARGIN, RunSpec, TrainSettings
from bench.data import load_mnist, preprocess
from bench.environment import provenance_lines
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
from bench.stats import compare_log_ratios, describe, verdict_words
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
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
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


def perf_markdown(results: dict[str, Any]) -> str:
    """The ablation, kernel and overhead tables, from perf.json's data."""
    env = results["environment"] or {}
    flops = results["train_flops_per_image"]
    costs = " and ".join(
        f"the {arch.upper()} {f / 1e6:.2f} MFLOP per training image" for arch, f in flops.items()
    )
    skipped = results.get("skipped_variants") or {}
    return "\n".join(
        [
            "# Training speed: knobs, kernels and harness overhead",
            "",
            *provenance_lines(env.get("git")),
            "Generated by `python -m bench perf`; do not edit by hand.",
            "",
            f"Machine: {env.get('cpu_model')}, {env.get('cpu_cores')} cores; TensorFlow "
            f"{env.get('tensorflow')}. float32 matmul peak ({PROBE_REPEATS} products of "
            f"{PROBE_SIZE}² matrices through TensorFlow): **{_peak(results):.1f} GFLOP/s** "
            f"median, {_peak(results, best=True):.1f} best. Costs: {costs} (forward, "
            "weight and input gradients; conv and dense layers only).",
            "",
            *(f"Not measured here: {name}, because {why}." for name, why in skipped.items()),
            *([""] if skipped else []),
            *(line for arch in results["knobs"] for line in _knob_section(results, arch)),
            *_kernel_section(results),
            *_overhead_section(results),
        ]
    )


def _peak(results: dict[str, Any], best: bool = False) -> float:
    # perf.json before the median/best split held the best probe under the plain name
    if best:
        return results.get("peak_matmul_gflops_best", results["peak_matmul_gflops"])
    return results["peak_matmul_gflops"]


def _margin(results: dict[str, Any]) -> float:
    return results.get("time_margin_percent", DEFAULT_TIME_MARGIN)


def _knob_section(results: dict[str, Any], arch: str) -> list[str]:
    knobs = results["knobs"][arch]
    base = knobs[VARIANTS[0].name]
    images, flops = results["knob_images"], results["train_flops_per_image"][arch]
    peak, best_peak, margin = _peak(results), _peak(results, best=True), _margin(results)
    rows = [
        "| variant | what differs | median s/epoch | best | speed-up vs plain (95 % CI) "
        "| verdict | GFLOP/s (median) | % of peak (median vs median) | % of peak (best vs best) "
        "| same weights as plain |",
        "|:--|:--|--:|--:|--:|:--|--:|--:|--:|:--|",
    ]
    unstable = []
    # In VARIANTS' order, which the text relies on; perf.json stores the keys sorted.
    for name, entry in ((v.name, knobs[v.name]) for v in VARIANTS if v.name in knobs):
        seconds = entry["steady_epoch_seconds"]
        if describe(seconds).unstable:
            unstable.append(name)
        gflops = flops * images / statistics.median(seconds) / 1e9
        best_gflops = flops * images / min(seconds) / 1e9
        # plain must itself give one digest over all rounds for "same" to mean anything
        same = (
            entry["weights_sha256"] == base["weights_sha256"] and len(base["weights_sha256"]) == 1
        )
        if entry is base:
            speedup, verdict = "1 (reference)", ""
        else:
            # Paired by round: both trained minutes apart, so slow spells of the machine cancel.
            c = compare_log_ratios(
                name,
                [math.log(b / v) for b, v in zip(base["steady_epoch_seconds"], seconds,
                                                 strict=True)],
                margin,
            )  # fmt: skip
            speedup = f"{c.estimate:.3f}× [{_fmt(c.ci95_low)}, {_fmt(c.ci95_high)}]"
            verdict = verdict_words(c, "faster", "slower")
        rows.append(
            f"| {name} | {entry['knob']} | {statistics.median(seconds):.2f} | {min(seconds):.2f} "
            f"| {speedup} | {verdict} | {gflops:.1f} | {100 * gflops / peak:.1f} % "
            f"| {100 * best_gflops / best_peak:.1f} % | {'yes' if same else 'no'} |"
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
        "shuffled order. The speed-up is the geometric mean over rounds of plain's time over "
        "the variant's in the same round, with its 95 % interval, judged by the project's "
        f'verdict rules (README, "How verdicts are made") with a ±{margin:g} % margin. A knob '
        "is worth keeping when it is faster and leaves the trained weights bitwise the same. "
        "Efficiency compares like with like: the median epoch against the median matmul probe, "
        "the best epoch against the best probe. Rows that change the math (mixed_bfloat16, XLA) "
        "are here for reference; their FLOP rate is set against the float32 peak.",
        "",
        *rows,
        "",
        *notes,
        *([""] if notes else []),
    ]


def _kernel_section(results: dict[str, Any]) -> list[str]:
    best_peak, batch = _peak(results, best=True), results["batch_size"]
    kernels = results["kernels"]
    rows = [
        "| layer | kernel | shape | ms per batch (best) | GFLOP/s | % of peak (best vs best) |",
        "|:--|:--|:--|--:|--:|--:|",
    ]
    for k in kernels:
        gflops = k["flops"] / k["seconds"] / 1e9
        rows.append(
            f"| {k['layer']} | {k['kind']} | {k['shape']} | {1000 * k['seconds']:.2f} "
            f"| {gflops:.1f} | {100 * gflops / best_peak:.1f} % |"
        )
    kernel_seconds = sum(k["seconds"] for k in kernels)
    kernel_gflops = sum(k["flops"] for k in kernels) / kernel_seconds / 1e9
    rows.append(
        f"| **all** | | | **{1000 * kernel_seconds:.2f}** | **{kernel_gflops:.1f}** "
        f"| **{100 * kernel_gflops / best_peak:.1f} %** |"
    )
    steps = -(-results["knob_images"] // batch)
    knobs = results["knobs"][ARCH]
    plain = knobs[VARIANTS[0].name]["weights_sha256"]
    same_math = [
        v.name  # in VARIANTS' order, so that a tie goes to the first
        for v in VARIANTS
        if v.name in knobs and knobs[v.name]["weights_sha256"] == plain  # the kernels' math
    ]
    fastest = min(same_math, key=lambda n: statistics.median(knobs[n]["steady_epoch_seconds"]))
    seconds = knobs[fastest]["steady_epoch_seconds"]
    flops = results["train_flops_per_image"][ARCH] * batch
    median_step, best_step = statistics.median(seconds) / steps, min(seconds) / steps
    median_share = 100 * flops / median_step / 1e9 / _peak(results)
    best_share = 100 * flops / best_step / 1e9 / best_peak
    other = best_step - kernel_seconds
    return [
        f"## What limits the {ARCH}: its step's kernels, timed alone (batch {batch})",
        "",
        "Each conv and dense layer's forward product and its two gradients (the first layer's "
        "input gradient is not needed in training, so not run), timed alone: best of "
        f"{KERNEL_REPEATS} bursts of {KERNEL_CALLS} calls, so set against the best probe.",
        "",
        *rows,
        "",
        f"The fastest variant above with plain's math ({fastest}) takes "
        f"{1000 * median_step:.1f} ms per step at its median epoch, {median_share:.1f} % of peak "
        f"(median against median), and {1000 * best_step:.1f} ms at its best epoch, "
        f"{best_share:.1f} % of peak (best against best). Against the best step, the kernels "
        f"take {1000 * kernel_seconds:.1f} ms ({100 * kernel_seconds / best_step:.0f} %); were "
        f"a step nothing but them, training would run at {100 * kernel_gflops / best_peak:.1f} "
        f"% of peak. The other {1000 * other:.1f} ms per step go to what carries no counted "
        "FLOPs: bias, ReLU and their gradients, max pooling forward and back, dropout's random "
        "mask, the loss, the Adam update and dispatch between them. The gap between the median "
        "and the best epoch is the machine's slow spells, not the model.",
        "",
    ]


def _overhead_section(results: dict[str, Any]) -> list[str]:
    harness, bare = results["overhead"]["harness"], results["overhead"]["bare"]
    per_round = [100 * (h / b - 1) for h, b in zip(harness, bare, strict=True)]
    c = compare_log_ratios(
        "overhead",
        [math.log(h / b) for h, b in zip(harness, bare, strict=True)],
        OVERHEAD_GOAL_PERCENT,
    )
    verdict = verdict_words(c, "slower", "faster")
    interval = (
        "n/a"
        if c.ci95_low is None
        else f"[{100 * (c.ci95_low - 1):+.2f}, {100 * (c.ci95_high - 1):+.2f}] %"
    )
    direct = _callback_lines(results["overhead"])
    return [
        "## Harness overhead",
        "",
        "Training time of a run through the harness (`bench.runner.run_one`: timing "
        "callbacks, NaN guard) against a bare `model.fit` with the same model, data and "
        f"settings, in one process, paired by round ({c.n} rounds, order shuffled "
        "within each).",
        "",
        "| | fit seconds (mean ± stdev) |",
        "|:--|--:|",
        f"| harness | {_mean_sd(harness)} |",
        f"| bare model.fit | {_mean_sd(bare)} |",
        f"| overhead, geometric mean of paired rounds (95 % CI) | {100 * (c.estimate - 1):+.2f} "
        f"% {interval} |",
        f"| rounds | {', '.join(f'{o:+.1f} %' for o in per_round)} |",
        "",
        f"Verdict of the paired fits against a ±{OVERHEAD_GOAL_PERCENT:g} % margin (the "
        f"project's verdict rules): {verdict}.",
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
