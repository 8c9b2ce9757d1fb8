"""What this machine's matrix units can do: the yardstick for training efficiency."""

from __future__ import annotations

import statistics
import time

PROBE_SIZE = 2048
# The machine has fast and slow spells; enough tries that the best lands in a fast one and the
# median describes a typical moment, as the median epoch does for training.
PROBE_REPEATS = 15


def probe_seconds(size: int = PROBE_SIZE, repeats: int = PROBE_REPEATS) -> list[float]:
    """Seconds of each of `repeats` float32 products of two size×size matrices, after a warm-up.

    Runs through the Keras backend of the process, so on the device and threads that its
    training uses: a GPU when the backend trains on one.
    """
    import keras

    a = keras.random.uniform((size, size), dtype="float32", seed=1)
    b = keras.random.uniform((size, size), dtype="float32", seed=2)

    def product() -> None:
        # Reading one element back waits for the product: JAX and CUDA dispatch asynchronously.
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b)[0, 0])

    product()  # warm-up: allocations and kernel selection
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        product()
        seconds.append(time.perf_counter() - start)
    return seconds


def gflops(seconds: float, size: int = PROBE_SIZE) -> float:
    """The FLOP rate of one size×size product that took `seconds`."""
    return 2 * size**3 / seconds / 1e9


def summarize_probes(seconds: list[float], size: int = PROBE_SIZE) -> dict[str, float]:
    """The peak as the best probe and as the median probe: each pairs with the like statistic."""
    return {
        "peak_matmul_gflops": gflops(statistics.median(seconds), size),
        "peak_matmul_gflops_best": gflops(min(seconds), size),
    }
