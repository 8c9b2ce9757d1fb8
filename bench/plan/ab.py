"""An upgrade judged in pairs: two sides, what their processes time, and their balanced order.
A pair is one process of each side on the same job, so NEW over BASE is the upgrade's effect;
before the pairs each side trains one short run per seed, accuracy paired by seed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.plan import shared
from bench.plan.settings import ConfigError, TrainSettings, setting, validate
from bench.plan.specs import (
    COUNTED_PROCESSES,
    ONE_TIME_MEASURES,
    STEADY_MEASURES,
    OneTimeSpec,
    RunSpec,
)
from bench.plan.values import check_archs, parse_seeds, show_seeds
from mnist_models import reference_of

SIDES = ("base", "new")


@dataclass(frozen=True)
class Side:
    """One install under test: an interpreter with the harness and Keras, and the environment
    its workers run under (one install with two settings is an A/B too)."""

    name: str  # "base" or "new"
    python: str
    env: tuple[tuple[str, str], ...] = ()

    def words(self) -> str:
        """The side as a reader recognises it: the interpreter, then its settings."""
        settings = " ".join(f"{k}={v}" for k, v in self.env)
        return f"{self.python}{f' with {settings}' if settings else ''}"


def parse_env(pairs: list[str] | None, flag: str) -> tuple[tuple[str, str], ...]:
    """`NAME=VALUE` words as (name, value) pairs; ConfigError for a word that is not one."""
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
    arch: str = setting(
        "cnn", help="one architecture, built-in or module:NAME", check=lambda a: check_archs((a,))
    )
    styles: tuple[str, ...] = shared.styles()
    one_time_cycles: int = shared.one_time_cycles(3, minimum=1)
    steady_rounds: int = shared.steady_rounds(10, minimum=1)
    min_processes: int = shared.min_processes(
        4, help="pairs of processes before the run may stop on decided verdicts (2 or more)"
    )
    max_processes: int = shared.max_processes(20, help="the most pairs of processes")
    budget: float | None = shared.budget(600.0, help="wall time of the whole run")
    time_margin: float = shared.time_margin()
    one_time_margin: float = shared.one_time_margin()
    seeds: tuple[int, ...] = setting(
        (1, 2, 3),
        help="short runs for accuracy, one per side and seed: N (1..N), a list 1,2,7, or 0",
        parse=lambda text: () if text.strip() == "0" else parse_seeds(text),
        show=lambda seeds: show_seeds(seeds) if seeds else "0",
    )
    capabilities: bool = setting(
        True,
        help="check what each style can do on each side; NEW loads BASE's .keras files",
        boolean=True,
    )
    data_dir: str | None = shared.data_dir()
    fail_on_regression: bool = shared.fail_on_regression(
        "exit 1 on a slowdown or accuracy drop past its margin whose interval excludes no "
        "change, or a lost capability"
    )
    command: tuple[str, ...] = field(default=())

    def __post_init__(self):
        validate(self)
        if not 2 <= self.min_processes <= self.max_processes:
            raise ConfigError(
                f"--min-processes must be at least 2 and at most --max-processes "
                f"({self.max_processes}); received {self.min_processes}"
            )

    @property
    def reference(self) -> str:
        """The style the others are compared with (`mnist_models.reference_of`)."""
        return reference_of(self.styles)

    def plan(self) -> dict[str, Any]:
        """What the run would do: its sides and settings (not the recipe, which is the quick
        profile's, nor the command line that gave them)."""
        found = dataclasses.asdict(self)
        del found["settings"], found["command"]
        return found

    def side(self, name: str) -> Side:
        return self.base if name == "base" else self.new

    def spec(
        self, pair: int, measures: tuple[str, ...] = (*ONE_TIME_MEASURES, *STEADY_MEASURES)
    ) -> OneTimeSpec:
        """Both processes' job for pair `pair`: the same builds in the same orders, timing
        `measures`."""
        steady = tuple(m for m in STEADY_MEASURES if m in measures)
        once = any(m in measures for m in ONE_TIME_MEASURES)
        return OneTimeSpec(
            self.arch,
            self.styles,
            1,
            self.settings,
            self.one_time_cycles if once else 1,
            process=pair,
            data_dir=self.data_dir,
            steady_rounds=self.steady_rounds if steady else 0,
            steady_measures=steady or STEADY_MEASURES,
            count=pair < COUNTED_PROCESSES,
        )

    def accuracy_spec(self, index: int) -> RunSpec:
        """Both sides' run for seed number `index`, the styles taking turns (they train to
        bitwise the same weights, so one run a seed speaks for them all)."""
        return RunSpec(
            self.arch,
            self.styles[index % len(self.styles)],
            self.seeds[index],
            self.settings,
            self.data_dir,
        )
