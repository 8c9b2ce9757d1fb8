"""lab/runs/scaling/scaling.md from its measurements: the overhead with its interval, and a
projection that names the machine its run times came from."""

import json

from lab.scaling import Overhead, scaling_markdown
from tests.factories import record

ZEN3 = {"cpu_model": "AMD EPYC", "cpu_cores": 2, "machine": {"family": "25", "model": "1"}}
ZEN4 = {
    **ZEN3,
    "machine": {"family": "25", "model": "17"},
    "python": "3.11.7",
    "tensorflow": "2.21.0",
    "ray": "2.60.0",
    "git": None,
}


def test_the_projection_names_the_machine_that_timed_its_runs_not_the_one_measuring_ray(
    tmp_path,
):
    (tmp_path / "sweep.json").write_text(json.dumps({"environment": ZEN3}))
    runs = [record(seed=s, wall_seconds=w) for s, w in ((1, 50.0), (2, 70.0))]
    found = Overhead([4.0, 4.1, 4.2, 4.1], [4.6, 4.7, 4.8, 4.7], ray_start_seconds=2.5)
    text = scaling_markdown(found, runs, tmp_path, tmp_path / "out", ZEN4)
    assert text.count("AMD EPYC (Zen 4), 2 cores") == 1  # where Ray's overhead was measured
    assert "the 2 runs in " in text and "(60.0 s, on AMD EPYC (Zen 3), 2 cores)" in text
    assert "**+0.60 s [+" in text and "of a job's fixed start-up cost" in text
    # one node runs the 180 runs one after another, each its mean time plus Ray's overhead
    assert "| 1 | 181.8 min | 180 |" in text
    assert (
        f"`python -m lab scaling --jobs 4 --runs-from {tmp_path} --out {tmp_path / 'out'}`" in text
    )


def test_an_overhead_whose_interval_holds_zero_is_no_clear_difference(tmp_path):
    runs = [record(wall_seconds=60.0)]
    found = Overhead([4.0, 4.4, 4.1, 4.3], [4.1, 4.3, 4.0, 4.4], ray_start_seconds=2.5)
    text = scaling_markdown(found, runs, tmp_path, tmp_path, ZEN4)
    assert "no clear difference from the local executor" in text
    assert "on the machine that made them" in text  # no sweep.json to name it
