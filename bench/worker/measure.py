"""How the harness times Keras calls: warmed up, repeated, never tracing, and the run's own memory.

Shared by the per-run measurements (`bench.runner`) and the paired timing phase (`bench.paired`),
so that both mean the same thing by "after warm-up" and "median of".
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.store.files import now_utc
from bench.worker import STARTED

STEP_METHODS = ("train_step", "test_step", "predict_step")


class TraceCounter:
    """Counts how often a model's step methods run in Python, which for a compiled function
    happens only while it is traced; a timed call during which the count moves retraced.

    Install it before the model's train function is made (before the first fit or
    train_on_batch): Keras captures `train_step` when it makes the function.
    """

    def __init__(self, model: Any):
        self.counts: Counter[str] = Counter()
        for name in STEP_METHODS:
            setattr(model, name, self._counting(name, getattr(model, name)))

    def _counting(self, name: str, method: Callable) -> Callable:
        def step(*args, **kwargs):
            self.counts[name] += 1
            return method(*args, **kwargs)

        return step

    def total(self) -> int:
        return sum(self.counts.values())


def runs_compiled(model: Any) -> bool:
    """Whether the compiled `model`'s steps run as traced functions, so a `TraceCounter` on it
    means something. Keras' PyTorch backend runs them eagerly unless jit_compile is on: every
    call then runs the step in Python, and there is no tracing to detect."""
    import keras

    if model.run_eagerly:
        return False
    return keras.backend.backend() != "torch" or bool(model.jit_compile)


def trace_counter(model: Any) -> TraceCounter | None:
    """A `TraceCounter` on `model` where its steps are traced, else None (nothing to count)."""
    return TraceCounter(model) if runs_compiled(model) else None


class RetracedError(RuntimeError):
    """A call that was timed traced a function: its time includes compilation."""


def timed_calls(
    call: Callable[[], Any], repeats: int, counter: TraceCounter | None, what: str
) -> list[float]:
    """Runs `call` once untimed (the warm-up: the identical call), then `repeats` timed times.

    Raises:
        RetracedError: `counter` moved during the timed calls.
    """
    call()
    before = counter.total() if counter else 0
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    if counter and counter.total() != before:
        raise RetracedError(f"{what}: a timed call traced the model's step function again")
    return seconds


def predict_images_per_second(
    model, x, batch_size: int, repeats: int, counter: TraceCounter | None = None
) -> float:
    """`model.predict(x)` throughput: the median of `repeats` timed calls after an identical one."""
    seconds = timed_calls(
        lambda: model.predict(x, batch_size=batch_size, verbose=0), repeats, counter, "predict"
    )
    return len(x) / statistics.median(seconds)


def latency_ms(model, one, calls: int, counter: TraceCounter | None = None) -> float:
    """Median milliseconds of `predict_on_batch` on one image, after an identical warm-up call."""
    seconds = timed_calls(lambda: model.predict_on_batch(one), calls, counter, "latency")
    return 1000 * statistics.median(seconds)


def _status_bytes(field: str) -> int | None:
    """A size in /proc/self/status (Linux: "VmHWM:   123456 kB"), in bytes; None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def peak_rss_bytes() -> int:
    """This process's own peak resident set size.

    Linux: `VmHWM` from /proc/self/status, which starts again at exec. `ru_maxrss` does not: a
    worker started by a parent that once held 3 GiB would report at least 3 GiB. Elsewhere,
    `ru_maxrss` is the fallback, with that caveat.
    """
    peak = _status_bytes("VmHWM")
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux and BSDs report KiB


def reset_peak_rss() -> int | None:
    """Starts this process's `VmHWM` again from its current resident size (Linux 4.0 and later:
    writing 5 to /proc/self/clear_refs), so that the next `peak_rss_bytes` is the peak of what
    runs in between; returns that resident size, or None where this cannot be done."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return _status_bytes("VmRSS")


class JobClock:
    """When a worker job started, how long it has taken and how it ended: the fields every
    record of a job ends with. A job that raises is recorded as failed, not lost."""

    def __init__(self):
        self.started_at = now_utc()
        self._start = time.perf_counter()
        self.status, self.error = "ok", None

    def failed(self, e: Exception) -> None:
        self.status = "failed"
        self.error = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=5)}"

    def fields(self, device: str) -> dict[str, Any]:
        return dict(
            device=device,
            started_at=self.started_at,
            status=self.status,
            error=self.error,
            wall_seconds=time.perf_counter() - self._start,
            startup_seconds=max(0.0, self._start - STARTED),
        )
