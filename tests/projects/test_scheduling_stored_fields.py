"""The scheduling service reschedules what a stored task keeps of a MS Project or P6 plan: the
project's scheduling options, elapsed durations, P6's Start On / Finish On and secondary
constraints, start and finish milestones, WBS elements that only roll up, tasks on their
resources' calendars (rescheduled when an assignment or a resource's calendar changes)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)  # no public holiday that fortnight


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A March 2026 wall-clock moment, as the service stores it."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def plan(two_orgs: dict[str, Any]) -> dict[str, Any]:
    """An empty project on the organisation's Standard calendar (08-12, 13-17, Mon-Fri)."""
    from pmo.projects.models import Project

    acme = two_orgs["acme"]
    project = Project.objects.create(
        organisation=acme["org"],
        portfolio=acme["portfolio"],
        code="P6-FIELDS",
        name="Stored fields",
        currency="EUR",
        calendar=acme["calendar"],
        planned_start=MONDAY,
    )
    return {**acme, "project": project}


def _task(plan: dict[str, Any], name: str, position: int, **values: Any) -> Any:
    from pmo.projects.models import Task

    return Task.objects.create(
        organisation=plan["org"], project=plan["project"], name=name, position=position, **values
    )


def _link(plan: dict[str, Any], a: Any, b: Any, **values: Any) -> None:
    from pmo.projects.models import Dependency

    Dependency.objects.create(organisation=plan["org"], predecessor=a, successor=b, **values)


def _schedule(plan: dict[str, Any]) -> dict[str, Any]:
    from pmo.projects.models import Task
    from pmo.projects.scheduling import do_schedule_project

    do_schedule_project(None, plan["project"])
    return {t.name: t for t in Task.objects.filter(project=plan["project"])}


def test_an_elapsed_duration_runs_through_nights_and_weekends(plan: dict[str, Any]) -> None:
    _task(plan, "Cure", 1, duration_minutes=3 * 1440, elapsed_duration=True)
    _task(plan, "Dig", 2, duration_minutes=3 * 480)
    tasks = _schedule(plan)
    assert (tasks["Cure"].early_start, tasks["Cure"].early_finish) == (at(2, 8), at(5, 8))
    assert tasks["Dig"].early_finish == at(4, 17)  # three working days


def test_p6_start_on_bounds_the_late_start_as_well(plan: dict[str, Any]) -> None:
    """Start On: no earlier than the date, and (late bound) no later either; a secondary
    Finish No Later Than bounds the late finish. With plain SNET the task would float to the
    end of the 5-day project."""
    from pmo.projects.models import ConstraintType

    _task(plan, "Long", 1, duration_minutes=5 * 480)
    _task(
        plan,
        "Inspect",
        2,
        duration_minutes=480,
        constraint_type=ConstraintType.START_ON,
        constraint_date=at(3, 8),
    )
    _task(
        plan,
        "Report",
        3,
        duration_minutes=480,
        constraint_type=ConstraintType.SNET,
        constraint_date=at(3, 8),
        secondary_constraint_type=ConstraintType.FNLT,
        secondary_constraint_date=at(4, 17),
    )
    tasks = _schedule(plan)
    inspect, report = tasks["Inspect"], tasks["Report"]
    assert (inspect.early_start, inspect.late_start, inspect.total_float_minutes) == (
        at(3, 8),
        at(3, 8),
        0,
    )
    assert (report.early_start, report.late_finish, report.total_float_minutes) == (
        at(3, 8),
        at(4, 17),
        480,
    )


def test_p6_start_and_finish_milestones(plan: dict[str, Any]) -> None:
    """Under P6's rules a finish milestone sits at its predecessor's finish (Friday 17:00),
    a start milestone at the start of the next working period (Monday 08:00)."""
    from pmo.projects.models import ActivityType

    project = plan["project"]
    project.scheduling_convention = "p6"
    project.save()
    week = _task(plan, "Week", 1, duration_minutes=5 * 480)
    done = _task(plan, "Done", 2, is_milestone=True, activity_type=ActivityType.FINISH_MILESTONE)
    go = _task(plan, "Go", 3, is_milestone=True, activity_type=ActivityType.START_MILESTONE)
    _link(plan, week, done)
    _link(plan, week, go)
    tasks = _schedule(plan)
    assert tasks["Done"].early_start == at(6, 17)
    assert tasks["Go"].early_start == at(9, 8)


def test_a_wbs_element_rolls_up_without_holding_its_tasks(plan: dict[str, Any]) -> None:
    """A P6 WBS element is left out of the network: its dates and floats are its tasks'
    (first start, last finish, least float), and a task under it has P6's free float, the
    room to the project's finish on its own calendar (11 days of a 7-day calendar here). As
    an ordinary summary it would cap that float at the room inside the summary plus the
    summary's float on the project calendar (9 days: 945 of SP10's activities differ so)."""
    from pmo.orgs.models import Calendar
    from pmo.projects.models import ActivityType, Task

    project = plan["project"]
    project.scheduling_convention = "p6"
    project.save()
    every_day = Calendar.objects.create(
        organisation=plan["org"], name="Seven days", working_week=[[[480, 720], [780, 1020]]] * 7
    )
    wbs = _task(plan, "Design", 1, activity_type=ActivityType.WBS_ELEMENT, duration_minutes=0)
    _task(plan, "Sketch", 2, parent=wbs, duration_minutes=480, calendar=every_day)
    _task(plan, "Model", 3, parent=wbs, duration_minutes=3 * 480)
    _task(plan, "Build", 4, duration_minutes=10 * 480)
    tasks = _schedule(plan)
    design, sketch, model = tasks["Design"], tasks["Sketch"], tasks["Model"]
    assert (design.early_start, design.early_finish) == (at(2, 8), at(4, 17))
    assert (design.late_start, design.late_finish) == (at(11, 8), at(13, 17))
    assert design.total_float_minutes == model.total_float_minutes == 7 * 480
    assert sketch.early_finish == at(2, 17)
    assert sketch.free_float_minutes == sketch.total_float_minutes == 11 * 480
    Task.objects.filter(pk=wbs.pk).update(activity_type=ActivityType.TASK)
    assert _schedule(plan)["Sketch"].free_float_minutes == 9 * 480


def test_a_task_on_its_resources_calendars(plan: dict[str, Any], make_user: Any) -> None:
    """MS Project (not ignoring resource calendars) and P6's resource-dependent activities
    work when their resources do: here a resource working Saturdays too. Adding the
    assignment through the services reschedules the task."""
    from pmo.core.access import Access
    from pmo.core.services import do_create, do_update
    from pmo.orgs.models import Calendar
    from pmo.projects.models import ActivityType, Task
    from pmo.resources.models import Resource

    six_days = Calendar.objects.create(
        organisation=plan["org"],
        name="Six days",
        working_week=[[[480, 720], [780, 1020]]] * 6 + [[]],
    )
    crew = Resource.objects.create(
        organisation=plan["org"], code="CREW", name="Crew", currency="EUR"
    )
    on_resources = _task(
        plan, "Lay", 1, duration_minutes=6 * 480, activity_type=ActivityType.RESOURCE_DEPENDENT
    )
    on_task = _task(plan, "Tile", 2, duration_minutes=6 * 480)
    tasks = _schedule(plan)
    assert tasks["Lay"].early_finish == at(9, 17)  # no resource yet: the project calendar
    access = Access(make_user("planner", plan["org"], "pmo_admin"))
    for task in (on_resources, on_task):
        do_create(
            access,
            Task._meta.get_field("assignments").related_model,  # type: ignore[arg-type]
            {"task_id": task.pk, "resource_id": crew.pk, "units": "1"},
        )
    lay, tile = (Task.objects.get(pk=t.pk) for t in (on_resources, on_task))
    assert lay.early_finish == at(9, 17) and tile.early_finish == at(9, 17)
    # the crew works Saturdays: the resource-dependent task finishes on Saturday
    crew = do_update(access, crew, {"calendar_id": six_days.pk}, crew.version)
    lay, tile = (Task.objects.get(pk=t.pk) for t in (on_resources, on_task))
    assert lay.early_finish == at(7, 17)
    assert tile.early_finish == at(9, 17)


def test_changing_the_projects_rules_reschedules_it(
    plan: dict[str, Any], make_user: Any, api_for: Any
) -> None:
    """The scheduling options are the project's (API, with its version): switching to P6's
    rules moves a start milestone from Friday 17:00 (MS Project: the moment of what drives
    it) to Monday 08:00."""
    from pmo.projects.models import ActivityType, Project

    week = _task(plan, "Week", 1, duration_minutes=5 * 480)
    go = _task(plan, "Go", 2, is_milestone=True, activity_type=ActivityType.START_MILESTONE)
    _link(plan, week, go)
    assert _schedule(plan)["Go"].early_start == at(6, 17)
    api = api_for(make_user("scheduler", plan["org"], "pmo_admin"))
    project = Project.objects.get(pk=plan["project"].pk)
    refused = api.patch(
        f"/projects/{project.pk}",
        {"scheduling_convention": "primavera"},
        **{"If-Match": f'"{project.version}"'},
    )
    assert refused.status_code == 422
    changed = api.patch(
        f"/projects/{project.pk}",
        {"scheduling_convention": "p6", "lag_calendar": "predecessor"},
        **{"If-Match": f'"{project.version}"'},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["scheduling_convention"] == "p6"
    go.refresh_from_db()
    assert go.early_start == at(9, 8)
