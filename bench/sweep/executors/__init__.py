"""Where worker jobs run: in local processes, one after another, or as tasks on a Ray cluster.

The sweep talks to one small interface, `Executor`; it never knows which one runs its jobs.
A job is a worker kind and its JSON (`bench.worker`); every executor runs it the same way, in a
fresh `python -m bench.worker` process, and hands back (result, error, node).
"""

from __future__ import annotations

from bench.sweep.executors.base import EXECUTORS, Executor, ExecutorError, Outcome

__all__ = ["EXECUTORS", "Executor", "ExecutorError", "Outcome", "make_executor"]


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
