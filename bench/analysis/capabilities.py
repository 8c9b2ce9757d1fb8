"""Which capability checks changed between two sweeps: what `compare`, the history and the
upgrade A/B report, and what `--fail-on-regression` gates."""

from __future__ import annotations

from typing import Any

from bench.store.capabilities import NO, NOT_SUPPORTED, YES, label_of, outcome_of

# A check that BASE could do and NEW cannot, by the model or by the Keras installed; a missing
# optional package ("not installed") says what the machine lacks, not what Keras does.
LOST = (NO, NOT_SUPPORTED)


def changed_checks(base: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Every (model, style, check) recorded in both `capabilities` whose outcome differs, with
    `regression` true where BASE said yes and NEW no or not supported."""
    changes = []
    for model in sorted(set(base) & set(new)):
        for style in sorted(set(base[model]) & set(new[model])):
            before, after = base[model][style], new[model][style]
            for check in sorted(set(before) & set(after)):
                was, now = outcome_of(before[check]), outcome_of(after[check])
                if was != now:
                    changes.append(
                        {
                            "model": model,
                            "style": style,
                            "check": check,
                            "label": label_of(check),
                            "base": was,
                            "new": now,
                            "error": after[check].get("error"),
                            "regression": was == YES and now in LOST,
                        }
                    )
    return changes


def change_line(change: dict[str, Any]) -> str:
    """One line for a changed check, as the console and the gate print it."""
    why = f" ({change['error']})" if change.get("error") and change["new"] != YES else ""
    return (
        f"{change['model']}/{change['style']} {change['label']}: {change['base']} → "
        f"{change['new']}{why}"
    )
