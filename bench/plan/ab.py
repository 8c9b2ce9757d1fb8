"""An upgrade judged in pairs: two sides (an interpreter with its environment settings), what
each of their processes times, and the balanced order the processes run in.

Each process of either side is one one-time job (`OneTimeSpec`) with steady rounds after its
cycles: every style's build, compile, first step, first prediction, save and load, then its
training step, predict batch and single-image latency, all in absolute seconds. A pair is one
process of each side with the same job, so their ratio, NEW over BASE, is the upgrade's effect.
Before the pairs, each side trains one short run per seed (`RunSpec`, the same seed and style on
both sides, so accuracy is paired by seed) and checks what each style can do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.plan.settings import (
    DEFAULT_ONE_TIME_MARGIN,
    DEFAULT_TIME_MARGIN,
    ConfigError,
    TrainSettings,
)
from bench.plan.specs import MEASURES, OneTimeSpec, RunSpec
from mnist_models import reference_of

SIDES = ("base", "new")


@dataclass(frozen=True)
class Side:
    """One install under test: a Python interpreter that has the harness and Keras installed,
    and the environment settings its workers run under (one install with two settings is an
    A/B too)."""

    name: str  # "base" or "new"
    python: str
    env: tuple[tuple[str, str], ...] = ()

    def words(self) -> str:
        """The side as a reader recognises it: the interpreter, then its settings."""
        settings = " ".join(f"{k}={v}" for k, v in self.env)
        return f"{self.python}{f' with {settings}' if settings else ''}"


def parse_env(pairs: list[str] | None, flag: str) -> tuple[tuple[str, str], ...]:
    """`NAME=VALUE` words as (name, value) pairs.

    Raises:
        ConfigError: a word without `=` or without a name.
    """
    found = []
    for word in pairs or []:
        name, sep, value = word.partition("=")
        if not sep or not name:
            raise ConfigError(f"{flag} takes NAME=VALUE; received {word!r}")
        found.append((name, value))
    return tuple(found)


def pair_order(pair: int) -> tuple[str, str]:
    """Which side runs first in pair number `pair`: BASE, NEW, then NEW, BASE (ABBA), so that a
    drift over the run, or an advantage of running first, falls on both sides alike."""
    return SIDES if pair % 2 == 0 else SIDES[::-1]


@dataclass(frozen=True)
class AbConfig:
    """An A/B run: the two sides, the model and what each process times, and when it stops."""

    base: Side
    new: Side
    settings: TrainSettings
    out: Path
    arch: str = "cnn"
    styles: tuple[str, ...] = ()
    cycles: int = 3  # one-time cycles a process, after its warm-up
    rounds: int = 10  # steady rounds a process, on its last cycle's models
    min_pairs: int = 4  # pairs before the run may stop on decided verdicts
    max_pairs: int = 20
    budget: float | None = 600.0  # seconds of the whole run
    time_margin: float = DEFAULT_TIME_MARGIN
    one_time_margin: float = DEFAULT_ONE_TIME_MARGIN
    data_dir: str | None = None
    seeds: tuple[int, ...] = (1, 2, 3)  # one short run per side and seed; () for none
    capabilities: bool = True
    command: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if not 2 <= self.min_pairs <= self.max_pairs:
            raise ConfigError(
                f"--min-pairs must be at least 2 and at most --max-pairs "
                f"({self.max_pairs}); received {self.min_pairs}"
            )
        for name in ("cycles", "rounds"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name} must be at least 1; received {getattr(self, name)}")

    @property
    def reference(self) -> str:
        """The style the others are compared with (`mnist_models.reference_of`)."""
        return reference_of(self.styles)

    def side(self, name: str) -> Side:
        return self.base if name == "base" else self.new

    def spec(self, pair: int) -> OneTimeSpec:
        """The job of both processes of pair number `pair`: the same builds in the same
        orders on either side."""
        return OneTimeSpec(
            self.arch,
            self.styles,
            1,
            self.settings,
            self.cycles,
            process=pair,
            data_dir=self.data_dir,
            steady_rounds=self.rounds,
            steady_measures=MEASURES,
        )

    def accuracy_spec(self, index: int) -> RunSpec:
        """Both sides' run for seed number `index`: the styles take turns, so that every style
        trains on both sides when there are as many seeds as styles (the styles train to
        bitwise the same weights, docs/results.md, so one run a seed speaks for them all)."""
        return RunSpec(
            self.arch,
            self.styles[index % len(self.styles)],
            self.seeds[index],
            self.settings,
            self.data_dir,
        )
