"""The console after a sweep: the answer first, narrow, and each kind of warning in one line."""

import math

from bench.analysis.stopping import AIMS_MET, BUDGET
from bench.analysis.summary import paired_precision_warnings
from bench.render.console import answer_table, report_lines, short_verdict
from bench.render.report import write_report
from tests.factories import results_dir


def test_the_answer_fits_100_columns_and_no_line_passes_120(tmp_path):
    results = write_report(results_dir(tmp_path))
    table = answer_table(results)
    assert any(line.startswith("cnn (each style against sequential)") for line in table)
    assert max(len(line) for line in table) <= 100
    rows = {line.split()[0]: line for line in table if line.split()[:1] in
            (["sequential"], ["functional"], ["subclassed"])}  # fmt: skip
    assert "reference" in rows["sequential"]
    assert "2/3 DIFFER" in rows["subclassed"]  # seed 3 trained to other weights
    assert rows["subclassed"].split()[2:4] == ["2/3", "DIFFER"]  # apart from the accuracy
    lines = report_lines(results, tmp_path)
    assert max(len(line) for line in lines) <= 120
    assert any(line.startswith("full report: ") for line in lines)


def test_verdicts_that_fill_their_column_stay_apart(tmp_path):
    results = write_report(results_dir(tmp_path))
    results["paired"] = [
        {"backend": "tensorflow", "arch": "cnn", "style": "subclassed", "measure": measure,
         "verdict": verdict, "direction": direction}
        for measure, verdict, direction in (("train_step", "inconclusive", None),
                                            ("predict", "different, within margin", "higher"))
    ]  # fmt: skip
    (row,) = [line for line in answer_table(results) if line.startswith("subclassed")]
    assert "unclear slower <m" in row, row
    assert max(len(line) for line in answer_table(results)) <= 100


def _with_wide_intervals(results, backend, pairs):
    """`results` with a steady entry ±9 % wide (aims ±1.5 and ±3 %) per (style, measure), and
    the report's warning for each."""
    h = math.asinh(0.09)
    wide = [{"phase": "steady", "backend": backend, "arch": "cnn", "style": style,
             "measure": measure, "estimate": 1.0, "ci95_low": math.exp(-h),
             "ci95_high": math.exp(h), "processes": 3, "verdict": "inconclusive",
             "direction": None} for style, measure in pairs]  # fmt: skip
    results["paired"] = [*results.get("paired", []), *wide]
    results["summary"]["warnings"] += paired_precision_warnings(wide)
    return results


def test_warnings_of_one_kind_become_one_line(tmp_path):
    results = write_report(results_dir(tmp_path))
    assert not any("wider than" in line for line in report_lines(results, tmp_path))
    results["summary"]["warnings"] += [
        f"cnn/functional {metric}: unstable, standard deviation is 12 % of the mean (over 10 %)"
        for metric in ("build s", "compile s", "train s")
    ]
    _with_wide_intervals(results, "tensorflow", [("subclassed", "train_step"),
                                                 ("subclassed", "predict")])  # fmt: skip
    lines = report_lines(results, tmp_path)
    assert sum("vary by over 10 %" in line for line in lines) == 1
    assert "note: 3 per-run timings" in "\n".join(lines)
    assert not any("wider than the ±" in line for line in lines)  # not one line per interval
    assert [line for line in lines if "wider than their aims" in line] == [
        "note: cnn: 2 paired intervals are wider than their aims (summary.md); more "
        "--paired-processes narrows them"
    ]
    phase = {"backend": "tensorflow", "arch": "cnn", "stopped": BUDGET, "processes_for_aims": None}
    results["paired_stopping"] = [phase]
    assert "a larger --budget narrows them" in "\n".join(report_lines(results, tmp_path))
    results["paired_stopping"] = [
        {**phase, "processes_for_aims": 12, "worker_seconds_for_aims": 300.0},
        {**phase, "processes_for_aims": 45, "worker_seconds_for_aims": 900.0},
        {**phase, "stopped": AIMS_MET, "processes_for_aims": 60, "worker_seconds_for_aims": 1e4},
    ]
    assert "; about 45 processes (20 min) would meet them" in "\n".join(
        report_lines(results, tmp_path)
    )


def test_a_wide_interval_on_another_backend_is_counted_against_its_own_model(tmp_path):
    pairs = [(style, "train_step") for style in ("functional", "subclassed")]
    results = _with_wide_intervals(write_report(results_dir(tmp_path)), "torch", pairs)
    results["paired_stopping"] = [
        {"backend": "torch", "arch": "cnn", "stopped": BUDGET, "processes_for_aims": 21,
         "worker_seconds_for_aims": 600.0},
        {"backend": "tensorflow", "arch": "cnn", "stopped": AIMS_MET, "processes_for_aims": 9,
         "worker_seconds_for_aims": 60.0},
    ]  # fmt: skip
    (note,) = [line for line in report_lines(results, tmp_path) if "wider than" in line]
    assert note == (
        "note: torch/cnn: 2 paired intervals are wider than their aims (summary.md); "
        "about 21 processes (10 min) would meet them"
    )


def test_verdicts_are_said_in_a_word_or_two():
    assert short_verdict({"verdict": "equivalent", "direction": None}) == "same"
    assert short_verdict({"verdict": "different, beyond margin", "direction": "higher"}) == "SLOWER"
    assert short_verdict({"verdict": "different, within margin", "direction": "lower"}) == (
        "faster <m"
    )
    assert short_verdict({"verdict": "inconclusive", "direction": None}) == "unclear"
