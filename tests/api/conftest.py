"""Fixtures for the API tests: one object of every resource type in each organisation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

MONDAY = dt.date(2026, 1, 5)


def populate(org_data: dict[str, Any], admin: Any) -> dict[str, Any]:
    """Create, through the services, one row of every type the API serves, named after
    the organisation's code so that a leak shows up in any response text."""
    from pmo.core.access import Access
    from pmo.core.services import do_create
    from pmo.finance.models import BudgetLine, CostLine, ExchangeRate, TimesheetEntry
    from pmo.governance.models import (
        ChangeRequest,
        Decision,
        LessonLearned,
        StageGate,
        StatusReport,
    )
    from pmo.orgs.models import CalendarException, Membership
    from pmo.portfolio.models import StrategicObjective
    from pmo.projects.models import Baseline
    from pmo.resources.levelling import do_propose_levelling
    from pmo.resources.models import Assignment, CostRate, Resource, Skill, TaskSkillRequirement
    from pmo.risks.models import Issue, Risk

    access = Access(admin)
    org = org_data["org"]
    code = org.code
    project = org_data["project"]
    t1, t2 = org_data["tasks"]
    objects: dict[str, Any] = {
        "organisations": org,
        "memberships": Membership.objects.get(user=admin, organisation=org),
        "calendars": org_data["calendar"],
        "portfolios": org_data["portfolio"],
        "programs": org_data["program"],
        "projects": project,
        "tasks": t1,
        "tasks2": t2,
        "dependencies": org_data["dependency"],
    }

    def make(path: str, model: Any, **data: Any) -> Any:
        objects[path] = do_create(access, model, data)
        return objects[path]

    make(
        "calendar-exceptions",
        CalendarException,
        calendar_id=org_data["calendar"].pk,
        name=f"{code} shutdown",
        start_date=dt.date(2026, 8, 3),
        end_date=dt.date(2026, 8, 7),
    )
    make(
        "objectives",
        StrategicObjective,
        organisation_id=org.pk,
        code=f"{code}-obj",
        name=f"{code} growth",
    )
    objects["baselines"] = Baseline.objects.create(
        organisation=org, project=project, number=0, name=f"{code} baseline"
    )
    skill = make("skills", Skill, organisation_id=org.pk, name=f"{code} welding")
    resource = make(
        "resources",
        Resource,
        organisation_id=org.pk,
        code=f"{code}-r1",
        name=f"{code} engineer",
        currency=org.currency,
        skills=[{"skill_id": skill.pk, "proficiency": 4}],
    )
    make(
        "cost-rates",
        CostRate,
        resource_id=resource.pk,
        effective_from=dt.date(2026, 1, 1),
        standard_rate=Decimal("80.00"),
    )
    make("assignments", Assignment, task_id=t1.pk, resource_id=resource.pk)
    make("skill-requirements", TaskSkillRequirement, task_id=t2.pk, skill_id=skill.pk)
    make(
        "budget-lines",
        BudgetLine,
        project_id=project.pk,
        category="labour",
        month=dt.date(2026, 1, 1),
        amount=Decimal("1000.00"),
        currency=org.currency,
    )
    make(
        "cost-lines",
        CostLine,
        project_id=project.pk,
        task_id=t1.pk,
        kind="actual",
        category="material",
        date=dt.date(2026, 1, 7),
        amount=Decimal("12.50"),
        currency=org.currency,
        description=f"{code} bolts",
    )
    make(
        "exchange-rates",
        ExchangeRate,
        organisation_id=org.pk,
        currency=org.currency,
        to_currency="USD",
        effective_date=dt.date(2026, 1, 1),
        rate=Decimal("1.1"),
    )
    make(
        "timesheet-entries",
        TimesheetEntry,
        resource_id=resource.pk,
        task_id=t1.pk,
        week_start=MONDAY,
        hours=Decimal("8"),
        comment=f"{code} week",
    )
    make(
        "risks",
        Risk,
        project_id=project.pk,
        code=f"{code}-R1",
        title=f"{code} supplier late",
        probability=4,
        impact=3,
    )
    make("issues", Issue, project_id=project.pk, code=f"{code}-I1", title=f"{code} crane broken")
    make(
        "change-requests",
        ChangeRequest,
        project_id=project.pk,
        code=f"{code}-CR1",
        title=f"{code} extra floor",
    )
    make(
        "decisions",
        Decision,
        project_id=project.pk,
        code=f"{code}-D1",
        title=f"{code} go steel",
    )
    make("stage-gates", StageGate, project_id=project.pk, name=f"{code} gate 1", phase="planning")
    make(
        "status-reports",
        StatusReport,
        project_id=project.pk,
        period_end=dt.date(2026, 1, 31),
        summary=f"{code} fine",
    )
    make("lessons", LessonLearned, project_id=project.pk, title=f"{code} order early")
    objects["levelling-runs"] = do_propose_levelling(access, project=project, time_limit=2)
    return objects


@pytest.fixture
def world(two_orgs: dict[str, Any], make_user: Callable[..., Any], api_for: Any) -> dict[str, Any]:
    """Both organisations fully populated; ``world[code]`` has ``admin``, ``api`` (its
    client), ``objects`` (resource path → one object) and the ``two_orgs`` entries."""
    from pmo.core.models import ApiToken

    out: dict[str, Any] = {}
    for code, data in two_orgs.items():
        admin = make_user(f"admin_{code}", data["org"], "pmo_admin")
        api = api_for(admin)
        objects = populate(data, admin)
        objects["tokens"] = ApiToken.objects.filter(user=admin).first()
        out[code] = {**data, "admin": admin, "api": api, "objects": objects}
    return out


@pytest.fixture
def book(world: dict[str, Any]) -> Any:
    from api_walker import Book

    response = world["globex"]["api"].get("/openapi.json")
    assert response.status_code == 200
    return Book(response.json())
