"""The jobs a worker receives: runs and paired processes, and the build orders of the latter."""

import dataclasses

from bench.plan.specs import OneTimeSpec, RunSpec, SteadySpec, balanced_build_order
from tests.factories import SETTINGS


def test_build_orders_are_balanced_over_processes():
    styles = ("sequential", "functional", "subclassed")
    orders = [balanced_build_order(styles, process, order_seed=7) for process in range(12)]
    assert all(sorted(order) == sorted(styles) for order in orders)
    # every 3 consecutive processes: each style once in each position (a Latin square)
    for start in range(0, 12, 3):
        for position in range(3):
            assert {order[position] for order in orders[start : start + 3]} == set(styles)
    # every 6: each of the 6 orders once, so the order effect cancels in the estimate
    assert len(set(orders[:6])) == 6 and orders[6:] == orders[:6]
    assert balanced_build_order(styles, 4, 7) == orders[4]
    firsts = {balanced_build_order(styles, 0, seed)[0] for seed in range(12)}
    assert len(firsts) > 1  # the base order comes from the seed


def test_every_spec_reads_back_what_it_wrote_for_its_worker():
    settings = dataclasses.replace(SETTINGS, backend="jax", jit_compile="on")
    specs = [
        RunSpec("cnn", "functional", 3, settings, init_weights="w.npz"),
        OneTimeSpec("mlp", ("sequential", "subclassed"), 1, settings, cycles=4, process=2),
        SteadySpec(
            "cnn", ("sequential", "functional"), 1, settings, rounds=8, build_order=("functional",)
        ),
    ]
    for spec in specs:
        back = type(spec).from_json(spec.to_json())
        assert back == spec
        assert all(not isinstance(v, list) for v in vars(back).values())  # tuples stay tuples
    assert specs[2].reference == "sequential"
