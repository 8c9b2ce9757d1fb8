"""The one-time phase: what each style costs once per model, timed in pairs within a process.

In every cycle each style is built afresh from one seed, compiled, trained one step, asked one
prediction, saved to a `.keras` file and loaded back, in an order balanced over cycles and
processes. Ratios to the reference style are taken within a cycle, so a slow spell of the
machine falls on every style of the cycle alike. Runs inside a worker process.

What may carry from cycle to cycle inside a process, and why it is allowed to:
- `keras.backend.clear_session()` starts every cycle: Keras' global state, layer name counters
  and, on TensorFlow, the default graph and its function caches go; each build is a first.
- A warm-up cycle, not recorded, pays what a process pays once whatever the style (lazy
  imports, the framework's first kernels, the allocator's first pages), so that no style's
  first cycle carries it. The framework's memory stays allocated between cycles, as it would
  in any program that builds a second model; the drift test on cycle index (the report's
  "one-time drift") checks that later cycles behave like earlier ones.
"""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import keras

from bench.plan.specs import ONE_TIME_MEASURES, OneTimeSpec
from bench.store.records import OneTimeRecord, one_time_spec_fields
from bench.worker.data import MnistData, load_mnist, preprocess
from bench.worker.measure import JobClock
from bench.worker.runner import (
    PREDICT_BATCH,
    compile_model,
    device_name,
    epoch_size,
    prepare_backend,
)
from mnist_models import build_model

Builder = Callable[[], keras.Model]


def one_cycle(build: Builder, compile_fn: Callable[[keras.Model], None], batch, predict_batch,
              path: Path) -> tuple[dict[str, float], tuple[str, str] | None]:  # fmt: skip
    """Times one style's one-time work in order; stops at the first step that fails.

    Returns:
        (seconds by measure for the steps that ran, (measure, reason) of the one that failed).
    """
    x, y = batch
    model = None
    steps = {
        "build": lambda: build(),
        "compile": lambda: compile_fn(model),
        "first_train_step": lambda: model.train_on_batch(x, y),
        "first_predict": lambda: model.predict_on_batch(predict_batch),
        "save": lambda: model.save(path),
        "load": lambda: keras.saving.load_model(path),
    }
    seconds = {}
    # As timeit does: a collection pauses whichever style crosses the collector's threshold, by
    # chance, so a style's steps run after one collection with the collector off (a full
    # collection before every step would cost more than the steps).
    gc.collect()
    gc.disable()
    try:
        for measure in ONE_TIME_MEASURES:
            start = time.perf_counter()
            try:
                result = steps[measure]()
            except Exception as e:  # a style that cannot do this step is a finding, not a crash
                return seconds, (measure, f"{type(e).__name__}: {e}"[:300])
            seconds[measure] = time.perf_counter() - start
            if measure == "build":
                model = result
    finally:
        gc.enable()
    return seconds, None


Seconds = dict[str, dict[str, list[float]]]  # [measure][name]: one time per recorded cycle


def time_cycles(builders: Mapping[str, Builder], compile_fn: Callable[[keras.Model], None],
                batch, predict_batch, orders: Sequence[Sequence[str]]
                ) -> tuple[Seconds, dict[str, dict[str, str]]]:  # fmt: skip
    """Runs a cycle per order (the first a warm-up, not recorded) over every builder.

    Returns:
        (seconds[measure][name], one time per recorded cycle; failures[name][measure], why).
        A measure that failed for a name in any cycle keeps no times for that name, and the
        steps after it (which need it) are marked as not reached.
    """
    names = list(builders)
    seconds = {m: {n: [] for n in names} for m in ONE_TIME_MEASURES}
    failures: dict[str, dict[str, str]] = {}
    # What exists before the first cycle (the framework, the data) is never garbage: frozen out
    # of the collector's reach, so that the collection before each style scans only what the
    # cycles made.
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory(prefix="bench-one-time-") as tmp:
        for cycle, order in enumerate(orders):
            keras.backend.clear_session()
            for name in order:
                path = Path(tmp) / f"{name}-{cycle}.keras"
                timed, failed = one_cycle(builders[name], compile_fn, batch, predict_batch, path)
                path.unlink(missing_ok=True)
                if failed:
                    measure, reason = failed
                    later = ONE_TIME_MEASURES[ONE_TIME_MEASURES.index(measure) + 1 :]
                    failures.setdefault(name, {}).setdefault(measure, reason)
                    for after in later:
                        failures[name].setdefault(after, f"not reached: {measure} failed")
                if cycle > 0:
                    for measure, value in timed.items():
                        seconds[measure][name].append(value)
    gc.unfreeze()
    for name, failed in failures.items():
        for measure in failed:
            seconds[measure][name] = []
    return seconds, failures


def run_one_time(spec: OneTimeSpec, mnist: MnistData | None = None) -> OneTimeRecord:
    """Times what every style of `spec.arch` costs once, cycle by cycle, in this process."""
    clock = JobClock()
    s = spec.settings
    seconds, failures = {}, {}
    orders = spec.build_orders()
    try:
        mnist = mnist or load_mnist(spec.data_dir)
        prepare_backend(s)
        batch = (preprocess(mnist.x_train[: s.batch_size]), mnist.y_train[: s.batch_size])
        predict_batch = preprocess(mnist.x_test[:PREDICT_BATCH])
        builders = {
            style: (lambda style=style: build_model(spec.arch, style, seed=spec.seed))
            for style in spec.styles
        }
        steps_per_epoch = epoch_size(s)[1]
        seconds, failures = time_cycles(
            builders, lambda model: compile_model(model, s, steps_per_epoch), batch,
            predict_batch, orders,
        )  # fmt: skip
    except Exception as e:  # recorded, so that the sweep and the report go on
        clock.failed(e)
    return OneTimeRecord(
        **one_time_spec_fields(spec),
        seconds=seconds,
        build_orders=[list(order) for order in orders[1:]],
        failures=failures,
        predict_batch=PREDICT_BATCH,
        **clock.fields(device_name()),
    )
