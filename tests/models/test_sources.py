"""A user's model written in every Keras style: the sources read, import on their own and build
the same model; what no source can express is named."""

import subprocess
import sys

import keras
import pytest
from keras import layers

from mnist_models.graph import CannotGenerate, graph_of
from mnist_models.sources import write_package
from tests.factories import PROJECT


def branching_model():
    inputs = keras.Input((8, 8, 3))
    main = layers.Conv2D(4, 3, padding="same")(inputs)
    shortcut = layers.Conv2D(4, 1, name="shortcut")(inputs)
    x = layers.Add(name="join")([main, shortcut])
    x = layers.BatchNormalization(epsilon=1.001e-5)(x)
    x = keras.ops.relu(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(3)(x)
    return keras.Model(inputs, outputs, name="branching")


def chain_model():
    return keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.MaxPooling2D(3, strides=2),  # strides differ from the pool size's default
            layers.Flatten(),
            layers.Dropout(0.25),
            layers.Dense(10, activation="softmax"),
        ],
        name="chain",
    )


def write(model, directory):
    graph = graph_of(model)
    outputs = tuple(model.outputs[0].shape[1:])
    spec = f"ModelSpec(input_shape={graph.input_shape}, output_shape={outputs})"
    return write_package(graph, directory / model.name, "a test", spec)


def test_a_branching_model_gets_three_styles_and_sequential_names_where_it_branches(tmp_path):
    files = {path.name for path in write(branching_model(), tmp_path)}
    assert files == {"__init__.py", "functional.py", "subclassed.py", "functional_subclass.py"}
    init = (tmp_path / "branching" / "__init__.py").read_text()
    assert "its input feeds another layer too" in init and "shortcut" in init
    functional = (tmp_path / "branching" / "functional.py").read_text()
    # only what differs from the defaults, and the op as a keras.ops call
    assert "layers.BatchNormalization(epsilon=1.001e-05)" in functional
    assert 'layers.Conv2D(4, (1, 1), name="shortcut")(inputs)' in functional
    assert "keras.ops.relu(" in functional
    assert "from_config" not in functional


def test_a_chain_gets_every_style_and_the_sequential_idioms(tmp_path):
    write(chain_model(), tmp_path)
    sequential = (tmp_path / "chain" / "sequential.py").read_text()
    assert "layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2))" in sequential
    assert "def build_added(" in sequential and "def build_deferred(" in sequential
    init = (tmp_path / "chain" / "__init__.py").read_text()
    assert "sequential_deferred" in init and "unsupported={}" in init


def test_the_sources_pass_the_formatter_and_the_linter(tmp_path):
    write(branching_model(), tmp_path)
    write(chain_model(), tmp_path)
    ruff = [sys.executable, "-m", "ruff"]
    for check in (["format", "--check"], ["check"]):
        done = subprocess.run([*ruff, *check, str(tmp_path)], cwd=PROJECT, capture_output=True)
        assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


def test_the_sources_import_and_build_on_their_own_in_a_fresh_process(tmp_path):
    write(branching_model(), tmp_path)
    write(chain_model(), tmp_path)
    script = (
        "import branching, chain\n"
        "for package in (branching, chain):\n"
        "    a = package.ARCHITECTURE\n"
        "    for form, build in {**a.builders, **a.idioms}.items():\n"
        "        model = build(a.spec)\n"
        "        if not model.built:\n"
        "            model(__import__('keras').ops.zeros((2, *a.spec.input_shape)))\n"
        "        print(a.name, form, model.count_params())\n"
        # a subclassed model reloads with its weights where its code is imported
        "    model = a.builders['subclassed'](a.spec)\n"
        "    x = __import__('numpy').random.default_rng(0).random((2, *a.spec.input_shape))\n"
        "    model.save(f'{a.name}.keras')\n"
        "    again = __import__('keras').saving.load_model(f'{a.name}.keras')\n"
        "    assert (again.predict(x, verbose=0) == model.predict(x, verbose=0)).all(), a.name\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    counts = [line.split() for line in done.stdout.splitlines()]
    assert [(name, form) for name, form, _ in counts] == [
        ("branching", "functional"),
        ("branching", "subclassed"),
        ("branching", "functional_subclass"),
        ("chain", "sequential"),
        ("chain", "functional"),
        ("chain", "subclassed"),
        ("chain", "functional_subclass"),
        ("chain", "sequential_add"),
        ("chain", "sequential_deferred"),
    ]
    assert {n for name, _, n in counts if name == "branching"} == {"159"}
    assert len({n for name, _, n in counts if name == "chain"}) == 1


def test_initializers_regularizers_constraints_and_op_settings_are_rebuilt(tmp_path, monkeypatch):
    inputs = keras.Input((6, 4))
    x = layers.Dense(
        5,
        kernel_initializer=keras.initializers.HeNormal(seed=3),
        bias_initializer="ones",  # an object whose config is empty
        kernel_regularizer=keras.regularizers.L2(0.02),
        kernel_constraint=keras.constraints.MaxNorm(3.0, axis=1),
    )(inputs)
    x = keras.ops.clip(keras.ops.mean(x, axis=1), -1.0, 1.0)
    model = keras.Model(inputs, layers.Dense(3)(x), name="regular")
    write(model, tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    from regular import ARCHITECTURE

    rebuilt = ARCHITECTURE.builders["functional"](ARCHITECTURE.spec)

    def configs(m):
        return [{k: v for k, v in op.get_config().items() if k != "name"} for op in m.operations]

    assert configs(rebuilt) == configs(model)


def test_a_layer_no_source_can_construct_is_named():
    inputs = keras.Input((4,))
    x = layers.Lambda(lambda t: t * 2, name="doubling")(inputs)
    model = keras.Model(inputs, layers.Dense(2)(x))
    with pytest.raises(CannotGenerate, match="layer doubling is a Lambda"):
        graph_of(model)


def test_a_subclassed_model_says_why_no_other_style_is_derived():
    class Mine(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(CannotGenerate, match=r"`call` is Python code.*Architecture protocol"):
        graph_of(Mine())
