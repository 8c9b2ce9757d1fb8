"""A report's first lines: the question from what the sweep ran, the answer from its verdicts."""

from bench.render.headline import answer, question
from bench.render.report import write_report
from tests.factories import results_dir, verdict


def test_the_question_names_the_models_backends_and_what_was_measured():
    config = {"archs": ["cnn", "mlp"], "backends": ["tensorflow", "torch"], "steady_rounds": 8}
    asked = question({"config": config, "capabilities": {"cnn": {}}})
    assert asked == (
        "Does the Keras style change the cnn and mlp models on TensorFlow and PyTorch: their "
        "accuracy, speed per step and what each can do?"
    )
    assert "its accuracy?" in question({"config": {"archs": ["cnn"], "one_time_cycles": 0}})


def test_the_answer_names_weights_that_differ_and_the_capabilities_a_style_fails(tmp_path):
    said = answer(write_report(results_dir(tmp_path)))
    # seed 3's subclassed run trained to other weights (tests.factories.three_styles)
    assert said.startswith("1 of 6 runs trained to other weights than their reference")
    assert said.endswith("subclassed fails the most capability checks, 1 of 1.")


def _one_time(measure, style, estimate, low, high, said):
    return verdict(
        phase="one_time",
        measure=measure,
        style=style,
        margin=10.0,
        estimate=estimate,
        ci95_low=low,
        ci95_high=high,
        verdict=said,
    )


def test_the_answer_counts_each_phase_beyond_its_margin_and_names_the_largest():
    paired = [
        verdict(),
        verdict(style="subclassed", measure="predict", verdict="same program"),
        verdict(style="subclassed", measure="latency", verdict="inconclusive (n too small)"),
        _one_time("load", "functional", 0.62, 0.6, 0.64, "faster, beyond margin"),
        _one_time("build", "functional", 1.0, 0.98, 1.02, "equivalent"),
        _one_time("build", "subclassed", 1.2, 1.15, 1.25, "slower, beyond margin"),
    ]
    said = answer({"paired": paired})
    assert "per step, none of 3 verdicts differs beyond ±3 % (2 the same, 1 undecided)" in said
    assert (
        "once per model, 2 of 3 verdicts differ beyond ±10 %, the most cnn functional's "
        ".keras load: 0.620× [0.600, 0.640] of sequential's"
    ) in said


def test_the_answer_says_where_a_phase_that_was_asked_for_timed_nothing():
    said = answer({"config": {"steady_rounds": 4, "one_time_cycles": 0}, "paired": []})
    assert "per step, no verdict: the paired phase timed nothing" in said
    assert "once per model" not in said
