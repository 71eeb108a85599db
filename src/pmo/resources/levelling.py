"""Levelling service: stored plan → levelling engine → a proposal the user accepts or not.

``do_propose_levelling`` levels one project, or every running project of a portfolio by
project priority, and stores the result as a :class:`LevellingRun` in status *proposed*:

1. **The unlevelled schedule.** The critical-path schedule of the scope as it would be without
   any levelling (previously accepted ``levelled_start`` values of the scope's tasks are
   ignored; everything else holds: all link types and lags, calendars, constraints, progress,
   projects linked from outside the scope), computed by the scheduling service on the stored
   plan inside a savepoint that is rolled back.
2. **Periods** are the working days of the project calendar (for a portfolio: the
   organisation's default calendar). Each work task's unlevelled start day becomes its release,
   its days its duration; links (with summary tasks' links carried down to their work tasks,
   and lags converted to days) become the engine's generalised precedence; started, finished
   and "must start/finish on" tasks are fixed where they are; deadlines are soft deadlines;
   the project priority is the task priority.
3. **Resources**: each assignment demands its units (in hundredths) of its resource; the
   capacity of a resource is its ``max_units``, reduced on the days its own calendar has less
   working time than the period calendar (public holidays of another country, personal leave,
   part-time days). With ``hold_other_projects`` the assignments of other projects on the same
   resources hold capacity at their current dates.
4. :func:`pmo.engine.level.level` (engine ``auto``: exact up to 300 tasks, heuristic above).
5. **The proposal.** Every task that starts later than in the unlevelled schedule is a move,
   with the reason the engine gives (``TaskMove``: the resource it waited for, on which day,
   held by which competing tasks, and the predecessors that moved it). A task that waited for a
   resource gets a levelled start (start no earlier than the first working moment of its new
   day); the others follow their predecessors. The proposed dates are the scheduling service's
   result with those levelled starts (again in a rolled-back savepoint), so the Gantt preview
   shows exactly what accepting gives.

``do_accept_levelling`` writes the levelled starts of the scope (and clears the ones a previous
levelling left on tasks this one does not delay) in one transaction with an audit event per
task, marks an earlier accepted levelling of the same tasks *superseded*, and reschedules.
``do_undo_levelling`` restores the previous values (and the levelling it superseded);
``do_discard_levelling`` only closes the proposal. A proposal whose plan changed since it was
computed (tasks, links, assignments, resources, calendars: see ``plan_signature``) cannot be
accepted: level again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from pmo.core.access import Access
from pmo.core.services import record
from pmo.engine import capacity as cap_engine
from pmo.engine import cpm
from pmo.engine.calendar import Calendar as EngineCalendar
from pmo.engine.calendar import build_index, from_minutes, to_minutes
from pmo.engine.level import FF, FS, SF, SS, LevelOptions, LevelProblem, LevelResult, level
from pmo.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from pmo.orgs.models import Calendar, CalendarException
from pmo.portfolio.models import Portfolio
from pmo.projects import scheduling
from pmo.projects.models import ConstraintType, Dependency, LagUnit, Project, Status, Task
from pmo.resources.models import Assignment, LevellingRun, Resource
from pmo.resources.services import do_set_levelled_starts

UTC = dt.UTC
ENGINES = ("auto", "exact", "heuristic")
MAX_TIME_LIMIT = 120.0
#: units are levelled in hundredths (0.5 = 50)
UNIT_SCALE = 100
#: the capacity profile covers at most this many working days
MAX_PROFILE_DAYS = 3000
LINK_CODES = {"FS": FS, "SS": SS, "FF": FF, "SF": SF}
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


@dataclass
class _Built:
    problem: LevelProblem
    task_pks: list[int]  # row -> task pk (in-scope work tasks first, then held tasks)
    n_scope: int  # rows 0..n_scope-1 are the scope's tasks
    free_rows: list[int]
    resource_pks: list[int]
    days: _Days  # working days; day(p) is the day of period p
    origin_index: int
    warnings: list[str]

    def day(self, period: int) -> dt.date:
        i = self.origin_index + int(period)
        while i >= len(self.days.days):
            self.days.extend_to(self.days.days[-1] + dt.timedelta(days=366))
        return self.days.days[max(i, 0)]


class _Days:
    """Working days of the period calendar as a sorted array of day numbers."""

    def __init__(self, calendar: EngineCalendar, first: dt.date, last: dt.date) -> None:
        self.calendar = calendar
        self.first = first
        self.days = cap_engine.working_days(calendar, first, last)
        if not self.days:
            raise ValidationFailed.field("calendar", f"{calendar.name} has no working day")
        self.numbers = np.array([d.toordinal() for d in self.days], dtype=np.int64)

    def extend_to(self, last: dt.date) -> None:
        if last > self.days[-1]:
            more = cap_engine.working_days(
                self.calendar, self.days[-1] + dt.timedelta(days=1), last
            )
            self.days += more
            self.numbers = np.array([d.toordinal() for d in self.days], dtype=np.int64)

    def index(self, day: dt.date) -> int:
        """Index of ``day``, or of the next working day when it is not one."""
        return int(np.searchsorted(self.numbers, day.toordinal(), side="left"))


def _last_day(finish: dt.datetime) -> dt.date:
    """The day a finish belongs to (a finish at midnight ends the day before)."""
    return (
        (finish - dt.timedelta(minutes=1)).date() if finish.time() == dt.time() else finish.date()
    )


def _leaf_tasks(tasks: Sequence[dict[str, Any]]) -> tuple[set[int], dict[int, list[int]]]:
    """The work tasks (no children) and, for each summary task, its work tasks."""
    children: dict[int, list[int]] = defaultdict(list)
    for t in tasks:
        if t["parent_id"] is not None:
            children[t["parent_id"]].append(t["pk"])
    leaves = {t["pk"] for t in tasks if t["pk"] not in children}
    under: dict[int, list[int]] = {}

    def collect(pk: int) -> list[int]:
        if pk in under:
            return under[pk]
        out: list[int] = []
        stack = [pk]
        while stack:
            node = stack.pop()
            for c in children.get(node, []):
                if c in leaves:
                    out.append(c)
                else:
                    stack.append(c)
        under[pk] = out
        return out

    for pk in children:
        collect(pk)
    return leaves, under


def _build(
    projects: Sequence[Project],
    period_calendar: EngineCalendar,
    unlevelled: _Dates,
    hold_other_projects: bool,
) -> _Built:
    project_ids = [p.pk for p in projects]
    priority = {p.pk: p.priority for p in projects}
    code = {p.pk: p.code for p in projects}
    portfolio_wide = len(projects) > 1
    tasks: list[Any] = list(
        Task.objects.filter(project_id__in=project_ids)
        .order_by("project_id", "position", "pk")
        .values(
            "pk",
            "project_id",
            "parent_id",
            "name",
            "wbs",
            "is_milestone",
            "duration_minutes",
            "constraint_type",
            "percent_complete",
            "actual_start",
            "actual_finish",
            "deadline",
        )
    )
    leaves, under = _leaf_tasks(tasks)
    work = [t for t in tasks if t["pk"] in leaves and t["pk"] in unlevelled.start]
    warnings: list[str] = []
    if not work:
        raise ValidationFailed.field("project", "there is no scheduled work task to level")

    def is_fixed(t: dict[str, Any]) -> bool:
        return bool(
            t["actual_start"]
            or t["actual_finish"]
            or t["percent_complete"] > 0
            or t["constraint_type"] in (ConstraintType.MSO, ConstraintType.MFO)
        )

    free_tasks = [t for t in work if not is_fixed(t)]
    if not free_tasks:
        raise ValidationFailed.field(
            "project", "every task has started or is fixed: nothing to level"
        )
    first = min(unlevelled.start[t["pk"]].date() for t in work)
    last = max(_last_day(unlevelled.finish[t["pk"]]) for t in work)
    total = sum(
        max(1, -(-t["duration_minutes"] // period_calendar.minutes_per_day)) for t in free_tasks
    )
    days = _Days(period_calendar, first - dt.timedelta(days=7), last + dt.timedelta(days=30))
    origin_index = days.index(min(unlevelled.start[t["pk"]].date() for t in free_tasks))

    # held tasks of other projects on the same resources
    rows = list(work)
    n_scope = len(rows)
    scope_pks = {t["pk"] for t in rows}
    assignments = list(
        Assignment.objects.filter(task_id__in=scope_pks).values_list(
            "task_id", "resource_id", "units"
        )
    )
    resource_ids = sorted({r for _, r, _ in assignments})
    held: list[tuple[int, str, dt.datetime, dt.datetime]] = []
    held_assignments: list[tuple[int, int, Decimal]] = []
    if hold_other_projects and resource_ids:
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
            held_assignments.append((task_id, res_id, units))
            if task_id not in seen:
                seen.add(task_id)
                held.append((task_id, f"{pcode}: {name}", _naive(es), _naive(ef)))  # type: ignore[arg-type]

    # periods of each row
    n = n_scope + len(held)
    starts_at = [unlevelled.start[t["pk"]] for t in rows] + [h[2] for h in held]
    finishes_at = [unlevelled.finish[t["pk"]] for t in rows] + [h[3] for h in held]
    days.extend_to(max(_last_day(f) for f in finishes_at) + dt.timedelta(days=30))
    horizon_days = int(total * 1.6) + 60
    days.extend_to(
        days.days[min(origin_index, len(days.days) - 1)] + dt.timedelta(days=horizon_days)
    )
    start_p = np.array([days.index(s.date()) - origin_index for s in starts_at], dtype=np.int64)
    end_p = np.array([days.index(_last_day(f)) - origin_index for f in finishes_at], dtype=np.int64)
    milestone = np.array(
        [bool(t["is_milestone"]) for t in rows] + [False] * len(held), dtype=np.bool_
    )
    zero = np.array(
        [t["duration_minutes"] == 0 for t in rows] + [False] * len(held), dtype=np.bool_
    )
    durations = np.where(milestone | zero, 0, np.maximum(end_p - start_p + 1, 1)).astype(np.int64)
    fixed = np.array([is_fixed(t) for t in rows] + [True] * len(held), dtype=np.bool_)
    release = np.where(fixed, 0, np.maximum(start_p, 0)).astype(np.int64)
    fixed_start = np.where(fixed, start_p, 0).astype(np.int64)
    prio = np.array([priority[t["project_id"]] for t in rows] + [0] * len(held), dtype=np.int64)
    deadline = np.full(n, -1, dtype=np.int64)
    for i, t in enumerate(rows):
        if t["deadline"] is not None and not fixed[i]:
            deadline[i] = max(0, days.index(_naive(t["deadline"]).date()) - origin_index + 1)  # type: ignore[union-attr]

    # resources and their capacity
    all_assign = [(a[0], a[1], a[2]) for a in assignments] + held_assignments
    resource_ids = sorted({r for _, r, _ in all_assign})
    resources = {
        r.pk: r
        for r in Resource.objects.filter(pk__in=resource_ids).select_related(
            "calendar", "organisation__default_calendar"
        )
    }
    col = {pk: k for k, pk in enumerate(resource_ids)}
    base = np.array(
        [round(float(resources[pk].max_units) * UNIT_SCALE) for pk in resource_ids],
        dtype=np.int64,
    )
    row_of = {t["pk"]: i for i, t in enumerate(rows)}
    row_of.update({h[0]: n_scope + k for k, h in enumerate(held)})
    demands = np.zeros((n, len(resource_ids)), dtype=np.int64)
    for task_id, res_id, units in all_assign:
        i, k = row_of[task_id], col[res_id]
        want = round(float(units) * UNIT_SCALE)
        if want > base[k] and not fixed[i]:
            warnings.append(
                f"{rows[i]['name']} asks {units} of {resources[res_id].name}, who has "
                f"{resources[res_id].max_units}: levelled at {resources[res_id].max_units}"
            )
            want = int(base[k])
        demands[i, k] += want
    demands = np.where(fixed[:, None], demands, np.minimum(demands, base[None, :]))

    # capacity profile: on each period day, the share of its usual working time (for that
    # weekday) the resource's own calendar gives: public holidays, leave and other hours are
    # exceptions of that calendar. A weekday the resource never works (a Mon-Fri person on a
    # Mon-Sat site) does not block a task: the plan put the task on that calendar.
    profile_days = days.days[origin_index : origin_index + MAX_PROFILE_DAYS]
    profile = np.repeat(base[:, None], len(profile_days), axis=1)
    if resource_ids and profile_days:
        cals: list[EngineCalendar] = []
        cal_row: dict[int | None, int] = {}
        res_row = []
        for pk in resource_ids:
            r = resources[pk]
            stored = r.calendar or r.organisation.default_calendar
            key = stored.pk if stored else None
            if key not in cal_row:
                cal_row[key] = len(cals)
                cals.append(_engine_calendar(stored, "resource-standard"))
            res_row.append(cal_row[key])
        usual = [dataclasses.replace(c, id=f"{c.id}/usual", exceptions=()) for c in cals]
        # each day alone (the days are not contiguous)
        lo = np.array([to_minutes(d) for d in profile_days], dtype=np.int64)
        hi = lo + 1440
        idx = build_index(cals + usual, profile_days[0], profile_days[-1] + dt.timedelta(days=1))
        k = len(cals)
        minutes = np.stack([idx.ordinal(c, hi) - idx.ordinal(c, lo) for c in range(2 * k)])
        actual, regular = minutes[:k].astype(np.float64), minutes[k:].astype(np.float64)
        share = np.where(regular > 0, actual / np.maximum(regular, 1.0), 1.0)
        frac = np.clip(share[np.array(res_row)], 0.0, 1.0)
        profile = np.floor(base[:, None] * frac + 1e-9).astype(np.int64)

    # links, with summary tasks' links carried down to their work tasks
    pairs: dict[tuple[int, int], tuple[int, int]] = {}
    mpd = period_calendar.minutes_per_day
    duration_of = {t["pk"]: t["duration_minutes"] for t in tasks}
    links = Dependency.objects.filter(
        predecessor__project_id__in=project_ids, successor__project_id__in=project_ids
    ).values_list("predecessor_id", "successor_id", "type", "lag", "lag_unit")
    for pred, succ, kind, lag, unit in links:
        if unit == LagUnit.PERCENT:
            lag_p = round(lag * duration_of.get(pred, 0) / 100 / mpd)
        elif unit == LagUnit.ELAPSED:
            lag_p = round(lag / 1440)
        else:
            lag_p = round(lag / mpd)
        for a in [pred] if pred in leaves else under.get(pred, []):
            for b in [succ] if succ in leaves else under.get(succ, []):
                if a == b or a not in row_of or b not in row_of:
                    continue
                if row_of[a] >= n_scope or row_of[b] >= n_scope:
                    continue
                pairs[(row_of[a], row_of[b])] = (LINK_CODES[kind], lag_p)
    link_arr = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    types = np.array([v[0] for v in pairs.values()], dtype=np.int64)
    lags = np.array([v[1] for v in pairs.values()], dtype=np.int64)

    def label(t: dict[str, Any]) -> str:
        return f"{code[t['project_id']]}: {t['name']}" if portfolio_wide else str(t["name"])

    names = tuple([label(t) for t in rows] + [h[1] for h in held])
    problem = LevelProblem(
        durations=durations,
        demands=demands,
        capacity=base,
        links=link_arr,
        link_types=types,
        lags=lags,
        release=release,
        fixed=fixed,
        fixed_start=fixed_start,
        deadline=deadline,
        priority=prio,
        capacity_profile=profile,
        names=names,
        resource_names=tuple(resources[pk].name for pk in resource_ids),
    )
    return _Built(
        problem=problem,
        task_pks=[t["pk"] for t in rows] + [h[0] for h in held],
        n_scope=n_scope,
        free_rows=[i for i in range(n_scope) if not fixed[i]],
        resource_pks=resource_ids,
        days=days,
        origin_index=origin_index,
        warnings=warnings,
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


def _first_moments(
    days: Mapping[int, dt.date], calendars: Mapping[int, EngineCalendar]
) -> dict[int, dt.datetime]:
    """For each task, the first working moment of its calendar on or after the day given."""
    out: dict[int, dt.datetime] = {}
    if not days:
        return out
    groups: dict[str, list[int]] = defaultdict(list)
    by_id: dict[str, EngineCalendar] = {}
    for pk in days:
        cal = calendars[pk]
        groups[cal.id].append(pk)
        by_id[cal.id] = cal
    lo = min(days.values())
    hi = max(days.values()) + dt.timedelta(days=400)
    for cal_id, pks in groups.items():
        idx = build_index([by_id[cal_id]], lo, hi)
        t = np.array([to_minutes(days[pk]) for pk in pks], dtype=np.int64)
        moments = idx.moment(0, idx.ordinal(0, t), finish=False)
        for pk, m in zip(pks, np.atleast_1d(moments).tolist(), strict=True):
            out[pk] = from_minutes(int(m))
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
    built: _Built,
    result: LevelResult,
    unlevelled: _Dates,
    signature: str,
    engine: str,
    time_limit: float,
    hold_other_projects: bool,
) -> LevellingRun:
    problem = built.problem
    project_ids = [p.pk for p in projects]

    # levelled starts: the tasks that waited for a resource
    day_of = {
        built.task_pks[m.task]: built.day(int(result.starts[m.task]))
        for m in result.moves
        if m.task < built.n_scope and m.resource_delay > 0
    }
    calendars = _task_calendars(projects, list(day_of))
    levelled_at = _first_moments(day_of, calendars)
    free_pks = [built.task_pks[i] for i in built.free_rows]
    levelled: dict[int, dt.datetime | None] = dict.fromkeys(free_pks)
    levelled.update(levelled_at)
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

    def ref(row: int) -> dict[str, Any]:
        pk = built.task_pks[row]
        return {"task_id": pk, "name": problem.task_name(row)}

    moves: list[dict[str, Any]] = []
    for m in sorted(result.moves, key=lambda m: (int(result.starts[m.task]), m.task)):
        if m.task >= built.n_scope:
            continue
        pk = built.task_pks[m.task]
        row = current[pk]
        blocked_day = built.day(m.period) if m.period is not None else None
        new_start = proposed.start.get(pk)
        if m.resource_delay <= 0 and new_start == unlevelled.start.get(pk):
            continue  # a rounding of days only: the task does not move
        resource_pk = built.resource_pks[m.resource] if m.resource is not None else None
        moves.append(
            {
                "task_id": pk,
                "project_id": row["project_id"],
                "name": row["name"],
                "old_start": _iso(row["early_start"]),
                "old_finish": _iso(row["early_finish"]),
                "unlevelled_start": _iso(unlevelled.start.get(pk)),
                "new_start": _iso(new_start),
                "new_finish": _iso(proposed.finish.get(pk)),
                "levelled_start": _iso(levelled.get(pk)),
                "delay_days": m.delay,
                "precedence_delay_days": m.precedence_delay,
                "resource_delay_days": m.resource_delay,
                "resource_id": resource_pk,
                "resource": problem.resource_names[m.resource]  # type: ignore[index]
                if m.resource is not None
                else None,
                "blocked_on": blocked_day.isoformat() if blocked_day else None,
                "competing": [ref(h) for h in m.holders],
                "predecessors": [ref(p) for p in m.predecessors],
                "reason": _reason(m, problem, blocked_day),
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
        makespan=result.makespan,
        lower_bound=result.lower_bound,
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
            "resources": len(built.resource_pks),
            "schedules": result.schedules,
            "status": result.status,
            "late": [
                {"task_id": built.task_pks[j], "deadline_day": d, "finish_day": f, "hard": h}
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


def _reason(move: Any, problem: LevelProblem, day: dt.date | None) -> str:
    """``TaskMove.describe`` with the blocking period shown as its date."""
    text = str(move.describe(problem))
    if day is not None and move.period is not None:
        text = text.replace(f"held in period {move.period} ", f"held on {day.isoformat()} ")
    return text.replace("period(s)", "working day(s)")


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
