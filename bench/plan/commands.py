"""The settings of report, compare and the depth study, each a frozen dataclass of `setting`s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.plan import shared
from bench.plan.settings import ConfigError, setting, validate
from bench.plan.values import names
from mnist_models import is_architecture_name

DEFAULT_DEPTHS = (2, 5, 14, 37, 97, 256)  # 2 to 256, each about 2.64 times the one before


def _the_sweeps(value: float | None) -> str:
    return "the sweep's" if value is None else f"{value:g}"


@dataclass(frozen=True)
class ReportConfig:
    """`python -m bench report`: a sweep's report again, from its records."""

    time_margin: float | None = shared.time_margin(None, show=_the_sweeps)

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class CompareConfig:
    """`python -m bench compare`: two sweeps side by side, or three or more as a history."""

    time_margin: float = shared.time_margin()
    fail_on_regression: bool = shared.fail_on_regression(
        "exit 1 when a time is slower, or accuracy lower, beyond its margin"
    )

    def __post_init__(self):
        validate(self)


def parse_depths(text: str) -> tuple[int, ...]:
    """--depths: two or more increasing whole numbers from 1 to 9999, comma-separated."""
    try:
        depths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(
            f"expected comma-separated whole numbers like 2,5,14; received {text!r}"
        ) from None
    increasing = list(depths) == sorted(set(depths))
    if len(depths) < 2 or not increasing or not 1 <= depths[0] <= depths[-1] <= 9999:
        raise ValueError(
            f"expected two or more increasing depths from 1 to 9999; received {text!r}"
        )
    return depths


def parse_archs(text: str) -> tuple[str, ...]:
    """--arch of the depth study: comma-separated architecture names, none repeated."""
    archs = names(())(text)
    if not all(map(is_architecture_name, archs)) or len(set(archs)) != len(archs):
        raise ValueError(
            f"expected distinct architectures like cnn,mlp or module:NAME; received {text!r}"
        )
    return archs


def default_cycles(depth: int) -> int:
    """Recorded one-time cycles at `depth`: fewer where a cycle takes minutes; the intervals say
    what that costs in precision."""
    return 6 if depth <= 16 else 3 if depth <= 64 else 2


@dataclass(frozen=True)
class DepthConfig:
    """`python -m bench depth`: each style's costs as a Dense stack deepens, or for named
    architectures at their own size."""

    depths: tuple[int, ...] | None = setting(
        None,
        help="hidden layers of each model",
        parse=parse_depths,
        show=lambda v: ",".join(map(str, v or DEFAULT_DEPTHS)),
    )
    archs: tuple[str, ...] | None = setting(
        None,
        help="instead of the Dense stack: these architectures at their own size, in every "
        "style and idiom (cnn,mlp, or module:NAME)",
        flag="--arch",
        parse=parse_archs,
    )
    one_time_cycles: int | None = shared.one_time_cycles(
        None, minimum=2, show=lambda v: "6 up to 16 layers, 3 up to 64, 2 above"
    )
    steady_rounds: int = shared.steady_rounds(10, minimum=2)
    one_time_margin: float = shared.one_time_margin(aliases=("--time-margin",))
    data_dir: str | None = shared.data_dir()
    report_only: bool = setting(
        False, help="rewrite --out's report from its records, timing nothing", boolean=True
    )

    def __post_init__(self):
        validate(self)
        if self.depths is not None and self.archs is not None:
            raise ConfigError(
                "--depths and --arch each name what to measure; received both, pass one"
            )

    def names(self) -> tuple[str, ...]:
        """What the study measures: the named architectures, else the family at each depth."""
        return self.archs or tuple(f"dense-{d}" for d in self.depths or DEFAULT_DEPTHS)

    def plan(self) -> dict[str, Any]:
        """The study's settings as its run.json records them."""
        where = (
            {"archs": list(self.archs)}
            if self.archs
            else {"depths": list(self.depths or DEFAULT_DEPTHS)}
        )
        return {
            **where,
            "cycles": self.one_time_cycles,
            "margin": self.one_time_margin,
            "steady_rounds": self.steady_rounds,
        }
