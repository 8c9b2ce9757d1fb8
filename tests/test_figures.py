"""README.md's and docs/'s prose: every measurement it states has a committed record behind it,
and no sentence runs past fifty words.

A measurement is a figure with its unit (ms, s, min, %, ×, points) in a sentence or a table,
each end of a range among them. Its record is the directory under results/ or lab/runs/ that the
sentence links, or else its paragraph, an earlier paragraph of its section, or the page's opening
(before its first section). The figure must appear there, as a report writes it, or as a
recorded number that rounds to it whose key names it a time, a percentage or an accuracy. A
projection says "projected" and takes its figures from lab/projections.json, which this test
recomputes. Margins (±), interval levels, code, image shapes and the settings in `SETTINGS` are
not measurements.
"""

import bisect
import functools
import json
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FIGURE = re.compile(
    r"(?<![\w.\[/±+−-])(\d[\d,]*(?:\.\d+)?)\s?(ms|s|min|minutes|%|×|points)(?![\w\d])"
)
# the first figure of a range, "94.5–98.6 %", with the unit its second one has
RANGE = re.compile(
    r"(?<![\w.\[/±+−-])(\d[\d,]*(?:\.\d+)?)–(?=\d[\d,]*(?:\.\d+)?\s?(ms|s|min|minutes|%|×|points|pt)(?![\w\d]))"
)
ITEMS = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*]|\d+\.) )|\n(?=#)")  # paragraphs, items, headings
SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*\[(])")
LINK = re.compile(r"\]\((?:\.\./)?((?:results|lab/runs)/[^)#\s]+)\)")
# a time in these units, per second
SCALES = {"ms": 1000.0, "s": 1.0, "min": 1 / 60, "minutes": 1 / 60}
# what a record's key says its numbers are, by the words in it; the first that fits
KINDS = {
    "seconds": ("seconds",),
    "ms": ("_ms",),
    "percent": ("percent",),
    "fraction": ("accuracy",),
}
UNITS = {"minutes": "min", "points": "pt"}  # as a report writes the unit
# settings, limits and rules the pages state, which no run measures
SETTINGS = (
    "4 min 45 s",
    "14 min 15 s",
    "9 min 30 s",
    "30 minutes",
    "50 ms",
    "100 ms / 1 s",
    "over 10 %",
    "last 10 %",
    "99 %",
    "0.1 %",
    "20 % apart",
    "50 %",
    "0.05 makes",
    "A 5 % slower",
    "10 minutes",
    "10 % slower builds",
    "peak learning rate",
    "15 minutes aimed at",
    "planted 5 %",
    "the growth 1.27× apart",
    "5 % found in 9 of 10",
    "0.4–0.6 s a round whatever the machine",
)
NOT_MEASURED = re.compile("|".join(map(re.escape, SETTINGS)))
PROJECTIONS = ROOT / "lab" / "projections.json"


def _numbers(found, kind="other"):
    """(kind, value) for every number in a record, its kind one of `KINDS` where a key on its
    path names it, else "other"; and ("text", string) for every string."""
    if isinstance(found, bool):
        return
    if isinstance(found, str):
        yield "text", found
    elif isinstance(found, int | float):
        yield kind, float(found)
    elif isinstance(found, list):
        for inner in found:
            yield from _numbers(inner, kind)
    elif isinstance(found, dict):
        for key, inner in found.items():
            named = next((k for k, words in KINDS.items() if any(w in key for w in words)), kind)
            yield from _numbers(inner, named)


@functools.cache
def _record(link: str) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """A linked directory's figures as its reports write them, by unit, and every number of its
    records, by kind (`_numbers`)."""
    directory = ROOT / link
    directory = directory if directory.is_dir() else directory.parent
    written, numbers = defaultdict(set), defaultdict(set)
    for path in sorted(directory.rglob("*")):
        if path.suffix in (".md", ".csv"):
            page = path.read_text()
            for unit, figure in _table_cells(page):
                written[unit].add(figure)
            text = " ".join(page.split())
            _written(text, written)
            # a ratio in a table's cell, its unit in the column's name
            for figure in re.findall(r"(\d+\.\d+) \[", text):
                written["×"].add(float(figure))
        elif path.suffix in (".json", ".jsonl"):
            whole = path.read_text()
            for line in whole.splitlines() if path.suffix == ".jsonl" else [whole]:
                for kind, found in _numbers(json.loads(line)):
                    if kind == "text":  # a record's words, as a report would write them
                        _written(found, written)
                    else:
                        numbers[kind].add(found)
    return (
        {unit: sorted(v) for unit, v in written.items()},
        {kind: sorted(v) for kind, v in numbers.items()},
    )


def _written(text: str, written: dict[str, set[float]]) -> None:
    """Adds each figure `text` writes with its unit to `written`."""
    for figure, unit in re.findall(r"(\d[\d,]*(?:\.\d+)?) ?(ms|s|min|%|×|pt)(?!\w)", text):
        written[unit].add(float(figure.replace(",", "")))
    for figure, unit in RANGE.findall(text):
        written[UNITS.get(unit, unit)].add(float(figure.replace(",", "")))


def _figures(text: str) -> list[tuple[str, str]]:
    """Every figure with its unit in `text`, both ends of a range among them."""
    return FIGURE.findall(text) + RANGE.findall(text)


def _table_cells(text: str):
    """(unit, figure) of each Markdown table cell whose column's header names its unit."""
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if not header:
            header = [(re.findall(r"(?:^| )(ms|s|min|%)(?= |\[|$)", c) or [None])[0] for c in cells]
            continue
        for unit, cell in zip(header, cells, strict=False):
            figure = re.match(r"[+-]?\d[\d,]*(?:\.\d+)?", cell)
            if unit and figure:
                yield unit, abs(float(figure.group().replace(",", "")))


def _near(numbers: list[float], low: float, high: float) -> bool:
    i = bisect.bisect_left(numbers, low)
    return i < len(numbers) and numbers[i] <= high


def _held(link: str, figure: str, unit: str) -> bool:
    """Whether the directory `link` names holds `figure` (in `unit`) to its rounding: as its
    reports write it, in that unit, or as a recorded number its key names as a time, a
    percentage or an accuracy."""
    written, numbers = _record(link)
    value = float(figure.replace(",", ""))
    tolerance = 0.5 * 10 ** -len(figure.partition(".")[2]) + 1e-9
    if _near(written.get(UNITS.get(unit, unit), []), value - tolerance, value + tolerance):
        return True
    low, high = value - tolerance, value + tolerance
    if unit in SCALES:
        seconds, ms = numbers.get("seconds", []), numbers.get("ms", [])
        scale = SCALES[unit]
        return _near(seconds, low / scale, high / scale) or _near(
            ms, low / scale * 1000, high / scale * 1000
        )
    if unit == "%":
        fractions = numbers.get("fraction", [])
        return _near(numbers.get("percent", []), low, high) or _near(
            fractions, low / 100, high / 100
        )
    return False


def _projected() -> set[str]:
    """The figures lab/projections.json gives, each checked against its inputs."""
    figures = set()
    for name, projection in json.loads(PROJECTIONS.read_text()).items():
        inputs = projection["inputs"]
        result = eval(projection["formula"], {}, dict(inputs))  # arithmetic of our own file
        decimals = len(str(projection["result"]).partition(".")[2])
        assert round(result, decimals) == projection["result"], name
        figures |= {f"{v:g}" for v in inputs.values()}
        figures |= {f"{projection['result']:g}", f"{round(projection['result']):g}"}
    return figures


def prose(page: Path) -> list[str]:
    """The page's paragraphs, list items and headings, each on one line, code blocks left out."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return [" ".join(item.split()) for item in ITEMS.split(text)]


def measurements() -> list[tuple[str, str, str, list[str]]]:
    """(page, figure, unit, the links that hold its record) for every measurement stated."""
    found = []
    for page in PAGES:
        items = prose(page)
        first = next((i for i, item in enumerate(items) if item.startswith("## ")), len(items))
        opening = [link for item in items[:first] for link in LINK.findall(item)]
        section: list[str] = []
        for item in items:
            if item.startswith("#"):
                section = []
                continue
            links = LINK.findall(item)
            for sentence in SENTENCES.split(item):
                words = re.sub(r"`[^`]*`|\]\([^)]*\)|\d+ × \d+( × \d+)?", "]", sentence)
                for figure, unit in _figures(NOT_MEASURED.sub("", words)):
                    if unit == "%" and figure in ("95", "90"):
                        continue  # an interval's level
                    held = LINK.findall(sentence) or links or section or opening
                    kind = "projected" if "projected" in sentence else "measured"
                    found.append((page.name, f"{figure} {unit}", kind, held))
            section = section + links
    return found


def test_every_measurement_in_the_readme_and_docs_is_held_by_its_linked_record():
    stated = measurements()
    assert len(stated) > 150, "premise: the pages state their measurements"
    projected = _projected()
    unheld = [
        f"{page}: {figure} (records: {', '.join(links) or 'none linked'})"
        for page, figure, kind, links in stated
        if not (
            (kind == "projected" and figure.split()[0] in projected)
            or any(_held(link, *figure.split()) for link in links)
        )
    ]
    assert unheld == []


def test_no_sentence_in_the_readme_or_docs_runs_past_fifty_words():
    sentences = [
        (page.name, sentence)
        for page in PAGES
        for item in prose(page)
        if not item.startswith("|")
        for sentence in SENTENCES.split(re.sub(r"\]\([^)]*\)", "]", item))
    ]
    assert len(sentences) > 500, "premise: the pages are read as sentences"
    assert [f"{name}: {s[:80]}" for name, s in sentences if len(s.split()) > 50] == []
