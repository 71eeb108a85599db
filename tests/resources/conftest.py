"""A small plan to level and staff: two tasks competing for Alice, a generic role, skills."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def plan(two_orgs: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """An acme project from Monday 2 March 2026: Wiring (3 d) and Plumbing (2 d) both on
    Alice at 100 % with no link between them, Painting (1 d) after Plumbing."""
    from pmo.core.access import Access
    from pmo.projects import scheduling
    from pmo.projects.models import Dependency, Project, Task
    from pmo.resources.models import Assignment, Resource

    acme = two_orgs["acme"]
    org = acme["org"]
    admin = make_user("boss", org)
    access = Access(admin)
    project = Project.objects.create(
        organisation=org,
        portfolio=acme["portfolio"],
        code="LEV",
        name="Levelling",
        currency="EUR",
        calendar=acme["calendar"],
        planned_start=MONDAY,
    )
    alice = Resource.objects.create(
        organisation=org,
        code="alice",
        name="Alice Martin",
        currency="EUR",
        calendar=acme["calendar"],
    )

    def task(name: str, position: int, days: int) -> Task:
        return Task.objects.create(
            organisation=org,
            project=project,
            name=name,
            position=position,
            duration_minutes=days * 480,
        )

    a, b, c = task("Wiring", 1, 3), task("Plumbing", 2, 2), task("Painting", 3, 1)
    Dependency.objects.create(organisation=org, predecessor=b, successor=c)
    for t in (a, b):
        Assignment.objects.create(
            organisation=org,
            task=t,
            resource=alice,
            units=Decimal(1),
            work_minutes=t.duration_minutes,
        )
    scheduling.do_schedule_project(access, project)
    return {
        "org": org,
        "admin": admin,
        "access": access,
        "project": project,
        "alice": alice,
        "tasks": (a, b, c),
        "calendar": acme["calendar"],
    }


@pytest.fixture
def half_days(plan: dict[str, Any]) -> Any:
    """Makes project HALF (same organisation, calendar and Alice as ``plan``), from Monday
    2 March 2026: Morning and Second, half a day (240 min) each, both on Alice at 100 %.
    ``linked``: Second follows Morning (finish-to-start: Monday 08:00-12:00, then 13:00-17:00);
    else both run on Monday morning, 08:00-12:00."""
    from pmo.projects import scheduling
    from pmo.projects.models import Dependency, Project, Task
    from pmo.resources.models import Assignment

    def make(linked: bool) -> dict[str, Any]:
        org = plan["org"]
        project = Project.objects.create(
            organisation=org,
            portfolio=plan["project"].portfolio,
            code="HALF",
            name="Half days",
            currency="EUR",
            calendar=plan["calendar"],
            planned_start=MONDAY,
        )
        tasks = [
            Task.objects.create(
                organisation=org, project=project, name=name, position=i, duration_minutes=240
            )
            for i, name in enumerate(("Morning", "Second"), start=1)
        ]
        if linked:
            Dependency.objects.create(organisation=org, predecessor=tasks[0], successor=tasks[1])
        for t in tasks:
            Assignment.objects.create(
                organisation=org, task=t, resource=plan["alice"], units=Decimal(1), work_minutes=240
            )
        scheduling.do_schedule_project(plan["access"], project)
        return {"project": project, "tasks": tasks}

    return make
