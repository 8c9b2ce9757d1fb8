"""`python -m bench compare`: matching, verdicts, settings differences, the regression gate."""

import dataclasses
import json

import pytest

from bench.analysis.compare import compare
from bench.cli import main
from bench.plan.config import make_config
from bench.render.compare import markdown
from bench.render.report import write_report
from bench.store.files import write_json
from bench.store.records import append_record
from tests.factories import SETTINGS, record

STEP_MS = {1: 10.0, 2: 11.0, 3: 10.5, 4: 12.0}  # per seed: runs vary, as real ones do
ACCURACY = {1: 0.990, 2: 0.991, 3: 0.989, 4: 0.9905}


def _sweep(directory, slower=1.0, accuracy_drop=0.0, settings=SETTINGS):
    """A reported sweep of fixture records; cnn/subclassed is `slower` and less accurate."""
    directory.mkdir()
    for seed in STEP_MS:
        for style in ("sequential", "functional", "subclassed"):
            factor = slower if style == "subclassed" else 1.0
            drop = accuracy_drop if style == "subclassed" else 0.0
            step = STEP_MS[seed] * factor
            append_record(
                directory,
                record(
                    style=style, seed=seed, step_ms=step, accuracy=ACCURACY[seed] - drop,
                    train_seconds=60 * step / 10, first_epoch_seconds=4.0 * factor,
                    predict_latency_ms=1.0 * factor, epochs=settings.epochs,
                ),
            )  # fmt: skip
    config = make_config("quick", directory, epochs=settings.epochs)
    config_dict = config.to_dict()
    config_dict["settings"] = dataclasses.asdict(settings)
    write_json(
        directory / "sweep.json",
        {"created_at": "2026-11-25T00:00:00+00:00", "command": [], "config": config_dict,
         "environment": {"cpu_model": "test cpu", "cpu_cores": 2, "tensorflow": "2.21.0"}},
    )  # fmt: skip
    write_report(directory)
    return directory


def _compare_exit(argv, capsys):
    code = main(["compare", *argv])
    return code, capsys.readouterr()


def test_a_sweep_against_itself_shows_no_regression(tmp_path, capsys):
    a = _sweep(tmp_path / "a")
    code, printed = _compare_exit([str(a), str(a), "--out", str(tmp_path / "c"),
                                   "--fail-on-regression"], capsys)  # fmt: skip
    assert code == 0, printed.err
    rows = json.loads((tmp_path / "c" / "compare.json").read_text())["rows"]
    assert rows and not any(r["regression"] for r in rows)
    assert all(r["estimate"] == pytest.approx(1.0 if r["unit"] == "ratio" else 0.0)
               for r in rows)  # fmt: skip
    for name in ("compare.md", "compare.csv", "compare.json", "compare.png"):
        assert (tmp_path / "c" / name).stat().st_size > 0, name
    assert "## Regressions\n\nNone." in printed.out


def test_times_scaled_by_one_and_a_half_are_a_regression(tmp_path, capsys):
    a, b = _sweep(tmp_path / "a"), _sweep(tmp_path / "b", slower=1.5)
    found = compare(a, b)
    (step,) = [r for r in found.rows
               if (r["style"], r["metric"]) == ("subclassed", "steady_step_ms")]  # fmt: skip
    assert step["estimate"] == pytest.approx(1.5)
    assert step["verdict"] == "slower, beyond margin" and step["regression"]
    assert not any(r["regression"] for r in found.rows if r["style"] != "subclassed")
    code, printed = _compare_exit([str(a), str(b), "--out", str(tmp_path / "c"),
                                   "--fail-on-regression"], capsys)  # fmt: skip
    assert code == 1
    assert "regression: tensorflow/cnn/subclassed steady step ms: 1.500×" in printed.err
    # without the gate it is a report, not a failure
    assert _compare_exit([str(a), str(b), "--out", str(tmp_path / "d")], capsys)[0] == 0


def test_an_accuracy_drop_of_one_point_is_a_regression(tmp_path, capsys):
    a, b = _sweep(tmp_path / "a"), _sweep(tmp_path / "b", accuracy_drop=0.01)
    (accuracy,) = [r for r in compare(a, b).rows
                   if (r["style"], r["metric"]) == ("subclassed", "test_accuracy")]  # fmt: skip
    assert accuracy["estimate"] == pytest.approx(-1.0)
    assert accuracy["verdict"] == "lower, beyond margin" and accuracy["regression"]
    code, printed = _compare_exit([str(a), str(b), "--out", str(tmp_path / "c"),
                                   "--fail-on-regression"], capsys)  # fmt: skip
    assert code == 1 and "test accuracy: -1.00 pt" in printed.err


def test_differing_settings_are_listed_and_what_depends_on_them_is_not_compared(tmp_path):
    a = _sweep(tmp_path / "a")
    b = _sweep(tmp_path / "b", settings=dataclasses.replace(SETTINGS, epochs=5))
    found = compare(a, b)
    assert found.settings == [{"key": "epochs", "base": 3, "new": 5}]
    by_metric = {(r["style"], r["metric"]): r for r in found.rows}
    assert by_metric[("functional", "test_accuracy")]["verdict"] == "not compared: epochs differ"
    assert by_metric[("functional", "train_seconds")]["verdict"] == "not compared: epochs differ"
    assert "estimate" in by_metric[("functional", "steady_step_ms")]  # per-step: still compared
    assert "| epochs | 3      | 5     |" in markdown(found, 3)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda d: (d / "results.json").unlink(), "results.json is missing"),
        (lambda d: (d / "results.json").write_text('{"schema_version": 1, "runs": []}'),
         "has schema_version 1; this version of the harness compares schemas 2, 3"),
        (lambda d: (d / "results.json").write_text("{"), "not JSON"),
    ],
)  # fmt: skip
def test_unusable_directories_exit_2_with_one_line(tmp_path, capsys, break_it, message):
    a, b = _sweep(tmp_path / "a"), _sweep(tmp_path / "b")
    break_it(b)
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", str(a), str(b), "--out", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err, err


def test_compare_refuses_to_write_into_a_compared_directory(tmp_path, capsys):
    a = _sweep(tmp_path / "a")
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", str(a), str(tmp_path / "nope"), "--out", str(a)])
    assert exit_info.value.code == 2
    assert "is one of the compared directories" in capsys.readouterr().err


def test_paired_verdicts_of_both_sweeps_are_set_side_by_side_whatever_their_schema(tmp_path):
    a, b = _sweep(tmp_path / "a"), _sweep(tmp_path / "b")
    entry = {"arch": "cnn", "style": "functional", "reference": "sequential",
             "measure": "train_step", "ratio": 1.0, "ci_low": 0.99, "ci_high": 1.01,
             "verdict": "equivalent", "direction": None, "ci90_low": 0.992, "ci90_high": 1.008,
             "margin_percent": 3, "rounds": 8}  # fmt: skip
    slower = {"ratio": 1.2, "ci_low": 1.15, "ci_high": 1.25, "ci90_low": 1.16, "ci90_high": 1.24,
              "verdict": "different, beyond margin", "direction": "higher"}  # fmt: skip
    for directory, changes in ((a, {}), (b, slower)):
        results = json.loads((directory / "results.json").read_text())
        results["paired"] = [{**entry, **changes}]
        write_json(directory / "results.json", results)
    found = compare(a, b)
    (change,) = found.paired
    # written in the shape of schema 3 (ratio, ci_low, ...), read in the one shape of today
    assert (change["base"]["estimate"], change["new"]["ci95_low"]) == (1.0, 1.15)
    assert change["changed"] is True
    text = markdown(found, 3.0)
    assert "1.000× [0.990, 1.010] | equivalent" in text
    assert "1.200× [1.150, 1.250] | slower, beyond margin" in text
