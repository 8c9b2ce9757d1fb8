"""A report's account of a user's model: its answer in ms or s, its sources and proof, its
costs per layer beside the depth study's Dense family."""

import json

from bench.analysis.stats import Verdict
from bench.render import adopted

FOUND = {
    "source": "keras.applications:VGG16",
    "layers": 20,
    "params": 1234,
    "styles": ["sequential", "functional"],
    "files": ["functional.py", "sequential.py"],
    "proof": {"sequential": "identical", "functional": "outputs differ by up to 1e-06"},
    "input_shape": [32, 32, 3],
    "mnist": False,
}


def verdict(measure, style, reference_ms, difference_ms, estimate, verdict, phase="one_time"):
    return Verdict(
        measure=measure,
        n=6,
        unit="ratio",
        estimate=estimate,
        ci95_low=estimate - 0.01,
        ci95_high=estimate + 0.01,
        ci90_low=estimate - 0.01,
        ci90_high=estimate + 0.01,
        margin=10.0,
        verdict=verdict,
        direction=None,
        phase=phase,
        style=style,
        arch="vgg16",
        reference="sequential",
        reference_ms=reference_ms,
        difference_ms=difference_ms,
    )


PAIRED = [
    verdict("build", "functional", 400.0, -2.0, 0.995, "equivalent"),
    verdict("load", "functional", 2500.0, -900.0, 0.64, "faster, beyond margin"),
]


def test_the_answer_gives_the_reference_costs_and_what_differs_beyond_the_margin():
    text = adopted.answer("vgg16", FOUND, PAIRED)
    assert "as sequential it builds 400 ms, loads 2.5 s" in text
    assert "beyond the margin: functional loads −900 ms (0.64×)" in text


def test_the_answer_gives_the_train_step_and_counts_what_is_undecided():
    steady = verdict("train_step", "functional", 48.2, 0.3, 1.006, "inconclusive", "steady")
    text = adopted.answer("vgg16", FOUND, [PAIRED[0], steady])
    assert "as sequential it builds 400 ms, takes 48 ms a train step" in text
    assert text.endswith("no style differs beyond the margin (1 of 2 undecided).")
    assert adopted.answer("vgg16", FOUND, []).endswith("nothing was timed.")


def test_costs_per_layer_sit_beside_the_nearest_depth_of_the_dense_family(tmp_path, monkeypatch):
    study = {
        "depths": [14, 37],
        "at_depth": [
            {
                "depth": 14,
                "style": "functional",
                "measure": "load",
                "reference_ms": 140.0,
                "difference_ms": -14.0,
            },
            {
                "depth": 37,
                "style": "functional",
                "measure": "load",
                "reference_ms": 370.0,
                "difference_ms": -37.0,
            },
        ],
    }
    (tmp_path / "depth.json").write_text(json.dumps(study))
    monkeypatch.setattr(adopted, "DEPTH_STUDY", tmp_path / "depth.json")
    line = adopted.per_layer("vgg16", FOUND, PAIRED)
    # 20 layers: depth 14 is nearer than 37 by ratio; Sequential, the reference, is not
    # compared with itself, so its cost is the reference's
    assert line == (
        "per layer, as sequential: build 20.00 ms, load 125.00 ms; results/depth's Dense family "
        "at depth 14: load 10.00 ms"
    )


def test_the_notes_link_the_sources_and_say_which_forms_are_not_proven_and_what_it_cost():
    results = {
        "adopted": {"vgg16": FOUND},
        "paired": PAIRED,
        "runs": [{"arch": "vgg16", "wall_seconds": 30.0}, {"arch": "cnn", "wall_seconds": 9.0}],
        "paired_stopping": [
            {"arch": "vgg16", "phase": "one_time", "worker_seconds": 120.0},
            {"arch": "vgg16", "phase": "steady", "worker_seconds": 60.0},
        ],
        "capability_seconds": {"vgg16": {"checks": 80.0, "loads": 10.0}},
    }
    notes = "".join(adopted.adopted_notes(results))
    assert "[functional.py](models/vgg16/functional.py)" in notes
    assert "1 of 2 compute bitwise its outputs" in notes
    assert "functional does not: outputs differ by up to 1e-06" in notes
    assert "synthetic inputs" in notes
    assert (
        "Worker time: runs 0.5 min, one-time 2.0 min, steady 1.0 min, capability checks 1.5 "
        "min; 5.0 min in all."
    ) in notes
