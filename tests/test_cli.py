"""The command line: options, profiles, and bad input as one line with exit status 2."""

import datetime
import os
import subprocess
from pathlib import Path

import pytest

from bench.cli import build_parser, main
from bench.config import ConfigError, make_config


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
        (["--arch", "resnet"], "unknown arch 'resnet'; expected one of: cnn, mlp"),
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
        (["--jit-compile", "on"], "--jit-compile on needs --no-deterministic on TensorFlow"),
        (["--jit-compile", "yes"], "invalid choice: 'yes'"),
        (
            ["--backend", "mxnet"],
            "unknown backend 'mxnet'; expected one of: tensorflow, jax, torch",
        ),
        (["--paired-rounds", "1"], "paired rounds must be 0 (off) or at least 2"),
        (["--paired-rounds", "-3"], "paired rounds must be a whole number >= 0"),
        (["--time-margin", "0"], "time margin must be a percentage in (0, 100)"),
        (["--paired-processes", "0"], "paired processes must be a whole number >= 1"),
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
    from bench import cli

    monkeypatch.chdir(tmp_path)
    now = datetime.datetime(2026, 11, 25, 9, 30, 0)
    first = cli.default_out("quick", now)
    assert first == Path("runs/20261125-093000-quick")
    first.mkdir(parents=True)
    assert cli.default_out("quick", now) == Path("runs/20261125-093000-quick-2")


def test_resume_and_report_without_out_take_the_newest_sweep(tmp_path, monkeypatch, capsys):
    from bench import cli

    monkeypatch.chdir(tmp_path)
    assert "none in runs/; pass --out DIR" in _fails(["--resume"], capsys)
    for name, mtime in (("old", 1_000), ("new", 2_000)):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "sweep.json").write_text("{}")
        os.utime(tmp_path / "runs" / name / "sweep.json", (mtime, mtime))
    assert cli.newest_sweep() == Path("runs/new")
    assert "no runs recorded in runs/new/runs.jsonl" in _fails(["report"], capsys)


def test_runs_directory_is_ignored_by_git():
    project = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "check-ignore", "-q", "runs/20261125-093000-quick/x"],
                          cwd=project, check=False)  # fmt: skip
    assert done.returncode == 0, "runs/ must be git-ignored: sweeps write there by default"


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--arch", "--styles", "--seeds", "--epochs", "--batch-size", "--learning-rate",
        "--validation-split", "--profile", "--device", "--deterministic", "--jit-compile",
        "--out", "--resume", "--data-dir", "--target-accuracy", "--paired-rounds",
        "--paired-processes", "--time-margin", "--capabilities",
    ):  # fmt: skip
        assert option in text, option


@pytest.mark.parametrize(
    "text, seeds", [("3", (1, 2, 3)), ("2,7", (2, 7)), ("4-6", (4, 5, 6)), ("7,", (7,))]
)
def test_seeds_forms(text, seeds):
    assert build_parser().parse_args(["--seeds", text]).seeds == seeds


def test_explicit_options_override_the_profile():
    config = make_config("full", "out", epochs=1, archs=("mlp",), deterministic=False)
    assert config.settings.epochs == 1
    assert config.archs == ("mlp",)
    assert config.seeds == (1, 2, 3, 4, 5)  # still the profile's
    assert config.settings.deterministic is False


@pytest.mark.parametrize("profile", ["smoke", "quick", "full"])
def test_profiles_are_valid_configs(profile):
    config = make_config(profile)
    assert config.runs()
    assert config.settings.deterministic


def test_full_profile_is_a_reference_run():
    config = make_config("full")
    assert set(config.archs) == {"cnn", "mlp"}
    assert len(config.seeds) >= 5
    assert config.settings.train_images is None


def test_repeated_names_are_rejected():
    with pytest.raises(ConfigError, match="must not repeat"):
        make_config("quick", styles=("sequential", "sequential"))


def test_emulated_bfloat16_on_cpu_is_warned_about():
    from bench.cli import precision_warning

    assert "emulated" in precision_warning("mixed_bfloat16", gpu=False, cpu_native_bf16=False)
    assert precision_warning("mixed_bfloat16", gpu=False, cpu_native_bf16=True) is None
    assert precision_warning("mixed_bfloat16", gpu=True, cpu_native_bf16=False) is None
    assert precision_warning("float32", gpu=False, cpu_native_bf16=False) is None
