"""Report and charts from a fixture records file: numbers, verdicts, files, no training."""

import json

import pytest

from bench.records import (
    RUNS_FILE,
    append_record,
    read_records,
    resolve_identity,
    write_json,
)
from bench.report import ReportError, latest_records, summarize, write_report
from tests.records_fixture import record

SEEDS = (1, 2, 3)


def _records():
    rows = []
    for seed in SEEDS:
        rows.append(record(style="sequential", seed=seed, step_ms=10.0 + seed))
        rows.append(record(style="functional", seed=seed, step_ms=10.0 + seed))
        # subclassed: 20 % slower steps, different trained weights for seed 3
        rows.append(
            record(
                style="subclassed",
                seed=seed,
                step_ms=1.2 * (10.0 + seed),
                weights_sha256=f"w{seed}" if seed < 3 else "other",
            )
        )
    return rows


@pytest.fixture
def results_dir(tmp_path):
    for r in _records():
        append_record(tmp_path, r)
    write_json(
        tmp_path / "sweep.json",
        {
            "created_at": "2026-11-24T00:00:00+00:00",
            "command": ["--profile", "full"],
            "config": {"profile": "full", "archs": ["cnn"], "styles": ["sequential"], "seeds": [1]},
            "environment": {"python": "3.11", "data_source": "test"},
            "capabilities": {
                "cnn": {
                    "subclassed": {"h5_save_load": {"ok": False, "error": "ValueError: nope"}},
                    "sequential": {"h5_save_load": {"ok": True, "error": None}},
                }
            },
        },
    )
    return tmp_path


def _stat(summary, style, metric):
    (row,) = [s for s in summary["stats"] if (s["style"], s["metric"]) == (style, metric)]
    return row


def _comparison(summary, style, metric):
    (row,) = [c for c in summary["comparisons"] if (c["style"], c["metric"]) == (style, metric)]
    return row


def test_summary_statistics_match_the_records():
    summary = summarize(_records())
    step = _stat(summary, "sequential", "steady_step_ms")
    assert step["n"] == 3
    assert step["mean"] == pytest.approx(12.0)
    assert step["stdev"] == pytest.approx(1.0)
    assert step["ci95_low"] < 12.0 < step["ci95_high"]


def test_verdicts_against_sequential():
    summary = summarize(_records())
    assert _comparison(summary, "functional", "test_accuracy")["verdict"] == "equivalent"
    assert _comparison(summary, "functional", "steady_step_ms")["verdict"] == "equivalent"
    slower = _comparison(summary, "subclassed", "steady_step_ms")
    assert slower["diff"] == pytest.approx(20.0)
    assert slower["verdict"] == "different"
    assert all(c["style"] != "sequential" for c in summary["comparisons"])


def test_time_to_target_is_compared_over_seeds_where_both_styles_reached_it():
    reached = {
        ("sequential", 1): 20.0,
        ("sequential", 2): 22.0,
        ("sequential", 3): 24.0,
        ("functional", 1): 20.0,
        ("functional", 2): 33.0,
        ("functional", 3): None,
    }
    rows = [record(style=style, seed=seed, time_to_target_seconds=t)
            for (style, seed), t in reached.items()]  # fmt: skip
    c = _comparison(summarize(rows), "functional", "time_to_target_seconds")
    assert c["n"] == 2  # seed 3 never reached the target in functional
    assert c["diff"] == pytest.approx(25.0)  # mean of +0 % and +50 %


def test_unstable_timings_are_warned_about_in_words():
    rows = [record(style="sequential", seed=s, build_seconds=b) for s, b in [(1, 1), (2, 2)]]
    warnings = summarize(rows)["warnings"]
    assert any("build s: unstable" in w for w in warnings)


def test_failed_and_diverged_runs_are_excluded_and_reported():
    rows = [*_records(), record(style="functional", seed=4, status="failed", error="Boom: x")]
    summary = summarize(rows)
    assert _stat(summary, "functional", "test_accuracy")["n"] == 3
    assert any("seed=4: failed. Boom: x" in w for w in summary["warnings"])


def test_identity_is_resolved_against_the_reference_style():
    resolved = {(r.style, r.seed): r.identical_to_reference for r in resolve_identity(_records())}
    assert resolved[("functional", 3)] is True
    assert resolved[("subclassed", 1)] is True
    assert resolved[("subclassed", 3)] is False


def test_write_report_produces_every_file(results_dir):
    results = write_report(results_dir)
    for name in ("results.json", "summary.csv", "summary.md", "README.md"):
        assert (results_dir / name).stat().st_size > 0, name
    for chart in (
        "accuracy",
        "step_time",
        "efficiency",
        "val_accuracy",
        "time_breakdown",
        "params",
    ):
        assert (results_dir / f"{chart}.png").read_bytes()[:4] == b"\x89PNG", chart
    on_disk = json.loads((results_dir / "results.json").read_text())
    assert on_disk["schema_version"] == results["schema_version"] == 1
    assert len(on_disk["runs"]) == 9
    assert {"environment", "config", "summary", "capabilities"} <= set(on_disk)
    readme = (results_dir / "README.md").read_text()
    assert "![accuracy](accuracy.png)" in readme
    assert "python -m bench --profile full" in readme
    summary_md = (results_dir / "summary.md").read_text()
    assert "| cnn    | subclassed |" in summary_md
    assert "cnn/subclassed h5_save_load: ValueError: nope" in summary_md


def test_report_uses_the_latest_record_of_each_run(results_dir):
    append_record(results_dir, record(style="functional", seed=1, accuracy=0.5))
    assert len(read_records(results_dir)) == 10
    latest = latest_records(results_dir)
    assert len(latest) == 9
    assert [r.test_accuracy for r in latest if (r.style, r.seed) == ("functional", 1)] == [0.5]


def test_torn_last_line_is_ignored(results_dir):
    with open(results_dir / RUNS_FILE, "a") as f:
        f.write('{"arch": "cnn", "sty')
    assert len(read_records(results_dir)) == 9


def test_report_without_records_says_what_to_do(tmp_path):
    with pytest.raises(ReportError, match="run `python -m bench` first"):
        write_report(tmp_path)
