"""Where a training step's time goes: each conv and dense layer's three kernels, timed alone.

A training step runs, per layer with weights, a forward product, the gradient with respect to
its input and the gradient with respect to its weights (all of the same FLOP count). Timing
those kernels alone, at the training batch size, says how fast the arithmetic can go here; what
a measured step takes beyond their sum is everything else (pooling, activation gradients,
dropout's random numbers, the optimizer, dispatch).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

FORWARD, INPUT_GRADIENT, WEIGHT_GRADIENT = "forward", "input gradient", "weight gradient"
KERNEL_REPEATS, KERNEL_CALLS = 7, 10  # bursts per kernel, and calls per burst


@dataclass(frozen=True)
class Kernel:
    """One kernel of one layer's training step, at one batch size."""

    layer: str
    kind: str  # FORWARD, INPUT_GRADIENT or WEIGHT_GRADIENT
    flops: int  # per batch
    shape: str  # what it multiplies, for the table


@dataclass(frozen=True)
class KernelTiming:
    kernel: Kernel
    seconds: float  # best over repeats: what the kernel can do when nothing interferes


def training_kernels(model: keras.Sequential, batch_size: int) -> list[tuple[Kernel, callable]]:
    """The kernels one training step of `model` runs, each with a function that runs it once.

    The first layer's input gradient is left out, as in training: nothing needs it.

    Raises:
        TypeError: `model` is not a Sequential stack, whose layer inputs follow one another.
    """
    if not isinstance(model, keras.Sequential):
        raise TypeError(f"expected a keras.Sequential model; received {type(model).__name__}")
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((batch_size, *model.input_shape[1:]), dtype=np.float32))
    kernels = []
    first = True
    for layer in model.layers:
        y = layer(x)
        if isinstance(layer, keras.layers.Conv2D):
            kernels += _conv_kernels(layer, x, y, include_input_gradient=not first)
            first = False
        elif isinstance(layer, keras.layers.Dense):
            kernels += _dense_kernels(layer, x, y, include_input_gradient=not first)
            first = False
        x = y
    return kernels


def _conv_kernels(layer, x, y, *, include_input_gradient: bool):
    w = tf.convert_to_tensor(layer.kernel)
    dy = tf.ones_like(y)
    strides = [1, *layer.strides, 1]
    padding = layer.padding.upper()
    kh, kw, cin, cout = w.shape
    flops = 2 * int(np.prod(y.shape[:3])) * kh * kw * cin * cout
    shape = f"{x.shape[0]}×{x.shape[1]}×{x.shape[2]}×{cin} ⊛ {kh}×{kw}×{cin}×{cout}"

    def forward():
        return tf.nn.conv2d(x, w, strides, padding)

    def input_gradient():
        return tf.raw_ops.Conv2DBackpropInput(
            input_sizes=tf.shape(x), filter=w, out_backprop=dy, strides=strides, padding=padding
        )

    def weight_gradient():
        return tf.raw_ops.Conv2DBackpropFilter(
            input=x, filter_sizes=tf.shape(w), out_backprop=dy, strides=strides, padding=padding
        )

    return _named(
        layer.name, flops, shape, forward, input_gradient, weight_gradient, include_input_gradient
    )


def _dense_kernels(layer, x, y, *, include_input_gradient: bool):
    w = tf.convert_to_tensor(layer.kernel)
    dy = tf.ones_like(y)
    flops = 2 * x.shape[0] * w.shape[0] * w.shape[1]
    shape = f"{x.shape[0]}×{w.shape[0]} · {w.shape[0]}×{w.shape[1]}"
    return _named(
        layer.name,
        flops,
        shape,
        lambda: tf.matmul(x, w),
        lambda: tf.matmul(dy, w, transpose_b=True),
        lambda: tf.matmul(x, dy, transpose_a=True),
        include_input_gradient,
    )


def _named(name, flops, shape, forward, input_gradient, weight_gradient, include_input_gradient):
    runs = [
        (FORWARD, forward),
        (INPUT_GRADIENT, input_gradient),
        (WEIGHT_GRADIENT, weight_gradient),
    ]
    return [
        (Kernel(name, kind, flops, shape), tf.function(fn))
        for kind, fn in runs
        if include_input_gradient or kind != INPUT_GRADIENT
    ]


def time_kernels(
    model: keras.Sequential,
    batch_size: int,
    *,
    repeats: int = KERNEL_REPEATS,
    calls: int = KERNEL_CALLS,
) -> list[KernelTiming]:
    """Best time per call of each training kernel of `model`, over `repeats` bursts of `calls`.

    A burst runs inside one graph, so the time is the kernel's, not Python's call overhead,
    which would otherwise dwarf the small dense products.
    """
    timings = []
    with _graph_optimizations_off():
        for kernel, run in training_kernels(model, batch_size):
            burst = _burst(run, calls)
            burst().numpy()  # traces and warms up; not timed
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                burst().numpy()
                best = min(best, (time.perf_counter() - start) / calls)
            timings.append(KernelTiming(kernel, best))
    return timings


@contextlib.contextmanager
def _graph_optimizations_off():
    # A burst repeats one kernel on the same inputs: constant folding or hoisting it out of
    # the loop would time it once for all calls.
    saved = tf.config.optimizer.get_experimental_options()
    tf.config.optimizer.set_experimental_options(
        {"constant_folding": False, "loop_optimization": False}
    )
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options(
            {"constant_folding": True, "loop_optimization": True, **saved}
        )


def _burst(run, calls: int):
    @tf.function
    def burst():
        def body(i, total):
            # One element of each result feeds the loop, or the call would be pruned unused.
            return i + 1, total + tf.reshape(run(), [-1])[0]

        return tf.while_loop(lambda i, _: i < calls, body, (tf.constant(0), tf.constant(0.0)))[1]

    return burst
