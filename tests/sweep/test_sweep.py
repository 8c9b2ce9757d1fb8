"""Run order, resume and the records file, with the worker replaced by fixture records."""

import json
from dataclasses import replace

import pytest

from bench.analysis.results import sweep_results
from bench.plan.config import make_config
from bench.plan.settings import ConfigError
from bench.store.capabilities import YES, entry
from bench.store.records import (
    OneTimeRecord,
    append_one_time,
    append_record,
    append_steady,
    read_one_time,
    read_records,
)
from bench.sweep import jobs
from bench.sweep.executors import local
from bench.sweep.resume import pending_paired, plan
from bench.sweep.run import run_sweep
from mnist_models import REQUIRED_STYLES as STYLES
from tests.factories import record, steady_record


def _config(tmp_path, **changes):
    defaults = {"seeds": (1, 2, 3), "capabilities": False, "steady_rounds": 0, "one_time_cycles": 0}
    return make_config("quick", tmp_path, **{**defaults, **changes})


def test_plan_interleaves_styles_within_each_seed(tmp_path):
    order = plan(_config(tmp_path, archs=("cnn", "mlp")))
    assert [spec.seed for spec in order] == [1] * 6 + [2] * 6 + [3] * 6
    assert len({spec.key() for spec in order}) == 18


def test_plan_order_is_shuffled_reproducibly_by_order_seed(tmp_path):
    def styles(order_seed):
        order = plan(_config(tmp_path, archs=("cnn", "mlp"), order_seed=order_seed))
        return [(s.arch, s.style) for s in order]

    assert styles(0) == styles(0)
    assert len({tuple(styles(seed)) for seed in range(5)}) > 1


@pytest.fixture
def fake_worker(monkeypatch):
    calls = []

    def runs(todo, executor):
        for spec in todo:
            calls.append(spec.key())
            yield record(spec=spec)

    def no_worker(*args):
        raise AssertionError("a test started a real worker")

    monkeypatch.setattr(jobs, "stream_runs", runs)
    monkeypatch.setattr(local, "run_worker", no_worker)

    def paired(spec, executor):
        calls.append(spec.arch)
        return steady_record(spec, status="failed", error="fake")

    monkeypatch.setattr(jobs, "run_steady_in_worker", paired)

    def one_time(spec, executor):
        calls.append(f"one-time {spec.arch} {spec.process}")
        return OneTimeRecord.failed(spec, "fake")

    monkeypatch.setattr(jobs, "run_one_time_in_worker", one_time)

    def architectures(archs, styles, backend, executor, settings=None, adopt=None):
        return {
            arch: {
                "styles": list(styles),
                "unsupported": {},
                "reference": styles[0],
                "differences": {},
                "programs": {"error": f"fake on {backend}"},
            }
            for arch in archs
        }

    monkeypatch.setattr(jobs, "check_architectures", architectures)

    def programs(archs, styles, settings, executor):
        return {arch: {"error": f"fake on {settings.backend}"} for arch in archs}

    monkeypatch.setattr(jobs, "compare_programs", programs)
    return calls


def test_sweep_records_every_run_and_the_metadata(tmp_path, fake_worker):
    lines = []
    run_sweep(_config(tmp_path), {"python": "x"}, ["--profile", "quick"], echo=lines.append)
    assert len(read_records(tmp_path)) == 9 == len(fake_worker)
    sweep = json.loads((tmp_path / "sweep.json").read_text())
    assert sweep["programs"] == {"tensorflow": {"cnn": {"error": "fake on tensorflow"}}}
    assert [line for line in lines if line.startswith("program, ")] == [
        "program, cnn: not compared: fake on tensorflow"
    ]
    lines = [line for line in lines if not line.startswith("program, ")]
    assert lines[0].startswith("mnist-styles-bench: profile quick, 9 runs")
    assert lines[0].endswith(", within 4m45s")  # the budget, before anything runs
    assert lines[1].startswith("data: ")
    assert lines[2].startswith("[1/9] cnn/")
    assert "ETA" in lines[3]
    assert len(sweep_results(tmp_path)["records"]) == 9


def test_resume_skips_recorded_runs_and_retries_failed_ones(tmp_path, fake_worker):
    config = _config(tmp_path)
    run_sweep(config, {}, [], echo=lambda _: None)
    first = config.runs()[0]
    append_record(tmp_path, record(spec=first, status="failed"))
    fake_worker.clear()
    run_sweep(_config(tmp_path, resume=True, seeds=(1, 2, 3, 4)), {}, [], echo=print)
    # Seed 4's three runs are new; the run whose latest record failed is tried again.
    assert len(fake_worker) == 3 + 1
    assert first.key() in fake_worker


def test_resume_in_a_directory_with_no_finished_runs_says_it_runs_them_all(
    tmp_path, fake_worker, capsys
):
    run_sweep(_config(tmp_path / "new", resume=True), {}, [], echo=print)
    assert (
        f"resuming: no finished runs in {tmp_path / 'new'}; running all 9"
        in capsys.readouterr().out
    )
    assert len(fake_worker) == 9


def test_without_resume_the_runs_file_starts_over(tmp_path, fake_worker):
    run_sweep(_config(tmp_path), {}, [], echo=lambda _: None)
    run_sweep(_config(tmp_path, seeds=(1,)), {}, [], echo=lambda _: None)
    assert len(read_records(tmp_path)) == 3


def test_a_sweep_of_one_style_writes_its_metadata_for_the_report(tmp_path, fake_worker):
    # one style: no program comparison, no capability checks, no paired phase to write it
    run_sweep(_config(tmp_path, styles=("sequential",)), {"python": "x"}, [], echo=lambda _: None)
    sweep = json.loads((tmp_path / "sweep.json").read_text())
    assert sweep["config"]["styles"] == ["sequential"] and len(read_records(tmp_path)) == 3
    assert sweep_results(tmp_path)["runs"]


def test_the_capability_checks_are_asked_once_and_kept_for_the_report(
    tmp_path, fake_worker, monkeypatch
):
    # the workers' side is tests/worker/test_capabilities.py's and, through jobs, the A/B gate's
    found = {"cnn": {s: {"h5_save_load": entry(YES)} for s in STYLES}}
    asked = []

    def check(archs, styles_of, backends, *args):
        asked.append((archs, styles_of, backends))
        return found, {"cnn": {"checks": 2.0, "loads": 1.0}}

    monkeypatch.setattr(jobs, "check_capabilities", check)
    lines = []
    run_sweep(_config(tmp_path, capabilities=True), {}, [], echo=lines.append)
    assert asked == [(("cnn",), {"cnn": STYLES}, ("tensorflow",))]
    assert "capabilities checked in 3 s" in lines
    results = sweep_results(tmp_path)
    assert results["capabilities"] == found
    assert results["capability_seconds"] == {"cnn": {"checks": 2.0, "loads": 1.0}}


def test_resume_refuses_runs_under_other_settings(tmp_path, fake_worker):
    run_sweep(_config(tmp_path), {}, [], echo=lambda _: None)
    with pytest.raises(ConfigError, match="other settings"):
        run_sweep(_config(tmp_path, resume=True, epochs=5), {}, [], echo=lambda _: None)


def test_a_crashed_worker_becomes_a_failed_record(tmp_path, monkeypatch):
    node = {"id": "n1", "host": "h", "address": "127.0.0.1", "attempt": 2}
    spec = _config(tmp_path).runs()[0]
    failed = jobs.run_record(spec, (None, "worker exited: -9", node))
    assert failed.status == "failed"
    assert failed.error == "worker exited: -9"
    assert failed.run_key == spec.key()
    assert failed.node == {"id": "n1", "host": "h", "address": "127.0.0.1"}
    assert failed.attempt == 2


def test_the_paired_phase_runs_each_process_for_each_arch_process_by_process(tmp_path, fake_worker):
    config = _config(tmp_path, archs=("cnn", "mlp"), steady_rounds=4, max_processes=3)
    specs, _ = pending_paired(config)
    assert [(s.process, s.arch) for s in specs] == [
        (p, arch) for p in range(3) for arch in ("cnn", "mlp")
    ]
    assert len({s.order_seed for s in specs if s.arch == "cnn"}) == 3  # each its own order
    assert _config(tmp_path, steady_rounds=0).steady_specs() == []
    assert _config(tmp_path, steady_rounds=4, styles=("functional",)).steady_specs() == []


def test_a_paired_phase_redone_on_resume_records_its_own_commit(tmp_path, fake_worker):
    run_sweep(_config(tmp_path), {"git": {"commit": "runs"}}, [], echo=lambda _: None)
    fake_worker.clear()
    config = _config(tmp_path, resume=True, steady_rounds=4, max_processes=3)
    run_sweep(config, {"git": {"commit": "paired"}}, [], echo=lambda _: None)
    assert fake_worker == ["cnn"] * 3  # the paired processes alone: every run was recorded
    environment = json.loads((tmp_path / "sweep.json").read_text())["environment"]
    assert environment["git"] == {"commit": "runs"}
    assert environment["paired_git"] == {"commit": "paired"}
    assert "one_time_git" not in environment  # the one-time phase is off: nothing was redone

    # the one-time phase redone alone: the steady phase keeps the commit it ran at
    config = _config(tmp_path, resume=True, steady_rounds=0, max_processes=3, one_time_cycles=2)
    run_sweep(config, {"git": {"commit": "one-time"}}, [], echo=lambda _: None)
    environment = json.loads((tmp_path / "sweep.json").read_text())["environment"]
    assert environment["git"] == {"commit": "runs"}
    assert environment["paired_git"] == {"commit": "paired"}
    assert environment["one_time_git"] == {"commit": "one-time"}


def test_the_one_time_phase_runs_a_process_per_arch_and_resume_does_only_what_is_missing(
    tmp_path, fake_worker
):
    config = _config(
        tmp_path, archs=("cnn", "mlp"), max_processes=2, one_time_cycles=3, one_time_processes=0
    )  # 0: as many as --max-processes
    run_sweep(config, {}, [], echo=lambda _: None)
    one_time = [call for call in fake_worker if str(call).startswith("one-time")]
    # a block at a time per arch: a block is one process per style (at most the two allowed)
    assert one_time == [f"one-time {a} {p}" for a in ("cnn", "mlp") for p in range(2)]
    assert len(read_one_time(tmp_path)) == 4
    # recorded ok: a resume skips it; failed (as the fake's are): a resume does it again
    append_one_time(
        tmp_path, replace(OneTimeRecord.failed(config.one_time_specs()[0], None), status="ok")
    )
    fake_worker.clear()
    run_sweep(replace(config, resume=True), {}, [], echo=lambda _: None)
    assert fake_worker == ["one-time cnn 1", "one-time mlp 0", "one-time mlp 1"]


def test_resume_redoes_max_processes_recorded_in_another_build_order(tmp_path):
    config = _config(tmp_path, resume=True, steady_rounds=4, max_processes=3)
    unordered, kept, reordered = config.steady_specs()
    assert len({s.build_order for s in config.steady_specs()}) == 3
    for spec, build_order in (
        (unordered, None),  # from before build orders were recorded: the reference came first
        (kept, list(kept.build_order)),
        (reordered, list(kept.build_order)),  # drawn under an older scheme
    ):
        append_steady(tmp_path, steady_record(spec, build_order=build_order))
    pending, recorded = pending_paired(config)
    assert [s.process for s in pending] == [unordered.process, reordered.process]
    assert [r.process for r in recorded] == [kept.process]  # what the phase counts


def test_resume_with_nothing_left_to_do_starts_no_worker(tmp_path, fake_worker):
    lines = []
    run_sweep(_config(tmp_path), {}, [], echo=lambda _: None)
    fake_worker.clear()
    run_sweep(_config(tmp_path, resume=True), {}, [], echo=lines.append)
    assert fake_worker == []
    assert lines[2:] == [
        f"nothing to do: every run of this sweep is already recorded in {tmp_path}"
    ]


def test_a_style_that_trains_to_other_weights_is_warned_about_as_its_seed_finishes(
    tmp_path, fake_worker, monkeypatch
):
    def runs(todo, executor):
        for spec in todo:
            digest = "odd" if spec.style == "subclassed" else "same"
            yield record(spec=spec, weights_sha256=digest)

    monkeypatch.setattr(jobs, "stream_runs", runs)
    lines = []
    run_sweep(_config(tmp_path, seeds=(1,)), {}, [], echo=lines.append)
    warnings = [line for line in lines if "WARNING" in line]
    assert len(warnings) == 1, lines
    assert "cnn/subclassed seed=1 trained to other weights than cnn/sequential" in warnings[0]


def test_sweep_json_keeps_every_command_that_wrote_to_the_directory(tmp_path, fake_worker):
    run_sweep(_config(tmp_path), {}, ["--seeds", "3"], echo=lambda _: None)
    again = ["--resume", "--seeds", "4"]
    run_sweep(_config(tmp_path, resume=True, seeds=(1, 2, 3, 4)), {}, again, echo=lambda _: None)
    sweep = json.loads((tmp_path / "sweep.json").read_text())
    assert sweep["commands"] == [["--seeds", "3"], again] and sweep["command"] == again


def test_sweep_json_keeps_when_the_first_command_started_and_how_long_each_took(
    tmp_path, fake_worker
):
    run_sweep(_config(tmp_path), {}, [], echo=lambda _: None)
    path = tmp_path / "sweep.json"
    first = json.loads(path.read_text())
    assert first["started_at"] <= first["created_at"] and first["wall_seconds"] >= 0
    earlier = {"started_at": "2000-01-01T00:00:00+00:00", "wall_seconds": 1000.0}
    path.write_text(json.dumps({**first, **earlier}))
    run_sweep(_config(tmp_path, resume=True, seeds=(1, 2, 3, 4)), {}, [], echo=lambda _: None)
    again = json.loads(path.read_text())
    assert again["started_at"] == earlier["started_at"] and again["wall_seconds"] >= 1000.0
