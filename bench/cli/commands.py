"""The subcommands: report, compare, depth, ab and upgrade, each from its parsed options."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from bench.cli.options import config_from, default_out, existing_out, fail, print_plan
from bench.plan.commands import CompareConfig, DepthConfig, ReportConfig
from bench.plan.settings import ConfigError


def out_dir(args: argparse.Namespace, kind: str) -> Path:
    """--out, or a new runs/<time>-<kind>/."""
    return args.out if args.out is not None else default_out(kind)


def writable(out: Path) -> None:
    """Ends the program with one line where `out` cannot take a new report."""
    from bench.sweep.run import check_writable

    try:
        check_writable(out)
    except ConfigError as e:
        fail(str(e))


def report(args: argparse.Namespace) -> int:
    """`python -m bench report`: rebuilds a sweep's tables and charts and prints the headline."""
    config = config_from(ReportConfig, args)
    return print_report(existing_out(args.out, "report"), config.time_margin)


def print_report(out: Path, time_margin: float | None = None) -> int:
    """Writes `out`'s report and prints what the console shows of it."""
    from bench.analysis.results import ReportError
    from bench.render.console import report_lines
    from bench.render.report import write_report
    from bench.store.files import RecordsFileError

    try:
        results = write_report(out, time_margin)
    except (ReportError, RecordsFileError) as e:
        fail(str(e))
    for line in report_lines(results, out):
        print(line)
    return 0


def compare(args: argparse.Namespace) -> int:
    """`python -m bench compare BASE NEW`: writes compare.*; with --fail-on-regression, a gate."""
    from bench.analysis.compare import GATE_MIN_RUNS, CompareError
    from bench.analysis.compare import compare as compare_sweeps
    from bench.render.compare import console_lines, regression_lines, write_comparison

    config = config_from(CompareConfig, args)
    margin = config.time_margin
    out = out_dir(args, "compare")
    if len(args.sweeps) < 2:
        fail(f"compare needs two sweep directories (BASE NEW) or more; received {len(args.sweeps)}")
    for side in args.sweeps:
        if out.resolve() == side.resolve():
            fail(f"--out {out} is one of the compared directories; pass another --out")
    if args.dry_run:
        sweeps = [str(path) for path in args.sweeps]
        if len(sweeps) > 2:
            return print_plan("history", {"sweeps": sweeps, "time_margin_percent": margin})
        base, new = sweeps
        return print_plan("compare", {"base": base, "new": new, "time_margin_percent": margin})
    if len(args.sweeps) > 2:
        return _history(args, config, out)
    try:
        found = compare_sweeps(*args.sweeps, margin)
    except CompareError as e:
        fail(str(e))
    writable(out)
    write_comparison(found, out, margin)
    print("\n".join(console_lines(found, out, gate=config.fail_on_regression)))
    regressions = regression_lines(found)
    # a regression found fails the gate even where other cells could not be judged
    if config.fail_on_regression and regressions:
        for line in regressions:
            print(f"regression: {line}", file=sys.stderr)
        return 1
    if config.fail_on_regression and found.thin:
        fail(
            f"--fail-on-regression needs {GATE_MIN_RUNS} or more runs per cell on each side; "
            f"these have fewer: {'; '.join(found.thin)}; rerun the thin side with --seeds "
            f"{GATE_MIN_RUNS} or more"
        )
    return 0


def _history(args: argparse.Namespace, config: CompareConfig, out: Path) -> int:
    from bench.analysis.compare import CompareError
    from bench.analysis.history import history
    from bench.render.history import console_lines, write_history

    if config.fail_on_regression:
        fail(f"--fail-on-regression gates two sweeps, BASE and NEW; received {len(args.sweeps)}")
    try:
        found = history(args.sweeps, config.time_margin)
    except CompareError as e:
        fail(str(e))
    writable(out)
    write_history(found, out)
    print("\n".join(console_lines(found, out)))
    return 0


def depth(args: argparse.Namespace) -> int:
    """`python -m bench depth`: each style's costs from 2 layers to hundreds, and their growth."""
    from bench.plan.settings import DEFAULT_ONE_TIME_MARGIN
    from bench.render import depth as depth_report
    from bench.render import idioms as idioms_report
    from bench.render.console import echo
    from bench.store.schema import DEPTH_RUN_FILE, read_versioned
    from bench.sweep.depth import run_depth
    from bench.sweep.executors import ExecutorError, make_executor

    config = config_from(DepthConfig, args)
    if args.dry_run:
        return print_plan("depth", config.plan())
    if config.report_only:
        if args.out is None or not (args.out / DEPTH_RUN_FILE).exists():
            fail(
                "--report-only needs --out naming a depth study's directory (one with "
                f"run.json); received {args.out or 'no --out'}"
            )
        out = args.out
    else:
        out = out_dir(args, "depth")
        writable(out)
        try:
            run_depth(
                out,
                config,
                make_executor("local", device="cpu"),
                echo=echo,
            )
        except (ExecutorError, RuntimeError) as e:
            fail(str(e), status=1)
    run = read_versioned(out / DEPTH_RUN_FILE)
    named = "archs" in run
    command = " ".join(
        [
            "python -m bench depth",
            f"--arch {','.join(run['archs'])}"
            if named
            else f"--depths {','.join(map(str, run['depths']))}",
            *([f"--one-time-cycles {run['cycles']}"] if run.get("cycles") else []),
            f"--steady-rounds {run['steady_rounds']}",
            *(
                [f"--one-time-margin {run['margin']:g}"]
                if run["margin"] != DEFAULT_ONE_TIME_MARGIN
                else []
            ),
            f"--out {out}",
        ]
    )
    try:
        report = idioms_report if named else depth_report
        write = idioms_report.write_idioms_report if named else depth_report.write_depth_report
        found = write(out, command)
    except ValueError as e:
        fail(str(e), status=1)
    for line in report.answer(found):
        echo(line)
    data = "idioms.json" if named else "depth.json; chart: depth.png"
    echo(f"report: {out / 'README.md'} (data: {data})")
    return 0


def ab(args: argparse.Namespace) -> int:
    """`python -m bench ab BASE NEW`: an upgrade judged in pairs of processes; with
    --fail-on-regression, a gate (exit 1 on a regression, 2 on bad input)."""
    from bench.analysis.ab import gate_fails
    from bench.plan.ab import AbConfig, Side, parse_env
    from bench.plan.config import make_config
    from bench.render.ab import console_lines, write_ab_report
    from bench.render.console import echo
    from bench.sweep.ab import check_side, run_ab

    out = out_dir(args, "ab")
    config = config_from(AbConfig, args, base=None, new=None, settings=None, out=out)
    try:
        base, new = (
            Side(name, python, parse_env(env, f"--{name}-env"))
            for name, python, env in (
                ("base", args.base, args.base_env),
                ("new", args.new, args.new_env),
            )
        )
        # the arch and styles checked as a sweep checks them
        sweep = make_config(
            "quick", out, archs=(config.arch,), styles=config.styles, data_dir=config.data_dir
        )
        config = replace(
            config, base=base, new=new, settings=sweep.settings, command=tuple(sys.argv[2:])
        )
        if args.dry_run:
            return print_plan("ab", config.plan())
        for side in (base, new):
            check_side(side)
    except ConfigError as e:
        fail(str(e))
    writable(out)

    for line in (f"BASE: {base.words()}", f"NEW:  {new.words()}", f"writing to {out}/"):
        echo(line)
    try:
        run = run_ab(config, echo)
    except ConfigError as e:
        fail(str(e))
    found = write_ab_report(run)
    for line in console_lines(found):
        echo(line)
    echo(f"report: {out / 'ab.md'} (data: ab.json; chart: ab.png; processes: ab.jsonl)")
    if not found["entries"]:
        fail("no pair of processes finished on both sides; ab.md and ab.jsonl say why", 1)
    return 1 if config.fail_on_regression and gate_fails(found) else 0


def upgrade(args: argparse.Namespace) -> int:
    """`python -m bench upgrade DIR ...`: older sweeps converted to the schema readers take."""
    from bench.store.files import RecordsFileError
    from bench.store.schema import SCHEMA_VERSION, SWEEP_FILE
    from bench.store.upgrade import upgrade_directory

    for out in args.dirs:
        try:
            was = upgrade_directory(out)
        except RecordsFileError as e:
            fail(str(e))
        if was is None:
            print(f"{out}: schema {SCHEMA_VERSION} already")
        else:
            again = "report" if (out / SWEEP_FILE).exists() else "depth --report-only"
            print(
                f"{out}: schema {was} → {SCHEMA_VERSION}; rebuild its report: "
                f"python -m bench {again} --out {out}"
            )
    return 0
