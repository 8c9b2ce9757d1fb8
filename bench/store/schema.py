"""The format of a sweep's files: their names, the one schema version, and the one reader of
sweep.json, which refuses another schema in one line. Every JSON file the harness writes
(sweep.json, results.json, compare.json, history.json, ab.json, the depth study's run.json,
depth.json and idioms.json) carries `SCHEMA_VERSION`. Older directories are converted by
`python -m bench upgrade DIR` (`bench.store.upgrade`), never read as they are.

Format history (`SCHEMA_VERSION`):
  1: first version.
  2: `peak_matmul_gflops` is the median probe (was the best), with `peak_matmul_gflops_best`
     beside it; `achieved_gflops_best` and `efficiency_best` (best epoch against best probe);
     predict throughput is the median of repeated calls on the test images; `peak_rss_bytes`
     is the process's own (VmHWM). New file `paired.jsonl`: the paired timing phase, one line
     per architecture and process, with every raw burst time.
  3: the backend axis: `backend` on run and paired records (absent: TensorFlow); a run's
     `jit_compile` is what Keras used (`model.jit_compile` after compile; None if the run
     failed before), `jit_compile_setting` what was asked (auto, on, off); the settings part
     of run keys carries `backend` unless it is TensorFlow; `initial_weights_sha256`, and
     `shared_start` in the settings (in keys only when on); `node` and `attempt` (the
     executors); sweep.json's environment has `nodes`, each node's matmul peak. Paired
     records name the `build_order` of their styles (at first drawn per process, now balanced
     across processes, see `bench.plan.specs.balanced_build_order`; --resume redoes a process
     recorded with another order).
  4: one shape for every comparison (`bench.analysis.stats.Comparison`): `metric`, `n`, `unit`
     ("ratio" or "points"), `estimate`, `ci95_low`, `ci95_high`, `ci90_low`, `ci90_high`,
     `margin`, `verdict`, `direction`. results.json's `paired` entries carry it (they had
     `ratio`, `ci_low`, `ci_high`, `margin_percent`), as do `summary.comparisons`,
     `summary.backend_comparisons` and compare.json's rows (which had `scale` for `unit`).
     Records (runs.jsonl, paired.jsonl) are unchanged.
  5: the one-time phase: `one_time.jsonl`, one `OneTimeRecord` per backend × arch × process
     with every cycle's raw times; its verdicts join results.json's `paired` with `phase`
     "one_time" (steady entries have `phase` "steady"; absent: steady), beside
     `one_time_drift`. Runs record `first_execution_seconds`: the trace and the first
     `steps_per_execution` steps of the first epoch, apart from the rest of it.
  6: adaptive paired phases: paired records carry `instances` (models of each style in the
     process; absent: one), and a round's time of a style is the sum over its instances; steady
     entries carry `within_process_sd` and `between_process_sd` as one-time entries do;
     results.json's `paired_stopping` says, per backend × arch × phase, how many processes
     ran, their worker time, and why the phase stopped.
  7: paired and one-time records carry `startup_seconds`, the process's start before its job
     (the framework's import; absent: not measured), and a process's worker time is it plus
     `wall_seconds`; `paired_stopping` adds `processes_for_aims` and
     `worker_seconds_for_aims`, what would meet every aim at the spread seen. The budget
     counts the whole sweep. Records of 6 are read as they are.
  8: a steady phase stops each measure on its own: a paired record's `seconds` and
     `steps_per_burst` hold the measures its process timed (all of them, or those still short
     of their aims), and a steady entry's `processes` counts the processes that timed its
     measure. Records of 7 are read as they are.
  9: `paired_stopping` adds `startup_seconds`, the part of `worker_seconds` its processes
     spent starting (None where a process's was not measured); its `worker_seconds_for_aims`
     is what the phase took plus each process still needed at the median cost of those that
     timed what it would (was: every process at the median of all). Records of 8 are read as
     they are.
  10: a capability check records one of five outcomes (`bench.store.capabilities`):
     `{"outcome", "error", "remedy", "detail"}`, where it recorded `{"ok", "error"}`; the
     checks of a new process and of reuse and export join; sweep.json adds
     `capability_seconds`. Older capabilities read as yes or no. A paired phase stops once its
     verdicts are decided, no longer on precision aims: `paired_stopping` gives `verdicts` and
     `undecided` where it gave `processes_for_aims` and `worker_seconds_for_aims` (older
     entries show "–" there).
  11: one verdict vocabulary: a difference's verdict names its direction in its metric's words
     ("slower, beyond margin", "higher, within margin"; was "different, …" beside
     `direction`), in results.json, compare.json and history.json alike. Older verdicts are
     read in today's words (`upgrade_verdict`).
  12: one vocabulary: sweep.json's config names `steady_rounds`, `max_processes`,
     `min_processes` and `steady_instances` (were `paired_rounds`, `paired_processes`,
     `paired_min_processes`, `paired_instances`); its capabilities are in the five outcomes.
     The steady phase's processes are `steady.jsonl` (`SteadyRecord`; was `paired.jsonl`,
     `PairedRecord`): "paired" names both phases, steady and one-time, everywhere.
     A run record has `settings_key` (was only the last part of `run_key`), and no longer
     holds the matmul peak or efficiency, derived when read.
     results.json is an output that nothing reads: it holds no runs, and `report`, `compare`
     and `history` compute from the raw records. Readers take this schema only; `python -m
     bench upgrade DIR` converts 2 to 11.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.store.files import RecordsFileError, read_json

SCHEMA_VERSION = 12
RUNS_FILE = "runs.jsonl"
STEADY_FILE = "steady.jsonl"
ONE_TIME_FILE = "one_time.jsonl"
SWEEP_FILE = "sweep.json"
RESULTS_FILE = "results.json"
DEPTH_RUN_FILE = "run.json"  # a depth study's settings and environment


def read_sweep(out: Path) -> dict[str, Any] | None:
    """`out`'s sweep.json, or None where it has none.

    Raises:
        RecordsFileError: it is of another schema; the message says how to convert it.
    """
    return read_versioned(out / SWEEP_FILE) if (out / SWEEP_FILE).exists() else None


def read_versioned(path: Path) -> dict[str, Any]:
    """A JSON file of this schema (sweep.json, a depth study's run.json and profiles.json).

    Raises:
        RecordsFileError: it is not JSON, or of another schema; the message says how to
            convert it.
    """
    try:
        found = read_json(path)
    except json.JSONDecodeError as e:
        raise RecordsFileError(f"{path}: not JSON ({e.msg})") from None
    version = found.get("schema_version") if isinstance(found, dict) else None
    if version == SCHEMA_VERSION:
        return found
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise RecordsFileError(
            f"{path} has schema {version}, newer than this harness reads ({SCHEMA_VERSION}); "
            "install the harness that wrote it"
        )
    out = path.parent
    again = "report" if path.name == SWEEP_FILE else "depth --report-only"
    raise RecordsFileError(
        f"{path} has schema {version}; this harness reads schema {SCHEMA_VERSION}: convert "
        f"it with `python -m bench upgrade {out}`, then `python -m bench {again} --out {out}`"
    )


def sweep_commands(sweep: dict[str, Any]) -> list[list[str]]:
    """Every command that wrote to a sweep's directory, oldest first."""
    return sweep.get("commands") or [sweep.get("command") or []]
