"""Planned and actual cost of a project, time-phased, in the project's currency.

Planned cost (the budget at completion, BAC, of each task):

- **Assignments**: the assignment's work (``work_minutes``; without it, the task's duration
  x ``units``, as MS Project derives work) spread evenly over the task's planned working time
  on the task's calendar: its dates in baseline 0 when a baseline is saved (the performance
  measurement baseline, so PV does not move when the forecast slips), else its scheduled
  ``early_start`` → ``early_finish`` and priced at the resource's hourly
  rate *on each day of that span* (:class:`~pmo.finance.rates.ResourceRates`: dated ``CostRate``
  rows, else ``Resource.standard_rate``): the span is cut at every rate change, each piece costs
  its share of the work x its rate. ``cost_per_use`` is added once, at the task's start.
- **Planned cost lines** (``CostLine.kind = planned``): a fixed cost on its date, on its task
  or, without a task, on the project itself.

Actual cost: the project's actual cost lines, on their dates (lines imported from finance and
the lines approved timesheets create).

Amounts in another currency are converted on their date with the organisation's dated exchange
rates; a spread is also cut where the exchange rate changes, each piece converted at the rate of
its first day. Everything stays ``Decimal``; the EVM service turns it
into float64 arrays for the engine (:func:`accrual`).

Costs not attached to a task (project-level planned and actual lines) form one more entity,
"Project-level costs", whose earned value is its planned value (level of effort).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from pmo.engine.calendar import Calendar as EngineCalendar
from pmo.engine.calendar import CalendarIndex, build_index, to_minutes
from pmo.finance.models import CostLine
from pmo.finance.rates import ZERO, ExchangeRates, ResourceRates
from pmo.projects.models import Baseline, BaselineTask, Project, Task
from pmo.resources.models import Assignment

F64 = npt.NDArray[np.float64]
UTC = dt.UTC
PROJECT_LEVEL = "Project-level costs"


def naive(value: dt.datetime | None) -> dt.datetime | None:
    """A stored wall-clock datetime (kept as the same reading in UTC) as a naive datetime."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def end_of_day(day: dt.date) -> dt.datetime:
    """The moment a day ends (midnight after it): where a status date measures."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


@dataclass(frozen=True)
class Entity:
    """One row of the EVM data: a task with costs, or the project-level costs."""

    task_id: int | None
    wbs: str
    name: str
    ev_method: str
    percent_complete: float
    actual_start: dt.datetime | None
    actual_finish: dt.datetime | None
    milestone_share: float  # achieved share of its child milestones; NaN without any
    start: dt.datetime | None  # scheduled
    finish: dt.datetime | None


@dataclass(frozen=True)
class Spread:
    """An amount that accrues evenly over the working time of ``calendar`` from start to
    finish (a point in time when they are equal)."""

    entity: int
    calendar: int
    start: dt.datetime
    finish: dt.datetime
    amount: Decimal
    category: str


@dataclass(frozen=True)
class Dated:
    """An amount that counts in full from ``day`` on."""

    entity: int
    day: dt.date
    amount: Decimal
    category: str


@dataclass
class ProjectCosts:
    """Time-phased planned and actual cost of one project, in ``currency``."""

    project: Project
    currency: str
    entities: list[Entity]
    calendars: list[EngineCalendar]
    spreads: list[Spread] = field(default_factory=list)
    planned_lines: list[Dated] = field(default_factory=list)
    actuals: list[Dated] = field(default_factory=list)
    baseline: str = ""  # the baseline whose dates phase the plan; "" = the current schedule

    def bac(self) -> list[Decimal]:
        """Planned cost (BAC) of each entity, exact."""
        out = [ZERO] * len(self.entities)
        for s in self.spreads:
            out[s.entity] += s.amount
        for d in self.planned_lines:
            out[d.entity] += d.amount
        return out

    def actual_total(self, until: dt.date | None = None) -> list[Decimal]:
        out = [ZERO] * len(self.entities)
        for d in self.actuals:
            if until is None or d.day <= until:
                out[d.entity] += d.amount
        return out

    def first_day(self) -> dt.date:
        days = [s.start.date() for s in self.spreads]
        days += [d.day for d in self.planned_lines] + [d.day for d in self.actuals]
        if self.project.planned_start:
            days.append(self.project.planned_start)
        return min(days) if days else dt.date.today()

    def planned_finish(self) -> dt.date | None:
        """The day the last planned cost accrues (where PV reaches BAC)."""
        days = [s.finish.date() for s in self.spreads if s.amount]
        days += [d.day for d in self.planned_lines if d.amount]
        return max(days) if days else None

    def last_day(self) -> dt.date:
        days = [self.first_day()]
        days += [s.finish.date() for s in self.spreads] + [d.day for d in self.planned_lines]
        days += [d.day for d in self.actuals]
        return max(days)


class WorkingTime:
    """Working-minute ordinals of several calendars over a span of days (one index)."""

    def __init__(self, calendars: Sequence[EngineCalendar], first: dt.date, last: dt.date):
        self.index: CalendarIndex = build_index(
            list(calendars), first - dt.timedelta(days=2), last + dt.timedelta(days=2)
        )

    def ordinal(self, calendar: int, moments: Sequence[dt.datetime]) -> npt.NDArray[np.int64]:
        t = np.array([to_minutes(m) for m in moments], dtype=np.int64)
        return np.asarray(self.index.ordinal(calendar, t), dtype=np.int64)

    def between(self, calendar: int, a: dt.datetime, b: dt.datetime) -> int:
        o = self.ordinal(calendar, [a, b])
        return int(o[1] - o[0])


def _engine_calendars(project: Project, tasks: Sequence[Task]) -> tuple[list[EngineCalendar], dict]:
    """The engine calendars the tasks use (index 0: the project's) and task id → index."""
    from pmo.orgs.models import Calendar
    from pmo.projects.scheduling import engine_calendar

    project_cal = project.calendar or project.organisation.default_calendar
    ids = {t.calendar_id for t in tasks if t.calendar_id}
    if project_cal is not None:
        ids.add(project_cal.pk)
    stored = {c.pk: c for c in Calendar.objects.filter(pk__in=ids).prefetch_related("exceptions")}
    order: list[int | None] = [project_cal.pk if project_cal is not None else None]
    order += sorted(i for i in ids if i not in order)
    calendars = [
        engine_calendar(stored[i]) if i is not None else EngineCalendar.standard("__standard__")
        for i in order
    ]
    position = {cid: k for k, cid in enumerate(order)}
    of_task = {t.pk: position.get(t.calendar_id or order[0], 0) for t in tasks}
    return calendars, of_task


def _schedule_span(
    task: Task,
    project: Project,
    calendar: EngineCalendar,
    baseline: tuple[dt.datetime | None, dt.datetime | None] | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """The task's planned start and finish: its baseline's if saved, else its scheduled ones,
    else computed from the project start and the duration on the task's calendar."""
    if baseline is not None:
        start, finish = naive(baseline[0]), naive(baseline[1])
        if start is not None and finish is not None and finish >= start:
            return start, finish
    start, finish = naive(task.early_start), naive(task.early_finish)
    if start is not None and finish is not None and finish >= start:
        return start, finish
    origin = dt.datetime.combine(project.planned_start or dt.date.today(), dt.time())
    start = calendar.add_working_minutes(origin, 0, finish=False)
    minutes = 0 if task.is_milestone else int(task.duration_minutes)
    return start, calendar.add_working_minutes(start, minutes, finish=True) if minutes else start


def assignment_work(assignment: Assignment, task: Task) -> int:
    """Planned work in minutes: the assignment's, else duration x units (MS Project)."""
    if assignment.work_minutes:
        return int(assignment.work_minutes)
    if task.is_milestone:
        return 0
    return round(Decimal(task.duration_minutes) * Decimal(assignment.units))


def _milestone_shares(tasks: Sequence[Task]) -> dict[int, float]:
    """For each task with milestone children: the share (equal weights) achieved."""
    done: dict[int, list[bool]] = defaultdict(list)
    for t in tasks:
        if t.is_milestone and t.parent_id is not None:
            done[t.parent_id].append(t.actual_finish is not None or t.percent_complete >= 100)
    return {pk: sum(flags) / len(flags) for pk, flags in done.items() if flags}


def load_project_costs(project: Project, fx: ExchangeRates | None = None) -> ProjectCosts:
    """Read a project's tasks, assignments, rates and cost lines into :class:`ProjectCosts`.

    Raises ``MissingExchangeRate`` when an amount's currency cannot be converted on its date.
    """
    fx = fx or ExchangeRates(project.organisation_id)
    currency = project.currency
    tasks = list(
        Task.objects.filter(project=project).select_related("calendar").order_by("position", "pk")
    )
    calendars, calendar_of = _engine_calendars(project, tasks)
    by_id = {t.pk: t for t in tasks}
    assignments = list(
        Assignment.objects.filter(task__project=project).select_related("resource").order_by("pk")
    )
    rates = ResourceRates({a.resource_id: a.resource for a in assignments}.values())
    lines = list(CostLine.objects.filter(project=project).order_by("date", "pk"))

    # The performance measurement baseline: baseline 0's dates when it is saved (so that PV
    # does not slide with the forecast), else the current schedule.
    saved = Baseline.objects.filter(project=project, number=0).first()
    planned: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
    if saved is not None:
        planned = {
            task_id: (start, finish)
            for task_id, start, finish in BaselineTask.objects.filter(baseline=saved).values_list(
                "task_id", "start", "finish"
            )
        }
    spans: dict[int, tuple[dt.datetime, dt.datetime]] = {}
    for t in tasks:
        spans[t.pk] = _schedule_span(t, project, calendars[calendar_of[t.pk]], planned.get(t.pk))
    today = dt.datetime.combine(dt.date.today(), dt.time())
    first = min((s for s, _ in spans.values()), default=today)
    last = max((f for _, f in spans.values()), default=first)
    wt = WorkingTime(calendars, first.date(), last.date())

    # Which tasks carry cost: they become the entities, in outline position order.
    costed = {a.task_id for a in assignments} | {ln.task_id for ln in lines if ln.task_id}
    shares = _milestone_shares(tasks)
    entities: list[Entity] = []
    index_of: dict[int | None, int] = {}
    for t in tasks:
        if t.pk in costed:
            index_of[t.pk] = len(entities)
            start, finish = spans[t.pk]
            entities.append(
                Entity(
                    task_id=t.pk,
                    wbs=t.wbs,
                    name=t.name,
                    ev_method=t.ev_method,
                    percent_complete=float(t.percent_complete),
                    actual_start=naive(t.actual_start),
                    actual_finish=naive(t.actual_finish),
                    milestone_share=shares.get(t.pk, math.nan),
                    start=start,
                    finish=finish,
                )
            )
    if any(ln.task_id is None or ln.task_id not in by_id for ln in lines):
        index_of[None] = len(entities)
        entities.append(
            Entity(
                task_id=None,
                wbs="",
                name=PROJECT_LEVEL,
                ev_method="level_of_effort",
                percent_complete=math.nan,
                actual_start=None,
                actual_finish=None,
                milestone_share=math.nan,
                start=None,
                finish=None,
            )
        )
    costs = ProjectCosts(project, currency, entities, calendars)
    if saved is not None:
        costs.baseline = f"{saved} of {saved.saved_at:%Y-%m-%d}"

    for a in assignments:
        task = by_id[a.task_id]
        e = index_of[a.task_id]
        cal = calendar_of[task.pk]
        start, finish = spans[task.pk]
        work = assignment_work(a, task)
        res_currency = a.resource.currency
        per_use = rates.per_use(a.resource_id, start.date())
        if per_use:
            amount = fx.convert(per_use, res_currency, currency, start.date(), exact=True)
            costs.spreads.append(Spread(e, cal, start, start, amount, "labour"))
        if not work:
            continue
        total = wt.between(cal, start, finish)
        if total <= 0:  # no working time (a milestone): all the work at its start
            rate = rates.hourly(a.resource_id, start.date())
            amount = Decimal(work) / 60 * rate
            amount = fx.convert(amount, res_currency, currency, start.date(), exact=True)
            costs.spreads.append(Spread(e, cal, start, start, amount, "labour"))
            continue
        # cut the span wherever the hourly rate or the exchange rate changes
        changes = set(rates.changes(a.resource_id, start.date(), finish.date()))
        changes |= set(fx.changes(res_currency, currency, start.date(), finish.date()))
        cuts = [start, *(dt.datetime.combine(d, dt.time()) for d in sorted(changes)), finish]
        for a_moment, b_moment in itertools.pairwise(cuts):
            minutes = wt.between(cal, a_moment, b_moment)
            if minutes <= 0:
                continue
            rate = rates.hourly(a.resource_id, a_moment.date())
            amount = Decimal(work) * Decimal(minutes) / Decimal(total) / 60 * rate
            amount = fx.convert(amount, res_currency, currency, a_moment.date(), exact=True)
            costs.spreads.append(Spread(e, cal, a_moment, b_moment, amount, "labour"))

    for ln in lines:
        e = index_of[ln.task_id if ln.task_id in by_id else None]
        amount = fx.convert(Decimal(ln.amount), ln.currency, currency, ln.date, exact=True)
        item = Dated(e, ln.date, amount, ln.category)
        (costs.planned_lines if ln.kind == CostLine.Kind.PLANNED else costs.actuals).append(item)
    return costs


def accrual(
    costs: ProjectCosts,
    knots: Sequence[dt.date],
    *,
    group_of_spread: Sequence[int] | None = None,
    group_of_line: Sequence[int] | None = None,
    n_groups: int | None = None,
) -> F64:
    """Cumulative planned cost at the end of each knot day, shape ``(n_groups, len(knots))``.

    By default one group per entity; ``group_of_spread``/``group_of_line`` regroup (by
    category, say)."""
    n = len(costs.entities) if n_groups is None else n_groups
    out = np.zeros((n, len(knots)))
    if not knots:
        return out
    gs = group_of_spread or [s.entity for s in costs.spreads]
    gl = group_of_line or [d.entity for d in costs.planned_lines]
    knot_days = np.array([d.toordinal() for d in knots])
    if costs.spreads:
        first = min(min(s.start.date() for s in costs.spreads), knots[0])
        last = max(max(s.finish.date() for s in costs.spreads), knots[-1])
        wt = WorkingTime(costs.calendars, first, last + dt.timedelta(days=1))
        ends = [end_of_day(d) for d in knots]
        by_cal: dict[int, list[int]] = defaultdict(list)
        for i, s in enumerate(costs.spreads):
            by_cal[s.calendar].append(i)
        for cal, rows in by_cal.items():
            ok = wt.ordinal(cal, ends).astype(np.float64)
            os_ = wt.ordinal(cal, [costs.spreads[i].start for i in rows]).astype(np.float64)
            of = wt.ordinal(cal, [costs.spreads[i].finish for i in rows]).astype(np.float64)
            span = of - os_
            with np.errstate(divide="ignore", invalid="ignore"):
                frac = np.clip((ok[None, :] - os_[:, None]) / span[:, None], 0.0, 1.0)
            # a point (no working time): all of it once the moment has passed
            moments = np.array([to_minutes(costs.spreads[i].start) for i in rows])
            ends_min = np.array([to_minutes(e) for e in ends])
            point = (ends_min[None, :] >= moments[:, None]).astype(np.float64)
            frac = np.where((span > 0)[:, None], frac, point)
            amounts = np.array([float(costs.spreads[i].amount) for i in rows])
            np.add.at(out, np.array([gs[i] for i in rows], dtype=np.intp), amounts[:, None] * frac)
    if costs.planned_lines:
        days = np.array([d.day.toordinal() for d in costs.planned_lines])
        amounts = np.array([float(d.amount) for d in costs.planned_lines])
        counted = (knot_days[None, :] >= days[:, None]).astype(np.float64)
        np.add.at(out, np.asarray(gl, dtype=np.intp), amounts[:, None] * counted)
    return out


def actual_accrual(
    costs: ProjectCosts,
    knots: Sequence[dt.date],
    *,
    group_of_line: Sequence[int] | None = None,
    n_groups: int | None = None,
) -> F64:
    """Cumulative actual cost at the end of each knot day, ``(n_groups, len(knots))``."""
    n = len(costs.entities) if n_groups is None else n_groups
    out = np.zeros((n, len(knots)))
    if not costs.actuals or not knots:
        return out
    knot_days = np.array([d.toordinal() for d in knots])
    days = np.array([d.day.toordinal() for d in costs.actuals])
    amounts = np.array([float(d.amount) for d in costs.actuals])
    groups = group_of_line or [d.entity for d in costs.actuals]
    counted = (knot_days[None, :] >= days[:, None]).astype(np.float64)
    np.add.at(out, np.asarray(groups, dtype=np.intp), amounts[:, None] * counted)
    return out
