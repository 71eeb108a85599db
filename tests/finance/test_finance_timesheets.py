"""Timesheets: booking a week, submitting, approving (actual work, an actual cost line, the
task's actual start — through the services, audited, in one transaction) and rejecting
(nothing but the entry changes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from pmo.errors import Conflict, PermissionDenied, StaleVersion, ValidationFailed

UTC = dt.UTC
WEEK = dt.date(2026, 1, 19)  # Ann's rate is 60 EUR/h from this Monday on


@pytest.fixture
def team(plan: dict[str, Any], make_user: Any) -> dict[str, Any]:
    from pmo.core.access import Access
    from pmo.core.services import do_update

    org, project = plan["org"], plan["project"]
    ann_user = make_user("ann", org, "team_member")
    pm = make_user("pm", org, "project_manager", project=project)
    ann = do_update(plan["access"], plan["ann"], {"user_id": ann_user.pk}, plan["ann"].version)
    return {**plan, "ann": ann, "ann_access": Access(ann_user), "pm_access": Access(pm), "pm": pm}


def _book(team: dict[str, Any], hours: str, *, submit: bool = True) -> Any:
    from pmo.finance.timesheets import WeekEntry, do_save_week

    saved = do_save_week(
        team["ann_access"],
        team["ann"],
        WEEK,
        [WeekEntry(team["design"].pk, Decimal(hours), "drawings")],
        submit=submit,
    )
    return next(e for e in saved if e.task_id == team["design"].pk)


def test_approval_books_actual_work_cost_and_start(team: dict[str, Any]) -> None:
    from pmo.core.models import AuditEvent
    from pmo.finance.models import CostLine
    from pmo.finance.timesheets import do_approve
    from pmo.projects.models import Task
    from pmo.resources.models import Assignment

    entry = _book(team, "37.5")
    assert entry.state == "submitted" and entry.submitted_at is not None
    design = Task.objects.get(pk=team["design"].pk)
    assert design.actual_start is None
    entry = do_approve(team["pm_access"], entry, entry.version, "ok")
    assert entry.state == "approved" and entry.reviewed_by_id == team["pm"].pk
    assert entry.review_comment == "ok" and entry.reviewed_at is not None

    assignment = Assignment.objects.get(task=design, resource=team["ann"])
    assert assignment.actual_work_minutes == 37 * 60 + 30
    line = CostLine.objects.get(reference=f"timesheet-entry:{entry.pk}")
    # 37.5 h x 60 EUR/h (the cost rate effective from 2026-01-19)
    assert (line.kind, line.category, line.amount, line.currency, line.date) == (
        "actual",
        "labour",
        Decimal("2250.00"),
        "EUR",
        WEEK,
    )
    assert line.task_id == design.pk and line.source == "timesheet"
    design.refresh_from_db()
    assert design.actual_start == dt.datetime(2026, 1, 19, 8, 0, tzinfo=UTC)
    # every change is audited, by the approver
    for model, pk in [
        ("resources.assignment", assignment.pk),
        ("finance.costline", line.pk),
        ("projects.task", design.pk),
        ("finance.timesheetentry", entry.pk),
    ]:
        assert AuditEvent.objects.filter(object_type=model, object_id=pk, username="pm").exists(), (
            model
        )
    # approved is final
    with pytest.raises(Conflict):
        do_approve(team["pm_access"], entry, entry.version)
    from pmo.core.services import do_delete, do_update

    with pytest.raises(Conflict):
        do_update(team["ann_access"], entry, {"hours": Decimal(1)}, entry.version)
    with pytest.raises(Conflict):
        do_delete(team["pm_access"], entry, entry.version)


def test_a_second_approval_keeps_the_first_actual_start(team: dict[str, Any]) -> None:
    from pmo.core.services import do_create
    from pmo.finance.models import TimesheetEntry
    from pmo.finance.timesheets import do_approve
    from pmo.projects.models import Task
    from pmo.resources.models import Assignment

    first = _book(team, "8")
    do_approve(team["pm_access"], first, first.version)
    later = do_create(
        team["ann_access"],
        TimesheetEntry,
        {
            "resource_id": team["ann"].pk,
            "task_id": team["design"].pk,
            "week_start": dt.date(2026, 1, 26),
            "hours": Decimal("4"),
            "state": "submitted",
        },
    )
    do_approve(team["pm_access"], later, later.version)
    assert (
        Assignment.objects.get(task=team["design"], resource=team["ann"]).actual_work_minutes
        == 12 * 60
    )
    assert Task.objects.get(pk=team["design"].pk).actual_start == dt.datetime(
        2026, 1, 19, 8, tzinfo=UTC
    )


def test_rejection_changes_nothing_else(team: dict[str, Any]) -> None:
    from pmo.finance.models import CostLine
    from pmo.finance.timesheets import do_reject
    from pmo.projects.models import Task
    from pmo.resources.models import Assignment

    entry = _book(team, "10")
    with pytest.raises(ValidationFailed) as exc:
        do_reject(team["pm_access"], entry, entry.version, "  ")
    assert exc.value.errors[0].path == ("review_comment",)
    entry = do_reject(team["pm_access"], entry, entry.version, "wrong task")
    assert entry.state == "rejected" and entry.review_comment == "wrong task"
    assignment = Assignment.objects.get(task=team["design"], resource=team["ann"])
    assert assignment.actual_work_minutes == 0
    assert not CostLine.objects.filter(kind="actual").exists()
    assert Task.objects.get(pk=team["design"].pk).actual_start is None
    # the member corrects and submits again
    entry = _book(team, "12")
    assert entry.state == "submitted" and entry.hours == Decimal("12")


def test_who_may_review_and_book(team: dict[str, Any], make_user: Any) -> None:
    from pmo.core.access import Access
    from pmo.finance.timesheets import WeekEntry, do_approve, do_save_week

    entry = _book(team, "5")
    with pytest.raises(PermissionDenied):
        do_approve(team["ann_access"], entry, entry.version)
    other = Access(make_user("carl", team["org"], "team_member"))
    with pytest.raises(PermissionDenied):  # Ann's resource is linked to Ann
        do_save_week(other, team["ann"], WEEK, [WeekEntry(team["build"].pk, Decimal(3))])
    viewer = Access(make_user("vic", team["org"], "executive_viewer"))
    with pytest.raises(PermissionDenied):
        do_approve(viewer, entry, entry.version)


def test_week_rules_and_one_transaction(team: dict[str, Any], two_orgs: dict[str, Any]) -> None:
    from pmo.finance.models import TimesheetEntry
    from pmo.finance.timesheets import WeekEntry, do_save_week, do_submit, do_withdraw
    from pmo.projects.models import Task

    access, ann = team["ann_access"], team["ann"]
    design, build = team["design"], team["build"]
    with pytest.raises(ValidationFailed) as exc:
        do_save_week(access, ann, dt.date(2026, 1, 20), [])
    assert exc.value.errors[0].path == ("week_start",)
    # the second row fails: the first is not written either
    with pytest.raises(ValidationFailed) as exc:
        do_save_week(
            access,
            ann,
            WEEK,
            [WeekEntry(design.pk, Decimal(8)), WeekEntry(build.pk, Decimal(200))],
        )
    assert exc.value.errors[0].path == ("entries", 1, "hours")
    assert not TimesheetEntry.objects.exists()
    # another organisation's task is unknown
    foreign = two_orgs["globex"]["tasks"][0]
    with pytest.raises(ValidationFailed) as exc:
        do_save_week(access, ann, WEEK, [WeekEntry(foreign.pk, Decimal(1))])
    assert exc.value.errors[0].path == ("entries", 0, "task_id")
    # a summary task takes no hours
    phase = Task.objects.create(organisation=team["org"], project=team["project"], name="Phase")
    Task.objects.filter(pk=design.pk).update(parent=phase)
    Task.objects.filter(pk=phase.pk).update(is_summary=True)
    with pytest.raises(ValidationFailed) as exc:
        do_save_week(access, ann, WEEK, [WeekEntry(phase.pk, Decimal(1))])
    assert exc.value.errors[0].path == ("entries", 0, "task_id")
    # draft → submitted → withdrawn → removed by an empty row
    entry = _book(team, "6", submit=False)
    assert entry.state == "draft"
    do_save_week(access, ann, WEEK, [WeekEntry(design.pk, Decimal(0))])
    assert not TimesheetEntry.objects.filter(pk=entry.pk).exists()  # a zero row removes a draft
    from pmo.core.services import do_create

    empty = do_create(
        access,
        TimesheetEntry,
        {"resource_id": ann.pk, "task_id": build.pk, "week_start": WEEK, "hours": Decimal(0)},
    )
    with pytest.raises(ValidationFailed) as exc:  # nothing to submit without hours
        do_submit(access, empty, empty.version)
    assert exc.value.errors[0].path == ("hours",)
    entry = _book(team, "6", submit=False)
    entry = do_submit(access, entry, entry.version)
    with pytest.raises(StaleVersion):
        do_withdraw(access, entry, entry.version - 1)
    with pytest.raises(ValidationFailed) as exc:  # submitted: withdraw before changing
        do_save_week(access, ann, WEEK, [WeekEntry(design.pk, Decimal(7))])
    assert exc.value.errors[0].path == ("entries", 0, "hours")
    entry = do_withdraw(access, entry, entry.version)
    assert entry.state == "draft"
