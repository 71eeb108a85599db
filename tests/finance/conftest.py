"""A small project whose planned, earned and actual cost are computed by hand.

acme (EUR), Standard calendar (Mon-Fri, 8 h a day, no holidays), project ``acme-1`` planned
from Monday 2026-01-05:

- "Design": 20 working days, Mon 2026-01-05 08:00 → Fri 2026-01-30 17:00 (160 h), Ann
  100 %: 50 EUR/h (standard rate) until a cost rate of 60 EUR/h from Mon 2026-01-19, so
  80 h x 50 + 80 h x 60 = 8,800 EUR;
- "Build": 20 working days, Mon 2026-02-02 → Fri 2026-02-27 (finish-to-start after Design),
  Bob 100 % at 40 EUR/h = 6,400 EUR, plus a planned fixed cost of 800 EUR on 2026-02-16:
  7,200 EUR.

BAC = 16,000 EUR.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

UTC = dt.UTC


@pytest.fixture
def plan(two_orgs: dict[str, Any], make_user: Callable[..., Any]) -> dict[str, Any]:
    from pmo.core.access import Access
    from pmo.core.services import do_create
    from pmo.finance.models import CostLine
    from pmo.projects.models import Project, Task
    from pmo.projects.scheduling import do_schedule_project
    from pmo.resources.models import Assignment, CostRate, Resource

    acme = two_orgs["acme"]
    org, project = acme["org"], acme["project"]
    admin = make_user("fin-admin", org, "pmo_admin")
    access = Access(admin)
    Project.objects.filter(pk=project.pk).update(planned_start=dt.date(2026, 1, 5))
    design, build = acme["tasks"]
    Task.objects.filter(pk=design.pk).update(duration_minutes=20 * 480, wbs="1")
    Task.objects.filter(pk=build.pk).update(duration_minutes=20 * 480, wbs="2")
    project.refresh_from_db()
    do_schedule_project(None, project)
    design.refresh_from_db()
    build.refresh_from_db()
    assert design.early_start == dt.datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert design.early_finish == dt.datetime(2026, 1, 30, 17, 0, tzinfo=UTC)
    assert build.early_start == dt.datetime(2026, 2, 2, 8, 0, tzinfo=UTC)
    assert build.early_finish == dt.datetime(2026, 2, 27, 17, 0, tzinfo=UTC)

    def resource(code: str, name: str, rate: str, currency: str = "EUR", **kw: Any) -> Any:
        return do_create(
            access,
            Resource,
            {
                "organisation_id": org.pk,
                "code": code,
                "name": name,
                "standard_rate": Decimal(rate),
                "currency": currency,
                **kw,
            },
        )

    ann = resource("ANN", "Ann", "50")
    bob = resource("BOB", "Bob", "40")
    do_create(
        access,
        CostRate,
        {
            "resource_id": ann.pk,
            "effective_from": dt.date(2026, 1, 19),
            "standard_rate": Decimal("60"),
        },
    )
    a1 = do_create(access, Assignment, {"task_id": design.pk, "resource_id": ann.pk})
    a2 = do_create(access, Assignment, {"task_id": build.pk, "resource_id": bob.pk})
    do_create(
        access,
        CostLine,
        {
            "project_id": project.pk,
            "task_id": build.pk,
            "kind": "planned",
            "category": "material",
            "date": dt.date(2026, 2, 16),
            "amount": Decimal("800"),
            "currency": "EUR",
        },
    )
    project.refresh_from_db()
    return {
        **acme,
        "admin": admin,
        "access": access,
        "design": design,
        "build": build,
        "ann": ann,
        "bob": bob,
        "assignments": [a1, a2],
        "resource": resource,
    }


@pytest.fixture
def progressed(plan: dict[str, Any]) -> dict[str, Any]:
    """Status at Friday 2026-02-13: Design finished on 2026-01-30 (cost 9,000 EUR), Build 40 %
    done (3,600 EUR spent so far)."""
    from pmo.core.services import do_create, do_update
    from pmo.finance.models import CostLine

    access = plan["access"]
    design, build, project = plan["design"], plan["build"], plan["project"]
    design = do_update(
        access,
        design,
        {
            "percent_complete": 100,
            "actual_start": dt.datetime(2026, 1, 5, 8, tzinfo=UTC),
            "actual_finish": dt.datetime(2026, 1, 30, 17, tzinfo=UTC),
        },
        design.version,
    )
    build.refresh_from_db()
    build = do_update(
        access,
        build,
        {"percent_complete": 40, "actual_start": dt.datetime(2026, 2, 2, 8, tzinfo=UTC)},
        build.version,
    )
    for task, day, amount in [
        (design, dt.date(2026, 1, 30), "9000"),
        (build, dt.date(2026, 2, 13), "3600"),
    ]:
        do_create(
            access,
            CostLine,
            {
                "project_id": project.pk,
                "task_id": task.pk,
                "kind": "actual",
                "category": "labour",
                "date": day,
                "amount": Decimal(amount),
                "currency": "EUR",
                "source": "finance import",
            },
        )
    project.refresh_from_db()
    return {**plan, "design": design, "build": build, "project": project}
