"""Three or more sweeps in order (`python -m bench compare A B C ...`): how each style's paired
ratio to its reference and its accuracy moved from one to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.analysis.capabilities import changed_checks
from bench.analysis.compare import load_results, style_effects


@dataclass
class History:
    """Each sweep's label, its entries by key, and each step's style-effect changes."""

    sweeps: list[dict[str, Any]] = field(default_factory=list)  # label, path, versions
    ratios: dict[tuple[str, str, str, str], list[dict[str, Any] | None]] = field(
        default_factory=dict
    )  # (backend, arch, style, measure) -> each sweep's paired entry
    accuracy: dict[tuple[str, str, str], list[dict[str, Any] | None]] = field(
        default_factory=dict
    )  # (backend, arch, style) -> each sweep's accuracy statistics
    steps: list[list[dict[str, Any]]] = field(default_factory=list)  # style_effects(i, i + 1)
    checks: list[list[dict[str, Any]]] = field(default_factory=list)  # changed_checks(i, i + 1)


def history(directories: list[Path], margin: float) -> History:
    """Every sweep's results in the order given; raises CompareError as `load_results` does."""
    results = [load_results(d) for d in directories]
    found = History()
    for directory, r in zip(directories, results, strict=True):
        env = r.get("environment") or {}
        found.sweeps.append(
            {
                "path": str(directory),
                "label": f"{directory.name}: TF {env.get('tensorflow')}, Keras {env.get('keras')}",
                "tensorflow": env.get("tensorflow"),
                "keras": env.get("keras"),
                "commit": (env.get("git") or {}).get("commit"),
            }
        )
    n = len(results)
    for i, r in enumerate(results):
        for e in r["paired"]:
            key = (e.backend, e.arch, e.style, e.measure)
            found.ratios.setdefault(key, [None] * n)[i] = e
        for s in r["summary"].get("stats", []):
            if s["metric"] == "test_accuracy":
                key = (s.get("backend", "tensorflow"), s["arch"], s["style"])
                found.accuracy.setdefault(key, [None] * n)[i] = s
    found.checks = [
        changed_checks(
            results[i].get("capabilities") or {}, results[i + 1].get("capabilities") or {}
        )
        for i in range(n - 1)
    ]
    found.steps = [
        style_effects(directories[i], directories[i + 1], results[i], results[i + 1], margin)
        for i in range(n - 1)
    ]
    return found
