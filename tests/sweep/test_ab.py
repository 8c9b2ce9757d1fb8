"""An A/B run's short runs, with an executor that answers from synthetic records: the seeds in
ABBA order, the styles taking turns, every run in `ab.jsonl`, and accuracy paired by seed."""

import pytest

from bench.analysis.ab import accuracy_entry
from bench.plan.ab import AbConfig, Side
from bench.plan.specs import RunSpec
from bench.store.ab import RECORDS, AbRun, read_records
from bench.store.files import append_line
from bench.sweep.ab import accuracy_runs
from tests.factories import SETTINGS, record


class Answering:
    """An executor whose runs reach the accuracy given per seed, or fail where it is None."""

    def __init__(self, accuracy: dict[int, float | None]):
        self.accuracy = accuracy

    def stream(self, kind, jobs, keys):
        assert kind == "run"
        for index, job in enumerate(jobs):
            spec = RunSpec.from_json(job)
            accuracy = self.accuracy[spec.seed]
            if accuracy is None:
                yield index, (None, "worker exited with code 1: MemoryError", {})
            else:
                found = record(arch=spec.arch, style=spec.style, seed=spec.seed, accuracy=accuracy)
                yield index, (found.to_dict(), None, {})


def test_each_seed_runs_on_both_sides_in_abba_order_and_accuracy_is_paired_by_seed(tmp_path):
    styles = ("sequential", "functional", "subclassed")
    config = AbConfig(Side("base", "py"), Side("new", "py"), SETTINGS, tmp_path, styles=styles)
    run, lines = AbRun(config), []
    executors = {
        "base": Answering({1: 0.95, 2: 0.96, 3: 0.97}),
        "new": Answering({1: 0.95, 2: 0.9601, 3: None}),
    }
    accuracy_runs(run, executors, lines.append)
    assert [(side, r.seed, r.style) for side, r in run.runs] == [
        ("base", 1, "sequential"),
        ("new", 1, "sequential"),
        ("new", 2, "functional"),
        ("base", 2, "functional"),
        ("base", 3, "subclassed"),
        ("new", 3, "subclassed"),
    ]
    assert lines[0] == "accuracy, seed 1 (sequential), BASE …"
    assert any("NEW failed" in line and "MemoryError" in line for line in lines), lines
    # the file holds every run, the failed one too, and reads back as the run holds them, past
    # the lines of another kind (each side's programs)
    append_line(tmp_path / RECORDS, {"kind": "programs", "side": "base", "programs": {}})
    processes, runs = read_records(tmp_path / RECORDS)
    assert processes == [] and [r.to_dict() for _, r in runs] == [r.to_dict() for _, r in run.runs]
    # seed 3 failed on NEW, so it is left out: two seeds, +0.00 and +0.01 points
    found = accuracy_entry(runs)
    assert found["seeds"] == [1, 2] and found["styles"] == ["sequential", "functional"]
    assert found["change"].estimate == pytest.approx(0.005)
