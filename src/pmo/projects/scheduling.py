"""Scheduling service: stored plan → engine → stored dates.

``do_schedule_project`` reads a project's tasks, links and calendars (with every project joined
to it by cross-project links, so a program's shared milestones hold), runs the critical-path
engine (``pmo.engine.cpm``) and stores each task's early/late dates, floats and critical flag.
It runs after every edit that changes the network (see ``reschedule_after``) and on demand
(API ``POST /projects/{id}/schedule``).

Plans live in their organisation's wall-clock time, as in MS Project and P6: the engine works
on naive datetimes, and they are stored as the same clock reading in UTC, so 08:00 is shown as
08:00 whatever the server's zone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Field, Q

from pmo.core.access import Access
from pmo.core.services import after_write, jsonable, record
from pmo.engine import cpm
from pmo.engine.calendar import Calendar as EngineCalendar
from pmo.engine.calendar import CalendarException as EngineException
from pmo.engine.level_plan import levelled_constraint
from pmo.engine.plan import (
    ConstraintType,
    Convention,
    LagUnit,
    Link,
    LinkType,
    Plan,
    ProgressMode,
    ScheduleOptions,
)
from pmo.engine.plan import LagCalendar as EngineLagCalendar
from pmo.engine.plan import Task as EngineTask
from pmo.errors import NotFound, PermissionDenied, ValidationFailed
from pmo.interop.document import Constraint as DocConstraint
from pmo.interop.document import DocTask, engine_constraint, resource_calendar
from pmo.orgs.models import Calendar, CalendarException
from pmo.projects.bulk import adapters, update_rows
from pmo.projects.models import ActivityType, Baseline, BaselineTask, Dependency, Project, Task
from pmo.projects.models import ConstraintType as ModelConstraint
from pmo.resources.models import Assignment, Resource

UTC = dt.UTC
RESULT_FIELDS = (
    "early_start",
    "early_finish",
    "late_start",
    "late_finish",
    "total_float_minutes",
    "free_float_minutes",
    "is_critical",
)
DEFAULT_CALENDAR_ID = "__standard__"


@dataclass(frozen=True)
class ScheduleSummary:
    """What a reschedule found, for the API, UI and CLI."""

    project_ids: tuple[int, ...]
    tasks: int
    links: int
    project_start: dt.datetime
    project_finish: dt.datetime
    duration_days: float
    critical_tasks: int
    negative_float_tasks: int
    changed_tasks: int


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _aware(value: np.datetime64) -> dt.datetime | None:
    if np.isnat(value):
        return None
    moment = value.astype("M8[m]").astype(dt.datetime)
    return moment.replace(tzinfo=UTC)


def engine_calendar(calendar: Calendar) -> EngineCalendar:
    """An organisation's stored calendar as the engine's calendar."""
    exceptions = tuple(
        EngineException(
            start=e.start_date,
            finish=e.end_date,
            working_times=tuple((int(a), int(b)) for a, b in e.working_intervals),
            name=e.name,
        )
        for e in calendar.exceptions.all()
    )
    return EngineCalendar(
        id=str(calendar.pk),
        name=calendar.name,
        week=tuple(tuple((int(a), int(b)) for a, b in day) for day in calendar.working_week),
        minutes_per_day=calendar.minutes_per_day,
        exceptions=exceptions,
    )


def connected_projects(project: Project) -> list[Project]:
    """The project and every project linked to it, directly or not, by cross-project links."""
    seen = {project.pk}
    frontier = [project.pk]
    while frontier:
        pairs = Dependency.objects.filter(
            Q(predecessor__project_id__in=frontier) | Q(successor__project_id__in=frontier),
            organisation_id=project.organisation_id,
        ).values_list("predecessor__project_id", "successor__project_id")
        frontier = []
        for a, b in pairs:
            for pid in (a, b):
                if pid not in seen:
                    seen.add(pid)
                    frontier.append(pid)
    return list(
        Project.objects.filter(pk__in=seen, organisation_id=project.organisation_id)
        .select_related("calendar", "organisation__default_calendar")
        .order_by("pk")
    )


def _project_calendar(project: Project) -> Calendar | None:
    return project.calendar or project.organisation.default_calendar


@dataclass(frozen=True)
class LoadedPlan:
    plan: Plan
    task_pks: list[int]  # the task of each row of the plan
    task_projects: list[int]  # the project of each task, aligned with task_pks
    projects: list[Project]
    minutes_per_day: int
    # WBS elements left out of the plan (see ``load_plan``): task pk -> (its project, the
    # rows of the plan under it, whose dates it rolls up)
    rollups: Mapping[int, tuple[int, list[int]]] = field(default_factory=dict)
    # the schedule results stored now, per task pk (values of RESULT_FIELDS), so that storing
    # the new ones needs no second read
    stored: Mapping[int, tuple[Any, ...]] = field(default_factory=dict)


# what load_plan reads of each task
_PLAN_FIELDS = (
    "pk",
    "project_id",
    "parent_id",
    "name",
    "is_milestone",
    "activity_type",
    "duration_minutes",
    "elapsed_duration",
    "constraint_type",
    "constraint_date",
    "secondary_constraint_type",
    "secondary_constraint_date",
    "deadline",
    "expected_finish",
    "percent_complete",
    "actual_start",
    "actual_finish",
    "remaining_minutes",
    "calendar_id",
    "levelled_start",
    "levelling_delay_minutes",
    "levelling_delay_format",
)
# P6's soft constraints, secondary constraints: mapped as the file-level check maps them
_P6_CONSTRAINTS = {ModelConstraint.START_ON, ModelConstraint.FINISH_ON}


def load_plan(projects: Sequence[Project]) -> LoadedPlan:
    """Build the engine's plan from the stored tasks, links and calendars of ``projects``.

    Mapped as ``pmo.interop.document.to_plan`` maps a file, so that a stored import is
    rescheduled as the file itself would be: P6's *Start On*/*Finish On* and secondary
    constraints (``engine_constraint``), start milestones (a zero-duration task without the
    milestone flag), elapsed durations, expected finishes, the project's options
    (``options_for``), its must-finish-by date and whether the status date holds remaining
    work. A P6 WBS element (``ActivityType.WBS_ELEMENT``) with no link, constraint or
    deadline of its own is left out of the plan (P6 schedules activities only; an engine
    summary would bound its tasks' late dates and free float) and rolled up from the tasks
    under it when the results are stored.
    """
    main = projects[0]
    project_ids = [p.pk for p in projects]
    rows = list(
        Task.objects.filter(project_id__in=project_ids)
        .order_by("project_id", "position", "pk")
        .values_list(*_PLAN_FIELDS, *RESULT_FIELDS)
    )
    names = (*_PLAN_FIELDS, *RESULT_FIELDS)
    tasks = [dict(zip(names, r, strict=True)) for r in rows]
    stored_results = {r[0]: r[len(_PLAN_FIELDS) :] for r in rows}
    # Semi-joins on the task ids rather than joins through both ends: the planner keeps a
    # hash semi-join even on tables whose statistics are not yet gathered (a fresh import).
    in_plan = Task.objects.filter(project_id__in=project_ids).values("pk")
    links = list(
        Dependency.objects.filter(
            organisation_id=main.organisation_id,
            successor_id__in=in_plan,
            predecessor_id__in=in_plan,
        )
        .order_by("pk")
        .values_list("predecessor_id", "successor_id", "type", "lag", "lag_unit")
    )
    calendar_ids = {t["calendar_id"] for t in tasks if t["calendar_id"]}
    project_calendar = {p.pk: _project_calendar(p) for p in projects}
    calendar_ids |= {c.pk for c in project_calendar.values() if c is not None}
    # the calendars of the resources of tasks scheduled on them (P6 resource-dependent
    # activities; MS Project tasks that do not ignore resource calendars)
    resource_cals: dict[int, set[int | None]] = defaultdict(set)
    for task_id, cal_id in Assignment.objects.filter(
        task__project_id__in=project_ids,
        task__activity_type=ActivityType.RESOURCE_DEPENDENT,
        units__gt=0,
    ).values_list("task_id", "resource__calendar_id"):
        resource_cals[task_id].add(cal_id)
        if cal_id is not None:
            calendar_ids.add(cal_id)
    stored = {
        c.pk: c for c in Calendar.objects.filter(pk__in=calendar_ids).prefetch_related("exceptions")
    }
    calendars: dict[str, EngineCalendar] = {
        str(pk): engine_calendar(c) for pk, c in sorted(stored.items())
    }
    main_calendar = project_calendar[main.pk]
    if main_calendar is None:
        calendars[DEFAULT_CALENDAR_ID] = EngineCalendar.standard(DEFAULT_CALENDAR_ID)
        main_calendar_id = DEFAULT_CALENDAR_ID
    else:
        main_calendar_id = str(main_calendar.pk)
    ordered = [calendars[main_calendar_id]] + [
        c for k, c in calendars.items() if k != main_calendar_id
    ]

    # WBS elements that only roll up: left out, their tasks hang from the next summary up
    linked = {pk for a, b, *_ in links for pk in (a, b)}
    parent_of = {t["pk"]: t["parent_id"] for t in tasks}
    has_children = {t["parent_id"] for t in tasks if t["parent_id"] is not None}
    left_out = {
        t["pk"]
        for t in tasks
        if t["activity_type"] == ActivityType.WBS_ELEMENT
        and t["pk"] not in linked
        and t["constraint_type"] == ModelConstraint.ASAP
        and not t["secondary_constraint_type"]
        and t["deadline"] is None
    }

    def plan_parent(pk: int) -> int | None:
        parent = parent_of.get(pk)
        seen: set[int] = set()
        while parent is not None and parent in left_out and parent not in seen:
            seen.add(parent)
            parent = parent_of.get(parent)
        return parent if parent not in left_out else None

    starts = {
        p.pk: dt.datetime.combine(p.planned_start or dt.date.today(), dt.time()) for p in projects
    }
    project_start = min(starts.values())
    # the first working moment of the project: where unscheduled progress is placed
    first_work = ordered[0].add_working_minutes(project_start, 0, finish=False)
    engine_tasks: list[EngineTask] = []
    plan_tasks = [t for t in tasks if t["pk"] not in left_out]
    for t in plan_tasks:
        calendar_id: str | None = str(t["calendar_id"]) if t["calendar_id"] else None
        if calendar_id is None:
            own = project_calendar[t["project_id"]]
            if own is not None and str(own.pk) != main_calendar_id:
                calendar_id = str(own.pk)
        if t["pk"] in resource_cals and t["pk"] not in has_children:
            calendar_id = _on_resources(
                t, resource_cals[t["pk"]], calendar_id, project_calendar, calendars, ordered
            )
        parent = plan_parent(t["pk"])
        duration = 0 if t["is_milestone"] else int(t["duration_minutes"])
        constraint, constraint_date, deadline = _constraint(
            t, duration, calendars[calendar_id or main_calendar_id]
        )
        # A project that starts later than the others in its network: its tasks start no
        # earlier than its own planned start (unless they carry a constraint of their own).
        if (
            constraint == ConstraintType.ASAP
            and starts[t["project_id"]] > project_start
            and parent is None
        ):
            constraint, constraint_date = ConstraintType.SNET, starts[t["project_id"]]
        # An accepted levelling holds the task back: start no earlier than its levelled start.
        constraint, constraint_date = levelled_constraint(
            constraint, constraint_date, _naive(t["levelled_start"])
        )
        engine_tasks.append(
            EngineTask(
                id=str(t["pk"]),
                name=t["name"],
                duration=duration,
                calendar=calendar_id,
                elapsed=t["elapsed_duration"],
                # P6 start milestones sit at the start of the next working period, finish
                # milestones (the engine's flag) at the end of the previous one
                is_milestone=t["is_milestone"]
                and t["activity_type"] != ActivityType.START_MILESTONE,
                parent=str(parent) if parent is not None else None,
                constraint_type=constraint,
                constraint_date=constraint_date,
                deadline=deadline,
                actual_start=_naive(t["actual_start"]) or _implied_actual_start(t, first_work),
                actual_finish=_naive(t["actual_finish"]),
                percent_complete=float(t["percent_complete"]),
                remaining=t["remaining_minutes"],
                expected_finish=_naive(t["expected_finish"]),
                # P6 level of effort: dates from its neighbours (a summary rolls up instead)
                level_of_effort=t["activity_type"] == ActivityType.LEVEL_OF_EFFORT
                and t["pk"] not in has_children,
                # an imported MS Project leveling delay, as ``to_plan`` applies a file's (not
                # on summaries, which MS Project does not level)
                levelling_delay=t["levelling_delay_minutes"] if t["pk"] not in has_children else 0,
                levelling_delay_elapsed=t["levelling_delay_format"].startswith("e"),
            )
        )
    engine_links = [
        Link(
            predecessor=str(pred),
            successor=str(succ),
            type=LinkType[kind],
            lag=float(lag),
            lag_unit=LagUnit[unit.upper()],
        )
        for pred, succ, kind, lag, unit in links
    ]
    status_date = (
        dt.datetime.combine(main.status_date, dt.time())
        if main.status_date is not None and main.schedule_from_status_date
        else None
    )
    plan = Plan.from_records(
        engine_tasks,
        engine_links,
        ordered,
        project_start,
        calendar=main_calendar_id,
        status_date=status_date,
        must_finish_by=_naive(main.must_finish_by),
    )
    row_of = {t["pk"]: i for i, t in enumerate(plan_tasks)}
    rollups: dict[int, tuple[int, list[int]]] = {
        t["pk"]: (t["project_id"], []) for t in tasks if t["pk"] in left_out
    }
    for t in plan_tasks:
        up, seen = parent_of.get(t["pk"]), set()
        while up is not None and up not in seen:
            seen.add(up)
            if up in rollups:
                rollups[up][1].append(row_of[t["pk"]])
            up = parent_of.get(up)
    return LoadedPlan(
        plan=plan,
        task_pks=[t["pk"] for t in plan_tasks],
        task_projects=[t["project_id"] for t in plan_tasks],
        projects=list(projects),
        minutes_per_day=ordered[0].minutes_per_day,
        rollups=rollups,
        stored=stored_results,
    )


def _on_resources(
    t: Mapping[str, Any],
    resource_calendars: set[int | None],
    calendar_id: str | None,
    project_calendar: Mapping[int, Calendar | None],
    calendars: dict[str, EngineCalendar],
    ordered: list[EngineCalendar],
) -> str | None:
    """The calendar id of a task scheduled on its resources' calendars (as
    ``pmo.interop.document.to_plan``: their union, within the task's own calendar if it has
    one), adding the combined calendar to ``calendars`` and ``ordered`` on first use. A
    resource without a calendar works on the project's."""
    own_project = project_calendar[t["project_id"]]
    default = str(own_project.pk) if own_project is not None else ordered[0].id
    ids = tuple(sorted({str(c) if c is not None else default for c in resource_calendars}))
    own = str(t["calendar_id"]) if t["calendar_id"] else None
    if ids == ((own or default),):
        return calendar_id
    combined = resource_calendar(calendars[own] if own else None, [calendars[i] for i in ids])
    if combined is None:
        return calendar_id
    if combined.id not in calendars:
        calendars[combined.id] = combined
        ordered.append(combined)
    return combined.id


def _constraint(
    t: Mapping[str, Any], duration: int, calendar: EngineCalendar
) -> tuple[ConstraintType, dt.datetime | None, dt.datetime | None]:
    """(engine constraint, its date, deadline) of a stored task."""
    kind, second = t["constraint_type"], t["secondary_constraint_type"]
    if kind not in _P6_CONSTRAINTS and not second:
        return ConstraintType[kind], _naive(t["constraint_date"]), _naive(t["deadline"])
    doc_task = DocTask(
        id=str(t["pk"]),
        duration=duration,
        constraint_type=DocConstraint(kind),
        constraint_date=_naive(t["constraint_date"]),
        secondary_constraint_type=DocConstraint(second) if second else None,
        secondary_constraint_date=_naive(t["secondary_constraint_date"]),
        deadline=_naive(t["deadline"]),
    )
    return engine_constraint(doc_task, calendar)


def _implied_actual_start(
    task: Mapping[str, Any], project_start: dt.datetime
) -> dt.datetime | None:
    """MS Project sets the actual start to the scheduled start when progress is entered
    without one; the engine needs it to place the work done."""
    if task["percent_complete"] <= 0 and not task["actual_finish"]:
        return None
    return _naive(task["early_start"]) or project_start


def _check_may_schedule(access: Access, project: Project) -> None:
    access.check_visible(project)
    probe = Task(project=project, organisation_id=project.organisation_id)
    if not access.can_write(probe):
        raise PermissionDenied("you may not reschedule this project with your role")


def options_for(project: Project) -> ScheduleOptions:
    """The engine options of a stored project (an import sets them from the file)."""
    return ScheduleOptions(
        critical_threshold=project.critical_float_minutes,
        progress_mode=ProgressMode(project.progress_mode),
        lag_calendar=EngineLagCalendar(project.lag_calendar),
        honor_constraint_dates=project.honor_constraint_dates,
        convention=Convention(project.scheduling_convention),
        start_lag_from_early_start=project.start_lag_from_early_start,
        use_expected_finish=project.use_expected_finish,
    )


@dataclass(frozen=True)
class ScheduleRun:
    """A reschedule with what it computed on: the plan built from the database, the engine's
    result and the options (e.g. for comparing with the file a project was imported from)."""

    summary: ScheduleSummary
    loaded: LoadedPlan
    result: cpm.ScheduleResult
    options: ScheduleOptions


def do_schedule_project(access: Access | None, project: Project) -> ScheduleSummary:
    """Reschedule ``project`` (and projects linked to it) and store the results.

    ``access`` None is the system itself rescheduling after a change it already authorised.
    Raises ``CircularDependency`` (naming the tasks) when the links form a cycle.
    """
    return do_schedule_project_run(access, project).summary


@transaction.atomic
def do_schedule_project_run(access: Access | None, project: Project) -> ScheduleRun:
    """``do_schedule_project``, returning the plan and the engine's result too."""
    if access is not None:
        _check_may_schedule(access, project)
    projects = connected_projects(project)
    loaded = load_plan(projects)
    options = options_for(project)
    result = cpm.schedule(loaded.plan, options)
    return ScheduleRun(_store(access, loaded, result), loaded, result, options)


def _store(
    access: Access | None, loaded: LoadedPlan, result: cpm.ScheduleResult
) -> ScheduleSummary:
    pks = loaded.task_pks
    columns: dict[str, list[Any]] = {
        "early_start": _aware_list(result.start),
        "early_finish": _aware_list(result.finish),
        "late_start": _aware_list(result.late_start),
        "late_finish": _aware_list(result.late_finish),
        "total_float_minutes": result.total_float.astype(np.int64).tolist(),
        "free_float_minutes": result.free_float.astype(np.int64).tolist(),
        "is_critical": result.critical.astype(bool).tolist(),
    }
    new_rows: list[tuple[Any, ...]] = [
        (*values, pk) for pk, values in zip(pks, zip(*columns.values(), strict=True), strict=True)
    ]
    new_rows += [(*_rolled_up(columns, rows), pk) for pk, (_, rows) in loaded.rollups.items()]
    current = loaded.stored
    if not current:
        current = {
            row[0]: row[1:]
            for row in Task.objects.filter(pk__in=[r[-1] for r in new_rows]).values_list(
                "pk", *RESULT_FIELDS
            )
        }
    changed = [row for row in new_rows if current.get(row[-1]) != row[:-1]]
    if changed:
        _write_results(changed)
    by_project: dict[int, list[int]] = defaultdict(list)
    for i, project_id in enumerate(loaded.task_projects):
        by_project[project_id].append(i)
    for project in loaded.projects:
        rows = by_project.get(project.pk, [])
        start = min((result.start[i] for i in rows), default=None)
        finish = max((result.finish[i] for i in rows), default=None)
        new_start = _aware(start) if start is not None else None
        new_finish = _aware(finish) if finish is not None else None
        if (project.scheduled_start, project.scheduled_finish) != (new_start, new_finish):
            Project.objects.filter(pk=project.pk).update(
                scheduled_start=new_start, scheduled_finish=new_finish
            )
            record(
                access,
                "update",
                project,
                {
                    "scheduled_start": [_iso(project.scheduled_start), _iso(new_start)],
                    "scheduled_finish": [_iso(project.scheduled_finish), _iso(new_finish)],
                },
            )
            project.scheduled_start, project.scheduled_finish = new_start, new_finish
    minutes_per_day = loaded.minutes_per_day
    return ScheduleSummary(
        project_ids=tuple(p.pk for p in loaded.projects),
        tasks=len(pks) + len(loaded.rollups),
        links=len(loaded.plan.links),
        project_start=result.project_start.replace(tzinfo=UTC),
        project_finish=result.project_finish.replace(tzinfo=UTC),
        duration_days=round(result.project_duration / minutes_per_day, 3),
        critical_tasks=int(np.count_nonzero(result.critical)),
        negative_float_tasks=int(np.count_nonzero(result.total_float < 0)),
        changed_tasks=len(changed),
    )


def _aware_list(values: np.ndarray) -> list[dt.datetime | None]:
    """datetime64 values as aware datetimes (the same wall-clock reading in UTC), NaT None."""
    return [None if v is None else v.replace(tzinfo=UTC) for v in values.astype("M8[m]").tolist()]


def _rolled_up(columns: Mapping[str, list[Any]], rows: Sequence[int]) -> tuple[Any, ...]:
    """The results of a WBS element left out of the plan, from the tasks under it: the first
    start and last finish (early and late), the least total and free float, critical when one
    of them is (P6 rolls a WBS element up the same way)."""

    def pick(name: str, least: bool) -> Any:
        values = [v for i in rows if (v := columns[name][i]) is not None]
        if not values:
            return None
        return min(values) if least else max(values)

    return (
        pick("early_start", True),
        pick("early_finish", False),
        pick("late_start", True),
        pick("late_finish", False),
        pick("total_float_minutes", True),
        pick("free_float_minutes", True),
        any(columns["is_critical"][i] for i in rows),
    )


def _write_results(rows: Sequence[Sequence[Any]]) -> None:
    """Store the derived schedule fields: ``rows`` are the values of RESULT_FIELDS and the
    task's pk, written at once (``pmo.projects.bulk``): Django's ``bulk_update`` builds CASE
    expressions that grow with the batch and take seconds for a few thousand tasks.

    No version bump: these are derived values, so a user's open edit form does not go stale
    because the schedule moved.
    """
    fields = [Task._meta.get_field(name) for name in RESULT_FIELDS]
    assert all(isinstance(f, Field) for f in fields)
    adapt = adapters(fields)  # type: ignore[arg-type]
    values = [
        [v if a is None else a(v) for v, a in zip(row[:-1], adapt, strict=True)] + [row[-1]]
        for row in rows
    ]
    update_rows(Task, fields, values)  # type: ignore[arg-type]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def reschedule_after(project_ids: Iterable[int]) -> None:
    """Reschedule the given projects after a change (called by the services, in their
    transaction, so the edit and its consequences commit together)."""
    done: set[int] = set()
    for project in Project.objects.filter(pk__in=set(project_ids)).order_by("pk"):
        if project.pk in done:
            continue
        summary = do_schedule_project(None, project)
        done.update(summary.project_ids)


def schedule_all_projects(progress: Callable[[str, int, int], None] | None = None) -> int:
    """Reschedule every project of every organisation (after a bulk load, by the system).

    Projects joined by cross-project links are scheduled together, once. Returns how many
    projects were scheduled.
    """
    done: set[int] = set()
    projects = list(Project.objects.order_by("organisation_id", "pk"))
    for i, project in enumerate(projects):
        if project.pk not in done:
            summary = do_schedule_project(None, project)
            done.update(summary.project_ids)
        if progress is not None:
            progress(project.code, i + 1, len(projects))
    return len(done)


# ---------------------------------------------------------------------------------------------
# baselines
# ---------------------------------------------------------------------------------------------

MAX_BASELINES = 11


@transaction.atomic
def do_save_baseline(access: Access, project: Project, number: int, name: str = "") -> Baseline:
    """Save the current schedule as baseline ``number`` (0-10), replacing an older one."""
    _check_may_schedule(access, project)
    if not 0 <= number < MAX_BASELINES:
        raise ValidationFailed.field("number", f"a baseline number is 0 to {MAX_BASELINES - 1}")
    old = Baseline.objects.filter(project=project, number=number).first()
    if old is not None:
        record(access, "delete", old, {"number": [old.number, None], "name": [old.name, None]})
        old.delete()
    baseline = Baseline.objects.create(
        organisation_id=project.organisation_id,
        project=project,
        number=number,
        name=name or f"Baseline {number}" if number else name or "Baseline",
        saved_by_id=access.user.pk,
    )
    rows = [
        BaselineTask(
            baseline=baseline,
            task_id=t.pk,
            start=t.early_start,
            finish=t.early_finish,
            duration_minutes=0 if t.is_milestone else t.duration_minutes,
        )
        for t in Task.objects.filter(project=project).only(
            "pk", "early_start", "early_finish", "duration_minutes", "is_milestone"
        )
    ]
    BaselineTask.objects.bulk_create(rows, batch_size=1000)
    record(
        access,
        "create",
        baseline,
        {"number": [None, number], "name": [None, baseline.name], "tasks": [None, len(rows)]},
    )
    return baseline


@dataclass(frozen=True)
class TaskVariance:
    task_id: int
    name: str
    start: dt.datetime | None
    finish: dt.datetime | None
    baseline_start: dt.datetime | None
    baseline_finish: dt.datetime | None
    start_variance_days: float | None
    finish_variance_days: float | None
    duration_variance_days: float | None


def baseline_variances(project: Project, number: int) -> list[TaskVariance]:
    """Start, finish and duration variance of every task against baseline ``number``."""
    baseline = Baseline.objects.filter(project=project, number=number).first()
    if baseline is None:
        raise NotFound(f"project {project.code} has no baseline {number}")
    saved = {b.task_id: b for b in BaselineTask.objects.filter(baseline=baseline)}
    tasks = list(Task.objects.filter(project=project).order_by("position", "pk"))
    calendar = _project_calendar(project)
    engine_cal = engine_calendar(calendar) if calendar else EngineCalendar.standard()
    nat = np.datetime64("NaT", "m")

    def col(values: Iterable[dt.datetime | None]) -> np.ndarray:
        return np.array(
            [nat if v is None else np.datetime64(_naive(v), "m") for v in values], dtype="M8[m]"
        )

    b: list[BaselineTask | None] = [saved.get(t.pk) for t in tasks]
    variance = cpm.baseline_variance(
        col(t.early_start for t in tasks),
        col(t.early_finish for t in tasks),
        np.array([t.duration_minutes for t in tasks], dtype=np.int64),
        col(x.start if x else None for x in b),
        col(x.finish if x else None for x in b),
        np.array([x.duration_minutes if x else 0 for x in b], dtype=np.int64),
        engine_cal,
    )
    mpd = engine_cal.minutes_per_day

    def days(values: np.ndarray, i: int) -> float | None:
        return round(float(values[i]) / mpd, 2) if variance.has_baseline[i] else None

    out = []
    for i, t in enumerate(tasks):
        base = saved.get(t.pk)
        out.append(
            TaskVariance(
                task_id=t.pk,
                name=t.name,
                start=t.early_start,
                finish=t.early_finish,
                baseline_start=base.start if base else None,
                baseline_finish=base.finish if base else None,
                start_variance_days=days(variance.start_variance, i),
                finish_variance_days=days(variance.finish_variance, i),
                duration_variance_days=days(variance.duration_variance, i),
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Gantt chart data (reads stored results; never computes a schedule)
# ---------------------------------------------------------------------------------------------


def gantt_data(
    project: Project,
    baseline_number: int | None = 0,
    proposal: Mapping[int, tuple[str | None, str | None]] | None = None,
) -> dict[str, Any]:
    """Tasks in outline order with their dates, baseline and links, for ``gantt.js``.

    With ``proposal`` (task id → proposed start and finish as naive ISO date-times, e.g. a
    levelling proposal) the bars show the proposed dates and the grey "baseline" bars the
    current ones, so the chart previews the change."""
    tasks: list[Any] = list(
        Task.objects.filter(project=project)
        .order_by("position", "pk")
        .values(
            "pk",
            "name",
            "parent_id",
            "is_summary",
            "is_milestone",
            "early_start",
            "early_finish",
            "is_critical",
            "percent_complete",
            "total_float_minutes",
        )
    )
    children: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for t in tasks:
        children[t["parent_id"]].append(t)
    ordered: list[tuple[dict[str, Any], int]] = []
    known = {t["pk"] for t in tasks}
    stack = [(t, 0) for t in reversed(children[None])]
    # tasks whose parent is in another project (or missing) still show, at the top level
    stack += [
        (t, 0) for pid, ts in children.items() if pid is not None and pid not in known for t in ts
    ]
    while stack:
        task, level = stack.pop()
        ordered.append((task, level))
        stack.extend((c, level + 1) for c in reversed(children.get(task["pk"], [])))
    row = {t["pk"]: i for i, (t, _) in enumerate(ordered)}
    saved: dict[int, BaselineTask] = {}
    if baseline_number is not None:
        saved = {
            b.task_id: b
            for b in BaselineTask.objects.filter(
                baseline__project=project, baseline__number=baseline_number
            )
        }
    calendar = _project_calendar(project)
    mpd = calendar.minutes_per_day if calendar else 480
    in_project = Task.objects.filter(project=project).values("pk")
    links = [
        [row[p], row[s], typ]
        for p, s, typ in Dependency.objects.filter(
            organisation_id=project.organisation_id,
            predecessor_id__in=in_project,
            successor_id__in=in_project,
        ).values_list("predecessor_id", "successor_id", "type")
        if p in row and s in row
    ]

    def iso(value: dt.datetime | None) -> str | None:
        return _naive(value).isoformat() if value else None  # type: ignore[union-attr]

    def dates(t: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
        now = (iso(t["early_start"]), iso(t["early_finish"]))
        if proposal is not None:
            new = proposal.get(t["pk"], now)
            return new[0], new[1], now[0], now[1]
        b = saved.get(t["pk"])
        return now[0], now[1], iso(b.start) if b else None, iso(b.finish) if b else None

    rows = [(t, level, dates(t)) for t, level in ordered]
    return {
        "project": {"id": project.pk, "code": project.code, "name": project.name},
        "today": dt.date.today().isoformat() + "T00:00:00",
        "status_date": project.status_date.isoformat() + "T00:00:00"
        if project.status_date
        else None,
        "tasks": [
            {
                "id": t["pk"],
                "name": t["name"],
                "level": level,
                "start": start,
                "finish": finish,
                "bl_start": bl_start,
                "bl_finish": bl_finish,
                "summary": t["is_summary"],
                "milestone": t["is_milestone"],
                "critical": t["is_critical"],
                "pct": t["percent_complete"],
                "tf": round(t["total_float_minutes"] / mpd, 2)
                if t["total_float_minutes"] is not None
                else None,
            }
            for t, level, (start, finish, bl_start, bl_finish) in rows
        ],
        "links": links,
    }


# ---------------------------------------------------------------------------------------------
# reschedule after every edit that changes the network
# ---------------------------------------------------------------------------------------------

# Task fields that move dates; an edit of only a name or notes does not reschedule.
SCHEDULE_INPUTS = {
    "project_id",
    "parent_id",
    "position",
    "is_milestone",
    "duration_minutes",
    "constraint_type",
    "constraint_date",
    "deadline",
    "percent_complete",
    "actual_start",
    "actual_finish",
    "remaining_minutes",
    "calendar_id",
    "activity_type",
    "elapsed_duration",
    "secondary_constraint_type",
    "secondary_constraint_date",
    "expected_finish",
    "levelling_delay_minutes",
    "levelling_delay_format",
}
PROJECT_INPUTS = {
    "planned_start",
    "status_date",
    "calendar_id",
    "scheduling_convention",
    "lag_calendar",
    "progress_mode",
    "critical_float_minutes",
    "honor_constraint_dates",
    "schedule_from_status_date",
    "start_lag_from_early_start",
    "use_expected_finish",
    "must_finish_by",
}


def _changed(obj: Any, before: Mapping[str, Any], fields: set[str]) -> bool:
    if not before:
        return True
    return any(jsonable(getattr(obj, f)) != before.get(f) for f in fields if f in before)


@after_write(Task)
def reschedule_after_task(
    access: Access | None, obj: Task, action: str, before: Mapping[str, Any]
) -> None:
    if action != "update" or _changed(obj, before, SCHEDULE_INPUTS):
        ids = {obj.project_id, before.get("project_id")} - {None}
        reschedule_after(int(i) for i in ids if i is not None)


@after_write(Assignment)
def reschedule_after_assignment(
    access: Access | None, obj: Assignment, action: str, before: Mapping[str, Any]
) -> None:
    """A task scheduled on its resources' calendars moves when its resources change."""
    ids = [int(i) for i in {obj.task_id, before.get("task_id")} if i is not None]
    reschedule_after(
        Task.objects.filter(pk__in=ids, activity_type=ActivityType.RESOURCE_DEPENDENT)
        .values_list("project_id", flat=True)
        .distinct()
    )


@after_write(Resource)
def reschedule_after_resource(
    access: Access | None, obj: Resource, action: str, before: Mapping[str, Any]
) -> None:
    """So do its dates when a resource's calendar changes."""
    if action == "update" and _changed(obj, before, {"calendar_id"}):
        reschedule_after(
            Task.objects.filter(
                activity_type=ActivityType.RESOURCE_DEPENDENT, assignments__resource_id=obj.pk
            )
            .values_list("project_id", flat=True)
            .distinct()
        )


@after_write(Dependency)
def reschedule_after_link(
    access: Access | None, obj: Dependency, action: str, before: Mapping[str, Any]
) -> None:
    ids = set(
        Task.objects.filter(pk__in=[obj.predecessor_id, obj.successor_id]).values_list(
            "project_id", flat=True
        )
    )
    reschedule_after(ids)


@after_write(Project)
def reschedule_after_project(
    access: Access | None, obj: Project, action: str, before: Mapping[str, Any]
) -> None:
    if action == "update" and _changed(obj, before, PROJECT_INPUTS):
        reschedule_after([obj.pk])


def _projects_on_calendar(calendar_id: int) -> list[int]:
    calendar = Calendar.objects.select_related("organisation").get(pk=calendar_id)
    uses_default = Q(calendar__isnull=True, organisation__default_calendar_id=calendar_id)
    direct = Q(calendar_id=calendar_id) | uses_default
    via_tasks = Task.objects.filter(calendar_id=calendar_id).values("project_id")
    via_resources = Task.objects.filter(
        activity_type=ActivityType.RESOURCE_DEPENDENT,
        assignments__resource__calendar_id=calendar_id,
    ).values("project_id")
    return list(
        Project.objects.filter(organisation_id=calendar.organisation_id)
        .filter(direct | Q(pk__in=via_tasks) | Q(pk__in=via_resources))
        .values_list("pk", flat=True)
    )


@after_write(Calendar)
def reschedule_after_calendar(
    access: Access | None, obj: Calendar, action: str, before: Mapping[str, Any]
) -> None:
    if action == "update":
        reschedule_after(_projects_on_calendar(obj.pk))


@after_write(CalendarException)
def reschedule_after_calendar_exception(
    access: Access | None, obj: CalendarException, action: str, before: Mapping[str, Any]
) -> None:
    if Calendar.objects.filter(pk=obj.calendar_id).exists():
        reschedule_after(_projects_on_calendar(obj.calendar_id))
