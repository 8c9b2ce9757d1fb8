"""The Keras backends a sweep can ask for: what each needs installed, how reports name them."""

from __future__ import annotations

import importlib.util

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_BACKEND = "tensorflow"
# What `pip install '.[extra]'` brings each backend; TensorFlow is a default dependency.
EXTRAS = {"tensorflow": None, "jax": "jax", "torch": "torch"}
# The packages whose versions a record of each backend names.
PACKAGES = {"tensorflow": ("tensorflow",), "jax": ("jax", "jaxlib"), "torch": ("torch",)}


def installed(name: str) -> bool:
    """Whether the framework behind backend `name` can be imported (without importing it)."""
    return importlib.util.find_spec(PACKAGES[name][0]) is not None


def install_hint(name: str) -> str:
    """What to run to make backend `name` available."""
    extra = EXTRAS[name]
    return f"pip install '.[{extra}]'" if extra else "pip install ."


def gpu_hint(name: str) -> str:
    """What to install for backend `name` to see a CUDA GPU."""
    return {
        "tensorflow": "pip install 'tensorflow[and-cuda]'",
        "jax": "pip install 'jax[cuda12]'",
        "torch": "a CUDA build of torch, from the index that pytorch.org names for your CUDA",
    }[name]


def model_name(backend: str | None, arch: str) -> str:
    """How reports name an arch on a backend: "cnn" on TensorFlow, "jax/cnn" elsewhere."""
    return arch if backend in (None, DEFAULT_BACKEND) else f"{backend}/{arch}"
