"""The command line's parsers. The run command's settings are generated from the fields of
`TrainSettings` and `BenchConfig`: each field's option gives its flag, type, choices and help,
and the help shows what each profile sets it to."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import sys
from pathlib import Path
from typing import Any, NoReturn, get_type_hints

from bench.plan.config import PROFILES, BenchConfig, profile_value
from bench.plan.settings import Option, TrainSettings, options
from bench.sweep.executors import EXECUTORS
from mnist_models import STYLES, is_architecture_name

EPILOG = """\
Profiles: smoke (CI check, under a minute), quick (default, within 5 minutes on a 2-core CPU),
full (the reference run behind results/). Options given explicitly override the profile; each
option's help says what the profiles set it to.

Output goes to a new directory runs/<time>-<profile>/ (git ignores runs/); the committed
reference results are regenerated only when asked: python -m bench --profile full --out results
(results/README.md's Reproduce line).

Subcommands:
  python -m bench report [--out DIR]        rebuild the tables and charts from DIR's records
  python -m bench compare BASE NEW          two sweeps side by side (--fail-on-regression: a gate)
  python -m bench compare A B C ...         three or more sweeps in order: a history
  python -m bench depth [--depths 2,5,...]  what each style costs from 2 layers to hundreds
  python -m bench depth --arch cnn,mlp      the same for these models, both Sequential idioms
  python -m bench ab BASE NEW               two installs timed in pairs of processes: an upgrade
"""
RUNS_DIR = Path("runs")


def fail(message: str, status: int = 2) -> NoReturn:
    """Ends the program with one line on stderr: what was wrong and what to do."""
    print(f"bench: error: {message}", file=sys.stderr)
    sys.exit(status)


def default_out(profile: str, now: datetime.datetime | None = None) -> Path:
    """A new directory for one sweep's output under runs/, which git ignores."""
    stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    path = RUNS_DIR / f"{stamp}-{profile}"
    suffix = 1
    while path.exists():  # two sweeps started within the same second
        suffix += 1
        path = RUNS_DIR / f"{stamp}-{profile}-{suffix}"
    return path


def newest_sweep() -> Path | None:
    """The most recently started sweep under runs/ (the one --resume and report pick)."""
    sweeps = [p for p in RUNS_DIR.glob("*") if (p / "sweep.json").is_file()]
    return max(sweeps, key=lambda p: (p / "sweep.json").stat().st_mtime, default=None)


def existing_out(out: Path | None, what: str) -> Path:
    """`out`, or the newest sweep under runs/ when none was given."""
    if out is not None:
        return out
    newest = newest_sweep()
    if newest is None:
        fail(f"{what} needs a sweep directory: none in {RUNS_DIR}/; pass --out DIR")
    return newest


class Parser(argparse.ArgumentParser):
    """Bad input ends in one line on stderr and exit status 2, never a usage dump."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see `{self.prog} --help`)")


def _typed(parse):
    """An argparse type from a parser that raises ValueError with a message worth showing."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def _show(option: Option, value: Any) -> str:
    if option.show is not None:
        return option.show(value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def defaults_text(name: str, option: Option) -> str:
    """What the profiles set `name` to: "(128)", or "(smoke 1, quick 2, full 6)"."""
    values = {p: profile_value(p, name) for p in PROFILES}
    if dataclasses.MISSING in values.values():
        return ""
    shown = {p: _show(option, v) for p, v in values.items()}
    if len(set(shown.values())) == 1:
        return f" ({shown['quick']})"
    return " (" + ", ".join(f"{p} {v}" for p, v in shown.items()) + ")"


def setting_options() -> dict[str, Option]:
    """Every setting the run command takes, by field name: the sweep's, then each run's."""
    return {**options(BenchConfig), **options(TrainSettings)}


def _add_setting(parser: argparse.ArgumentParser, name: str, option: Option, kind: type) -> None:
    flag = option.flag_for(name)
    help_text = option.help + defaults_text(name, option)
    if option.boolean:
        parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, help=help_text)
    else:
        kind = _typed(option.parse) if option.parse else kind  # argparse words its own errors
        parser.add_argument(flag, dest=name, type=kind, choices=option.choices, help=help_text)


def _field_types() -> dict[str, type]:
    hints = {**get_type_hints(BenchConfig), **get_type_hints(TrainSettings)}
    # int | None, float | None: argparse converts with the type that is not None
    return {
        name: next(t for t in getattr(hint, "__args__", (hint,)) if t is not type(None))
        for name, hint in hints.items()
    }


def build_parser() -> argparse.ArgumentParser:
    """The run command's options; the subcommands have parsers of their own."""
    p = Parser(
        prog="python -m bench",
        description="Train the same MNIST classifier in Keras' three styles and compare them.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", choices=PROFILES, default="quick", help="defaults (quick)")
    kinds = _field_types()
    for name, option in setting_options().items():
        _add_setting(p, name, option, kinds[name])
    p.add_argument(
        "--out",
        type=Path,
        help="output dir (a new runs/<time>-<profile>/); a report's Reproduce line names the "
        "directory it was written to",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="skip what --out (else the newest sweep in runs/) already recorded",
    )
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="where runs go: local processes one after another (local), or Ray tasks (ray)",
    )
    p.add_argument(
        "--ray-address",
        help="a Ray cluster's host:port (else RAY_ADDRESS, else a new local Ray)",
    )
    p.add_argument(
        "--ray-cpus-per-run",
        type=float,
        help="CPUs each Ray task asks for (all of the smallest node's, so runs never share one)",
    )
    return p


def _subcommand(name: str, description: str, out: str) -> Parser:
    """A subcommand's parser, with its --out (`out` says what goes there by default)."""
    p = Parser(prog=f"python -m bench {name}", description=description)
    p.add_argument("--out", type=Path, help=out)
    return p


def report_parser() -> argparse.ArgumentParser:
    p = _subcommand(
        "report", "Rebuild tables and charts.", "results dir (the newest sweep in runs/)"
    )
    p.add_argument("--time-margin", type=float, help="timing verdicts' margin in %% (the sweep's)")
    return p


def compare_parser() -> argparse.ArgumentParser:
    p = _subcommand(
        "compare",
        "Compare two sweeps: NEW against BASE, every metric with an interval and a verdict, "
        "the machines and settings first. Three or more sweeps, in the order given: each "
        "style's ratios and accuracy across them (history.*).",
        "where compare.* or history.* go (a new runs/<time>-compare/)",
    )
    p.add_argument(
        "sweeps",
        type=Path,
        nargs="+",
        metavar="SWEEP",
        help="BASE NEW (two sweeps' directories), or three or more, in order",
    )
    p.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 when a time is slower, or accuracy lower, beyond its margin",
    )
    p.add_argument("--time-margin", type=float, default=None, help="timing margin in %% (3)")
    return p


def arch_list(text: str) -> tuple[str, ...]:
    """--arch of the depth command: comma-separated architecture names, none repeated."""
    archs = tuple(part.strip() for part in text.split(","))
    bad = [a for a in archs if not is_architecture_name(a)]
    if bad or len(set(archs)) != len(archs):
        raise ValueError(
            f"expected distinct architectures like cnn,mlp or module:NAME; received {text!r}"
        )
    return archs


def depth_list(text: str) -> tuple[int, ...]:
    """--depths: two or more increasing whole numbers from 1 to 9999, comma-separated."""
    try:
        depths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated whole numbers like 2,5,14; received {text!r}"
        ) from None
    increasing = list(depths) == sorted(set(depths))
    if len(depths) < 2 or not increasing or not 1 <= depths[0] <= depths[-1] <= 9999:
        raise argparse.ArgumentTypeError(
            f"expected two or more increasing depths from 1 to 9999; received {text!r}"
        )
    return depths


def depth_parser() -> argparse.ArgumentParser:
    from bench.sweep.depth import DEFAULT_DEPTHS, STEADY_ROUNDS

    p = _subcommand(
        "depth",
        "What each style costs as a Dense stack grows: the one-time steps paired in cycles, the "
        "steady steps in rounds, how each grows with depth, and profiles of the largest "
        "differences.",
        "output dir (a new runs/<time>-depth/)",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--depths",
        type=depth_list,
        default=DEFAULT_DEPTHS,
        help=f"hidden layers of each model ({','.join(map(str, DEFAULT_DEPTHS))})",
    )
    which.add_argument(
        "--arch",
        type=_typed(arch_list),
        help="instead of the Dense stack: these architectures at their own size, in every "
        "style and both Sequential idioms (cnn,mlp, or module:NAME)",
    )
    p.add_argument(
        "--cycles",
        type=int,
        help="recorded one-time cycles at every depth (6 up to 16 layers, 3 up to 64, 2 above)",
    )
    p.add_argument(
        "--steady-rounds",
        type=int,
        default=STEADY_ROUNDS,
        help=f"steady rounds at each depth ({STEADY_ROUNDS})",
    )
    p.add_argument(
        "--profiles", type=int, default=2, help="one-time steps to profile at the deepest depth (2)"
    )
    p.add_argument("--time-margin", type=float, default=None, help="margin in %% (10)")
    p.add_argument("--data-dir", help="directory with the MNIST IDX files or mnist.npz")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite --out's report from its records, timing nothing",
    )
    return p


def ab_parser() -> argparse.ArgumentParser:
    p = _subcommand(
        "ab",
        "Judge an upgrade in pairs: processes under BASE's and NEW's interpreters alternate "
        "(ABBA), each timing every style's steady steps and one-time costs in milliseconds; "
        "NEW over BASE per style and measure, with its interval over pairs and a verdict.",
        "where ab.md, ab.json, ab.png and ab.jsonl go (a new runs/<time>-ab/)",
    )
    p.add_argument(
        "base", metavar="BASE", help="the baseline's python (a venv's, with the harness installed)"
    )
    p.add_argument(
        "new", metavar="NEW", help="the candidate's python (may be BASE's, with --new-env settings)"
    )
    p.add_argument(
        "--base-env",
        action="append",
        metavar="NAME=VALUE",
        help="an environment setting for BASE's workers (repeatable)",
    )
    p.add_argument(
        "--new-env",
        action="append",
        metavar="NAME=VALUE",
        help="an environment setting for NEW's workers (repeatable)",
    )
    p.add_argument("--arch", default="cnn", help="one architecture, built-in or module:NAME (cnn)")
    p.add_argument("--styles", default=",".join(STYLES), help="styles (all three)")
    p.add_argument("--cycles", type=int, default=3, help="one-time cycles a process (3)")
    p.add_argument("--rounds", type=int, default=10, help="steady rounds a process (10)")
    p.add_argument(
        "--min-pairs",
        type=int,
        default=4,
        help="pairs before the run may stop on decided verdicts (4)",
    )
    p.add_argument("--max-pairs", type=int, default=20, help="the most pairs (20)")
    p.add_argument("--budget", default="10m", help="wall time of the whole run (10m)")
    p.add_argument("--time-margin", type=float, default=None, help="steady margin in %% (3)")
    p.add_argument("--one-time-margin", type=float, default=None, help="one-time margin in %% (10)")
    p.add_argument(
        "--seeds",
        default="3",
        help="short runs for accuracy, one per side and seed: N (1..N), a list 1,2,7, or 0 (3)",
    )
    p.add_argument(
        "--capabilities",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="check what each style can do on each side; NEW loads BASE's .keras files (on)",
    )
    p.add_argument("--data-dir", help="directory with the MNIST IDX files or mnist.npz")
    p.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 on a slowdown or accuracy drop past its margin whose interval excludes no "
        "change, or a lost capability",
    )
    return p
