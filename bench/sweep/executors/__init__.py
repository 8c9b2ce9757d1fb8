"""Where worker jobs run: in local processes, one after another, or as tasks on a Ray cluster.

The sweep talks to one small interface, `Executor`; it never knows which one runs its jobs.
A job is a worker kind and its JSON (`bench.worker`); every executor runs it the same way, in a
fresh `python -m bench.worker` process, and hands back (result, error, node).
"""

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

    def call_on_each_node(self, kind: str, job: str) -> list[Outcome]:
        """Runs one job on every node, once each."""
        ...

    def close(self) -> None:
        """Lets go of what the executor started."""
        ...


class ExecutorError(RuntimeError):
    """The executor cannot start: a bad address, an unreachable cluster, Ray not installed."""


def make_executor(
    name: str, *, device: str, ray_address: str | None = None, cpus_per_run: float | None = None
) -> Executor:
    """The executor called `name`, connected and ready.

    Raises:
        ExecutorError: it cannot start; the message says why and what to do.
    """
    from bench.sweep.executors.local import LocalExecutor

    if name == "local":
        return LocalExecutor(device)
    if name == "ray":
        from bench.sweep.executors.ray_executor import RayExecutor

        return RayExecutor(device, address=ray_address, cpus_per_run=cpus_per_run)
    raise ExecutorError(f"unknown executor {name!r}; expected one of: {', '.join(EXECUTORS)}")
