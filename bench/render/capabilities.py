"""The decision table of the report: what each style can do, per backend and architecture, the
checks grouped (save and deploy, reuse, export, inspect), each "no" with its reason and remedy."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.render.tables import md
from bench.store.capabilities import (
    CHECK_NAMES,
    CHECK_SETS,
    CROSS_BACKEND,
    GROUPS,
    NO,
    YES,
    group_of,
    label_of,
    outcome_of,
)
from mnist_models import form_order


def _order(check: str) -> tuple[int, int, str]:
    group = GROUPS.index(group_of(check)) if group_of(check) in GROUPS else len(GROUPS)
    return group, CHECK_NAMES.index(check) if check in CHECK_NAMES else len(CHECK_NAMES), check


def _cell(found: dict[str, Any] | None) -> str:
    if found is None:
        return "–"
    outcome = outcome_of(found)
    return f"**{outcome}**" if outcome == NO else outcome


def _describe(model: str) -> str:
    backend, _, arch = model.rpartition("/")
    return f"{arch} on {backend or 'tensorflow'}"


def capability_table(styles: dict[str, dict[str, Any]]) -> tuple[pd.DataFrame, list[str]]:
    """One model's checks as rows, its styles as columns, and a note for each outcome that is
    not yes: the error's first line and the remedy where there is one."""
    ordered = sorted(styles, key=form_order)
    checks = sorted({c for s in ordered for c in styles[s]}, key=_order)
    rows, notes = [], []
    for check in checks:
        row = {"group": group_of(check), "check": label_of(check)}
        for style in ordered:
            found = styles[style].get(check)
            row[style] = _cell(found)
            if found is not None and outcome_of(found) != YES:
                why = " ".join(str(found.get("error") or "").split())[:300].rstrip(".")
                remedy = f" Remedy: {found['remedy']}." if found.get("remedy") else ""
                notes.append(f"{style}, {label_of(check)}: {outcome_of(found)}: {why}.{remedy}")
        rows.append(row)
    return pd.DataFrame(rows), notes


def capability_section(
    capabilities: dict[str, Any],
    environment: dict[str, Any],
    seconds: dict[str, Any],
    unsupported: list[str],
    check_set: str = "all",
) -> list[str]:
    """The report's "What each style can do": one table per backend and architecture, and the
    checks that `check_set` (`--capability-checks`) left out."""
    if not capabilities:
        return []
    keras = environment.get("keras") or "?"
    parts = [
        "\n## What each style can do\n",
        f"Keras {keras}, TensorFlow {environment.get('tensorflow') or '?'}. Each check on a "
        'freshly built model that has made one prediction; "new process" means a worker '
        "that has not imported the model's code until the check says so. Outcomes: yes, no, "
        "not supported (by this backend or Keras), not installed (an optional package), does "
        "not apply (the model lacks what the check needs). A `.keras` file saved on one "
        f"backend and loaded on another is listed under the backend it was saved on "
        f"(`{CROSS_BACKEND}…`).\n",
    ]
    left_out = [label_of(c) for c in CHECK_NAMES if c not in CHECK_SETS.get(check_set, CHECK_NAMES)]
    if left_out:
        parts.append(f"Not run (`--capability-checks {check_set}`): {'; '.join(left_out)}.\n")
    if unsupported:
        parts.append("\n".join(f"- {line}" for line in unsupported) + "\n")
    if len(seconds) > 1:
        checks, loads = (sum(c.get(k, 0) for c in seconds.values()) for k in ("checks", "loads"))
        parts.append(
            f"All {len(seconds)} models' checks took {checks:.0f} s of worker time in the "
            f"building processes and {loads:.0f} s in the new ones.\n"
        )
    for model, styles in capabilities.items():
        table, notes = capability_table(styles)
        cost = seconds.get(model)
        spent = (
            f"The checks took {cost.get('checks', 0):.0f} s of worker time in the building "
            f"process and {cost.get('loads', 0):.0f} s in the new one."
            if cost
            else ""
        )
        spent = spent and spent + "\n"
        parts += [f"\n### {_describe(model)}\n", spent, md(table)]
        if notes:
            parts.append("\n" + "\n".join(f"- {note}" for note in notes) + "\n")
    return parts
