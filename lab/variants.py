"""What `python -m lab perf` varies: the ways to train one model on the same data, and the
model the kernel and overhead studies look at."""

from __future__ import annotations

from dataclasses import dataclass

ARCH, STYLE, SEED = "cnn", "sequential", 1  # kernels and overhead: the architecture that matters
KNOB_ARCHS = ("cnn", "mlp")  # the MLP's tiny steps show what per-step overhead costs
BATCH_SIZE = 128
OVERHEAD_GOAL_PERCENT = 3.0


@dataclass(frozen=True)
class Variant:
    """One way to train the same model on the same data; `knob` says what differs from plain."""

    name: str
    knob: str
    steps_per_execution: int = 1
    deterministic: bool = True
    pipeline: bool = False
    precision: str = "float32"
    jit_compile: bool = False


VARIANTS = (
    Variant("plain model.fit", "none: model.fit(x, y, batch_size=128), op determinism on"),
    Variant("steps_per_execution=10", "10 train steps per call into TensorFlow", 10),
    Variant("steps_per_execution=50", "50 train steps per call into TensorFlow", 50),
    Variant(
        "tf.data cache+prefetch", "a cached, batched, prefetched tf.data.Dataset", pipeline=True
    ),
    Variant("op determinism off", "TensorFlow op determinism disabled", deterministic=False),
    # Not candidates for the default (they change the math), measured so that the README's
    # advice about them rests on this machine's numbers.
    Variant(
        "mixed_bfloat16",
        "bfloat16 compute, float32 weights (Keras mixed precision); other math",
        precision="mixed_bfloat16",
    ),
    # Keras quietly drops XLA under op determinism, so this one runs without it.
    Variant(
        "jit_compile=True",
        "the train step compiled by XLA, op determinism off",
        deterministic=False,
        jit_compile=True,
    ),
)
