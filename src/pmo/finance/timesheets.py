"""Timesheets: a team member books hours per task and week, submits them; the project's
manager approves or rejects them.

States: ``draft`` → ``submitted`` → ``approved`` (final) or ``rejected`` (edit and submit
again); a submitted entry can be withdrawn to ``draft``. The rules live in the entry's check
(``pmo.finance.services.check_timesheet_entry``) so they hold whoever writes: these
functions, the generic ``PATCH /timesheet-entries/{id}``, a loader.

Approval, in the approver's transaction (:func:`apply_approval`, an ``after_write`` hook):

- the assignment of the resource to the task gets the hours as actual work
  (``Assignment.actual_work_minutes``; an assignment with no planned work is added if the
  resource was not assigned, as MS Project does);
- an actual ``CostLine`` of category labour: hours x the resource's hourly rate at the week's
  Monday, in the resource's currency, dated that Monday, ``source = "timesheet"``,
  ``reference = "timesheet-entry:<id>"``;
- the task's actual start, if empty, becomes the first working moment of the week on the
  task's calendar.

Each of these goes through the services (checks, versions, audit). A rejection changes
nothing but the entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pmo.core.access import Access
from pmo.core.services import after_write, do_create, do_delete, do_update
from pmo.errors import Conflict, FieldError, PermissionDenied, StaleVersion, ValidationFailed
from pmo.finance.models import CostCategory, CostLine, TimesheetEntry
from pmo.finance.rates import ResourceRates, quantize
from pmo.projects.models import Project, Task
from pmo.resources.models import Assignment, Resource

State = TimesheetEntry.State
UTC = dt.UTC
EDITABLE = {State.DRAFT, State.REJECTED}


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def cost_line_reference(entry: TimesheetEntry) -> str:
    return f"timesheet-entry:{entry.pk}"


# --- the state machine (called by the entry's check) -----------------------------------------


def check_transition(access: Access, obj: TimesheetEntry, data: Mapping[str, Any]) -> None:
    """Refuse a change the state machine does not allow; stamp submission and review."""
    stored = None
    if obj.pk is not None:
        stored = TimesheetEntry.objects.filter(pk=obj.pk).values_list("state", flat=True).first()
    new = obj.state
    if stored is None:
        if new not in {State.DRAFT, State.SUBMITTED}:
            raise ValidationFailed.field(
                "state", f"a new entry is draft or submitted, not {new}; it is reviewed later"
            )
    elif stored == State.APPROVED:
        raise Conflict(
            f"timesheet entry {obj.pk} is approved, which is final; book a correction "
            "on another task or week"
        )
    elif new != stored and new in {State.APPROVED, State.REJECTED} and stored != State.SUBMITTED:
        raise ValidationFailed.field(
            "state", f"only a submitted entry can be {new}; this one is {stored}"
        )
    elif stored == State.SUBMITTED and new == State.SUBMITTED:
        changed = {"hours", "week_start", "task_id", "resource_id"} & set(data)
        if changed:
            raise ValidationFailed.field(
                sorted(changed)[0],
                "the entry is submitted: withdraw it (state draft) before changing it",
            )
    if new == State.REJECTED and stored != State.REJECTED and not obj.review_comment.strip():
        raise ValidationFailed.field("review_comment", "say why the entry is rejected")
    if new == State.SUBMITTED and stored != State.SUBMITTED:
        if not obj.hours or obj.hours <= 0:
            raise ValidationFailed.field("hours", "book some hours before submitting")
        obj.submitted_at = timezone.now()
    if new in {State.APPROVED, State.REJECTED} and stored != new:
        check_own_review(access, obj)
        obj.reviewed_at = timezone.now()
        # The reviewer is who approves or rejects, whatever the writer sent (the entry's
        # check refuses a ``reviewed_by_id`` in the data): an instance administrator outside
        # the organisation is recorded as nobody rather than as a user it does not know.
        member = access.user.pk in _members(obj.organisation_id)
        obj.reviewed_by_id = access.user.pk if member else None


def _members(organisation_id: int) -> set[int]:
    from pmo.orgs.models import Membership

    return set(
        Membership.objects.filter(organisation_id=organisation_id).values_list("user_id", flat=True)
    )


BOOKING_DENIED = (
    "you may book hours only for the resource linked to your own account, unless you manage "
    "the project of the task"
)
OWN_REVIEW_DENIED = (
    "you may not approve or reject your own timesheet entries: another manager of the "
    "project reviews them"
)


def may_book(access: Access, resource: Resource, task: Task) -> bool:
    """Whether the user may create, change or delete ``resource``'s hours on ``task``.

    Only the person linked to the resource books its time; a role that manages the task's
    project (project or portfolio manager in scope, PMO admin, an instance administrator:
    ``Access.can_write(project)``) may book for anyone, e.g. to enter the hours of a
    contractor without an account. A resource linked to nobody is booked by its managers
    only: otherwise any team member could book (and so bill) hours in anyone's name.
    """
    if resource.user_id is not None and resource.user_id == access.user.pk:
        return True
    return access.can_write(task.project)


def check_booking(access: Access, obj: TimesheetEntry) -> None:
    """Who may book for a resource, and on which task (new values and, for a change, the
    stored ones: an entry cannot be taken over by moving it to one's own resource)."""
    task = obj.task
    if task.is_summary:
        raise ValidationFailed.field(
            "task_id", f"task {task.pk} is a summary task: book hours on its sub-tasks"
        )
    if obj.pk is not None:
        stored = (
            TimesheetEntry.objects.filter(pk=obj.pk)
            .select_related("resource", "task__project")
            .first()
        )
        if stored is not None and (
            stored.resource_id != obj.resource_id or stored.task_id != obj.task_id
        ):
            _check_may_book(access, stored)
    _check_may_book(access, obj)


def _check_may_book(access: Access, entry: TimesheetEntry) -> None:
    if not may_book(access, entry.resource, entry.task):
        exc = PermissionDenied(BOOKING_DENIED)
        exc.obj = entry  # type: ignore[attr-defined]
        raise exc


def check_own_review(access: Access, obj: TimesheetEntry) -> None:
    """Segregation of duties: nobody approves or rejects hours booked on their own resource,
    whatever their role (the four-eyes principle of timesheet approval; an instance
    administrator included)."""
    if obj.resource.user_id is not None and obj.resource.user_id == access.user.pk:
        exc = PermissionDenied(OWN_REVIEW_DENIED)
        exc.obj = obj  # type: ignore[attr-defined]
        raise exc


# --- approval effects ------------------------------------------------------------------------


def first_working_moment(task: Task, day: dt.date) -> dt.datetime:
    """The first working moment on or after ``day`` on the task's calendar (aware, UTC wall
    clock as the schedule stores it)."""
    from pmo.engine.calendar import Calendar as EngineCalendar
    from pmo.projects.scheduling import engine_calendar

    project = task.project
    stored = task.calendar or project.calendar or project.organisation.default_calendar
    calendar = engine_calendar(stored) if stored is not None else EngineCalendar.standard()
    moment = calendar.add_working_minutes(dt.datetime.combine(day, dt.time()), 0, finish=False)
    return moment.replace(tzinfo=UTC)


@after_write(TimesheetEntry)
def apply_approval(
    access: Access | None, obj: TimesheetEntry, action: str, before: Mapping[str, Any]
) -> None:
    if action == "delete":
        if before.get("state") == State.APPROVED:
            raise Conflict(f"timesheet entry {obj.pk} is approved, which is final: not deleted")
        # The core service runs no checks before a delete; refusing here, inside the
        # deleting transaction, undoes the delete and its audit event.
        if access is not None:
            _check_may_book(access, obj)
        return
    if obj.state != State.APPROVED or before.get("state") == State.APPROVED:
        return
    if access is None:
        raise PermissionDenied("an approval needs the approver")
    resource = Resource.objects.get(pk=obj.resource_id)
    task = Task.objects.select_related(
        "calendar", "project__calendar", "project__organisation__default_calendar"
    ).get(pk=obj.task_id)
    minutes = round(Decimal(obj.hours) * 60)
    assignment = Assignment.objects.select_for_update().filter(task=task, resource=resource).first()
    if assignment is None:
        do_create(
            access,
            Assignment,
            {
                "task_id": task.pk,
                "resource_id": resource.pk,
                "units": Decimal(0),
                "work_minutes": 0,
                "actual_work_minutes": minutes,
            },
        )
    else:
        do_update(
            access,
            assignment,
            {"actual_work_minutes": assignment.actual_work_minutes + minutes},
            assignment.version,
        )
    rate = ResourceRates([resource]).hourly(resource.pk, obj.week_start)
    do_create(
        access,
        CostLine,
        {
            "project_id": task.project_id,
            "task_id": task.pk,
            "kind": CostLine.Kind.ACTUAL,
            "category": CostCategory.LABOUR,
            "date": obj.week_start,
            "amount": quantize(Decimal(obj.hours) * rate, resource.currency),
            "currency": resource.currency,
            "description": (
                f"{resource.name}: {obj.hours} h x {rate} {resource.currency}/h, "
                f"week of {obj.week_start.isoformat()}"
            )[:250],
            "source": "timesheet",
            "reference": cost_line_reference(obj),
        },
    )
    if task.actual_start is None:
        fresh = Task.objects.select_for_update().get(pk=task.pk)
        do_update(
            access,
            fresh,
            {"actual_start": first_working_moment(task, obj.week_start)},
            fresh.version,
        )


# --- actions ---------------------------------------------------------------------------------


def _review_probe(access: Access, entry: TimesheetEntry) -> None:
    project = entry.task.project
    if not access.can_write(project):
        exc = PermissionDenied(
            "only who manages the project may approve or reject its timesheet entries"
        )
        exc.obj = entry  # type: ignore[attr-defined]
        raise exc
    check_own_review(access, entry)


def do_submit(access: Access, entry: TimesheetEntry, version: int) -> TimesheetEntry:
    return do_update(access, entry, {"state": State.SUBMITTED}, version)


def do_withdraw(access: Access, entry: TimesheetEntry, version: int) -> TimesheetEntry:
    return do_update(access, entry, {"state": State.DRAFT}, version)


def do_approve(
    access: Access, entry: TimesheetEntry, version: int, comment: str = ""
) -> TimesheetEntry:
    """Approve a submitted entry (its effects in the same transaction)."""
    access.check_visible(entry)
    _review_probe(access, entry)
    data: dict[str, Any] = {"state": State.APPROVED}
    if comment:
        data["review_comment"] = comment
    return do_update(access, entry, data, version)


def do_reject(access: Access, entry: TimesheetEntry, version: int, comment: str) -> TimesheetEntry:
    """Reject a submitted entry with the reason; nothing else changes."""
    access.check_visible(entry)
    _review_probe(access, entry)
    return do_update(
        access, entry, {"state": State.REJECTED, "review_comment": comment.strip()}, version
    )


@dataclass(frozen=True)
class Review:
    entry_id: int
    version: int
    approve: bool
    comment: str = ""


@transaction.atomic
def do_review(access: Access, reviews: Sequence[Review]) -> list[TimesheetEntry]:
    """Approve or reject several entries in one transaction (all or none)."""
    out = []
    for i, r in enumerate(reviews):
        try:
            entry = access.get(TimesheetEntry.objects.select_related("task__project"), r.entry_id)
            if r.approve:
                out.append(do_approve(access, entry, r.version, r.comment))
            else:
                out.append(do_reject(access, entry, r.version, r.comment))
        except ValidationFailed as exc:
            raise _prefixed(exc, ("entries", i)) from None
    return out


@dataclass(frozen=True)
class WeekEntry:
    task_id: int
    hours: Decimal | None
    comment: str | None = None
    # the entry's version the writer read: 0 = there was none; None = do not check
    version: int | None = None


def _prefixed(exc: ValidationFailed, prefix: tuple[str | int, ...]) -> ValidationFailed:
    return ValidationFailed([FieldError((*prefix, *e.path), e.message) for e in exc.errors])


@transaction.atomic
def do_save_week(
    access: Access,
    resource: Resource,
    week_start: dt.date,
    entries: Sequence[WeekEntry],
    *,
    submit: bool = False,
) -> list[TimesheetEntry]:
    """Book a resource's hours of one week: each row's hours on its task (an empty or zero
    row removes a draft entry), then, with ``submit``, submit every draft of the week. A row
    that carries the version it read (0: no entry then) is refused with ``StaleVersion`` if
    the entry changed meanwhile.

    One transaction; a problem in a row is reported at ``("entries", i, field)``.
    """
    access.check_visible(resource)
    if week_start.weekday() != 0:
        raise ValidationFailed.field(
            "week_start", f"{week_start} is a {week_start:%A}, not a Monday"
        )
    seen: set[int] = set()
    visible = set(
        access.scoped(
            Task.objects.filter(
                pk__in=[r.task_id for r in entries], organisation_id=resource.organisation_id
            )
        ).values_list("pk", flat=True)
    )
    for i, row in enumerate(entries):
        if row.task_id not in visible:
            raise ValidationFailed.field(
                ("entries", i, "task_id"), f"task {row.task_id} does not exist"
            )
        if row.task_id in seen:
            raise ValidationFailed.field(("entries", i, "task_id"), "listed twice")
        seen.add(row.task_id)
        current = TimesheetEntry.objects.filter(
            resource=resource, task_id=row.task_id, week_start=week_start
        ).first()
        hours = row.hours if row.hours is not None else Decimal(0)
        stored = current.version if current is not None else 0
        if row.version is not None and row.version != stored:
            name = Task.objects.filter(pk=row.task_id).values_list("name", flat=True).first()
            raise StaleVersion(
                f"the hours on {name} this week were changed by someone else since you read "
                "them; reload the week and enter yours again",
                current_version=stored or None,
            )
        try:
            if current is None:
                if hours == 0:
                    continue
                data: dict[str, Any] = {
                    "resource_id": resource.pk,
                    "task_id": row.task_id,
                    "week_start": week_start,
                    "hours": hours,
                }
                if row.comment:
                    data["comment"] = row.comment
                do_create(access, TimesheetEntry, data)
                continue
            if current.state not in EDITABLE:
                if hours != current.hours:
                    raise ValidationFailed.field(
                        "hours", f"the entry is {current.state}: it cannot be changed here"
                    )
                continue
            if hours == 0:
                do_delete(access, current, current.version)
                continue
            changes: dict[str, Any] = {}
            if hours != current.hours:
                changes["hours"] = hours
            if row.comment is not None and row.comment != current.comment:
                changes["comment"] = row.comment
            if changes and current.state == State.REJECTED:
                changes["state"] = State.DRAFT  # corrected: a draft again
            if changes:
                do_update(access, current, changes, current.version)
        except ValidationFailed as exc:
            raise _prefixed(exc, ("entries", i)) from None
    week = TimesheetEntry.objects.filter(resource=resource, week_start=week_start)
    if submit:
        for entry in week.filter(state__in=EDITABLE).order_by("pk"):
            try:
                do_update(access, entry, {"state": State.SUBMITTED}, entry.version)
            except ValidationFailed as exc:
                i = next((k for k, r in enumerate(entries) if r.task_id == entry.task_id), -1)
                raise _prefixed(exc, ("entries", i) if i >= 0 else ()) from None
    return list(week.select_related("task", "task__project").order_by("task__position", "pk"))


# --- reading: the week grid and the approval queue ------------------------------------------


@dataclass
class GridRow:
    task: Task
    entry: TimesheetEntry | None
    assigned: bool
    hours_text: str = ""  # what the hours field shows (the stored hours, or what was typed)
    comment_text: str = ""
    bookable: bool = True  # the user may book this resource's hours on this task (may_book)

    @property
    def editable(self) -> bool:
        return self.bookable and (self.entry is None or self.entry.state in EDITABLE)


@dataclass
class WeekGrid:
    resource: Resource
    week_start: dt.date
    rows: list[GridRow] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((r.entry.hours for r in self.rows if r.entry), Decimal(0))

    @property
    def days(self) -> list[dt.date]:
        return [self.week_start + dt.timedelta(days=i) for i in range(7)]

    @property
    def has_editable(self) -> bool:
        return any(r.editable for r in self.rows)

    @property
    def read_only(self) -> bool:
        """Rows the user may see but book on none (another's resource, not their project)."""
        return bool(self.rows) and not any(r.bookable for r in self.rows)

    @property
    def can_submit(self) -> bool:
        return any(
            r.entry is not None and r.entry.state in EDITABLE and r.entry.hours > 0
            for r in self.rows
        )


def resources_of(access: Access) -> list[Resource]:
    """The resources linked to the user, in the organisations the user belongs to."""
    return list(
        access.scoped(Resource.objects.filter(user_id=access.user.pk))
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


def week_grid(access: Access, resource: Resource, week_start: dt.date) -> WeekGrid:
    """Rows: the tasks the resource is assigned to (not finished before the week) and any
    task it has an entry on that week."""
    access.check_visible(resource)
    entries = {
        e.task_id: e
        for e in TimesheetEntry.objects.filter(resource=resource, week_start=week_start)
    }
    week_start_dt = dt.datetime.combine(week_start, dt.time(), tzinfo=UTC)
    assigned_ids = set(
        Assignment.objects.filter(resource=resource)
        .filter(Q(task__actual_finish__isnull=True) | Q(task__actual_finish__gte=week_start_dt))
        .values_list("task_id", flat=True)
    )
    tasks = (
        Task.objects.filter(pk__in=assigned_ids | set(entries), is_summary=False)
        .select_related("project")
        .order_by("project__code", "position", "pk")
    )
    grid = WeekGrid(resource, week_start)
    for t in tasks:
        entry = entries.get(t.pk)
        row = GridRow(t, entry, t.pk in assigned_ids, bookable=may_book(access, resource, t))
        if entry is not None:
            row.hours_text = format(entry.hours.normalize(), "f")
            row.comment_text = entry.comment
        grid.rows.append(row)
    return grid


def pending_reviews(access: Access) -> list[TimesheetEntry]:
    """Submitted entries of the projects the user may approve for, but not the user's own
    (someone else reviews those: :func:`check_own_review`)."""
    candidates = (
        access.scoped(
            TimesheetEntry.objects.filter(state=State.SUBMITTED).select_related(
                "task", "task__project", "resource"
            )
        )
        .exclude(resource__user_id=access.user.pk)
        .order_by("task__project__code", "week_start", "resource__name", "pk")
    )
    writable: dict[int, bool] = {}
    out = []
    for entry in candidates:
        project: Project = entry.task.project
        if project.pk not in writable:
            writable[project.pk] = access.can_write(project)
        if writable[project.pk]:
            out.append(entry)
    return out


def get_entry(access: Access, pk: Any) -> TimesheetEntry:
    return access.get(TimesheetEntry.objects.select_related("task__project", "resource"), pk)
