"""The console after a sweep: the answer first, narrow, and each kind of warning in one line."""

from bench.analysis.stopping import BUDGET, DECIDED_ALL, MAXIMUM
from bench.analysis.summary import undecided_warnings
from bench.render.console import (
    answer_table,
    capability_lines,
    report_lines,
    short_verdict,
    wrap,
)
from bench.render.report import write_report
from tests import factories
from tests.factories import results_dir


def test_the_answer_and_every_line_after_it_fit_100_columns(tmp_path):
    results = write_report(results_dir(tmp_path))
    table = answer_table(results)
    assert any(line.startswith("cnn (each style against sequential)") for line in table)
    assert max(len(line) for line in table) <= 100
    rows = {
        line.split()[0]: line
        for line in table
        if line.split()[:1] in (["sequential"], ["functional"], ["subclassed"])
    }
    assert "reference" in rows["sequential"]
    assert "2/3 DIFFER" in rows["subclassed"]  # seed 3 trained to other weights
    assert rows["subclassed"].split()[2:4] == ["2/3", "DIFFER"]  # apart from the accuracy
    lines = report_lines(results, tmp_path)
    assert max(len(line) for line in lines) <= 100
    assert any(line.startswith("full report: ") for line in lines)


def test_a_long_line_wraps_under_its_own_indentation_and_keeps_its_words():
    line = "  once, ms (sequential, and each style's difference): " + "; ".join(
        f"build {n} (functional -10, subclassed -12)" for n in range(5)
    )
    lines = wrap(line)
    assert len(lines) > 1 and max(map(len, lines)) <= 100
    assert all(part.startswith("      ") for part in lines[1:])  # its 2 spaces and 4 more
    assert " ".join(part.strip() for part in lines) == line.strip()
    assert wrap("short") == ["short"]


def test_verdicts_that_fill_their_column_stay_apart(tmp_path):
    results = write_report(results_dir(tmp_path))
    results["paired"] = [
        factories.verdict(style="subclassed", measure=measure, verdict=v, direction=direction)
        for measure, v, direction in (
            ("train_step", "inconclusive", None),
            ("predict", "slower, within margin", "higher"),
        )
    ]
    (row,) = [line for line in answer_table(results) if line.startswith("subclassed")]
    assert "unclear slower <m" in row, row
    assert max(len(line) for line in answer_table(results)) <= 100


def _with_undecided(results, backend, pairs):
    """`results` with an inconclusive steady entry, ±9 % wide, per (style, measure), and the
    report's warning for each."""
    wide = [
        factories.verdict(
            9.0, backend=backend, style=style, measure=measure, processes=3, verdict="inconclusive"
        )
        for style, measure in pairs
    ]
    results["paired"] = [*results.get("paired", []), *wide]
    results["summary"]["warnings"] += undecided_warnings(wide)
    return results


def _unwrapped(lines: list[str]) -> list[str]:
    """The console's lines with each wrapped line joined again."""
    joined: list[str] = []
    for line in lines:
        if line.startswith("    ") and joined and joined[-1].startswith("note: "):
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    return joined


def test_warnings_of_one_kind_become_one_line(tmp_path):
    results = write_report(results_dir(tmp_path))
    assert not any("undecided" in line for line in report_lines(results, tmp_path))
    results["summary"]["warnings"] += [
        f"cnn/functional {metric}: unstable, standard deviation is 12 % of the mean (over 10 %)"
        for metric in ("build s", "compile s", "train s")
    ]
    _with_undecided(
        results, "tensorflow", [("subclassed", "train_step"), ("subclassed", "predict")]
    )
    lines = _unwrapped(report_lines(results, tmp_path))
    assert sum("vary by over 10 %" in line for line in lines) == 1
    assert "note: 3 per-run timings" in "\n".join(lines)
    assert not any("holds 1 and reaches past" in line for line in lines)  # not one per entry
    assert any("(0 the same, 2 undecided)" in line for line in lines)  # the answer counts them
    assert [line for line in lines if "undecided" in line and "note" in line] == [
        "note: cnn: 2 of 2 paired verdicts undecided (summary.md says why); more "
        "--max-processes may decide them"
    ]
    phase = {"backend": "tensorflow", "arch": "cnn", "stopped": BUDGET}
    results["paired_stopping"] = [phase]
    assert "a larger --budget may decide them" in "\n".join(
        _unwrapped(report_lines(results, tmp_path))
    )
    results["paired_stopping"] = [
        {**phase, "stopped": MAXIMUM, "phase": "one_time", "most_processes": 3}
    ]
    assert "their phase ran its most processes: one-time (3)" in "\n".join(
        _unwrapped(report_lines(results, tmp_path))
    )


def test_an_undecided_verdict_on_another_backend_is_counted_against_its_own_model(tmp_path):
    pairs = [(style, "train_step") for style in ("functional", "subclassed")]
    results = _with_undecided(write_report(results_dir(tmp_path)), "torch", pairs)
    results["paired_stopping"] = [
        {"backend": "torch", "arch": "cnn", "stopped": BUDGET},
        {"backend": "tensorflow", "arch": "cnn", "stopped": DECIDED_ALL},
    ]
    lines = _unwrapped(report_lines(results, tmp_path))
    (note,) = [line for line in lines if line.startswith("note: torch")]
    assert note == (
        "note: torch/cnn: 2 of 2 paired verdicts undecided (summary.md says why); "
        "a larger --budget may decide them"
    )


def test_verdicts_are_said_in_a_word_or_two():
    v = factories.verdict
    assert short_verdict(v(verdict="equivalent")) == "same"
    assert short_verdict(v(verdict="slower, beyond margin", direction="higher")) == "SLOWER"
    assert short_verdict(v(verdict="faster, within margin", direction="lower")) == ("faster <m")
    assert short_verdict(v(verdict="inconclusive")) == "unclear"


def test_each_style_that_fails_a_capability_check_gets_a_line_naming_them():
    found = {"outcome": "no", "error": "TypeError: x", "remedy": None, "detail": None}
    fine = {**found, "outcome": "yes"}
    capabilities = {
        "cnn": {
            "sequential": {"h5_save_load": fine},
            "subclassed": {
                "h5_save_load": found,
                "plot_model": {**found, "outcome": "not installed"},
            },
        }
    }
    assert capability_lines(capabilities) == [
        "",
        "cannot: cnn/subclassed, 1 of 2 capability checks: h5_save_load",
    ]
    assert capability_lines({"cnn": {"sequential": {"h5_save_load": fine}}}) == []


def test_the_step_column_is_the_paired_phases_median_not_the_runs(tmp_path):
    results = write_report(results_dir(tmp_path))  # the runs' subclassed steps: 14.4 ms
    (row,) = [line for line in answer_table(results) if line.startswith("subclassed")]
    assert "14.4" not in row, row
    median = {
        "backend": "tensorflow",
        "arch": "cnn",
        "style": "subclassed",
        "measure": "train_step",
        "median_ms_per_call": 13.25,
    }
    results["paired_medians"] = [median]
    (row,) = [line for line in answer_table(results) if line.startswith("subclassed")]
    assert "13.2" in row, row
