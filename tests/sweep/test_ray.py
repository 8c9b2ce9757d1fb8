"""The Ray executor on a real Ray: a local one the CLI starts, and a two-node cluster on this
machine that loses a node mid-sweep. Everything listens on 127.0.0.1 only.

Marked `ray`: the default suite leaves them out (`tox -e ray` runs them).
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip(
    "ray", reason="Ray is not installed; install it with pip install '.[ray]'"
)

from bench.plan.config import make_config  # noqa: E402
from bench.store.records import read_records  # noqa: E402
from bench.sweep.run import run_sweep  # noqa: E402
from tests.factories import run_bench  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.mnist]
PROJECT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
# tiny runs: the point is where they run and what comes back, not the numbers
TINY = ["--profile", "smoke", "--arch", "mlp", "--train-images", "512", "--test-images", "256"]
TWO_STYLES = [*TINY, "--styles", "sequential,functional"]
STALE_ADDRESS = Path("/tmp/ray/ray_current_cluster")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    # Ray 2.60 binds every service to 127.0.0.1 with this set, not to the interface address
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    yield
    assert not ray.is_initialized()
    assert not STALE_ADDRESS.exists(), "a Ray session address was left behind"


def _bench(*args, cwd):
    done = run_bench(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _runs(out):
    return [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]


def _runs_so_far(out):
    return _runs(out) if (out / "runs.jsonl").exists() else []


def test_ray_runs_train_bitwise_alike_to_local_ones_and_a_sweep_resumes_across_executors(
    tmp_path,
):
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    _bench(*TWO_STYLES, "--out", str(local), cwd=tmp_path)
    stdout = _bench(
        *TWO_STYLES,
        "--executor",
        "ray",
        "--ray-cpus-per-run",
        "1",
        "--out",
        str(on_ray),
        cwd=tmp_path,
    )
    assert "2 runs submitted to ray" in stdout
    by_key = {r["run_key"]: r for r in _runs(local)}
    ray_runs = _runs(on_ray)
    assert len(ray_runs) == 2 and set(by_key) == {r["run_key"] for r in ray_runs}
    for run in ray_runs:
        assert run["status"] == "ok", run["error"]
        assert run["weights_sha256"] == by_key[run["run_key"]]["weights_sha256"], run["style"]
        assert run["node"]["address"] == LOOPBACK and run["attempt"] == 1
    assert by_key[ray_runs[0]["run_key"]]["node"]["id"] == "local"

    # the local sweep, resumed on Ray with a second seed: only the new seed's runs run
    stdout = _bench(
        *TWO_STYLES,
        "--seeds",
        "1,2",
        "--resume",
        "--executor",
        "ray",
        "--ray-cpus-per-run",
        "1",
        "--out",
        str(local),
        cwd=tmp_path,
    )
    assert "resuming: 2 of 4 runs already recorded" in stdout
    runs = _runs(local)
    assert len(runs) == 4
    assert {r["seed"] for r in runs[2:]} == {2} and all(r["status"] == "ok" for r in runs)
    assert {r["node"]["id"] == "local" for r in runs} == {True, False}


def test_a_bad_or_unreachable_address_exits_2_with_one_line_before_anything_runs(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    for address, expected in (
        ("nowhere", "bad Ray address 'nowhere'; expected host:port"),
        (f"{LOOPBACK}:1", f"cannot reach a Ray cluster at {LOOPBACK}:1"),
    ):
        out = tmp_path / address.replace(":", "_")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench",
                *TINY,
                "--executor",
                "ray",
                "--ray-address",
                address,
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr
        assert not (out / "runs.jsonl").exists() or not _runs(out)


def test_on_a_two_node_cluster_runs_land_on_both_and_losing_a_node_loses_no_run(tmp_path):
    from ray.cluster_utils import Cluster

    from bench.sweep.executors.ray_executor import RayExecutor

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    executor = None
    try:
        doomed = cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        executor = RayExecutor("cpu", address=cluster.address, cpus_per_run=1)
        nodes = executor.nodes()
        assert len(nodes) == 2
        assert {n["NodeManagerAddress"] for n in nodes} == {LOOPBACK}
        config = make_config(
            "smoke", tmp_path, archs=("mlp",), seeds=(1, 2), train_images=2048, test_images=256
        )
        errors = []

        def run():
            try:
                run_sweep(config, {}, [], echo=lambda _: None, executor=executor)
            except Exception as e:  # surfaced below, in the test's own thread
                errors.append(e)

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 300
        # once a run has finished on the doomed node, it has taken the next one from the queue
        while not any(r["node"]["id"] == doomed.node_id for r in _runs_so_far(tmp_path)):
            assert time.monotonic() < deadline, "no run finished on the second node"
            time.sleep(0.1)
        # both nodes busy: more tasks started than runs recorded, by one per node
        while executor.tasks_started() - len(_runs_so_far(tmp_path)) < 2:
            assert time.monotonic() < deadline, "the second node took no next run"
            time.sleep(0.05)
        before = {r["run_key"] for r in _runs(tmp_path)}
        assert len(before) <= 4, "too few runs left to lose one in flight"
        cluster.remove_node(doomed)  # Ray retries its run in flight on the head node
        thread.join(timeout=600)
        assert not thread.is_alive() and not errors, errors
    finally:
        if executor is not None:
            executor.close()
        cluster.shutdown()
    records = read_records(tmp_path)
    assert len(records) == 6 and all(r.status == "ok" for r in records), [r.error for r in records]
    assert before <= {r.run_key for r in records}  # no finished run was lost
    assert len({r.node["id"] for r in records}) == 2  # runs landed on both nodes
    assert {r.node["address"] for r in records} == {LOOPBACK}
    assert any(r.attempt > 1 for r in records), [(r.node["id"][:6], r.attempt) for r in records]
