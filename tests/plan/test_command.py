import json
import re
import shlex
from pathlib import Path

import pytest

from bench.cli.options import build_parser, setting_options
from bench.plan.command import command_line, command_options, normal_value
from bench.plan.config import make_config
from bench.render.markdown import as_given
from bench.store.schema import sweep_commands

RESULTS = Path(__file__).parents[2] / "results"
SWEEPS = sorted(p.parent for p in RESULTS.glob("**/sweep.json"))


def _config_of(words: list[str]) -> dict:
    """The config `python -m bench <words>` would run, as sweep.json stores it."""
    args = build_parser().parse_args(words)
    overrides = {name: getattr(args, name) for name in setting_options()}
    return make_config(args.profile, args.out, **overrides).to_dict()


def _settings(config: dict) -> dict:
    """Every setting a command line sets, normalised as `command_options` compares them."""
    values = {**config, **config.get("settings", {})}
    return {name: normal_value(name, values.get(name)) for name in setting_options()}


def test_the_command_gives_back_the_settings_it_was_derived_from(tmp_path):
    config = make_config(
        "full",
        tmp_path,
        backends=("tensorflow",),
        seeds=(1, 2, 3, 4, 5),
        steady_rounds=100,
        budget=2700.0,
        train_images=6000,
        capabilities=False,
    ).to_dict()
    words = command_options(config)
    assert words[:2] == ["--profile", "full"] and words[-2:] == ["--out", str(tmp_path)]
    assert {
        "--seeds",
        "5",
        "--steady-rounds",
        "100",
        "--budget",
        "45m",
        "--no-capabilities",
        "--train-images",
        "6000",
    } <= set(words)
    assert "--epochs" not in words  # the profile's own value is left to the profile
    assert _settings(_config_of(words)) == _settings(config)


def test_the_line_pins_cores_and_names_the_directory(tmp_path):
    line = command_line(
        make_config("quick", "x").to_dict(), out="results/here", prefix=["taskset", "-c", "0"]
    )
    assert line.startswith("taskset -c 0 python -m bench --profile quick")
    assert line.endswith("--out results/here")


@pytest.mark.parametrize("directory", SWEEPS, ids=lambda p: str(p.relative_to(RESULTS)) or ".")
def test_each_committed_reproduce_line_gives_that_directorys_settings(directory, monkeypatch):
    # the line is read as settings, not run: a backend this install lacks is still a setting
    monkeypatch.setattr("bench.plan.config.installed", lambda backend: True)
    sweep = json.loads((directory / "sweep.json").read_text())
    readme = (directory / "README.md").read_text()
    block = re.search(r"## Reproduce\n\n```\n(.+)\n```", readme)
    assert block, f"{directory}/README.md has no Reproduce line"
    words = shlex.split(block.group(1))
    words = words[words.index("bench") + 1 :]
    assert words[-1] == str(directory.relative_to(RESULTS.parent))
    recorded = _settings(as_given(sweep["config"], sweep.get("adopted") or {}))
    for flag, name in (
        ("--capability-files", "capability_files"),
        ("--previous-files", "previous_files"),
    ):
        if flag in words:  # another install's directory, checked to exist: compared as words
            at = words.index(flag)
            assert words.pop(at + 1) == recorded.pop(name) and words.pop(at) == flag
    # an older sweep.json lacks the settings added since: its code had no such setting
    held = {k for k in recorded if k in sweep["config"] or k in sweep["config"]["settings"]}
    assert {k: v for k, v in _settings(_config_of(words)).items() if k in held} == {
        k: recorded[k] for k in held
    }
    # a resumed directory says so, and lists what it was made by
    if any("--resume" in c for c in sweep_commands(sweep)):
        assert "`--resume`" in readme.split("## Reproduce")[1]
