"""The local executor: every job in a fresh process on this machine, one after another."""

from __future__ import annotations

from collections.abc import Iterator

from bench.sweep.executors.base import Outcome
from bench.sweep.executors.process import node_info, run_worker


class LocalExecutor:
    """Runs jobs one at a time, so that timed runs never share the machine."""

    name = "local"

    def __init__(
        self, device: str, python: str | None = None, settings: dict[str, str] | None = None
    ):
        """`python` and `settings`: another interpreter, and environment settings, for every
        worker (an A/B run's side); by default this interpreter and environment."""
        self.device = device
        self.python = python
        self.settings = settings
        self._node = node_info()

    def call(self, kind: str, job: str) -> Outcome:
        result, error = run_worker(kind, job, self.device, self.python, self.settings)
        return result, error, {**self._node, "attempt": 1}

    def stream(self, kind: str, jobs: list[str], keys: list[str]) -> Iterator[tuple[int, Outcome]]:
        for index, job in enumerate(jobs):
            yield index, self.call(kind, job)

    def close(self) -> None:
        pass
