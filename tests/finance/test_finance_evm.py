"""The EVM service on the hand-computed project of ``conftest.py``.

At the status date Friday 2026-02-13 (monthly periods from 2026-01-01; February has 28 days):

- PV = Design 8,800 + Build 6,400 x 10/20 working days = 12,000 (the 800 EUR fixed cost is
  dated 02-16, after the status date);
- EV = 8,800 (Design finished) + 40 % x 7,200 = 11,680;
- AC = 9,000 + 3,600 = 12,600.

So SV = -320, CV = -920, SPI = 11,680 / 12,000 = 0.973333, CPI = 11,680 / 12,600 = 0.926984,
EAC = BAC / CPI = 16,000 x 12,600 / 11,680 = 17,260.27, VAC = -1,260.27,
TCPI = (16,000 - 11,680) / (16,000 - 12,600) = 1.270588.

Earned schedule: the engine's columns are the days 01-31 (t = 1 month), 02-13 (the status
date, t = 1 + 13/28), 02-27 (the planned finish, t = 1 + 27/28) and 02-28 (t = 2), with
PV 8,800, 12,000, 16,000, 16,000. EV = 11,680 lies between the first two: ES = 1 +
(11,680 - 8,800) / (12,000 - 8,800) x 13/28 = 1 + 0.9 x 13/28 = 1.417857 months;
AT = 1 + 13/28 = 1.464286; SPI(t) = ES / AT = 39.7 / 41 = 0.968293; SV(t) = -0.046429;
PD = 1 + 27/28 = 1.964286; IEAC(t) = PD / SPI(t) = 2,255 / 1,111.6 = 2.028607 months.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from pmo.errors import Conflict

STATUS = dt.date(2026, 2, 13)


def test_planned_cost_with_a_rate_change_mid_task(plan: dict[str, Any]) -> None:
    from pmo.finance.costs import load_project_costs

    costs = load_project_costs(plan["project"])
    bac = dict(zip([e.name for e in costs.entities], costs.bac(), strict=True))
    # Ann: 80 h (Jan 5-16) x 50 + 80 h (Jan 19-30) x 60
    assert bac["Design"] == Decimal("8800")
    assert bac["Build"] == Decimal("7200")  # 160 h x 40 + 800 fixed
    pieces = sorted(
        (s.start, s.amount) for s in costs.spreads if costs.entities[s.entity].name == "Design"
    )
    assert pieces == [
        (dt.datetime(2026, 1, 5, 8), Decimal("4000")),
        (dt.datetime(2026, 1, 19), Decimal("4800")),
    ]


def test_project_measures_at_a_status_date(progressed: dict[str, Any]) -> None:
    from pmo.finance.evm import project_evm

    result = project_evm(progressed["project"], STATUS)
    m = result.measures
    assert result.time0 == dt.date(2026, 1, 1)
    assert (m.bac, m.pv, m.ev, m.ac) == (
        Decimal("16000.00"),
        Decimal("12000.00"),
        Decimal("11680.00"),
        Decimal("12600.00"),
    )
    assert (m.sv, m.cv) == (Decimal("-320.00"), Decimal("-920.00"))
    assert m.spi == pytest.approx(11680 / 12000, abs=1e-6)
    assert m.cpi == pytest.approx(11680 / 12600, abs=1e-6)
    assert m.eac == Decimal("17260.27")
    assert m.vac == Decimal("-1260.27")
    assert m.tcpi == pytest.approx(4320 / 3400, abs=1e-6)
    es = 1 + 0.9 * 13 / 28
    at = 1 + 13 / 28
    pd = 1 + 27 / 28
    assert m.es == pytest.approx(es, abs=1e-4)
    assert m.at == pytest.approx(at, abs=1e-4)
    assert m.planned_duration == pytest.approx(pd, abs=1e-4)
    assert m.spi_t == pytest.approx(39.7 / 41, abs=1e-6)
    assert m.sv_t == pytest.approx(es - at, abs=1e-4)
    assert m.ieac_t == pytest.approx(pd / (39.7 / 41), abs=1e-4)
    assert m.planned_finish == dt.date(2026, 2, 27)
    assert m.forecast_finish == dt.date(2026, 3, 1)
    # the S-curve: PV at every period end, AC up to the status date, EV at it
    by_day = {p.date: p for p in result.curve}
    assert by_day[dt.date(2026, 1, 31)].pv == Decimal("8800.00")
    assert by_day[dt.date(2026, 1, 31)].ac == Decimal("9000.00")
    assert by_day[dt.date(2026, 2, 28)].pv == Decimal("16000.00")
    assert by_day[dt.date(2026, 2, 28)].ac is None
    assert by_day[STATUS].ev == Decimal("11680.00")
    tasks = {t.name: t.measures for t in result.tasks}
    assert tasks["Design"].cpi == pytest.approx(8800 / 9000, abs=1e-6)
    assert tasks["Build"].ev == Decimal("2880.00")
    assert tasks["Build"].pv == Decimal("3200.00")


def test_status_date_at_a_period_end(progressed: dict[str, Any]) -> None:
    """At 2026-01-31: PV = 8,800, EV = 8,800 (Design done), AC = 9,000: ES = AT = 1."""
    from pmo.finance.evm import project_evm

    m = project_evm(progressed["project"], dt.date(2026, 1, 31)).measures
    assert (m.pv, m.ev, m.ac) == (Decimal("8800.00"), Decimal("8800.00"), Decimal("9000.00"))
    # Build's 40 % does not count: its actual start (02-02) is after this status date
    assert m.es == pytest.approx(1.0, abs=1e-9)
    assert m.at == pytest.approx(1.0, abs=1e-9)
    assert m.spi_t == pytest.approx(1.0, abs=1e-9)


def test_ev_methods(plan: dict[str, Any]) -> None:
    """0/100 earns nothing until finished; 50/50 half once started."""
    from pmo.core.services import do_update
    from pmo.finance.evm import project_evm

    access, build = plan["access"], plan["build"]
    build = do_update(
        access,
        build,
        {"ev_method": "fifty_fifty", "actual_start": dt.datetime(2026, 2, 2, 8, tzinfo=dt.UTC)},
        build.version,
    )
    tasks = {t.name: t.measures for t in project_evm(plan["project"], STATUS).tasks}
    assert tasks["Build"].ev == Decimal("3600.00")
    assert tasks["Design"].ev == Decimal("0.00")
    build = do_update(access, build, {"ev_method": "zero_hundred"}, build.version)
    tasks = {t.name: t.measures for t in project_evm(plan["project"], STATUS).tasks}
    assert tasks["Build"].ev == Decimal("0.00")


def test_snapshots_are_immutable(progressed: dict[str, Any]) -> None:
    from pmo.core.services import do_delete, do_update
    from pmo.finance.evm import do_take_snapshot
    from pmo.finance.models import EvmSnapshot

    access, project = progressed["access"], progressed["project"]
    snap = do_take_snapshot(access, project, STATUS)
    assert snap.version == 1
    assert (snap.ev, snap.ac, snap.pv) == (Decimal("11680"), Decimal("12600"), Decimal("12000"))
    assert snap.spi_t == Decimal("0.968293")
    assert snap.cpi == Decimal("0.926984")
    assert [t["name"] for t in snap.tasks] == ["Design", "Build"]
    with pytest.raises(Conflict):
        do_take_snapshot(access, project, STATUS)
    with pytest.raises(Conflict):
        do_update(access, snap, {"ev": Decimal(1)}, snap.version)
    with pytest.raises(Conflict):
        EvmSnapshot.objects.filter(pk=snap.pk).update(ev=Decimal(1))
    snap.ev = Decimal(1)
    with pytest.raises(Conflict):
        snap.save()
    with pytest.raises(Conflict):
        do_delete(access, snap, 1)
    fresh = EvmSnapshot.objects.get(pk=snap.pk)
    assert fresh.ev == Decimal("11680") and fresh.version == 1
    # a later status date is a new snapshot
    later = do_take_snapshot(access, project, dt.date(2026, 2, 20))
    assert later.pk != snap.pk and later.taken_by_id == progressed["admin"].pk
    assert EvmSnapshot.objects.filter(project=project).count() == 2
    # deleting who took it keeps the snapshot; deleting the project removes its snapshots
    progressed["admin"].delete()
    assert EvmSnapshot.objects.get(pk=later.pk).taken_by_id is None
    project.delete()
    assert not EvmSnapshot.objects.exists()


def test_pv_follows_baseline_zero_not_the_slipping_forecast(plan: dict[str, Any]) -> None:
    """Once baseline 0 is saved, PV is phased on its dates: a slip of the forecast schedule
    lowers SPI instead of moving the plan with it."""
    from pmo.core.services import do_update
    from pmo.finance.evm import project_evm
    from pmo.projects.models import Task
    from pmo.projects.scheduling import do_save_baseline

    access, project = plan["access"], plan["project"]
    do_save_baseline(access, project, 0)
    build = Task.objects.get(pk=plan["build"].pk)
    # Build cannot start before March: the forecast slips
    do_update(
        access,
        build,
        {"constraint_type": "SNET", "constraint_date": dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)},
        build.version,
    )
    build.refresh_from_db()
    assert build.early_start == dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    m = project_evm(project, STATUS).measures
    assert m.pv == Decimal("12000.00")  # Design 8,800 + half of Build's labour, as baselined
    assert m.planned_finish == dt.date(2026, 2, 27)
    from pmo.projects.models import Baseline

    Baseline.objects.filter(project=project).delete()
    m = project_evm(project, STATUS).measures
    assert m.pv == Decimal("8800.00")  # without a baseline: the current schedule
