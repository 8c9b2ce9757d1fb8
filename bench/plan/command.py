"""The command that makes a sweep's config: every setting that differs from its profile's default,
as its option, so that a report's "Reproduce" line is derived from what was run, not typed."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence
from typing import Any

from bench.plan.config import BenchConfig, profile_value, shared_start_default
from bench.plan.settings import MNIST_TEST_IMAGES, MNIST_TRAIN_IMAGES, TrainSettings, options

_ALL_IMAGES = {"train_images": MNIST_TRAIN_IMAGES, "test_images": MNIST_TEST_IMAGES}


def command_options(config: dict[str, Any]) -> list[str]:
    """The options of `python -m bench` that give `config`: the profile, each setting not at its
    default, `--backend` always, `--out` last."""
    profile = config.get("profile", "quick")
    values = {**config, **(config.get("settings") or {})}
    found = ["--profile", profile]
    for cls in (BenchConfig, TrainSettings):
        for name, option in options(cls).items():
            if name not in values:
                continue
            value = normal_value(name, values[name])
            default = normal_value(name, profile_value(profile, name))
            if name == "shared_start":
                default = shared_start_default(values.get("backends") or ())
            if name != "backends" and value == default:
                continue
            flag = option.flag_for(name)
            if option.boolean:
                found.append(flag if value else "--no-" + flag[2:])
            else:
                found += [flag, _shown(value, option)]
    return [*found, "--out", str(config.get("out", "results"))]


def command_line(config: dict[str, Any], out: str | None = None, prefix: Sequence[str] = ()) -> str:
    """`command_options` as one shell line, writing to `out` where given."""
    words = command_options({**config, **({"out": out} if out else {})})
    return shlex.join([*prefix, "python", "-m", "bench", *words])


def normal_value(name: str, value: Any) -> Any:
    """`value` of setting `name` as configs compare: lists as tuples, "all images" as the count,
    a missing default as None."""
    if value is dataclasses.MISSING:
        return None
    if isinstance(value, list):
        return tuple(value)
    if name in _ALL_IMAGES and value is None:
        return _ALL_IMAGES[name]
    return value


def _shown(value: Any, option) -> str:
    """The value as its option reads: as the help text shows it where that parses back to it
    (seeds "3", budget "5m"), else plainly."""
    plain = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    if option.show is None or option.parse is None:
        return plain
    try:
        shown = option.show(value)
        return shown if option.parse(shown) == value else plain
    except (TypeError, ValueError):
        return plain
