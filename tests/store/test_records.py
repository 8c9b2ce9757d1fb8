"""Records and the files that hold them: the latest record wins, identity, damaged lines."""

import pytest

from bench.analysis.summary import latest_records
from bench.store.files import RecordsFileError
from bench.store.records import append_record, read_records, resolve_identity
from bench.store.schema import RUNS_FILE
from tests.factories import record
from tests.factories import results_dir as _results_dir
from tests.factories import three_styles as _records


@pytest.fixture
def results_dir(tmp_path):
    return _results_dir(tmp_path)


def test_identity_is_resolved_against_the_reference_style():
    resolved = {(r.style, r.seed): r.identical_to_reference for r in resolve_identity(_records())}
    assert resolved[("functional", 3)] is True
    assert resolved[("subclassed", 1)] is True
    assert resolved[("subclassed", 3)] is False


def test_report_uses_the_latest_record_of_each_run(results_dir):
    append_record(results_dir, record(style="functional", seed=1, accuracy=0.5))
    assert len(read_records(results_dir)) == 10
    latest = latest_records(results_dir)
    assert len(latest) == 9
    assert [r.test_accuracy for r in latest if (r.style, r.seed) == ("functional", 1)] == [0.5]


def test_torn_last_line_is_skipped_with_a_warning(results_dir):
    with open(results_dir / RUNS_FILE, "a") as f:
        f.write('{"arch": "cnn", "sty')
    with pytest.warns(UserWarning, match=r"runs.jsonl:10: skipping a torn last line"):
        assert len(read_records(results_dir)) == 9


def test_a_malformed_line_in_the_middle_is_an_error_naming_file_and_line(results_dir):
    lines = (results_dir / RUNS_FILE).read_text().splitlines()
    lines[4] = lines[4][:-5]  # a line cut short, with whole lines after it
    (results_dir / RUNS_FILE).write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordsFileError, match=r"runs.jsonl:5: not a JSON record"):
        read_records(results_dir)


def test_a_malformed_last_line_that_ends_in_a_newline_is_not_torn_but_an_error(results_dir):
    with open(results_dir / RUNS_FILE, "a") as f:
        f.write("not json\n")
    with pytest.raises(RecordsFileError, match=r"runs.jsonl:10"):
        read_records(results_dir)
