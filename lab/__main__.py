"""`python -m lab`: the method's studies, each a subcommand (see lab/README.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.cli.commands import out_dir, writable
from bench.cli.options import Parser, add_dry_run, fail, print_plan
from bench.worker.quiet import silence_framework_logs
from lab.stopping import TRIALS


def _parser(study: str, description: str, writes: str) -> argparse.ArgumentParser:
    """A study's parser with its --out; `writes`: what goes there."""
    p = Parser(prog=f"python -m lab {study}", description=description)
    p.add_argument("--out", type=Path, help=f"where {writes} goes (a new runs/<time>-{study}/)")
    return p


def _prepared_out(args: argparse.Namespace, study: str, flag: str, least: int, why: str) -> Path:
    """The study's output directory, checked writable, once `flag` is at least `least`."""
    value = getattr(args, flag.removeprefix("--").replace("-", "_"))
    if value < least:
        fail(f"{flag} must be >= {least} {why}; received {value}")
    out = out_dir(args, study)
    writable(out)
    return out


def perf_parser() -> argparse.ArgumentParser:
    p = _parser(
        "perf", "Ablate the training speed knobs and measure the harness overhead.", "perf.md"
    )
    p.add_argument("--repeats", type=int, default=5, help="rounds of every variant (5)")
    p.add_argument("--data-dir", help="directory with the MNIST IDX files or mnist.npz")
    return p


def perf(args: argparse.Namespace) -> int:
    """The knob ablation, kernel timings and harness overhead, run in this process."""
    from bench.plan.config import COMMON_DEFAULTS
    from bench.plan.settings import TrainSettings
    from bench.store.environment import collect
    from bench.worker.quiet import import_tensorflow_quietly

    out = _prepared_out(args, "perf", "--repeats", 2, "to show a spread")
    import_tensorflow_quietly()  # a study runs Keras in this process, as a worker does
    from lab.peak import probe_seconds, summarize_probes
    from lab.perf import run_perf

    settings = TrainSettings(
        epochs=2,
        batch_size=COMMON_DEFAULTS["batch_size"],
        learning_rate=COMMON_DEFAULTS["learning_rate"],
        validation_split=COMMON_DEFAULTS["validation_split"],
        train_images=24_000,
        test_images=2_000,
        steps_per_execution=COMMON_DEFAULTS["steps_per_execution"],
    )
    peak = summarize_probes(probe_seconds())
    print(
        f"float32 matmul peak: {peak['peak_matmul_gflops']:.1f} GFLOP/s median, "
        f"{peak['peak_matmul_gflops_best']:.1f} best",
        flush=True,
    )
    run_perf(
        out,
        peak=peak,
        environment=collect(),
        settings=settings,
        data_dir=args.data_dir,
        repeats=args.repeats,
        echo=lambda line: print(line, flush=True),
    )
    print(f"\nwrote {out / 'perf.md'}")
    return 0


def scaling_parser() -> argparse.ArgumentParser:
    p = _parser(
        "scaling",
        "Measure Ray's per-task overhead against local processes, and project a 180-run sweep "
        "on 1, 4 and 16 nodes from a sweep's run times.",
        "scaling.md",
    )
    p.add_argument(
        "--runs-from",
        type=Path,
        default=Path("results/styles"),
        help="the sweep whose run times the projection uses (results/styles)",
    )
    p.add_argument("--jobs", type=int, default=8, help="no-op jobs timed on each executor (8)")
    return p


def scaling(args: argparse.Namespace) -> int:
    """Ray's per-task overhead, and a big sweep projected."""
    from bench.sweep.executors import ExecutorError, make_executor
    from lab.scaling import run_scaling

    out = _prepared_out(args, "scaling", "--jobs", 2, "for an interval")
    try:
        found = run_scaling(
            out,
            args.runs_from,
            args.jobs,
            make_executor("local", device="auto"),
            lambda: make_executor("ray", device="auto"),
        )
    except (ExecutorError, ValueError) as e:
        fail(str(e))
    print(f"Ray's overhead per task: {found.per_task():.2f} s; report: {out / 'scaling.md'}")
    return 0


def stopping_parser() -> argparse.ArgumentParser:
    p = _parser(
        "stopping",
        "Simulate the paired phases' stopping rule on the committed processes moved to known "
        "truths: its wrong verdicts, coverage and processes (docs/methodology.md).",
        "README.md",
    )
    p.add_argument("--trials", type=int, default=TRIALS, help=f"trials per simulation ({TRIALS})")
    return p


def stopping(args: argparse.Namespace) -> int:
    """The stopping rule's error rates, simulated."""
    from lab.stopping import write_study

    out = _prepared_out(args, "stopping", "--trials", 100, "for a rate worth reading")
    command = "python -m lab stopping" + (
        f" --trials {args.trials}" if args.trials != TRIALS else ""
    )
    write_study(out, args.trials, command + (f" --out {args.out}" if args.out else ""))
    print(f"wrote {out / 'README.md'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs one study; returns the exit status."""
    silence_framework_logs()
    from lab import ab_rates

    argv = sys.argv[1:] if argv is None else argv
    studies = {
        "perf": (perf_parser, perf),
        "scaling": (scaling_parser, scaling),
        "ab-rates": (ab_rates.parser, lambda args: ab_rates.main(args) or 0),
        "stopping": (stopping_parser, stopping),
    }
    if not argv or argv[0] not in studies:
        fail(f"expected a study, one of: {', '.join(studies)}; received {' '.join(argv) or 'none'}")
    make_parser, study = studies[argv[0]]
    parser = make_parser()
    add_dry_run(parser)
    args = parser.parse_args(argv[1:])
    if args.dry_run:
        return print_plan(argv[0], {k: v for k, v in vars(args).items() if k != "dry_run"})
    return study(args)


if __name__ == "__main__":
    sys.exit(main())
