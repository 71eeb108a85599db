"""Checks for skills, resources (with their skills), cost rates, assignments and task skill
requirements; the writes of levelling (levelled starts) and personal leave.

A resource's skills are written with the resource, as ``skills=[{"skill_id": 3,
"proficiency": 4}, ...]`` in ``do_create``/``do_update`` data: the core services replace
the ``ResourceSkill`` rows, check each skill is the organisation's and each proficiency is
1-5, and audit the list before and after.

``do_set_levelled_starts`` writes ``Task.levelled_start`` of many tasks in one transaction
(role checked on each, new version, one audit event each): accepting or undoing a levelling
(``pmo.resources.levelling``). ``do_add_leave`` records leave as a non-working exception of the
person's own calendar, creating it (a copy of the calendar they used) on first use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pmo.core.access import Access
from pmo.core.models import AuditEvent
from pmo.core.services import checks, do_create, do_update, jsonable
from pmo.errors import FieldError, StaleVersion, ValidationFailed
from pmo.orgs.models import Calendar, CalendarException, Organisation, standard_week
from pmo.projects.models import Project, Task
from pmo.resources.models import Assignment, CostRate, Resource, TaskSkillRequirement


def do_set_skills(
    access: Access, resource: Resource, skills: Sequence[Mapping[str, Any]], version: int
) -> Resource:
    """Replace ``resource``'s skills (``[{"skill_id", "proficiency"}]``) at ``version``."""
    return do_update(access, resource, {"skills": list(skills)}, version)


@checks(CostRate)
def check_cost_rate(access: Access, obj: CostRate, data: Mapping[str, Any]) -> None:
    errors = [
        FieldError((name,), "must not be negative")
        for name in ("standard_rate", "overtime_rate", "cost_per_use")
        if getattr(obj, name) is not None and getattr(obj, name) < 0
    ]
    if errors:
        raise ValidationFailed(errors)


@checks(Assignment)
def check_assignment(access: Access, obj: Assignment, data: Mapping[str, Any]) -> None:
    if obj.task.organisation_id != obj.resource.organisation_id:
        raise ValidationFailed.field(
            "resource_id", f"resource {obj.resource_id} belongs to another organisation"
        )


@checks(TaskSkillRequirement)
def check_task_skill_requirement(
    access: Access, obj: TaskSkillRequirement, data: Mapping[str, Any]
) -> None:
    if obj.skill.organisation_id != obj.task.organisation_id:
        raise ValidationFailed.field(
            "skill_id", f"skill {obj.skill_id} belongs to another organisation"
        )
    if obj.task.is_milestone:
        raise ValidationFailed.field("task_id", "a milestone has no work to staff")


# ---------------------------------------------------------------------------------------------
# levelled starts (written by accepting or undoing a levelling)
# ---------------------------------------------------------------------------------------------


def do_set_levelled_starts(
    access: Access,
    values: Mapping[int, dt.datetime | None],
    *,
    run_id: int | None = None,
) -> dict[int, dt.datetime | None]:
    """Set ``Task.levelled_start`` of many tasks at once; return the values they had.

    One transaction: the tasks are locked, the writer's role is checked on each, every
    changed task gets a new version and one audit event (``levelled_start`` before and after,
    and the levelling run). Tasks that no longer exist are skipped; unchanged ones are left
    alone. The caller reschedules.
    """
    with transaction.atomic():
        tasks = list(
            Task.objects.select_for_update()
            .filter(pk__in=list(values))
            .select_related("project")
            .order_by("pk")
        )
        for task in tasks:
            access.check_visible(task)
            access.check_write(task)
        previous: dict[int, dt.datetime | None] = {}
        events: list[AuditEvent] = []
        now = timezone.now()
        user = access.user
        for task in tasks:
            new = values[task.pk]
            if task.levelled_start == new:
                continue
            previous[task.pk] = task.levelled_start
            Task.objects.filter(pk=task.pk).update(
                levelled_start=new, version=F("version") + 1, updated_at=now
            )
            changes: dict[str, list[Any]] = {
                "levelled_start": [jsonable(task.levelled_start), jsonable(new)]
            }
            if run_id is not None:
                changes["levelling_run"] = [None, run_id]
            events.append(
                AuditEvent(
                    organisation_id=task.organisation_id,
                    user_id=user.pk,
                    username=getattr(user, "username", "") or "system",
                    action=AuditEvent.Action.UPDATE,
                    object_type=Task._meta.label_lower,
                    object_id=task.pk,
                    object_repr=str(task)[:200],
                    changes=changes,
                )
            )
        AuditEvent.objects.bulk_create(events, batch_size=500)
        return previous


# ---------------------------------------------------------------------------------------------
# personal leave: exceptions of the resource's own calendar
# ---------------------------------------------------------------------------------------------


def _calendar_is_personal(resource: Resource) -> bool:
    """The resource's calendar is its own: no other resource, project, task or organisation
    default uses it."""
    cal_id = resource.calendar_id
    if cal_id is None:
        return False
    if Resource.objects.filter(calendar_id=cal_id).exclude(pk=resource.pk).exists():
        return False
    if Organisation.objects.filter(default_calendar_id=cal_id).exists():
        return False
    if Project.objects.filter(calendar_id=cal_id).exists():
        return False
    return not Task.objects.filter(calendar_id=cal_id).exists()


def personal_calendar_name(resource: Resource) -> str:
    return f"Personal: {resource.code}"[:100]


def do_add_leave(
    access: Access,
    resource: Resource,
    start: dt.date,
    end: dt.date,
    name: str = "Leave",
    *,
    version: int,
) -> CalendarException:
    """Record personal leave (``start``..``end`` inclusive, not working) for ``resource``.

    Leave is an exception of the resource's own calendar. A resource that shares a calendar
    (or has none) first gets a personal copy of it (working week, hours per day, country and
    every exception, public holidays included), so the leave touches nobody else. One
    transaction; each row created is audited; ``version`` is the resource's.
    """
    access.check_visible(resource)
    access.check_write(resource)
    if end < start:
        raise ValidationFailed.field("end_date", "must not be before the start")
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        if locked.version != version:
            raise StaleVersion(
                f"resource {resource.pk} was changed by someone else since you read it "
                f"(you had version {version}); reload it and apply your change again",
                current_version=locked.version,
            )
        if not _calendar_is_personal(locked):
            base = locked.calendar or locked.organisation.default_calendar
            calendar = do_create(
                access,
                Calendar,
                {
                    "organisation_id": locked.organisation_id,
                    "name": personal_calendar_name(locked),
                    "country": base.country if base else locked.organisation.country,
                    "working_week": base.working_week if base else standard_week(),
                    "minutes_per_day": base.minutes_per_day if base else 480,
                    "minutes_per_week": base.minutes_per_week if base else 2400,
                },
            )
            if base is not None:
                for exc in base.exceptions.all().order_by("start_date", "pk"):
                    do_create(
                        access,
                        CalendarException,
                        {
                            "calendar_id": calendar.pk,
                            "name": exc.name,
                            "start_date": exc.start_date,
                            "end_date": exc.end_date,
                            "working_intervals": exc.working_intervals,
                            "is_public_holiday": exc.is_public_holiday,
                        },
                    )
            locked = do_update(access, locked, {"calendar_id": calendar.pk}, locked.version)
        leave = do_create(
            access,
            CalendarException,
            {
                "calendar_id": locked.calendar_id,
                "name": name or "Leave",
                "start_date": start,
                "end_date": end,
                "working_intervals": [],
            },
        )
        resource.calendar_id = locked.calendar_id
        resource.version = locked.version
        return leave


def leave_of(resource: Resource) -> list[CalendarException]:
    """The resource's personal leave: exceptions of its own calendar that are not public
    holidays (empty when its calendar is shared)."""
    if not _calendar_is_personal(resource):
        return []
    return list(
        CalendarException.objects.filter(
            calendar_id=int(resource.calendar_id or 0), is_public_holiday=False
        ).order_by("start_date", "pk")
    )
