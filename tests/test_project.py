"""The README's promises that CI relies on."""

import json
import math
import re
from pathlib import Path

from bench.store.environment import GENERATIONS

ROOT = Path(__file__).resolve().parent.parent


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", section, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_quick_start_is_exactly_two_commands_run_bench_then_tests():
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    assert "python -m bench" in commands[0]
    assert "tox" in commands[1] or "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = _quick_start_commands()[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command.strip() in ci_lines


def _relative_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # code is not a link
    return [
        target.split("#", 1)[0]
        for target in re.findall(r"\]\(([^)\s]+)\)", text)
        if not re.match(r"[a-z]+:", target) and not target.startswith("#")
    ]


def test_every_relative_link_in_the_readme_and_docs_resolves():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(pages) > 5, "premise: the docs exist"
    broken = [
        f"{page.relative_to(ROOT)} → {link}"
        for page in pages
        for link in _relative_links(page)
        if not (page.parent / link).exists()
    ]
    assert broken == []


def test_the_readme_stays_a_front_door():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300


def _first_screen() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n", 2)[2].split("\n## ", 1)[0].strip()


def test_the_first_screen_is_the_answer_in_twelve_lines_each_claim_linked_to_results():
    screen = _first_screen()
    assert len(screen.splitlines()) <= 12
    for claim in screen.split("\n- ")[1:]:
        links = re.findall(r"\]\((results/[^)]+)\)", claim)
        assert links, f"a claim without its results: {claim[:60]}"
        assert all((ROOT / link).exists() for link in links)
        # every figure names its machine, by the generation its report gives
        named = [*GENERATIONS.values(), "model "]
        assert any(generation in claim for generation in named), claim


def test_the_first_screens_milliseconds_are_those_of_the_committed_idioms_study():
    import json
    from types import SimpleNamespace

    from bench.render.depth import difference, ms

    found = json.loads((ROOT / "results" / "idioms" / "idioms.json").read_text())
    entry = {
        (e["measure"], e["style"]): SimpleNamespace(**e)
        for e in found["entries"]
        if e["arch"] == "cnn"
    }
    screen = " ".join(_first_screen().split())
    build = entry["build", "functional"]
    assert build.verdict == "equivalent"
    reference = ms(build.reference_ms, False)
    assert (
        f"builds the CNN as Functional does ({reference}; Functional {difference(build)})" in screen
    )
    for style, words in (
        ("sequential_add", "`model.add` costs"),
        ("sequential_deferred", "Input`"),
    ):
        assert f"{words} {difference(entry['build', style])}" in screen, style
        assert entry["build", style].verdict == "slower, beyond margin"
    load = entry["load", "functional"]
    assert load.verdict == "faster, beyond margin"
    assert f"Functional's {difference(load)} of {ms(load.reference_ms, False)}" in screen


def test_the_first_screens_accuracy_and_steady_figures_are_those_of_the_authoritative_sweep():
    import statistics

    from bench.analysis.programs import SAME_PROGRAM
    from bench.analysis.results import sweep_results

    found = sweep_results(ROOT / "results" / "styles")
    screen = " ".join(_first_screen().split())
    cnn = [r for r in found["runs"] if r["arch"] == "cnn" and r["status"] == "ok"]
    reference = [r for r in cnn if r["style"] == "sequential"]
    others = [r for r in cnn if r["style"] != "sequential"]
    assert others and all(r["identical_to_reference"] for r in others)
    accuracy = 100 * statistics.fmean(r["test_accuracy"] for r in reference)
    forms = len({r["style"] for r in cnn})
    assert f"the CNN {accuracy:.2f} % over {len(reference)} seeds, in all {forms} forms" in screen
    steady = [e for e in found["paired"] if e.phase == "steady"]
    assert steady and all(e.verdict == SAME_PROGRAM for e in steady)
    models = {2: "two", 3: "three"}[len({e.arch for e in steady})]
    assert f"all {len(steady)} step, predict and latency verdicts of {models} models" in screen


def test_the_first_screens_depth_figures_are_those_of_the_committed_depth_study():
    import json

    found = json.loads((ROOT / "results" / "depth" / "depth.json").read_text())
    deepest = max(found["depths"])
    entry = {(e["measure"], e["style"]): e for e in found["at_depth"] if e["depth"] == deepest}

    def seconds(value):
        return f"{abs(value) / 1000:.1f}"

    load, build = entry["load", "functional"], entry["build", "sequential_add"]
    screen = " ".join(_first_screen().split())
    low, high = sorted(abs(v) for v in load["difference_ms_ci95"])
    assert (
        f"at {deepest} Dense layers a Sequential model loads in "
        f"{seconds(load['reference_ms'])} s, Functional {seconds(load['difference_ms'])} s "
        f"[{seconds(low)}, {seconds(high)}] faster"
    ) in screen
    assert load["verdict"] == "faster, beyond margin"
    low, high = build["difference_ms_ci95"]
    assert (
        f"`model.add` builds {seconds(build['difference_ms'])} s [{seconds(low)}, "
        f"{seconds(high)}] slower"
    ) in screen
    assert build["verdict"] == "slower, beyond margin"
    bounds = [
        abs(b)
        for e in entry.values()
        if e["measure"] == "train_step"
        for b in e["difference_ms_ci95"]
    ]
    step = entry["train_step", "functional"]["reference_ms"]
    within = math.ceil(10 * max(bounds)) / 10
    assert f"Every 95 % interval keeps a {step:.0f} ms step within {within:.1f} ms" in screen


def test_every_written_verdict_uses_the_one_vocabulary():
    from bench.analysis.stats import DIFFERENCES

    # the schema-10 form, "<old word>, <kind>", built here so that this file does not hold it
    old = [", ".join(("different", kind)) for kind in DIFFERENCES]
    files = [ROOT / "README.md"] + [
        path
        for folder in ("results", "docs", "bench", "examples", "lab")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".json", ".md", ".csv", ".py"}
    ]
    assert len(files) > 50, "premise: the results and docs exist"
    stale = [str(p.relative_to(ROOT)) for p in files for o in old if o in p.read_text()]
    assert stale == []


def _ab_section() -> str:
    text = (ROOT / "docs" / "compare.md").read_text()
    return text[text.index("## An upgrade judged in pairs") :]


def test_the_ab_figures_in_the_docs_are_those_of_the_committed_runs():
    import json

    ratios, detectable = set(), set()
    for path in [
        *(ROOT / "results").glob("ab-*/ab.json"),
        *(ROOT / "lab" / "runs").glob("ab-*/ab.json"),
    ]:
        found = json.loads(path.read_text())
        detectable.add(f"{found['smallest_detectable_train_step_percent']:.1f} %")
        for e in found["entries"] + found["style_effects"]:
            if e["ci95_low"] is not None:
                ratios.add(f"{e['estimate']:.3f}× [{e['ci95_low']:.3f}, {e['ci95_high']:.3f}]")
    for text in (_ab_section(), (ROOT / "results" / "ab-example" / "README.md").read_text()):
        quoted = re.findall(r"\d\.\d{3}× \[\d\.\d{3}, \d\.\d{3}\]", " ".join(text.split()))
        assert quoted and set(quoted) <= ratios, set(quoted) - ratios
    # the rates, as the study wrote them from the committed records, and the runs' own
    # smallest detectable slowdowns
    study = (ROOT / "lab" / "runs" / "ab-rates" / "README.md").read_text()
    paragraphs = [p for p in _ab_section().split("\n\n") if "tries" in p]
    rates = re.findall(r"\d+\.\d %", " ".join(paragraphs))
    assert rates and all(rate in study or rate in detectable for rate in rates), rates


def test_the_first_screens_real_architectures_are_those_of_results_models():
    import json

    sweep = json.loads((ROOT / "results" / "models" / "sweep.json").read_text())
    adopted = sweep["adopted"]
    screen = " ".join(_first_screen().split())
    layers = sorted(found["layers"] for found in adopted.values())
    assert "five `keras.applications` architectures" in screen and len(adopted) == 5
    assert f"{layers[0]} to {layers[-1]} layers" in screen
    assert all(set(found["proof"].values()) == {"identical"} for found in adopted.values())
    (programs,) = sweep["programs"].values()
    differences = [d for p in programs.values() for d in p["differences"].values()]
    assert differences and all(d == {"train": None, "predict": None} for d in differences)
    branching = [
        a for a, info in sweep["architectures"].items() if "sequential" in info["unsupported"]
    ]
    assert "where four of them branch" in screen and len(branching) == 4


def _committed_intervals() -> list[tuple[float, float, float]]:
    """Every estimate with its 95 % interval that a committed report or record holds."""
    number = r"(\d+\.\d+)×?"
    found = []
    for path in [*(ROOT / "results").rglob("*"), *(ROOT / "lab" / "runs").rglob("*")]:
        if path.suffix in (".md", ".csv"):
            text = " ".join(path.read_text().split())
            # in a sentence, or a table's estimate cell beside its interval cell
            found += re.findall(rf"{number} (?:\| )?\[{number}, {number}\]", text)
        elif path.suffix == ".json":
            found += [
                (e["estimate"], e["ci95_low"], e["ci95_high"])
                for e in _dicts(json.loads(path.read_text()))
                if "estimate" in e and e.get("ci95_low") is not None
            ]
    return [tuple(map(float, triple)) for triple in found]


def _dicts(found):
    if isinstance(found, dict):
        yield found
    for inner in (
        found.values() if isinstance(found, dict) else found if isinstance(found, list) else []
    ):
        yield from _dicts(inner)


def test_every_ratio_with_its_interval_in_the_readme_and_docs_is_a_committed_one():
    committed = _committed_intervals()

    def held(quoted: tuple[str, ...]) -> bool:  # to the quoted figure's own rounding
        tolerance = [0.5 * 10 ** -len(q.split(".")[1]) + 1e-9 for q in quoted]
        return any(
            all(abs(c - float(q)) <= t for c, q, t in zip(triple, quoted, tolerance, strict=True))
            for triple in committed
        )

    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    quoted = [
        (page.name, figure)
        for page in pages
        for figure in re.findall(
            r"(\d+\.\d+)× \[(\d+\.\d+), (\d+\.\d+)\]", " ".join(page.read_text().split())
        )
    ]
    assert len(quoted) > 40, "premise: the docs quote their ratios"
    assert [q for q in quoted if not held(q[1])] == []
