"""The run command: options → config → sweep → report, with one line for every bad input."""

from __future__ import annotations

import argparse
import json
import sys

from bench.cli.options import default_out, existing_out, fail, print_plan, setting_options
from bench.plan.backends import gpu_hint
from bench.plan.config import make_config
from bench.plan.settings import ConfigError


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


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Runs a sweep as the options say, then writes and prints its report."""
    from bench.cli.commands import print_report
    from bench.render.console import echo
    from bench.store.environment import collect, native_bf16
    from bench.store.files import RecordsFileError
    from bench.store.mnist import MnistFileError, MnistUnavailableError, load_mnist
    from bench.sweep.executors import ExecutorError, make_executor
    from bench.sweep.run import check_writable, expose_generated, run_sweep

    overrides = {name: getattr(args, name) for name in setting_options()}
    overrides["resume"] = args.resume or None
    if args.out is not None:
        out = args.out
    elif args.resume:
        out = existing_out(None, "--resume")
    else:
        out = default_out(args.profile)
    try:
        config = make_config(args.profile, out, **overrides)
        if args.dry_run:
            return print_plan("run", {"config": config.to_dict()})
        check_writable(config.out)
    except ConfigError as e:
        fail(str(e))
    expose_generated(config.out)  # before a local Ray starts: its workers inherit it
    if args.ray_cpus_per_run is not None and not args.ray_cpus_per_run > 0:
        fail(f"--ray-cpus-per-run must be > 0; received {args.ray_cpus_per_run}")
    if args.executor != "ray" and (args.ray_address or args.ray_cpus_per_run):
        fail("--ray-address and --ray-cpus-per-run need --executor ray")
    try:  # connected before anything runs: a bad address ends here, with one line
        executor = make_executor(
            args.executor,
            device=config.settings.device,
            ray_address=args.ray_address,
            cpus_per_run=args.ray_cpus_per_run,
        )
    except ExecutorError as e:
        fail(str(e))
    try:
        if config.settings.device == "gpu" or config.settings.precision != "float32":
            # A worker per backend says which device it sees (a few seconds each): one
            # framework may see the GPU where another, a CPU build, does not.
            gpu = True
            for backend in config.backends:
                seen = executor.call("device", json.dumps({"backend": backend}))[0] or {}
                if not str(seen.get("device", "cpu")).startswith("gpu"):
                    gpu = False
                    if config.settings.device == "gpu":
                        fail(
                            f"--device gpu, but {backend} sees no GPU; install a CUDA build "
                            f"({gpu_hint(backend)}) or use --device auto/cpu"
                        )
            warning = precision_warning(config.settings.precision, gpu, native_bf16())
            if warning:
                print(f"warning: {warning}", file=sys.stderr, flush=True)
        try:
            # Fetched once here, so that the workers find it cached rather than each fetching.
            mnist = load_mnist(config.data_dir)
        except MnistFileError as e:
            fail(str(e))
        except MnistUnavailableError as e:
            fail(str(e), status=1)
        environment = {**collect(), "data_source": mnist.source}
        del mnist
        run_sweep(config, environment, argv, executor=executor, echo=echo)
    except (ConfigError, RecordsFileError) as e:
        fail(str(e))
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: every finished run is in {config.out}/runs.jsonl; "
            f"add --resume --out {config.out} to the same command to go on",
            file=sys.stderr,
        )
        return 130
    except RuntimeError as e:  # a worker job the sweep cannot go on without (a shared start)
        fail(str(e), status=1)
    finally:
        executor.close()
    return print_report(config.out, config.time_margin)
