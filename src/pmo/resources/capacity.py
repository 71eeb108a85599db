"""Capacity service: the resource pool and its assignments → capacity engine → a report.

``capacity_report`` reads the resources a user may see (one organisation, or all of theirs),
their calendars and every assignment whose task is scheduled in the window, and asks
:mod:`pmo.engine.capacity` for capacity and demand per resource and period (week or month);
then groups the rows:

* ``resource`` — one row per resource (a generic role's own capacity is its ``max_units``);
* ``role`` — one row per generic role: its capacity is that of the people *qualified* for it
  (holding each of the role's skills at least at the role's proficiency), its demand what is
  assigned to those people plus what is still assigned to the role itself (unstaffed work);
* ``skill`` — one row per skill: the capacity of the people and equipment holding it, the
  demand on them and on the generic roles that require it.

``cell_tasks`` is the drill-down of one cell: the assignments behind a row's demand in one
period, with the work each puts there.

Demand is each assignment's work (``work_minutes``, or units × duration when no work was
entered) spread over its task's working time from scheduled start to scheduled finish, on the
task's calendar; capacity is ``max_units`` × the working minutes of the resource's calendar
(its own, else the organisation's default, else the standard 40-hour week).
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from django.db.models import QuerySet

from pmo.core.access import Access
from pmo.engine import capacity as engine
from pmo.engine.calendar import Calendar as EngineCalendar
from pmo.errors import NotFound, ValidationFailed
from pmo.orgs.models import Calendar, Organisation
from pmo.projects.scheduling import engine_calendar
from pmo.resources.models import Assignment, Resource, ResourceSkill, Skill

Group = Literal["resource", "role", "skill"]
GROUPS: tuple[Group, ...] = ("resource", "role", "skill")
BY = ("week", "month")
MAX_PERIODS = 260
UTC = dt.UTC
STANDARD_ID = "__standard__"


@dataclass
class CapacityRow:
    key: int
    label: str
    kind: str  # resource kind, "role" or "skill"
    organisation_id: int
    capacity: list[float]  # minutes per period
    demand: list[float]
    members: int = 1

    @property
    def load(self) -> list[float | None]:
        out: list[float | None] = []
        for d, c in zip(self.demand, self.capacity, strict=True):
            out.append(d / c if c > 0 else (None if d <= 0 else float("inf")))
        return out

    @property
    def over_periods(self) -> int:
        return sum(1 for d, c in zip(self.demand, self.capacity, strict=True) if d > c + 0.5)


@dataclass
class CapacityReport:
    by: str
    group: str
    periods: list[tuple[dt.date, dt.date]]  # start, end (exclusive)
    rows: list[CapacityRow]
    seconds: float
    resources: int
    assignments: int
    organisation_ids: list[int] = field(default_factory=list)


def hours(minutes: float) -> float:
    return round(minutes / 60.0, 2)


def row_as_dict(row: CapacityRow) -> dict[str, Any]:
    """A row in hours, with load in % (``None`` where there is no capacity) and ``over``."""
    return {
        "key": row.key,
        "label": row.label,
        "kind": row.kind,
        "organisation_id": row.organisation_id,
        "members": row.members,
        "capacity_hours": [hours(v) for v in row.capacity],
        "demand_hours": [hours(v) for v in row.demand],
        "load_percent": [
            None if v is None or v == float("inf") else round(100 * v, 1) for v in row.load
        ],
        "over": [d > c + 0.5 for d, c in zip(row.demand, row.capacity, strict=True)],
    }


def report_as_dict(report: CapacityReport) -> dict[str, Any]:
    """The report as the API and ``pmo capacity --format json`` give it."""
    return {
        "by": report.by,
        "group": report.group,
        "periods": [{"start": a, "end": b} for a, b in report.periods],
        "items": [row_as_dict(r) for r in report.rows],
        "count": len(report.rows),
        "resources": report.resources,
        "assignments": report.assignments,
        "seconds": round(report.seconds, 4),
    }


def default_window(by: str, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """This week and the next 12 (by week), or this month and the next 5 (by month)."""
    today = today or dt.date.today()
    if by == "month":
        first = today.replace(day=1)
        month = first.month + 5
        last = first.replace(year=first.year + (month - 1) // 12, month=(month - 1) % 12 + 1)
        nxt = (
            last.replace(year=last.year + 1, month=1)
            if last.month == 12
            else last.replace(month=last.month + 1)
        )
        return first, nxt - dt.timedelta(days=1)
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=13 * 7 - 1)


def _check(by: str, group: str) -> None:
    if by not in BY:
        raise ValidationFailed.field("by", "must be week or month")
    if group not in GROUPS:
        raise ValidationFailed.field("group", "must be resource, role or skill")


def _resources(
    access: Access,
    organisation_id: int | None,
    kind: str | None = None,
    skill_id: int | None = None,
    resource_ids: Sequence[int] | None = None,
) -> QuerySet[Resource]:
    qs = access.scoped(Resource.objects.all()).select_related(
        "calendar", "organisation__default_calendar"
    )
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if kind:
        if kind not in Resource.Kind.values:
            raise ValidationFailed.field("kind", "must be person, role or equipment")
        qs = qs.filter(kind=kind)
    if skill_id is not None:
        qs = qs.filter(skill_levels__skill_id=skill_id)
    if resource_ids is not None:
        qs = qs.filter(pk__in=list(resource_ids))
    return qs.order_by("organisation_id", "name", "pk").distinct()


class _Calendars:
    """Stored calendars as engine calendars, numbered in the order first asked for."""

    def __init__(self) -> None:
        self.rows: dict[int | None, int] = {}
        self.ids: list[int | None] = []

    def row(self, calendar_id: int | None) -> int:
        if calendar_id not in self.rows:
            self.rows[calendar_id] = len(self.ids)
            self.ids.append(calendar_id)
        return self.rows[calendar_id]

    def engine(self) -> list[EngineCalendar]:
        stored = {
            c.pk: c
            for c in Calendar.objects.filter(pk__in=[i for i in self.ids if i]).prefetch_related(
                "exceptions"
            )
        }
        return [
            engine_calendar(stored[i]) if i in stored else EngineCalendar.standard(STANDARD_ID)
            for i in self.ids
        ]


def _as_minutes(value: dt.datetime) -> int:
    naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return int((naive - dt.datetime(1970, 1, 1)) // dt.timedelta(minutes=1))


@dataclass
class _Loaded:
    resources: list[Resource]
    calendars: list[EngineCalendar]
    resource_calendar: np.ndarray
    max_units: np.ndarray
    work: engine.Work
    rows: list[tuple[Any, ...]]  # the assignment rows, aligned with ``work``


def load_assignments(
    resources: list[Resource], edges: np.ndarray, *, with_details: bool = False
) -> _Loaded:
    """The calendars, capacity inputs and assignments (scheduled in the window) of
    ``resources``, as the capacity engine takes them."""
    cals = _Calendars()
    res_cal = np.array(
        [cals.row(r.calendar_id or r.organisation.default_calendar_id) for r in resources],
        dtype=np.int64,
    )
    units = np.array([float(r.max_units) for r in resources], dtype=np.float64)
    col = {r.pk: i for i, r in enumerate(resources)}
    lo = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=int(edges[0]))
    hi = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=int(edges[-1]))
    fields = [
        "resource_id",
        "work_minutes",
        "units",
        "task__duration_minutes",
        "task__early_start",
        "task__early_finish",
        "task__calendar_id",
        "task__project__calendar_id",
        "task__project__organisation__default_calendar_id",
    ]
    if with_details:
        fields += ["pk", "task_id", "task__name", "task__project_id", "task__project__code"]
    rows = list(
        Assignment.objects.filter(
            resource_id__in=list(col),
            task__early_start__lt=hi,
            task__early_finish__gt=lo,
            task__is_summary=False,
        )
        .order_by("pk")
        .values_list(*fields)
    )
    n = len(rows)
    res = np.empty(n, np.int64)
    cal = np.empty(n, np.int64)
    start = np.empty(n, np.int64)
    finish = np.empty(n, np.int64)
    work = np.empty(n, np.float64)
    for i, row in enumerate(rows):
        r_id, w, u, dur, es, ef, t_cal, p_cal, o_cal = row[:9]
        res[i] = col[r_id]
        cal[i] = cals.row(t_cal or p_cal or o_cal)
        start[i] = _as_minutes(es)
        finish[i] = _as_minutes(ef)
        work[i] = float(w) if w else float(u) * float(dur)
    return _Loaded(
        resources=resources,
        calendars=cals.engine() or [EngineCalendar.standard(STANDARD_ID)],
        resource_calendar=res_cal,
        max_units=units,
        work=engine.Work.of(res, cal, start, finish, work),
        rows=rows,
    )


def _skills(resources: Sequence[Resource]) -> dict[int, dict[int, int]]:
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for r_id, s_id, p in ResourceSkill.objects.filter(resource__in=list(resources)).values_list(
        "resource_id", "skill_id", "proficiency"
    ):
        out[r_id][s_id] = p
    return out


def qualified_for(role_skills: dict[int, int], skills: dict[int, int]) -> bool:
    """Holds every skill of the role at least at the role's proficiency (a role without
    skills qualifies nobody)."""
    return bool(role_skills) and all(skills.get(s, 0) >= p for s, p in role_skills.items())


@dataclass
class _Group:
    key: int
    label: str
    kind: str
    organisation_id: int
    capacity_members: list[int]  # indexes into the resources
    demand_members: list[int]


def _groups(group: str, resources: list[Resource], skill_filter: int | None) -> list[_Group]:
    if group == "resource":
        return [
            _Group(r.pk, r.name, r.kind, r.organisation_id, [i], [i])
            for i, r in enumerate(resources)
        ]
    skills = _skills(resources)
    if group == "role":
        out = []
        for i, role in enumerate(resources):
            if role.kind != Resource.Kind.ROLE:
                continue
            members = [
                j
                for j, r in enumerate(resources)
                if r.kind == Resource.Kind.PERSON
                and r.organisation_id == role.organisation_id
                and qualified_for(skills.get(role.pk, {}), skills.get(r.pk, {}))
            ]
            out.append(
                _Group(role.pk, role.name, "role", role.organisation_id, members, [i, *members])
            )
        return sorted(out, key=lambda g: (g.organisation_id, g.label.lower()))
    holders: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(resources):
        for s_id in skills.get(r.pk, {}):
            holders[s_id].append(i)
    wanted = Skill.objects.filter(pk__in=list(holders)).order_by("organisation_id", "name")
    if skill_filter is not None:
        wanted = wanted.filter(pk=skill_filter)
    out = []
    for skill in wanted:
        idx = holders[skill.pk]
        cap = [i for i in idx if resources[i].kind != Resource.Kind.ROLE]
        out.append(_Group(skill.pk, skill.name, "skill", skill.organisation_id, cap, idx))
    return out


def capacity_report(
    access: Access,
    *,
    organisation_id: int | None = None,
    by: str = "week",
    group: str = "resource",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str | None = None,
    skill_id: int | None = None,
    resource_ids: Sequence[int] | None = None,
) -> CapacityReport:
    """Capacity, demand and load per resource, role or skill and per week or month, across
    every project of the organisation (or of every organisation the user sees)."""
    _check(by, group)
    t0 = time.perf_counter()
    first, last = default_window(by)
    date_from = date_from or first
    date_to = date_to or (last if date_from == first else date_from + (last - first))
    bounds = engine.period_bounds(date_from, date_to, by)  # type: ignore[arg-type]
    if len(bounds) - 1 > MAX_PERIODS:
        raise ValidationFailed.field("to", f"at most {MAX_PERIODS} periods at once")
    edges = engine.edges_of(bounds)
    # roles and skills need everyone: the kind filter narrows the resource view only
    resources = list(
        _resources(
            access,
            organisation_id,
            kind if group == "resource" else None,
            skill_id if group == "resource" else None,
            resource_ids,
        )
    )
    loaded = load_assignments(resources, edges)
    table = engine.table(
        loaded.calendars, edges, loaded.resource_calendar, loaded.max_units, loaded.work
    )
    rows = []
    for g in _groups(group, resources, skill_id):
        cap = table.capacity[g.capacity_members].sum(axis=0) if g.capacity_members else None
        dem = table.demand[g.demand_members].sum(axis=0) if g.demand_members else None
        p = len(bounds) - 1
        rows.append(
            CapacityRow(
                key=g.key,
                label=g.label,
                kind=g.kind,
                organisation_id=g.organisation_id,
                capacity=[round(float(v), 2) for v in (cap if cap is not None else np.zeros(p))],
                demand=[round(float(v), 2) for v in (dem if dem is not None else np.zeros(p))],
                members=len(g.capacity_members),
            )
        )
    return CapacityReport(
        by=by,
        group=group,
        periods=list(itertools.pairwise(bounds)),
        rows=rows,
        seconds=time.perf_counter() - t0,
        resources=len(resources),
        assignments=len(loaded.work),
        organisation_ids=sorted({r.organisation_id for r in resources}),
    )


@dataclass
class CellTask:
    assignment_id: int
    task_id: int
    task: str
    project_id: int
    project: str
    resource_id: int
    resource: str
    units: float
    start: dt.datetime
    finish: dt.datetime
    minutes: float  # demand in the period


@dataclass
class Cell:
    label: str
    group: str
    key: int
    start: dt.date
    end: dt.date
    capacity: float
    demand: float
    tasks: list[CellTask]
    organisation_id: int


def cell_tasks(
    access: Access,
    *,
    group: str,
    key: int,
    start: dt.date,
    end: dt.date,
    organisation_id: int | None = None,
) -> Cell:
    """The assignments behind one heat-map cell: group row ``key`` in ``[start, end)``."""
    _check("week", group)
    if end <= start:
        raise ValidationFailed.field("end", "must be after the start")
    if (end - start).days > 400:
        raise ValidationFailed.field("end", "a cell is at most a year long")
    if group == "resource":
        anchor = access.get(Resource.objects.all(), key)
        org_id = anchor.organisation_id
        label = anchor.name
    elif group == "role":
        anchor = access.get(Resource.objects.filter(kind=Resource.Kind.ROLE), key)
        org_id = anchor.organisation_id
        label = anchor.name
    else:
        skill = access.get(Skill.objects.all(), key)
        org_id = skill.organisation_id
        label = skill.name
    if organisation_id is not None and organisation_id != org_id:
        raise NotFound(f"{group} {key} not found")
    resources = list(_resources(access, org_id))
    groups = [
        g for g in _groups(group, resources, key if group == "skill" else None) if g.key == key
    ]
    if not groups:
        raise NotFound(f"{group} {key} not found")
    g = groups[0]
    chosen = [resources[i] for i in g.demand_members]
    cap_ids = {resources[i].pk for i in g.capacity_members}
    edges = engine.edges_of([start, end])
    loaded = load_assignments(chosen, edges, with_details=True)
    per = engine.spread(loaded.calendars, edges, loaded.work)[:, 0]
    capacity = engine.capacity(loaded.calendars, edges, loaded.resource_calendar, loaded.max_units)[
        :, 0
    ]
    tasks = []
    for i, row in enumerate(loaded.rows):
        if per[i] <= 0.005:
            continue
        r = loaded.resources[int(loaded.work.resource[i])]
        pk, task_id, task_name, project_id, project_code = row[9:14]
        tasks.append(
            CellTask(
                assignment_id=pk,
                task_id=task_id,
                task=task_name,
                project_id=project_id,
                project=project_code,
                resource_id=r.pk,
                resource=r.name,
                units=float(row[2]),
                start=row[4],
                finish=row[5],
                minutes=round(float(per[i]), 2),
            )
        )
    tasks.sort(key=lambda t: (-t.minutes, t.project, t.task))
    cap_total = float(sum(c for r, c in zip(chosen, capacity, strict=True) if r.pk in cap_ids))
    return Cell(
        label=label,
        group=group,
        key=key,
        start=start,
        end=end,
        capacity=round(cap_total, 2),
        demand=round(float(per.sum()), 2),
        tasks=tasks,
        organisation_id=org_id,
    )


def organisation_by_code(access: Access, code: str) -> Organisation:
    """An organisation the user sees, by its code (the CLI's ORG argument)."""
    try:
        return access.visible_organisations().get(code=code)
    except Organisation.DoesNotExist:
        raise NotFound(f"organisation {code!r} not found") from None
