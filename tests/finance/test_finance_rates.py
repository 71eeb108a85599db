"""Rates on a date: resource cost rates with effective dates, dated exchange rates (direct
and inverse), conversion of a project's costs, and a missing rate named precisely."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

D = dt.date


def _rate(access: Any, org: Any, cur: str, to: str, day: dt.date, rate: str) -> Any:
    from pmo.core.services import do_create
    from pmo.finance.models import ExchangeRate

    return do_create(
        access,
        ExchangeRate,
        {
            "organisation_id": org.pk,
            "currency": cur,
            "to_currency": to,
            "effective_date": day,
            "rate": Decimal(rate),
        },
    )


def test_resource_rate_on_a_date(plan: dict[str, Any]) -> None:
    from pmo.core.services import do_create
    from pmo.finance.rates import ResourceRates
    from pmo.resources.models import CostRate

    ann = plan["ann"]
    do_create(
        plan["access"],
        CostRate,
        {
            "resource_id": ann.pk,
            "effective_from": D(2026, 3, 1),
            "standard_rate": Decimal("70"),
            "cost_per_use": Decimal("15"),
        },
    )
    rates = ResourceRates([ann])
    assert rates.hourly(ann.pk, D(2026, 1, 1)) == Decimal("50")  # before any: standard rate
    assert rates.hourly(ann.pk, D(2026, 1, 18)) == Decimal("50")
    assert rates.hourly(ann.pk, D(2026, 1, 19)) == Decimal("60")
    assert rates.hourly(ann.pk, D(2026, 2, 28)) == Decimal("60")
    assert rates.hourly(ann.pk, D(2026, 3, 1)) == Decimal("70")
    assert rates.per_use(ann.pk, D(2026, 3, 2)) == Decimal("15")
    assert rates.per_use(ann.pk, D(2026, 2, 2)) == Decimal("0")
    assert rates.changes(ann.pk, D(2026, 1, 5), D(2026, 3, 31)) == [D(2026, 1, 19), D(2026, 3, 1)]


def test_exchange_rates_by_date(plan: dict[str, Any]) -> None:
    from pmo.finance.rates import ExchangeRates, MissingExchangeRate

    access, org = plan["access"], plan["org"]
    _rate(access, org, "USD", "EUR", D(2026, 1, 1), "0.90")
    _rate(access, org, "USD", "EUR", D(2026, 2, 16), "0.80")
    _rate(access, org, "EUR", "USD", D(2026, 3, 1), "1.28")  # a newer inverse rate
    fx = ExchangeRates(org.pk)
    thousand = Decimal(1000)
    assert fx.convert(thousand, "USD", "EUR", D(2026, 1, 15)) == Decimal("900.00")
    assert fx.convert(thousand, "USD", "EUR", D(2026, 2, 15)) == Decimal("900.00")
    assert fx.convert(thousand, "USD", "EUR", D(2026, 2, 16)) == Decimal("800.00")
    assert fx.convert(thousand, "USD", "EUR", D(2026, 3, 2)) == Decimal("781.25")  # 1000/1.28
    assert fx.convert(thousand, "EUR", "USD", D(2026, 1, 15)) == Decimal("1111.11")  # 1000/0.9
    assert fx.convert(thousand, "EUR", "USD", D(2026, 3, 1)) == Decimal("1280.00")
    assert fx.convert(thousand, "EUR", "EUR", D(2000, 1, 1)) == thousand
    with pytest.raises(MissingExchangeRate) as exc:
        fx.convert(thousand, "USD", "EUR", D(2025, 12, 31))
    assert exc.value.message.startswith("no exchange rate from USD to EUR on or before 2025-12-31")
    with pytest.raises(MissingExchangeRate) as exc:
        fx.rate("GBP", "EUR", D(2026, 1, 15))
    assert "GBP to EUR" in exc.value.message and "2026-01-15" in exc.value.message
    assert exc.value.as_dict()["code"] == "missing_exchange_rate"
    assert exc.value.http_status == 422


def test_project_costs_in_another_currency(plan: dict[str, Any]) -> None:
    """Bob is paid 40 USD/h on Build (Feb 2-27, 160 h). 1 USD = 0.90 EUR until Feb 15, 0.80
    from Feb 16: 80 h x 40 x 0.90 + 80 h x 40 x 0.80 = 2,880 + 2,560 = 5,440 EUR, plus the
    800 EUR fixed cost. An actual cost of 1,000 USD on Feb 20 is 800 EUR."""
    from pmo.core.services import do_create, do_update
    from pmo.finance.costs import load_project_costs
    from pmo.finance.evm import project_evm
    from pmo.finance.models import CostLine

    access, org, project = plan["access"], plan["org"], plan["project"]
    do_update(access, plan["bob"], {"currency": "USD"}, plan["bob"].version)
    _rate(access, org, "USD", "EUR", D(2026, 1, 1), "0.90")
    _rate(access, org, "USD", "EUR", D(2026, 2, 16), "0.80")
    do_create(
        access,
        CostLine,
        {
            "project_id": project.pk,
            "task_id": plan["build"].pk,
            "kind": "actual",
            "category": "labour",
            "date": D(2026, 2, 20),
            "amount": Decimal("1000"),
            "currency": "USD",
        },
    )
    costs = load_project_costs(project)
    bac = {e.name: b for e, b in zip(costs.entities, costs.bac(), strict=True)}
    assert bac["Build"] == Decimal("6240")
    assert bac["Design"] == Decimal("8800")
    m = project_evm(project, D(2026, 2, 28)).measures
    assert m.bac == Decimal("15040.00") and m.ac == Decimal("800.00")
    assert m.pv == Decimal("15040.00")


def test_a_missing_rate_is_an_error_naming_the_pair_and_date(
    plan: dict[str, Any], api_for: Any
) -> None:
    from pmo.core.services import do_update
    from pmo.finance.evm import project_evm
    from pmo.finance.rates import MissingExchangeRate

    do_update(plan["access"], plan["bob"], {"currency": "CHF"}, plan["bob"].version)
    with pytest.raises(MissingExchangeRate) as exc:
        project_evm(plan["project"], D(2026, 2, 13))
    assert exc.value.message.startswith("no exchange rate from CHF to EUR on or before 2026-02-02")
    response = api_for(plan["admin"]).get(f"/projects/{plan['project'].pk}/evm?as_of=2026-02-13")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "missing_exchange_rate"
    assert (body["currency"], body["to_currency"], body["date"]) == ("CHF", "EUR", "2026-02-02")
