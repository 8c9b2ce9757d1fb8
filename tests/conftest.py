"""Shared fixtures: determinism that never leaks between tests."""

import pytest
import tensorflow as tf
from tensorflow.python.framework import config as tf_config


@pytest.fixture
def op_determinism():
    """Turns TensorFlow op determinism on for one test and restores the previous setting."""
    was_enabled = tf_config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    yield
    if not was_enabled:
        tf_config.disable_op_determinism()
