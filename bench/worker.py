"""A worker process: `python -m bench.worker run|capabilities RESULT_JSON < job.json`.

The sweep starts one per run so that each run begins from a fresh interpreter: its peak memory,
Keras state and TensorFlow caches are its own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.config import RunSpec
from bench.records import write_json


def main(argv: list[str]) -> int:
    kind, result_path = argv
    job = sys.stdin.read()
    if kind == "run":
        from bench.runner import run_one  # imports TensorFlow

        write_json(Path(result_path), run_one(RunSpec.from_json(job)).to_dict())
    elif kind == "capabilities":
        from bench.capabilities import check_capabilities

        wanted = json.loads(job)
        results = {style: check_capabilities(wanted["arch"], style) for style in wanted["styles"]}
        write_json(Path(result_path), results)
    else:
        print(f"unknown worker job {kind!r}; expected run or capabilities", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
