"""The measuring core: what each timing includes and excludes, and whose memory peak it is."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from bench.worker import runner
from bench.worker.measure import (
    RetracedError,
    TraceCounter,
    latency_ms,
    peak_rss_bytes,
    predict_images_per_second,
    timed_calls,
)
from bench.worker.runner import EpochTimer

PROJECT = Path(__file__).resolve().parents[2]
VALIDATION_SECONDS = 0.2
FIRST_EPOCH_STEP_SECONDS = 0.05


class _Clock:
    """A clock that moves only when told: the timer's readings, independent of the machine."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


def _tiny_model(steps_per_execution=1):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(
        "adam",
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    return model


class _SlowValidationAndFirstEpoch(keras.callbacks.Callback):
    """Moves the clock for each validation batch, and for the first epoch's training steps
    (as tracing would); nothing else takes any time."""

    def __init__(self, clock: _Clock):
        super().__init__()
        self.clock = clock
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 0:
            self.clock.now += FIRST_EPOCH_STEP_SECONDS

    def on_test_batch_end(self, batch, logs=None):
        self.clock.now += VALIDATION_SECONDS


def test_epoch_timer_leaves_validation_out_and_keeps_the_first_epoch_apart(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(runner, "time", clock)  # the timer reads this clock alone
    x = np.zeros((64, 4), np.float32)
    y = np.zeros(64, np.int64)
    timer = EpochTimer(None)
    slow = _SlowValidationAndFirstEpoch(clock)
    _tiny_model().fit(
        x, y, batch_size=8, epochs=3, validation_split=0.25, callbacks=[timer, slow], verbose=0
    )
    # 48 training images in batches of 8: six slow steps in the first epoch only
    assert timer.epoch_seconds == pytest.approx([6 * FIRST_EPOCH_STEP_SECONDS, 0.0, 0.0])
    # two validation batches per epoch; none of their time is in any epoch's
    assert clock.now - sum(timer.epoch_seconds) == pytest.approx(3 * 2 * VALIDATION_SECONDS)


class _Ticks(keras.callbacks.Callback):
    """Moves the clock by `seconds` for every training step."""

    def __init__(self, clock: _Clock, seconds: float):
        super().__init__()
        self.clock, self.seconds = clock, seconds

    def on_train_batch_end(self, batch, logs=None):
        self.clock.now += self.seconds


def test_epoch_timer_records_the_time_to_a_target_once(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(runner, "time", clock)
    x = np.zeros((64, 4), np.float32)
    y = np.zeros(64, np.int64)  # one class: validation accuracy reaches 1 in the first epoch
    timer = EpochTimer(0.5)
    tick = _Ticks(clock, 0.1)
    _tiny_model().fit(
        x, y, batch_size=8, epochs=2, validation_split=0.25, callbacks=[timer, tick], verbose=0
    )
    assert timer.epoch_seconds == pytest.approx([0.6, 0.6])
    # reached after the first epoch, and not overwritten when the second reached it again
    assert timer.time_to_target == pytest.approx(0.6)


def test_a_timed_call_that_traces_is_refused():
    model = _tiny_model(steps_per_execution=50)
    counter = TraceCounter(model)
    sizes = iter(range(10, 100, 10))
    with pytest.raises(RetracedError, match="traced"):
        # a different batch shape on every call: each one traces the predict function anew
        timed_calls(lambda: model.predict_on_batch(np.zeros((next(sizes), 4))), 3, counter, "x")


def test_the_old_throughput_measurement_retraced_and_the_new_one_does_not():
    model = _tiny_model(steps_per_execution=50)
    counter = TraceCounter(model)
    x = np.zeros((10_000, 4), np.float32)
    # The old way: warm up on one batch, time the whole test set (10 batches, the last short).
    model.predict(x[:1024], batch_size=1024, verbose=0)
    before = counter.counts["predict_step"]
    model.predict(x, batch_size=1024, verbose=0)
    assert counter.counts["predict_step"] > before, "premise: the old timed call traced"
    # The new way warms up with exactly the timed call, so no timed call traces.
    images_per_second = predict_images_per_second(model, x[:2048], 1024, 3, counter)
    assert images_per_second > 0
    assert latency_ms(model, x[:1], 5, counter) > 0


def test_trace_counter_counts_each_trace_not_each_step():
    model = _tiny_model()
    counter = TraceCounter(model)
    x, y = np.zeros((8, 4), np.float32), np.zeros(8, np.int64)
    for _ in range(5):
        model.train_on_batch(x, y)
    assert 1 <= counter.counts["train_step"] <= 2  # traced, then run as a graph


def test_peak_rss_is_this_process_not_its_parents(tmp_path):
    # A parent that once held 2 GiB starts a worker run (which fails fast on a data directory
    # without MNIST, after importing TensorFlow). ru_maxrss survives exec on Linux and would
    # report the parent's 2 GiB; the run's own peak must stay well below it.
    held = 2 * 2**30
    script = textwrap.dedent(f"""
        import json, numpy as np
        from bench.sweep import jobs
        from bench.plan.config import make_config
        from bench.sweep.executors.local import LocalExecutor
        block = np.ones({held} // 8)  # touched: resident
        del block
        config = make_config("smoke", {str(tmp_path / "out")!r}, data_dir={str(tmp_path)!r})
        (record,) = jobs.stream_runs(config.runs()[:1], LocalExecutor("auto"))
        print(json.dumps({{"status": record.status, "peak": record.peak_rss_bytes,
                           "error": record.error}}))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "failed" and "MNIST" in result["error"]
    assert 50 * 2**20 < result["peak"] < held


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_peak_rss_grows_with_what_this_process_touches():
    status = Path("/proc/self/status").read_text()
    (rss_kib,) = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")]
    before = peak_rss_bytes()
    # enough to pass the earlier peak of this (test) process by 300 MiB, touched
    block = np.ones((before - 1024 * rss_kib + 300 * 2**20) // 8)
    after = peak_rss_bytes()
    del block
    assert after - before > 200 * 2**20
