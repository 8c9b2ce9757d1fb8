"""What a sweep runs: the profiles, the frozen `BenchConfig`, and the jobs it plans."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.plan import shared
from bench.plan.backends import BACKENDS, DEFAULT_BACKEND, install_hint, installed
from bench.plan.settings import (
    CAPABILITY_CHECK_SETS,
    INIT_DIR,
    ConfigError,
    TrainSettings,
    setting,
    validate,
    whole,
)
from bench.plan.specs import (
    COUNTED_PROCESSES,
    OneTimeSpec,
    RunSpec,
    SteadySpec,
    balanced_build_order,
)
from bench.plan.values import (
    check_archs,
    check_previous_files,
    check_seeds,
    known,
    names,
    parse_model_args,
    parse_seeds,
    show_seeds,
)
from mnist_models import ARCHS, FORMS, REQUIRED_STYLES, reference_of

PROFILES = ("smoke", "quick", "full")


@dataclass(frozen=True)
class BenchConfig:
    """A whole sweep: which models, which seeds, under which settings, written where."""

    profile: str
    archs: tuple[str, ...] = setting(
        help=f"architectures: {', '.join(ARCHS)}; your model as it is, a FILE.keras or "
        "module:FUNCTION returning a keras.Model (its styles are generated into OUT/models); or "
        "module:ATTRIBUTE naming an mnist_models.Architecture",
        flag="--arch",
        parse=names(ARCHS),
        check=check_archs,
    )
    styles: tuple[str, ...] = shared.styles(dataclasses.MISSING)
    seeds: tuple[int, ...] = setting(
        help="N (seeds 1..N), a list 1,2,7 or a range 3-5",
        parse=parse_seeds,
        check=check_seeds,
        show=show_seeds,
    )
    settings: TrainSettings = None  # type: ignore[assignment]  # with the first backend
    out: Path = Path("results")
    backends: tuple[str, ...] = setting(
        (DEFAULT_BACKEND,),
        help="Keras backends, or all (full: every installed)",
        flag="--backend",
        parse=names(BACKENDS, every="all"),
        check=known("backend", BACKENDS),
    )
    data_dir: str | None = shared.data_dir()
    model_args: tuple[tuple[str, Any], ...] = setting(
        (),
        help="keyword arguments for an --arch module:FUNCTION, as Python literals: "
        "'input_shape=(64, 64, 3), classes=10'",
        parse=parse_model_args,
        show=lambda value: ", ".join(f"{k}={v!r}" for k, v in value) or "none",
    )
    input_size: int = setting(
        32,
        help="the side of a keras.applications model's square input: input_shape=(N, N, 3) "
        "unless --model-args gives one",
        check=whole(32),
    )
    imports: tuple[str, ...] = setting(
        (),
        flag="--import",
        help="modules to import before loading --arch FILE.keras: the code of its custom layers",
        parse=lambda text: tuple(m.strip() for m in text.split(",") if m.strip()),
    )
    trust_model: bool = setting(
        False,
        help="load --arch FILE.keras with Keras' safe mode off, running the Python code it "
        "holds (a Lambda layer's); only for a file you trust",
        boolean=True,
    )
    resume: bool = False
    order_seed: int = setting(0, help="seed of the shuffled run and build orders", check=whole(0))
    # (arch, style) pairs the architecture cannot express: found by the sweep's pre-check
    unsupported: tuple[tuple[str, str], ...] = ()
    capabilities: bool = setting(
        True, help="check what each style can do: reload, reuse, export, inspect", boolean=True
    )
    capability_checks: str = setting(
        "all",
        choices=CAPABILITY_CHECK_SETS,
        help="which capability checks run: all, or no-export, every check but the export group "
        "(SavedModel, TFLite, ONNX, int8 quantizing), which takes a large model minutes",
    )
    capability_files: str | None = setting(
        None,
        help="keep the capability checks' files (.keras, SavedModel, TFLite, ONNX) in DIR, "
        "for a later install's --previous-files (default: a temporary directory)",
        parse=str,
    )
    previous_files: str | None = setting(
        None,
        help="load the .keras files that another install kept with --capability-files DIR "
        "in the capability checks' new process, as an upgrade meets them",
        parse=str,
        check=check_previous_files,
    )
    steady_rounds: int = shared.steady_rounds(0, minimum=2, off=True)
    max_processes: int = shared.max_processes(
        1,
        help="the most independent processes of each paired phase per arch (steady and "
        "one-time); a phase stops earlier once its verdicts are decided",
    )
    one_time_processes: int = setting(
        0,
        help="the most processes of each one-time phase per arch (0 = as many as --max-processes)",
        check=whole(0),
    )
    min_processes: int = shared.min_processes(
        1,
        help="the fewest processes of each steady paired phase per arch before it may stop "
        "on its verdicts (a one-time phase may stop after one block)",
    )
    steady_instances: int = setting(
        1,
        help="instances of each style in each steady paired process",
        check=whole(1),
        aliases=("--paired-instances",),
    )
    budget: float | None = shared.budget(
        None,
        help="wall time of the whole sweep (300, 5m, 1h): the runs go first, then the "
        "paired phases while what is left pays for their next processes; a profile's budget "
        "is per backend",
    )
    time_margin: float = shared.time_margin()
    one_time_cycles: int = shared.one_time_cycles(0, minimum=1, off=True)
    one_time_margin: float = shared.one_time_margin()

    def __post_init__(self):
        validate(self)
        for backend in self.backends:
            if not installed(backend):
                raise ConfigError(
                    f"backend {backend!r} is not installed; install it with "
                    f"{install_hint(backend)}, or leave it out of --backend"
                )

    def styles_of(self, arch: str) -> tuple[str, ...]:
        """The sweep's styles that can express `arch`."""
        return tuple(s for s in self.styles if (arch, s) not in set(self.unsupported))

    def reference(self, arch: str) -> str:
        """The style `arch`'s others are compared with (Sequential where it can express it)."""
        return reference_of(self.styles_of(arch) or self.styles)

    def runs(self) -> list[RunSpec]:
        """Every run of the sweep, seed-major, in no particular style order: the three styles
        on every seed, any other form on the first."""
        return [
            RunSpec(
                arch,
                style,
                seed,
                self.backend_settings(backend),
                self.data_dir,
                str(self.init_weights_path(arch, seed)) if self.settings.shared_start else None,
            )
            for backend in self.backends
            for seed in self.seeds
            for arch in self.archs
            for style in self.styles_of(arch)
            # a form beyond the three styles is proven one model with its style, and seeds
            # measure the recipe's spread, not the forms': it trains once, on the first seed
            if style in REQUIRED_STYLES or seed == self.seeds[0]
        ]

    def init_weights_path(self, arch: str, seed: int) -> Path:
        """Where a shared start's initial weights for (arch, seed) are kept."""
        return self.out / INIT_DIR / f"{arch}-seed{seed}.npz"

    def backend_settings(self, backend: str) -> TrainSettings:
        """The sweep's settings for the runs on `backend` (PyTorch takes one step per call)."""
        steps = 1 if backend == "torch" else self.settings.steps_per_execution
        return dataclasses.replace(self.settings, backend=backend, steps_per_execution=steps)

    def steady_specs(self) -> list[SteadySpec]:
        """Every process of the paired phase, per backend process by process, each covering
        every arch; none when the phase is off or there is no reference style to compare with."""
        if not self.steady_rounds:
            return []
        return [
            SteadySpec(
                arch,
                self.styles_of(arch),
                self.seeds[0],
                self.backend_settings(backend),
                self.steady_rounds,
                self.order_seed + process,
                process,
                data_dir=self.data_dir,
                build_order=balanced_build_order(self.styles_of(arch), process, self.order_seed),
                instances=self.steady_instances,
            )
            for backend in self.backends
            for process in range(self.max_processes)
            for arch in self.archs
            if len(self.styles_of(arch)) >= 2
        ]

    def most_processes(self, phase: str) -> int:
        """The most processes of a paired phase ("steady" or "one_time") per arch."""
        return most_processes(phase, self.max_processes, self.one_time_processes)

    def one_time_specs(self) -> list[OneTimeSpec]:
        """Every process of the one-time phase, per backend process by process, each covering
        every arch; none when the phase is off or there is no reference style to compare with."""
        if not self.one_time_cycles:
            return []
        return [
            OneTimeSpec(
                arch,
                self.styles_of(arch),
                self.seeds[0],
                self.backend_settings(backend),
                self.one_time_cycles,
                self.order_seed,
                process,
                data_dir=self.data_dir,
                count=process < COUNTED_PROCESSES,
            )
            for backend in self.backends
            for process in range(self.most_processes("one_time"))
            for arch in self.archs
            if len(self.styles_of(arch)) >= 2
        ]

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "out": str(self.out)}


def most_processes(phase: str, max_processes: int, one_time_processes: int = 0) -> int:
    """The most processes of a paired phase per arch: `--one-time-processes` for the one-time
    phase where it is set, else `--max-processes`."""
    return (phase == "one_time" and one_time_processes) or max_processes


# Each profile is a complete set of defaults; options given on the command line override them.
PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    # CI's end-to-end check: a slice of the data, one epoch, one seed.
    # No paired phase and no capability checks: each is one more framework start-up beside the
    # three runs' (a first run, caches empty, takes about a minute on a 2-core Zen 3-speed CPU).
    "smoke": dict(
        archs=("cnn",),
        seeds=(1,),
        epochs=1,
        train_images=2_048,
        test_images=1_024,
        steady_rounds=0,
        one_time_cycles=0,
        capabilities=False,
    ),
    # Every CNN verdict in three minutes on a quiet fast machine (docs/methodology.md, "What the
    # default run answers"). The styles train to bitwise the same weights, so one seed of whole
    # runs on a tenth of the data shows accuracy and identity; then the paired phases, a Latin
    # square of processes at a time. Proofs (one program, the calls' cost inside the margin)
    # decide the steady steps and most one-time steps after one block; time decides the rest.
    # No capability checks (one more framework start-up).
    "quick": dict(
        archs=("cnn",),
        seeds=(1,),
        epochs=2,
        train_images=6_000,
        test_images=5_000,
        # where proofs decide the steady steps, their timing is a check: 8 rounds keep one
        # block of it inside the budget on the slowest machines seen
        steady_rounds=8,
        max_processes=30,
        # as in the full profile, three Latin squares before a steady phase may stop on its
        # aims: stopping from 3 or 6 covers under 93 % in the coverage simulation
        min_processes=9,
        # one block decides load and (one program, few calls) compile and the first steps; a
        # second and a third, where the budget allows, decide save's noisier cycles and the
        # subclassed build, which sits near the margin (0.89-0.94x of the list-built
        # Sequential's)
        one_time_processes=9,
        one_time_cycles=3,
        # a backend's: the report, and the noise in a block's cost, in the 15 s left
        budget=285.0,
        capabilities=False,
    ),
    # The reference run behind results/: three architectures, three seeds (the styles train to
    # bitwise the same weights, so seeds measure the recipe's spread, not the styles'), the
    # whole data set.
    "full": dict(
        archs=("cnn", "mlp", "resnet"),
        styles=FORMS,  # every style and idiom each architecture is written in
        seeds=(1, 2, 3),
        epochs=6,
        train_images=None,
        test_images=None,
        target_accuracy=0.99,
        # The process is the unit of replication (docs/methodology.md, "Paired timing"). Each
        # steady measure stops once its verdicts are decided, after at least three Latin squares
        # of build orders (nine processes: the coverage simulation's minimum for ≥ 93 %), at
        # most 30 processes. Rounds, instances and cycles per process come from the variance
        # components (docs/methodology.md, "How many processes, rounds and instances").
        steady_rounds=20,
        max_processes=30,
        min_processes=9,
        # The one-time phase may stop after one block (its interval is over cycles); its cap
        # bounds the verdicts that sit near the ±10 % margin, which no affordable number of
        # cycles decides: at 21 processes the simulation's wrong verdicts at no difference stay
        # under 5 % (4.9 % for the CNN's worst column; 30 gives 2.4 %)
        one_time_processes=21,
        # instances of one model in one process run a few per cent apart (single-image latency);
        # two instances per style halve that part of the spread between processes
        steady_instances=2,
        one_time_cycles=6,
    ),
}
COMMON_DEFAULTS: dict[str, Any] = dict(
    styles=REQUIRED_STYLES,
    batch_size=128,
    learning_rate=4e-3,
    validation_split=0.1,
    # Leaves the weights bitwise unchanged and makes the MLP, whose steps are mostly dispatch,
    # faster; no clear difference for the CNN (lab/runs/perf/perf.md has the ratios).
    steps_per_execution=50,
)


def profile_value(profile: str, name: str) -> Any:
    """What `profile` sets `name` to, before options override it (MISSING where nothing does)."""
    for source in (PROFILE_DEFAULTS[profile], COMMON_DEFAULTS):
        if name in source:
            return source[name]
    for cls in (TrainSettings, BenchConfig):
        found = {f.name: f for f in dataclasses.fields(cls)}.get(name)
        if found is not None and found.default is not dataclasses.MISSING:
            return found.default
    return dataclasses.MISSING


def shared_start_default(backends: tuple[str, ...]) -> bool:
    """`--shared-start` where it is not given: on wherever backends are compared."""
    return len(backends) > 1


def make_config(
    profile: str = "quick", out: Path | str = "results", **overrides: Any
) -> BenchConfig:
    """A config from a profile's defaults and explicit overrides (None: unset); ConfigError."""
    if profile not in PROFILE_DEFAULTS:
        raise ConfigError(f"unknown profile {profile!r}; expected one of: {', '.join(PROFILES)}")
    values = {**COMMON_DEFAULTS, **PROFILE_DEFAULTS[profile]}
    if profile == "full":  # the reference run covers every backend this machine has
        values["backends"] = tuple(b for b in BACKENDS if installed(b))
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    backends = values.get("backends") or (DEFAULT_BACKEND,)
    if "budget" not in given and values.get("budget"):
        # each backend trains its own runs and times its own phases: one backend's worth of
        # budget for two would leave the second, and every steady phase, nothing
        values["budget"] *= len(backends)
    values["backend"] = backends[0] if backends else DEFAULT_BACKEND
    if values.get("shared_start") is None:
        values["shared_start"] = shared_start_default(backends)
    setting_names = {f.name for f in dataclasses.fields(TrainSettings)}
    settings = TrainSettings(**{k: v for k, v in values.items() if k in setting_names})
    rest = {k: v for k, v in values.items() if k not in setting_names}
    return BenchConfig(profile=profile, settings=settings, out=Path(out), **rest)
