"""What this machine's matrix units can do: the yardstick for training efficiency."""

from __future__ import annotations

import time

PROBE_SIZE = 2048
# The machine has fast and slow spells; enough tries that one of them lands in a fast one.
PROBE_REPEATS = 15


def matmul_peak_gflops(size: int = PROBE_SIZE, repeats: int = PROBE_REPEATS) -> float:
    """Best float32 matmul GFLOP/s over `repeats` products of two size×size matrices.

    Runs through TensorFlow, so on the same device and threads that training uses; the best
    of several runs estimates what the hardware can do when nothing else interferes.
    """
    import tensorflow as tf

    a = tf.random.uniform((size, size), dtype=tf.float32, seed=1)
    b = tf.random.uniform((size, size), dtype=tf.float32, seed=2)
    tf.linalg.matmul(a, b)[0, 0].numpy()  # warm-up: allocations and kernel selection
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.linalg.matmul(a, b)[0, 0].numpy()  # .numpy() waits for the product to finish
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9
