"""EVM formulas and earned-value techniques, against worked examples.

Every example says where its numbers come from. Where no published example could be quoted
exactly, the example is constructed and hand-computed, and says so.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pmo.engine.evm import (
    EvMethod,
    EvmSeries,
    TaskProgress,
    compute_evm,
    cost_performance_index,
    cost_variance,
    eac_bottom_up,
    eac_composite,
    eac_cpi,
    earned_fraction,
    earned_fractions,
    estimate_to_complete,
    milestone_fraction,
    safe_divide,
    schedule_performance_index,
    schedule_variance,
    tcpi_to_bac,
    tcpi_to_eac,
    variance_at_completion,
    weighted_milestone_fractions,
)
from pmo.errors import ValidationFailed

# Published illustrative example: Intuit QuickBooks Canada, "Using earned value management"
# (quickbooks.intuit.com/ca/resources/running-a-business/using-earned-value-management): a
# year-long project with a budget of $100,000, six months in: PV $55,000, AC $45,000, 50 %
# complete so EV $50,000; the page gives SV -$5,000, SPI 0.91, CV $5,000, CPI 1.11 and
# EAC = BAC/CPI = $90,000. ETC, VAC, the composite EAC and the TCPIs are not on the page:
# they are hand-computed here from the same numbers.
BAC, PV, EV, AC = 100_000.0, 55_000.0, 50_000.0, 45_000.0


def test_published_example_variances_and_indices() -> None:
    assert float(schedule_variance(EV, PV)) == -5_000.0
    assert float(cost_variance(EV, AC)) == 5_000.0
    assert round(float(schedule_performance_index(EV, PV)), 2) == 0.91
    assert round(float(cost_performance_index(EV, AC)), 2) == 1.11
    cpi = cost_performance_index(EV, AC)
    assert float(eac_cpi(BAC, cpi)) == pytest.approx(90_000.0, rel=1e-12)


def test_hand_computed_forecasts_from_the_published_example() -> None:
    cpi = cost_performance_index(EV, AC)  # 10/9
    spi = schedule_performance_index(EV, PV)  # 10/11
    eac = eac_cpi(BAC, cpi)  # 90,000
    assert float(estimate_to_complete(eac, AC)) == pytest.approx(45_000.0)
    assert float(variance_at_completion(BAC, eac)) == pytest.approx(10_000.0)
    # AC + (BAC - EV)/(CPI x SPI) = 45,000 + 50,000 x 99/100 = 94,500
    assert float(eac_composite(BAC, EV, AC, cpi, spi)) == pytest.approx(94_500.0)
    # TCPI to BAC = 50,000 / 55,000
    assert float(tcpi_to_bac(BAC, EV, AC)) == pytest.approx(10 / 11)
    # Bottom-up: ETC of 60,000 -> EAC 105,000; TCPI to that EAC = 50,000 / 60,000
    eac_bu = eac_bottom_up(AC, 60_000.0)
    assert float(eac_bu) == 105_000.0
    assert float(tcpi_to_eac(BAC, EV, AC, eac_bu)) == pytest.approx(5 / 6)


def test_tcpi_to_eac_against_bac_over_cpi_is_cpi() -> None:
    # (BAC - EV)/(BAC/CPI - AC) = CPI: why TCPI to EAC is only reported against a bottom-up EAC.
    cpi = cost_performance_index(EV, AC)
    assert float(tcpi_to_eac(BAC, EV, AC, eac_cpi(BAC, cpi))) == pytest.approx(float(cpi))


def test_compute_evm_matches_the_formulas_on_the_published_example() -> None:
    # One entity, two periods: period 2 is the status period of the example.
    s = EvmSeries.from_arrays(
        [27_500.0, PV], [20_000.0, EV], [19_000.0, AC], bac=[BAC], etc=[[80_000.0, 60_000.0]]
    )
    m = compute_evm(s)
    assert m.sv[0, 1] == -5_000.0 and m.cv[0, 1] == 5_000.0
    assert m.eac[0, 1] == pytest.approx(90_000.0)
    assert m.etc[0, 1] == pytest.approx(45_000.0)
    assert m.vac[0, 1] == pytest.approx(10_000.0)
    assert m.eac_composite[0, 1] == pytest.approx(94_500.0)
    assert m.tcpi[0, 1] == pytest.approx(10 / 11)
    assert m.eac_bottom_up is not None and m.tcpi_eac is not None
    assert m.eac_bottom_up[0, 1] == 105_000.0
    assert m.tcpi_eac[0, 1] == pytest.approx(5 / 6)


def test_division_by_zero_is_nan_not_inf() -> None:
    assert math.isnan(float(schedule_performance_index(0.0, 0.0)))  # nothing planned yet
    assert math.isnan(float(schedule_performance_index(5.0, 0.0)))  # started before plan
    assert math.isnan(float(cost_performance_index(5.0, 0.0)))  # nothing spent
    assert math.isnan(float(eac_cpi(100.0, 0.0)))  # EV = 0: CPI = 0
    assert math.isnan(float(eac_cpi(100.0, cost_performance_index(0.0, 0.0))))
    assert math.isnan(float(tcpi_to_bac(100.0, 40.0, 100.0)))  # budget exactly spent
    assert float(tcpi_to_bac(100.0, 40.0, 120.0)) == -3.0  # overspent: BAC unattainable
    assert math.isnan(float(eac_composite(100.0, 0.0, 10.0, 0.0, 0.0)))
    out = safe_divide(np.array([1.0, 0.0, np.nan, 2.0]), np.array([0.0, 0.0, 1.0, 4.0]))
    np.testing.assert_array_equal(out, [np.nan, np.nan, np.nan, 0.5])


def test_not_measured_periods_are_nan() -> None:
    s = EvmSeries.from_arrays([10.0, 20.0, 30.0], [8.0, np.nan, np.nan], [9.0, np.nan, np.nan])
    m = compute_evm(s)
    for name, arr in m.entity(0).items():
        if name != "pv" and name != "at":
            assert np.isnan(arr[1:]).all(), name


# --- earned value techniques ---------------------------------------------------------------
# PMI Practice Standard for EVM (2nd ed.) / Fleming & Koppelman describe the methods;
# the cases below are hand-made.


@pytest.mark.parametrize(
    ("method", "progress", "expected"),
    [
        (EvMethod.PHYSICAL_PERCENT_COMPLETE, TaskProgress(percent_complete=37.5), 0.375),
        (EvMethod.PHYSICAL_PERCENT_COMPLETE, TaskProgress(percent_complete=0.0), 0.0),
        (EvMethod.ZERO_HUNDRED, TaskProgress(started=True), 0.0),
        (EvMethod.ZERO_HUNDRED, TaskProgress(started=True, finished=True), 1.0),
        (EvMethod.FIFTY_FIFTY, TaskProgress(), 0.0),
        (EvMethod.FIFTY_FIFTY, TaskProgress(started=True), 0.5),
        (EvMethod.FIFTY_FIFTY, TaskProgress(started=True, finished=True), 1.0),
        (EvMethod.PHYSICAL_PERCENT_COMPLETE, TaskProgress(percent_complete=80, finished=True), 1.0),
    ],
)
def test_earned_fraction(method: EvMethod, progress: TaskProgress, expected: float) -> None:
    assert earned_fraction(method, progress) == expected


def test_weighted_milestones() -> None:
    # Hand-made: milestones weighted 10/30/60 %, the first two achieved -> 40 % earned.
    weights = (10.0, 30.0, 60.0)
    progress = TaskProgress(started=True, milestones_done=(True, True, False))
    assert earned_fraction("weighted_milestones", progress, weights) == pytest.approx(0.4)
    assert milestone_fraction(weights, (False, False, False)) == 0.0
    flat = weighted_milestone_fractions(
        task=[0, 0, 0, 2], weight=[10, 30, 60, 5], done=[True, True, False, True], n_tasks=3
    )
    np.testing.assert_allclose(flat, [0.4, np.nan, 1.0])


def test_earned_fraction_rejects_bad_progress() -> None:
    with pytest.raises(ValidationFailed):
        earned_fraction(EvMethod.PHYSICAL_PERCENT_COMPLETE, TaskProgress(percent_complete=120))
    with pytest.raises(ValidationFailed):
        earned_fraction(EvMethod.PHYSICAL_PERCENT_COMPLETE, TaskProgress())
    with pytest.raises(ValidationFailed):
        earned_fraction(EvMethod.WEIGHTED_MILESTONES, TaskProgress(milestones_done=(True,)), ())
    with pytest.raises(ValidationFailed):
        milestone_fraction((1.0, 2.0), (True,))
    with pytest.raises(ValidationFailed, match="unknown earned value method"):
        earned_fraction("25/75", TaskProgress())


def test_earned_fractions_vectorised_matches_scalar() -> None:
    methods = ["percent_complete", "0/100", "50/50", "weighted_milestones", "50/50", "0/100"]
    started = [True, True, True, True, False, True]
    finished = [False, False, False, False, False, True]
    pct = [42.0, np.nan, np.nan, np.nan, np.nan, np.nan]
    share = [np.nan, np.nan, np.nan, 0.25, np.nan, np.nan]
    got = earned_fractions(
        methods, started=started, finished=finished, percent_complete=pct, milestone_share=share
    )
    np.testing.assert_allclose(got, [0.42, 0.0, 0.5, 0.25, 0.0, 1.0])
    with pytest.raises(ValidationFailed):
        earned_fractions(
            ["percent_complete"],
            started=[True],
            finished=[False],
            percent_complete=[101.0],
            milestone_share=[np.nan],
        )
    with pytest.raises(ValidationFailed):
        earned_fractions(
            ["75/25"], started=[True], finished=[False], percent_complete=[0], milestone_share=[0]
        )


def test_series_validation_names_the_bad_cell() -> None:
    with pytest.raises(ValidationFailed) as exc:
        EvmSeries.from_arrays([[10.0, 20.0, 15.0]], [[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    assert exc.value.errors[0].path == ("pv", 0, 2)
    with pytest.raises(ValidationFailed) as exc:
        EvmSeries.from_arrays([[10.0, 20.0]], [[1.0, -2.0]], [[1.0, 2.0]])
    assert exc.value.errors[0].path == ("ev", 0, 1)
    with pytest.raises(ValidationFailed) as exc:
        EvmSeries.from_arrays([[10.0, 20.0]], [[1.0, 2.0]], [[1.0, 2.0]], bac=[15.0])
    assert exc.value.errors[0].path == ("bac", 0)
    with pytest.raises(ValidationFailed):
        EvmSeries.from_arrays([[10.0, 20.0]], [[1.0, 2.0, 3.0]], [[1.0, 2.0]])
    with pytest.raises(ValidationFailed):
        EvmSeries.from_arrays([[10.0, np.nan]], [[1.0, 2.0]], [[1.0, 2.0]])
