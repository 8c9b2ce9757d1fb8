"""One schema read, older ones converted by `python -m bench upgrade`, never on the way in."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.analysis.compare import CompareError, load_results
from bench.store.files import RecordsFileError, write_json
from bench.store.records import SteadyRecord
from bench.store.schema import SCHEMA_VERSION, read_sweep, read_versioned
from bench.store.upgrade import upgrade_directory
from tests.factories import results_dir, steady_record

PROJECT = Path(__file__).resolve().parents[2]
SCHEMA_11_SWEEP = {
    "schema_version": 11,
    "command": ["--profile", "quick"],
    "config": {
        "profile": "quick",
        "paired_rounds": 16,
        "paired_processes": 30,
        "paired_min_processes": 9,
        "paired_instances": 1,
        "time_margin": 3.0,
        "settings": {"epochs": 2, "jit_compile": False},
    },
    "capabilities": {"cnn": {"subclassed": {"h5_save_load": {"ok": False, "error": "E: no"}}}},
}


def _old_sweep(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    results_dir(directory)
    (directory / "sweep.json").write_text(json.dumps(SCHEMA_11_SWEEP))
    return directory


def test_a_sweep_of_an_older_schema_is_refused_in_one_line_that_names_the_upgrade(tmp_path):
    _old_sweep(tmp_path)
    with pytest.raises(RecordsFileError) as refused:
        read_sweep(tmp_path)
    message = str(refused.value)
    assert "schema 11" in message and f"python -m bench upgrade {tmp_path}" in message
    with pytest.raises(CompareError, match="python -m bench upgrade"):
        load_results(tmp_path)


def test_upgrade_renames_the_settings_converts_capabilities_and_is_then_a_no_op(tmp_path):
    _old_sweep(tmp_path)
    assert upgrade_directory(tmp_path) == 11
    sweep = read_sweep(tmp_path)
    assert sweep["schema_version"] == SCHEMA_VERSION
    config = sweep["config"]
    assert (config["steady_rounds"], config["max_processes"], config["min_processes"]) == (
        16,
        30,
        9,
    )
    assert not any(key.startswith("paired_") for key in config)
    assert config["settings"]["jit_compile"] == "off"
    check = sweep["capabilities"]["cnn"]["subclassed"]["h5_save_load"]
    assert (check["outcome"], check["error"]) == ("no", "E: no")
    assert sweep["commands"] == [["--profile", "quick"]]
    assert upgrade_directory(tmp_path) is None
    assert load_results(tmp_path)["config"]["steady_rounds"] == 16


def test_the_upgrade_command_converts_then_report_reads_and_bad_input_exits_2(tmp_path):
    _old_sweep(tmp_path / "old")
    run = [sys.executable, "-m", "bench"]
    done = subprocess.run(
        [*run, "upgrade", str(tmp_path / "old")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert f"schema 11 → {SCHEMA_VERSION}" in done.stdout
    assert read_sweep(tmp_path / "old")["schema_version"] == SCHEMA_VERSION
    missing = subprocess.run(
        [*run, "upgrade", str(tmp_path / "nothing")], capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "sweep.json is missing" in missing.stderr


def test_upgrade_gives_a_depth_study_its_schema(tmp_path):
    write_json(tmp_path / "run.json", {"margin": 10.0})
    with pytest.raises(RecordsFileError, match="python -m bench depth --report-only"):
        read_versioned(tmp_path / "run.json")
    assert upgrade_directory(tmp_path) == 11
    assert read_versioned(tmp_path / "run.json")["margin"] == 10.0
    assert upgrade_directory(tmp_path) is None


def test_results_json_is_regenerated_identically_from_the_raw_records(tmp_path):
    from bench.render.report import write_report

    results_dir(tmp_path)
    write_report(tmp_path)
    first = json.loads((tmp_path / "results.json").read_text())
    assert "runs" not in first and first["paired"] is not None, "premise: a whole report"
    (tmp_path / "results.json").unlink()
    write_report(tmp_path)
    again = json.loads((tmp_path / "results.json").read_text())
    first.pop("created_at"), again.pop("created_at")
    assert again == first


def test_a_paired_record_from_before_copies_held_one_copy_of_each_style():
    line = steady_record().to_dict()
    del line["instances"]  # schema 5 and before
    assert SteadyRecord.from_dict(line).instances == 1


def test_every_committed_sweep_and_depth_study_has_the_current_schema():
    sweeps = sorted(PROJECT.glob("results/**/sweep.json")) + sorted(
        PROJECT.glob("results/**/run.json")
    )
    assert sweeps, "premise: results/ holds sweeps"
    old = [str(p) for p in sweeps if json.loads(p.read_text())["schema_version"] != SCHEMA_VERSION]
    assert old == []
