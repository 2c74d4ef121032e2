"""GridSampler on grids too large to enumerate: the visiting order is never materialised."""

from __future__ import annotations

import tracemalloc

import pytest

import hyperdial
from hyperdial.samplers import GridSampler
from hyperdial.samplers._grid import _EAGER_LIMIT, _LazyOrder


@pytest.mark.parametrize("n", [1, 2, 3, 5, 16, 17, 1000, 4099])
@pytest.mark.parametrize("seed", [0, 7])
def test_lazy_order_is_a_permutation(n: int, seed: int) -> None:
    order = _LazyOrder(n, seed)
    assert sorted(order[i] for i in range(n)) == list(range(n))


def test_lazy_order_depends_on_the_seed() -> None:
    n = 1000
    assert [_LazyOrder(n, 1)[i] for i in range(20)] != [_LazyOrder(n, 2)[i] for i in range(20)]


def test_a_grid_of_a_billion_points_allocates_no_order() -> None:
    space = {f"p{i}": list(range(10)) for i in range(9)}  # 10**9 points
    tracemalloc.start()
    try:
        sampler = GridSampler(space, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sampler.n_points == 10**9 > _EAGER_LIMIT
    assert peak < 1 << 20  # the eager permutation would take 8 GB

    study = hyperdial.create_study(sampler=sampler)
    study.optimize(lambda t: sum(t.suggest_int(f"p{i}", 0, 9) for i in range(9)), n_trials=30)
    points = [tuple(t.params[f"p{i}"] for i in range(9)) for t in study.trials]
    assert len(set(points)) == 30


def test_a_grid_larger_than_any_integer_type_still_works() -> None:
    space = {f"p{i}": [0, 1] for i in range(80)}  # 2**80 points
    sampler = GridSampler(space, seed=3)
    study = hyperdial.create_study(sampler=sampler)
    study.optimize(lambda t: sum(t.suggest_int(f"p{i}", 0, 1) for i in range(80)), n_trials=5)
    assert len({tuple(sorted(t.params.items())) for t in study.trials}) == 5


def test_small_grids_keep_the_numpy_order() -> None:
    # Grids up to _EAGER_LIMIT points keep the order of one NumPy permutation, as before.
    import numpy as np

    sampler = GridSampler({"x": list(range(50))}, seed=11)
    study = hyperdial.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_int("x", 0, 49), n_trials=10)
    want = np.random.default_rng(11).permutation(50)[:10].tolist()
    assert [t.params["x"] for t in study.trials] == want
