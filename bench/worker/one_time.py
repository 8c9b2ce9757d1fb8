"""The one-time phase: each style's once-per-model costs, timed in pairs within a process
(docs/methodology.md, "One-time costs")."""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import keras

from bench.plan.settings import STEADY_BURST_SECONDS
from bench.plan.specs import ONE_TIME_MEASURES, REBUILD_ONCE, OneTimeSpec
from bench.store.mnist import MnistData, preprocess
from bench.store.records import OneTimeRecord, one_time_spec_fields
from bench.worker.counts import call_bounds, count_cycles, largest_differences
from bench.worker.data import loss_of, model_data
from bench.worker.measure import JobClock, peak_rss_bytes, reset_peak_rss
from bench.worker.rebuild_once import load_rebuilding_once
from bench.worker.runner import (
    PREDICT_BATCH,
    compile_model,
    device_name,
    epoch_size,
    prepare_backend,
)
from bench.worker.steady import time_models
from mnist_models import build_model

Builder = Callable[[], keras.Model]
Loader = Callable[[Path], keras.Model]


class Steps:
    """One style's one-time steps, each a call that needs the ones before it (`ONE_TIME_MEASURES`
    order); `model` is what the build made."""

    def __init__(
        self,
        build: Builder,
        compile_fn: Callable[[keras.Model], None],
        batch,
        predict_batch,
        path: Path,
        load: Loader | None = None,
    ):
        x, y = batch
        load = load or keras.saving.load_model
        self.model: keras.Model | None = None
        self.calls = {
            "build": self._build(build),
            "compile": lambda: compile_fn(self.model),
            "first_train_step": lambda: self.model.train_on_batch(x, y),
            "first_predict": lambda: self.model.predict_on_batch(predict_batch),
            "save": lambda: self.model.save(path),
            "load": lambda: load(path),
        }

    def _build(self, build: Builder) -> Callable[[], None]:
        def call():
            self.model = build()

        return call


def one_cycle(steps: Steps) -> tuple[dict[str, float], tuple[str, str] | None]:
    """Times one style's one-time steps in order, to the first that fails: (seconds, failure)."""
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
                steps.calls[measure]()
            except Exception as e:  # a style that cannot do this step is a finding, not a crash
                return seconds, (measure, f"{type(e).__name__}: {e}"[:300])
            seconds[measure] = time.perf_counter() - start
    finally:
        gc.enable()
    return seconds, None


Seconds = dict[str, dict[str, list[float]]]  # [measure][name]: one time per recorded cycle


class Cycles(NamedTuple):
    """What `time_cycles` found: `seconds[measure][name]` and `footprint[quantity][name]`, one
    value per recorded cycle; `failures[name][measure]`, why a step could not be done."""

    seconds: Seconds
    failures: dict[str, dict[str, str]]
    # "peak_rss_growth_bytes": how far the process's peak resident size rose above where it
    # stood when the style's steps began (Linux); "keras_bytes": the style's saved file
    footprint: dict[str, dict[str, list[int]]]
    # the models the last cycle built, compiled and trained a step: what steady rounds time
    models: dict[str, keras.Model]


def time_cycles(
    builders: Mapping[str, Builder],
    compile_fn: Callable[[keras.Model], None],
    batch,
    predict_batch,
    orders: Sequence[Sequence[str]],
    warmup: Mapping[str, Builder] | None = None,
    loaders: Mapping[str, Loader] | None = None,
) -> Cycles:
    """Runs a cycle per order (the first a warm-up on `warmup`'s models, not recorded); a name
    in `loaders` loads its file with that. A failed measure keeps no times, and the steps after
    it are marked not reached."""
    names = list(builders)
    seconds = {m: {n: [] for n in names} for m in ONE_TIME_MEASURES}
    footprint: dict[str, dict[str, list[int]]] = {
        "peak_rss_growth_bytes": {n: [] for n in names},
        "keras_bytes": {n: [] for n in names},
    }
    failures: dict[str, dict[str, str]] = {}
    models = {}
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
                build = (warmup or builders)[name] if cycle == 0 else builders[name]
                steps = Steps(
                    build, compile_fn, batch, predict_batch, path, (loaders or {}).get(name)
                )
                resident = reset_peak_rss()
                timed, failed = one_cycle(steps)
                if cycle > 0 and not failed:
                    if resident is not None:
                        footprint["peak_rss_growth_bytes"][name].append(peak_rss_bytes() - resident)
                    footprint["keras_bytes"][name].append(path.stat().st_size)
                    models[name] = steps.model
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
        for values in footprint.values():
            values[name] = []
        models.pop(name, None)
    return Cycles(
        seconds, failures, {q: v for q, v in footprint.items() if all(v.values())}, models
    )


def step_inputs(spec: OneTimeSpec, mnist: MnistData | None):
    """What every style's one-time steps take, made ready in this process: the training batch,
    the predict batch, and the compile step with the runs' recipe."""
    s = spec.settings
    mnist = mnist or model_data(spec.arch, spec.data_dir, s.batch_size, PREDICT_BATCH)
    prepare_backend(s)
    batch = (preprocess(mnist.x_train[: s.batch_size]), mnist.y_train[: s.batch_size])
    steps_per_epoch = epoch_size(s)[1]
    return (
        batch,
        preprocess(mnist.x_test[:PREDICT_BATCH]),
        lambda model: compile_model(model, s, steps_per_epoch, loss_of(spec.arch)),
    )


def model_style(name: str) -> str:
    """The style a one-time name builds: `REBUILD_ONCE` is Sequential, loaded otherwise."""
    return "sequential" if name == REBUILD_ONCE else name


def run_one_time(spec: OneTimeSpec, mnist: MnistData | None = None) -> OneTimeRecord:
    """Times what every style of `spec.arch` costs once, cycle by cycle, in this process."""
    clock = JobClock()
    found = Cycles({}, {}, {}, {})
    steady: dict[str, dict[str, list[float]]] = {}
    calls: dict[str, int] = {}
    python_calls: dict[str, dict[str, list[int]]] = {}
    differences: dict[str, dict[str, list[list]]] = {}
    bounds: dict[str, dict[str, float]] = {}
    orders = spec.build_orders()
    try:
        batch, predict_batch, compile_fn = step_inputs(spec, mnist)

        def builders(arch: str) -> dict[str, Builder]:
            styles = {name: model_style(name) for name in spec.styles}
            return {
                name: (lambda style=style: build_model(arch, style, seed=spec.seed))
                for name, style in styles.items()
            }

        loaders = {REBUILD_ONCE: load_rebuilding_once} if REBUILD_ONCE in spec.styles else {}

        found = time_cycles(
            builders(spec.arch),
            compile_fn,
            batch,
            predict_batch,
            orders,
            builders(spec.warmup_arch) if spec.warmup_arch else None,
            loaders,
        )
        if spec.count:
            with tempfile.TemporaryDirectory(prefix="bench-counts-") as tmp:
                build = builders(spec.arch)
                python_calls, functions = count_cycles(
                    lambda name, path: Steps(
                        build[name], compile_fn, batch, predict_batch, path, loaders.get(name)
                    ),
                    [s for s in spec.styles if s not in found.failures],
                    batch,
                    predict_batch,
                    Path(tmp),
                )
            differences = largest_differences(functions, spec.reference)
            bounds = call_bounds(functions, spec.reference)
        if spec.steady_rounds and found.models:
            # the last cycle's models are compiled and have traced their steps: timing their
            # steady steps here costs no second compilation of a deep model
            calls, steady = time_models(
                {n: m for n, m in found.models.items() if n != REBUILD_ONCE},  # as Sequential
                [batch],
                predict_batch,
                reference=spec.reference,
                rounds=spec.steady_rounds,
                order_seed=spec.order_seed,
                burst_seconds=STEADY_BURST_SECONDS,
                measures=spec.steady_measures,
            )
    except Exception as e:  # recorded, so that the sweep and the report go on
        clock.failed(e)
    return OneTimeRecord(
        **one_time_spec_fields(spec),
        seconds=found.seconds,
        build_orders=[list(order) for order in orders[1:]],
        failures=found.failures,
        footprint=found.footprint,
        steady=steady,
        steady_calls=calls,
        python_calls=python_calls,
        python_call_differences=differences,
        python_call_bound_seconds=bounds,
        predict_batch=PREDICT_BATCH,
        **clock.fields(device_name()),
    )
