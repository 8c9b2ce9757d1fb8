"""The Ray executor: each job a Ray task in a worker that serves one task (`max_calls=1`),
asking for a node's CPUs by default, so two timed runs never share a machine."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

from bench.sweep.executors.base import ExecutorError, Outcome
from bench.sweep.executors.process import node_info, run_worker

# Ray retries a task whose node died (not one whose worker raised: that is a "failed" record).
MAX_RETRIES = 2
CONNECT_TIMEOUT_SECONDS = 5.0
HEAD_NODE = "node:__internal_head__"  # the resource Ray gives the head node alone


def _job(kind: str, job: str, device: str, key: str, counter) -> Outcome:
    import ray

    context = ray.get_runtime_context()
    attempt = 1
    if counter is not None:
        try:
            attempt = ray.get(counter.start.remote(key))
        except ray.exceptions.RayError:  # the count is lost, not the run
            attempt = None
    result, error = run_worker(kind, job, device)
    node = node_info(context.get_node_id(), ray.util.get_node_ip_address())
    return result, error, {**node, "attempt": attempt}


def _attempts():
    import ray

    @ray.remote(num_cpus=0)
    class Attempts:
        """Counts the starts of each job: a start after the first is Ray's retry."""

        def __init__(self):
            self.starts: dict[str, int] = {}

        def start(self, key: str) -> int:
            self.starts[key] = self.starts.get(key, 0) + 1
            return self.starts[key]

        def total(self) -> int:
            return sum(self.starts.values())

    return Attempts


class RayExecutor:
    """Connects to `address` (else RAY_ADDRESS, else starts a local Ray) and runs jobs there."""

    name = "ray"

    def __init__(self, device: str, address: str | None = None, cpus_per_run: float | None = None):
        try:
            import ray
        except ImportError:
            raise ExecutorError("--executor ray needs Ray: pip install '.[ray]'") from None
        self._ray = ray
        self.device = device
        address = address or os.environ.get("RAY_ADDRESS") or None
        if address and address != "auto":
            _check_reachable(address)
        # A Ray started here serves this machine alone: with this set, Ray 2.60 binds every
        # service to 127.0.0.1 instead of the machine's interface address.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            ray.init(
                address=address, include_dashboard=False, logging_level="ERROR", log_to_driver=False
            )
        except Exception as e:  # Ray raises several kinds; the user needs one line
            where = address or "a new local Ray"
            raise ExecutorError(f"cannot connect to Ray at {where}: {e}") from None
        nodes = self.nodes()
        if not nodes:
            ray.shutdown()
            raise ExecutorError(f"the Ray cluster at {address} has no live node with CPUs")
        # All of the smallest node's CPUs: a run then has a node to itself wherever it lands.
        self.cpus_per_run = cpus_per_run or min(n["Resources"]["CPU"] for n in nodes)
        # On the head node, which outlives every other: a run's retry is counted wherever it ran.
        self._counter = _attempts().options(resources={HEAD_NODE: 0.001}).remote()
        self._task = ray.remote(max_calls=1)(_job).options(
            num_cpus=self.cpus_per_run,
            num_gpus=1 if device == "gpu" else 0,
            max_retries=MAX_RETRIES,
            retry_exceptions=False,
        )

    def tasks_started(self) -> int:
        """How many streamed tasks have started so far, retries included."""
        return self._ray.get(self._counter.total.remote())

    def nodes(self) -> list[dict[str, Any]]:
        """The live nodes that have CPUs."""
        return [n for n in self._ray.nodes() if n["Alive"] and n["Resources"].get("CPU")]

    def call(self, kind: str, job: str) -> Outcome:
        return self._ray.get(self._task.remote(kind, job, self.device, kind, None))

    def stream(self, kind: str, jobs: list[str], keys: list[str]) -> Iterator[tuple[int, Outcome]]:
        ray = self._ray
        pending = {
            self._task.remote(kind, job, self.device, key, self._counter): index
            for index, (job, key) in enumerate(zip(jobs, keys, strict=True))
        }
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                index = pending.pop(done[0])
                try:
                    outcome = ray.get(done[0])
                except ray.exceptions.RayError as e:  # retries spent: the run failed
                    outcome = (None, f"Ray task failed: {type(e).__name__}: {e}", {})
                yield index, outcome
        finally:  # Ctrl-C, or the caller stopped early: what is still out is cancelled
            for ref in pending:
                ray.cancel(ref, force=True)

    def close(self) -> None:
        self._ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fails fast, before Ray's own retries, when nothing listens at host:port."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(
            f"bad Ray address {address!r}; expected host:port, e.g. 127.0.0.1:6379, or auto"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_SECONDS):
            pass
    except OSError as e:
        raise ExecutorError(
            f"cannot reach a Ray cluster at {address}: {e.strerror or e}; start one with "
            "`ray start --head`, or leave --ray-address out to start a local Ray"
        ) from None
