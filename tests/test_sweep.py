"""Run order, resume and the records file, with the worker replaced by fixture records."""

import pytest

from bench import sweep
from bench.config import ConfigError, make_config
from bench.records import append_record, read_records
from tests.records_fixture import record


def _config(tmp_path, **changes):
    return make_config("quick", tmp_path, **{"seeds": (1, 2, 3), "capabilities": False, **changes})


def test_plan_interleaves_styles_within_each_seed(tmp_path):
    order = sweep.plan(_config(tmp_path, archs=("cnn", "mlp")))
    assert [spec.seed for spec in order] == [1] * 6 + [2] * 6 + [3] * 6
    assert len({spec.key() for spec in order}) == 18


def test_plan_order_is_shuffled_reproducibly_by_order_seed(tmp_path):
    def styles(order_seed):
        order = sweep.plan(_config(tmp_path, archs=("cnn", "mlp"), order_seed=order_seed))
        return [(s.arch, s.style) for s in order]

    assert styles(0) == styles(0)
    assert len({tuple(styles(seed)) for seed in range(5)}) > 1


@pytest.fixture
def fake_worker(monkeypatch):
    calls = []

    def run(spec, config):
        calls.append(spec.key())
        return record(
            arch=spec.arch, style=spec.style, seed=spec.seed, run_key=spec.key(),
            epochs=spec.settings.epochs, train_images=spec.settings.train_images or 60_000,
        )  # fmt: skip

    monkeypatch.setattr(sweep, "run_in_worker", run)
    return calls


def test_sweep_records_every_run_and_the_metadata(tmp_path, fake_worker):
    lines = []
    sweep.run_sweep(_config(tmp_path), {"python": "x"}, ["--profile", "quick"], echo=lines.append)
    assert len(read_records(tmp_path)) == 9 == len(fake_worker)
    assert (tmp_path / "sweep.json").exists()
    assert lines[0].startswith("[1/9] cnn/")
    assert "ETA" in lines[1]


def test_resume_skips_recorded_runs_and_retries_failed_ones(tmp_path, fake_worker):
    config = _config(tmp_path)
    sweep.run_sweep(config, {}, [], echo=lambda _: None)
    first = config.runs()[0]
    append_record(tmp_path, record(seed=9, run_key=first.key(), status="failed"))
    fake_worker.clear()
    sweep.run_sweep(_config(tmp_path, resume=True, seeds=(1, 2, 3, 4)), {}, [], echo=print)
    # Seed 4's three runs are new; the run whose latest record failed is tried again.
    assert len(fake_worker) == 3 + 1
    assert first.key() in fake_worker


def test_without_resume_the_runs_file_starts_over(tmp_path, fake_worker):
    sweep.run_sweep(_config(tmp_path), {}, [], echo=lambda _: None)
    sweep.run_sweep(_config(tmp_path, seeds=(1,)), {}, [], echo=lambda _: None)
    assert len(read_records(tmp_path)) == 3


def test_resume_refuses_runs_under_other_settings(tmp_path, fake_worker):
    sweep.run_sweep(_config(tmp_path), {}, [], echo=lambda _: None)
    with pytest.raises(ConfigError, match="other settings"):
        sweep.run_sweep(_config(tmp_path, resume=True, epochs=5), {}, [], echo=lambda _: None)


def test_a_crashed_worker_becomes_a_failed_record(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "_worker", lambda kind, job, config: (None, "worker exited: -9"))
    spec = _config(tmp_path).runs()[0]
    failed = sweep.run_in_worker(spec, _config(tmp_path))
    assert failed.status == "failed"
    assert failed.error == "worker exited: -9"
    assert failed.run_key == spec.key()


def test_efficiency_is_achieved_over_the_sweeps_peak():
    run = sweep.with_efficiency(record(), {"peak_matmul_gflops": 160.0})
    assert run.peak_matmul_gflops == 160.0
    assert run.efficiency == 40.0 / 160.0


def test_efficiency_is_none_without_a_steady_state():
    run = sweep.with_efficiency(record(achieved_gflops=None), {"peak_matmul_gflops": 160.0})
    assert run.efficiency is None
