"""Earned schedule (Lipke 2003), its indicators and its conventions.

Lipke, "Schedule is Different" (The Measurable News, 2003), illustrates ES with a plan over
months J..N and a status at the end of July (AT = 7) whose EV lies between the cumulative PV
of May and of June: ES = 5 + (EV - PV_May)/(PV_June - PV_May). The paper's figure gives no
amounts, so the amounts below are constructed (hand-computed) on that layout.
"""

from __future__ import annotations

import numpy as np
import pytest

from pmo.engine.evm import (
    NUMBA_MIN_CELLS,
    EvmSeries,
    _es_numba,
    _es_numpy,
    actual_time,
    compute_evm,
    earned_schedule,
    ieac_t,
    ieac_t_pf,
    planned_duration_from_pv,
    spi_t,
    tspi,
)

# Constructed plan: 10 months, BAC 2,000 (cumulative PV at the end of each month).
PLAN = [100.0, 250.0, 450.0, 700.0, 1000.0, 1300.0, 1550.0, 1750.0, 1900.0, 2000.0]


def test_lipke_layout_es_at_end_of_july() -> None:
    # EV 1,120 at the end of July: PV_May = 1,000 <= 1,120 < PV_June = 1,300, so C = 5 and
    # ES = 5 + 120/300 = 5.4 months; AT = 7.
    ev = [80.0, 200.0, 350.0, 520.0, 700.0, 900.0, 1120.0, np.nan, np.nan, np.nan]
    es = earned_schedule(PLAN, ev, 2000.0, 10.0)
    assert es[6] == pytest.approx(5.4)
    # earlier months, hand-computed the same way
    np.testing.assert_allclose(
        es[:6], [0.8, 1 + 100 / 150, 2 + 100 / 200, 3 + 70 / 250, 4, 4 + 200 / 300]
    )
    assert np.isnan(es[7:]).all()

    at = 7.0
    assert float(spi_t(5.4, at)) == pytest.approx(5.4 / 7)  # 0.771
    assert float(ieac_t(10.0, spi_t(5.4, at))) == pytest.approx(70 / 5.4)  # 12.96 months
    assert float(ieac_t_pf(at, 10.0, 5.4)) == pytest.approx(11.6)  # PF = 1
    assert float(ieac_t_pf(at, 10.0, 5.4, spi_t(5.4, at))) == pytest.approx(70 / 5.4)
    assert float(tspi(10.0, 5.4, at, 10.0)) == pytest.approx(4.6 / 3)  # to PD
    assert float(tspi(10.0, 5.4, at, 13.0)) == pytest.approx(4.6 / 6)  # to ED = 13


def test_compute_evm_time_measures_on_the_lipke_layout() -> None:
    ev = [80.0, 200.0, 350.0, 520.0, 700.0, 900.0, 1120.0, np.nan, np.nan, np.nan]
    ac = [90.0, 220.0, 400.0, 600.0, 800.0, 1000.0, 1250.0, np.nan, np.nan, np.nan]
    m = compute_evm(EvmSeries.from_arrays(PLAN, ev, ac), estimated_duration=[13.0])
    j = 6
    assert m.planned_duration[0] == 10.0
    assert m.at[0, j] == 7.0
    assert m.es[0, j] == pytest.approx(5.4)
    assert m.sv_t[0, j] == pytest.approx(-1.6)
    assert m.spi_t[0, j] == pytest.approx(5.4 / 7)
    assert m.ieac_t[0, j] == pytest.approx(70 / 5.4)
    assert m.ieac_t_pf[0, j] == pytest.approx(11.6)
    assert m.tspi[0, j] == pytest.approx(4.6 / 3)
    assert m.tspi_ed is not None and m.tspi_ed[0, j] == pytest.approx(4.6 / 6)
    assert m.spi[0, j] == pytest.approx(1120 / 1550)


def test_late_finish_spi_goes_to_one_but_spi_t_does_not() -> None:
    # Lipke's motivation for ES: a project finishing late ends with SV = 0 and SPI = 1, while
    # SV(t) and SPI(t) keep the delay. Constructed: the plan above, done at month 12.
    ev = [80, 200, 350, 520, 700, 900, 1120, 1350, 1580, 1780, 1930, 2000, 2000, 2000]
    pv = [*PLAN, 2000.0, 2000.0, 2000.0, 2000.0]
    m = compute_evm(EvmSeries.from_arrays(pv, ev, ev))
    assert m.planned_duration[0] == 10.0  # PV reaches BAC at month 10
    j = 11  # month 12
    assert m.sv[0, j] == 0.0 and m.spi[0, j] == 1.0
    assert m.es[0, j] == 10.0  # ES = PD at completion
    assert m.at[0, j] == 12.0
    assert m.sv_t[0, j] == -2.0
    assert m.spi_t[0, j] == pytest.approx(10 / 12)
    assert m.ieac_t[0, j] == pytest.approx(12.0)  # the actual duration
    # After completion AT stays at the actual duration: the final SPI(t) = PD / AD.
    np.testing.assert_array_equal(m.at[0, 12:], [12.0, 12.0])
    np.testing.assert_allclose(m.spi_t[0, 12:], [10 / 12, 10 / 12])
    # Month 11: EV 1,930 between PV_9 = 1,900 and PV_10 = 2,000 -> ES = 9.3.
    assert m.es[0, 10] == pytest.approx(9.3)


def test_es_capped_at_pd_and_after_the_planned_finish() -> None:
    # EV reaching BAC before PD: ES = PD at that period (Lipke's completion convention).
    pv = [25.0, 50.0, 75.0, 100.0]
    es = earned_schedule(pv, [50.0, 100.0, 100.0, 100.0], 100.0, 4.0)
    np.testing.assert_array_equal(es, [2.0, 4.0, 4.0, 4.0])
    assert np.array_equal(actual_time([50.0, 100.0, 100.0, 100.0], 100.0), [1.0, 2.0, 2.0, 2.0])
    # An explicit PD shorter than the PV curve caps ES too.
    es = earned_schedule(pv, [60.0, 90.0, np.nan, np.nan], 100.0, 3.0)
    assert es[0] == pytest.approx(2.4)
    assert es[1] == 3.0


def test_es_at_the_plan_start() -> None:
    # Nothing earned, PV already rising: ES = 0.
    es = earned_schedule([10.0, 20.0], [0.0, 5.0], 20.0, 2.0)
    np.testing.assert_allclose(es, [0.0, 0.5])


def test_flat_pv_plateau_takes_the_time_nearest_to_at() -> None:
    # A task planned in periods 3-4 (PV 0, 0, 50, 100). Not started at AT = 1 and 2 with EV = 0:
    # every time in [0, 2] planned EV = 0; ES = AT keeps SPI(t) = 1 (Lipke's counting of
    # periods with PV <= EV would give ES = 2 at AT = 1, i.e. "ahead of schedule").
    pv = [0.0, 0.0, 50.0, 100.0]
    es = earned_schedule(pv, [0.0, 0.0, 25.0, 100.0], 100.0, 4.0)
    np.testing.assert_allclose(es, [1.0, 2.0, 2.5, 4.0])
    # Started early: EV 25 at AT = 1 is the PV of mid-period 3 -> ES = 2.5 > AT (ahead).
    assert earned_schedule(pv, [25.0, np.nan, np.nan, np.nan], 100.0, 4.0)[0] == 2.5
    # A pause in the plan (PV flat in periods 2-3): EV = 10 at AT = 4 -> end of the plateau
    # (3); at AT = 2 -> 2 (on schedule); at AT = 1 -> 1.
    pv = [10.0, 10.0, 10.0, 20.0]
    np.testing.assert_allclose(
        earned_schedule(pv, [10.0, 10.0, 10.0, 10.0], 20.0, 4.0), [1.0, 2.0, 3.0, 3.0]
    )


def test_ev_beyond_the_pv_given() -> None:
    # BAC 100 with PV known for two periods only: EV 25 > PV_2 = 20 lies past the data.
    es = earned_schedule([10.0, 20.0], [25.0, np.nan], 100.0, 10.0)
    assert np.isnan(es[0])  # ES > 2 but unknown: NaN
    es = earned_schedule([10.0, 20.0], [25.0, np.nan], 100.0, 2.0)
    assert es[0] == 2.0  # ... unless PD <= 2: capped at PD
    # EV exactly at the last PV given: on the plateau at or after period 2
    assert earned_schedule([10.0, 20.0], [10.0, 20.0], 100.0, 10.0)[1] == 2.0


def test_undefined_es() -> None:
    es = earned_schedule(
        [[0.0, 0.0], [10.0, 20.0]], [[0.0, 0.0], [np.nan, 5.0]], [0.0, 20.0], [1, 2]
    )
    assert np.isnan(es[0]).all()  # no budget
    assert np.isnan(es[1, 0]) and es[1, 1] == 0.5
    assert np.isnan(planned_duration_from_pv([0.0, 0.0], 0.0)[0])
    assert np.isnan(planned_duration_from_pv([10.0, 20.0], 100.0)[0])  # never reaches BAC
    assert planned_duration_from_pv([10.0, 20.0, 20.0], 20.0)[0] == 2.0


def test_numba_and_numpy_paths_agree_on_the_examples() -> None:
    rng = np.random.default_rng(3)
    n, t = 5000, 48
    inc = rng.random((n, t)) * (rng.random((n, t)) < 0.6)  # many flat periods
    pv = np.cumsum(inc, axis=1)
    bac = pv[:, -1] * np.where(rng.random(n) < 0.1, 1.5, 1.0)
    ev = np.minimum(pv * rng.uniform(0.5, 1.5, (n, 1)), bac[:, None])
    ev[rng.random((n, t)) < 0.05] = np.nan
    ev[:, ::7] = pv[:, ::7]  # exact knots
    pd = planned_duration_from_pv(pv, bac)
    pd[::9] = rng.uniform(1, 60, pd[::9].shape)
    at = actual_time(ev, bac)
    a = _es_numpy(pv, ev, bac, pd, at)
    b = _es_numba(pv, ev, bac, pd, at)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    assert pv.size >= NUMBA_MIN_CELLS  # the public function takes the numba path here
    np.testing.assert_allclose(earned_schedule(pv, ev, bac, pd), a, rtol=1e-12)
