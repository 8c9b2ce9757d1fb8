"""`python -m bench depth` end to end at two small depths and on a named architecture, and its
refusals of bad input."""

import json

import pytest

from bench.plan.specs import REBUILD_ONCE
from bench.store.records import OneTimeRecord
from tests.factories import run_bench

NAMES = ["sequential", "functional", "subclassed", "sequential_add"]  # the family's forms
FORMS = [*NAMES[:3], "functional_subclass", "sequential_add", "sequential_deferred"]


@pytest.mark.mnist
def test_the_depth_study_at_two_depths_writes_its_records_report_counts_and_chart(tmp_path):
    out = tmp_path / "depth"
    done = run_bench(
        "depth",
        "--depths",
        "2,3",
        "--one-time-cycles",
        "2",
        "--steady-rounds",
        "2",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    # the harness's lines only, and the answer among them
    prefixes = (
        "pre-check:",
        "depth ",
        "At 3 layers",
        "The whole one-time start",
        "Per steady",
        "report:",
    )
    assert all(line.startswith(prefixes) for line in unwrapped(done.stdout)), done.stdout
    assert max(map(len, done.stdout.splitlines())) <= 100
    for noise in ("absl::InitializeLog", "oneDNN", "cuda drivers", "tensorflow/core"):
        assert noise not in done.stdout + done.stderr, noise

    records = [
        OneTimeRecord.from_dict(json.loads(line))
        for line in (out / "one_time.jsonl").read_text().splitlines()
    ]
    assert [(r.arch, r.status, r.cycles) for r in records] == [
        ("dense-2", "ok", 2),
        ("dense-3", "ok", 2),
    ]
    assert records[0].warmup_arch is None and records[1].warmup_arch == "dense-2"
    for r in records:
        assert r.styles == [*NAMES, REBUILD_ONCE]
        assert all(len(r.seconds["load"][n]) == 2 for n in r.styles)
        assert set(r.steady["train_step"]) == set(NAMES)  # rebuilt once, it is Sequential
        assert all(len(r.steady["train_step"][n]) == 2 for n in NAMES)
        load = r.python_calls["load"]
        # the patched load adds its layers without a rebuild each: fewer calls, and fewer
        # rebuilds among the functions whose calls differ most
        assert load[REBUILD_ONCE][0] < load["sequential"][0]
        assert r.python_call_differences["load"][REBUILD_ONCE]
        files = r.footprint["keras_bytes"]
        # one model: the same weights saved, names and zip entries a few bytes apart
        assert files["sequential"] == pytest.approx(files["sequential_add"], rel=0.01)
    assert (
        records[1].footprint["keras_bytes"]["functional"][0]
        > records[0].footprint["keras_bytes"]["functional"][0]
    )

    found = json.loads((out / "depth.json").read_text())
    assert found["depths"] == [2, 3] and found["styles"] == [*NAMES, REBUILD_ONCE]
    assert {(r["measure"], r["style"]) for r in found["count_growth"]} >= {
        ("load", REBUILD_ONCE),
        ("build", "sequential_add"),
    }
    readme = (out / "README.md").read_text()
    assert readme.startswith("# Does the style matter") and "At 3 layers" in readme
    assert "## Python calls by depth" in readme and "| load | Sequential, rebuilt once |" in readme
    assert f"--depths 2,3 --one-time-cycles 2 --steady-rounds 2 --out {out}" in readme
    assert (out / "depth.png").stat().st_size > 10_000

    # the report is rewritten from the records alone, to the same analysis
    again = run_bench("depth", "--report-only", "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "depth.json").read_text())["growth"] == found["growth"]
    assert again.stdout.startswith("At 3 layers")


def unwrapped(console: str) -> list[str]:
    """The console's lines as printed before wrapping: a continuation is indented by four."""
    return console.replace("\n    ", " ").splitlines()


@pytest.mark.mnist
def test_a_named_architecture_is_timed_in_every_form_against_its_list_built_sequential(
    tmp_path,
):
    out = tmp_path / "idioms"
    done = run_bench(
        "depth",
        "--arch",
        "mlp",
        "--one-time-cycles",
        "2",
        "--steady-rounds",
        "2",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    lines = unwrapped(done.stdout)
    assert lines[0].startswith(f"pre-check: mlp is one model in {', '.join(FORMS)} ")
    assert lines[1].startswith("mlp: 2 cycles and 2 steady rounds of 6 styles in ")
    assert lines[2].startswith("mlp (") and "Sequential (deferred) +" in lines[2], lines[2]
    assert lines[-1] == f"report: {out / 'README.md'} (data: idioms.json)"
    assert len(lines) == 4, done.stdout

    (record,) = [
        OneTimeRecord.from_dict(json.loads(line))
        for line in (out / "one_time.jsonl").read_text().splitlines()
    ]
    assert (record.arch, record.status, record.warmup_arch) == ("mlp", "ok", None)
    assert record.styles == FORMS
    found = json.loads((out / "idioms.json").read_text())
    assert found["archs"] == ["mlp"] and found["reference"] == {"mlp": "sequential"}
    build = [e for e in found["entries"] if e["measure"] == "build"]
    assert {e["style"] for e in build} == set(FORMS[1:])
    readme = (out / "README.md").read_text()
    assert "| Sequential (list) | Functional |" in readme, readme
    assert "- Sequential (deferred): a list with no `keras.Input`" in readme
    assert f"--arch mlp --one-time-cycles 2 --steady-rounds 2 --out {out}`" in readme

    again = run_bench("depth", "--report-only", "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "idioms.json").read_text())["entries"] == found["entries"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--depths", "5,2"], "increasing depths"),
        (["--depths", "2,x"], "comma-separated whole numbers"),
        (["--depths", "2"], "two or more"),
        (["--one-time-cycles", "1"], "one time cycles must be a whole number >= 2"),
        (["--report-only"], "--report-only needs --out"),
        (["--arch", "cnn,cnn"], "distinct architectures like cnn,mlp"),
        (["--arch", "cnn,nope"], "received 'cnn,nope'"),
        (["--arch", "cnn", "--depths", "2,4"], "received both, pass one"),
    ],
)
def test_bad_depth_input_exits_2_with_one_line(tmp_path, args, message):
    done = run_bench("depth", *args, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
