"""Capacity service: groups by resource, role and skill, and the drill-down of a cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from pmo.errors import NotFound, ValidationFailed
from pmo.resources import capacity
from pmo.resources.models import Assignment, Resource, ResourceSkill, Skill

pytestmark = pytest.mark.django_db

FIRST_WEEK = {"date_from": dt.date(2026, 3, 2), "date_to": dt.date(2026, 3, 8)}


@pytest.fixture
def pool(plan: dict[str, Any]) -> dict[str, Any]:
    """Electrician (a generic role: electrical ≥ 3) assigned 1 unit to Painting; Alice holds
    electrical 4 (qualified), Bob electrical 2 (not), half time."""
    org = plan["org"]
    elec = Skill.objects.create(organisation=org, name="Electrical")
    role = Resource.objects.create(
        organisation=org, code="ELEC", name="Electrician", kind="role", currency="EUR"
    )
    bob = Resource.objects.create(
        organisation=org, code="bob", name="Bob", currency="EUR", max_units=Decimal("0.5")
    )
    ResourceSkill.objects.create(resource=role, skill=elec, proficiency=3)
    ResourceSkill.objects.create(resource=plan["alice"], skill=elec, proficiency=4)
    ResourceSkill.objects.create(resource=bob, skill=elec, proficiency=2)
    Assignment.objects.create(
        organisation=org, task=plan["tasks"][2], resource=role, work_minutes=480
    )
    return {**plan, "role": role, "bob": bob, "skill": elec}


def _rows(report: capacity.CapacityReport) -> dict[str, tuple[list[float], list[float], int]]:
    return {r.label: (r.capacity, r.demand, r.members) for r in report.rows}


def test_by_resource_role_and_skill(pool: dict[str, Any]) -> None:
    access, org = pool["access"], pool["org"]
    by_resource = _rows(capacity.capacity_report(access, organisation_id=org.pk, **FIRST_WEEK))
    assert by_resource["Alice Martin"] == ([2400.0], [2400.0], 1)
    assert by_resource["Bob"] == ([1200.0], [0.0], 1)
    assert by_resource["Electrician"] == ([2400.0], [480.0], 1)  # its own max units
    # the role: capacity of the qualified people (Alice), demand on them and on the role
    by_role = _rows(
        capacity.capacity_report(access, organisation_id=org.pk, group="role", **FIRST_WEEK)
    )
    assert by_role == {"Electrician": ([2400.0], [2880.0], 1)}
    # the skill: its holders' capacity (not the role's), demand on every holder
    by_skill = _rows(
        capacity.capacity_report(access, organisation_id=org.pk, group="skill", **FIRST_WEEK)
    )
    assert by_skill == {"Electrical": ([3600.0], [2880.0], 2)}
    # kind filter on resources
    people = capacity.capacity_report(access, organisation_id=org.pk, kind="role", **FIRST_WEEK)
    assert [r.label for r in people.rows] == ["Electrician"]


def test_cell_drill_down_and_scoping(pool: dict[str, Any], make_user: Any, two_orgs: Any) -> None:
    from pmo.core.access import Access

    access = pool["access"]
    cell = capacity.cell_tasks(
        access,
        group="role",
        key=pool["role"].pk,
        start=dt.date(2026, 3, 2),
        end=dt.date(2026, 3, 9),
    )
    assert (cell.capacity, cell.demand) == (2400.0, 2880.0)
    assert sorted((t.task, t.resource, t.minutes) for t in cell.tasks) == [
        ("Painting", "Electrician", 480.0),
        ("Plumbing", "Alice Martin", 960.0),
        ("Wiring", "Alice Martin", 1440.0),
    ]
    stranger = Access(make_user("stranger", two_orgs["globex"]["org"]))
    with pytest.raises(NotFound):
        capacity.cell_tasks(
            stranger, group="resource", key=pool["alice"].pk,
            start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 9),
        )  # fmt: skip
    assert capacity.capacity_report(stranger, organisation_id=pool["org"].pk).rows == []
    with pytest.raises(ValidationFailed):
        capacity.capacity_report(access, by="day")
    with pytest.raises(ValidationFailed):
        capacity.capacity_report(access, date_from=dt.date(2020, 1, 1), date_to=dt.date(2030, 1, 1))
