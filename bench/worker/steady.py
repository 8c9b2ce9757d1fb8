"""The paired timing phase: every style of one architecture in one process, timed in rounds of
short bursts in a fresh order, so a slow spell hits every style of a round alike and the ratios
cancel it. Several instances per style average out the few per cent between two instances."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np

from bench.plan.specs import STEADY_MEASURES, SteadySpec
from bench.store.mnist import MnistData, preprocess
from bench.store.records import SteadyRecord, paired_spec_fields
from bench.worker.data import loss_of, model_data
from bench.worker.measure import JobClock, RetracedError, TraceCounter, trace_counter
from bench.worker.runner import (
    PREDICT_BATCH,
    compile_model,
    device_name,
    effective_jit_compile,
    epoch_size,
    prepare_backend,
)
from mnist_models import build_model

WARMUP_BURSTS = 2  # the first traces; the second runs what every timed burst will run
CALIBRATION_CALLS = 5
MAX_CALLS_PER_BURST = 1000
TRAIN_BATCHES = 8  # distinct batches a train burst cycles through

Call = Callable[[], object]


def single_calls(
    model: keras.Model,
    train_batches: list[tuple[np.ndarray, np.ndarray]],
    predict_batch: np.ndarray,
) -> dict[str, Callable[[int], object]]:
    """Each measure's call by its position in a burst: `train_on_batch` (`fit`'s compiled step),
    and `predict_on_batch` on 1,024 and on 1 image."""
    one = predict_batch[:1]

    def train(i: int):
        x, y = train_batches[i % len(train_batches)]
        return model.train_on_batch(x, y)

    return {
        "train_step": train,
        "predict": lambda i: model.predict_on_batch(predict_batch),
        "latency": lambda i: model.predict_on_batch(one),
    }


def calls_per_burst(call: Callable[[int], object], burst_seconds: float) -> int:
    """How many calls make a burst of about `burst_seconds`, from the median of a few calls."""
    seconds = []
    for i in range(CALIBRATION_CALLS):
        start = time.perf_counter()
        call(i)
        seconds.append(time.perf_counter() - start)
    return max(1, min(MAX_CALLS_PER_BURST, round(burst_seconds / statistics.median(seconds))))


def as_burst(call: Callable[[int], object], calls: int) -> Call:
    def burst():
        for i in range(calls):
            call(i)

    return burst


def time_bursts(
    bursts: Mapping[str, Mapping[str, Call]],
    *,
    rounds: int,
    order_seed: int,
    counters: Mapping[str, TraceCounter] | None = None,
) -> dict[str, dict[str, list[float]]]:
    """seconds[measure][name], one burst per round: every burst warmed up, then each measure
    visits the names in a fresh order each round; raises RetracedError on a retrace."""
    names = list(bursts)
    measures = [m for m in STEADY_MEASURES if m in bursts[names[0]]]
    for name in names:
        for measure in measures:
            for _ in range(WARMUP_BURSTS):
                bursts[name][measure]()
    before = {name: c.total() for name, c in (counters or {}).items()}
    rng = random.Random(order_seed)
    seconds: dict[str, dict[str, list[float]]] = {m: {n: [] for n in names} for m in measures}
    for _ in range(rounds):
        for measure in measures:
            order = names[:]
            rng.shuffle(order)
            for name in order:
                start = time.perf_counter()
                bursts[name][measure]()
                seconds[measure][name].append(time.perf_counter() - start)
    for name, counter in (counters or {}).items():
        if counter.total() != before[name]:
            raise RetracedError(f"{name}: a timed burst traced the model's step function again")
    return seconds


def time_models(
    models: Mapping[str, keras.Model],
    train_batches,
    predict_batch,
    *,
    reference: str,
    rounds: int,
    order_seed: int,
    burst_seconds: float,
    measures: Sequence[str] = STEADY_MEASURES,
) -> tuple[dict[str, int], dict[str, dict[str, list[float]]]]:
    """Times compiled `models` in `measures`, bursts sized on the reference: (calls, seconds)."""
    counters = {name: trace_counter(model) for name, model in models.items()}
    counters = {name: c for name, c in counters.items() if c is not None}
    calls = {name: single_calls(m, train_batches, predict_batch) for name, m in models.items()}
    for name in models:  # trace everything before calibrating: compilation is not a call's time
        for measure in measures:
            calls[name][measure](0)
    steps = {m: calls_per_burst(calls[reference][m], burst_seconds) for m in measures}
    bursts = {name: {m: as_burst(calls[name][m], steps[m]) for m in measures} for name in models}
    seconds = time_bursts(bursts, rounds=rounds, order_seed=order_seed, counters=counters)
    return steps, seconds


def summed(by_instance: Mapping[str, list[float]], style: str, instances: int) -> list[float]:
    """A style's time in each round: the sum of its instances' bursts in that round."""
    bursts = [by_instance[instance_name(style, i)] for i in range(instances)]
    return [sum(times) for times in zip(*bursts, strict=True)]


def instance_name(style: str, instance: int) -> str:
    """The name of a style's instance in a process: the style itself for the first."""
    return style if instance == 0 else f"{style}#{instance}"


def run_steady(spec: SteadySpec, mnist: MnistData | None = None) -> SteadyRecord:
    """Builds every style of `spec.arch` from one seed, compiles each alike, and times them."""
    clock = JobClock()
    s = spec.settings
    steps, seconds = {}, {}
    build_order: list[str] = []
    jit_compile = None
    try:
        mnist = mnist or model_data(
            spec.arch, spec.data_dir, s.batch_size * TRAIN_BATCHES, PREDICT_BATCH
        )
        prepare_backend(s)
        x = preprocess(mnist.x_train[: s.batch_size * TRAIN_BATCHES])
        y = mnist.y_train[: s.batch_size * TRAIN_BATCHES]
        train_batches = [
            (x[i : i + s.batch_size], y[i : i + s.batch_size])
            for i in range(0, len(x), s.batch_size)
        ]
        build_order = list(spec.styles_in_build_order)
        models = {}
        for style, instance in spec.instances_in_build_order():
            # The same seed for each: identical initial weights, so the styles train alike.
            model = build_model(spec.arch, style, seed=spec.seed)
            models[instance_name(style, instance)] = model
            compile_model(model, s, epoch_size(s)[1], loss_of(spec.arch))  # the runs' recipe
        jit_compile = all(effective_jit_compile(m, s) for m in models.values())
        steps, per_instance = time_models(
            models,
            train_batches,
            preprocess(mnist.x_test[:PREDICT_BATCH]),
            reference=instance_name(spec.reference, 0),
            rounds=spec.rounds,
            order_seed=spec.order_seed,
            burst_seconds=spec.burst_seconds,
            measures=spec.measures,
        )
        seconds = {
            measure: {style: summed(by_instance, style, spec.instances) for style in spec.styles}
            for measure, by_instance in per_instance.items()
        }
    except Exception as e:  # recorded, so that the sweep and the report go on
        clock.failed(e)
    return SteadyRecord(
        **paired_spec_fields(spec),
        steps_per_burst=steps,
        seconds=seconds,
        predict_batch=PREDICT_BATCH,
        jit_compile=jit_compile,
        build_order=build_order,
        **clock.fields(device_name()),
    )
