"""A worker: `python -m bench.worker KIND RESULT_JSON < job`, a fresh interpreter per job."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

from bench.plan.backends import DEFAULT_BACKEND
from bench.plan.settings import TrainSettings, settings_from_dict
from bench.plan.specs import OneTimeSpec, RunSpec, SteadySpec
from bench.store.capabilities import CHECK_NAMES
from bench.store.files import write_json
from bench.worker.backends import select
from bench.worker.quiet import import_keras_quietly

KINDS = (
    "run",
    "steady",
    "one_time",
    "init",
    "device",
    "capabilities",
    "crossload",
    "noop",
    "architectures",
    "programs",
    "keras_mnist",
)


# jobs whose spec carries TrainSettings
TRAINING_KINDS = ("run", "steady", "one_time", "programs")


def job_backend(kind: str, job: str) -> str:
    """The Keras backend a job runs on: its settings' (a shared start's weights: TensorFlow)."""
    if kind in TRAINING_KINDS:
        return _settings(job).backend
    if kind in ("capabilities", "crossload", "architectures", "device"):
        return json.loads(job).get("backend", DEFAULT_BACKEND)
    return DEFAULT_BACKEND


def job_deterministic(kind: str, job: str) -> bool:
    """Whether the job asks for deterministic kernels: its settings' for runs and paired
    phases; the other jobs train nothing."""
    if kind == "architectures":  # with a sweep's settings it traces their programs too
        return bool((json.loads(job).get("settings") or {}).get("deterministic"))
    return kind in TRAINING_KINDS and _settings(job).deterministic


def _settings(job: str) -> TrainSettings:
    return settings_from_dict(json.loads(job)["settings"])


def keras_load_data() -> None:
    """`keras.datasets.mnist.load_data()`, its download progress kept off the console."""
    import keras

    chatter = io.StringIO()
    try:
        with contextlib.redirect_stdout(chatter):
            keras.datasets.mnist.load_data()
    except Exception as e:  # Keras raises a bare Exception for every network failure
        raise RuntimeError(str(e)) from e


def main(argv: list[str]) -> int:
    kind, result_path = argv
    job = sys.stdin.read()
    # Before anything imports Keras: the backend is fixed at Keras' import, and the framework's
    # start-up lines are not the harness's.
    # Capability checks may use TensorFlow on any backend: `model.export` writes a SavedModel.
    select(
        job_backend(kind, job),
        block_tensorflow=kind not in ("capabilities", "crossload"),
        deterministic=job_deterministic(kind, job),
    )
    import_keras_quietly()
    if kind == "run":
        from bench.worker.runner import run_one

        result = run_one(RunSpec.from_json(job)).to_dict()
    elif kind == "steady":
        from bench.worker.steady import run_steady

        result = run_steady(SteadySpec.from_json(job)).to_dict()
    elif kind == "one_time":
        from bench.worker.one_time import run_one_time

        result = run_one_time(OneTimeSpec.from_json(job)).to_dict()
    elif kind == "architectures":
        from bench.worker.precheck import check_architecture

        wanted = json.loads(job)
        result = {
            arch: check_architecture(arch, wanted["styles"], wanted.get("adopt"))
            for arch in wanted["archs"]
        }
        if wanted.get("settings"):  # a sweep's: its first backend's programs, in this process
            from bench.worker.program import compare_programs

            settings = settings_from_dict(wanted["settings"])
            for arch, info in result.items():
                if "error" not in info:
                    name = info.get("adopted", {}).get("name", arch)  # a user's model's
                    info["programs"] = compare_programs(name, wanted["styles"], settings)
    elif kind == "programs":
        from bench.worker.program import compare_programs

        wanted, settings = json.loads(job), _settings(job)
        result = {a: compare_programs(a, wanted["styles"], settings) for a in wanted["archs"]}
    elif kind == "keras_mnist":  # the data chain's last source, kept out of the sweep's process
        keras_load_data()
        result = {}
    elif kind == "noop":  # a job's fixed cost alone: the interpreter and the framework's import
        result = {}
    elif kind == "init":
        from bench.worker.initial import make_initial_weights

        for wanted in json.loads(job):
            make_initial_weights(wanted["arch"], wanted["seed"], Path(wanted["path"]))
        result = {"made": len(json.loads(job))}
    elif kind == "device":  # which device the backend sees: "cpu" or "gpu:<name>"
        from bench.worker.runner import device_name

        result = {"device": device_name()}
    elif kind == "capabilities":
        from bench.worker.capabilities import check_capabilities

        w = json.loads(job)
        result = check_capabilities(
            w["arch"],
            w["styles"],
            w["backend"],
            Path(w["directory"]),
            w.get("data_dir"),
            w.get("checks") or CHECK_NAMES,  # a job that names none runs every check
        )
    elif kind == "crossload":  # after every backend's capabilities job has written its files
        from bench.worker.crossload import load_models

        w = json.loads(job)
        previous = Path(w["previous"]) if w.get("previous") else None
        result = load_models(
            w["backend"],
            w["arch"],
            w["styles"],
            w["saved_on"],
            Path(w["directory"]),
            previous,
            w.get("checks") or CHECK_NAMES,
        )
    else:
        print(f"unknown worker job {kind!r}; expected one of: {', '.join(KINDS)}", file=sys.stderr)
        return 2
    write_json(Path(result_path), result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
