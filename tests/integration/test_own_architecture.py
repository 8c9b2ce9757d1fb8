"""`--arch` from the command line: a user's architecture, and a user's model as it is, through
a smoke sweep."""

import pytest

from bench.analysis.summary import latest_records
from tests.factories import PROJECT, run_bench
from tests.models.test_sources import chain_model
from tests.worker.test_adopt import one_hot_model, tutorial_model
from tests.worker.test_precheck import MODULE

pytestmark = pytest.mark.mnist
TINY = ["--profile", "smoke", "--train-images", "512", "--test-images", "256"]


def test_users_modules_and_a_keras_file_run_alike_and_a_lopsided_one_is_reported_loudly(
    tmp_path,
):
    # a user's module from their own directory (on PYTHONPATH), and a 12×12 chain saved as a
    # .keras file: its styles generated, proven one model and trained on synthetic data
    (tmp_path / "user_models.py").write_text(MODULE)
    chain_model().save(tmp_path / "chain.keras")
    tutorial_model().save(tmp_path / "tutorial.keras")  # 28×28 images in, ten logits out
    one_hot = one_hot_model()  # compiled for one-hot labels, as keras.io's MNIST convnet
    one_hot.save(tmp_path / "one_hot.keras")
    out = tmp_path / "out"
    arch = f"user_models:SAME,user_models:LOPSIDED,{tmp_path / 'chain.keras'}"
    arch += f",{tmp_path / 'tutorial.keras'},{tmp_path / 'one_hot.keras'}"
    done = run_bench(
        *TINY, "--arch", arch, "--out", str(out), cwd=PROJECT, pythonpath=str(tmp_path)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    console = " ".join(done.stdout.split())  # a line longer than the console's 100 columns wraps
    assert (
        "WARNING: user_models:LOPSIDED/functional is not the same model as "
        "user_models:LOPSIDED/sequential: 7,165 parameters against 6,370"
    ) in console
    assert "user_models:SAME: no subclassed style (not written yet)" in console
    assert (
        "chain: one model: given its weights, functional, functional_subclass, sequential"
    ) in console
    assert "chain: not an MNIST model: trained and timed on synthetic inputs" in console
    runs = {(r.arch, r.style): r.to_dict() for r in latest_records(out)}
    assert "tutorial: not an MNIST model" not in console
    assert len(runs) == 13 and all(r["status"] == "ok" for r in runs.values())
    mnist = [r for (arch, _), r in runs.items() if arch in ("tutorial", "one_hot")]
    # trained on MNIST: three times chance after four steps of 128 images
    assert len(mnist) == 6 and all(r["test_accuracy"] > 0.3 for r in mnist)
    assert runs[("user_models:SAME", "functional")]["identical_to_reference"] is True
    assert runs[("user_models:LOPSIDED", "functional")]["identical_to_reference"] is False
    assert runs[("user_models:SAME", "functional")]["achieved_gflops"] is None  # no FLOP count
    chain = [r for (arch, _), r in runs.items() if arch == "chain"]
    assert all(r["identical_to_reference"] is not False for r in chain)
    assert all(r["test_accuracy"] is None for r in chain)  # synthetic data: no accuracy
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## ⚠ WARNING: styles that are not the same model")
    assert "**DIFFER**" in summary
    assert "[subclassed.py](models/chain/subclassed.py)" in summary
    assert (out / "models" / "chain" / "subclassed.py").is_file()


def test_a_factory_that_raises_exits_2_with_one_line(tmp_path):
    (tmp_path / "broken.py").write_text("def model():\n    raise RuntimeError('no weights')\n")
    done = run_bench(
        *TINY,
        "--arch",
        "broken:model",
        "--out",
        str(tmp_path / "o"),
        cwd=tmp_path,
        pythonpath=str(tmp_path),
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert "--arch broken:model: model(...) raised RuntimeError: no weights" in done.stderr
    assert not (tmp_path / "o" / "runs.jsonl").exists()
