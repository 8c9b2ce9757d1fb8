"""pytest-benchmark: loading verified MNIST from the cache (the issue's goal: well under 1 s)."""

import pytest

from bench.store.mnist import load_mnist


@pytest.mark.mnist
def test_load_mnist_from_cache(benchmark):
    load_mnist()  # fills the cache if this machine has none yet; not timed
    benchmark.group = "data"
    data = benchmark.pedantic(load_mnist, rounds=5, iterations=1, warmup_rounds=1)
    assert data.x_train.shape == (60000, 28, 28)
