"""One run in its own worker process: build, compile, train, evaluate, measure; one RunRecord."""

from __future__ import annotations

import hashlib
import math
import statistics
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import keras
import numpy as np

from bench.plan.settings import TrainSettings, jit_compile_argument
from bench.plan.specs import RunSpec
from bench.store.files import now_utc
from bench.store.mnist import MnistData, preprocess
from bench.store.records import RunRecord, spec_fields
from bench.worker import backends
from bench.worker.data import MNIST_LOSS, SYNTHETIC, loss_of, model_data
from bench.worker.measure import (
    latency_ms,
    peak_rss_bytes,
    predict_images_per_second,
    trace_counter,
)
from mnist_models import build_model, get_architecture

PREDICT_BATCH = 1024
# Throughput: `predict` on the test images that `evaluate` sees, the median of PREDICT_REPEATS
# timed calls after an identical one, which also traces the shorter last batch.
PREDICT_REPEATS = 3
LATENCY_CALLS = 50


class EpochTimer(keras.callbacks.Callback):
    """Times each epoch's training part (validation excluded), the first call into the train
    function (its trace and first `steps_per_execution` steps), and the time to a target."""

    def __init__(self, target_accuracy: float | None):
        super().__init__()
        self.target_accuracy = target_accuracy
        self.epoch_seconds: list[float] = []
        self.first_execution_seconds: float | None = None
        self.time_to_target: float | None = None
        self._train_start = self._epoch_start = 0.0
        self._epoch_done = False

    def on_train_begin(self, logs=None):
        self._train_start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_done = False

    def on_train_batch_end(self, batch, logs=None):
        # Keras calls this once per execution, after steps_per_execution steps
        if self.first_execution_seconds is None:
            self.first_execution_seconds = time.perf_counter() - self._epoch_start

    def on_test_begin(self, logs=None):
        self._close_epoch()

    def on_epoch_end(self, epoch, logs=None):
        self._close_epoch()
        reached = (logs or {}).get("val_accuracy", -1.0) >= (self.target_accuracy or math.inf)
        if reached and self.time_to_target is None:
            self.time_to_target = time.perf_counter() - self._train_start

    def _close_epoch(self):
        # Validation runs between the training steps and on_epoch_end; it is not training time.
        if not self._epoch_done:
            self.epoch_seconds.append(time.perf_counter() - self._epoch_start)
            self._epoch_done = True


def run_one(spec: RunSpec, mnist: MnistData | None = None) -> RunRecord:
    """Trains and measures `spec`; any exception becomes a record with status "failed"."""
    started_at = now_utc()
    wall_start = time.perf_counter()
    # The device actually used, which "auto" leaves to TensorFlow.
    base = {**spec_fields(spec), "device": device_name(), "started_at": started_at}
    try:
        s = spec.settings
        data = mnist or model_data(spec.arch, spec.data_dir, s.train_images, s.test_images)
        measured = _measure(spec, data)
    except Exception as e:  # a failed run is a result too; the sweep goes on
        measured = {
            "status": "failed",
            "error": f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=5)}",
        }
    return RunRecord(
        **{**base, **measured},  # measured fills in what the spec cannot know: jit_compile
        peak_rss_bytes=peak_rss_bytes(),
        wall_seconds=time.perf_counter() - wall_start,
    )


def _measure(spec: RunSpec, mnist: MnistData) -> dict:
    s = spec.settings
    x_train = preprocess(mnist.x_train[: s.train_images])
    y_train = mnist.y_train[: s.train_images]
    x_test = preprocess(mnist.x_test[: s.test_images])
    y_test = mnist.y_test[: s.test_images]
    prepare_backend(s)
    keras.backend.clear_session()
    t0 = time.perf_counter()
    model = build_model(spec.arch, spec.style, seed=spec.seed)
    build_seconds = time.perf_counter() - t0
    if s.shared_start:
        model.set_weights(load_initial_weights(spec.init_weights))
        x_train, y_train = harness_batch_order(x_train, y_train, s, spec.seed)
    initial_weights_sha256 = weights_sha256(model)

    fit_images, steps_per_epoch = epoch_size(s)
    t0 = time.perf_counter()
    compile_model(model, s, steps_per_epoch, loss_of(spec.arch))
    compile_seconds = time.perf_counter() - t0
    jit_compile = effective_jit_compile(model, s)

    traces = trace_counter(model)  # before fit makes the train function, which captures the step
    timer, callbacks = harness_callbacks(s.target_accuracy)
    t0 = time.perf_counter()
    history = fit_model(model, x_train, y_train, s, callbacks, shuffle=not s.shared_start).history
    train_seconds = time.perf_counter() - t0
    history = {k: [_finite(v) for v in vs] for k, vs in history.items()}

    measured = dict(
        status="ok",
        jit_compile=jit_compile,
        initial_weights_sha256=initial_weights_sha256,
        params_total=int(model.count_params()),
        params_trainable=int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        build_seconds=build_seconds,
        compile_seconds=compile_seconds,
        first_epoch_seconds=timer.epoch_seconds[0],
        first_execution_seconds=timer.first_execution_seconds,
        epoch_seconds=timer.epoch_seconds,
        train_seconds=train_seconds,
        history=history,
        time_to_target_seconds=timer.time_to_target,
    )
    flops = train_flops_per_image(spec.arch)
    measured["train_flops_per_image"] = flops
    if len(timer.epoch_seconds) > 1:
        steady = statistics.median(timer.epoch_seconds[1:])
        measured.update(steady_epoch_seconds=steady, steady_step_ms=1000 * steady / steps_per_epoch)
        if flops is not None:  # a spec that does not count its FLOPs has no FLOP rate
            measured.update(
                achieved_gflops=flops * fit_images / steady / 1e9,
                achieved_gflops_best=flops * fit_images / min(timer.epoch_seconds[1:]) / 1e9,
            )
    if any(v is None for v in history.get("loss", [])) or len(timer.epoch_seconds) < s.epochs:
        return {**measured, "status": "diverged", "error": "loss became NaN or infinite"}

    t0 = time.perf_counter()
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=PREDICT_BATCH, verbose=0)
    eval_seconds = time.perf_counter() - t0
    return dict(
        measured,
        test_loss=_finite(test_loss),
        # on synthetic data (a user's model that takes no MNIST) an accuracy is chance's
        test_accuracy=None if mnist.source.startswith(SYNTHETIC) else _finite(test_accuracy),
        eval_seconds=eval_seconds,
        predict_images_per_second=predict_images_per_second(
            model, x_test, PREDICT_BATCH, PREDICT_REPEATS, traces
        ),
        predict_latency_ms=latency_ms(model, x_test[:1], LATENCY_CALLS, traces),
        saved_model_bytes=_saved_size(model),
        weights_sha256=weights_sha256(model),
    )


def train_flops_per_image(arch: str) -> int | None:
    """The architecture's training FLOPs per image, or None where its spec does not count them."""
    try:
        return get_architecture(arch).spec.train_flops_per_image()
    except NotImplementedError:
        return None


def load_initial_weights(path: str | None) -> list[np.ndarray]:
    """A shared start's initial weights, in `get_weights` order."""
    if path is None or not Path(path).exists():
        raise FileNotFoundError(
            f"shared start: no initial weights at {path}; the sweep makes them before the runs"
        )
    with np.load(path) as arrays:
        return [arrays[f"w{i}"] for i in range(len(arrays.files))]


def harness_batch_order(x: np.ndarray, y: np.ndarray, s: TrainSettings, seed: int):
    """The training images in an order drawn from `seed`, so every backend sees the same batches
    (with `shuffle=False`); the validation split at the end stays."""
    fit_images = math.floor(len(x) * (1 - s.validation_split))
    order = np.random.default_rng(seed).permutation(fit_images)
    return (
        np.concatenate([x[:fit_images][order], x[fit_images:]]),
        np.concatenate([y[:fit_images][order], y[fit_images:]]),
    )


def epoch_size(s: TrainSettings) -> tuple[int, int]:
    """Images and steps in one training epoch under `s`, as Keras' validation_split cuts it."""
    fit_images = math.floor(s.train_images_used * (1 - s.validation_split))
    return fit_images, math.ceil(fit_images / s.batch_size)


def prepare_backend(s: TrainSettings) -> None:
    """Sets what `s` asks of the framework before any model exists: determinism, precision."""
    if keras.backend.backend() != s.backend:
        raise RuntimeError(
            f"this process runs Keras on {keras.backend.backend()!r}, but the run asks for "
            f"{s.backend!r}; the worker selects the backend before Keras is imported"
        )
    backends.current().prepare(s.deterministic)
    keras.mixed_precision.set_global_policy(s.precision)


def compile_model(
    model: keras.Model, s: TrainSettings, steps_per_epoch: int, loss: Any = MNIST_LOSS
) -> None:
    """Compiles `model` for training under `s`: the loss, metric and optimizer of every run
    (the loss is MNIST's class indices unless the architecture's spec names another)."""
    model.compile(
        optimizer=make_optimizer(s.learning_rate, steps_per_epoch * s.epochs),
        loss=loss,
        metrics=["accuracy"],
        jit_compile=jit_compile_argument(s.jit_compile),
        steps_per_execution=s.steps_per_execution,
    )


def effective_jit_compile(model: keras.Model, s: TrainSettings) -> bool:
    """Whether `model` uses XLA (or torch.compile); raises RuntimeError where Keras dropped "on"."""
    used = bool(model.jit_compile)
    if s.jit_compile == "on" and not used:
        raise RuntimeError(
            "Keras turned jit_compile off for this model (a layer without XLA support, or op "
            "determinism on); the run would not be what its settings say"
        )
    return used


def fit_model(
    model: keras.Model,
    x,
    y,
    s: TrainSettings,
    callbacks: list[keras.callbacks.Callback],
    shuffle: bool = True,
) -> keras.callbacks.History:
    """`model.fit` as every run calls it under `s`, with the validation split held out."""
    return model.fit(
        x,
        y,
        batch_size=s.batch_size,
        shuffle=shuffle,
        epochs=s.epochs,
        validation_split=s.validation_split,
        validation_batch_size=PREDICT_BATCH,
        callbacks=callbacks,
        verbose=0,
    )


def harness_callbacks(
    target_accuracy: float | None,
) -> tuple[EpochTimer, list[keras.callbacks.Callback]]:
    """Everything the harness adds to a `model.fit`: its timer, and all callbacks to pass."""
    timer = EpochTimer(target_accuracy)
    return timer, [timer, keras.callbacks.TerminateOnNaN()]


def make_optimizer(learning_rate: float, total_steps: int) -> keras.optimizers.Optimizer:
    """The one recipe every style trains with: Adam, its rate decayed to zero on a cosine."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=total_steps)
    return keras.optimizers.Adam(schedule)


def _saved_size(model: keras.Model) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.stat().st_size


def weights_sha256(model: keras.Model) -> str:
    """A digest of every weight's bytes, in order: equal digests mean bitwise-equal weights."""
    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()


def device_name() -> str:
    """The device the backend will place the model on: "gpu:<name>" or "cpu"."""
    return backends.current().device_name()


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
