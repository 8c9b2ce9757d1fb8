"""One job of a sweep, as a worker receives it: a run, or one process of the paired phase."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass

from bench.plan.backends import DEFAULT_BACKEND
from bench.plan.settings import (
    STEADY_BURST_SECONDS,
    TrainSettings,
    settings_from_dict,
)
from mnist_models import reference_of


class JsonSpec:
    """A frozen spec's round trip through a worker's JSON: lists back to tuples, settings back
    to `TrainSettings`."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str):
        raw = {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(text).items()}
        return cls(**{**raw, "settings": settings_from_dict(raw["settings"])})


class ProcessSpec(JsonSpec):
    """What a paired process's spec has besides its fields: the style it compares with."""

    @property
    def reference(self) -> str:
        """The style the others are compared with (`mnist_models.reference_of`)."""
        return reference_of(self.styles)


@dataclass(frozen=True)
class RunSpec(JsonSpec):
    """One run of the sweep: an architecture in a style, from a seed, under settings."""

    arch: str
    style: str
    seed: int
    settings: TrainSettings
    data_dir: str | None = None
    init_weights: str | None = None  # the .npz of initial weights, with shared_start

    @property
    def label(self) -> str:
        backend = "" if self.settings.backend == DEFAULT_BACKEND else f"{self.settings.backend}/"
        return f"{backend}{self.arch}/{self.style} seed={self.seed}"

    def key(self) -> str:
        """Identifies the run for --resume: the same key means the same experiment."""
        return f"{self.arch}|{self.style}|{self.seed}|{self.settings.key()}"


def balanced_build_order(styles: Sequence[str], process: int, order_seed: int) -> tuple[str, ...]:
    """The order paired process `process` builds and warms up its styles in. The first model
    warmed up runs 1-3 % apart for the process's life, so the orders are Latin squares on a
    shuffled base, then its reverse: the order effect cancels instead of averaging out."""
    order = list(styles)
    random.Random(f"build-{order_seed}").shuffle(order)
    square, shift = divmod(process, len(order))
    if square % 2:
        order.reverse()
    return tuple(order[shift:] + order[:shift])


# What a one-time cycle times, in this order: each step needs the ones before it.
ONE_TIME_MEASURES = ("build", "compile", "first_train_step", "first_predict", "save", "load")
# The depth study's Sequential once more, loaded with `Sequential.from_config` rebuilding once
# (bench.worker.rebuild_once): timed and counted as one more style, against Sequential.
REBUILD_ONCE = "sequential_rebuild_once"


COUNTED_PROCESSES = 2  # a one-time phase's processes that count Python calls, the first ones


@dataclass(frozen=True)
class OneTimeSpec(ProcessSpec):
    """The one-time phase of one architecture in one process: each cycle builds, compiles,
    trains one step, predicts, saves and loads every style; cycle 0 is an unrecorded warm-up."""

    arch: str
    styles: tuple[str, ...]
    seed: int
    settings: TrainSettings
    cycles: int  # recorded cycles, after the warm-up
    order_seed: int = 0
    process: int = 0
    data_dir: str | None = None
    # what the warm-up cycle builds, where not `arch` (the depth study warms its largest
    # models up on its smallest: a process's first costs are paid alike)
    warmup_arch: str | None = None
    # after the cycles, rounds of the steady measures on the last cycle's models (the depth
    # study: a deep model's steps trace for a minute, and these are already traced); 0: none
    steady_rounds: int = 0
    steady_measures: tuple[str, ...] = ("train_step", "predict")
    # whether a counting cycle follows the timed ones: counts do not vary with the machine, so
    # a phase counts in its first processes only, two to show that a count is exact
    count: bool = True

    def build_orders(self) -> list[tuple[str, ...]]:
        """The order of each cycle, the warm-up first, balanced over cycles and processes: the
        recorded cycles of all processes continue one sequence of Latin squares."""
        first = self.process * self.cycles
        orders = [
            balanced_build_order(self.styles, first + c, self.order_seed)
            for c in range(self.cycles)
        ]
        return [orders[0], *orders]


# What a steady paired process times, in this order in every round.
STEADY_MEASURES = ("train_step", "predict", "latency")
PROGRAM_STEPS = ("train", "predict")  # the steps whose compiled programs are compared


@dataclass(frozen=True)
class SteadySpec(ProcessSpec):
    """The paired timing phase of one architecture: every style in one process, interleaved."""

    arch: str
    styles: tuple[str, ...]
    seed: int
    settings: TrainSettings
    rounds: int
    order_seed: int = 0
    process: int = 0  # which of the phase's independent processes this is
    burst_seconds: float = STEADY_BURST_SECONDS
    data_dir: str | None = None
    build_order: tuple[str, ...] = ()  # the order the styles are built and traced in; () = styles
    instances: int = 1  # models of each style, built alike, each timed in every round
    # the measures still short of their aims: later processes of a phase time only those
    measures: tuple[str, ...] = STEADY_MEASURES

    @property
    def styles_in_build_order(self) -> tuple[str, ...]:
        """The styles in the order this process builds, traces and warms them up."""
        return self.build_order or self.styles

    def instances_in_build_order(self) -> list[tuple[str, int]]:
        """(style, instance) in the order they are built: the build order, then its reverse, and so
        on, so that with two instances each style has one early and one late instance."""
        order = self.styles_in_build_order
        return [
            (style, instance)
            for instance in range(self.instances)
            for style in (order if instance % 2 == 0 else order[::-1])
        ]
