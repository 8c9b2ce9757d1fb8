"""The settings several commands share, each defined once; a command gives its own default."""

from __future__ import annotations

from typing import Any

from bench.plan.settings import DEFAULT_ONE_TIME_MARGIN, DEFAULT_TIME_MARGIN, setting, whole
from bench.plan.values import (
    check_budget,
    check_data_dir,
    check_rounds,
    known,
    names,
    parse_duration,
    percent,
    show_duration,
)
from mnist_models import FORMS, REQUIRED_STYLES


def styles(default: Any = REQUIRED_STYLES) -> Any:
    """The styles and idioms each model is built in."""
    return setting(
        default,
        help=f"styles and idioms, or all: {', '.join(FORMS)}",
        parse=names(FORMS, every="all"),
        check=known("style", FORMS),
        show=lambda value: "all" if tuple(value) == FORMS else ",".join(value),
    )


def time_margin(default: float | None = DEFAULT_TIME_MARGIN, **extra: Any) -> Any:
    """The steady verdicts' equivalence margin (train step, predict, latency)."""
    return setting(
        default,
        help="equivalence margin of the steady timing verdicts, in percent",
        check=percent,
        **extra,
    )


def one_time_margin(default: float = DEFAULT_ONE_TIME_MARGIN, **extra: Any) -> Any:
    """The one-time verdicts' equivalence margin (build, compile, first step, save, load)."""
    return setting(
        default,
        help="equivalence margin of the one-time verdicts, in percent",
        check=percent,
        **extra,
    )


def steady_rounds(default: int, minimum: int, off: bool = False, **extra: Any) -> Any:
    """Rounds of the steady paired timing in each process; 0 turns the phase off where `off`."""
    return setting(
        default,
        help="steady rounds in each process (train step, predict, latency)"
        + (" (0 = off)" if off else ""),
        check=check_rounds(minimum, off),
        aliases=("--paired-rounds", "--rounds"),
        **extra,
    )


def one_time_cycles(default: int | None, minimum: int, off: bool = False, **extra: Any) -> Any:
    """Cycles of the one-time timing in each process, after a warm-up."""
    return setting(
        default,
        help="one-time cycles in each process (build, compile, first step, first predict, "
        "save, load), after a warm-up" + (" (0 = off)" if off else ""),
        check=check_rounds(minimum, off),
        aliases=("--cycles",),
        **extra,
    )


def min_processes(default: int, help: str) -> Any:
    """The fewest processes (pairs, in ab) before a phase may stop on decided verdicts."""
    return setting(
        default, help=help, check=whole(1), aliases=("--paired-min-processes", "--min-pairs")
    )


def max_processes(default: int, help: str) -> Any:
    """The most processes (pairs, in ab) of a phase."""
    return setting(
        default, help=help, check=whole(1), aliases=("--paired-processes", "--max-pairs")
    )


def budget(default: float | None, help: str) -> Any:
    """A command's wall time."""
    return setting(default, help=help, parse=parse_duration, check=check_budget, show=show_duration)


def data_dir() -> Any:
    """Where the MNIST files are, where not in the loader's source chain."""
    return setting(
        None,
        help="directory with the MNIST IDX files or mnist.npz",
        parse=str,
        check=check_data_dir,
    )


def fail_on_regression(help: str) -> Any:
    """A gate: exit 1 on what the command counts as a regression."""
    return setting(False, help=help, boolean=True)
