"""Every metric and measure the reports name: its label, which way is worse, what it depends on."""

from __future__ import annotations

from dataclasses import dataclass

from bench.plan import specs

# The settings that change what a training run computes.
TRAINING = (
    "epochs",
    "batch_size",
    "learning_rate",
    "validation_split",
    "train_images",
    "precision",
    "deterministic",
    "jit_compile",
    "steps_per_execution",
)
STEP = ("batch_size", "precision", "deterministic", "jit_compile", "steps_per_execution")
INFERENCE = ("precision", "jit_compile", "steps_per_execution")


@dataclass(frozen=True)
class Metric:
    """A per-run metric (a `RunRecord` field); `depends_on`: the settings `compare` needs equal."""

    label: str
    timing: bool = True
    words: tuple[str, str] = ("slower", "faster")
    higher_is_better: bool = False
    points: bool = False  # accuracy: compared as a difference in points rather than a ratio
    depends_on: tuple[str, ...] = ()
    gates: bool = False


METRICS: dict[str, Metric] = {
    "test_accuracy": Metric(
        "test accuracy",
        False,
        ("higher", "lower"),
        True,
        True,
        (*TRAINING, "test_images"),
        gates=True,
    ),
    "test_loss": Metric("test loss", False),
    "build_seconds": Metric("build s"),
    "compile_seconds": Metric("compile s"),
    "first_epoch_seconds": Metric(
        "first epoch s", depends_on=(*STEP, "train_images", "validation_split"), gates=True
    ),
    "first_execution_seconds": Metric("first execution s"),
    "steady_epoch_seconds": Metric("steady epoch s"),
    "steady_step_ms": Metric("steady step ms", depends_on=STEP, gates=True),
    "train_seconds": Metric("train s", depends_on=TRAINING, gates=True),
    "eval_seconds": Metric("eval s"),
    "predict_images_per_second": Metric(
        "predict img/s",
        words=("faster", "slower"),
        higher_is_better=True,
        depends_on=(*INFERENCE, "test_images"),  # a throughput over the test images
        gates=True,
    ),
    "predict_latency_ms": Metric("latency ms", depends_on=INFERENCE, gates=True),
    "time_to_target_seconds": Metric(
        "time to target s", depends_on=(*TRAINING, "target_accuracy"), gates=True
    ),
    "achieved_gflops": Metric("GFLOP/s", words=("higher", "lower"), higher_is_better=True),
    "saved_model_bytes": Metric(".keras bytes", False, ("larger", "smaller")),
    "peak_rss_bytes": Metric("peak RSS bytes", False, ("larger", "smaller"), depends_on=TRAINING),
}
# Each style against the reference, run by run: accuracy only. Its times are judged once, in
# the paired phases, where the styles share a process; a run's times are descriptive columns.
STYLE_COMPARED = ("test_accuracy",)
# Each other backend against TensorFlow: the compilation (first epoch), the steady step, and
# inference.
BACKEND_COMPARED = (
    "test_accuracy",
    "first_epoch_seconds",
    "steady_step_ms",
    "predict_images_per_second",
    "predict_latency_ms",
)


@dataclass(frozen=True)
class Measure:
    """A measure of the paired phases (steady and one-time): what a table calls it, and a
    chart's shorter name."""

    label: str
    short: str


MEASURE_LABELS: dict[str, Measure] = dict(
    zip(
        (*specs.STEADY_MEASURES, *specs.ONE_TIME_MEASURES),
        (
            Measure("train step", "train step"),
            Measure("predict, 1,024 images", "predict 1,024"),
            Measure("latency, 1 image", "latency 1"),
            Measure("build", "build"),
            Measure("compile", "compile"),
            Measure("first train step (trace)", "first step"),
            Measure("first predict, 1,024 images", "first predict"),
            Measure(".keras save", "save"),
            Measure(".keras load", "load"),
        ),
        strict=True,
    )
)


def words_for(metric: str) -> tuple[str, str]:
    """What a higher and a lower value of `metric` mean; a paired measure reads as a time."""
    found = METRICS.get(metric)
    return found.words if found else ("slower", "faster")
