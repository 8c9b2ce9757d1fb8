"""The runner's fault paths: a run that diverges or raises is a record, not a crash."""

from bench.plan.settings import TrainSettings
from bench.plan.specs import RunSpec


def _spec(**changes):
    settings = dict(
        epochs=2,
        batch_size=64,
        learning_rate=1e-3,
        validation_split=0.25,
        train_images=512,
        test_images=256,
    )
    settings.update(changes)
    return RunSpec("mlp", "functional", 1, TrainSettings(**settings))


def test_exploding_learning_rate_is_recorded_as_diverged(monkeypatch):
    import keras

    from bench.worker import runner

    # Adam's normalised steps survive any rate; plain SGD at 1e12 overflows to NaN at once.
    monkeypatch.setattr(runner, "make_optimizer", lambda lr, steps: keras.optimizers.SGD(lr))
    record = runner.run_one(_spec(learning_rate=1e12))
    assert record.status == "diverged", record.error
    assert record.test_accuracy is None


def test_a_run_that_raises_is_recorded_as_failed():
    from bench.worker.runner import run_one

    spec = _spec()
    broken = RunSpec("mlp", "no-such-style", 1, spec.settings)
    record = run_one(broken)
    assert record.status == "failed"
    assert "unknown style 'no-such-style'" in record.error
    assert record.peak_rss_bytes > 0
