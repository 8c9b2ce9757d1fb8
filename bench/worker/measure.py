"""How the harness times Keras calls: warmed up, repeated, never tracing; and its own memory."""

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
    """Counts a model's step methods' Python runs, which for a compiled step happen only while
    it traces. Install before the train function is made: Keras captures `train_step` then."""

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
    """Whether `model`'s steps are traced functions (PyTorch runs them eagerly without jit)."""
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
    """Runs `call` once untimed, then `repeats` timed; raises RetracedError on a retrace."""
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
    """This process's own peak resident size: `VmHWM`, which starts again at exec, unlike
    `ru_maxrss` (the fallback off Linux), which inherits the parent's peak."""
    peak = _status_bytes("VmHWM")
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux and BSDs report KiB


def reset_peak_rss() -> int | None:
    """Restarts `VmHWM` from the current resident size (writing 5 to /proc/self/clear_refs);
    returns that size, or None where this cannot be done."""
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
