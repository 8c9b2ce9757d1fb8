"""pytest-benchmark: model build, one training step and one prediction batch, per arch and style.

Grouped by arch, so the three styles sit side by side in one table. Run with
`pytest tests/benchmarks --benchmark-only --benchmark-json=bench.json`, and compare a later run
with `--benchmark-compare`.
"""

import os

import keras
import numpy as np
import pytest

from mnist_models import ARCHS, build_model, get_architecture

# every architecture in every style that can express it
EACH_STYLE = [(arch, style) for arch in ARCHS for style in get_architecture(arch).styles]

BATCH = 128
PREDICT_BATCH = 1024
# CI sets a few rounds to check that the benchmarks run; a real measurement uses the default.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    x = rng.random((PREDICT_BATCH, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, PREDICT_BATCH)
    return x, y


def _compiled(arch, style):
    keras.backend.clear_session()
    model = build_model(arch, style, seed=1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("arch, style", EACH_STYLE)
def test_train_step(benchmark, arch, style, batch):
    benchmark.group = f"{arch}: train step, batch {BATCH} (ms/step)"
    model = _compiled(arch, style)
    x, y = batch[0][:BATCH], batch[1][:BATCH]
    benchmark.extra_info["params"] = model.count_params()
    # Warm-up rounds trace the train function; they are excluded from the statistics.
    benchmark.pedantic(
        model.train_on_batch, args=(x, y), rounds=ROUNDS, iterations=1, warmup_rounds=3
    )


@pytest.mark.parametrize("arch, style", EACH_STYLE)
def test_predict_batch(benchmark, arch, style, batch):
    benchmark.group = f"{arch}: predict, batch {PREDICT_BATCH} (throughput)"
    model = _compiled(arch, style)
    benchmark.extra_info["params"] = model.count_params()
    benchmark.extra_info["images_per_call"] = PREDICT_BATCH
    benchmark.pedantic(
        model.predict_on_batch, args=(batch[0],), rounds=ROUNDS, iterations=1, warmup_rounds=3
    )


@pytest.mark.parametrize("arch, style", EACH_STYLE)
def test_build(benchmark, arch, style):
    benchmark.group = f"{arch}: build_model"
    benchmark.extra_info["params"] = build_model(arch, style).count_params()
    benchmark.pedantic(
        build_model, args=(arch, style), rounds=ROUNDS, iterations=1, warmup_rounds=1
    )
