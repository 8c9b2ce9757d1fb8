"""Python work, counted: exact counts that two processes with different hash seeds agree on, the
functions that differ named, and the report's ratios and ranges from the raw records."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.analysis.counts import calls_text, count_changes, count_entries
from bench.worker.counts import call_bounds, largest_differences
from tests.factories import counted_record

ROOT = Path(__file__).resolve().parents[2]
# Named in advance: the counts that must not move between processes of one software stack
STABLE = ("build", "load", "train_step", "predict", "latency")
ONE_PROCESS = """
import dataclasses, json, sys
from bench.worker.backends import select
from bench.worker.quiet import import_keras_quietly
select("tensorflow", deterministic=True)
import_keras_quietly()
from pathlib import Path
from bench.plan.config import make_config
from bench.worker.one_time import run_one_time
from tests.factories import random_mnist
config = make_config("quick", Path(sys.argv[1]), archs=("mlp",))
spec = dataclasses.replace(config.one_time_specs()[0], cycles=1, steady_rounds=0)
record = run_one_time(spec, random_mnist(train=512, test=1024))
print(json.dumps([record.status, record.error, record.python_calls]))
"""


def _counts(tmp_path: Path, hash_seed: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", ONE_PROCESS, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    status, error, calls = json.loads(done.stdout.splitlines()[-1])
    assert status == "ok", error
    return calls


def test_the_stable_counts_are_identical_across_processes_with_other_hash_seeds(tmp_path):
    first, second = _counts(tmp_path, "1"), _counts(tmp_path, "2")
    for measure in STABLE:
        assert first[measure] == second[measure], measure
    # an A/A of two real processes: no count changed past what one process's counts vary by
    a_a = count_changes([counted_record(first, arch="mlp")], [counted_record(second, arch="mlp")])
    assert [c for c in a_a if c["regression"]] == [], a_a
    build = first["build"]
    # one count per style, and the styles' builds do differ in Python work
    assert all(len(values) == 1 for values in build.values())
    assert build["subclassed"][0] < build["sequential"][0]


def _functions(**calls_and_seconds):
    """A profile: {(file, line, name): (calls, own seconds)}; a name starting "builtin" is one."""
    return {
        ("~" if name.startswith("builtin") else "/k/m.py", 1, name): value
        for name, value in calls_and_seconds.items()
    }


def test_the_functions_that_differ_most_are_named_with_both_counts():
    functions = {
        "build": {
            "sequential": _functions(a=(10, 1.0), b=(5, 1.0), c=(1, 1.0), builtin_x=(9, 1.0)),
            "functional": _functions(a=(4, 1.0), c=(1, 1.0)),
        }
    }
    found = largest_differences(functions, "sequential")
    assert found == {"build": {"functional": [["m.py:1(a)", 4, 10], ["m.py:1(b)", 0, 5]]}}


def test_a_bound_prices_each_differing_call_at_its_functions_own_time_per_call():
    functions = {
        "train_step": {
            "sequential": _functions(small=(20, 20e-6), builtin_execute=(2, 0.02), same=(5, 1.0)),
            # 2 calls fewer of a 1 µs function; one more dispatch of compiled work (10 ms each)
            "subclassed": _functions(small=(18, 36e-6), builtin_execute=(3, 0.03), same=(5, 2.0)),
            "functional": _functions(small=(20, 20e-6), builtin_execute=(2, 0.02), same=(5, 1.0)),
        }
    }
    bounds = call_bounds(functions, "sequential")["train_step"]
    assert bounds["subclassed"] == pytest.approx(2 * 2e-6 + 1 * 0.01)
    assert bounds["functional"] == 0.0  # equal calls: nothing to bound, whatever the times


def _record(calls, style_calls, process=0):
    build = {"sequential": [calls], "functional": [style_calls]}
    return counted_record({"build": build}, arch="mlp", process=process)


def test_counts_that_agree_are_exact_and_counts_that_vary_give_their_range():
    (exact,) = count_entries([_record(1000, 500, 0), _record(1000, 500, 1)])
    assert (exact["ratio"], exact["exact"], exact["counts"]) == (0.5, True, 2)
    assert calls_text(exact) == "500 / 1,000 = 0.50×"
    (varied,) = count_entries([_record(1000, 500, 0), _record(1000, 520, 1)])
    assert not varied["exact"] and varied["range"] == [500, 520]
    assert calls_text(varied) == "510 [500–520] / 1,000 = 0.51×"
