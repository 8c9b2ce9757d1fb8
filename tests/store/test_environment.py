"""What a sweep records about the code it ran from."""

import subprocess

from bench.store import environment


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def test_the_tree_is_dirty_for_changed_code_but_not_for_changed_results(tmp_path, monkeypatch):
    repo = tmp_path / "clone"
    (repo / "bench").mkdir(parents=True)
    (repo / "results").mkdir()
    (repo / "bench" / "runner.py").write_text("STEPS = 1\n")
    (repo / "results" / "runs.jsonl").write_text("{}\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    monkeypatch.setattr(environment, "PROJECT_ROOT", repo)

    clean = environment.git_info()
    assert clean is not None and len(clean["commit"]) == 40 and clean["dirty"] is False

    # a --resume into the committed results rewrites them between a sweep's phases
    (repo / "results" / "runs.jsonl").write_text("{}\n{}\n")
    assert environment.git_info()["dirty"] is False

    (repo / "bench" / "runner.py").write_text("STEPS = 2\n")
    assert environment.git_info()["dirty"] is True


def test_a_figures_machine_is_named_by_its_generation_and_the_cores_it_could_use():
    zen4 = {"cpu_model": "AMD EPYC", "cpu_cores": 2, "machine": {"family": "25", "model": "17"}}
    assert environment.machine_words(zen4) == "AMD EPYC (Zen 4), 2 cores"
    pinned = {**zen4, "cpu_cores_usable": 1}
    assert environment.machine_words(pinned) == "AMD EPYC (Zen 4), 1 core"
    unknown = {**zen4, "cpu_model": "Intel Xeon", "machine": {"family": "6", "model": "85"}}
    assert environment.machine_words(unknown) == "Intel Xeon (family 6, model 85), 2 cores"
    assert environment.machine_words({**zen4, "machine": {}}) == "AMD EPYC, 2 cores"
    xeon = {
        **unknown,
        "cpu_model": "Intel(R) Xeon(R) Processor",
        "machine": {"family": "6", "model": "207"},
    }
    assert environment.machine_words(xeon) == "Intel(R) Xeon(R) Processor (Emerald Rapids), 2 cores"
