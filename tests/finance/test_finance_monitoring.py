"""Budget monitoring of a portfolio, by hand, at 2026-02-13 in EUR.

- ``acme-1`` (EUR, ``conftest.progressed``): BAC 16,000, PV 12,000, EV 11,680, AC 12,600:
  CPI 0.926984, SPI 0.973333, SPI(t) 0.968293, EAC 17,260.27, VAC -1,260.27 (-7.88 %).
- ``acme-2`` (GBP, no program): one 10-day task, Feb 2-13, 80 h at 100 GBP/h = 8,000 GBP,
  finished on Feb 13 for 7,000 GBP: CPI 8,000 / 7,000 = 1.142857, SPI 1, SPI(t) 1 (finished as
  planned), EAC 7,000, VAC +1,000 (+12.5 %). 1 GBP = 1.20 EUR.

Totals in EUR: BAC 16,000 + 9,600 = 25,600; PV 12,000 + 9,600 = 21,600; EV 11,680 + 9,600 =
21,280; AC 12,600 + 8,400 = 21,000; CPI 21,280 / 21,000 = 1.013333 (from the sums, not the
average of 0.93 and 1.14); SPI 21,280 / 21,600 = 0.985185; EAC 25,600 x 21,000 / 21,280 =
25,263.16. On one clock from 2026-01-01, the summed PV is 8,800 at 01-31 and 21,600 at 02-13:
ES = 1 + (21,280 - 8,800) / (21,600 - 8,800) x 13/28 = 1 + 0.975 x 13/28, AT = 1 + 13/28,
SPI(t) = 40.675 / 41 = 0.992073.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

D = dt.date
AS_OF = D(2026, 2, 13)
UTC = dt.UTC


@pytest.fixture
def portfolio(progressed: dict[str, Any]) -> dict[str, Any]:
    from pmo.core.services import do_create, do_update
    from pmo.finance.models import BudgetLine, CostLine, ExchangeRate
    from pmo.projects.models import Project, Task
    from pmo.projects.scheduling import do_schedule_project
    from pmo.resources.models import Assignment

    access, org = progressed["access"], progressed["org"]
    second = do_create(
        access,
        Project,
        {
            "portfolio_id": progressed["portfolio"].pk,
            "code": "acme-2",
            "name": "Warehouse",
            "currency": "GBP",
            "budget": Decimal("9000"),
            "planned_start": D(2026, 2, 2),
            "calendar_id": progressed["calendar"].pk,
        },
    )
    task = do_create(
        access, Task, {"project_id": second.pk, "name": "Shelving", "duration_minutes": 4800}
    )
    do_schedule_project(None, second)
    task.refresh_from_db()
    assert task.early_finish == dt.datetime(2026, 2, 13, 17, tzinfo=UTC)
    res = progressed["resource"]("UK1", "Uma", "100", "GBP")
    do_create(access, Assignment, {"task_id": task.pk, "resource_id": res.pk})
    do_update(
        access,
        task,
        {
            "percent_complete": 100,
            "actual_start": dt.datetime(2026, 2, 2, 8, tzinfo=UTC),
            "actual_finish": dt.datetime(2026, 2, 13, 17, tzinfo=UTC),
        },
        task.version,
    )
    do_create(
        access,
        CostLine,
        {
            "project_id": second.pk,
            "task_id": task.pk,
            "kind": "actual",
            "category": "labour",
            "date": D(2026, 2, 13),
            "amount": Decimal("7000"),
            "currency": "GBP",
        },
    )
    do_create(
        access,
        ExchangeRate,
        {
            "organisation_id": org.pk,
            "currency": "GBP",
            "to_currency": "EUR",
            "effective_date": D(2026, 1, 1),
            "rate": Decimal("1.20"),
        },
    )
    for category, month, amount in [("labour", 1, "10000"), ("material", 2, "8000")]:
        do_create(
            access,
            BudgetLine,
            {
                "project_id": progressed["project"].pk,
                "category": category,
                "month": D(2026, month, 1),
                "amount": Decimal(amount),
                "currency": "EUR",
            },
        )
    do_create(
        access,
        BudgetLine,
        {
            "portfolio_id": progressed["portfolio"].pk,
            "category": "management_reserve",
            "month": D(2026, 1, 1),
            "amount": Decimal("5000"),
            "currency": "EUR",
        },
    )
    return {**progressed, "second": second}


def test_rows_totals_and_flags(portfolio: dict[str, Any]) -> None:
    from pmo.finance.evm import monitor

    result = monitor(portfolio["portfolio"], AS_OF)
    assert result.currency == "EUR"
    rows = {r.code: r for r in result.rows}
    one, two = rows["acme-1"], rows["acme-2"]
    assert one.measures is not None and two.measures is not None
    assert one.measures.cpi == pytest.approx(11680 / 12600, abs=1e-6)
    assert one.measures.spi_t == pytest.approx(39.7 / 41, abs=1e-6)
    assert one.measures.vac_percent == pytest.approx(-7.88, abs=0.005)
    assert one.budget == Decimal("18000.00")  # its budget lines
    assert one.flags == ("CPI",)  # 0.93 < 0.95; SPI 0.97, SPI(t) 0.97, VAC 7.9 % are inside
    # acme-2 in EUR
    assert (two.measures.bac, two.measures.ev, two.measures.ac) == (
        Decimal("9600.00"),
        Decimal("9600.00"),
        Decimal("8400.00"),
    )
    assert two.measures.cpi == pytest.approx(8 / 7, abs=1e-6)
    assert two.measures.spi == pytest.approx(1.0) and two.measures.spi_t == pytest.approx(1.0)
    assert two.measures.eac == Decimal("8400.00") and two.measures.vac == Decimal("1200.00")
    assert two.budget == Decimal("10800.00")  # Project.budget 9,000 GBP x 1.20
    assert two.flags == ("VAC",)  # +12.5 % is outside ±10 %
    total = result.total
    assert total is not None
    assert (total.bac, total.pv, total.ev, total.ac) == (
        Decimal("25600.00"),
        Decimal("21600.00"),
        Decimal("21280.00"),
        Decimal("21000.00"),
    )
    assert total.cpi == pytest.approx(21280 / 21000, abs=1e-6)
    assert total.spi == pytest.approx(21280 / 21600, abs=1e-6)
    assert total.eac == Decimal("25263.16")
    assert total.spi_t == pytest.approx(40.675 / 41, abs=1e-6)
    assert result.flagged == 2
    programs = {g.name: g.measures for g in result.programs}
    assert programs["acme program"].ev == Decimal("11680.00")
    assert programs["Projects without a program"].ev == Decimal("9600.00")
    categories = {c: a for c, _, a in result.budget_by_category}
    assert categories == {
        "labour": Decimal("10000.00"),
        "material": Decimal("8000.00"),
        "management_reserve": Decimal("5000.00"),
    }


def test_thresholds_decide_the_flags(portfolio: dict[str, Any]) -> None:
    from pmo.core.services import do_update
    from pmo.finance.evm import monitor

    pf = portfolio["portfolio"]
    pf = do_update(
        portfolio["access"],
        pf,
        {
            "cpi_threshold": Decimal("0.90"),
            "spi_threshold": Decimal("0.98"),
            "variance_threshold_percent": Decimal("15"),
        },
        pf.version,
    )
    rows = {r.code: r for r in monitor(pf, AS_OF).rows}
    assert rows["acme-1"].flags == ("SPI", "SPI(t)")  # CPI 0.93 >= 0.90; SPI 0.97 < 0.98
    assert rows["acme-2"].flags == ()  # 12.5 % < 15 %


def test_sorting_and_missing_rates(portfolio: dict[str, Any]) -> None:
    from pmo.errors import ValidationFailed
    from pmo.finance.evm import monitor
    from pmo.finance.models import ExchangeRate

    pf = portfolio["portfolio"]
    assert [r.code for r in monitor(pf, AS_OF, sort="cpi").rows] == ["acme-1", "acme-2"]
    assert [r.code for r in monitor(pf, AS_OF, sort="-cpi").rows] == ["acme-2", "acme-1"]
    assert [r.code for r in monitor(pf, AS_OF, sort="-vac").rows] == ["acme-2", "acme-1"]
    with pytest.raises(ValidationFailed) as exc:
        monitor(pf, AS_OF, sort="colour")
    assert exc.value.errors[0].path == ("sort",)
    ExchangeRate.objects.filter(currency="GBP").delete()
    result = monitor(pf, AS_OF)
    rows = {r.code: r for r in result.rows}
    assert rows["acme-2"].measures is None
    assert rows["acme-2"].error is not None and "GBP to EUR" in rows["acme-2"].error
    assert result.total is not None and result.total.bac == Decimal("16000.00")
    assert any("GBP to EUR" in e for e in result.errors)


def test_organisation_rollup_in_its_currency(portfolio: dict[str, Any], api_for: Any) -> None:
    from pmo.finance.evm import monitor_organisation

    result = monitor_organisation(portfolio["org"], AS_OF)
    assert result.currency == "EUR" and result.projects == 2
    assert [g.name for g in result.portfolios] == ["acme portfolio"]
    total = result.total
    assert total is not None
    assert (total.bac, total.ev, total.ac) == (
        Decimal("25600.00"),
        Decimal("21280.00"),
        Decimal("21000.00"),
    )
    assert total.spi_t == pytest.approx(40.675 / 41, abs=1e-6)
    api = api_for(portfolio["admin"])
    body = api.get(f"/organisations/{portfolio['org'].pk}/budget-monitoring?as_of=2026-02-13")
    assert body.status_code == 200
    assert body.json()["total"]["cpi"] == pytest.approx(21280 / 21000, abs=1e-6)
