"""Whether two sweeps ran on the same kind of machine, and why not when they did not."""

from __future__ import annotations

from typing import Any

# Records older than the fingerprint may hold a matmul peak: this far apart, other hardware.
PEAK_APART = 0.20
FINGERPRINT_KEYS = ("vendor", "family", "model", "stepping", "flags", "cores", "settings")


def machine_differences(base: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why two sweeps' machines differ, one reason a line; [] when alike. Without fingerprints:
    CPU name, cores, bfloat16 and matmul peak ("AMD EPYC" covers several generations)."""
    reasons = []
    fingerprints = base.get("machine"), new.get("machine")
    if all(fingerprints):
        for key in FINGERPRINT_KEYS:
            if fingerprints[0].get(key) != fingerprints[1].get(key):
                reasons.append(f"{key}: {fingerprints[0].get(key)} → {fingerprints[1].get(key)}")
        return reasons
    for key in ("cpu_model", "cpu_cores", "cpu_native_bf16"):
        if key in base and key in new and base[key] != new[key]:
            reasons.append(f"{key}: {base[key]} → {new[key]}")
    peaks = base.get("peak_matmul_gflops"), new.get("peak_matmul_gflops")
    if all(peaks) and abs(peaks[1] / peaks[0] - 1) > PEAK_APART:
        reasons.append(
            f"matmul peak {peaks[0]:.0f} → {peaks[1]:.0f} GFLOP/s, more than "
            f"{100 * PEAK_APART:.0f} % apart"
        )
    return reasons
