"""The pre-check of architectures: one model in every style, or a loud, precise difference."""

import textwrap

import pytest

from bench.worker.precheck import check_architecture
from tests.factories import module_on_path

STYLES = ["sequential", "functional", "subclassed"]
MODULE = textwrap.dedent("""
    from dataclasses import dataclass

    import keras
    from keras import layers

    from mnist_models import Architecture, Spec


    @dataclass(frozen=True)
    class TinySpec(Spec):
        units: int = 8


    def sequential(spec):
        return keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(),
                                 layers.Dense(spec.units), layers.Dense(10)])


    def functional(spec):
        inputs = keras.Input((28, 28, 1))
        x = layers.Dense(spec.units)(layers.Flatten()(inputs))
        return keras.Model(inputs, layers.Dense(10)(x))


    def wider(spec):
        return functional(TinySpec(units=spec.units + 1))


    def broken(spec):
        raise RuntimeError("this builder is unfinished")


    SAME = Architecture("tiny", TinySpec(), {"sequential": sequential, "functional": functional},
                        unsupported={"subclassed": "not written yet"})
    LOPSIDED = Architecture("tiny", TinySpec(), {"sequential": sequential, "functional": wider},
                            unsupported={"subclassed": "not written yet"})
    BROKEN = Architecture("tiny", TinySpec(), {"sequential": sequential, "functional": broken},
                          unsupported={"subclassed": "not written yet"})
    NOT_ONE = 42
""")


@pytest.fixture
def module(tmp_path, monkeypatch):
    yield from module_on_path(tmp_path, monkeypatch, "user_models", MODULE)


def test_a_users_styles_that_are_one_model_pass_and_say_what_they_lack(module):
    found = check_architecture(f"{module}:SAME", STYLES)
    assert "error" not in found, found
    assert (found["styles"], found["reference"]) == (["sequential", "functional"], "sequential")
    assert found["unsupported"] == {"subclassed": "not written yet"}
    assert found["differences"] == {} and found["counts_flops"] is False
    assert len(set(found["initial_sha256"].values())) == 1


def test_styles_that_are_not_one_model_are_found_with_the_first_difference(module):
    found = check_architecture(f"{module}:LOPSIDED", STYLES)
    assert "error" not in found, found
    assert found["differences"] == {"functional": "7,165 parameters against 6,370"}
    assert found["params"] == {"sequential": 6_370, "functional": 7_165}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("BROKEN", "its functional builder raised RuntimeError: this builder is unfinished"),
        ("NOT_ONE", "NOT_ONE is a int, not a mnist_models.Architecture"),
        ("MISSING", "module 'user_models' has no 'MISSING'"),
    ],
)
def test_a_reference_that_leads_to_no_usable_architecture_says_which_part(module, name, expected):
    found = check_architecture(f"{module}:{name}", STYLES)
    assert set(found) == {"error"} and expected in found["error"]
    assert "\n" not in found["error"]


def test_a_missing_module_is_said_so():
    found = check_architecture("no_such_module_here:ARCH", STYLES)
    assert "cannot import module 'no_such_module_here'" in found["error"]
