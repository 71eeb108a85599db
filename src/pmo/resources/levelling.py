"""Levelling service: stored plan → levelling engine → a proposal the user accepts or not.

``do_propose_levelling`` levels one project, or every running project of a portfolio by
project priority, and stores the result as a :class:`LevellingRun` in status *proposed*:

1. **The unlevelled schedule.** The critical-path schedule of the scope as it would be without
   any levelling (previously accepted ``levelled_start`` values of the scope's tasks are
   ignored; everything else holds: all link types and lags, calendars, constraints, progress,
   projects linked from outside the scope), computed by the scheduling service on the stored
   plan inside a savepoint that is rolled back.
2. **The levelling problem**: :func:`pmo.engine.level_plan.build_level_input` (shared with
   ``pmo level FILE``, with the same periods): working days of the project calendar (for a
   portfolio: the organisation's default calendar), split in equal parts when tasks start or
   finish within days (the coarsest split that puts every start and finish on a period
   boundary: halves for noon, at most 16 a day), so two half-day tasks of one person on the
   same day are not an over-allocation; releases at the unlevelled start periods, links with
   their lags in periods (summary tasks' links carried down; shortened where rounding would
   ask more than the unlevelled schedule has, so nothing drifts), started, finished and "must
   start/finish on" tasks fixed, deadlines soft, the project priority as task priority; each
   assignment demands its units of its resource, whose capacity is its ``max_units`` reduced
   on the days its own calendar works less (holidays, leave, part time). With
   ``hold_other_projects`` the assignments of other projects on the same resources hold
   capacity at their current dates.
4. :func:`pmo.engine.level.level` (engine ``auto``: exact up to 300 tasks, heuristic above).
5. **The proposal.** Every task that starts later than in the unlevelled schedule is a move,
   with the reason the engine gives (``TaskMove``: the resource it waited for, on which day,
   held by which competing tasks, and the predecessors that moved it), its delays in working
   days (fractions when the periods are parts of days). A task that waited for a resource gets
   a levelled start (start no earlier than the first working moment of its new period); the
   others follow their predecessors, except that with periods shorter than a day every moved
   task is held back (as for files: at minute precision it could otherwise start inside a
   period the levelling gave to another task). The proposed dates are the scheduling
   service's result with those levelled starts (again in a rolled-back savepoint), so the
   Gantt preview shows exactly what accepting gives. ``makespan`` and ``lower_bound`` are in
   working days too.

``do_accept_levelling`` writes the levelled starts of the scope (and clears the ones a previous
levelling left on tasks this one does not delay) in one transaction with an audit event per
task, marks an earlier accepted levelling of the same tasks *superseded*, and reschedules.
``do_undo_levelling`` restores the previous values (and the levelling it superseded);
``do_discard_levelling`` only closes the proposal. A proposal whose plan changed since it was
computed (tasks, links, assignments, resources, calendars: see ``plan_signature``) cannot be
accepted: level again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from pmo.core.access import Access
from pmo.core.services import record
from pmo.engine import cpm
from pmo.engine.calendar import Calendar as EngineCalendar
from pmo.engine.calendar import from_minutes
from pmo.engine.level import LevelOptions, LevelResult, level
from pmo.engine.level_plan import (
    LevelAssignment,
    LevelInput,
    LevelLink,
    LevelResource,
    LevelTask,
    build_level_input,
    explain_moves,
    first_moments,
    levelled_days,
)
from pmo.engine.plan import LagUnit as EngineLagUnit
from pmo.engine.plan import LinkType
from pmo.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from pmo.orgs.models import Calendar, CalendarException
from pmo.portfolio.models import Portfolio
from pmo.projects import scheduling
from pmo.projects.models import ConstraintType, Dependency, Project, Status, Task
from pmo.resources.models import Assignment, LevellingRun, Resource
from pmo.resources.services import do_set_levelled_starts

UTC = dt.UTC
ENGINES = ("auto", "exact", "heuristic")
MAX_TIME_LIMIT = 120.0
INACTIVE = (Status.COMPLETED, Status.CANCELLED, Status.ON_HOLD)


# ---------------------------------------------------------------------------------------------
# scope and the schedule the scheduling service would compute
# ---------------------------------------------------------------------------------------------


def scope_projects(project: Project | None, portfolio: Portfolio | None) -> list[Project]:
    """The projects a levelling covers: the project, or the portfolio's running projects."""
    related = ("organisation__default_calendar", "calendar", "portfolio")
    if project is not None:
        return [Project.objects.select_related(*related).get(pk=project.pk)]
    assert portfolio is not None
    return list(
        Project.objects.select_related(*related)
        .filter(portfolio=portfolio)
        .exclude(status__in=INACTIVE)
        .exclude(phase="closed")
        .order_by("-priority", "code")
    )


def _components(projects: Sequence[Project]) -> list[list[Project]]:
    """The networks (projects joined by cross-project links) the scope's projects are in,
    each as the scheduling service orders it."""
    out: list[list[Project]] = []
    seen: set[int] = set()
    for p in sorted(projects, key=lambda p: p.pk):
        if p.pk in seen:
            continue
        component = scheduling.connected_projects(p)
        seen.update(c.pk for c in component)
        out.append(component)
    return out


@dataclass(frozen=True)
class _Dates:
    start: dict[int, dt.datetime]
    finish: dict[int, dt.datetime]


def _schedule_with(
    projects: Sequence[Project], overrides: Mapping[int, dt.datetime | None]
) -> _Dates:
    """The scheduling service's dates for the networks of ``projects`` if the tasks in
    ``overrides`` had those levelled starts (naive wall-clock, None = none). Nothing is
    written: the overrides live in a savepoint that is rolled back."""
    starts: dict[int, dt.datetime] = {}
    finishes: dict[int, dt.datetime] = {}
    with transaction.atomic():
        by_value: dict[dt.datetime | None, list[int]] = defaultdict(list)
        for pk, value in overrides.items():
            by_value[value].append(pk)
        for value, pks in by_value.items():
            aware = value.replace(tzinfo=UTC) if value is not None else None
            for k in range(0, len(pks), 500):
                Task.objects.filter(pk__in=pks[k : k + 500]).update(levelled_start=aware)
        for component in _components(projects):
            loaded = scheduling.load_plan(component)
            result = cpm.schedule(loaded.plan, scheduling.options_for(component[0]))
            s = result.start.astype("M8[m]").astype(np.int64)
            f = result.finish.astype("M8[m]").astype(np.int64)
            nat = np.isnat(result.start)
            for i, pk in enumerate(loaded.task_pks):
                if not nat[i]:
                    starts[pk] = from_minutes(int(s[i]))
                    finishes[pk] = from_minutes(int(f[i]))
        transaction.set_rollback(True)
    return _Dates(starts, finishes)


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _iso(value: dt.datetime | None) -> str | None:
    return _naive(value).isoformat() if value is not None else None  # type: ignore[union-attr]


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


# ---------------------------------------------------------------------------------------------
# the plan's fingerprint
# ---------------------------------------------------------------------------------------------


def plan_signature(project_ids: Iterable[int]) -> str:
    """A digest of everything a levelling of these projects depends on: their tasks
    (version, levelled start), links, assignments, the resources assigned, the projects and
    the calendars involved. Rescheduling alone does not change it (derived dates carry no
    version)."""
    ids = sorted(set(project_ids))
    h = hashlib.sha256()

    def feed(label: str, rows: Iterable[Any]) -> None:
        h.update(label.encode())
        for row in rows:
            h.update(repr(tuple(row)).encode())

    feed("projects", Project.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "version"))
    tasks = Task.objects.filter(project_id__in=ids)
    feed("tasks", tasks.order_by("pk").values_list("pk", "version", "levelled_start"))
    feed(
        "links",
        Dependency.objects.filter(
            Q(successor_id__in=tasks.values("pk")) | Q(predecessor_id__in=tasks.values("pk"))
        )
        .order_by("pk")
        .values_list("pk", "version"),
    )
    assignments = Assignment.objects.filter(task__project_id__in=ids)
    feed("assignments", assignments.order_by("pk").values_list("pk", "version"))
    resource_ids = set(assignments.values_list("resource_id", flat=True))
    resources = Resource.objects.filter(pk__in=resource_ids).order_by("pk")
    feed("resources", resources.values_list("pk", "version"))
    cal_ids = set(resources.exclude(calendar=None).values_list("calendar_id", flat=True))
    cal_ids |= set(tasks.exclude(calendar=None).values_list("calendar_id", flat=True))
    for p in Project.objects.filter(pk__in=ids).select_related("organisation"):
        cal_ids |= {c for c in (p.calendar_id, p.organisation.default_calendar_id) if c}
    feed(
        "calendars",
        Calendar.objects.filter(pk__in=cal_ids).order_by("pk").values_list("pk", "version"),
    )
    feed(
        "exceptions",
        CalendarException.objects.filter(calendar_id__in=cal_ids)
        .order_by("pk")
        .values_list("pk", "version"),
    )
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# building the levelling problem
# ---------------------------------------------------------------------------------------------


def _engine_calendar(calendar: Calendar | None, default_id: str = "standard") -> EngineCalendar:
    if calendar is None:
        return EngineCalendar.standard(default_id)
    return scheduling.engine_calendar(calendar)


def _build(
    projects: Sequence[Project],
    period_calendar: EngineCalendar,
    unlevelled: _Dates,
    hold_other_projects: bool,
) -> LevelInput:
    """The stored plan as :func:`pmo.engine.level_plan.build_level_input` takes it."""
    project_ids = [p.pk for p in projects]
    priority = {p.pk: p.priority for p in projects}
    code = {p.pk: p.code for p in projects}
    portfolio_wide = len(projects) > 1
    rows: list[Any] = list(
        Task.objects.filter(project_id__in=project_ids)
        .order_by("project_id", "position", "pk")
        .values(
            "pk", "project_id", "parent_id", "name", "is_milestone", "duration_minutes",
            "constraint_type", "percent_complete", "actual_start", "actual_finish", "deadline",
        )
    )  # fmt: skip

    def label(t: dict[str, Any]) -> str:
        return f"{code[t['project_id']]}: {t['name']}" if portfolio_wide else str(t["name"])

    tasks = [
        LevelTask(
            id=t["pk"],
            name=label(t),
            start=unlevelled.start.get(t["pk"]),
            finish=unlevelled.finish.get(t["pk"]),
            parent=t["parent_id"],
            duration=t["duration_minutes"],
            milestone=bool(t["is_milestone"]),
            fixed=bool(
                t["actual_start"]
                or t["actual_finish"]
                or t["percent_complete"] > 0
                or t["constraint_type"] in (ConstraintType.MSO, ConstraintType.MFO)
            ),
            priority=priority[t["project_id"]],
            deadline=_naive(t["deadline"]),
        )
        for t in rows
    ]
    parents = {t.parent for t in tasks}
    scope_pks = [t.id for t in tasks if t.id not in parents and t.start is not None]
    assignments = [
        LevelAssignment(task, resource, units)
        for task, resource, units in Assignment.objects.filter(task_id__in=scope_pks).values_list(
            "task_id", "resource_id", "units"
        )
    ]
    # held tasks of other projects on the same resources
    held: list[LevelTask] = []
    resource_ids = sorted({a.resource for a in assignments})
    if hold_other_projects and resource_ids:
        dated = [t.start for t in tasks if t.start is not None]
        first = min(dated).date() if dated else dt.date.today()
        other = (
            Assignment.objects.filter(resource_id__in=resource_ids)
            .exclude(task__project_id__in=project_ids)
            .filter(
                task__early_start__isnull=False,
                task__early_finish__isnull=False,
                task__is_summary=False,
                task__early_finish__gt=dt.datetime.combine(first, dt.time(), tzinfo=UTC),
            )
            .values_list(
                "task_id", "resource_id", "units", "task__name", "task__project__code",
                "task__early_start", "task__early_finish",
            )
        )  # fmt: skip
        seen: set[int] = set()
        for task_id, res_id, units, name, pcode, es, ef in other:
            assignments.append(LevelAssignment(task_id, res_id, units))
            if task_id not in seen:
                seen.add(task_id)
                held.append(
                    LevelTask(task_id, f"{pcode}: {name}", _naive(es), _naive(ef), fixed=True)
                )
    resources = Resource.objects.filter(pk__in={a.resource for a in assignments}).select_related(
        "calendar", "organisation__default_calendar"
    )
    calendars: dict[int | None, EngineCalendar] = {}
    level_resources = []
    for r in sorted(resources, key=lambda r: r.pk):
        stored = r.calendar or r.organisation.default_calendar
        key = stored.pk if stored else None
        if key not in calendars:
            calendars[key] = _engine_calendar(stored, "resource-standard")
        level_resources.append(LevelResource(r.pk, r.name, r.max_units, calendars[key]))
    links = [
        LevelLink(pred, succ, LinkType[kind], float(lag), EngineLagUnit[unit.upper()])
        for pred, succ, kind, lag, unit in Dependency.objects.filter(
            predecessor__project_id__in=project_ids, successor__project_id__in=project_ids
        ).values_list("predecessor_id", "successor_id", "type", "lag", "lag_unit")
    ]
    # periods: days, or the parts of days the plan's times need (as for files)
    return build_level_input(
        tasks, links, level_resources, assignments, period_calendar, held=held, slots_per_day=None
    )


# ---------------------------------------------------------------------------------------------
# proposing
# ---------------------------------------------------------------------------------------------


def _task_calendars(projects: Sequence[Project], pks: Sequence[int]) -> dict[int, EngineCalendar]:
    """The calendar each task is scheduled on (its own, its project's, the organisation's)."""
    rows = Task.objects.filter(pk__in=pks).values_list("pk", "calendar_id", "project_id")
    by_project = {p.pk: (p.calendar or p.organisation.default_calendar) for p in projects}
    wanted = {c for _, c, _ in rows if c} | {c.pk for c in by_project.values() if c}
    stored = {
        c.pk: c for c in Calendar.objects.filter(pk__in=wanted).prefetch_related("exceptions")
    }
    engines: dict[int | None, EngineCalendar] = {}
    out: dict[int, EngineCalendar] = {}
    for pk, cal_id, project_id in rows:
        if cal_id is None:
            own = by_project.get(project_id)
            cal_id = own.pk if own else None
        if cal_id not in engines:
            engines[cal_id] = _engine_calendar(stored.get(cal_id) if cal_id else None)
        out[pk] = engines[cal_id]
    return out


def _check_may_level(access: Access, run: LevellingRun) -> None:
    access.check_visible(run)
    if not access.can_write(run):
        exc = PermissionDenied("you may not level resources here with your role")
        exc.obj = run  # type: ignore[attr-defined]
        raise exc


def do_propose_levelling(
    access: Access,
    *,
    project: Project | None = None,
    portfolio: Portfolio | None = None,
    engine: str = "auto",
    time_limit: float = 5.0,
    hold_other_projects: bool = False,
) -> LevellingRun:
    """Level ``project`` (or ``portfolio``) and store the proposal (see the module docstring)."""
    if (project is None) == (portfolio is None):
        raise ValidationFailed.field("scope", "level either a project or a portfolio")
    where = project if project is not None else portfolio
    assert where is not None
    access.check_visible(where)
    owner = portfolio if portfolio is not None else project.portfolio  # type: ignore[union-attr]
    probe = LevellingRun(organisation_id=where.organisation_id, project=project, portfolio=owner)
    _check_may_level(access, probe)
    if engine not in ENGINES:
        raise ValidationFailed.field("engine", "must be auto, exact or heuristic")
    if not 0 < float(time_limit) <= MAX_TIME_LIMIT:
        raise ValidationFailed.field(
            "time_limit", f"must be more than 0 and at most {MAX_TIME_LIMIT:g} s"
        )
    projects = scope_projects(project, portfolio)
    if not projects:
        raise ValidationFailed.field(
            "portfolio_id", "the portfolio has no running project to level"
        )
    project_ids = [p.pk for p in projects]
    # 1. read the plan (one transaction); 2. level (no transaction open: the solver may take
    # seconds and must not hold the database); 3. preview and store (one transaction). A
    # change of the plan meanwhile makes the stored proposal stale: accepting it is refused.
    with transaction.atomic():
        signature = plan_signature(project_ids)
        scope_task_pks = list(
            Task.objects.filter(project_id__in=project_ids).values_list("pk", flat=True)
        )
        unlevelled = _schedule_with(projects, dict.fromkeys(scope_task_pks))
        main = projects[0]
        if project is not None:
            period_cal = project.calendar or project.organisation.default_calendar
        else:
            period_cal = main.organisation.default_calendar or main.calendar
        period_calendar = _engine_calendar(period_cal)
        built = _build(projects, period_calendar, unlevelled, hold_other_projects)
    problem = built.problem
    result: LevelResult = level(
        problem,
        LevelOptions(engine=engine, time_limit=float(time_limit), num_workers=2, seed=0),  # type: ignore[arg-type]
    )
    with transaction.atomic():
        return _store_proposal(
            access,
            project=project,
            portfolio=owner,
            organisation_id=where.organisation_id,
            projects=projects,
            built=built,
            result=result,
            unlevelled=unlevelled,
            signature=signature,
            engine=engine,
            time_limit=float(time_limit),
            hold_other_projects=hold_other_projects,
        )


def _store_proposal(
    access: Access,
    *,
    project: Project | None,
    portfolio: Portfolio,
    organisation_id: int,
    projects: Sequence[Project],
    built: LevelInput,
    result: LevelResult,
    unlevelled: _Dates,
    signature: str,
    engine: str,
    time_limit: float,
    hold_other_projects: bool,
) -> LevellingRun:
    project_ids = [p.pk for p in projects]

    # levelled starts: the tasks that waited for a resource (every moved task when periods
    # are parts of days, see levelled_days)
    day_of = levelled_days(built, result, every_move=built.slots_per_day > 1)
    levelled_at = first_moments(day_of, _task_calendars(projects, list(day_of)))  # type: ignore[arg-type]
    free_pks = [int(built.task_ids[i]) for i in built.free_rows]
    levelled: dict[int, dt.datetime | None] = dict.fromkeys(free_pks)
    levelled.update({int(pk): moment for pk, moment in levelled_at.items()})
    proposed = _schedule_with(projects, levelled)

    current = {
        row["pk"]: row
        for row in Task.objects.filter(project_id__in=project_ids).values(
            "pk", "name", "project_id", "early_start", "early_finish", "levelled_start"
        )
    }
    dates: dict[str, list[str | None]] = {}
    for pk, row in current.items():
        new_s, new_f = proposed.start.get(pk), proposed.finish.get(pk)
        if (_naive(row["early_start"]), _naive(row["early_finish"])) != (new_s, new_f):
            dates[str(pk)] = [_iso(new_s), _iso(new_f)]

    moves: list[dict[str, Any]] = []
    for m in explain_moves(built, result, unlevelled.start, proposed.start):  # type: ignore[arg-type]
        pk = int(m.task)
        row = current[pk]
        moves.append(
            {
                "task_id": pk,
                "project_id": row["project_id"],
                "name": row["name"],
                "old_start": _iso(row["early_start"]),
                "old_finish": _iso(row["early_finish"]),
                "unlevelled_start": _iso(unlevelled.start.get(pk)),
                "new_start": _iso(proposed.start.get(pk)),
                "new_finish": _iso(proposed.finish.get(pk)),
                "levelled_start": _iso(levelled.get(pk)),
                "delay_days": m.delay_days,
                "precedence_delay_days": m.precedence_delay_days,
                "resource_delay_days": m.resource_delay_days,
                "resource_id": m.resource,
                "resource": m.resource_name,
                "blocked_on": m.blocked_on.isoformat() if m.blocked_on else None,
                "competing": [{"task_id": k, "name": n} for k, n in m.competing],
                "predecessors": [{"task_id": k, "name": n} for k, n in m.predecessors],
                "reason": m.reason,
            }
        )
    befores = [_naive(r["early_finish"]) for r in current.values()]
    finish_before = max((f for f in befores if f is not None), default=None)
    finish_after = max(
        (proposed.finish[pk] for pk in current if pk in proposed.finish), default=None
    )
    released = [
        pk
        for pk in free_pks
        if current[pk]["levelled_start"] is not None and levelled.get(pk) is None
    ]
    run = LevellingRun.objects.create(
        organisation_id=organisation_id,
        project=project,
        portfolio=portfolio,
        created_by_id=access.user.pk,
        status=LevellingRun.Status.PROPOSED,
        engine_requested=engine,
        engine=result.engine,
        time_limit=time_limit,
        hold_other_projects=hold_other_projects,
        project_ids=project_ids,
        tasks=len(built.free_rows),
        moved=len(moves),
        makespan=built.in_days(result.makespan),
        lower_bound=built.in_days(result.lower_bound),
        optimal=result.optimal,
        seconds=round(result.seconds, 3),
        origin=built.day(0),
        finish_before=finish_before.replace(tzinfo=UTC) if finish_before else None,
        finish_after=finish_after.replace(tzinfo=UTC) if finish_after else None,
        proposal={
            "moves": moves,
            "levelled": {str(pk): _iso(v) for pk, v in levelled.items()},
            "dates": dates,
            "released": released,
            "warnings": built.warnings,
            "resources": len(built.resource_ids),
            "slots_per_day": built.slots_per_day,
            "schedules": result.schedules,
            "status": result.status,
            "late": [  # working days from ``origin``
                {
                    "task_id": built.task_ids[j],
                    "deadline_day": built.in_days(d),
                    "finish_day": built.in_days(f),
                    "hard": h,
                }
                for j, d, f, h in result.late
                if j < built.n_scope
            ],
        },
        signature=signature,
    )
    record(
        access,
        "create",
        run,
        {
            "status": [None, run.status],
            "engine": [None, run.engine],
            "makespan": [None, run.makespan],
            "moved": [None, run.moved],
            "project_ids": [None, project_ids],
        },
    )
    return run


# ---------------------------------------------------------------------------------------------
# accept, discard, undo
# ---------------------------------------------------------------------------------------------


def _lock(access: Access, run: LevellingRun, version: int) -> LevellingRun:
    locked = LevellingRun.objects.select_for_update().filter(pk=run.pk).first()
    if locked is None:
        raise NotFound(f"levelling run {run.pk} not found")
    _check_may_level(access, locked)
    if locked.version != version:
        raise StaleVersion(
            f"levelling run {run.pk} was changed by someone else since you read it (you had "
            f"version {version}); reload it first",
            current_version=locked.version,
        )
    return locked


def _set_status(access: Access, run: LevellingRun, **values: Any) -> LevellingRun:
    before = {k: getattr(run, k) for k in values}
    now = timezone.now()
    LevellingRun.objects.filter(pk=run.pk).update(
        **values, version=F("version") + 1, updated_at=now
    )
    run.refresh_from_db()
    changes = {
        k: [_audit(before[k]), _audit(getattr(run, k))]
        for k in values
        if k not in ("previous",) and before[k] != getattr(run, k)
    }
    record(access, "update", run, changes)
    return run


def _audit(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _reschedule(access: Access, project_ids: Iterable[int]) -> None:
    done: set[int] = set()
    for project in Project.objects.filter(pk__in=set(project_ids)).order_by("pk"):
        if project.pk in done:
            continue
        summary = scheduling.do_schedule_project(access, project)
        done.update(summary.project_ids)


@transaction.atomic
def do_accept_levelling(access: Access, run: LevellingRun, version: int) -> LevellingRun:
    """Write the proposal's levelled starts, supersede an earlier accepted levelling of the
    same tasks, and reschedule; one transaction, audited. Refused if the plan changed since
    the proposal was computed."""
    locked = _lock(access, run, version)
    if locked.status != LevellingRun.Status.PROPOSED:
        raise Conflict(
            f"levelling run {run.pk} is {locked.get_status_display().lower()}, not a proposal"
        )
    if plan_signature(locked.project_ids) != locked.signature:
        raise StaleVersion(
            "the plan changed since this levelling was proposed (tasks, links, assignments, "
            "resources or calendars); level again"
        )
    values = {int(pk): _aware(v) for pk, v in locked.proposal.get("levelled", {}).items()}
    previous = do_set_levelled_starts(access, values, run_id=locked.pk)
    older = LevellingRun.objects.filter(
        organisation_id=locked.organisation_id, status=LevellingRun.Status.ACCEPTED
    ).exclude(pk=locked.pk)
    superseded = [r.pk for r in older if set(r.project_ids) & set(locked.project_ids)]
    for other in LevellingRun.objects.filter(pk__in=superseded):
        _set_status(access, other, status=LevellingRun.Status.SUPERSEDED, superseded_by=locked)
    run = _set_status(
        access,
        locked,
        status=LevellingRun.Status.ACCEPTED,
        previous={str(pk): _iso(v) for pk, v in previous.items()},
        accepted_at=timezone.now(),
        accepted_by=access.user,
    )
    _reschedule(access, locked.project_ids)
    return run


def _aware(value: str | None) -> dt.datetime | None:
    parsed = _parse(value)
    return parsed.replace(tzinfo=UTC) if parsed is not None else None


@transaction.atomic
def do_discard_levelling(access: Access, run: LevellingRun, version: int) -> LevellingRun:
    """Close a proposal without changing the plan."""
    locked = _lock(access, run, version)
    if locked.status != LevellingRun.Status.PROPOSED:
        raise Conflict(
            f"levelling run {run.pk} is {locked.get_status_display().lower()}, not a proposal"
        )
    return _set_status(access, locked, status=LevellingRun.Status.DISCARDED)


@transaction.atomic
def do_undo_levelling(access: Access, run: LevellingRun, version: int) -> LevellingRun:
    """Restore the levelled starts the tasks had before ``run`` was accepted (and the
    levelling it superseded), then reschedule."""
    locked = _lock(access, run, version)
    if locked.status == LevellingRun.Status.SUPERSEDED:
        raise Conflict(
            f"levelling run {run.pk} was superseded by levelling run {locked.superseded_by_id}: "
            "undo that one first"
        )
    if locked.status != LevellingRun.Status.ACCEPTED:
        raise Conflict(
            f"levelling run {run.pk} is {locked.get_status_display().lower()}, not accepted"
        )
    set_by_run = locked.proposal.get("levelled", {})
    previous = {int(pk): _aware(v) for pk, v in locked.previous.items()}
    stored = dict(Task.objects.filter(pk__in=list(previous)).values_list("pk", "levelled_start"))
    changed = [
        pk for pk in previous if pk in stored and _iso(stored[pk]) != set_by_run.get(str(pk))
    ]
    if changed:
        raise Conflict(
            f"{len(changed)} task(s) got another levelled start since this levelling was "
            "accepted; it cannot be undone"
        )
    do_set_levelled_starts(
        access, {pk: v for pk, v in previous.items() if pk in stored}, run_id=locked.pk
    )
    for other in LevellingRun.objects.filter(superseded_by=locked):
        _set_status(access, other, status=LevellingRun.Status.ACCEPTED, superseded_by=None)
    run = _set_status(
        access,
        locked,
        status=LevellingRun.Status.UNDONE,
        undone_at=timezone.now(),
        undone_by=access.user,
    )
    _reschedule(access, locked.project_ids)
    return run


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------


def runs_of(access: Access, project: Project, limit: int = 20) -> list[LevellingRun]:
    """The levelling runs covering ``project`` (its own, and its portfolio's that include it),
    newest first."""
    qs = (
        access.scoped(LevellingRun.objects.filter(portfolio_id=project.portfolio_id))
        .select_related("project", "portfolio", "created_by")
        .defer("proposal", "previous")
    )
    return [
        r for r in qs.order_by("-created_at", "-id")[: limit * 5] if project.pk in r.project_ids
    ][:limit]


def gantt_proposal(
    access: Access, project: Project, run_id: int
) -> dict[int, tuple[str | None, str | None]]:
    """The proposed dates of ``project``'s tasks in levelling run ``run_id`` (for the Gantt
    preview): task id → (start, finish) as naive ISO date-times."""
    run = access.get(LevellingRun.objects.all(), run_id)
    if project.pk not in run.project_ids:
        raise NotFound(f"levelling run {run_id} does not cover project {project.code}")
    dates = run.proposal.get("dates", {})
    pks = set(Task.objects.filter(project=project).values_list("pk", flat=True))
    return {int(pk): (v[0], v[1]) for pk, v in dates.items() if int(pk) in pks}
