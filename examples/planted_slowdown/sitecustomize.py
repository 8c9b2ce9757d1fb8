"""A planted slowdown, to measure what `python -m bench ab` finds: in a process that has this
directory on its PYTHONPATH, every `train_on_batch` of a Keras model takes PLANTED_SLOWDOWN
(a fraction: 0.05 is 5 %) longer than it did, by a busy wait as long as that fraction of the
step's own time. docs/compare.md gives the A/B's sensitivity measured with it:

    python -m bench ab .venv/bin/python .venv/bin/python \\
        --new-env PYTHONPATH=examples/planted_slowdown --new-env PLANTED_SLOWDOWN=0.05

The steady training step and the first step time `train_on_batch`; nothing else is slowed.
"""

import importlib.machinery
import os
import sys
import time

FRACTION = float(os.environ.get("PLANTED_SLOWDOWN", "0"))


def _slowed(train_on_batch):
    def train_on_batch_slowed(self, *args, **kwargs):
        start = time.perf_counter()
        logs = train_on_batch(self, *args, **kwargs)
        until = time.perf_counter() + FRACTION * (time.perf_counter() - start)
        while time.perf_counter() < until:  # busy, as a slower kernel would be, not asleep
            pass
        return logs

    return train_on_batch_slowed


class _PatchKeras:
    """Finds `keras` as the path finder does, and slows `keras.Model.train_on_batch` once the
    package has run; every style's model inherits it."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "keras":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run_package = spec.loader.exec_module

        def exec_module(module):
            run_package(module)
            module.Model.train_on_batch = _slowed(module.Model.train_on_batch)

        spec.loader.exec_module = exec_module
        return spec


if FRACTION > 0:
    sys.meta_path.insert(0, _PatchKeras)
