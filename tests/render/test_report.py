"""The report and charts from a fixture records file: files, pages, no training."""

import dataclasses
import json
import re

import pytest

from bench.analysis.results import ReportError
from bench.render.markdown import _jit_setting, stopping_totals
from bench.render.report import write_report
from bench.store.files import write_json
from bench.store.records import append_steady
from bench.store.schema import SCHEMA_VERSION
from tests.factories import results_dir as _results_dir
from tests.factories import steady_record


@pytest.fixture
def results_dir(tmp_path):
    return _results_dir(tmp_path)


def test_write_report_produces_every_file(results_dir):
    results = write_report(results_dir)
    for name in ("results.json", "summary.csv", "summary.md", "README.md"):
        assert (results_dir / name).stat().st_size > 0, name
    for chart in (
        "accuracy",
        "step_time",
        "val_accuracy",
        "time_breakdown",
        "params",
    ):
        assert (results_dir / f"{chart}.png").read_bytes()[:4] == b"\x89PNG", chart
    on_disk = json.loads((results_dir / "results.json").read_text())
    assert on_disk["schema_version"] == results["schema_version"] == SCHEMA_VERSION
    assert len(results["runs"]) == 9 and "runs" not in on_disk  # the records hold the runs
    assert {"environment", "config", "summary", "capabilities"} <= set(on_disk)
    readme = (results_dir / "README.md").read_text()
    assert "![accuracy](accuracy.png)" in readme
    assert "python -m bench --profile full" in readme
    summary_md = (results_dir / "summary.md").read_text()
    assert "| cnn    | subclassed |" in summary_md
    # capabilities of schema 9 (`ok` alone) read as yes and no, each "no" with its reason
    assert "### cnn on tensorflow" in summary_md
    assert "| save and deploy | `.h5` save and load | yes          | **no**       |" in summary_md
    assert "- subclassed, `.h5` save and load: no: ValueError: nope." in summary_md
    # Sequential is the reference, not a run compared with itself
    sequential_rows = [
        line
        for line in summary_md.splitlines()
        if re.match(r"\| tensorflow +\| cnn +\| sequential +\|", line)
    ]
    assert sequential_rows[0].rstrip(" |").endswith("reference")  # the results table
    # seed 3 of subclassed trained to other weights: said loudly, at the top
    assert summary_md.startswith("## ⚠ WARNING: styles trained to different weights")
    assert "cnn/subclassed seed=3: trained weights DIFFER" in summary_md
    assert "2/3 **DIFFER**" in summary_md
    assert "cnn/subclassed seed=3: trained weights DIFFER" in readme
    assert "Code version unknown" in readme  # the fixture's environment names no commit
    # how long it took, where the sweep recorded it, and its runs' worker time
    runs = sum(r["wall_seconds"] for r in results["runs"]) / 60
    assert "start not recorded. " in readme and f"runs finished ok, in {runs:.1f} min" in readme
    sweep = json.loads((results_dir / "sweep.json").read_text())
    timed = {"started_at": "2026-12-07T10:00:00+00:00", "wall_seconds": 3492.0}
    write_json(results_dir / "sweep.json", {**sweep, **timed})
    write_report(results_dir)
    assert "started 2026-12-07, took 58.2 min." in (results_dir / "README.md").read_text()


def test_a_report_from_a_dirty_tree_says_so_at_the_top(results_dir):
    sweep = json.loads((results_dir / "sweep.json").read_text())
    sweep["environment"]["git"] = {"commit": "0123456789abcdef", "dirty": True}
    write_json(results_dir / "sweep.json", sweep)
    write_report(results_dir)
    head = (results_dir / "README.md").read_text().splitlines()[:4]
    assert any("uncommitted changes" in line and "0123456789ab" in line for line in head), head


def test_a_failed_paired_phase_is_reported_as_a_warning(results_dir):
    failed = steady_record(status="failed", error="RetracedError: traced\nmore")
    append_steady(results_dir, failed)
    results = write_report(results_dir)
    assert results["paired"] == []
    assert "cnn paired timing: failed. RetracedError: traced" in results["summary"]["warnings"]


def test_report_without_records_says_what_to_do(tmp_path):
    with pytest.raises(ReportError, match="run `python -m bench` first"):
        write_report(tmp_path)


def test_the_report_states_the_jit_setting_the_sweep_asked_for():
    # --jit-compile became auto|on|off with the backend axis; "off" once read as "on" here
    assert _jit_setting("off") == "off" and _jit_setting("on") == "on"
    assert _jit_setting("auto").startswith("auto")


def test_the_paired_phases_worker_time_is_totalled_with_its_start_up_apart():
    phase = {
        "processes": 9,
        "failed_processes": 1,
        "worker_seconds": 600.0,
        "startup_seconds": 60.0,
    }
    both = [phase, {**phase, "processes": 20, "failed_processes": 0}]
    assert stopping_totals(both) == (
        "All paired phases together: 30 processes, 20.0 min of worker time, 18.0 of it in "
        "their jobs and 2.0 starting the framework.\n"
    )
    older = [{k: v for k, v in phase.items() if k != "startup_seconds"}]  # schema 8 and before
    assert stopping_totals(older).endswith("10.0 min of worker time.\n")
    unmeasured = [phase, {**phase, "startup_seconds": None}]  # records from before schema 7
    assert stopping_totals(unmeasured).endswith("20.0 min of worker time.\n")


def test_calls_that_point_against_a_decided_time_are_said_to():
    from bench.render.tables import calls_cell
    from tests.factories import verdict

    faster = verdict(phase="one_time", measure="save", verdict="faster, within margin")
    faster = dataclasses.replace(faster, direction="lower")
    assert calls_cell(faster, 1.15) == "1.15 (the other way)"
    assert calls_cell(faster, 0.86) == "0.86"
    assert calls_cell(verdict(phase="one_time", measure="save"), 1.15) == "1.15"  # no direction
    assert calls_cell(faster, None) == "–"


def test_the_capability_section_names_the_checks_a_sweep_left_out():
    from bench.render.capabilities import capability_section
    from bench.store.capabilities import YES, entry

    found = {"cnn": {"sequential": {"h5_save_load": entry(YES)}}}
    text = "".join(capability_section(found, {}, {}, [], "no-export"))
    assert "Not run (`--capability-checks no-export`): SavedModel export" in text
    assert "int8" in text and "`.h5` save and load" in text
    assert "Not run" not in "".join(capability_section(found, {}, {}, []))


def test_the_capability_section_totals_the_checks_worker_time():
    from bench.render.capabilities import capability_section
    from bench.store.capabilities import YES, entry

    found = {arch: {"sequential": {"h5_save_load": entry(YES)}} for arch in ("cnn", "mlp")}
    seconds = {"cnn": {"checks": 55.45, "loads": 7.35}, "mlp": {"checks": 39.9, "loads": 6.69}}
    text = "".join(capability_section(found, {}, seconds, []))
    assert (
        "All 2 models' checks took 95 s of worker time in the building processes and 14 s" in text
    )
    assert "The checks took 55 s of worker time in the building process and 7 s" in text
