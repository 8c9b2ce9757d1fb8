"""The A/B rates study on synthetic runs: pairs moved to no difference keep their spread, a
planted slowdown is found where the spread allows and missed where it does not, and the study
writes what it prints."""

import math

import pytest

from bench.store.files import append_line, write_json
from lab.__main__ import main
from lab.ab_rates import PLANTED, moved_pairs, rates, spread
from tests.factories import ab_run


def ab_directory(path, pairs, slowdown, **noise):
    path.mkdir()
    for side, pair, record in ab_run(pairs, slowdown, **noise):
        append_line(
            path / "ab.jsonl",
            {"kind": "one_time", "side": side, "pair": pair, "record": record.to_dict()},
        )
    write_json(
        path / "ab.json",
        {"pairs": pairs, "time_margin_percent": 3.0, "one_time_margin_percent": 10.0},
    )
    return path


def test_moved_pairs_lose_the_difference_and_keep_the_spread(tmp_path):
    directory = ab_directory(
        tmp_path / "ab", 8, {"train_step": 1.2}, noise=0.01, process_noise=0.05
    )
    pairs = moved_pairs(directory)
    logs = [
        math.log(new["train_step", "functional"] / base["train_step", "functional"])
        for base, new in pairs
    ]
    assert sum(logs) == pytest.approx(0.0, abs=1e-9)
    assert max(logs) - min(logs) > 0.05  # the processes' own spread stays
    found = spread(directory)
    # each process shifts by its own 5 %: pairing cannot divide that out, the rounds are 1 %
    assert found["process_sd"] == pytest.approx(found["paired_sd"], rel=0.5)
    assert found["rounds_sd"] < 0.01 < found["paired_sd"]


def test_a_planted_slowdown_is_found_on_quiet_pairs_and_missed_on_noisy_ones(tmp_path):
    quiet = moved_pairs(ab_directory(tmp_path / "quiet", 12, {}, noise=0.01))
    aa = rates(quiet, {}, pairs=12, tries=40)
    assert aa["no_beyond_margin"] == 1.0 and aa["gate_passes"] == 1.0
    # every verdict is decided on quiet pairs, so a try stops after its first four
    assert aa["mean_pairs"] == 4
    assert rates(quiet, PLANTED, pairs=12, tries=40)["found_slower"]["train_step"] == 1.0
    noisy = moved_pairs(ab_directory(tmp_path / "noisy", 12, {}, noise=0.01, process_noise=0.15))
    assert rates(noisy, PLANTED, pairs=12, tries=40)["found_slower"]["train_step"] < 0.5


def test_the_study_writes_what_it_prints(tmp_path, capsys):
    directory = ab_directory(tmp_path / "ab", 6, {}, noise=0.01)
    assert (
        main(["ab-rates", str(directory), "--tries", "20", "--out", str(tmp_path / "rates")]) == 0
    )
    printed = capsys.readouterr().out
    assert "20 tries of up to 6 pairs each" in printed
    written = (tmp_path / "rates" / "README.md").read_text()
    assert all(f"- {line.strip()}\n" in written for line in printed.splitlines())
    assert f"--tries 20 --out {tmp_path / 'rates'}" in written
