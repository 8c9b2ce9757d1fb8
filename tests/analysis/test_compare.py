"""`python -m bench compare`: matching, verdicts, settings differences, the regression gate."""

import dataclasses
import json

import pytest

from bench.analysis.compare import compare
from bench.cli import main
from bench.plan.config import make_config
from bench.plan.specs import SteadySpec
from bench.render.compare import markdown
from bench.render.report import write_report
from bench.store.files import write_json
from bench.store.records import append_record, append_steady
from bench.store.schema import SCHEMA_VERSION
from tests.factories import SETTINGS, record, steady_record

STEP_MS = {1: 10.0, 2: 11.0, 3: 10.5, 4: 12.0}  # per seed: runs vary, as real ones do
ACCURACY = {1: 0.990, 2: 0.991, 3: 0.989, 4: 0.9905}


def _sweep(
    directory,
    slower=1.0,
    accuracy_drop=0.0,
    settings=SETTINGS,
    seeds=tuple(STEP_MS),
    environment=None,
    processes=0,
    effect=1.0,
    capabilities=None,
    **changes,
):
    """A reported sweep of fixture records; cnn/subclassed is `slower` and less accurate, and
    with `processes`, its paired train step is `effect` times the reference's."""
    directory.mkdir()
    for process in range(processes):
        rounds = [0.01 * (1 + 0.02 * ((r * 7 + process * 3) % 5)) for r in range(6)]
        seconds = {
            "train_step": {
                "sequential": rounds,
                "subclassed": [t * effect * (1 + 0.003 * (process % 3 - 1)) for t in rounds],
            }
        }
        spec = SteadySpec("cnn", ("sequential", "subclassed"), 1, settings, 6, process=process)
        append_steady(
            directory, steady_record(spec, seconds=seconds, steps_per_burst={"train_step": 2})
        )
    for seed in seeds:
        for style in ("sequential", "functional", "subclassed"):
            factor = slower if style == "subclassed" else 1.0
            drop = accuracy_drop if style == "subclassed" else 0.0
            step = STEP_MS[seed] * factor
            append_record(
                directory,
                record(
                    style=style,
                    seed=seed,
                    step_ms=step,
                    accuracy=ACCURACY[seed] - drop,
                    **{
                        "train_seconds": 60 * step / 10,
                        "first_epoch_seconds": 4.0 * factor,
                        "predict_latency_ms": 1.0 * factor,
                        "epochs": settings.epochs,
                        "test_images": settings.test_images_used,
                        **{k: v(seed, style) if callable(v) else v for k, v in changes.items()},
                    },
                ),
            )
    config = make_config("quick", directory, epochs=settings.epochs)
    config_dict = config.to_dict()
    config_dict["settings"] = dataclasses.asdict(settings)
    write_json(
        directory / "sweep.json",
        {
            "schema_version": SCHEMA_VERSION,
            "created_at": "2026-11-25T00:00:00+00:00",
            "command": [],
            "config": config_dict,
            "environment": environment
            or {"cpu_model": "test cpu", "cpu_cores": 2, "tensorflow": "2.21.0"},
            "capabilities": capabilities or {},
        },
    )
    write_report(directory)
    return directory


def _compare_exit(argv, capsys):
    code = main(["compare", *argv])
    return code, capsys.readouterr()


def test_a_sweep_against_itself_shows_no_regression(tmp_path, capsys):
    a = _sweep(tmp_path / "a")
    code, printed = _compare_exit(
        [str(a), str(a), "--out", str(tmp_path / "c"), "--fail-on-regression"], capsys
    )
    assert code == 0, printed.err
    rows = json.loads((tmp_path / "c" / "compare.json").read_text())["rows"]
    assert rows and not any(r.get("regression") for r in rows)
    assert all(
        c["estimate"] == pytest.approx(1.0 if c["unit"] == "ratio" else 0.0)
        for c in (r["change"] for r in rows if "change" in r)
    )
    for name in ("compare.md", "compare.csv", "compare.json", "compare.png"):
        assert (tmp_path / "c" / name).stat().st_size > 0, name
    assert "## Regressions\n\nNone." in (tmp_path / "c" / "compare.md").read_text()
    # the console leads with the answer, within 100 columns
    assert printed.out.startswith("no regression: NEW is nowhere worse than BASE")
    assert max(map(len, printed.out.splitlines())) <= 100


def test_times_scaled_by_one_and_a_half_are_a_regression(tmp_path, capsys):
    a, b = _sweep(tmp_path / "a"), _sweep(tmp_path / "b", slower=1.5)
    found = compare(a, b)
    (step,) = [
        r for r in found.rows if (r["style"], r["metric"]) == ("subclassed", "steady_step_ms")
    ]
    assert step["change"].estimate == pytest.approx(1.5)
    assert step["verdict"] == "slower, beyond margin" and step["regression"]
    assert not any(r.get("regression") for r in found.rows if r["style"] != "subclassed")
    code, printed = _compare_exit(
        [str(a), str(b), "--out", str(tmp_path / "c"), "--fail-on-regression"], capsys
    )
    assert code == 1
    assert printed.out.startswith("REGRESSION: 2 found, NEW worse than BASE beyond the margin (")
    assert "regression: tensorflow/cnn/subclassed steady step ms: 1.500×" in printed.err
    # without the gate it is a report, not a failure, that lists each regression first
    code, printed = _compare_exit([str(a), str(b), "--out", str(tmp_path / "d")], capsys)
    lines = printed.out.splitlines()
    assert code == 0 and lines[0].endswith(" beyond the margin:")
    assert "    tensorflow/cnn/subclassed steady step ms: 1.500×" in "\n".join(lines[1:3])


def test_an_accuracy_drop_of_one_point_is_a_regression(tmp_path, capsys):
    a, b = _sweep(tmp_path / "a"), _sweep(tmp_path / "b", accuracy_drop=0.01)
    (accuracy,) = [
        r
        for r in compare(a, b).rows
        if (r["style"], r["metric"]) == ("subclassed", "test_accuracy")
    ]
    assert accuracy["change"].estimate == pytest.approx(-1.0)
    assert accuracy["verdict"] == "lower, beyond margin" and accuracy["regression"]
    code, printed = _compare_exit(
        [str(a), str(b), "--out", str(tmp_path / "c"), "--fail-on-regression"], capsys
    )
    assert code == 1 and "test accuracy: -1.00 pt" in printed.err


def test_differing_settings_are_listed_and_what_depends_on_them_is_not_compared(tmp_path):
    a = _sweep(tmp_path / "a")
    b = _sweep(tmp_path / "b", settings=dataclasses.replace(SETTINGS, epochs=5))
    found = compare(a, b)
    assert found.settings == [{"key": "epochs", "base": 3, "new": 5}]
    by_metric = {(r["style"], r["metric"]): r for r in found.rows}
    assert by_metric[("functional", "test_accuracy")]["verdict"] == "not compared: epochs differ"
    assert by_metric[("functional", "train_seconds")]["verdict"] == "not compared: epochs differ"
    assert "change" in by_metric[("functional", "steady_step_ms")]  # per-step: still compared
    assert "| epochs | 3      | 5     |" in markdown(found, 3)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda d: (d / "sweep.json").unlink(), "sweep.json is missing"),
        (
            lambda d: (d / "sweep.json").write_text('{"schema_version": 1}'),
            f"has schema 1; this harness reads schema {SCHEMA_VERSION}: convert it with "
            "`python -m bench upgrade",
        ),
        (lambda d: (d / "sweep.json").write_text("{"), "not JSON"),
        (lambda d: (d / "runs.jsonl").unlink(), "no runs recorded"),
    ],
)
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


def test_compare_reads_the_records_and_never_the_reports_results_json(tmp_path):
    a, b = _sweep(tmp_path / "a", processes=4), _sweep(tmp_path / "b", processes=4, effect=1.2)
    before = compare(a, b)
    assert before.paired, "premise: paired verdicts on both sides"
    for directory in (a, b):
        results = json.loads((directory / "results.json").read_text())
        results["paired"], results["summary"] = [], {}
        write_json(directory / "results.json", results)
    after = compare(a, b)
    assert (after.rows, after.paired) == (before.rows, before.paired)


def test_one_run_per_side_with_the_gate_exits_2_naming_the_cells_and_seeds(tmp_path, capsys):
    a, b = _sweep(tmp_path / "a", seeds=(1,)), _sweep(tmp_path / "b", seeds=(1,))
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", str(a), str(b), "--out", str(tmp_path / "c"), "--fail-on-regression"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert "tensorflow/cnn/sequential (BASE seeds 1; NEW seeds 1)" in err
    assert "rerun the thin side with --seeds 2 or more" in err
    # without the gate it is still a report
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "d")]) == 0


def test_accuracy_is_paired_by_seed_when_both_sweeps_ran_the_same_experiment(tmp_path):
    a, b = _sweep(tmp_path / "a"), _sweep(tmp_path / "b")
    found = compare(a, b)
    (same,) = [
        r for r in found.rows if (r["style"], r["metric"]) == ("sequential", "test_accuracy")
    ]
    # identical per-seed accuracies: exactly no difference, where Welch said [-2.98, +2.98]
    assert (same["pairing"], same["verdict"]) == ("paired by seed", "equivalent")
    assert (same["change"].ci95_low, same["change"].ci95_high) == (0.0, 0.0)
    other_seeds = compare(a, _sweep(tmp_path / "c", seeds=(1, 2, 3)))
    assert other_seeds.accuracy_pairing == "unpaired (Welch)"


def test_two_sides_of_times_without_spread_claim_nothing(tmp_path):
    flat = {"predict_latency_ms": 1.0}
    a = _sweep(tmp_path / "a", **flat)
    b = _sweep(tmp_path / "b", predict_latency_ms=1.05)
    (latency,) = [
        r
        for r in compare(a, b).rows
        if (r["style"], r["metric"]) == ("functional", "predict_latency_ms")
    ]
    assert latency["verdict"] == "inconclusive (no spread)" and latency["change"].ci95_low is None
    assert not latency["regression"]


def test_the_committed_zen3_and_zen4_sweeps_are_different_machines():
    from tests.factories import PROJECT

    found = compare(
        PROJECT / "lab" / "runs" / "quick-zen3-one-core", PROJECT / "lab" / "runs" / "zen4-full"
    )
    assert found.machines_differ
    assert any(reason.startswith("cpu_native_bf16: False → True") for reason in found.machines)
    assert "**The machines differ**" in markdown(found, 3.0)


def test_compare_states_the_smallest_regressions_it_could_have_found(tmp_path):
    found = compare(_sweep(tmp_path / "a"), _sweep(tmp_path / "b"))
    slow, drop = found.detectable["slowdown_percent"], found.detectable["accuracy_drop_points"]
    assert 3 < slow["median"] <= slow["worst"]  # at least the margin, plus the interval
    assert drop["median"] == pytest.approx(0.2)  # exact paired accuracy: the margin alone
    assert "The smallest regressions this comparison could have found: a slowdown of" in (
        markdown(found, 3.0)
    )


def test_fewer_runs_reaching_the_target_is_a_regression(tmp_path):
    reached = {"time_to_target_seconds": lambda seed, style: 20.0 + seed}
    a = _sweep(tmp_path / "a", **reached)
    b = _sweep(
        tmp_path / "b", time_to_target_seconds=lambda seed, style: None if seed > 2 else 21.0
    )
    (row,) = [
        r
        for r in compare(a, b).rows
        if (r["style"], r["metric"]) == ("functional", "time_to_target_seconds")
    ]
    assert (row["reached_base"], row["reached_new"]) == ("4 of 4", "2 of 4")
    assert row["verdict"] == "fewer runs reached the target" and row["regression"]


def test_predict_throughput_over_other_test_images_is_not_compared(tmp_path):
    a = _sweep(tmp_path / "a")
    b = _sweep(tmp_path / "b", settings=dataclasses.replace(SETTINGS, test_images=5_000))
    (row,) = [
        r
        for r in compare(a, b).rows
        if (r["style"], r["metric"]) == ("functional", "predict_images_per_second")
    ]
    assert row["verdict"] == "not compared: test_images differ"


def test_a_styles_effect_that_changed_is_found_as_a_ratio_of_ratios(tmp_path):
    a = _sweep(tmp_path / "a", processes=4, effect=1.0)
    b = _sweep(tmp_path / "b", processes=4, effect=1.10)
    (effect,) = [p for p in compare(a, b).paired if p["measure"] == "train_step"]
    assert effect["change"].estimate == pytest.approx(1.10, rel=1e-3)
    assert effect["verdict"] == "slower, beyond margin"
    same = compare(a, _sweep(tmp_path / "c", processes=4, effect=1.0)).paired[0]
    assert same["verdict"] == "equivalent"


def test_three_sweeps_give_a_history_table_and_chart(tmp_path, capsys):
    sweeps = [
        _sweep(tmp_path / name, processes=3, effect=e)
        for name, e in (("a", 1.0), ("b", 1.0), ("c", 1.2))
    ]
    out = tmp_path / "h"
    assert main(["compare", *map(str, sweeps), "--out", str(out)]) == 0
    text = (out / "history.md").read_text()
    assert "## Each style against its reference, sweep by sweep" in text
    assert "## From sweep 2 to sweep 3: did a style's effect change?" in text
    assert "cnn/subclassed train step: 1.200×" in text
    # the console leads with what changed, step by step, within 100 columns
    console = capsys.readouterr().out.splitlines()
    assert console[0].startswith("history of 3 sweeps: ")
    assert console[1] == "sweep 1 → 2: no style's effect changed"
    assert (
        console[2].startswith("sweep 2 → 3: ") and "cnn/subclassed train step: 1.200×" in console[3]
    )
    assert max(map(len, console)) <= 100
    assert (out / "history.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "history.json").read_text())["sweeps"][2]["path"] == str(sweeps[2])


def _checks(reload_without_code, h5):
    """Capabilities of the subclassed CNN: the first check in the current shape, the second in
    schema 9's (`ok` alone)."""
    return {
        "cnn": {
            "subclassed": {
                "keras_reload_without_code": {
                    "outcome": reload_without_code,
                    "error": "TypeError: x",
                    "remedy": None,
                    "detail": None,
                },
                "h5_save_load": {"ok": h5, "error": None if h5 else "ValueError: Unknown layer"},
            }
        }
    }


def test_a_capability_check_lost_in_new_gates_and_one_gained_is_reported(tmp_path, capsys):
    a = _sweep(tmp_path / "a", capabilities=_checks("yes", False))
    b = _sweep(tmp_path / "b", capabilities=_checks("no", True))
    changes = {c["check"]: c for c in compare(a, b).checks}
    assert set(changes) == {"keras_reload_without_code", "h5_save_load"}
    assert changes["keras_reload_without_code"]["regression"]
    assert not changes["h5_save_load"]["regression"]  # no → yes is a gain
    code, printed = _compare_exit(
        [str(a), str(b), "--out", str(tmp_path / "c"), "--fail-on-regression"], capsys
    )
    assert code == 1
    assert (
        "capability lost: cnn/subclassed `.keras` reload, new process, model code not "
        "imported: yes → no (TypeError: x)" in printed.err
    )
    assert (
        "cnn/subclassed `.h5` save and load: no → yes"
        in (tmp_path / "c" / "compare.md").read_text()
    )
    unchanged = _sweep(tmp_path / "d", capabilities=_checks("yes", False))
    assert (
        _compare_exit(
            [str(a), str(unchanged), "--out", str(tmp_path / "e"), "--fail-on-regression"], capsys
        )[0]
        == 0
    )


def test_a_regression_found_fails_the_gate_even_where_thin_cells_could_not_be_judged(
    tmp_path, capsys
):
    a = _sweep(tmp_path / "a", seeds=(1,), capabilities=_checks("yes", False))
    b = _sweep(tmp_path / "b", seeds=(1,), capabilities=_checks("no", False))
    code, printed = _compare_exit(
        [str(a), str(b), "--out", str(tmp_path / "c"), "--fail-on-regression"], capsys
    )
    assert code == 1 and "capability lost: cnn/subclassed" in printed.err


def test_a_check_the_machine_lacks_a_package_for_is_reported_but_not_lost(tmp_path):
    a = _sweep(tmp_path / "a", capabilities=_checks("yes", True))
    b = _sweep(tmp_path / "b", capabilities=_checks("not installed", True))
    (change,) = compare(a, b).checks
    assert change["new"] == "not installed" and not change["regression"]


def test_the_history_lists_each_steps_changed_checks(tmp_path, capsys):
    outcomes = {"a": "yes", "b": "yes", "c": "not supported"}
    sweeps = [_sweep(tmp_path / n, capabilities=_checks(o, False)) for n, o in outcomes.items()]
    out = tmp_path / "h"
    assert main(["compare", *map(str, sweeps), "--out", str(out)]) == 0
    text = (out / "history.md").read_text()
    assert (
        "- **lost** cnn/subclassed `.keras` reload, new process, model code not imported: "
        "yes → not supported" in text
    )
    assert json.loads((out / "history.json").read_text())["checks"][0] == []
