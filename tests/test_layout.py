"""The tree shows the flow: small modules, one package per stage, imports that follow the data
one way, and the process boundary held (only the worker side imports Keras or a framework)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
FRAMEWORKS = {"keras", "tensorflow", "jax", "jaxlib", "torch"}
STAGES = ("cli", "plan", "sweep", "worker", "store", "analysis", "render")
# What each stage may import of bench's other stages, at any depth of a module:
#   cli → plan → sweep → executors ⇢ worker (a process, never an import)
#   store → analysis → render, read by cli; the sweep reads analysis to stop its phases
MAY_IMPORT = {
    "cli": {"plan", "sweep", "store", "analysis", "render"},
    "plan": set(),
    "sweep": {"plan", "store", "analysis"},
    "worker": {"plan", "store"},
    "store": {"plan"},
    "analysis": {"plan", "store"},
    "render": {"plan", "store", "analysis"},
}


def _modules(root: Path = BENCH) -> list[Path]:
    return sorted(root.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, by its full name, at module level or inside a function;
    `from a import b` counts as both `a` and `a.b`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _imported(path: Path) -> set[str]:
    """Every top-level package that `path` imports."""
    return {name.split(".")[0] for name in _imports(path)}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(path: Path) -> str:
    return path.relative_to(BENCH).parts[0]


def test_only_the_worker_side_imports_a_framework():
    checked = [p for p in _modules() if _stage(p) != "worker"]
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


def test_each_stage_imports_only_the_stages_upstream_of_it():
    crossings = {}
    for path in _modules():
        if path.parent == BENCH:
            continue  # bench/__main__.py hands over to the cli
        stage = _stage(path)
        reached = {name.split(".")[1] for name in _imports(path) if name.startswith("bench.")}
        wrong = reached - MAY_IMPORT[stage] - {stage}
        if wrong:
            crossings[str(path.relative_to(BENCH))] = sorted(wrong)
    assert set(MAY_IMPORT) == set(STAGES)
    assert crossings == {}


def _cycles(root: Path) -> list[str]:
    """The modules under `root` that reach themselves through their imports."""
    modules = {_module_name(p): p for p in _modules(root)}
    edges = {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    cycles = []
    for start in sorted(edges):
        seen, todo = set(), list(edges[start])
        while todo:
            name = todo.pop()
            if name == start:
                cycles.append(start)
                break
            if name not in seen:
                seen.add(name)
                todo.extend(edges[name])
    return cycles


def test_no_two_modules_import_each_other_even_through_others():
    assert "bench.cli.run" in {_module_name(p) for p in _modules()}, "premise: names are found"
    assert _cycles(BENCH) == []


def test_the_cycle_check_finds_a_circle_through_a_third_module(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    package = tmp_path / "bench" / "cli"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from bench.cli.b import f\n")
    (package / "b.py").write_text("def f():\n    from bench.cli import c\n")
    (package / "c.py").write_text("import bench.cli.a\n")
    (package / "d.py").write_text("from bench.cli import a\n")
    assert _cycles(tmp_path / "bench") == ["bench.cli.a", "bench.cli.b", "bench.cli.c"]


def test_bench_has_a_package_per_stage_and_few_modules_at_its_top():
    top = sorted(p.name for p in BENCH.iterdir() if p.suffix == ".py" or p.is_dir())
    packages = [name for name in top if (BENCH / name / "__init__.py").exists()]
    assert set(STAGES) == set(packages)
    modules = [name for name in top if name.endswith(".py")]
    assert len(modules) + len(packages) <= 2 + len(STAGES), top  # __init__, __main__, stages


def test_the_formatter_decides_every_line():
    marked = [
        str(p.relative_to(ROOT))
        for folder in ("bench", "mnist_models", "lab", "tests", "examples")
        for p in _modules(ROOT / folder)
        if "fmt: skip" in p.read_text() or "fmt: off" in p.read_text()
    ]
    marked.remove("tests/test_layout.py")  # the markers' names, above
    assert marked == []


@pytest.mark.parametrize(
    "path", _modules() + _modules(ROOT / "lab"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_module_stays_under_400_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines < 400, f"{path.relative_to(ROOT)} has {lines} lines"
