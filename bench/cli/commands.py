"""The subcommands: report, compare, depth and ab, each from its parsed options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.cli.options import default_out, existing_out, fail
from bench.plan.config import BenchConfig
from bench.plan.settings import DEFAULT_TIME_MARGIN, ConfigError, check_value


def _margin(value: float | None) -> float:
    """--time-margin as given (checked as the run command checks it), else the default."""
    if value is None:
        return DEFAULT_TIME_MARGIN
    try:
        check_value(BenchConfig, "time_margin", value)
    except ConfigError as e:
        fail(str(e))
    return value


def _out(args: argparse.Namespace, kind: str) -> Path:
    """--out, or a new runs/<time>-<kind>/."""
    return args.out if args.out is not None else default_out(kind)


def _writable(out: Path) -> None:
    from bench.sweep.run import check_writable

    try:
        check_writable(out)
    except ConfigError as e:
        fail(str(e))


def report(args: argparse.Namespace) -> int:
    """`python -m bench report`: rebuilds a sweep's tables and charts and prints the headline."""
    margin = None if args.time_margin is None else _margin(args.time_margin)
    return print_report(existing_out(args.out, "report"), margin)


def print_report(out: Path, time_margin: float | None = None) -> int:
    """Writes `out`'s report and prints what the console shows of it."""
    from bench.render.console import report_lines
    from bench.render.report import ReportError, write_report
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
    from bench.render.compare import regression_lines, write_comparison

    margin = _margin(args.time_margin)
    out = _out(args, "compare")
    if len(args.sweeps) < 2:
        fail(f"compare needs two sweep directories (BASE NEW) or more; received {len(args.sweeps)}")
    for side in args.sweeps:
        if out.resolve() == side.resolve():
            fail(f"--out {out} is one of the compared directories; pass another --out")
    if len(args.sweeps) > 2:
        return _history(args, out, margin)
    try:
        found = compare_sweeps(*args.sweeps, margin)
    except CompareError as e:
        fail(str(e))
    if args.fail_on_regression and found.thin:
        fail(
            f"--fail-on-regression needs {GATE_MIN_RUNS} or more runs per cell on each side; "
            f"these have fewer: {'; '.join(found.thin)}; rerun the thin side with --seeds "
            f"{GATE_MIN_RUNS} or more"
        )
    _writable(out)
    print(write_comparison(found, out, margin))
    print(
        f"comparison: {out / 'compare.md'} (table: compare.csv; data: compare.json; chart: "
        "compare.png)"
    )
    regressions = regression_lines(found)
    if args.fail_on_regression and regressions:
        for line in regressions:
            print(f"regression: {line}", file=sys.stderr)
        return 1
    return 0


def _history(args: argparse.Namespace, out: Path, margin: float) -> int:
    from bench.analysis.compare import CompareError
    from bench.analysis.history import history
    from bench.render.history import write_history

    if args.fail_on_regression:
        fail(f"--fail-on-regression gates two sweeps, BASE and NEW; received {len(args.sweeps)}")
    try:
        found = history(args.sweeps, margin)
    except CompareError as e:
        fail(str(e))
    _writable(out)
    print(write_history(found, out))
    print(f"history: {out / 'history.md'} (data: history.json; chart: history.png)")
    return 0


def depth(args: argparse.Namespace) -> int:
    """`python -m bench depth`: each style's costs from 2 layers to hundreds, and their growth."""
    from bench.plan.settings import DEFAULT_ONE_TIME_MARGIN
    from bench.render import depth as depth_report
    from bench.render import idioms as idioms_report
    from bench.store.files import read_json
    from bench.sweep.depth import run_depth
    from bench.sweep.executors import ExecutorError, make_executor

    margin = DEFAULT_ONE_TIME_MARGIN if args.time_margin is None else _margin(args.time_margin)
    for name in ("cycles", "steady_rounds"):
        value = getattr(args, name)
        if value is not None and value < 2:
            fail(f"--{name.replace('_', '-')} must be 2 or more, for an interval; received {value}")
    if args.profiles < 0:
        fail(f"--profiles must be 0 or more; received {args.profiles}")
    if args.report_only:
        if args.out is None or not (args.out / "run.json").exists():
            fail(
                "--report-only needs --out naming a depth study's directory (one with "
                f"run.json); received {args.out or 'no --out'}"
            )
        out = args.out
    else:
        out = _out(args, "depth")
        _writable(out)
        try:
            archs = args.arch or tuple(f"dense-{d}" for d in args.depths)
            run_depth(
                out,
                archs,
                make_executor("local", device="cpu"),
                margin=margin,
                data_dir=args.data_dir,
                cycles=args.cycles,
                steady_rounds=args.steady_rounds,
                profiles=args.profiles,
                echo=lambda line: print(line, flush=True),
            )
        except (ExecutorError, RuntimeError) as e:
            fail(str(e), status=1)
    run = read_json(out / "run.json")
    named = "archs" in run
    command = " ".join(
        [
            "python -m bench depth",
            f"--arch {','.join(run['archs'])}"
            if named
            else f"--depths {','.join(map(str, run['depths']))}",
            *([f"--cycles {run['cycles']}"] if run.get("cycles") else []),
            f"--steady-rounds {run['steady_rounds']}",
            *([] if named else [f"--profiles {run['profiles']}"]),
            *(
                [f"--time-margin {run['margin']:g}"]
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
        print(line)
    data = "idioms.json" if named else "depth.json; chart: depth.png"
    print(f"report: {out / 'README.md'} (data: {data})")
    return 0


def ab(args: argparse.Namespace) -> int:
    """`python -m bench ab BASE NEW`: an upgrade judged in pairs of processes; with
    --fail-on-regression, a gate (exit 1 on a regression, 2 on bad input)."""
    from bench.analysis.ab import gate_fails
    from bench.plan.ab import AbConfig, Side, parse_env
    from bench.plan.config import make_config
    from bench.plan.settings import DEFAULT_ONE_TIME_MARGIN
    from bench.plan.values import names, parse_duration, parse_seeds
    from bench.render.ab import console_lines, write_ab_report
    from bench.render.console import echo
    from bench.sweep.ab import check_side, run_ab
    from mnist_models import STYLES

    out = _out(args, "ab")
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
            "quick",
            out,
            archs=(args.arch,),
            styles=names(STYLES)(args.styles),
            data_dir=args.data_dir,
        )
        one_time = DEFAULT_ONE_TIME_MARGIN if args.one_time_margin is None else args.one_time_margin
        check_value(BenchConfig, "one_time_margin", one_time)
        config = AbConfig(
            base,
            new,
            sweep.settings,
            out,
            arch=args.arch,
            styles=sweep.styles,
            cycles=args.cycles,
            rounds=args.rounds,
            min_pairs=args.min_pairs,
            max_pairs=args.max_pairs,
            budget=parse_duration(args.budget),
            time_margin=_margin(args.time_margin),
            one_time_margin=one_time,
            data_dir=args.data_dir,
            seeds=() if args.seeds == "0" else parse_seeds(args.seeds),
            capabilities=args.capabilities,
            command=tuple(sys.argv[2:]),
        )
        for side in (base, new):
            check_side(side)
    except (ConfigError, ValueError) as e:
        fail(str(e))
    _writable(out)

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
    return 1 if args.fail_on_regression and gate_fails(found) else 0
