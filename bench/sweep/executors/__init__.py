"""Where worker jobs run: local processes or a Ray cluster, behind one `Executor` interface."""

from __future__ import annotations

from bench.sweep.executors.base import EXECUTORS, Executor, ExecutorError, Outcome

__all__ = ["EXECUTORS", "Executor", "ExecutorError", "Outcome", "make_executor"]


def make_executor(
    name: str, *, device: str, ray_address: str | None = None, cpus_per_run: float | None = None
) -> Executor:
    """The executor called `name`, ready; raises ExecutorError saying why it cannot start."""
    from bench.sweep.executors.local import LocalExecutor

    if name == "local":
        return LocalExecutor(device)
    if name == "ray":
        from bench.sweep.executors.ray_executor import RayExecutor

        return RayExecutor(device, address=ray_address, cpus_per_run=cpus_per_run)
    raise ExecutorError(f"unknown executor {name!r}; expected one of: {', '.join(EXECUTORS)}")
