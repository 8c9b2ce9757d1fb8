"""The tree shows the flow: small modules, one package per stage, and the process boundary held
(only the worker side and the studies import Keras or a framework)."""

import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
FRAMEWORKS = {"keras", "tensorflow", "jax", "jaxlib", "torch"}
# Where Keras runs: a worker process, or a study that runs Keras in its own process.
FRAMEWORK_SIDE = ("worker", "studies")
STAGES = ("cli", "plan", "sweep", "worker", "store", "analysis", "render", "studies")


def _modules():
    return sorted(BENCH.rglob("*.py"))


def _imported(path: Path) -> set[str]:
    """Every top-level package that `path` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_worker_side_and_the_studies_import_a_framework():
    checked = [p for p in _modules() if p.relative_to(BENCH).parts[0] not in FRAMEWORK_SIDE]
    assert len(checked) > 20, "premise: the sweep's side has modules to check"
    offenders = {
        str(p.relative_to(BENCH)): sorted(_imported(p) & FRAMEWORKS)
        for p in checked
        if _imported(p) & FRAMEWORKS
    }
    assert offenders == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import tensorflow as tf\n    from keras import layers\n")
    assert _imported(module) & FRAMEWORKS == {"tensorflow", "keras"}


def test_bench_has_a_package_per_stage_and_few_modules_at_its_top():
    top = sorted(p.name for p in BENCH.iterdir() if p.suffix == ".py" or p.is_dir())
    packages = [name for name in top if (BENCH / name / "__init__.py").exists()]
    assert set(STAGES) <= set(packages)
    modules = [name for name in top if name.endswith(".py")]
    assert len(modules) + len(packages) <= 2 + len(STAGES), top  # __init__, __main__, stages


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(BENCH)))
def test_every_module_stays_under_400_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines < 400, f"{path.relative_to(BENCH)} has {lines} lines"
