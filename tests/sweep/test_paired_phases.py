"""The paired phases run adaptively: each stops on its aims, its most processes or the budget,
with the worker replaced by records of known spread."""

import math
import random
import time
from dataclasses import replace

import pytest

from bench.analysis.stopping import BUDGET, DECIDED_ALL, MAXIMUM
from bench.analysis.summary import paired_summary
from bench.plan.config import make_config
from bench.plan.specs import STEADY_MEASURES
from bench.store.records import append_steady, read_steady
from bench.sweep import jobs
from bench.sweep.paired import Clock, fits_budget, paired_phases, plan_series
from bench.sweep.resume import find_todo
from tests.factories import steady_record

ROUNDS = 10


def _config(tmp_path, **changes):
    values = dict(
        archs=("cnn",),
        seeds=(1,),
        capabilities=False,
        steady_rounds=ROUNDS,
        max_processes=9,
        min_processes=3,
        one_time_cycles=0,
        budget=None,
    )
    return make_config("quick", tmp_path, **{**values, **changes})


def _timed(spec, spread: float | dict[str, float]):
    """A process of the measures `spec` asks for, whose styles' log ratios vary by `spread`
    (one for all measures, or by measure) between processes, and little within."""
    rng = random.Random(spec.process)
    spreads = spread if isinstance(spread, dict) else dict.fromkeys(STEADY_MEASURES, spread)
    seconds = {}
    for m in spec.measures:
        offset = {style: rng.gauss(0, spreads.get(m, 0.0)) for style in spec.styles}
        seconds[m] = {
            s: [0.05 * math.exp(offset[s] + rng.gauss(0, 0.001)) for _ in range(spec.rounds)]
            for s in spec.styles
        }
    return steady_record(
        spec,
        seconds=seconds,
        steps_per_burst=dict.fromkeys(spec.measures, 1),
        wall_seconds=1.0,
        build_order=list(spec.styles_in_build_order),
    )


@pytest.fixture
def worker(monkeypatch):
    """The fake paired worker: `worker.spread` sets the between-process spread, `worker.pause`
    how long a process takes; `worker.calls` lists (arch, process) as they ran."""

    class Fake:
        spread, pause, calls = 0.0, 0.0, []

        def __call__(self, spec, executor):
            self.calls.append((spec.arch, spec.process))
            time.sleep(self.pause)
            return _timed(spec, self.spread)

    fake = Fake()
    fake.calls = []
    monkeypatch.setattr(jobs, "run_steady_in_worker", fake)
    return fake


def _run(config):
    lines = []
    paired_phases(config, find_todo(config), None, lines.append)
    return lines


def test_a_quiet_phase_stops_after_its_first_block_with_its_aims_met(tmp_path, worker):
    lines = _run(_config(tmp_path, archs=("cnn", "mlp")))
    assert worker.calls == [("cnn", p) for p in range(3)] + [("mlp", p) for p in range(3)]
    assert lines[-1] == f"paired timing: mlp: stopped after 3 process(es): {DECIDED_ALL}"
    assert len(read_steady(tmp_path)) == 6


def test_a_phase_too_noisy_for_its_aims_runs_to_its_most_processes(tmp_path, worker):
    worker.spread = 0.2
    lines = _run(_config(tmp_path))
    assert [p for _, p in worker.calls] == list(range(9))
    assert lines[-1].endswith(MAXIMUM)


def test_a_measure_whose_intervals_met_their_aims_is_not_timed_again(tmp_path, worker):
    worker.spread = {"latency": 0.2}  # only latency varies between processes
    lines = _run(_config(tmp_path))
    timed = [
        tuple(r.ordered_seconds()) for r in sorted(read_steady(tmp_path), key=lambda r: r.process)
    ]
    assert timed == [STEADY_MEASURES] * 3 + [("latency",)] * 6  # decided after the first block
    entries = paired_summary(read_steady(tmp_path), 3.0)[0]
    assert {e.measure: e.processes for e in entries} == {
        "train_step": 3,
        "predict": 3,
        "latency": 9,
    }
    assert sum(f"{ROUNDS} interleaved rounds of latency only (" in line for line in lines) == 6
    assert lines[-1].endswith(MAXIMUM)


def test_a_block_of_fewer_measures_is_costed_at_what_such_processes_cost(tmp_path):
    config = _config(tmp_path, budget=100.0, max_processes=30)
    (series,) = plan_series(config, find_todo(config))
    for _ in range(9):
        series.records.append(_timed(series.pending.pop(0), {"latency": 0.2}))
        series.costs.append((STEADY_MEASURES, 0.6))
    assert series.measures(config) == ("latency",)  # the rest met their aims after 9
    clock = Clock(time.perf_counter() - 99.0)  # a second left
    assert not fits_budget(series, config, clock)  # three processes at 0.6 s
    for _ in range(3):
        spec = replace(series.pending.pop(0), measures=("latency",))
        series.records.append(_timed(spec, {"latency": 0.2}))
        series.costs.append((("latency",), 0.2))
    assert fits_budget(series, config, clock)  # three at 0.2 s: what latency alone costs


def test_the_budget_stops_a_phase_before_a_block_it_cannot_pay_for(tmp_path, worker):
    worker.spread, worker.pause = 0.2, 0.1
    lines = _run(_config(tmp_path, budget=0.5))
    assert len(worker.calls) == 3  # one whole block; the second would not fit
    assert lines[-1].endswith(BUDGET)
    started = [line for line in lines if "process " in line and "…" in line]
    assert started and all("(elapsed " in line and " of 0s) …" in line for line in started)


def test_resume_counts_the_processes_its_directory_holds(tmp_path, worker):
    config = _config(tmp_path)
    for spec in config.steady_specs()[:3]:
        append_steady(tmp_path, _timed(spec, 0.0))
    lines = _run(replace(config, resume=True))
    assert worker.calls == []
    assert lines == [f"paired timing: cnn: 3 process(es) recorded before: {DECIDED_ALL}"]


def test_resume_times_only_the_measures_its_directory_left_short_of_their_aims(tmp_path, worker):
    config = _config(tmp_path)
    for spec in config.steady_specs()[:3]:
        append_steady(tmp_path, _timed(spec, {"latency": 0.2}))
    worker.spread = {"latency": 0.2}
    _run(replace(config, resume=True))
    assert [p for _, p in worker.calls] == list(range(3, 9))
    timed = {r.process: tuple(r.ordered_seconds()) for r in read_steady(tmp_path)}
    assert [timed[p] for p in range(3, 9)] == [("latency",)] * 6


def test_a_series_first_block_stops_after_one_process_that_says_the_rest_would_not_fit(
    tmp_path, worker
):
    worker.spread, worker.pause = 0.2, 0.1
    lines = _run(_config(tmp_path, archs=("cnn", "mlp"), budget=0.4))
    # mlp starts with 0.1 s left and nothing to guess its cost from; its first process spends it
    assert [arch for arch, _ in worker.calls] == ["cnn"] * 3 + ["mlp"]
    assert f"paired timing: mlp: stopped after 1 process(es): {BUDGET}" in lines
    worker.calls.clear()
    _run(_config(tmp_path, archs=("cnn", "mlp"), budget=0.1))
    assert [arch for arch, _ in worker.calls] == ["cnn"]  # spent before mlp's turn


def test_a_series_first_block_starts_only_when_the_clocks_guess_fits(tmp_path, worker):
    worker.spread, worker.pause = 0.2, 0.1
    config = _config(tmp_path, budget=0.8)
    lines = []
    paired_phases(config, find_todo(config), None, lines.append, Clock(time.perf_counter(), 0.5))
    assert worker.calls == [] and lines == [
        f"paired timing: cnn: stopped after 0 process(es): {BUDGET}"
    ]
    paired_phases(config, find_todo(config), None, lines.append, Clock(time.perf_counter(), 0.05))
    assert len(worker.calls) == 6  # two blocks of 0.3 s; a third would not fit
