"""The speed report's parts: kernels that match the FLOP count and gradients, and verdicts."""

import json
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from lab.kernels import FORWARD, INPUT_GRADIENT, WEIGHT_GRADIENT, training_kernels
from lab.perf import VARIANTS, TimedCallback, perf_markdown, train_variant
from mnist_models import ARCHS, build_model, get_architecture

BATCH = 4


# the kernel study reads a Sequential stack layer by layer
@pytest.mark.parametrize("arch", [a for a in ARCHS if "sequential" in get_architecture(a).styles])
def test_training_kernels_add_up_to_the_specs_training_flops(arch):
    kernels = training_kernels(build_model(arch, "sequential", seed=1), BATCH)
    assert kernels, "no kernels found"
    total = sum(kernel.flops for kernel, _ in kernels)
    assert total == BATCH * get_architecture(arch).spec.train_flops_per_image()


def test_first_layer_has_no_input_gradient_and_later_layers_have_all_three():
    kernels = [k for k, _ in training_kernels(build_model("cnn", "sequential", seed=1), BATCH)]
    layers = list(dict.fromkeys(k.layer for k in kernels))
    assert len(layers) == 3, layers  # conv, conv, dense
    kinds = {layer: [k.kind for k in kernels if k.layer == layer] for layer in layers}
    assert kinds[layers[0]] == [FORWARD, WEIGHT_GRADIENT]
    for layer in layers[1:]:
        assert kinds[layer] == [FORWARD, INPUT_GRADIENT, WEIGHT_GRADIENT]


def test_conv_kernels_compute_what_the_gradient_tape_computes():
    model = build_model("cnn", "sequential", seed=1)
    conv = model.layers[2]  # the second conv: all three kernels
    runs = {k.kind: run for k, run in training_kernels(model, BATCH) if k.layer == conv.name}
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((BATCH, *model.input_shape[1:]), dtype=np.float32))
    for layer in model.layers[:2]:
        x = layer(x)
    w = tf.convert_to_tensor(conv.kernel)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, w])
        # the sum's gradient w.r.t. the output is all ones, as the kernels assume
        y = tf.reduce_sum(tf.nn.conv2d(x, w, 1, conv.padding.upper()))
    np.testing.assert_allclose(runs[INPUT_GRADIENT](), tape.gradient(y, x), rtol=1e-5)
    np.testing.assert_allclose(runs[WEIGHT_GRADIENT](), tape.gradient(y, w), rtol=1e-4)
    expected = tf.nn.conv2d(x, w, 1, conv.padding.upper())
    np.testing.assert_allclose(runs[FORWARD](), expected, rtol=1e-5)


def test_training_kernels_reject_models_whose_layers_do_not_chain():
    with pytest.raises(TypeError, match="Sequential"):
        training_kernels(build_model("cnn", "functional", seed=1), BATCH)


def _same_math(variant):
    return variant.deterministic and variant.precision == "float32" and not variant.pipeline


def _results(knob_seconds: dict[str, list[float]], harness: list[float], bare: list[float]):
    return {
        "environment": {"cpu_model": "test cpu", "cpu_cores": 2, "tensorflow": "x"},
        "peak_matmul_gflops": 100.0,
        "train_flops_per_image": {"cnn": 1_000_000, "mlp": 10_000},
        "knob_images": 1280,
        "batch_size": 128,
        "knobs": {
            arch: {
                v.name: {
                    "knob": v.knob,
                    "steady_epoch_seconds": knob_seconds[v.name],
                    "weights_sha256": ["same"] if _same_math(v) else ["other"],
                }
                for v in VARIANTS
            }
            for arch in ("cnn", "mlp")
        },
        "kernels": [
            {"layer": "conv", "kind": FORWARD, "flops": 10**8, "shape": "s", "seconds": 0.002},
            {
                "layer": "conv",
                "kind": WEIGHT_GRADIENT,
                "flops": 10**8,
                "shape": "s",
                "seconds": 0.002,
            },
        ],
        "overhead": {
            "harness": harness,
            "bare": bare,
            "timed_fit": [10.0, 20.0],
            "callback_seconds": [0.01, 0.04],  # 0.1 % and 0.2 % of their fits
        },
    }


def _row(markdown: str, name: str) -> str:
    """The variant's row in the CNN's table (the first of the two)."""
    rows = [line for line in markdown.splitlines() if line.startswith(f"| {name} |")]
    assert len(rows) == 2, rows  # one per architecture
    return rows[0]


def test_perf_report_calls_a_knob_faster_only_when_every_paired_round_says_so():
    plain = [10.0, 14.0, 10.5, 13.0]
    seconds = {v.name: plain for v in VARIANTS}
    seconds[VARIANTS[1].name] = [s / 1.25 for s in plain]  # 1.25× faster in every round
    seconds[VARIANTS[2].name] = [s * 1.25 for s in plain]
    seconds[VARIANTS[3].name] = [9.0, 15.0, 9.5, 14.0]  # faster in two rounds, slower in two
    md = perf_markdown(_results(seconds, [10.0, 10.1, 9.9], [10.0, 10.0, 10.0]))
    assert "1.250× [1.250, 1.250] | faster, beyond margin |" in _row(md, VARIANTS[1].name)
    assert "0.800× [0.800, 0.800] | slower, beyond margin |" in _row(md, VARIANTS[2].name)
    assert "| inconclusive |" in _row(md, VARIANTS[3].name)
    assert _row(md, VARIANTS[4].name).endswith("| no |")  # other weights than plain
    assert _row(md, VARIANTS[1].name).endswith("| yes |")


def test_perf_report_sets_the_step_against_its_kernels():
    seconds = {v.name: [1.0, 1.0] for v in VARIANTS}  # 10 steps of 0.1 s
    md = perf_markdown(_results(seconds, [1.0, 1.0], [1.0, 1.0]))
    # kernels: 2e8 FLOP in 4 ms = 50 GFLOP/s, half the 100 GFLOP/s peak
    assert "| **all** | | | **4.00** | **50.0** | **50.0 %** |" in md
    assert "takes 100.0 ms per step at its median epoch" in md
    assert "the kernels take 4.0 ms (4 %)" in md


@pytest.mark.parametrize(
    ("harness", "verdict"),
    [
        ([10.1, 10.15, 10.2, 10.1], "slower, within margin"),
        ([10.0, 10.05, 9.95, 10.0], "equivalent"),
        ([11.0, 11.1, 10.9, 11.0], "slower, beyond margin"),
        ([10.0, 12.0, 9.5, 11.5], "inconclusive"),
    ],
)
def test_perf_report_judges_the_overhead_against_the_goal_by_its_interval(harness, verdict):
    seconds = {v.name: [1.0, 1.0] for v in VARIANTS}
    md = perf_markdown(_results(seconds, harness, [10.0] * 4))
    assert f"±3 % margin (the project's verdict rules): {verdict}." in md
    assert "25.0 ms per fit on average, 0.150 % of the fit (largest 0.200 %, 2 fits)" in md


def test_timed_callback_passes_every_hook_on_and_counts_time_inside():
    class Counting(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = self.epochs = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1
            time.sleep(0.001)

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1

    inner = Counting()
    timed = TimedCallback(inner)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    model.fit(
        np.zeros((64, 4)), np.zeros((64, 2)), batch_size=8, epochs=2, callbacks=[timed], verbose=0
    )
    assert (inner.batches, inner.epochs) == (16, 2)
    assert timed.seconds >= 16 * 0.001
    assert inner.model is model


def _random_images(n=512):
    rng = np.random.default_rng(0)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n)


def test_steps_per_execution_variants_train_to_plains_weights(op_determinism):
    x, y = _random_images()
    same_math = [v for v in VARIANTS if v is VARIANTS[0] or v.steps_per_execution > 1]
    assert len(same_math) == 3, same_math
    digests = {v.name: train_variant(v, "cnn", x, y, 128, 2)[1] for v in same_math}
    assert len(set(digests.values())) == 1, digests


def test_mixed_precision_variant_trains_and_restores_the_float32_policy(op_determinism):
    (variant,) = [v for v in VARIANTS if v.precision != "float32"]
    x, y = _random_images()
    seconds, _ = train_variant(variant, "mlp", x, y, 128, 2)
    assert len(seconds) == 2
    assert keras.mixed_precision.global_policy().name == "float32"


def test_perf_report_from_perf_json_keeps_the_variants_order():
    seconds = {v.name: [1.0, 1.1] for v in VARIANTS}
    results = _results(seconds, [1.0, 1.0], [1.0, 1.0])
    # perf.json is written with sorted keys; the table order must not follow them
    reread = json.loads(json.dumps(results, sort_keys=True))
    assert list(reread["knobs"]["cnn"]) != [v.name for v in VARIANTS]
    md = perf_markdown(reread)
    assert md == perf_markdown(results)
    cnn_table = md.split("## Knob ablation: mlp")[0]
    positions = [cnn_table.index(f"| {v.name} |") for v in VARIANTS]
    assert positions == sorted(positions)
