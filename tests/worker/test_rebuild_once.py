"""The depth study's patched load: the same model as Keras' own load, built once."""

import keras
import numpy as np

from bench.worker.rebuild_once import adds_without_rebuild, load_rebuilding_once
from mnist_models import build_model


def test_the_patched_load_gives_the_same_model_with_one_build(tmp_path, monkeypatch):
    model = build_model("dense-4", "sequential", seed=1)
    path = tmp_path / "m.keras"
    model.save(path)
    builds = []
    rebuild = keras.Sequential._maybe_rebuild
    monkeypatch.setattr(
        keras.Sequential, "_maybe_rebuild", lambda self: builds.append(1) or rebuild(self)
    )
    plain = keras.saving.load_model(path)
    rebuilds_each_add, builds[:] = len(builds), []
    patched = load_rebuilding_once(path)

    assert rebuilds_each_add > 4 and len(builds) <= 1
    assert patched.get_config() == plain.get_config()
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    np.testing.assert_array_equal(patched.predict_on_batch(x), plain.predict_on_batch(x))
    add = keras.Sequential.add
    with adds_without_rebuild():
        assert keras.Sequential.add is not add
    assert keras.Sequential.add is add  # outside the patch, Keras as it is
