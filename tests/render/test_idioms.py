"""The named architectures' report tells the two Sequential idioms apart by what each model has."""

import pytest

from bench.render.idioms import idiom_of, label

CNN = ["sequential", "sequential_list", "functional", "subclassed"]  # recorded when it used add
MLP = ["sequential", "sequential_add", "functional", "subclassed"]  # its Sequential is a list


@pytest.mark.parametrize(
    "style, styles, idiom",
    [
        ("sequential", CNN, "add"),
        ("sequential_list", CNN, "list"),
        ("sequential", MLP, "list"),
        ("sequential_add", MLP, "add"),
    ],
)
def test_the_built_in_sequential_is_the_idiom_its_architecture_does_not_also_offer(
    style, styles, idiom
):
    assert idiom_of(style, styles) == idiom
    assert label(style, styles) == f"Sequential ({idiom})"


def test_the_other_styles_keep_the_reports_names():
    assert [label(s, CNN) for s in ("functional", "subclassed")] == ["Functional", "subclassed"]


def test_milliseconds_read_as_a_reader_reads_them_and_a_bound_near_zero_keeps_its_sign():
    from bench.render.depth import ms

    assert [ms(-0.04), ms(0.004), ms(2.94), ms(-13.4), ms(1234.0, signed=False)] == [
        "-0.04 ms",
        "+0.00 ms",
        "+2.9 ms",
        "-13 ms",
        "1.23 s",
    ]
