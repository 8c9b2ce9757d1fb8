"""TensorFlow: op determinism, and the device TensorFlow places models on."""

from __future__ import annotations

import tensorflow as tf


def prepare(deterministic: bool) -> None:
    """Makes equal seeds give bitwise-equal results, where asked."""
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def device_name() -> str:
    """ "gpu:<name>" for the first GPU TensorFlow sees, else "cpu"."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "cpu"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"gpu:{details.get('device_name', gpus[0].name)}"
