"""How a sweep's settings read on the command line, and which values each allows: the parsers
and checks that `BenchConfig`'s `setting(...)` fields name."""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

from bench.plan.settings import ConfigError
from mnist_models import ARCHS, is_architecture_name


def names(allowed: tuple[str, ...], every: str | None = None):
    """A parser of comma-separated names, for an option whose values are some of `allowed`;
    `every` is a word that means all of them ("all")."""

    def parse(text: str) -> tuple[str, ...]:
        if every is not None and text.strip() == every:
            return allowed
        return tuple(name.strip() for name in text.split(",") if name.strip())

    parse.__name__ = f"comma-separated list of {', '.join(allowed)}"
    return parse


def parse_seeds(text: str) -> tuple[int, ...]:
    """ "5" → seeds 1..5; "3,7,9" → those seeds; "4-6" → 4, 5, 6; else ValueError."""
    try:
        if "," in text:
            return tuple(int(part) for part in text.split(",") if part.strip())
        if "-" in text.strip("-"):
            first, last = (int(part) for part in text.split("-"))
            return tuple(range(first, last + 1))
        count = int(text)
    except ValueError:
        raise ValueError(
            f"invalid seeds {text!r}; expected a count N (seeds 1..N), a list like 1,2,7, "
            "or a range like 3-5"
        ) from None
    if count < 1:
        raise ValueError(f"--seeds must be >= 1; received {count}")
    return tuple(range(1, count + 1))


def parse_duration(text: str) -> float:
    """ "300", "300s", "5m", "1.5h" → seconds; else ValueError."""
    units = {"s": 1, "m": 60, "h": 3600}
    text = text.strip().lower()
    scale = units.get(text[-1:])
    try:
        return float(text[:-1] if scale else text) * (scale or 1)
    except ValueError:
        raise ValueError(
            f"invalid duration {text!r}; expected seconds (300), or a number with s, m or h "
            "(5m, 1.5h)"
        ) from None


def show_duration(seconds: float | None) -> str:
    if seconds is None:
        return "none"
    return f"{seconds / 60:g}m" if seconds % 60 == 0 else f"{seconds:g}s"


def check_budget(seconds: float | None) -> str | None:
    return None if seconds is None or seconds > 0 else "a duration > 0, e.g. 5m"


def show_seeds(seeds: tuple[int, ...]) -> str:
    return (
        str(len(seeds)) if seeds == tuple(range(1, len(seeds) + 1)) else ",".join(map(str, seeds))
    )


def parse_model_args(text: str) -> tuple[tuple[str, Any], ...]:
    """ "input_shape=(64, 64, 3), classes=10" → keyword pairs; else ValueError."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if not isinstance(call, ast.Call) or call.args:
            raise ValueError
        return tuple((k.arg, ast.literal_eval(k.value)) for k in call.keywords if k.arg)
    except (SyntaxError, ValueError):
        raise ValueError(
            f"expected name=value pairs of Python literals, such as 'classes=10, alpha=0.5'; "
            f"received {text!r}"
        ) from None


def check_archs(received: tuple[str, ...]) -> None:
    if not received:
        raise ConfigError(f"no arch given; expected some of: {', '.join(ARCHS)}")
    for name in received:
        if not is_architecture_name(name):
            raise ConfigError(
                f"unknown arch {name!r}; expected one of: {', '.join(ARCHS)}, a FILE.keras, or "
                "module:ATTRIBUTE naming a function that returns a keras.Model or an "
                "Architecture (e.g. examples.lenet:LENET)"
            )
        if name.endswith(".keras") and not Path(name).is_file():
            raise ConfigError(f"--arch {name}: no such file; give the path of a saved .keras model")
    if len(set(received)) != len(received):
        raise ConfigError(f"archs must not repeat; received {', '.join(received)}")


def known(kind: str, allowed: tuple[str, ...]):
    def check(received: tuple[str, ...]) -> None:
        if not received:
            raise ConfigError(f"no {kind} given; expected some of: {', '.join(allowed)}")
        for name in received:
            if name not in allowed:
                raise ConfigError(f"unknown {kind} {name!r}; expected one of: {', '.join(allowed)}")
        if len(set(received)) != len(received):
            raise ConfigError(f"{kind}s must not repeat; received {', '.join(received)}")

    return check


def check_seeds(seeds: tuple[int, ...]) -> None:
    if not seeds:
        raise ConfigError("no seeds given; expected at least one seed >= 1")
    for seed in seeds:
        if seed < 1:
            raise ConfigError(f"seeds must be >= 1; received {seed}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds must not repeat; received {list(seeds)}")


def check_rounds(minimum: int, off: bool = False):
    """A check of rounds or cycles: a whole number >= `minimum`, or 0 (off) where `off`; None
    is a command's own default."""

    def check(value: Any) -> str | None:
        whole = isinstance(value, int) and not isinstance(value, bool)
        if value is None or (whole and (value >= minimum or (off and value == 0))):
            return None
        return (
            f"a whole number: 0 (off) or at least {minimum}"
            if off
            else f"a whole number >= {minimum}"
        )

    return check


def percent(value: float | None) -> str | None:
    return None if value is None or 0 < value < 100 else "a percentage in (0, 100), e.g. 3"


def check_previous_files(path: str | None) -> None:
    if path is not None and not (Path(path) / "versions.json").is_file():
        raise ConfigError(
            f"--previous-files {path} holds no versions.json; pass a directory that another "
            "install's sweep filled with --capability-files DIR"
        )


def check_data_dir(path: str | None) -> None:
    if path is not None and not (Path(path).is_dir() and os.access(path, os.R_OK | os.X_OK)):
        raise ConfigError(
            f"data dir {path} is not a readable directory; pass a directory holding the MNIST "
            "IDX files or mnist.npz, or leave --data-dir out"
        )
