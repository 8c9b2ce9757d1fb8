"""Made-up but well-formed run records, for tests of everything downstream of the runner."""

from bench.config import RunSpec, TrainSettings
from bench.records import RunRecord, spec_fields

SETTINGS = TrainSettings(
    epochs=3, batch_size=128, learning_rate=4e-3, validation_split=0.1,
    train_images=None, test_images=None,
)  # fmt: skip


def record(arch="cnn", style="sequential", seed=1, accuracy=0.99, step_ms=10.0, **changes):
    spec = RunSpec(arch, style, seed, SETTINGS)
    fields = dict(
        spec_fields(spec),
        status="ok",
        params_total=34_826,
        params_trainable=34_826,
        test_loss=0.03,
        test_accuracy=accuracy,
        build_seconds=0.05,
        compile_seconds=0.01,
        first_epoch_seconds=4.0,
        steady_epoch_seconds=step_ms * 422 / 1000,
        steady_step_ms=step_ms,
        epoch_seconds=[4.0, step_ms * 0.422, step_ms * 0.422],
        train_seconds=4.0 + 2 * step_ms * 0.422 + 1.0,
        eval_seconds=0.5,
        predict_images_per_second=20_000.0,
        predict_latency_ms=1.0,
        saved_model_bytes=450_000,
        peak_rss_bytes=900 * 2**20,
        history={
            "loss": [0.2, 0.1, 0.05],
            "accuracy": [0.94, 0.97, 0.98],
            "val_loss": [0.06, 0.04, 0.03],
            "val_accuracy": [0.98, 0.985, accuracy],
        },
        weights_sha256=f"w{seed}",
        wall_seconds=8.0,
        train_flops_per_image=14_256_384,
        achieved_gflops=40.0,
    )
    fields.update(changes)
    return RunRecord(**fields)
