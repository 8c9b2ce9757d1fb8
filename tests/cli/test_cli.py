"""The command line: options, profiles, and bad input as one line with exit status 2."""

import dataclasses
import datetime
import json
import os
import subprocess
from pathlib import Path

import pytest

from bench.cli import main, options, run
from bench.cli.options import build_parser, setting_options
from bench.plan.config import PROFILES, BenchConfig, make_config
from bench.plan.settings import TrainSettings


def _fails(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1, err  # one line, no traceback, no usage dump
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--styles", "seqential"], "unknown style 'seqential'; expected one of: sequential"),
        (
            ["--arch", "lenet"],
            "unknown arch 'lenet'; expected one of: cnn, mlp, resnet, a FILE.keras, or",
        ),
        (["--seeds", "0"], "--seeds must be >= 1; received 0"),
        (["--seeds", "1,0"], "seeds must be >= 1; received 0"),
        (["--seeds", "x"], "invalid seeds 'x'"),
        (["--epochs", "0"], "epochs must be a whole number >= 1; received 0"),
        (["--batch-size", "-5"], "batch size must be a whole number >= 1; received -5"),
        (["--epochs", "two"], "invalid int value: 'two'"),
        (["--learning-rate", "0"], "learning rate must be > 0"),
        (["--validation-split", "1.5"], "validation split must be between 0 and 1"),
        (["--target-accuracy", "99"], "target accuracy must be a fraction"),
        (["--profile", "huge"], "invalid choice: 'huge'"),
        (["--device", "tpu"], "invalid choice: 'tpu'"),
        (["--data-dir", "/no/such/dir"], "data dir /no/such/dir is not a readable directory"),
        (["--previous-files", "/no/such/dir"], "--previous-files /no/such/dir holds no versions"),
        (["--jit-compile", "on"], "--jit-compile on needs --no-deterministic on TensorFlow"),
        (["--jit-compile", "yes"], "invalid choice: 'yes'"),
        (
            ["--backend", "mxnet"],
            "unknown backend 'mxnet'; expected one of: tensorflow, jax, torch",
        ),
        (["--steady-rounds", "1"], "steady rounds must be a whole number: 0 (off) or at least 2"),
        (["--steady-rounds", "-3"], "steady rounds must be a whole number: 0 (off) or at least 2"),
        (["--order-seed", "-1"], "order seed must be a whole number >= 0; received -1"),
        (["--time-margin", "0"], "time margin must be a percentage in (0, 100)"),
        (["compare", "a", "b", "--time-margin", "0"], "time margin must be a percentage"),
        (["report", "--time-margin", "-1"], "time margin must be a percentage"),
        (["--max-processes", "0"], "max processes must be a whole number >= 1"),
        (
            ["--one-time-cycles", "-1"],
            "one time cycles must be a whole number: 0 (off) or at least 1; received -1",
        ),
        (["--one-time-margin", "-2"], "one time margin must be a percentage in (0, 100)"),
        (["--budget", "0"], "budget must be a duration > 0, e.g. 5m; received 0.0"),
        (["--budget", "5 min"], "invalid duration '5 min'; expected seconds (300), or a number"),
        (["--steady-instances", "0"], "steady instances must be a whole number >= 1"),
        (["--min-processes", "0"], "min processes must be a whole number >= 1"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, expected, capsys):
    assert expected in _fails(argv, capsys)


def test_unwritable_out_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    err = _fails(["--out", str(blocker / "results")], capsys)
    assert "cannot write results to" in err


def test_report_on_an_empty_dir_exits_2(tmp_path, capsys):
    assert "no runs recorded" in _fails(["report", "--out", str(tmp_path)], capsys)


def test_by_default_each_sweep_gets_a_new_directory_under_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    now = datetime.datetime(2026, 11, 25, 9, 30, 0)
    first = options.default_out("quick", now)
    assert first == Path("runs/20261125-093000-quick")
    first.mkdir(parents=True)
    assert options.default_out("quick", now) == Path("runs/20261125-093000-quick-2")


def test_resume_and_report_without_out_take_the_newest_sweep(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert "none in runs/; pass --out DIR" in _fails(["--resume"], capsys)
    for name, mtime in (("old", 1_000), ("new", 2_000)):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "sweep.json").write_text("{}")
        os.utime(tmp_path / "runs" / name / "sweep.json", (mtime, mtime))
    assert options.newest_sweep() == Path("runs/new")
    assert "no runs recorded in runs/new/runs.jsonl" in _fails(["report"], capsys)


def test_runs_directory_is_ignored_by_git():
    project = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        ["git", "check-ignore", "-q", "runs/20261125-093000-quick/x"],
        cwd=project,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, "runs/ must be git-ignored: sweeps write there by default"


def test_help_gives_what_each_profile_sets(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the help
    for profile in PROFILES:
        config = make_config(profile)
        assert f"{profile} {config.max_processes}" in text, profile
        assert f"{profile} {config.settings.epochs}" in text, profile
    assert f"({make_config('quick').settings.batch_size})" in text  # the same in every profile


def test_every_setting_is_a_flag_that_reaches_the_config():
    argv = [
        "--arch",
        "mlp",
        "--max-processes",
        "7",
        "--no-deterministic",
        "--epochs",
        "4",
        "--time-margin",
        "5",
        "--steps-per-execution",
        "3",
        "--train-images",
        "512",
        "--budget",
        "1.5m",
        "--steady-instances",
        "4",
    ]
    args = build_parser().parse_args(argv)
    config = make_config(
        "quick", "out", **{name: getattr(args, name) for name in setting_options()}
    )
    assert (config.archs, config.max_processes, config.time_margin) == (("mlp",), 7, 5.0)
    assert (config.budget, config.steady_instances) == (90.0, 4)
    s = config.settings
    assert (s.deterministic, s.epochs, s.steps_per_execution, s.train_images) == (False, 4, 3, 512)
    fields = {f.name for cls in (BenchConfig, TrainSettings) for f in dataclasses.fields(cls)}
    # every setting but the ones the sweep fills in itself has a flag
    assert fields - set(setting_options()) == {
        "profile",
        "settings",
        "out",
        "resume",
        "backend",
        "unsupported",
    }


def test_emulated_bfloat16_on_cpu_is_warned_about():
    assert "emulated" in run.precision_warning("mixed_bfloat16", gpu=False, cpu_native_bf16=False)
    assert run.precision_warning("mixed_bfloat16", gpu=False, cpu_native_bf16=True) is None
    assert run.precision_warning("mixed_bfloat16", gpu=True, cpu_native_bf16=False) is None
    assert run.precision_warning("float32", gpu=False, cpu_native_bf16=False) is None


def test_device_gpu_without_a_gpu_names_the_backend_that_sees_none(tmp_path, monkeypatch, capsys):
    from bench.sweep import executors

    asked = []

    class CpuOnly:
        def call(self, kind, job):
            asked.append((kind, job))
            return {"device": "cpu"}, None, {}

        def close(self):
            pass

    monkeypatch.setattr(executors, "make_executor", lambda *args, **kwargs: CpuOnly())
    err = _fails(["--device", "gpu", "--out", str(tmp_path / "out")], capsys)
    assert "--device gpu, but tensorflow sees no GPU" in err
    assert "tensorflow[and-cuda]" in err
    assert asked == [("device", '{"backend": "tensorflow"}')]


@pytest.mark.parametrize(
    ("old", "new", "dest"),
    [
        ("--paired-rounds", "--steady-rounds", "steady_rounds"),
        ("--paired-processes", "--max-processes", "max_processes"),
        ("--paired-min-processes", "--min-processes", "min_processes"),
        ("--paired-instances", "--steady-instances", "steady_instances"),
    ],
)
def test_an_old_spelling_still_reads_hidden_from_help_and_names_its_new_one(old, new, dest, capsys):
    parser = build_parser()
    assert getattr(parser.parse_args([old, "4"]), dest) == 4
    assert f"{old} is now {new}" in capsys.readouterr().err
    help_text = parser.format_help()
    assert new in help_text and old not in help_text


@pytest.mark.parametrize("command", ["ab", "depth", "compare", "report"])
def test_every_subcommand_shows_each_default_once_from_its_settings(command, capsys):
    from bench.plan.ab import AbConfig
    from bench.plan.commands import CompareConfig, DepthConfig, ReportConfig

    cls = {"ab": AbConfig, "depth": DepthConfig, "compare": CompareConfig, "report": ReportConfig}
    parser = getattr(options, f"{command}_parser")()
    help_text = " ".join(parser.format_help().split())
    settings = options.options(cls[command])
    assert settings, "premise: the command has settings"
    for name, option in settings.items():
        assert option.flag_for(name) in help_text
        shown = options.default_text(cls[command], name, option)
        assert " ".join(shown.split()) in help_text, (name, shown)


@pytest.mark.parametrize(
    "argv, plan",
    [
        (["--backend", "tensorflow", "--seeds", "2"], lambda p: p["config"]["seeds"] == [1, 2]),
        (["depth", "--depths", "2,5", "--steady-rounds", "3"], lambda p: p["steady_rounds"] == 3),
        (["compare", "a", "b", "--time-margin", "5"], lambda p: p["time_margin_percent"] == 5),
        (["ab", "python", "python", "--max-processes", "6"], lambda p: p["max_processes"] == 6),
    ],
)
def test_a_dry_run_prints_the_plan_and_writes_nothing(argv, plan, tmp_path, capsys):
    out = tmp_path / "never"
    assert main([*argv, "--out", str(out), "--dry-run"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["dry_run"] == (argv[0] if argv[0] in ("depth", "compare", "ab") else "run")
    assert plan(printed["plan"])
    assert not out.exists()


def test_a_dry_run_still_refuses_a_bad_value(capsys):
    assert "--seeds must be >= 1" in _fails(["--seeds", "0", "--dry-run"], capsys)
