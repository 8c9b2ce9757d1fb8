"""A sweep's report, rebuilt from its records at will (`python -m bench report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from bench.analysis.metrics import METRICS
from bench.analysis.results import sweep_results
from bench.plan.backends import model_name
from bench.render import plots
from bench.render.answer import answer_chart
from bench.render.markdown import readme, summary_markdown
from bench.store.files import write_atomic, write_json
from bench.store.schema import RESULTS_FILE


def write_report(out: Path, time_margin: float | None = None) -> dict[str, Any]:
    """Regenerates every table and chart in `out` from its records; returns its results.
    Raises ReportError or RecordsFileError as `sweep_results` does."""
    results = sweep_results(out, time_margin)
    records, summary = results["records"], results["summary"]
    margin, one_time_margin = results["time_margin_percent"], results["one_time_margin_percent"]
    paired = results["paired"]
    written = {k: v for k, v in results.items() if k not in ("runs", "records")}
    write_json(out / RESULTS_FILE, written)
    write_atomic(out / "summary.csv", pd.DataFrame(summary["stats"]).to_csv(index=False).encode())
    charts = plots.write_plots(records, out, paired, margin, one_time_margin)
    answer = answer_chart(results)
    if answer is not None:
        plots.save_figure(answer, out / "answer.png")
        charts.insert(0, out / "answer.png")
    if summary["backend_comparisons"]:
        rows = [
            (f"{model_name(c.backend, c.arch)}/{c.style}", METRICS[c.measure].label, c.style, c)
            for c in summary["backend_comparisons"]
        ]
        plots.write_comparison_chart(rows, out / "backends.png", margin, "backend / tensorflow")
        charts.append(out / "backends.png")
    summary_md = summary_markdown(records, summary, results, margin)
    write_atomic(out / "summary.md", summary_md.encode())
    write_atomic(out / "README.md", readme(results, summary_md, charts, out).encode())
    return results
