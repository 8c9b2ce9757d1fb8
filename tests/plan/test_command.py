from bench.cli.options import build_parser, setting_options
from bench.plan.command import command_line, command_options, normal_value
from bench.plan.config import make_config


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
