"""The command line's parsers, generated from the settings' `setting` fields."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, get_type_hints

from bench.plan.ab import AbConfig
from bench.plan.commands import CompareConfig, DepthConfig, ReportConfig
from bench.plan.config import PROFILES, BenchConfig, profile_value
from bench.plan.settings import ConfigError, Option, TrainSettings, options
from bench.sweep.executors import EXECUTORS

EPILOG = """\
Profiles: smoke (CI check, under a minute), quick (default, every CNN verdict in 3 to 4 minutes
on a 2-core Xeon, within its 4 min 45 s budget on the slowest),
full (the reference run behind results/styles/). Options given explicitly override the profile;
each option's help says what the profiles set it to. --dry-run prints the settings and runs
nothing.

Output goes to a new directory runs/<time>-<profile>/ (git ignores runs/); the committed
results are regenerated only when asked, each by the command its README gives (results/README.md
lists them).

Subcommands:
  python -m bench report [--out DIR]        rebuild the tables and charts from DIR's records
  python -m bench compare BASE NEW          two sweeps side by side (--fail-on-regression: a gate)
  python -m bench compare A B C ...         three or more sweeps in order: a history
  python -m bench depth [--depths 2,5,...]  what each style costs from 2 layers to hundreds
  python -m bench depth --arch cnn,mlp      the same for these models, in every form
  python -m bench ab BASE NEW               two installs timed in pairs of processes: an upgrade
  python -m bench upgrade DIR ...           convert sweeps of an older schema to this one
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


def print_plan(command: str, plan: dict[str, Any]) -> int:
    """--dry-run: the settings `command` would run with, as JSON, what its directory records of
    them under the same keys; nothing runs and nothing is written."""
    print(json.dumps({"dry_run": command, "plan": plan}, indent=2, sort_keys=True, default=str))
    return 0


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (the settings this command would run with, as JSON) and run nothing",
    )


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


def default_text(cls: type, name: str, option: Option) -> str:
    """The default of setting `name` of `cls`, as its help shows it: " (3)"."""
    default = {f.name: f.default for f in dataclasses.fields(cls)}[name]
    return "" if default is dataclasses.MISSING else f" ({_show(option, default)})"


def setting_options() -> dict[str, Option]:
    """Every setting the run command takes, by field name: the sweep's, then each run's."""
    return {**options(BenchConfig), **options(TrainSettings)}


class _Renamed(argparse.Action):
    """An older spelling of a flag: read as the new one, with a note that names it."""

    def __init__(self, option_strings, dest, renamed_to: str, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.renamed_to = renamed_to

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"bench: note: {option_string} is now {self.renamed_to}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_settings(
    parser: argparse.ArgumentParser, cls: type, shown: Callable[[str, Option], str] | None = None
) -> None:
    """Adds a flag for every setting of dataclass `cls`: its type, choices and help from the
    field, its default as `shown` gives it (else the field's), its older spellings hidden."""
    for name, option in options(cls).items():
        flag = option.flag_for(name)
        help_text = option.help + (shown or partial(default_text, cls))(name, option)
        if option.boolean:
            action = argparse.BooleanOptionalAction
            parser.add_argument(flag, dest=name, action=action, help=help_text)
            continue
        kind = _typed(option.parse) if option.parse else _field_type(cls, name)
        parser.add_argument(flag, dest=name, type=kind, choices=option.choices, help=help_text)
        for alias in option.aliases:
            parser.add_argument(
                alias,
                dest=name,
                type=kind,
                choices=option.choices,
                action=_Renamed,
                renamed_to=flag,
                help=argparse.SUPPRESS,
            )


def config_from(cls: type, args: argparse.Namespace, **fixed: Any) -> Any:
    """`cls` from the settings given on the command line (the rest at their defaults) and
    `fixed`; a value it does not allow ends the program with one line."""
    given = {name: getattr(args, name) for name in options(cls) if getattr(args, name) is not None}
    try:
        return cls(**fixed, **given)
    except ConfigError as e:
        fail(str(e))


def _field_type(cls: type, name: str) -> type:
    # int | None, float | None: argparse converts with the type that is not None
    hint = get_type_hints(cls)[name]
    return next(t for t in getattr(hint, "__args__", (hint,)) if t is not type(None))


def build_parser() -> argparse.ArgumentParser:
    """The run command's options; the subcommands have parsers of their own."""
    p = Parser(
        prog="python -m bench",
        description="Train the same MNIST classifier in Keras' styles and idioms and compare them.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", choices=PROFILES, default="quick", help="defaults (quick)")
    for cls in (BenchConfig, TrainSettings):
        add_settings(p, cls, shown=defaults_text)
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
    add_dry_run(p)
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
    add_settings(p, ReportConfig)
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
    add_settings(p, CompareConfig)
    add_dry_run(p)
    return p


def depth_parser() -> argparse.ArgumentParser:
    p = _subcommand(
        "depth",
        "What each style costs as a Dense stack grows: the one-time steps paired in cycles, the "
        "steady steps in rounds, and how each grows with depth, in milliseconds and in Python "
        "calls.",
        "output dir (a new runs/<time>-depth/)",
    )
    add_settings(p, DepthConfig)
    add_dry_run(p)
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
    for side in ("base", "new"):
        p.add_argument(
            f"--{side}-env",
            action="append",
            metavar="NAME=VALUE",
            help=f"an environment setting for {side.upper()}'s workers (repeatable)",
        )
    add_settings(p, AbConfig)
    add_dry_run(p)
    return p


def upgrade_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="python -m bench upgrade",
        description="Convert sweep directories of an older schema in place, so that report, "
        "compare and --resume read them; then rebuild each report with python -m bench report.",
    )
    p.add_argument("dirs", type=Path, nargs="+", metavar="DIR", help="sweep directories")
    return p
