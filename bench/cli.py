"""`python -m bench`: parse options, then config → sweep → records → report and charts."""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import NoReturn

from bench.backends import BACKENDS
from bench.config import DEVICES, JIT_COMPILE, PRECISIONS, PROFILES, ConfigError, make_config
from bench.executors import EXECUTORS
from bench.quiet import import_tensorflow_quietly, silence_framework_logs
from mnist_models import ARCHS, STYLES

EPILOG = """\
Profiles: smoke (CI check, under a minute), quick (default, within 5 minutes on a 2-core CPU),
full (the reference run behind results/). Options given explicitly override the profile.

Output goes to a new directory runs/<time>-<profile>/ (git ignores runs/); the committed
reference results are regenerated only when asked, with --out results.

`python -m bench report [--out DIR]` rebuilds the tables and charts from DIR/runs.jsonl
without training. `python -m bench perf [--out DIR] [--repeats N]` measures the training
knobs and the harness overhead into DIR/perf.md. `python -m bench compare BASE NEW` sets two
sweeps side by side (--fail-on-regression makes it a gate).
"""
RUNS_DIR = Path("runs")


class _Parser(argparse.ArgumentParser):
    """Bad input ends in one line on stderr and exit status 2, never a usage dump."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see `python -m bench --help`)")


def _fail(message: str, status: int = 2) -> NoReturn:
    print(f"bench: error: {message}", file=sys.stderr)
    sys.exit(status)


def _names(allowed: tuple[str, ...]):
    def parse(text: str) -> tuple[str, ...]:
        return tuple(name.strip() for name in text.split(",") if name.strip())

    parse.__name__ = f"comma-separated list of {', '.join(allowed)}"
    return parse


def _backends(text: str) -> tuple[str, ...]:
    return BACKENDS if text.strip() == "all" else _names(BACKENDS)(text)


def _seeds(text: str) -> tuple[int, ...]:
    """ "5" → seeds 1..5; "3,7,9" → those seeds; "4-6" → 4, 5, 6."""
    try:
        if "," in text:
            return tuple(int(part) for part in text.split(",") if part.strip())
        if "-" in text.strip("-"):
            first, last = (int(part) for part in text.split("-"))
            return tuple(range(first, last + 1))
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid seeds {text!r}; expected a count N (seeds 1..N), a list like 1,2,7, "
            "or a range like 3-5"
        ) from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"--seeds must be >= 1; received {count}")
    return tuple(range(1, count + 1))


def build_parser() -> argparse.ArgumentParser:
    """The run command's options; `report` has a parser of its own."""
    p = _Parser(
        prog="python -m bench",
        description="Train the same MNIST classifier in Keras' three styles and compare them.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", choices=PROFILES, default="quick", help="defaults (quick)")
    p.add_argument("--arch", type=_names(ARCHS), help=f"architectures: {','.join(ARCHS)}")
    p.add_argument(
        "--backend",
        type=_backends,
        help=f"Keras backends: {','.join(BACKENDS)} or all (tensorflow; full: every installed)",
    )
    p.add_argument("--styles", type=_names(STYLES), help=f"styles: {','.join(STYLES)} (all)")
    p.add_argument("--seeds", type=_seeds, help="N (seeds 1..N), a list 1,2,7 or a range 3-5")
    p.add_argument("--epochs", type=int, help="training epochs per run")
    p.add_argument("--batch-size", type=int, help="training batch size (128)")
    p.add_argument("--learning-rate", type=float, help="Adam's peak learning rate (0.004)")
    p.add_argument("--validation-split", type=float, help="held-out fraction of training (0.1)")
    p.add_argument("--train-images", type=int, help="use the first N training images")
    p.add_argument("--test-images", type=int, help="use the first N test images")
    p.add_argument("--device", choices=DEVICES, help="auto (GPU if TensorFlow sees one), cpu, gpu")
    p.add_argument(
        "--deterministic",
        action=argparse.BooleanOptionalAction,
        help="TensorFlow op determinism: equal seeds give equal results (on)",
    )
    p.add_argument(
        "--jit-compile",
        choices=JIT_COMPILE,
        help="XLA (torch.compile on PyTorch): auto is each backend's default (XLA on JAX, off "
        "on TensorFlow's CPU, eager on PyTorch); on needs --no-deterministic on TensorFlow",
    )
    p.add_argument(
        "--shared-start",
        action=argparse.BooleanOptionalAction,
        help="every backend and style starts from TensorFlow's Sequential weights and sees "
        "one NumPy batch order (on when several backends are swept)",
    )
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="Keras dtype policy (float32); mixed_* are slow on CPUs without native support",
    )
    p.add_argument(
        "--steps-per-execution",
        type=int,
        help="train steps per call into TensorFlow (same math, less Python per step)",
    )
    p.add_argument(
        "--target-accuracy",
        type=float,
        help="record the time until validation accuracy first reaches this fraction, e.g. 0.99",
    )
    p.add_argument(
        "--paired-rounds",
        type=int,
        help="rounds in each process of the paired timing phase (smoke 0 = off, quick 12, "
        "full 100)",
    )
    p.add_argument(
        "--paired-processes",
        type=int,
        help="independent processes of the paired phase per arch (quick 3, full 8)",
    )
    p.add_argument(
        "--time-margin",
        type=float,
        help="equivalence margin of the timing verdicts, in percent (3)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="output dir (a new runs/<time>-<profile>/; --out results regenerates the "
        "committed reference results)",
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
    p.add_argument("--data-dir", help="directory with the MNIST IDX files or mnist.npz")
    p.add_argument("--order-seed", type=int, help="seed of the shuffled run order (0)")
    p.add_argument(
        "--capabilities",
        action=argparse.BooleanOptionalAction,
        help="check what each style can do: save formats, export, clone (off in smoke)",
    )
    return p


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


def _existing_out(out: Path | None, what: str) -> Path:
    if out is not None:
        return out
    newest = newest_sweep()
    if newest is None:
        _fail(f"{what} needs a sweep directory: none in {RUNS_DIR}/; pass --out DIR")
    return newest


def _report_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m bench report", description="Rebuild tables and charts.")
    p.add_argument("--out", type=Path, help="results dir (the newest sweep in runs/)")
    p.add_argument("--time-margin", type=float, help="timing verdicts' margin in %% (the sweep's)")
    return p


def _compare_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m bench compare",
        description="Compare two sweeps: NEW against BASE, every metric with an interval and a "
        "verdict, environment and settings differences first.",
    )
    p.add_argument("base", type=Path, help="the earlier sweep's output directory")
    p.add_argument("new", type=Path, help="the later sweep's output directory")
    p.add_argument("--out", type=Path, help="where compare.* go (a new runs/<time>-compare/)")
    p.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 when a time is slower, or accuracy lower, beyond its margin",
    )
    p.add_argument("--time-margin", type=float, default=None, help="timing margin in %% (3)")
    return p


def _perf_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m bench perf",
        description="Ablate the training speed knobs and measure the harness overhead.",
    )
    p.add_argument("--out", type=Path, help="output dir (a new runs/<time>-perf/)")
    p.add_argument("--repeats", type=int, default=5, help="rounds of every variant (5)")
    p.add_argument("--data-dir", help="directory with the MNIST IDX files or mnist.npz")
    return p


def _scaling_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m bench scaling",
        description="Measure Ray's per-task overhead against local processes, and project a "
        "180-run sweep on 1, 4 and 16 nodes from a sweep's run times.",
    )
    p.add_argument("--out", type=Path, help="where scaling.md goes (a new runs/<time>-scaling/)")
    p.add_argument("--runs-from", type=Path, default=Path("results"),
                   help="the sweep whose run times the projection uses (results)")  # fmt: skip
    p.add_argument("--jobs", type=int, default=8, help="no-op jobs timed on each executor (8)")
    return p


def _scaling(args: argparse.Namespace) -> int:
    from bench.executors import ExecutorError, make_executor
    from bench.scaling import run_scaling

    if args.jobs < 2:
        _fail(f"--jobs must be >= 2, for an interval; received {args.jobs}")
    out = args.out if args.out is not None else default_out("scaling")
    try:
        found = run_scaling(
            out, args.runs_from, args.jobs, make_executor("local", device="auto"),
            lambda: make_executor("ray", device="auto"),
        )  # fmt: skip
    except (ExecutorError, ValueError) as e:
        _fail(str(e))
    print(f"Ray's overhead per task: {found.per_task():.2f} s; report: {out / 'scaling.md'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    # Before any framework is imported: its C++ start-up lines would drown the progress lines.
    silence_framework_logs()
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:
        args = _report_parser().parse_args(argv[1:])
        return _report(_existing_out(args.out, "report"), args.time_margin)
    if argv[:1] == ["perf"]:
        return _perf(_perf_parser().parse_args(argv[1:]))
    if argv[:1] == ["scaling"]:
        return _scaling(_scaling_parser().parse_args(argv[1:]))
    if argv[:1] == ["compare"]:
        return _compare(_compare_parser().parse_args(argv[1:]))
    return _run(build_parser().parse_args(argv), argv)


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from bench import sweep
    from bench.data import MnistFileError, MnistUnavailableError, load_mnist
    from bench.records import RecordsFileError

    overrides = {
        "archs": args.arch,
        "backends": args.backend,
        "styles": args.styles,
        "seeds": args.seeds,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "validation_split": args.validation_split,
        "train_images": args.train_images,
        "test_images": args.test_images,
        "device": args.device,
        "deterministic": args.deterministic,
        "jit_compile": args.jit_compile,
        "shared_start": args.shared_start,
        "target_accuracy": args.target_accuracy,
        "precision": args.precision,
        "steps_per_execution": args.steps_per_execution,
        "data_dir": args.data_dir,
        "resume": args.resume or None,
        "order_seed": args.order_seed,
        "capabilities": args.capabilities,
        "paired_rounds": args.paired_rounds,
        "paired_processes": args.paired_processes,
        "time_margin": args.time_margin,
    }
    if args.out is not None:
        out = args.out
    elif args.resume:
        out = _existing_out(None, "--resume")
    else:
        out = default_out(args.profile)
    try:
        config = make_config(args.profile, out, **overrides)
        sweep.check_writable(config.out)
    except ConfigError as e:
        _fail(str(e))
    if args.ray_cpus_per_run is not None and not args.ray_cpus_per_run > 0:
        _fail(f"--ray-cpus-per-run must be > 0; received {args.ray_cpus_per_run}")
    if args.executor != "ray" and (args.ray_address or args.ray_cpus_per_run):
        _fail("--ray-address and --ray-cpus-per-run need --executor ray")

    from bench.environment import collect, gpu_visible, native_bf16

    if config.settings.device == "gpu" and not _gpu_visible(gpu_visible):
        _fail(
            "--device gpu, but TensorFlow sees no GPU; install a CUDA build of TensorFlow "
            "(pip install 'tensorflow[and-cuda]') or use --device auto/cpu"
        )
    try:
        mnist = load_mnist(config.data_dir)
    except MnistFileError as e:
        _fail(str(e))
    except MnistUnavailableError as e:
        _fail(str(e), status=1)
    if config.settings.precision != "float32":
        gpu = config.settings.device != "cpu" and _gpu_visible(gpu_visible)
        warning = precision_warning(config.settings.precision, gpu, native_bf16())
        if warning:
            print(f"warning: {warning}", file=sys.stderr, flush=True)
    environment = {**collect(), "data_source": mnist.source}
    del mnist  # the workers load their own copy; the parent only made sure there is one

    runs = len(config.runs())
    print(
        f"mnist-styles-bench: profile {config.profile}, {runs} runs "
        f"({', '.join(config.backends)} × {', '.join(config.archs)} × "
        f"{', '.join(config.styles)} × {len(config.seeds)} seeds, "
        f"{config.settings.epochs} epoch(s)); data: {environment['data_source']}; "
        f"writing to {config.out}/",
        flush=True,
    )
    from bench.executors import ExecutorError, make_executor

    try:  # connected before anything runs: a bad address ends here, with one line
        executor = make_executor(args.executor, device=config.settings.device,
                                 ray_address=args.ray_address,
                                 cpus_per_run=args.ray_cpus_per_run)  # fmt: skip
    except ExecutorError as e:
        _fail(str(e))
    try:
        sweep.run_sweep(config, environment, argv, echo=lambda line: print(line, flush=True),
                        executor=executor)  # fmt: skip
    except (ConfigError, RecordsFileError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: every finished run is in {config.out}/runs.jsonl; "
            f"add --resume --out {config.out} to the same command to go on",
            file=sys.stderr,
        )
        return 130
    except RuntimeError as e:  # a worker job the sweep cannot go on without (the probe)
        _fail(str(e), status=1)
    finally:
        executor.close()
    return _report(config.out, config.time_margin)


def _gpu_visible(gpu_visible) -> bool:
    import_tensorflow_quietly()  # only for --device gpu or mixed precision: a few seconds
    return gpu_visible()


def _perf(args: argparse.Namespace) -> int:
    from bench import sweep
    from bench.config import COMMON_DEFAULTS, TrainSettings
    from bench.environment import collect

    if args.repeats < 2:
        _fail(f"--repeats must be >= 2 to show a spread; received {args.repeats}")
    out = args.out if args.out is not None else default_out("perf")
    try:
        sweep.check_writable(out)
    except ConfigError as e:
        _fail(str(e))
    import_tensorflow_quietly()
    from bench.peak import probe_seconds, summarize_probes
    from bench.perf import run_perf

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


def _compare(args: argparse.Namespace) -> int:
    from bench.compare import CompareError, compare, write_comparison
    from bench.config import DEFAULT_TIME_MARGIN

    margin = args.time_margin or DEFAULT_TIME_MARGIN
    if not 0 < margin < 100:
        _fail(f"time margin must be a percentage in (0, 100), e.g. 3; received {margin}")
    out = args.out if args.out is not None else default_out("compare")
    for side in (args.base, args.new):
        if out.resolve() == side.resolve():
            _fail(f"--out {out} is one of the compared directories; pass another --out")
    try:
        found = compare(args.base, args.new, margin)
    except CompareError as e:
        _fail(str(e))
    from bench import sweep

    try:
        sweep.check_writable(out)
    except ConfigError as e:
        _fail(str(e))
    print(write_comparison(found, out, margin))
    print(f"comparison: {out / 'compare.md'} (table: compare.csv; data: compare.json; chart: "
          "compare.png)")  # fmt: skip
    regressions = found.regressions()
    if args.fail_on_regression and regressions:
        for line in regressions:
            print(f"regression: {line}", file=sys.stderr)
        return 1
    return 0


def precision_warning(precision: str, gpu: bool, cpu_native_bf16: bool) -> str | None:
    """Why a mixed-precision run will be slow here, if it will."""
    if precision == "mixed_bfloat16" and not gpu and not cpu_native_bf16:
        return (
            "mixed_bfloat16 on a CPU without native bfloat16 (no avx512_bf16 or amx_bf16 flag) "
            "is emulated, and several times slower than float32"
        )
    if precision == "mixed_float16" and not gpu:
        return "mixed_float16 on a CPU is emulated and slower than float32; it is meant for GPUs"
    return None


def _report(out: Path, time_margin: float | None = None) -> int:
    from bench.records import RecordsFileError, RunRecord
    from bench.report import ReportError, headline_table, paired_console_lines, write_report

    try:
        results = write_report(out, time_margin)
    except (ReportError, RecordsFileError) as e:
        _fail(str(e))
    records = [RunRecord.from_dict(run) for run in results["runs"]]  # no second read of the file
    table = headline_table(records, results["summary"])
    print()
    print(table.to_markdown(index=False, disable_numparse=True))
    for line in paired_console_lines(results):
        print(line)
    for warning in results["summary"]["warnings"]:
        print(f"warning: {warning}")
    print(f"\nreport: {out / 'README.md'} (tables: summary.md, summary.csv; data: results.json)")
    return 0
