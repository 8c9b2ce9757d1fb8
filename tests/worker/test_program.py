"""The program comparison: the built-in styles compile to one program, and a style that computes
something else, by one filter or one dropout rate, does not and says where."""

import dataclasses
import json
import subprocess
import sys
import textwrap

import pytest

from bench.analysis.programs import program_words
from bench.plan.backends import install_hint, installed
from bench.worker.program import compare_programs, first_difference
from tests import factories

STYLES = ["sequential", "functional", "subclassed"]
SETTINGS = dataclasses.replace(factories.SETTINGS, batch_size=32)  # a smaller graph to trace
WIDER = textwrap.dedent("""
    import dataclasses

    from mnist_models import Architecture
    from mnist_models.cnn import functional, sequential
    from mnist_models.cnn.spec import CnnSpec


    def wider(spec):
        return functional.build(dataclasses.replace(spec, filters=(spec.filters[0] + 1, 64)))


    WIDER = Architecture(
        "wider",
        CnnSpec(),
        {"sequential": sequential.build, "functional": wider},
        unsupported={"subclassed": "not written"},
    )
""")


@pytest.mark.parametrize("arch", ["cnn", "mlp"])
def test_the_built_in_styles_compile_to_one_program_on_tensorflow(arch):
    found = compare_programs(arch, STYLES, SETTINGS)
    assert found["differences"] == {
        style: {"train": None, "predict": None} for style in ("functional", "subclassed")
    }
    for step in ("train", "predict"):
        (digest,) = {entry["sha256"] for entry in found["steps"][step].values()}
        assert digest and found["steps"][step]["sequential"]["operations"] > 10
    assert "functional, subclassed compile to sequential's program (train " in program_words(found)


def test_a_residual_add_written_in_either_order_is_one_program():
    # the subclassed convnet adds a block's input to its output, the Functional one its output
    # to its input: AddV2 commutes exactly, so the canonical form orders its inputs
    found = compare_programs("resnet", ["functional", "subclassed"], SETTINGS)
    assert found["differences"] == {"subclassed": {"train": None, "predict": None}}


def test_a_model_with_one_more_filter_is_another_program(tmp_path, monkeypatch):
    (tmp_path / "wider_models.py").write_text(WIDER)
    monkeypatch.syspath_prepend(str(tmp_path))
    found = compare_programs("wider_models:WIDER", ["sequential", "functional"], SETTINGS)
    where = found["differences"]["functional"]
    assert where["train"] and where["predict"]
    assert where["predict"].startswith('variable 0: ["variable", [3, 3, 1, 33]')
    assert "functional does not (train step, variable 0" in program_words(found)
    sys.modules.pop("wider_models", None)


def test_a_functional_style_with_another_dropout_rate_is_named_in_its_train_step_only():
    found = compare_programs("examples.dropout_slip:SLIP", STYLES, SETTINGS)
    assert found["differences"]["subclassed"] == {"train": None, "predict": None}
    slip = found["differences"]["functional"]
    assert slip["predict"] is None  # dropout does nothing when predicting
    # the kept units are scaled by 1 / (1 - rate): 1.25 for 0.2, 1.43 for 0.3
    assert slip["train"].startswith("operation ") and "Const, its value" in slip["train"]
    assert "1.42857" in slip["train"] and "1.25" in slip["train"]


def test_the_first_difference_names_the_operation_and_its_position():
    variable = json.dumps(["variable", [3], "float32"])
    add, mul = json.dumps(["AddV2", {}, [], [], []]), json.dumps(["Mul", {}, [], [], []])
    assert first_difference([variable, add], [variable, add]) is None
    assert first_difference([variable, add, add], [variable, add, mul]) == (
        "operation 1: Mul against AddV2"
    )
    assert first_difference([variable, add], [variable, add, add]) == "2 operations against 1"


@pytest.mark.skipif(not installed("jax"), reason=f"jax is not installed; {install_hint('jax')}")
def test_the_built_in_styles_compile_to_one_jaxpr_on_jax(tmp_path):
    job = {"archs": ["cnn"], "styles": STYLES, "settings": {**SETTINGS.__dict__, "backend": "jax"}}
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker", "programs", str(tmp_path / "out.json")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads((tmp_path / "out.json").read_text())["cnn"]
    assert all(where is None for d in found["differences"].values() for where in d.values())
    assert len({e["sha256"] for e in found["steps"]["train"].values()}) == 1


def test_a_users_spec_without_an_input_shape_is_traced_from_its_input(tmp_path, monkeypatch):
    from tests.worker.test_precheck import MODULE

    (tmp_path / "user_models.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    found = compare_programs("user_models:SAME", STYLES, SETTINGS)
    assert found["differences"] == {"functional": {"train": None, "predict": None}}
    assert compare_programs("user_models:NOT_ONE", STYLES, SETTINGS)["error"]
    sys.modules.pop("user_models", None)
