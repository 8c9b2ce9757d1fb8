"""What every executor is: the interface the sweep talks to, and what a job hands back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

EXECUTORS = ("local", "ray")

# What a job hands back: the worker's JSON result (None if it failed), the error text, and the
# node it ran on (`bench.executors.process.node_info`, with the attempt on Ray).
Outcome = tuple[Any, str | None, dict[str, Any]]


class Executor(Protocol):
    """Runs worker jobs; `stream` yields each outcome as its job finishes."""

    name: str

    def call(self, kind: str, job: str) -> Outcome:
        """Runs one job and waits for it."""
        ...

    def stream(self, kind: str, jobs: list[str], keys: list[str]) -> Iterator[tuple[int, Outcome]]:
        """Runs `jobs` (each known by its key in `keys`), yielding (index, outcome) as each
        finishes; on KeyboardInterrupt, cancels what has not finished and re-raises."""
        ...

    def close(self) -> None:
        """Lets go of what the executor started."""
        ...


class ExecutorError(RuntimeError):
    """The executor cannot start: a bad address, an unreachable cluster, Ray not installed."""
