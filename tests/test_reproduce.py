"""Every directory in results/ is made by the commands its README gives: each command, run with
--dry-run, writes into that directory and plans the settings the directory recorded."""

import contextlib
import io
import json
import re
import shlex
from pathlib import Path

import pytest

import lab.__main__
from bench.cli import main
from bench.render.markdown import as_given
from bench.store.schema import sweep_commands

ROOT = Path(__file__).resolve().parent.parent
READMES = sorted(
    [*(ROOT / "results").glob("**/README.md"), *(ROOT / "lab" / "runs").glob("*/README.md")]
)
# a directory completed by a --resume whose first command was not recorded says so, and names
# the commands it was written by, wherever they wrote
PIECED_TOGETHER = "whose command was not recorded"
# set by the sweep as it runs, not by its command (the pre-check's findings, --resume), and
# paths on the machine that made it: where it was first written, where its files were kept
NOT_PLANNED = {"unsupported", "resume", "out", "capability_files", "previous_files"}


def commands(readme: Path) -> list[list[str]]:
    """The `python -m bench|lab ... --out DIR` commands in `readme`'s code, each as its words
    from the package on (a line that ends in a backslash goes on on the next), less the
    directories of other installs' files, which are not planned; rebuilding a report is not
    one."""
    text = readme.read_text()
    code = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    code += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    found = []
    for block in code:
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True) if re.search(r"-m (bench|lab)\b", line) else []
            words = words[words.index("-m") + 1 :] if "--out" in words else []
            for flag in ("--capability-files", "--previous-files"):
                while flag in words:
                    del words[words.index(flag) : words.index(flag) + 2]
            if words and words[1:2] not in (["report"], ["upgrade"]):
                found.append(words)
    return found


def dry_run(words: list[str]) -> dict:
    """What `python -m WORDS --dry-run` plans."""
    package, *argv = words
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert (main if package == "bench" else lab.__main__.main)([*argv, "--dry-run"]) == 0
    return json.loads(printed.getvalue())["plan"]


def recorded(words: list[str]) -> tuple[dict, dict]:
    """The plan of `words`, and what the directory it writes to recorded under the same keys."""
    plan = dry_run(words)
    argv = words[1:]
    out = ROOT / argv[argv.index("--out") + 1]
    if argv[0] == "ab":
        found = json.loads((out / "ab.json").read_text())
        then = dry_run(["bench", "ab", *found["command"]])
        return (*({k: v for k, v in d.items() if k not in NOT_PLANNED} for d in (plan, then)),)
    if argv[0] == "compare" and (out / "history.json").exists():
        found = json.loads((out / "history.json").read_text())
        return plan, {**found, "sweeps": [s["path"] for s in found["sweeps"]]}
    if argv[0] in ("compare", "depth"):
        return plan, json.loads(
            (out / ("run.json" if argv[0] == "depth" else "compare.json")).read_text()
        )
    sweep = json.loads((out / "sweep.json").read_text())
    config = as_given(sweep["config"], sweep.get("adopted") or {})
    # a setting added after the sweep was recorded (absent from it) had its default's effect
    keep = set(plan["config"]) - NOT_PLANNED
    return {k: v for k, v in plan["config"].items() if k in keep}, config


@pytest.mark.parametrize("readme", READMES, ids=lambda path: str(path.parent.relative_to(ROOT)))
def test_the_readme_commands_plan_what_the_directory_recorded(readme, monkeypatch):
    monkeypatch.chdir(ROOT)
    # a plan is the same whichever backends this machine has installed
    monkeypatch.setattr("bench.plan.config.installed", lambda backend: True)
    found = commands(readme)
    assert found, f"{readme.relative_to(ROOT)} gives no command that made it"
    for words in found:
        out = ROOT / words[words.index("--out") + 1]
        if PIECED_TOGETHER in readme.read_text() and readme.parent not in (out, *out.parents):
            continue
        assert out == readme.parent or readme.parent in out.parents, shlex.join(words)
        if words[0] == "lab":  # a study records its command in its report alone: it plans
            assert dry_run(words)["out"] == str(out.relative_to(ROOT))
            continue
        plan, then = recorded(words)
        shared = set(plan) & set(then)  # a setting not recorded is not compared
        assert shared, shlex.join(words)
        assert {k: then[k] for k in shared} == {k: plan[k] for k in shared}, shlex.join(words)
    sweep = readme.parent / "sweep.json"
    if sweep.exists() and any(
        "--resume" in c for c in sweep_commands(json.loads(sweep.read_text()))
    ):
        assert any("--resume" in words for words in found), "a resumed sweep lists its commands"


def test_the_index_lists_every_directory_with_its_question_and_a_command_that_made_it():
    index = (ROOT / "results" / "README.md").read_text()
    listed = dict(re.findall(r"^- \[(\S+)/\]\(\S+/README\.md\): (.+)$", index, flags=re.M))
    directories = [p for p in sorted((ROOT / "results").iterdir()) if p.is_dir()]
    assert sorted(listed) == [p.name for p in directories]
    for directory in directories:
        readme = (directory / "README.md").read_text()
        assert readme.startswith(f"# {listed[directory.name]}\n"), directory.name
        entry = index[index.index(f"- [{directory.name}/]") :].split("\n- ")[0]
        (command,) = re.findall(r"`python -m (bench [^`]+)`", entry)
        assert shlex.split(command) in commands(directory / "README.md"), directory.name
