"""Sequential's `.keras` load rebuilds the model once per layer: a reproduction with Keras alone.

`keras.Sequential.from_config` calls `model.add(layer)` for every layer it reads, and `add` on a
model that starts with an `Input` rebuilds the whole model each time, so loading N layers builds
N models. `Sequential.__init__` adds a list with `rebuild=False` and builds once. This script
saves Sequential models of growing depth and loads each with Keras as it is, then with that one
line patched to `model.add(layer, rebuild=False)`, and prints both loads' Python calls (counted
by cProfile, within a few calls of each other on every machine) and their median time.

    python examples/rebuild_once.py              # 8, 32 and 128 Dense layers
    python examples/rebuild_once.py 16 64        # other depths
"""

import contextlib
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras


@contextlib.contextmanager
def patched_from_config():
    """`Sequential.from_config` as if its `model.add(layer)` were `model.add(layer, rebuild=False)`:
    its own `model.build(build_input_shape)` at the end then builds once."""
    add = keras.Sequential.add
    keras.Sequential.add = lambda self, layer, rebuild=False: add(self, layer, rebuild=rebuild)
    try:
        yield
    finally:
        keras.Sequential.add = add


def load(path, patched):
    with patched_from_config() if patched else contextlib.nullcontext():
        return keras.saving.load_model(path)


def calls(path, patched):
    profile = cProfile.Profile()
    profile.runcall(load, path, patched)
    return pstats.Stats(profile).total_calls


def median_ms(path, patched, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        load(path, patched)
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def main(depths):
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
    print(
        "| layers | calls, Keras | calls, patched | patched / Keras | load, Keras | load, patched |"
    )
    print("|--:|--:|--:|--:|--:|--:|")
    with tempfile.TemporaryDirectory() as tmp:
        for depth in depths:
            hidden = [keras.layers.Dense(64, activation="relu") for _ in range(depth)]
            model = keras.Sequential([keras.Input((784,)), *hidden, keras.layers.Dense(10)])
            path = os.path.join(tmp, f"dense-{depth}.keras")
            model.save(path)
            same = load(path, True).get_config() == load(path, False).get_config()
            assert same, "the patched load must give the same model"
            keras_calls, patched_calls = calls(path, False), calls(path, True)
            print(
                f"| {depth} | {keras_calls:,} | {patched_calls:,} | "
                f"{patched_calls / keras_calls:.2f}× | {median_ms(path, False):,.0f} ms | "
                f"{median_ms(path, True):,.0f} ms |"
            )


if __name__ == "__main__":
    main([int(d) for d in sys.argv[1:]] or [8, 32, 128])
