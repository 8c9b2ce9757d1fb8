"""The named architectures' report names every form and says how each is written."""

from bench.render.idioms import FORM_WORDS, label
from mnist_models import FORMS


def test_every_form_has_its_reports_name_and_its_words():
    assert [label(f) for f in FORMS] == [
        "Sequential (list)",
        "Functional",
        "subclassed",
        "Functional subclass",
        "Sequential (add)",
        "Sequential (deferred)",
    ]
    assert set(FORM_WORDS) == set(FORMS)


def test_milliseconds_read_as_a_reader_reads_them_and_a_bound_near_zero_keeps_its_sign():
    from bench.render.depth import ms

    assert [ms(-0.04), ms(0.004), ms(2.94), ms(-13.4), ms(1234.0, signed=False)] == [
        "-0.04 ms",
        "+0.00 ms",
        "+2.9 ms",
        "-13 ms",
        "1.23 s",
    ]
