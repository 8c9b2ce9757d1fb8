"""A steady verdict proven: one program and the same Python calls decide it; anything less leaves
it to the timing, and a timing that disagrees with a proof is said; between two sweeps, a count
that grew and a program that changed are found exactly."""

from bench.analysis.counts import count_changes, program_changes
from bench.analysis.programs import (
    SAME_PROGRAM,
    SAME_WORK,
    program_words,
    proof_warnings,
    with_proofs,
)
from bench.analysis.summary import decided
from tests.factories import counted_record, verdict

SAME = {"train": None, "predict": None}
PROGRAMS = {
    "tensorflow": {
        "cnn": {
            "reference": "sequential",
            "steps": {
                step: {s: {"operations": n, "sha256": "x"} for s in ("sequential", "functional")}
                for step, n in (("train", 445), ("predict", 35))
            },
            "differences": {"functional": SAME},
        }
    },
    "torch": {"cnn": {"eager": "eager"}},
}


def _count(
    measure="train_step", calls=2663, functions=(), exact=True, backend="tensorflow", bound=None
):
    return {
        "bound_ms": bound,
        "backend": backend,
        "arch": "cnn",
        "style": "functional",
        "measure": measure,
        "calls": calls,
        "reference_calls": 2663,
        "exact": exact,
        "functions": list(functions),
    }


def test_one_program_and_the_same_calls_decide_a_steady_verdict_and_keep_its_timing():
    timed = verdict(verdict="inconclusive", half_width=9.0)
    (proven,) = with_proofs([timed], PROGRAMS, [_count()])
    assert (proven.verdict, proven.timing_verdict) == (SAME_PROGRAM, "inconclusive")
    assert decided(proven) and not decided(timed)
    assert proof_warnings([proven]) == []


def test_calls_that_differ_decide_only_where_what_they_can_cost_is_inside_the_margin():
    timed = verdict(verdict="inconclusive", reference_ms=11.0)  # ±3 % of 11 ms: 0.33 ms
    fewer = _count(calls=2645, functions=[["f", 0, 18]], bound=0.05)  # 18 calls, 0.05 ms
    (proven,) = with_proofs([timed], PROGRAMS, [fewer])
    assert proven.verdict == SAME_PROGRAM
    dispatch = _count(calls=2664, functions=[["execute", 1, 0]], bound=4.0)  # compiled work
    assert with_proofs([timed], PROGRAMS, [dispatch]) == [timed]
    # a one-time step: both programs the same and its calls' cost inside ±10 % of its time
    compile_ = verdict(phase="one_time", measure="compile", margin=10.0, reference_ms=4.0)
    (work,) = with_proofs([compile_], PROGRAMS, [_count(measure="compile", bound=0.1)])
    assert (work.verdict, work.timing_verdict) == (SAME_WORK, "equivalent")
    assert with_proofs([compile_], PROGRAMS, [_count(measure="compile", bound=0.5)]) == [compile_]


def test_anything_short_of_a_proof_leaves_the_verdict_to_the_timing():
    timed = verdict(verdict="inconclusive")
    other = {"tensorflow": {"cnn": {**PROGRAMS["tensorflow"]["cnn"]}}}
    other["tensorflow"]["cnn"]["differences"] = {"functional": {"train": "operation 3: Mul"}}
    for programs, counts, entry in (
        (PROGRAMS, [_count(calls=2645)], timed),  # other Python calls
        (PROGRAMS, [_count(functions=[["f", 2, 1]])], timed),  # same total, other functions
        (PROGRAMS, [_count(exact=False)], timed),  # counts that varied
        (PROGRAMS, [], timed),  # not counted
        (other, [_count()], timed),  # another program
        (PROGRAMS, [_count(backend="torch")], verdict(backend="torch")),  # eager: no program
        (PROGRAMS, [_count()], verdict(phase="one_time", measure="build")),  # paid once
    ):
        assert with_proofs([entry], programs, counts) == [entry]


def test_a_timing_beyond_the_margin_against_a_proof_is_a_warning():
    beyond = verdict(verdict="slower, beyond margin", direction="higher", estimate=1.2)
    (proven,) = with_proofs([beyond], PROGRAMS, [_count()])
    (warning,) = proof_warnings([proven])
    assert "same program as sequential (proven by program and calls), but timed slower" in warning


def test_a_program_comparison_reads_as_one_line():
    assert program_words(PROGRAMS["tensorflow"]["cnn"]) == (
        "functional compiles to sequential's program (train 445 ops, predict 35 ops)"
    )
    assert program_words(PROGRAMS["torch"]["cnn"]).startswith("no compiled program")


def _side(build, first_step=(941278,), processes=2):
    calls = {"build": [build] * processes, "first_train_step": list(first_step)}
    return [counted_record({m: {"sequential": v} for m, v in calls.items()})]


def test_a_count_that_grew_is_a_regression_and_an_a_a_shows_no_change():
    assert count_changes(_side(108154), _side(108154)) == []  # A/A
    (grew,) = count_changes(_side(108154), _side(108155))  # one more call where counts are exact
    assert grew["regression"] and (grew["base"], grew["new"]) == (
        [108154, 108154],
        [108155, 108155],
    )
    (fewer,) = count_changes(_side(108154), _side(100000))
    assert not fewer["regression"]
    # a count that varies on a side, or was counted once, must grow by more than 0.1 % of itself
    varied = count_changes(_side(1, (941278, 941281)), _side(1, (941282, 941290)))
    assert [c["regression"] for c in varied] == [False]
    (far,) = count_changes(_side(1, (941278, 941281)), _side(1, (943000, 943100)))
    assert far["regression"]
    (once,) = count_changes(_side(108154, processes=1), _side(108155, processes=1))
    assert not once["regression"]
    (more,) = count_changes(_side(108154, processes=1), _side(108300, processes=1))
    assert more["regression"]


def test_a_program_that_changed_is_named_with_both_sizes():
    new = {"tensorflow": {"cnn": {**PROGRAMS["tensorflow"]["cnn"]}}}
    new["tensorflow"]["cnn"]["steps"] = {
        "train": {"functional": {"operations": 446, "sha256": "y"}},
    }
    assert program_changes(PROGRAMS, new) == [
        {"backend": "tensorflow", "arch": "cnn", "style": "functional", "step": "train"}
        | {"base": 445, "new": 446}
    ]


def test_a_sweep_of_the_reference_alone_has_no_program_row_and_an_eager_backend_says_why():
    from bench.render.tables import program_table

    alone = {**PROGRAMS["tensorflow"]["cnn"], "differences": {}}
    table = program_table({"tensorflow": {"cnn": alone}, "torch": PROGRAMS["torch"]})
    assert table.to_dict("records") == [
        {"backend": "torch", "arch": "cnn", "style": "–", "train step": "eager"}
        | {"predict step": "eager"}
    ]
