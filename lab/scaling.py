"""What running on Ray costs per run, measured here, and what a big sweep would take on N nodes.

A `noop` job does what every run does before its work (a fresh interpreter that imports Keras
and its framework) and nothing else. Timed through the local executor and through Ray, the
difference is Ray's per-task overhead: scheduling, a Ray worker process, the result's trip back.
The projection adds it to run times measured in a real sweep; it is arithmetic, not a run.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.analysis.stats import describe
from bench.store.environment import collect, machine_words, provenance_lines
from bench.store.files import read_json, write_atomic, write_json
from bench.store.records import RunRecord, latest_by_run, read_records
from bench.sweep.executors import Executor

PROJECTED_RUNS = 180  # 3 backends × 3 styles × 2 archs × 10 seeds
PROJECTED_NODES = (1, 4, 16)


@dataclass(frozen=True)
class Overhead:
    """Seconds per no-op job, one after another, on each executor."""

    local_seconds: list[float]
    ray_seconds: list[float]
    ray_start_seconds: float  # ray.init: a local Ray's start, paid once per sweep

    def per_task(self) -> float:
        """Ray's mean cost per task beyond the local executor's."""
        return statistics.fmean(self.ray_seconds) - statistics.fmean(self.local_seconds)

    def per_task_ci95(self) -> tuple[float, float]:
        """The 95 % interval of `per_task` (Welch: the two executors' jobs are independent)."""
        from scipy import stats

        found = stats.ttest_ind(self.ray_seconds, self.local_seconds, equal_var=False)
        interval = found.confidence_interval(0.95)
        return float(interval.low), float(interval.high)


def time_jobs(executor: Executor, jobs: int) -> list[float]:
    """Seconds of each of `jobs` no-op jobs, run one after another (a warm-up first)."""
    executor.call("noop", "{}")
    seconds = []
    for _ in range(jobs):
        start = time.perf_counter()
        _, error, _ = executor.call("noop", "{}")
        if error:
            raise RuntimeError(f"a no-op job failed on {executor.name}: {error}")
        seconds.append(time.perf_counter() - start)
    return seconds


def projection(run_seconds: list[float], overhead: float, nodes: int) -> float:
    """Wall seconds of PROJECTED_RUNS runs, each node running one at a time: the runs divided
    among the nodes in waves, each run its mean time plus Ray's overhead per task."""
    waves = math.ceil(PROJECTED_RUNS / nodes)
    return waves * (statistics.fmean(run_seconds) + overhead)


def _made_on(runs_from: Path) -> str:
    """The machine that recorded a sweep's runs, as its sweep.json names it."""
    sweep = runs_from / "sweep.json"
    environment = read_json(sweep).get("environment") if sweep.exists() else None
    return machine_words(environment) if environment else "the machine that made them"


def scaling_markdown(
    found: Overhead, runs: list[RunRecord], runs_from: Path, out: Path, environment: dict[str, Any]
) -> str:
    """scaling.md: the measured overhead and the projected sweep, with its limits."""
    local, on_ray = describe(found.local_seconds), describe(found.ray_seconds)
    walls = [r.wall_seconds for r in runs if r.wall_seconds]
    overhead = found.per_task()
    low, high = found.per_task_ci95()
    lines = [
        "# Scaling a sweep out with Ray",
        "",
        *provenance_lines(environment.get("git")),
        f"Measured on {machine_words(environment)}, Python "
        f"{environment['python']}, Ray {environment.get('ray')}, TensorFlow "
        f"{environment['tensorflow']}; commit {(environment.get('git') or {}).get('commit')}.",
        "",
        "## Per-task overhead, measured",
        "",
        f"A no-op job (a fresh interpreter that imports Keras and TensorFlow, as every run "
        f"starts) timed {len(found.local_seconds)} times one after another on each executor, "
        "after one untimed:",
        "",
        "| executor | median s | mean s [95 % CI] |",
        "|:--|--:|--:|",
        f"| local (a subprocess) | {statistics.median(found.local_seconds):.2f} | "
        f"{local.mean:.2f} [{local.ci95_low:.2f}, {local.ci95_high:.2f}] |",
        f"| ray (a task on a local Ray, its worker starting that subprocess) | "
        f"{statistics.median(found.ray_seconds):.2f} | "
        f"{on_ray.mean:.2f} [{on_ray.ci95_low:.2f}, {on_ray.ci95_high:.2f}] |",
        "",
        f"Ray's cost per task beyond the local executor's (scheduling, a Ray worker process "
        f"for each task, `max_calls=1`, and the result's trip back): **{overhead:+.2f} s "
        f"[{low:+.2f}, {high:+.2f}]** (difference of means, Welch 95 % interval), "
        + (
            "no clear difference from the local executor: smaller than these jobs can resolve."
            if low <= 0 <= high
            else f"{100 * overhead / statistics.fmean(found.local_seconds):.0f} % of a job's "
            "fixed start-up cost."
        )
        + f" Starting the local Ray itself took {found.ray_start_seconds:.1f} s, once per sweep.",
        "",
        "## A 180-run sweep, projected",
        "",
        f"{PROJECTED_RUNS} runs (3 backends × 3 styles × 2 archs × 10 seeds), each taking the "
        f"mean wall time of the {len(walls)} runs in `{runs_from}` "
        f"({statistics.fmean(walls):.1f} s, on {_made_on(runs_from)}) plus Ray's overhead (the "
        "estimate above), one run per node at a time (a task asks for all of a node's CPUs), "
        "nodes like that one:",
        "",
        "| nodes | projected wall time | runs per node |",
        "|--:|--:|--:|",
    ]
    for nodes in PROJECTED_NODES:
        seconds = projection(walls, overhead, nodes)
        lines.append(f"| {nodes} | {seconds / 60:.1f} min | {math.ceil(PROJECTED_RUNS / nodes)} |")
    lines += [
        "",
        "What would limit it:",
        "",
        "- **The slowest wave.** Runs differ in length (a CNN run on JAX or PyTorch takes several "
        "times a TensorFlow MLP run's), and the last runs to start set the end; with 16 nodes, "
        "12 waves, one long run in the last wave adds its whole length.",
        "- **The driver** appends one line to `runs.jsonl` per finished run and prints one line: "
        "microseconds against runs of seconds, so not before thousands of nodes.",
        "- **The object store** carries only the records back (a few KiB each); models and data "
        "never travel through it.",
        "- **Data loading**: each node's first run fetches MNIST through the loader chain "
        "(11 MB, checked against its hashes) into that node's cache; later runs read the cache. "
        "A fresh node pays one fetch.",
        "- **Per-node peaks**: each node's matmul peak is probed once, at the start, one task "
        "per node, so a sweep on N nodes starts with N probes in parallel.",
        "",
        f"Reproduce: `python -m lab scaling --jobs {len(found.local_seconds)} --runs-from "
        f"{runs_from} --out {out}`.",
        "",
    ]
    return "\n".join(lines)


def run_scaling(out: Path, runs_from: Path, jobs: int, local: Executor, start_ray) -> Overhead:
    """Measures both executors and writes scaling.md and scaling.json into `out`.

    Args:
        start_ray: makes the Ray executor (timed: the start of a local Ray).
    """
    runs = [r for r in latest_by_run(read_records(runs_from)) if r.status == "ok"]
    if not runs:
        raise ValueError(f"{runs_from}/runs.jsonl holds no finished run to project from")
    local_seconds = time_jobs(local, jobs)
    start = time.perf_counter()
    ray_executor = start_ray()
    ray_start = time.perf_counter() - start
    try:
        ray_seconds = time_jobs(ray_executor, jobs)
    finally:
        ray_executor.close()
    found = Overhead(local_seconds, ray_seconds, ray_start)
    environment = collect()
    out.mkdir(parents=True, exist_ok=True)
    markdown = scaling_markdown(found, runs, runs_from, out, environment)
    write_atomic(out / "scaling.md", markdown.encode())
    walls = [r.wall_seconds for r in runs if r.wall_seconds]
    write_json(
        out / "scaling.json",
        {
            "environment": environment,
            **asdict(found),
            "ray_overhead_per_task_seconds": found.per_task(),
            "ray_overhead_per_task_ci95": found.per_task_ci95(),
            "runs_from": str(runs_from),
            "run_wall_seconds_mean": statistics.fmean(walls),
            "projected": {str(n): projection(walls, found.per_task(), n) for n in PROJECTED_NODES},
        },
    )
    return found
