"""A worker process: `python -m bench.worker run|paired|probe|capabilities RESULT_JSON < job`.

The sweep starts one per job so that each begins from a fresh interpreter: its peak memory,
Keras state and TensorFlow caches are its own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.config import PairedSpec, RunSpec
from bench.quiet import import_tensorflow_quietly
from bench.records import write_json

KINDS = ("run", "paired", "probe", "capabilities")


def main(argv: list[str]) -> int:
    kind, result_path = argv
    job = sys.stdin.read()
    # Before anything imports it: the framework's start-up lines are not the harness's.
    import_tensorflow_quietly()
    if kind == "run":
        from bench.runner import run_one  # imports TensorFlow

        result = run_one(RunSpec.from_json(job)).to_dict()
    elif kind == "paired":
        from bench.paired import run_paired

        result = run_paired(PairedSpec.from_json(job)).to_dict()
    elif kind == "probe":
        from bench.peak import probe_seconds
        from bench.runner import device_name

        result = {"probe_seconds": probe_seconds(), "device": device_name()}
    elif kind == "capabilities":
        from bench.capabilities import check_capabilities

        wanted = json.loads(job)
        result = {style: check_capabilities(wanted["arch"], style) for style in wanted["styles"]}
    else:
        print(f"unknown worker job {kind!r}; expected one of: {', '.join(KINDS)}", file=sys.stderr)
        return 2
    write_json(Path(result_path), result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
