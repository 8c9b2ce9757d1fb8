"""A user's model as it is: loaded or made, written in its styles, proven one model; what
cannot be loaded says why in one line."""

import sys

import keras
import numpy as np
import pytest
from keras import layers

from bench.worker.adopt import AdoptError, adopt
from bench.worker.data import inputs, targets
from tests.factories import module_on_path
from tests.models.test_sources import chain_model

MODULE = """
import keras
from keras import layers
from tests.models.test_sources import branching_model


def raises():
    raise RuntimeError("no weights here")


def not_a_model():
    return 42


@keras.saving.register_keras_serializable(package="user")
class Mine(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(3)

    def call(self, x):
        return self.out(self.hidden(x))


def subclassed():
    model = Mine()
    model(keras.ops.zeros((1, 5)))
    return model
"""


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    yield from module_on_path(tmp_path, monkeypatch, "factories_of_mine", MODULE)


def test_a_keras_file_is_written_in_every_form_and_proven_one_model(tmp_path):
    model = chain_model()
    model.compile(loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "my chain.keras")
    found = adopt(str(tmp_path / "my chain.keras"), tmp_path / "models")
    assert found["name"] == "my_chain"
    assert found["proof"] == dict.fromkeys(found["styles"], "identical")
    assert len(found["styles"]) == 6 and found["unsupported"] == {}
    assert found["mnist"] is False  # 12×12 inputs: synthetic data
    assert (
        'loss="sparse_categorical_crossentropy"'
        in (tmp_path / "models" / "my_chain" / "__init__.py").read_text()
    )


def tutorial_model():
    """The MNIST model of TensorFlow's beginners' tutorial: 28×28 images in, ten logits out."""
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10),
        ],
        name="tutorial",
    )


@pytest.mark.parametrize("compiled", [True, False])
def test_the_tutorials_mnist_model_takes_mnist_with_its_logits_loss(tmp_path, compiled):
    model = tutorial_model()
    if compiled:  # as the tutorial does: a loss object, which the file keeps as its config
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    model.save(tmp_path / "tutorial.keras")
    found = adopt(str(tmp_path / "tutorial.keras"), tmp_path / "models")
    assert found["mnist"] is True
    assert found["proof"] == dict.fromkeys(found["styles"], "identical")
    init = (tmp_path / "models" / "tutorial" / "__init__.py").read_text()
    assert 'loss="sparse_categorical_crossentropy_from_logits"' in init


def one_hot_model():
    """A softmax classifier compiled for one-hot labels, as keras.io's MNIST convnet is."""
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(10, activation="softmax")],
        name="one_hot",
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    return model


def test_a_model_compiled_for_one_hot_labels_takes_mnist(tmp_path):
    one_hot_model().save(tmp_path / "one_hot.keras")
    found = adopt(str(tmp_path / "one_hot.keras"), tmp_path / "models")
    assert found["mnist"] is True
    assert found["proof"] == dict.fromkeys(found["styles"], "identical")
    spec = sys.modules["one_hot"].ARCHITECTURE.spec
    y = targets(spec, 100, np.random.default_rng(0))
    assert y.shape == (100, 10) and (y.sum(axis=1) == 1).all()


def test_a_text_model_gets_token_ids_below_its_vocabulary_and_labels_of_0_and_1(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((20,), dtype="int32"),
            layers.Embedding(50, 4),
            layers.GlobalAveragePooling1D(),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="text",
    )
    model.save(tmp_path / "text.keras")
    found = adopt(str(tmp_path / "text.keras"), tmp_path / "models")
    assert found["mnist"] is False
    assert found["proof"] == dict.fromkeys(found["styles"], "identical")
    spec = sys.modules["text"].ARCHITECTURE.spec
    assert (spec.loss, spec.input_dtype, spec.input_high) == ("binary_crossentropy", "int32", 50)
    rng = np.random.default_rng(0)
    x, y = inputs(spec, 1000, rng), targets(spec, 1000, rng)
    assert x.dtype == np.int32 and set(np.unique(x)) == set(range(50))
    assert y.shape == (1000, 1) and set(np.unique(y)) == {0.0, 1.0}


def test_an_input_of_no_fixed_size_is_refused_with_what_to_give(tmp_path):
    model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(9, 2)])
    model.save(tmp_path / "varlen.keras")
    with pytest.raises(AdoptError, match=r"input \(None,\) has a dimension of no fixed size"):
        adopt(str(tmp_path / "varlen.keras"), tmp_path / "models")


def test_a_factory_with_a_branch_is_proven_in_three_styles(tmp_path, user_module):
    found = adopt(f"{user_module}:branching_model", tmp_path / "models")
    assert found["styles"] == ["functional", "subclassed", "functional_subclass"]
    assert "shortcut" in found["unsupported"]["sequential"]
    assert set(found["proof"].values()) == {"identical"}
    assert 'loss="mse"' in (tmp_path / "models" / "branching_model" / "__init__.py").read_text()


def test_a_subclassed_model_is_taken_as_it_is(tmp_path, user_module):
    found = adopt(f"{user_module}:subclassed", tmp_path / "models")
    assert found["styles"] == ["subclassed"]
    assert found["proof"] == {"subclassed": "identical"}
    assert "`call` is Python code" in found["unsupported"]["functional"]
    source = (tmp_path / "models" / "subclassed" / "as_it_is.py").read_text()
    assert "from factories_of_mine import subclassed" in source


def test_a_lambda_is_refused_unless_trusted_and_then_taken_as_it_is(tmp_path):
    inputs = keras.Input((4,))
    x = layers.Lambda(lambda t: t * 2.0, name="doubling")(inputs)
    keras.Model(inputs, layers.Dense(2)(x)).save(tmp_path / "lam.keras")
    with pytest.raises(AdoptError, match="safe mode refuses; pass --trust-model"):
        adopt(str(tmp_path / "lam.keras"), tmp_path / "models")
    found = adopt(str(tmp_path / "lam.keras"), tmp_path / "models", trust=True)
    assert found["styles"] == ["functional"]
    assert "layer doubling is a Lambda" in found["unsupported"]["sequential"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("missing.keras", "--arch missing.keras: no such file"),
        ("factories_of_mine:raises", "raises(...) raised RuntimeError: no weights here"),
        ("factories_of_mine:not_a_model", "not_a_model(...) returned a int, not a keras.Model"),
        ("factories_of_mine:absent", "module 'factories_of_mine' has no 'absent'"),
    ],
)
def test_what_cannot_be_loaded_says_why_in_one_line(tmp_path, user_module, source, expected):
    with pytest.raises(AdoptError) as raised:
        adopt(source, tmp_path / "models")
    assert expected in str(raised.value) and "\n" not in str(raised.value)
