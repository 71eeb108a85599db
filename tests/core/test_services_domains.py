"""Checks of the other domains: memberships, calendars, finance, risks, governance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from pmo.errors import Conflict, PermissionDenied, ValidationFailed


@pytest.fixture
def acme(two_orgs: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from pmo.core.access import Access

    data = two_orgs["acme"]
    admin = make_user("admin", data["org"])
    return {**data, "admin": admin, "access": Access(admin)}


def _paths(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[Any, ...]]:
    return [e.path for e in exc.value.errors]


def test_membership_is_unique_and_inside_its_organisation(
    acme: dict[str, Any], two_orgs: dict[str, Any], make_user: Any
) -> None:
    from pmo.core.services import do_create
    from pmo.orgs.models import Membership

    access = acme["access"]
    # A user the admin can see (a member of its organisation: pmo.core.access.visible_users)
    bob = make_user("bob", acme["org"], "executive_viewer")
    base = {"user_id": bob.pk, "organisation_id": acme["org"].pk, "role": "team_member"}
    do_create(access, Membership, base)
    with pytest.raises(Conflict):
        do_create(access, Membership, base)  # NULL scope equals NULL scope
    do_create(access, Membership, {**base, "project_id": acme["project"].pk})
    with pytest.raises(Conflict):
        do_create(access, Membership, {**base, "project_id": acme["project"].pk})
    globex = two_orgs["globex"]
    with pytest.raises(ValidationFailed) as exc:
        do_create(access, Membership, {**base, "portfolio_id": globex["portfolio"].pk})
    assert _paths(exc) == [("portfolio_id",)]
    with pytest.raises(ValidationFailed) as exc:
        do_create(access, Membership, {**base, "organisation_id": globex["org"].pk})
    assert _paths(exc) == [("organisation_id",)]
    assert Membership.objects.filter(user=bob).count() == 3


def test_calendar_exception_rules(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_create
    from pmo.orgs.models import CalendarException

    base = {"calendar_id": acme["calendar"].pk, "name": "x"}
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            acme["access"],
            CalendarException,
            {**base, "start_date": dt.date(2026, 5, 2), "end_date": dt.date(2026, 5, 1)},
        )
    assert _paths(exc) == [("end_date",)]
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            acme["access"],
            CalendarException,
            {
                **base,
                "start_date": dt.date(2026, 5, 1),
                "end_date": dt.date(2026, 5, 1),
                "working_intervals": [[600, 500], "x"],
            },
        )
    assert _paths(exc) == [("working_intervals", 0), ("working_intervals", 1)]


def test_timesheet_rules(acme: dict[str, Any], make_user: Any) -> None:
    from pmo.core.access import Access
    from pmo.core.services import do_create, do_update
    from pmo.finance.models import TimesheetEntry
    from pmo.resources.models import Resource

    access = acme["access"]
    member_user = make_user("tm", acme["org"], "team_member")
    res = do_create(
        access,
        Resource,
        {
            "organisation_id": acme["org"].pk,
            "code": "R",
            "name": "Ann",
            "currency": "EUR",
            "user_id": member_user.pk,  # a team member books the resource linked to them
        },
    )
    base = {"resource_id": res.pk, "task_id": acme["tasks"][0].pk, "hours": Decimal(8)}
    with pytest.raises(ValidationFailed) as exc:
        do_create(access, TimesheetEntry, {**base, "week_start": dt.date(2026, 1, 6)})
    assert _paths(exc) == [("week_start",)] and "Tuesday" in exc.value.errors[0].message
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            access,
            TimesheetEntry,
            {**base, "week_start": dt.date(2026, 1, 5), "hours": Decimal(169)},
        )
    assert _paths(exc) == [("hours",)]
    member = Access(member_user)
    entry = do_create(member, TimesheetEntry, {**base, "week_start": dt.date(2026, 1, 5)})
    with pytest.raises(PermissionDenied):
        do_update(member, entry, {"state": "approved"}, 1)
    entry = do_update(member, entry, {"state": "submitted"}, 1)
    entry = do_update(access, entry, {"state": "approved"}, 2)
    assert entry.version == 3


def test_finance_rules(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_create
    from pmo.finance.models import BudgetLine, CostLine, ExchangeRate
    from pmo.projects.models import Project, Task

    access = acme["access"]
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            access,
            ExchangeRate,
            {
                "organisation_id": acme["org"].pk,
                "currency": "EUR",
                "to_currency": "EUR",
                "effective_date": dt.date(2026, 1, 1),
                "rate": Decimal(1),
            },
        )
    assert _paths(exc) == [("to_currency",)]
    line = {"category": "labour", "amount": Decimal(5), "currency": "EUR"}
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            access,
            BudgetLine,
            {**line, "organisation_id": acme["org"].pk, "month": dt.date(2026, 1, 1)},
        )
    assert _paths(exc) == [("project_id",)]
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            access,
            BudgetLine,
            {**line, "project_id": acme["project"].pk, "month": dt.date(2026, 1, 9)},
        )
    assert _paths(exc) == [("month",)]
    other = Project.objects.create(
        organisation=acme["org"], portfolio=acme["portfolio"], code="P2", name="n", currency="EUR"
    )
    far = Task.objects.create(organisation=acme["org"], project=other, name="Far")
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            access,
            CostLine,
            {
                **line,
                "project_id": acme["project"].pk,
                "task_id": far.pk,
                "kind": "actual",
                "date": dt.date(2026, 1, 9),
            },
        )
    assert _paths(exc) == [("task_id",)]


def test_risk_rules(acme: dict[str, Any], two_orgs: dict[str, Any]) -> None:
    from pmo.core.services import do_create
    from pmo.portfolio.models import Portfolio
    from pmo.risks.models import Risk

    access = acme["access"]
    base = {"project_id": acme["project"].pk, "code": "R1", "title": "t"}
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            access,
            Risk,
            {**base, "cost_impact_min": 10, "cost_impact_likely": 5, "cost_impact_max": 20},
        )
    assert _paths(exc) == [("cost_impact_likely",)]
    other = Portfolio.objects.create(organisation=acme["org"], code="pf2", name="n", currency="EUR")
    with pytest.raises(ValidationFailed) as exc:
        do_create(access, Risk, {**base, "portfolio_id": other.pk})
    assert _paths(exc) == [("project_id",)]
    risk = do_create(access, Risk, {**base, "probability": 5, "impact": 4})
    assert risk.score == 20
    with pytest.raises(ValidationFailed) as exc:
        do_create(access, Risk, {**base, "code": "R2", "probability": 6})
    assert _paths(exc) == [("probability",)]
    org_wide = do_create(
        access, Risk, {"organisation_id": acme["org"].pk, "code": "R3", "title": "t"}
    )
    assert org_wide.organisation_id == acme["org"].pk


def test_governance_rules(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_create
    from pmo.governance.models import ChangeRequest, StageGate

    access = acme["access"]
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            access, StageGate, {"project_id": acme["project"].pk, "name": "g", "phase": "foo"}
        )
    assert _paths(exc) == [("phase",)]
    with pytest.raises(ValidationFailed) as exc:
        do_create(
            access,
            ChangeRequest,
            {
                "project_id": acme["project"].pk,
                "code": "CR1",
                "title": "t",
                "requested_on": dt.date(2026, 2, 1),
                "decided_on": dt.date(2026, 1, 1),
            },
        )
    assert _paths(exc) == [("decided_on",)]


def test_objective_parents_never_loop(acme: dict[str, Any]) -> None:
    from pmo.core.services import do_create, do_update
    from pmo.portfolio.models import StrategicObjective

    access = acme["access"]
    org = acme["org"].pk
    top = do_create(access, StrategicObjective, {"organisation_id": org, "code": "A", "name": "a"})
    mid = do_create(
        access,
        StrategicObjective,
        {"organisation_id": org, "code": "B", "name": "b", "parent_id": top.pk},
    )
    with pytest.raises(ValidationFailed) as exc:
        do_update(access, top, {"parent_id": mid.pk}, 1)
    assert _paths(exc) == [("parent_id",)]
