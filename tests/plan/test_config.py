"""Profiles and the frozen config: defaults, overrides, the jobs a sweep plans."""

import pytest

from bench.plan.config import make_config
from bench.plan.settings import ConfigError
from bench.plan.values import parse_seeds


@pytest.mark.parametrize(
    "text, seeds", [("3", (1, 2, 3)), ("2,7", (2, 7)), ("4-6", (4, 5, 6)), ("7,", (7,))]
)
def test_seeds_forms(text, seeds):
    assert parse_seeds(text) == seeds


def test_explicit_options_override_the_profile():
    config = make_config("full", "out", epochs=1, archs=("mlp",), deterministic=False)
    assert config.settings.epochs == 1
    assert config.archs == ("mlp",)
    assert config.seeds == (1, 2, 3)  # still the profile's
    assert config.settings.deterministic is False


@pytest.mark.parametrize("profile", ["smoke", "quick", "full"])
def test_profiles_are_valid_configs(profile):
    config = make_config(profile)
    assert config.runs()
    assert config.settings.deterministic


def test_full_profile_is_a_reference_run():
    config = make_config("full")
    assert set(config.archs) == {"cnn", "mlp", "resnet"}
    assert len(config.seeds) >= 3  # an interval over seeds with two degrees of freedom at least
    assert config.settings.train_images is None


def test_a_profiles_budget_is_per_backend_and_an_explicit_one_is_the_sweeps(monkeypatch):
    monkeypatch.setattr("bench.plan.config.installed", lambda name: True)
    one = make_config("quick").budget
    assert one
    assert make_config("quick", backends=("tensorflow", "jax", "torch")).budget == 3 * one
    assert make_config("quick", backends=("tensorflow", "jax"), budget=300.0).budget == 300.0
    assert make_config("full", backends=("tensorflow", "jax")).budget is None


def test_repeated_names_are_rejected():
    with pytest.raises(ConfigError, match="must not repeat"):
        make_config("quick", styles=("sequential", "sequential"))
