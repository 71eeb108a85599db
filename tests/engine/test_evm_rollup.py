"""Rollup task -> project -> programme -> portfolio, with currency conversion first.

Hand-computed examples (constructed): the point is that a parent's indices come from the
summed PV/EV/AC, never from averaging the children's indices.
"""

from __future__ import annotations

import numpy as np
import pytest

from pmo.engine import evm
from pmo.engine.evm import EvmSeries, compute_evm, convert_currency, iter_compute_evm, rollup
from pmo.errors import ValidationFailed


def two_tasks() -> EvmSeries:
    # Task 0: BAC 1,000,000, EV 400,000 for AC 500,000 (CPI 0.8).
    # Task 1: BAC 1,000, EV 1,000 for AC 500 (CPI 2.0), finished in period 1.
    return EvmSeries.from_arrays(
        pv=[[500_000.0, 1_000_000.0], [1_000.0, 1_000.0]],
        ev=[[400_000.0, np.nan], [1_000.0, np.nan]],
        ac=[[500_000.0, np.nan], [500.0, np.nan]],
    )


def test_project_indices_come_from_sums_not_averages() -> None:
    project = rollup(two_tasks(), [0, 0])
    m = compute_evm(project)
    assert project.bac[0] == 1_001_000.0
    assert m.cpi[0, 0] == pytest.approx(401_000 / 500_500)  # 0.8012, not (0.8 + 2.0) / 2
    assert m.spi[0, 0] == pytest.approx(401_000 / 501_000)
    assert m.eac[0, 0] == pytest.approx(1_001_000 * 500_500 / 401_000)
    assert project.planned_duration[0] == 2.0  # the latest child finish
    assert np.isnan(m.cpi[0, 1])  # not measured


def test_levels_task_project_programme_portfolio() -> None:
    rng = np.random.default_rng(11)
    n_tasks, t = 60, 8
    pv = np.cumsum(rng.integers(0, 50, (n_tasks, t)), axis=1).astype(float) + 1.0
    ev = pv * rng.uniform(0.5, 1.0, (n_tasks, 1))
    ac = ev * rng.uniform(0.8, 1.3, (n_tasks, 1))
    tasks = EvmSeries.from_arrays(pv, ev, ac)
    project_of_task = rng.integers(0, 6, n_tasks)  # unsorted: the np.add.at path
    programme_of_project = np.array([0, 0, 1, 1, 1, 2])
    projects = rollup(tasks, project_of_task, 6)
    programmes = rollup(projects, programme_of_project, 3)
    portfolio = rollup(programmes, [0, 0, 0], 1)
    direct = rollup(tasks, np.zeros(n_tasks, dtype=int), 1)
    for name in ("pv", "ev", "ac", "bac", "planned_duration"):
        np.testing.assert_allclose(getattr(portfolio, name), getattr(direct, name), rtol=1e-12)
    np.testing.assert_allclose(compute_evm(portfolio).es, compute_evm(direct).es, rtol=1e-12)


def test_currency_conversion_happens_before_summing() -> None:
    # Task 0 in EUR (rate 1), task 1 in JPY at 0.0062 EUR/JPY: 1,000,000 JPY = 6,200 EUR.
    tasks = EvmSeries.from_arrays(
        pv=[[1_000.0, 2_000.0], [500_000.0, 1_000_000.0]],
        ev=[[800.0, 2_000.0], [400_000.0, 900_000.0]],
        ac=[[900.0, 2_100.0], [450_000.0, 950_000.0]],
    )
    fx = [1.0, 0.0062]
    project = rollup(tasks, [0, 0], 1, factor=fx)
    assert project.bac[0] == pytest.approx(2_000 + 6_200)
    assert project.ev[0, 1] == pytest.approx(2_000 + 5_580)
    assert project.ac[0, 1] == pytest.approx(2_100 + 5_890)
    np.testing.assert_allclose(
        compute_evm(project).cpi[0], [(800 + 2_480) / (900 + 2_790), 7_580 / 7_990]
    )
    same = rollup(convert_currency(tasks, fx), [0, 0], 1)
    np.testing.assert_array_equal(same.pv, project.pv)
    with pytest.raises(ValidationFailed):
        convert_currency(tasks, [1.0, 0.0])


def test_unmeasured_child_makes_the_parent_unmeasured() -> None:
    tasks = EvmSeries.from_arrays(
        pv=[[10.0, 20.0], [10.0, 20.0]], ev=[[5.0, 10.0], [5.0, np.nan]], ac=[[5.0, 10.0]] * 2
    )
    project = rollup(tasks, [0, 0])
    assert project.ev[0, 0] == 10.0
    assert np.isnan(project.ev[0, 1])


def test_parent_planned_duration_ignores_unbudgeted_children_and_empty_parents() -> None:
    tasks = EvmSeries.from_arrays(
        pv=[[10.0, 20.0, 20.0], [0.0, 0.0, 0.0]], ev=[[0.0] * 3] * 2, ac=[[0.0] * 3] * 2
    )
    assert np.isnan(tasks.planned_duration[1])  # zero budget: no planned duration
    parents = rollup(tasks, [0, 0], 2)
    assert parents.planned_duration[0] == 2.0
    assert np.isnan(parents.planned_duration[1]) and parents.bac[1] == 0.0


def test_bottom_up_etc_rolls_up() -> None:
    tasks = EvmSeries.from_arrays(
        pv=[[10.0], [30.0]], ev=[[5.0], [15.0]], ac=[[6.0], [14.0]], etc=[[6.0], [20.0]]
    )
    m = compute_evm(rollup(tasks, [0, 0]))
    assert m.eac_bottom_up is not None and m.tcpi_eac is not None
    assert m.eac_bottom_up[0, 0] == 46.0
    assert m.tcpi_eac[0, 0] == pytest.approx(20 / 26)


def test_rollup_rejects_bad_parents() -> None:
    with pytest.raises(ValidationFailed):
        rollup(two_tasks(), [0, 3], 2)
    with pytest.raises(ValidationFailed):
        rollup(two_tasks(), [0], 1)
    with pytest.raises(ValidationFailed):
        rollup(two_tasks(), [0.5, 1.0], 2)
    with pytest.raises(ValidationFailed):
        list(iter_compute_evm(two_tasks(), 0))


@pytest.mark.parametrize("grouped", [True, False])
def test_rollup_blocks_with_parents_straddling_them(
    monkeypatch: pytest.MonkeyPatch, grouped: bool
) -> None:
    rng = np.random.default_rng(2)
    n, t = 23, 5
    pv = np.cumsum(rng.integers(0, 9, (n, t)), axis=1).astype(float)
    ev = pv * rng.uniform(0, 1, (n, 1))
    s = EvmSeries.from_arrays(pv, ev, ev * 1.25, bac=pv[:, -1] + 1.0)
    parent = np.sort(rng.integers(0, 5, n)) if grouped else rng.integers(0, 5, n)
    fx = rng.uniform(0.5, 2.0, n)
    monkeypatch.setattr(evm, "_ROLLUP_BLOCK", 3)
    r = rollup(s, parent, 6, factor=fx)
    for g in range(6):
        kids = parent == g
        np.testing.assert_allclose(r.pv[g], (pv[kids] * fx[kids, None]).sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(r.ev[g], (ev[kids] * fx[kids, None]).sum(axis=0), rtol=1e-12)
