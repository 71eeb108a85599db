"""Earned value service: stored plan, progress and costs → ``pmo.engine.evm`` → measures.

For one project at a status date (``as_of``):

1. **Time-phasing** (:func:`timeline`): periods of a month (default), a week or a day from the
   start of the period holding the project's first cost. The engine's columns ("knots") are the
   period ends, plus the status date, the planned finish (where PV reaches BAC) and, once every
   task is finished, the completion date; each knot has its *time* in periods since the start
   (the status date 2026-03-15 is 2 + 15/31 months after 2026-01-01), so earned schedule,
   actual time and planned duration come out in periods even when the status date falls inside
   a period.
2. **PV** per task and knot: the task's planned cost (BAC; :mod:`pmo.finance.costs`) accrued
   over its scheduled working time. **AC**: actual cost lines dated up to the knot (measured up
   to the status date, not after). **EV**: BAC x the fraction the task's ``ev_method`` gives for
   its recorded progress (``pmo.engine.evm.earned_fractions``), measured at the status date and,
   for a finished task, from its actual finish on; project-level costs earn their PV (level of
   effort).
3. The engine computes every measure of every task (``iter_compute_evm``) and of the project
   (``rollup`` of the tasks, then ``compute_evm``); ES, AT and PD are turned from columns into
   periods by linear interpolation between knot times (Lipke's interpolation inside a period),
   and SV(t), SPI(t), IEAC(t), TSPI are the engine's formulas on those.

Programs and portfolios (:func:`monitor`), and organisations (:func:`monitor_organisation`, by
portfolio in the organisation's currency) roll the projects up on one clock (the start of the
first period of any of them), each converted to the reporting currency at the status date's
exchange rate (``rollup(factor=...)``); every index is recomputed from the sums.

Snapshots (:func:`do_take_snapshot`) store a project's measures at a status date in an
``EvmSnapshot`` row, which is never changed afterwards: the trends (CPI, SPI, SPI(t)) are read
from them.
"""

from __future__ import annotations

import calendar as cal_module
import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import QuerySet

from pmo.core.access import Access
from pmo.core.services import do_create
from pmo.engine import evm as engine
from pmo.engine.money import to_decimal
from pmo.errors import Conflict, ValidationFailed
from pmo.finance.costs import ProjectCosts, accrual, actual_accrual, load_project_costs
from pmo.finance.models import BudgetLine, CostCategory, EvmPeriod, EvmSnapshot
from pmo.finance.rates import ExchangeRates, MissingExchangeRate, quantize
from pmo.orgs.models import Membership, Organisation
from pmo.portfolio.models import Portfolio, Program
from pmo.projects.models import Project

F64 = npt.NDArray[np.float64]
PERIODS = tuple(p.value for p in EvmPeriod)
EV_METHODS = {
    "percent_complete": engine.EvMethod.PHYSICAL_PERCENT_COMPLETE.value,
    "zero_hundred": engine.EvMethod.ZERO_HUNDRED.value,
    "fifty_fifty": engine.EvMethod.FIFTY_FIFTY.value,
    "weighted_milestones": engine.EvMethod.WEIGHTED_MILESTONES.value,
}
INDEX_PLACES = 6
TIME_PLACES = 4


# --------------------------------------------------------------------------------------------
# periods and the timeline
# --------------------------------------------------------------------------------------------


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise ValidationFailed.field("period", f"{period!r} is not one of {', '.join(PERIODS)}")
    return period


def period_start(period: str, day: dt.date) -> dt.date:
    if period == EvmPeriod.MONTH:
        return day.replace(day=1)
    if period == EvmPeriod.WEEK:
        return day - dt.timedelta(days=day.weekday())
    return day


def period_end(period: str, day: dt.date) -> dt.date:
    """The last day of the period holding ``day``."""
    if period == EvmPeriod.MONTH:
        return day.replace(day=cal_module.monthrange(day.year, day.month)[1])
    if period == EvmPeriod.WEEK:
        return period_start(period, day) + dt.timedelta(days=6)
    return day


def _months(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def time_of(period: str, time0: dt.date, day: dt.date) -> float:
    """Periods from the start ``time0`` to the end of ``day``."""
    moment = day + dt.timedelta(days=1)
    if period == EvmPeriod.MONTH:
        days = cal_module.monthrange(moment.year, moment.month)[1]
        return _months(time0, moment) + (moment.day - 1) / days
    days_between = (moment - time0).days
    return days_between / 7 if period == EvmPeriod.WEEK else float(days_between)


def date_at(period: str, time0: dt.date, t: float) -> dt.date | None:
    """The first day whose end is at or after time ``t`` (the inverse of :func:`time_of`)."""
    if not math.isfinite(t) or t > 10_000:
        return None
    if period == EvmPeriod.MONTH:
        whole = math.floor(t)
        y, m = divmod(time0.month - 1 + whole, 12)
        start = dt.date(time0.year + y, m + 1, 1)
        days = cal_module.monthrange(start.year, start.month)[1]
        offset = math.ceil(round((t - whole) * days, 9))
        return start + dt.timedelta(days=offset - 1)
    unit = 7 if period == EvmPeriod.WEEK else 1
    return time0 + dt.timedelta(days=math.ceil(round(t * unit, 9)) - 1)


@dataclass(frozen=True)
class Timeline:
    """The engine's columns: ``knots[j]`` is a day, measured at its end, ``times[j]`` periods
    after ``time0``."""

    period: str
    time0: dt.date
    knots: tuple[dt.date, ...]
    times: F64
    as_of: dt.date
    as_of_index: int
    period_ends: frozenset[dt.date]

    def columns_to_time(self, columns: npt.ArrayLike) -> F64:
        grid = np.arange(len(self.knots) + 1, dtype=np.float64)
        return np.interp(np.asarray(columns, dtype=np.float64), grid, np.r_[0.0, self.times])

    def time_to_columns(self, times: npt.ArrayLike) -> F64:
        grid = np.arange(len(self.knots) + 1, dtype=np.float64)
        return np.interp(np.asarray(times, dtype=np.float64), np.r_[0.0, self.times], grid)

    def time(self, day: dt.date) -> float:
        return time_of(self.period, self.time0, day)

    def date(self, t: float) -> dt.date | None:
        return date_at(self.period, self.time0, t)


def timeline(
    period: str, first: dt.date, last: dt.date, as_of: dt.date, extra: Iterable[dt.date] = ()
) -> Timeline:
    """Period ends from the period of ``first`` through the one of ``last`` (and ``as_of``),
    plus ``as_of`` and the ``extra`` days."""
    check_period(period)
    time0 = period_start(period, min(first, as_of))
    end = period_end(period, max(last, as_of))
    ends: list[dt.date] = []
    day = period_end(period, time0)
    while day <= end:
        ends.append(day)
        day = period_end(period, day + dt.timedelta(days=1))
    knots = sorted({*ends, as_of, *(d for d in extra if time0 <= d <= end)})
    times = np.array([time_of(period, time0, d) for d in knots], dtype=np.float64)
    return Timeline(
        period=period,
        time0=time0,
        knots=tuple(knots),
        times=times,
        as_of=as_of,
        as_of_index=knots.index(as_of),
        period_ends=frozenset(ends),
    )


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


def _num(value: Any, places: int = INDEX_PLACES) -> float | None:
    """A float measure for output: None where undefined, rounded to ``places`` decimals."""
    x = float(value)
    return round(x, places) if math.isfinite(x) else None


@dataclass(frozen=True)
class Measures:
    """Earned value and earned schedule measures of one entity at the status date.

    Amounts are ``Decimal`` in ``currency``; ``es``, ``at``, ``planned_duration``, ``sv_t``,
    ``ieac_t`` are in periods since the start of the first period.
    """

    currency: str
    bac: Decimal
    pv: Decimal
    ev: Decimal | None
    ac: Decimal | None
    sv: Decimal | None
    cv: Decimal | None
    eac: Decimal | None
    etc: Decimal | None
    vac: Decimal | None
    eac_composite: Decimal | None
    spi: float | None
    cpi: float | None
    tcpi: float | None
    es: float | None
    at: float | None
    planned_duration: float | None
    sv_t: float | None
    spi_t: float | None
    ieac_t: float | None
    tspi: float | None
    planned_finish: dt.date | None
    forecast_finish: dt.date | None

    @property
    def vac_percent(self) -> float | None:
        if self.vac is None or not self.bac:
            return None
        return round(float(self.vac / self.bac * 100), 2)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "vac_percent": self.vac_percent}

    def converted(self, factor: Decimal, currency: str) -> Measures:
        """The amounts times ``factor`` in ``currency`` (indices and times unchanged)."""

        def conv(x: Decimal | None) -> Decimal | None:
            return None if x is None else quantize(x * factor, currency)

        money = ("pv", "ev", "ac", "sv", "cv", "eac", "etc", "vac", "eac_composite")
        values: dict[str, Any] = {k: conv(getattr(self, k)) for k in money}
        return replace(self, currency=currency, bac=quantize(self.bac * factor, currency), **values)


@dataclass(frozen=True)
class CurvePoint:
    """Cumulative values at the end of ``date`` (``ev``/``ac`` None where not measured)."""

    date: dt.date
    time: float
    pv: Decimal
    ev: Decimal | None
    ac: Decimal | None
    period_end: bool


@dataclass(frozen=True)
class TaskMeasures:
    task_id: int | None
    wbs: str
    name: str
    ev_method: str
    percent_complete: float | None
    earned_fraction: float
    measures: Measures


@dataclass(frozen=True)
class ProjectEvm:
    """A project's measures at ``as_of`` with its S-curve and its tasks' measures."""

    project_id: int
    code: str
    name: str
    as_of: dt.date
    period: str
    time0: dt.date
    measures: Measures
    curve: list[CurvePoint]
    tasks: list[TaskMeasures]
    ev_points: list[tuple[dt.date, Decimal]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# building the engine's series
# --------------------------------------------------------------------------------------------


def earned_fractions(costs: ProjectCosts, as_of: dt.date) -> F64:
    """Fraction of its BAC each entity has earned by ``as_of`` (engine's EV techniques).

    Progress is what is recorded (percent complete, milestones): it cannot be dated, except
    that a task whose actual start is after ``as_of`` had earned nothing by then and one whose
    actual finish is after ``as_of`` was not finished yet. Project-level costs (level of
    effort) get NaN: they earn their planned value.
    """
    n = len(costs.entities)
    if n == 0:
        return np.zeros(0)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    methods, started, finished, pct, share = [], [], [], [], []
    for e in costs.entities:
        if e.task_id is None:
            methods.append(engine.EvMethod.PHYSICAL_PERCENT_COMPLETE.value)
            started.append(False)
            finished.append(False)
            pct.append(0.0)
            share.append(0.0)
            continue
        method = EV_METHODS.get(e.ev_method, engine.EvMethod.PHYSICAL_PERCENT_COMPLETE.value)
        if method == engine.EvMethod.WEIGHTED_MILESTONES and math.isnan(e.milestone_share):
            method = engine.EvMethod.PHYSICAL_PERCENT_COMPLETE.value  # no milestones under it
        is_done = (e.actual_finish is not None and e.actual_finish <= end) or (
            e.actual_finish is None and e.percent_complete >= 100
        )
        is_started = is_done or (e.actual_start is not None and e.actual_start <= end)
        is_started = is_started or (e.actual_start is None and e.percent_complete > 0)
        methods.append(method)
        started.append(is_started)
        finished.append(is_done)
        pct.append(e.percent_complete)
        share.append(0.0 if math.isnan(e.milestone_share) else e.milestone_share)
    fractions = engine.earned_fractions(
        np.array(methods),
        started=np.array(started),
        finished=np.array(finished),
        percent_complete=np.array(pct),
        milestone_share=np.array(share),
    )
    # a task that actually started after the status date had earned nothing by then
    later = np.array([e.actual_start is not None and e.actual_start > end for e in costs.entities])
    fractions = np.where(later, 0.0, fractions)
    level_of_effort = np.array([e.task_id is None for e in costs.entities])
    return np.where(level_of_effort, np.nan, fractions)


def _finish_days(costs: ProjectCosts, as_of: dt.date) -> list[dt.date | None]:
    """The actual finish day of each finished task (on or before ``as_of``)."""
    out: list[dt.date | None] = []
    for e in costs.entities:
        day = e.actual_finish.date() if e.actual_finish is not None else None
        out.append(day if day is not None and day <= as_of else None)
    return out


def completion_day(costs: ProjectCosts, as_of: dt.date) -> dt.date | None:
    """The day the project finished: every costed task finished by ``as_of``."""
    tasks = [e for e in costs.entities if e.task_id is not None]
    days = _finish_days(costs, as_of)
    task_days = [d for e, d in zip(costs.entities, days, strict=True) if e.task_id is not None]
    if not tasks or any(d is None for d in task_days):
        return None
    return max(d for d in task_days if d is not None)


def project_timeline(costs: ProjectCosts, as_of: dt.date, period: str) -> Timeline:
    extra = [d for d in (costs.planned_finish(), completion_day(costs, as_of)) if d]
    return timeline(period, costs.first_day(), costs.last_day(), as_of, extra)


@dataclass(frozen=True)
class _Series:
    series: engine.EvmSeries
    bac: list[Decimal]
    fractions: F64


def entity_series(costs: ProjectCosts, tl: Timeline) -> _Series:
    """PV, EV, AC of every entity of ``costs`` on the columns of ``tl``."""
    n, k = len(costs.entities), len(tl.knots)
    j = tl.as_of_index
    bac_dec = costs.bac()
    bac = np.array([float(b) for b in bac_dec], dtype=np.float64)
    pv = accrual(costs, tl.knots)
    pv = np.minimum(pv, bac[:, None])  # float noise never lifts PV above BAC
    ac = actual_accrual(costs, tl.knots)
    ac[:, j + 1 :] = np.nan
    ev = np.full((n, k), np.nan)
    fractions = earned_fractions(costs, tl.as_of)
    loe = np.isnan(fractions)
    ev[:, j] = np.where(loe, pv[:, j], bac * np.nan_to_num(fractions))
    ev[loe, : j + 1] = pv[loe, : j + 1]
    for e, day in enumerate(_finish_days(costs, tl.as_of)):
        if day is None or loe[e] or fractions[e] < 1:
            continue
        done = np.array([d >= day for d in tl.knots[: j + 1]])
        ev[e, : j + 1] = np.where(done, bac[e], ev[e, : j + 1])
    finish_time = np.full(n, np.nan)
    for s in costs.spreads:
        if s.amount:
            t = tl.time(s.finish.date())
            finish_time[s.entity] = np.fmax(finish_time[s.entity], t)
    for d in costs.planned_lines:
        if d.amount:
            finish_time[d.entity] = np.fmax(finish_time[d.entity], tl.time(d.day))
    pd = tl.time_to_columns(finish_time)
    pd = np.where((bac > 0) & (pd > 0), pd, np.nan)
    series = engine.EvmSeries.from_arrays(pv, ev, ac, bac=bac, planned_duration=pd)
    return _Series(series, bac_dec, fractions)


def _measures_at(
    m: engine.EvmMeasures,
    row: int,
    tl: Timeline,
    currency: str,
    bac: Decimal,
    planned_finish: dt.date | None,
) -> Measures:
    """One entity's measures at the status date column, times in periods."""
    j = tl.as_of_index

    def money(name: str) -> Decimal | None:
        value = getattr(m, name)
        return None if value is None else to_decimal(float(value[row, j]), currency)

    es = tl.columns_to_time(m.es[row, j])
    at = tl.columns_to_time(m.at[row, j])
    pd = tl.columns_to_time(m.planned_duration[row])
    sv_t = engine.schedule_variance_t(es, at)
    spi_t = engine.spi_t(es, at)
    ieac_t = engine.ieac_t(pd, spi_t)
    tspi = engine.tspi(pd, es, at, pd)
    forecast = tl.date(float(ieac_t)) if math.isfinite(float(ieac_t)) else None
    return Measures(
        currency=currency,
        bac=quantize(bac, currency),
        pv=money("pv") or Decimal(0),
        ev=money("ev"),
        ac=money("ac"),
        sv=money("sv"),
        cv=money("cv"),
        eac=money("eac"),
        etc=money("etc"),
        vac=money("vac"),
        eac_composite=money("eac_composite"),
        spi=_num(m.spi[row, j]),
        cpi=_num(m.cpi[row, j]),
        tcpi=_num(m.tcpi[row, j]),
        es=_num(es, TIME_PLACES),
        at=_num(at, TIME_PLACES),
        planned_duration=_num(pd, TIME_PLACES),
        sv_t=_num(sv_t, TIME_PLACES),
        spi_t=_num(spi_t),
        ieac_t=_num(ieac_t, TIME_PLACES),
        tspi=_num(tspi),
        planned_finish=planned_finish,
        forecast_finish=forecast,
    )


def _planned_finish_of(tl: Timeline, pd_columns: float) -> dt.date | None:
    t = float(tl.columns_to_time(pd_columns))
    return tl.date(t) if math.isfinite(t) else None


# --------------------------------------------------------------------------------------------
# one project
# --------------------------------------------------------------------------------------------


def default_as_of(project: Project) -> dt.date:
    return project.status_date or dt.date.today()


def project_evm(
    project: Project,
    as_of: dt.date | None = None,
    period: str = EvmPeriod.MONTH,
    *,
    costs: ProjectCosts | None = None,
    with_tasks: bool = True,
) -> ProjectEvm:
    """Every measure of ``project`` at ``as_of`` (default: its status date, else today)."""
    check_period(period)
    as_of = as_of or default_as_of(project)
    costs = costs or load_project_costs(project)
    tl = project_timeline(costs, as_of, period)
    currency = costs.currency
    data = entity_series(costs, tl)
    series = data.series
    total_bac = sum(data.bac, Decimal(0))
    if series.n_entities:
        rolled = engine.rollup(series, np.zeros(series.n_entities, dtype=np.intp), 1)
    else:
        k = len(tl.knots)
        zeros = np.zeros((1, k))
        measured = np.where(np.arange(k) <= tl.as_of_index, 0.0, np.nan)
        rolled = engine.EvmSeries.from_arrays(
            zeros, measured[None, :], measured[None, :], bac=[0.0], planned_duration=[np.nan]
        )
    pm = engine.compute_evm(rolled)
    measures = _measures_at(
        pm, 0, tl, currency, total_bac, _planned_finish_of(tl, float(rolled.planned_duration[0]))
    )
    tasks: list[TaskMeasures] = []
    if with_tasks and series.n_entities:
        for block, tm in engine.iter_compute_evm(series):
            for i in range(block.start or 0, block.stop or series.n_entities):
                e = costs.entities[i]
                row = i - (block.start or 0)
                tasks.append(
                    TaskMeasures(
                        task_id=e.task_id,
                        wbs=e.wbs,
                        name=e.name,
                        ev_method=e.ev_method,
                        percent_complete=None
                        if math.isnan(e.percent_complete)
                        else e.percent_complete,
                        earned_fraction=_num(data.fractions[i]) or 0.0
                        if not math.isnan(data.fractions[i])
                        else 0.0,
                        measures=_measures_at(
                            tm,
                            row,
                            tl,
                            currency,
                            data.bac[i],
                            _planned_finish_of(tl, float(series.planned_duration[i])),
                        ),
                    )
                )
    curve = [
        CurvePoint(
            date=day,
            time=float(tl.times[k]),
            pv=to_decimal(float(rolled.pv[0, k]), currency) or Decimal(0),
            ev=to_decimal(float(rolled.ev[0, k]), currency),
            ac=to_decimal(float(rolled.ac[0, k]), currency),
            period_end=day in tl.period_ends,
        )
        for k, day in enumerate(tl.knots)
    ]
    snapshots = EvmSnapshot.objects.filter(project=project, status_date__lt=as_of).order_by(
        "status_date"
    )
    ev_points = [(s.status_date, s.ev) for s in snapshots if s.currency == currency]
    if measures.ev is not None:
        ev_points.append((as_of, measures.ev))
    return ProjectEvm(
        project_id=project.pk,
        code=project.code,
        name=project.name,
        as_of=as_of,
        period=period,
        time0=tl.time0,
        measures=measures,
        curve=curve,
        tasks=tasks,
        ev_points=ev_points,
    )


def project_evm_dict(result: ProjectEvm) -> dict[str, Any]:
    """A JSON-ready form of :class:`ProjectEvm` (API)."""
    return {
        "project_id": result.project_id,
        "code": result.code,
        "name": result.name,
        "as_of": result.as_of,
        "period": result.period,
        "start": result.time0,
        "measures": result.measures.as_dict(),
        "curve": [asdict(p) for p in result.curve],
        "tasks": [
            {**{k: v for k, v in asdict(t).items() if k != "measures"}, **t.measures.as_dict()}
            for t in result.tasks
        ],
    }


# --------------------------------------------------------------------------------------------
# snapshots
# --------------------------------------------------------------------------------------------


def _dec(value: float | None, places: int) -> Decimal | None:
    return None if value is None else Decimal(repr(value)).quantize(Decimal(1).scaleb(-places))


def do_take_snapshot(
    access: Access,
    project: Project,
    status_date: dt.date | None = None,
    period: str = EvmPeriod.MONTH,
) -> EvmSnapshot:
    """Store the project's measures at ``status_date`` (default: its status date, else
    today) as a new, immutable ``EvmSnapshot``; one per project and status date."""
    access.check_visible(project)
    access.check_write(EvmSnapshot(organisation_id=project.organisation_id, project=project))
    check_period(period)
    status_date = status_date or default_as_of(project)
    if EvmSnapshot.objects.filter(project=project, status_date=status_date).exists():
        raise Conflict(
            f"project {project.code} already has an EVM snapshot at {status_date.isoformat()}; "
            "a snapshot is never replaced"
        )
    result = project_evm(project, status_date, period)
    m = result.measures
    taken_by = access.user.pk
    if not Membership.objects.filter(user_id=taken_by, organisation_id=project.organisation_id):
        taken_by = None  # an operator (superuser) outside the organisation
    data: dict[str, Any] = {
        "project_id": project.pk,
        "status_date": status_date,
        "period": period,
        "currency": m.currency,
        "taken_by_id": taken_by,
        "bac": m.bac,
        "pv": m.pv,
        "ev": m.ev if m.ev is not None else Decimal(0),
        "ac": m.ac if m.ac is not None else Decimal(0),
        "sv": m.sv if m.sv is not None else Decimal(0),
        "cv": m.cv if m.cv is not None else Decimal(0),
        "eac": m.eac,
        "etc": m.etc,
        "vac": m.vac,
        "spi": _dec(m.spi, INDEX_PLACES),
        "cpi": _dec(m.cpi, INDEX_PLACES),
        "tcpi": _dec(m.tcpi, INDEX_PLACES),
        "es": _dec(m.es, INDEX_PLACES),
        "at": _dec(m.at, INDEX_PLACES),
        "planned_duration": _dec(m.planned_duration, INDEX_PLACES),
        "sv_t": _dec(m.sv_t, INDEX_PLACES),
        "spi_t": _dec(m.spi_t, INDEX_PLACES),
        "ieac_t": _dec(m.ieac_t, INDEX_PLACES),
        "forecast_finish": m.forecast_finish,
        "curve": [
            {
                "date": p.date.isoformat(),
                "pv": str(p.pv),
                "ev": None if p.ev is None else str(p.ev),
                "ac": None if p.ac is None else str(p.ac),
            }
            for p in result.curve
            if p.period_end or p.date == status_date
        ],
        "tasks": [
            {
                "task_id": t.task_id,
                "wbs": t.wbs,
                "name": t.name,
                "ev_method": t.ev_method,
                "percent_complete": t.percent_complete,
                **{
                    k: (str(v) if isinstance(v, Decimal) else v)
                    for k, v in asdict(t.measures).items()
                    if k in {"bac", "pv", "ev", "ac", "cpi", "spi", "eac", "vac"}
                },
            }
            for t in result.tasks
        ],
    }
    return do_create(access, EvmSnapshot, data)


def snapshots_of(project: Project) -> QuerySet[EvmSnapshot]:
    return EvmSnapshot.objects.filter(project=project).order_by("status_date")


# --------------------------------------------------------------------------------------------
# programs and portfolios: budget monitoring
# --------------------------------------------------------------------------------------------

SORT_KEYS = (
    "code",
    "name",
    "budget",
    "bac",
    "ev",
    "ac",
    "eac",
    "vac",
    "vac_percent",
    "cpi",
    "spi",
    "spi_t",
    "forecast_finish",
)


@dataclass(frozen=True)
class MonitoringRow:
    project_id: int
    code: str
    name: str
    program: str
    status: str
    currency: str  # the project's own
    status_date: dt.date | None
    budget: Decimal | None  # authorised: its budget lines, else Project.budget
    measures: Measures | None  # in the reporting currency
    flags: tuple[str, ...]
    error: str | None = None

    def value(self, key: str) -> Any:
        if key in {"code", "name"}:
            return getattr(self, key)
        if key == "budget":
            return self.budget
        if self.measures is None:
            return None
        if key == "vac_percent":
            return self.measures.vac_percent
        return getattr(self.measures, key)


@dataclass(frozen=True)
class GroupMeasures:
    name: str
    measures: Measures


@dataclass(frozen=True)
class Monitoring:
    scope: str  # "portfolio" or "program"
    id: int
    code: str
    name: str
    currency: str
    as_of: dt.date
    period: str
    cpi_threshold: Decimal
    spi_threshold: Decimal
    variance_threshold_percent: Decimal
    rows: list[MonitoringRow]
    total: Measures | None
    programs: list[GroupMeasures]
    budget_by_category: list[tuple[str, str, Decimal]]
    flagged: int
    errors: list[str]
    sort: str


def flags_for(
    m: Measures | None, cpi_min: Decimal, spi_min: Decimal, variance_percent: Decimal
) -> tuple[str, ...]:
    """Which thresholds of the portfolio a project is outside: CPI or SPI or SPI(t) below
    their minimum, or |VAC| above the variance threshold (% of BAC)."""
    if m is None:
        return ()
    out = []
    if m.cpi is not None and m.cpi < float(cpi_min):
        out.append("CPI")
    if m.spi is not None and m.spi < float(spi_min):
        out.append("SPI")
    if m.spi_t is not None and m.spi_t < float(spi_min):
        out.append("SPI(t)")
    vp = m.vac_percent
    if vp is not None and abs(vp) > float(variance_percent):
        out.append("VAC")
    return tuple(out)


def _authorised_budget(
    project: Project, lines: Sequence[BudgetLine], fx: ExchangeRates, currency: str, as_of: dt.date
) -> Decimal:
    if lines:
        amounts = (
            fx.convert(ln.amount, ln.currency, currency, ln.month, exact=True) for ln in lines
        )
        return quantize(sum(amounts, Decimal(0)), currency)
    return fx.convert(Decimal(project.budget), project.currency, currency, as_of)


def parse_sort(sort: str | None) -> tuple[str, bool]:
    key = (sort or "code").strip()
    descending = key.startswith("-")
    key = key.lstrip("-")
    if key not in SORT_KEYS:
        raise ValidationFailed.field(
            "sort", f"{key!r} is not one of {', '.join(SORT_KEYS)} (prefix - to sort descending)"
        )
    return key, descending


def sort_rows(rows: list[MonitoringRow], sort: str | None) -> list[MonitoringRow]:
    key, descending = parse_sort(sort)
    present = [r for r in rows if r.value(key) is not None]
    missing = [r for r in rows if r.value(key) is None]
    present.sort(key=lambda r: (r.value(key), r.code), reverse=descending)
    return present + sorted(missing, key=lambda r: r.code)


def monitor(
    scope: Portfolio | Program,
    as_of: dt.date | None = None,
    period: str = EvmPeriod.MONTH,
    sort: str | None = None,
) -> Monitoring:
    """Budget monitoring of a portfolio (or program): one row per project in the reporting
    currency (the portfolio's), flagged against the portfolio's thresholds, and the rollup."""
    check_period(period)
    parse_sort(sort)
    as_of = as_of or dt.date.today()
    if isinstance(scope, Program):
        portfolio = scope.portfolio
        projects_qs = Project.objects.filter(program=scope)
        kind = "program"
    else:
        portfolio = scope
        projects_qs = Project.objects.filter(portfolio=scope)
        kind = "portfolio"
    currency = portfolio.currency
    fx = ExchangeRates(portfolio.organisation_id)
    projects = list(
        projects_qs.select_related(
            "program", "calendar", "organisation", "organisation__default_calendar"
        ).order_by("code")
    )
    budget_lines: dict[int, list[BudgetLine]] = {}
    for line in BudgetLine.objects.filter(project__in=projects).order_by("month"):
        budget_lines.setdefault(int(line.project_id), []).append(line)  # type: ignore[arg-type]

    rows: list[MonitoringRow] = []
    errors: list[str] = []
    measured: list[tuple[Project, ProjectCosts, Decimal]] = []
    for p in projects:
        try:
            costs = load_project_costs(p, fx)
            own = project_evm(p, as_of, period, costs=costs, with_tasks=False).measures
            factor = fx.rate(p.currency, currency, as_of)
            converted = own.converted(factor, currency)
            budget = _authorised_budget(p, budget_lines.get(p.pk, []), fx, currency, as_of)
        except MissingExchangeRate as exc:
            errors.append(f"{p.code}: {exc.message}")
            rows.append(_row(p, None, None, (), exc.message))
            continue
        measured.append((p, costs, factor))
        flags = flags_for(
            converted,
            portfolio.cpi_threshold,
            portfolio.spi_threshold,
            portfolio.variance_threshold_percent,
        )
        rows.append(_row(p, budget, converted, flags))
    total, programs = _rollup(measured, as_of, period, currency)
    return Monitoring(
        scope=kind,
        id=scope.pk,
        code=scope.code,
        name=scope.name,
        currency=currency,
        as_of=as_of,
        period=period,
        cpi_threshold=portfolio.cpi_threshold,
        spi_threshold=portfolio.spi_threshold,
        variance_threshold_percent=portfolio.variance_threshold_percent,
        rows=sort_rows(rows, sort),
        total=total,
        programs=programs,
        budget_by_category=_budget_by_category(scope, projects, fx, currency, errors),
        flagged=sum(1 for r in rows if r.flags),
        errors=errors,
        sort=sort or "code",
    )


def _row(
    p: Project,
    budget: Decimal | None,
    measures: Measures | None,
    flags: tuple[str, ...],
    error: str | None = None,
) -> MonitoringRow:
    return MonitoringRow(
        project_id=p.pk,
        code=p.code,
        name=p.name,
        program=p.program.name if p.program else "",
        status=p.status,
        currency=p.currency,
        status_date=p.status_date,
        budget=budget,
        measures=measures,
        flags=flags,
        error=error,
    )


def by_program(p: Project) -> tuple[object, str]:
    return ("program", p.program_id), (p.program.name if p.program else NO_PROGRAM)


def by_portfolio(p: Project) -> tuple[object, str]:
    return ("portfolio", p.portfolio_id), p.portfolio.name


NO_PROGRAM = "Projects without a program"


def _rollup(
    measured: Sequence[tuple[Project, ProjectCosts, Decimal]],
    as_of: dt.date,
    period: str,
    currency: str,
    group_of: Callable[[Project], tuple[object, str]] = by_program,
) -> tuple[Measures | None, list[GroupMeasures]]:
    """Projects → groups (programs, or portfolios) → the whole, on one clock, in the
    reporting currency (engine ``rollup`` with each project's exchange rate as its factor)."""
    if not measured:
        return None, []
    first = min(c.first_day() for _, c, _ in measured)
    last = max(c.last_day() for _, c, _ in measured)
    finishes = [c.planned_finish() for _, c, _ in measured]
    tl = timeline(period, first, last, as_of, [d for d in finishes if d])
    k, j = len(tl.knots), tl.as_of_index
    n = len(measured)
    pv = np.zeros((n, k))
    ev = np.full((n, k), np.nan)
    ac = np.full((n, k), np.nan)
    bac = np.zeros(n)
    pd = np.full(n, np.nan)
    for i, (_, costs, _) in enumerate(measured):
        if not costs.entities:
            ev[i, j] = 0.0
            ac[i, : j + 1] = 0.0
            continue
        data = entity_series(costs, tl)
        s = data.series
        pv[i] = s.pv.sum(axis=0)
        ev[i, j] = s.ev[:, j].sum()
        ac[i, : j + 1] = s.ac[:, : j + 1].sum(axis=0)
        bac[i] = s.bac.sum()
        finish = costs.planned_finish()
        if finish is not None and bac[i] > 0:
            pd[i] = float(tl.time_to_columns(tl.time(finish)))
    projects = engine.EvmSeries.from_arrays(pv, ev, ac, bac=bac, planned_duration=pd)
    factor = np.array([float(f) for _, _, f in measured])
    bac_dec = [quantize(sum(c.bac(), Decimal(0)) * f, currency) for _, c, f in measured]

    def measures_of(series: engine.EvmSeries, rows: Sequence[int]) -> list[Measures]:
        m = engine.compute_evm(series)
        out = []
        for g, members in enumerate(rows_of_groups(rows, series.n_entities)):
            total_bac = sum((bac_dec[i] for i in members), Decimal(0))
            finish = _planned_finish_of(tl, float(series.planned_duration[g]))
            out.append(_measures_at(m, g, tl, currency, total_bac, finish))
        return out

    whole = engine.rollup(projects, np.zeros(n, dtype=np.intp), 1, factor=factor)
    total = measures_of(whole, [0] * n)[0]
    keys: dict[object, int] = {}
    names: list[str] = []
    parent = np.zeros(n, dtype=np.intp)
    for i, (p, _, _) in enumerate(measured):
        key, name = group_of(p)
        if key not in keys:
            keys[key] = len(names)
            names.append(name)
        parent[i] = keys[key]
    grouped = engine.rollup(projects, parent, len(names), factor=factor)
    groups = measures_of(grouped, list(parent))
    return total, [GroupMeasures(name, m) for name, m in zip(names, groups, strict=True)]


@dataclass(frozen=True)
class OrganisationMonitoring:
    organisation_id: int
    code: str
    name: str
    currency: str
    as_of: dt.date
    period: str
    total: Measures | None
    portfolios: list[GroupMeasures]
    projects: int
    errors: list[str]


def monitor_organisation(
    organisation: Organisation, as_of: dt.date | None = None, period: str = EvmPeriod.MONTH
) -> OrganisationMonitoring:
    """Every project of the organisation rolled up by portfolio and in total, in the
    organisation's currency (each project converted at the status date's rate)."""
    check_period(period)
    as_of = as_of or dt.date.today()
    currency = organisation.currency
    fx = ExchangeRates(organisation.pk)
    measured: list[tuple[Project, ProjectCosts, Decimal]] = []
    errors: list[str] = []
    projects = Project.objects.filter(organisation=organisation).select_related(
        "portfolio", "program", "calendar", "organisation", "organisation__default_calendar"
    )
    for p in projects.order_by("portfolio__code", "code"):
        try:
            measured.append((p, load_project_costs(p, fx), fx.rate(p.currency, currency, as_of)))
        except MissingExchangeRate as exc:
            errors.append(f"{p.code}: {exc.message}")
    total, groups = _rollup(measured, as_of, period, currency, by_portfolio)
    return OrganisationMonitoring(
        organisation_id=organisation.pk,
        code=organisation.code,
        name=organisation.name,
        currency=currency,
        as_of=as_of,
        period=period,
        total=total,
        portfolios=groups,
        projects=len(measured),
        errors=errors,
    )


def organisation_monitoring_dict(m: OrganisationMonitoring) -> dict[str, Any]:
    return {
        "organisation_id": m.organisation_id,
        "code": m.code,
        "name": m.name,
        "currency": m.currency,
        "as_of": m.as_of,
        "period": m.period,
        "projects": m.projects,
        "total": m.total.as_dict() if m.total else None,
        "portfolios": [{"name": g.name, **g.measures.as_dict()} for g in m.portfolios],
        "errors": m.errors,
    }


def rows_of_groups(parent: Sequence[int], n_groups: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n_groups)]
    for i, g in enumerate(parent):
        out[int(g)].append(i)
    return out


def _budget_by_category(
    scope: Portfolio | Program,
    projects: Sequence[Project],
    fx: ExchangeRates,
    currency: str,
    errors: list[str],
) -> list[tuple[str, str, Decimal]]:
    """Budget lines of the portfolio (or program), its programs and its projects, by
    category, in the reporting currency at each line's month: (category, label, amount)."""
    from django.db.models import Q

    if isinstance(scope, Program):
        where = Q(program=scope) | Q(project__in=projects)
    else:
        where = Q(portfolio=scope) | Q(program__portfolio=scope) | Q(project__in=projects)
    totals: dict[str, Decimal] = {}
    for line in BudgetLine.objects.filter(where).distinct():
        try:
            amount = fx.convert(line.amount, line.currency, currency, line.month, exact=True)
        except MissingExchangeRate as exc:
            errors.append(f"budget line {line.pk}: {exc.message}")
            continue
        totals[line.category] = totals.get(line.category, Decimal(0)) + amount
    labels = dict(CostCategory.choices)
    return [(c, str(labels[c]), quantize(totals[c], currency)) for c in labels if c in totals]


def monitoring_dict(m: Monitoring) -> dict[str, Any]:
    return {
        "scope": m.scope,
        "id": m.id,
        "code": m.code,
        "name": m.name,
        "currency": m.currency,
        "as_of": m.as_of,
        "period": m.period,
        "sort": m.sort,
        "thresholds": {
            "cpi": m.cpi_threshold,
            "spi": m.spi_threshold,
            "variance_percent": m.variance_threshold_percent,
        },
        "rows": [
            {
                "project_id": r.project_id,
                "code": r.code,
                "name": r.name,
                "program": r.program,
                "status": r.status,
                "project_currency": r.currency,
                "status_date": r.status_date,
                "budget": r.budget,
                "flags": list(r.flags),
                "error": r.error,
                **(r.measures.as_dict() if r.measures else {}),
            }
            for r in m.rows
        ],
        "total": m.total.as_dict() if m.total else None,
        "programs": [{"name": g.name, **g.measures.as_dict()} for g in m.programs],
        "budget_by_category": [
            {"category": c, "label": label, "amount": a} for c, label, a in m.budget_by_category
        ],
        "flagged": m.flagged,
        "errors": m.errors,
    }


# --------------------------------------------------------------------------------------------
# the budget table of the Cost tab
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetTable:
    currency: str
    months: list[dt.date]
    rows: list[tuple[str, list[Decimal], Decimal]]  # category label, by month, total
    budget_total: list[Decimal]
    planned: list[Decimal]
    actual: list[Decimal | None]  # None for months after the status date
    errors: list[str]

    @property
    def grand_total(self) -> Decimal:
        return sum(self.budget_total, Decimal(0))


def budget_table(project: Project, costs: ProjectCosts, as_of: dt.date) -> BudgetTable:
    """The project's budget lines by category and month (project currency), with the planned
    cost (PV) and the actual cost (AC) of each month for comparison."""
    fx = ExchangeRates(project.organisation_id)
    currency = project.currency
    lines = list(BudgetLine.objects.filter(project=project).order_by("month"))
    first = costs.first_day() if costs.entities else (lines[0].month if lines else as_of)
    last = costs.last_day() if costs.entities else first
    months_set = {ln.month for ln in lines}
    day = first.replace(day=1)
    while day <= last.replace(day=1):
        months_set.add(day)
        day = period_end(EvmPeriod.MONTH, day) + dt.timedelta(days=1)
    months = sorted(months_set)
    errors: list[str] = []
    cells: dict[str, dict[dt.date, Decimal]] = {}
    for ln in lines:
        try:
            amount = fx.convert(ln.amount, ln.currency, currency, ln.month)
        except MissingExchangeRate as exc:
            errors.append(exc.message)
            continue
        by_month = cells.setdefault(ln.category, {})
        by_month[ln.month] = by_month.get(ln.month, Decimal(0)) + amount
    labels = dict(CostCategory.choices)
    rows = []
    for cat, label in labels.items():
        if cat not in cells:
            continue
        values = [cells[cat].get(m, Decimal(0)) for m in months]
        rows.append((str(label), values, sum(values, Decimal(0))))
    budget_total = [sum((r[1][i] for r in rows), Decimal(0)) for i in range(len(months))]
    ends = [period_end(EvmPeriod.MONTH, m) for m in months]
    planned_cum = accrual(costs, ends).sum(axis=0) if costs.entities else np.zeros(len(ends))
    actual_cum = actual_accrual(costs, ends).sum(axis=0) if costs.entities else np.zeros(len(ends))
    planned = _monthly(planned_cum, currency)
    actual: list[Decimal | None] = list(_monthly(actual_cum, currency))
    for i, month in enumerate(months):
        if month > as_of:
            actual[i] = None  # not measured yet
    return BudgetTable(currency, months, rows, budget_total, planned, actual, errors)


def _monthly(cumulative: F64, currency: str) -> list[Decimal]:
    values = np.diff(np.r_[0.0, cumulative]) if cumulative.size else cumulative
    return [to_decimal(float(v), currency) or Decimal(0) for v in values]
