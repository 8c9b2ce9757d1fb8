"""answer.png's grid: each cell says what its verdict says, in its colour, with the milliseconds
of a one-time cost, for the sweep's first model."""

import pytest

from bench.render.answer import answer_chart, answer_rows, first_model, shade
from tests import factories


@pytest.mark.parametrize(
    "verdict, key",
    [
        ("equivalent", "same"),
        ("faster, beyond margin", "faster"),
        ("faster, within margin", "faster, small"),
        ("slower, size unclear", "slower, small"),
        ("slower, beyond margin", "slower"),
        ("inconclusive", "undecided"),
        ("inconclusive (n too small)", "undecided"),
    ],
)
def test_each_verdict_has_the_colour_of_what_it_says(verdict, key):
    assert shade(verdict) == key


def _entry(phase, measure, style, estimate, verdict, **more):
    return factories.verdict(
        phase=phase,
        measure=measure,
        style=style,
        estimate=estimate,
        ci95_low=estimate - 0.02,
        ci95_high=estimate + 0.02,
        verdict=verdict,
        **more,
    )


def _run(style, identical=True, arch="cnn"):
    return {
        "arch": arch,
        "backend": "tensorflow",
        "style": style,
        "status": "ok",
        "identical_to_reference": identical,
        "test_accuracy": 0.9907,
    }


RESULTS = {
    "config": {"archs": ["cnn", "mlp"], "backends": ["tensorflow"]},
    "runs": [_run(s) for s in ("sequential", "functional", "subclassed")]
    + [_run("sequential", arch="mlp"), _run("functional", False, arch="mlp")],
    "paired": [
        _entry("steady", "train_step", "functional", 1.0, "equivalent"),
        _entry(
            "one_time",
            "build",
            "subclassed",
            0.568,
            "faster, beyond margin",
            reference_ms=81.2,
            difference_ms=-36.4,
        ),
    ],
    "capabilities": {
        "cnn": {
            "functional": {"h5_round_trip": {"outcome": "yes"}},
            "subclassed": {"h5_round_trip": {"outcome": "no", "error": "Unknown layer"}},
        }
    },
}


def test_the_grid_holds_every_measured_cell_and_says_what_was_not_measured():
    assert first_model(RESULTS) == "cnn"
    reference, styles, rows = answer_rows(RESULTS, "cnn")
    assert reference == "sequential" and styles == ["functional", "subclassed"]
    cells = dict(rows)
    assert [key for _, key in cells["one model?"]] == ["same", "same"]
    assert "accuracy 99.07 %" in cells["one model?"][0][0]
    assert cells["train step (each call)"] == [("1.000× [0.980, 1.020]\nequivalent", "same"), None]
    text, key = cells["build"][1]
    assert "0.568×" in text and "-36 ms of 81 ms" in text and key == "faster"
    assert cells["build"][0] is None  # Functional's build was not measured
    assert cells["what it can do"][0] == ("every one of 1 checks", "same")
    text, key = cells["what it can do"][1]
    assert text.startswith("cannot (1 of 1)") and key == "slower"


def test_styles_that_differ_are_red_and_a_sweep_of_one_style_draws_nothing():
    _, _, rows = answer_rows(RESULTS, "mlp")
    assert dict(rows)["one model?"] == [("DIFFERENT weights", "slower")]
    alone = {"config": {"archs": ["cnn"]}, "runs": [_run("sequential")], "paired": []}
    assert answer_chart(alone) is None
    figure = answer_chart(RESULTS)
    assert figure.axes[0].get_title(loc="left").startswith("cnn: each style against sequential")


def test_a_verdict_of_one_unit_has_no_interval_and_its_cell_says_so():
    from bench.render.answer import _timed

    alone = factories.verdict(
        phase="one_time",
        measure="build",
        ci95_low=None,
        ci95_high=None,
        verdict="inconclusive (n too small)",
    )
    text, key = _timed(alone)
    assert text.startswith("1.000×\n") and "inconclusive (n too small)" in text
    assert key == "undecided"
