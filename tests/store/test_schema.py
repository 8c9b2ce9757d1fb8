"""Older shapes of results.json read into today's, in the one place that knows them."""

from bench.analysis.metrics import words_for
from bench.store.records import PairedRecord
from bench.store.schema import READABLE_SCHEMAS, SCHEMA_VERSION, upgrade_results
from tests.factories import paired_record


def test_schema_3_comparisons_and_paired_entries_read_in_todays_shape():
    old = {
        "schema_version": 3,
        "summary": {
            "comparisons": [{"metric": "steady_step_ms", "scale": "ratio", "estimate": 1.1}],
            "backend_comparisons": [{"metric": "test_accuracy", "scale": "points"}],
        },
        "paired": [
            {
                "arch": "cnn",
                "style": "functional",
                "measure": "latency",
                "ratio": 1.02,
                "ci_low": 0.99,
                "ci_high": 1.05,
                "margin_percent": 3.0,
                "processes": 8,
                "rounds": 800,
            }
        ],
    }
    new = upgrade_results(old, words_for)
    assert new["summary"]["comparisons"][0]["unit"] == "ratio"
    assert "scale" not in new["summary"]["comparisons"][0]
    assert new["summary"]["backend_comparisons"][0]["unit"] == "points"
    (entry,) = new["paired"]
    assert (entry["estimate"], entry["ci95_low"], entry["ci95_high"]) == (1.02, 0.99, 1.05)
    assert (entry["margin"], entry["n"], entry["unit"], entry["metric"]) == (
        3.0,
        8,
        "ratio",
        "latency",
    )
    assert (entry["backend"], entry["phase"]) == ("tensorflow", "steady")
    assert 3 in READABLE_SCHEMAS and SCHEMA_VERSION in READABLE_SCHEMAS


def test_a_paired_record_from_before_copies_held_one_copy_of_each_style():
    line = paired_record().to_dict()
    del line["instances"]  # schema 5 and before
    assert PairedRecord.from_dict(line).instances == 1


def test_a_single_process_entry_counts_its_rounds():
    old = {
        "measure": "predict",
        "ratio": 1.0,
        "ci_low": 0.9,
        "ci_high": 1.1,
        "processes": 1,
        "rounds": 12,
    }
    (entry,) = upgrade_results({"paired": [old]}, words_for)["paired"]
    assert entry["n"] == 12


def test_todays_shape_is_left_as_it_is_and_schema_4_entries_are_steady():
    current = {
        "paired": [{"estimate": 1.0, "n": 3, "unit": "ratio", "measure": "latency"}],
        "summary": {"comparisons": [{"unit": "ratio"}], "backend_comparisons": []},
    }
    (entry,) = upgrade_results(current, words_for)["paired"]
    assert entry == {"phase": "steady", **current["paired"][0]}
    once = {**current["paired"][0], "phase": "one_time", "measure": "build"}
    assert upgrade_results({**current, "paired": [once]}, words_for)["paired"] == [once]


def test_schema_10_verdicts_read_in_the_words_of_their_metric():
    old = {
        "summary": {
            "comparisons": [
                {
                    "metric": "test_accuracy",
                    "verdict": "different, within margin",
                    "direction": "lower",
                    "unit": "points",
                },
                {
                    "metric": "predict_images_per_second",
                    "verdict": "different, beyond margin",
                    "direction": "lower",
                    "unit": "ratio",
                },
            ],
        },
        "paired": [
            {
                "measure": "build",
                "metric": "build",
                "estimate": 0.6,
                "verdict": "different, size unclear",
                "direction": "lower",
            },
            {
                "measure": "load",
                "metric": "load",
                "estimate": 1.0,
                "verdict": "equivalent",
                "direction": None,
            },
        ],
    }
    new = upgrade_results(old, words_for)
    assert [c["verdict"] for c in new["summary"]["comparisons"]] == [
        "lower, within margin",
        "slower, beyond margin",
    ]
    assert [e["verdict"] for e in new["paired"]] == ["faster, size unclear", "equivalent"]
