"""Report and charts from a fixture records file: numbers, verdicts, files, no training."""

import json
import re

import pytest

from bench.records import (
    RUNS_FILE,
    SCHEMA_VERSION,
    PairedRecord,
    RecordsFileError,
    append_paired,
    append_record,
    read_records,
    resolve_identity,
    write_json,
)
from bench.report import (
    ReportError,
    _jit_setting,
    backend_comparisons,
    latest_records,
    summarize,
    write_report,
)
from bench.stats import BEYOND
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
    assert slower["estimate"] == pytest.approx(1.2)
    assert (slower["verdict"], slower["direction"]) == ("different, beyond margin", "higher")
    assert all(c["style"] != "sequential" for c in summary["comparisons"])


@pytest.mark.parametrize(
    ("factors", "verdict"),
    [
        ([1.004, 0.995, 1.002, 0.999, 1.003], "equivalent"),
        ([1.010, 1.014, 1.008, 1.012, 1.011], "different, within margin"),
        ([1.09, 1.11, 1.10, 1.12, 1.08], "different, beyond margin"),
        ([1.049, 1.019, 1.080, 1.030, 1.065], "different, size unclear"),
        ([1.05, 0.94, 1.07, 0.96, 1.02], "inconclusive"),
    ],
)
def test_step_time_verdicts_through_summarize_on_noisy_seeds(factors, verdict):
    # the reference's own times vary from seed to seed too: nothing here has zero variance
    reference_ms = [10.0, 12.5, 9.0, 11.0, 13.0]
    rows = []
    for seed, (ms, factor) in enumerate(zip(reference_ms, factors, strict=True), 1):
        rows.append(record(style="sequential", seed=seed, step_ms=ms))
        rows.append(record(style="functional", seed=seed, step_ms=ms * factor))
    c = _comparison(summarize(rows, time_margin=3), "functional", "steady_step_ms")
    assert c["n"] == 5 and c["ci95_low"] < c["ci95_high"]
    assert c["verdict"] == verdict, c


def test_accuracy_verdicts_through_summarize_are_in_points():
    rows = []
    for seed, (ref, cand) in enumerate([(0.990, 0.978), (0.991, 0.981), (0.989, 0.977)], 1):
        rows.append(record(style="sequential", seed=seed, accuracy=ref))
        rows.append(record(style="subclassed", seed=seed, accuracy=cand))
    c = _comparison(summarize(rows), "subclassed", "test_accuracy")
    assert c["scale"] == "points"
    assert c["estimate"] == pytest.approx(-1.13, abs=0.01)
    assert (c["verdict"], c["direction"]) == ("different, beyond margin", "lower")


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
    assert c["estimate"] == pytest.approx(1.5**0.5)  # geometric mean of 1.0 and 1.5


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
    assert on_disk["schema_version"] == results["schema_version"] == SCHEMA_VERSION
    assert len(on_disk["runs"]) == 9
    assert {"environment", "config", "summary", "capabilities"} <= set(on_disk)
    readme = (results_dir / "README.md").read_text()
    assert "![accuracy](accuracy.png)" in readme
    assert "python -m bench --profile full" in readme
    summary_md = (results_dir / "summary.md").read_text()
    assert "| cnn    | subclassed |" in summary_md
    assert "cnn/subclassed h5_save_load: ValueError: nope" in summary_md
    # Sequential is the reference, not a run compared with itself
    sequential_rows = [line for line in summary_md.splitlines()
                       if re.match(r"\| tensorflow +\| cnn +\| sequential +\|", line)]  # fmt: skip
    assert sequential_rows[0].rstrip(" |").endswith("reference")  # the results table
    # seed 3 of subclassed trained to other weights: said loudly, at the top
    assert summary_md.startswith("## ⚠ WARNING: styles trained to different weights")
    assert "cnn/subclassed seed=3: trained weights DIFFER" in summary_md
    assert "2/3 **DIFFER**" in summary_md
    assert "cnn/subclassed seed=3: trained weights DIFFER" in readme
    assert "Code version unknown" in readme  # the fixture's environment names no commit


def test_a_report_from_a_dirty_tree_says_so_at_the_top(results_dir):
    sweep = json.loads((results_dir / "sweep.json").read_text())
    sweep["environment"]["git"] = {"commit": "0123456789abcdef", "dirty": True}
    write_json(results_dir / "sweep.json", sweep)
    write_report(results_dir)
    head = (results_dir / "README.md").read_text().splitlines()[:4]
    assert any("uncommitted changes" in line and "0123456789ab" in line for line in head), head


def test_report_uses_the_latest_record_of_each_run(results_dir):
    append_record(results_dir, record(style="functional", seed=1, accuracy=0.5))
    assert len(read_records(results_dir)) == 10
    latest = latest_records(results_dir)
    assert len(latest) == 9
    assert [r.test_accuracy for r in latest if (r.style, r.seed) == ("functional", 1)] == [0.5]


def test_torn_last_line_is_skipped_with_a_warning(results_dir):
    with open(results_dir / RUNS_FILE, "a") as f:
        f.write('{"arch": "cnn", "sty')
    with pytest.warns(UserWarning, match=r"runs.jsonl:10: skipping a torn last line"):
        assert len(read_records(results_dir)) == 9


def test_a_malformed_line_in_the_middle_is_an_error_naming_file_and_line(results_dir):
    lines = (results_dir / RUNS_FILE).read_text().splitlines()
    lines[4] = lines[4][:-5]  # a line cut short, with whole lines after it
    (results_dir / RUNS_FILE).write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordsFileError, match=r"runs.jsonl:5: not a JSON record"):
        read_records(results_dir)


def test_a_malformed_last_line_that_ends_in_a_newline_is_not_torn_but_an_error(results_dir):
    with open(results_dir / RUNS_FILE, "a") as f:
        f.write("not json\n")
    with pytest.raises(RecordsFileError, match=r"runs.jsonl:10"):
        read_records(results_dir)


def test_a_failed_paired_phase_is_reported_as_a_warning(results_dir):
    failed = PairedRecord(
        arch="cnn", styles=["sequential", "functional"], reference="sequential", seed=1,
        settings_key="{}", rounds=30, steps_per_burst={}, order_seed=0, seconds={},
        batch_size=128, predict_batch=0, status="failed", error="RetracedError: traced\nmore",
    )  # fmt: skip
    append_paired(results_dir, failed)
    results = write_report(results_dir)
    assert results["paired"] == []
    assert "cnn paired timing: failed. RetracedError: traced" in results["summary"]["warnings"]


def test_paired_intervals_wider_than_their_target_are_warned_about():
    from bench.report import paired_precision_warnings

    entry = {"arch": "mlp", "style": "functional", "ratio": 1.0, "processes": 8}
    wide = {**entry, "measure": "predict", "ci_low": 0.98, "ci_high": 1.02}  # ±2 %
    narrow = {**entry, "measure": "train_step", "ci_low": 0.99, "ci_high": 1.01}  # ±1 %
    latency = {**entry, "measure": "latency", "ci_low": 0.98, "ci_high": 1.02}  # target ±3 %
    (warning,) = paired_precision_warnings([wide, narrow, latency])
    assert "mlp/functional paired predict, 1,024 images: 95 % interval ±2.0 %" in warning
    assert "wider than the ±1.5 % aimed for over 8 process(es)" in warning


def test_report_without_records_says_what_to_do(tmp_path):
    with pytest.raises(ReportError, match="run `python -m bench` first"):
        write_report(tmp_path)


def test_the_report_warns_when_a_models_runs_ran_on_different_kinds_of_node():
    fast = {"id": "a", "cpu_model": "EPYC 9654", "cpu_cores": 96}
    slow = {"id": "b", "cpu_model": "EPYC 7551", "cpu_cores": 2}
    records = [
        record(style="sequential", seed=1, node=fast),
        record(style="functional", seed=1, node=slow),
        record(arch="mlp", style="sequential", seed=1, node=fast),
        record(arch="mlp", style="functional", seed=1, node=dict(fast, id="c")),
    ]
    warnings = summarize(records)["warnings"]
    mixed = [w for w in warnings if "different kinds of node" in w]
    assert len(mixed) == 1 and mixed[0].startswith("cnn: its runs ran on"), warnings
    assert "EPYC 7551 (2 cores)" in mixed[0] and "EPYC 9654 (96 cores)" in mixed[0]


def _on(backend, seed, step_ms, shared=True, **changes):
    import dataclasses

    from bench.config import RunSpec
    from tests.records_fixture import SETTINGS

    settings = dataclasses.replace(SETTINGS, backend=backend, shared_start=shared)
    key = RunSpec("mlp", "functional", seed, settings).key()
    return record(arch="mlp", style="functional", seed=seed, step_ms=step_ms, backend=backend,
                  run_key=key, **changes)  # fmt: skip


def test_other_backends_are_compared_with_tensorflow_seed_by_seed_when_they_shared_a_start():
    records = [_on("tensorflow", seed, 10.0 + seed / 10, accuracy=0.98) for seed in (1, 2, 3)]
    records += [_on("jax", seed, 5.0 + seed / 10, accuracy=0.981) for seed in (1, 2, 3)]
    found = {c["metric"]: c for c in backend_comparisons(records)}
    assert set(found) == {"test_accuracy", "first_epoch_seconds", "steady_step_ms",
                          "predict_images_per_second", "predict_latency_ms"}  # fmt: skip
    step = found["steady_step_ms"]
    assert (step["backend"], step["reference_backend"], step["n"]) == ("jax", "tensorflow", 3)
    assert 0.48 < step["estimate"] < 0.53 and step["verdict"] == BEYOND
    assert step["direction"] == "lower"
    assert found["test_accuracy"]["estimate"] == pytest.approx(0.1)  # points
    # without a shared start the backends began from different weights: no comparison
    unshared = [_on(b, seed, 10.0, shared=False) for b in ("tensorflow", "jax") for seed in (1, 2)]
    assert backend_comparisons(unshared) == []


def test_the_report_states_the_jit_setting_the_sweep_asked_for():
    # --jit-compile became auto|on|off with the backend axis; "off" once read as "on" here
    assert _jit_setting("off") == "off" and _jit_setting("on") == "on"
    assert _jit_setting("auto").startswith("auto")
    assert _jit_setting(False) == "off" and _jit_setting(True) == "on"  # schema 2 sweeps
