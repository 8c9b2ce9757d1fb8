"""An A/B run: each side's short runs and capability checks, then pairs of processes under each
side's interpreter in ABBA order until every verdict is decided; each appended to `ab.jsonl`."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.analysis.ab import ab_entries, undecided_measures
from bench.plan.ab import SIDES, AbConfig, Side, pair_order
from bench.plan.settings import ConfigError
from bench.plan.specs import ONE_TIME_MEASURES, STEADY_MEASURES
from bench.store.ab import RECORDS, AbRun
from bench.store.files import append_line
from bench.sweep import jobs
from bench.sweep.executors import Executor
from bench.sweep.executors.local import LocalExecutor

# what the harness's workers need on a side: its own modules and a Keras backend
NEEDED = ("bench", "mnist_models", "keras", "tensorflow")
SIDE_ENVIRONMENT = (
    "import json; from bench.store.environment import collect; print(json.dumps(collect()))"
)


def check_side(side: Side) -> None:
    """Raises ConfigError, before anything runs, where a side's interpreter lacks the harness."""
    label = side.name.upper()
    if not Path(side.python).exists():
        raise ConfigError(
            f"{label} interpreter {side.python} does not exist; pass the python of "
            f"a virtual environment, e.g. .venv/bin/python"
        )
    probe = (
        "import importlib.util, sys; missing = [m for m in sys.argv[1:] "
        "if importlib.util.find_spec(m) is None]; print(' '.join(missing))"
    )
    try:
        done = subprocess.run(
            [side.python, "-c", probe, *NEEDED],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError as e:
        raise ConfigError(
            f"{label} interpreter {side.python} does not run ({e.strerror or e}); "
            f"pass a Python interpreter"
        ) from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no error printed"])[-1]
        raise ConfigError(
            f"{label} interpreter {side.python} failed to run ({last}); pass a Python 3.10 or newer"
        )
    missing = done.stdout.strip()
    if missing:
        raise ConfigError(
            f"{label} interpreter {side.python} lacks {missing}; install the harness there: "
            f"{side.python} -m pip install <this project's directory>"
        )


def side_environment(side: Side) -> dict[str, Any]:
    """The libraries and machine a side's workers see, read by its own interpreter under its
    own settings (the fingerprint records oneDNN, XLA and thread settings)."""
    done = subprocess.run(
        [side.python, "-c", SIDE_ENVIRONMENT],
        capture_output=True,
        text=True,
        env={**os.environ, **dict(side.env)},
        check=False,
        timeout=60,
    )
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": done.stderr.strip()[-500:]}


def run_ab(config: AbConfig, echo: Callable[[str], None]) -> AbRun:
    """Runs each side's runs and checks, then pairs until every verdict is decided (an even
    number of pairs, so each side ran first as often), `max_processes`, or the budget."""
    started = time.perf_counter()
    executors = {
        name: LocalExecutor(
            config.settings.device, config.side(name).python, dict(config.side(name).env)
        )
        for name in SIDES
    }
    run = AbRun(config, environments={n: side_environment(config.side(n)) for n in SIDES})
    found = jobs.check_architectures(
        (config.arch,), config.styles, config.settings.backend, executors["base"]
    )[config.arch]
    if "error" in found:
        raise ConfigError(found["error"])
    styles = tuple(s for s in config.styles if s not in found["unsupported"])
    run.config = config = replace(config, styles=styles)
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / RECORDS).unlink(missing_ok=True)
    for name in SIDES:  # each side's compiled programs: a change no count can see
        echo(f"programs, {name.upper()} …")
        programs = jobs.compare_programs((config.arch,), styles, config.settings, executors[name])
        run.programs[name] = {config.settings.backend: programs}
        append_line(
            config.out / RECORDS, {"kind": "programs", "side": name, "programs": run.programs[name]}
        )
    accuracy_runs(run, executors, echo)
    if config.capabilities:
        _capabilities(run, executors, echo)
    _pairs(run, executors, echo, started)
    run.wall_seconds = time.perf_counter() - started
    return run


def accuracy_runs(run: AbRun, executors: dict[str, Executor], echo: Callable[[str], None]) -> None:
    """One short run per side and seed, the sides in ABBA order by seed, each appended to the
    run and to its `ab.jsonl`."""
    config = run.config
    for index, seed in enumerate(config.seeds):
        spec = config.accuracy_spec(index)
        for name in pair_order(index):
            echo(f"accuracy, seed {seed} ({spec.style}), {name.upper()} …")
            record = next(jobs.stream_runs([spec], executors[name]))
            run.runs.append((name, record))
            append_line(
                config.out / RECORDS, {"kind": "run", "side": name, "record": record.to_dict()}
            )
            if record.status != "ok":
                echo(_failed(name, record.error))


def _capabilities(run: AbRun, executors: dict[str, Executor], echo: Callable[[str], None]) -> None:
    """Each side's capability checks; NEW's loads also load the `.keras` files BASE saved."""
    config = run.config
    archs, styles_of = (config.arch,), {config.arch: config.styles}
    backends = (config.settings.backend,)
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as files:
        kept = {name: str(Path(files) / name) for name in SIDES}
        for name in SIDES:
            echo(f"capabilities, {name.upper()} …")
            run.capabilities[name], _ = jobs.check_capabilities(
                archs,
                styles_of,
                backends,
                executors[name],
                config.data_dir,
                files=kept[name],
                previous=kept["base"] if name == "new" else None,
            )


def _pairs(
    run: AbRun, executors: dict[str, Executor], echo: Callable[[str], None], started: float
) -> None:
    config = run.config
    costs: list[float] = []
    measures = (*ONE_TIME_MEASURES, *STEADY_MEASURES)
    for pair in range(config.max_processes):
        spent = time.perf_counter() - started
        if config.budget is not None and costs and spent + 2 * max(costs) > config.budget:
            run.stopped = "budget spent"
            break
        for name in pair_order(pair):
            echo(f"pair {pair + 1}/{config.max_processes}, {name.upper()} …")
            began = time.perf_counter()
            record = jobs.run_one_time_in_worker(config.spec(pair, measures), executors[name])
            costs.append(time.perf_counter() - began)
            run.records.append((name, pair, record))
            append_line(
                config.out / RECORDS,
                {"kind": "one_time", "side": name, "pair": pair, "record": record.to_dict()},
            )
            if record.status != "ok":
                echo(_failed(name, record.error))
        done = pair + 1
        if done >= config.min_processes and done % 2 == 0:
            entries = ab_entries(run.records, config.time_margin, config.one_time_margin)
            still = undecided_measures(entries, run.records)
            if not still:
                run.stopped = "verdicts decided"
                break
            if still != measures:
                echo(f"from pair {done + 1}, timing only what is undecided: {', '.join(still)}")
            measures = still
    run.stopped = run.stopped or "its most pairs"


def _failed(side: str, error: str | None) -> str:
    """The console's line for a failed run or process: its side and the error's last line."""
    last = (error or "").strip().splitlines()[-1:] or ["no error recorded"]
    return f"    {side.upper()} failed: {last[0]}"
