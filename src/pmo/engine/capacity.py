"""Capacity against demand, per resource and period, vectorised over everything.

Time is in minutes since 1970-01-01 (naive wall-clock time, as in :mod:`pmo.engine.calendar`);
a report's periods are given by their boundaries ``edges`` (P+1 increasing moments: weeks
from Monday 00:00, months from the 1st, or days).

* **Capacity** of a resource in a period is its ``max_units`` times the working minutes of its
  calendar in that period (holidays and personal leave are exceptions of that calendar, so they
  are simply not working time).
* **Demand** of an assignment is its work (minutes) spread evenly over the *working time* of
  its task's calendar between the task's start and finish: a task of 3 working days with 12
  hours of work puts 4 hours on each of its days, nothing on the weekend between them. A
  zero-length task (milestone) puts its work at its start.

Both are computed on a :class:`~pmo.engine.calendar.CalendarIndex`, where each moment has a
working ordinal (working minutes since the start of the index): the working time of a task in
a period is an overlap of two intervals of ordinals. Demand is summed per resource without an
assignment × period matrix: the cumulative demand of a resource is a piecewise-linear function
of the ordinal, ``G(x) = sum_a rho_a ((x - s_a)+ - (x - e_a)+)`` with ``rho_a = work / (e_a -
s_a)``, evaluated at the period edges with one sorted search over all assignments (prefix sums
of ``rho`` and ``rho * s``), so the cost is O((A + R·P) log A) whatever the spread of the tasks.
:func:`spread` gives the per-assignment matrix for the few rows a drill-down shows; both agree.

Aggregation by role or skill is a weighted sum of resource rows (:func:`aggregate`): the
caller says which resources count towards a group's capacity and which towards its demand.

Pure computation: numpy in, numpy out; no Django, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from pmo.engine.calendar import MINUTES_PER_DAY, Calendar, CalendarIndex, build_index, to_minutes
from pmo.errors import ValidationFailed

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

PeriodKind = Literal["day", "week", "month"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month")


# ---------------------------------------------------------------------------------------------
# periods
# ---------------------------------------------------------------------------------------------


def period_bounds(first: dt.date, last: dt.date, by: PeriodKind) -> list[dt.date]:
    """Boundaries of the periods covering ``first``..``last`` (inclusive): P+1 dates, the
    first at or before ``first`` (a Monday for weeks, the 1st for months), the last after
    ``last``."""
    if by not in PERIOD_KINDS:
        raise ValidationFailed.field("by", "must be day, week or month")
    if last < first:
        raise ValidationFailed.field("to", "must not be before from")
    if by == "day":
        start = first
        step = dt.timedelta(days=1)
        out = [start]
        while out[-1] <= last:
            out.append(out[-1] + step)
        return out
    if by == "week":
        start = first - dt.timedelta(days=first.weekday())
        out = [start]
        while out[-1] <= last:
            out.append(out[-1] + dt.timedelta(days=7))
        return out
    out = [first.replace(day=1)]
    while out[-1] <= last:
        d = out[-1]
        out.append(
            d.replace(year=d.year + 1, month=1) if d.month == 12 else d.replace(month=d.month + 1)
        )
    return out


def edges_of(bounds: Sequence[dt.date | dt.datetime]) -> I64:
    """Period boundaries as minutes since the epoch."""
    edges = np.asarray([to_minutes(b) for b in bounds], dtype=np.int64)
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValidationFailed.field("edges", "need at least two increasing period boundaries")
    return edges


# ---------------------------------------------------------------------------------------------
# calendars on a horizon
# ---------------------------------------------------------------------------------------------


def _index(calendars: Sequence[Calendar], lo: int, hi: int) -> CalendarIndex:
    """An index of ``calendars`` covering the minutes ``lo``..``hi`` (with a day's margin)."""
    if not calendars:
        raise ValidationFailed.field("calendars", "give at least one calendar")
    return build_index(
        list(calendars), int(lo // MINUTES_PER_DAY) - 1, int(hi // MINUTES_PER_DAY) + 1
    )


def working_minutes(calendars: Sequence[Calendar], edges: npt.ArrayLike) -> I64:
    """(K, P) working minutes of each calendar in each period ``[edges[p], edges[p+1])``."""
    e = np.asarray(edges, dtype=np.int64)
    idx = _index(calendars, int(e[0]), int(e[-1]))
    out = np.empty((len(calendars), e.size - 1), dtype=np.int64)
    for c in range(len(calendars)):
        out[c] = np.diff(idx.ordinal(c, e))
    return out


def working_days(calendar: Calendar, first_day: dt.date, last_day: dt.date) -> list[dt.date]:
    """The days of ``first_day``..``last_day`` with working time on ``calendar``."""
    bounds = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 2)]
    minutes = working_minutes([calendar], edges_of(bounds))[0]
    return [bounds[i] for i in np.flatnonzero(minutes > 0).tolist()]


# ---------------------------------------------------------------------------------------------
# capacity and demand
# ---------------------------------------------------------------------------------------------


def capacity(
    calendars: Sequence[Calendar],
    edges: npt.ArrayLike,
    resource_calendar: npt.ArrayLike,
    max_units: npt.ArrayLike,
) -> F64:
    """(R, P) capacity in minutes: ``max_units[r]`` × working minutes of the resource's
    calendar (``resource_calendar[r]`` indexes ``calendars``) in each period."""
    cal = np.asarray(resource_calendar, dtype=np.int64).reshape(-1)
    units = np.asarray(max_units, dtype=np.float64).reshape(-1)
    if cal.shape != units.shape:
        raise ValidationFailed.field("max_units", "one value per resource")
    if cal.size and (cal.min() < 0 or cal.max() >= len(calendars)):
        raise ValidationFailed.field("resource_calendar", "calendar index out of range")
    if np.any(units < 0):
        raise ValidationFailed.field("max_units", "must not be negative")
    e = np.asarray(edges, dtype=np.int64)
    if cal.size == 0:
        return np.zeros((0, e.size - 1), dtype=np.float64)
    used = np.unique(cal)
    minutes = working_minutes([calendars[int(c)] for c in used], e)
    row = np.searchsorted(used, cal)
    return units[:, None] * minutes[row].astype(np.float64)


@dataclass(frozen=True, eq=False)
class Work:
    """Assignments as arrays: the resource and task calendar (indexes), the task's start and
    finish (minutes since the epoch) and the work to spread (minutes)."""

    resource: I64
    calendar: I64
    start: I64
    finish: I64
    work: F64

    @classmethod
    def of(
        cls,
        resource: npt.ArrayLike,
        calendar: npt.ArrayLike,
        start: npt.ArrayLike,
        finish: npt.ArrayLike,
        work: npt.ArrayLike,
    ) -> Work:
        out = cls(
            resource=np.asarray(resource, dtype=np.int64).reshape(-1),
            calendar=np.asarray(calendar, dtype=np.int64).reshape(-1),
            start=np.asarray(start, dtype=np.int64).reshape(-1),
            finish=np.asarray(finish, dtype=np.int64).reshape(-1),
            work=np.asarray(work, dtype=np.float64).reshape(-1),
        )
        n = out.resource.size
        for name in ("calendar", "start", "finish", "work"):
            if getattr(out, name).size != n:
                raise ValidationFailed.field(name, f"expected {n} values, one per assignment")
        if np.any(out.work < 0):
            raise ValidationFailed.field("work", "must not be negative")
        return out

    def __len__(self) -> int:
        return int(self.resource.size)


def _ordinals(
    calendars: Sequence[Calendar], edges: I64, w: Work
) -> tuple[CalendarIndex, list[tuple[int, I64, I64, I64, I64]]]:
    """Per calendar used: (calendar, rows, ordinal of start, ordinal of finish, ordinal of
    each edge)."""
    if len(w) and (w.calendar.min() < 0 or w.calendar.max() >= len(calendars)):
        raise ValidationFailed.field("calendar", "calendar index out of range")
    lo = int(min(edges[0], w.start.min() if len(w) else edges[0]))
    hi = int(max(edges[-1], w.finish.max() if len(w) else edges[-1]))
    idx = _index(calendars, lo, hi)
    out = []
    for c in np.unique(w.calendar).tolist():
        rows = np.flatnonzero(w.calendar == c)
        s = idx.ordinal(int(c), w.start[rows])
        f = np.maximum(idx.ordinal(int(c), w.finish[rows]), s)
        out.append((int(c), rows, s, f, idx.ordinal(int(c), edges)))
    return idx, out


def spread(calendars: Sequence[Calendar], edges: npt.ArrayLike, w: Work) -> F64:
    """(A, P) demand of each assignment in each period, in minutes (for a few rows: the
    drill-down of a heat-map cell)."""
    e = np.asarray(edges, dtype=np.int64)
    out = np.zeros((len(w), e.size - 1), dtype=np.float64)
    if not len(w):
        return out
    _, groups = _ordinals(calendars, e, w)
    for _, rows, s, f, oe in groups:
        span = (f - s).astype(np.float64)
        lo, hi = oe[:-1][None, :], oe[1:][None, :]
        overlap = np.clip(np.minimum(f[:, None], hi) - np.maximum(s[:, None], lo), 0, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(span[:, None] > 0, overlap / span[:, None], 0.0)
        out[rows] = part * w.work[rows][:, None]
        instant = np.flatnonzero(span == 0)
        if instant.size:
            p = np.searchsorted(oe, s[instant], side="right") - 1
            ok = (p >= 0) & (p < e.size - 1)
            out[rows[instant[ok]], p[ok]] += w.work[rows[instant[ok]]]
    return out


def _ramp(keys: I64, rho: F64, group: I64, points: I64, n_groups: int, big: int) -> F64:
    """``sum_{a in g} rho_a * (x - keys_a)+`` for every group g and point x: (G, X)."""
    order = np.lexsort((keys, group))
    k = group[order] * big + keys[order]
    r = rho[order]
    cum_r = np.concatenate(([0.0], np.cumsum(r)))
    cum_rk = np.concatenate(([0.0], np.cumsum(r * keys[order].astype(np.float64))))
    g = np.arange(n_groups, dtype=np.int64)
    base = np.searchsorted(k, g * big, side="left")
    q = g[:, None] * big + points[None, :]
    hit = np.searchsorted(k, q.ravel(), side="right").reshape(q.shape)
    s_r = cum_r[hit] - cum_r[base][:, None]
    s_rk = cum_rk[hit] - cum_rk[base][:, None]
    return points[None, :].astype(np.float64) * s_r - s_rk


def demand(calendars: Sequence[Calendar], edges: npt.ArrayLike, w: Work, n_resources: int) -> F64:
    """(R, P) demand in minutes: every assignment's work spread over its task's working time,
    summed per resource (see the module docstring for the method)."""
    e = np.asarray(edges, dtype=np.int64)
    out = np.zeros((n_resources, e.size - 1), dtype=np.float64)
    if not len(w):
        return out
    if w.resource.min() < 0 or w.resource.max() >= n_resources:
        raise ValidationFailed.field("resource", "resource index out of range")
    idx, groups = _ordinals(calendars, e, w)
    big = int(max(idx.total(c) for c in range(len(calendars)))) + int(e.size) + 2
    for _, rows, s, f, oe in groups:
        res = w.resource[rows]
        span = f - s
        timed = span > 0
        if timed.any():
            rho = w.work[rows][timed] / span[timed]
            g = res[timed]
            cum = _ramp(s[timed], rho, g, oe, n_resources, big) - _ramp(
                f[timed], rho, g, oe, n_resources, big
            )
            out += np.diff(cum, axis=1)
        instant = np.flatnonzero(~timed)
        if instant.size:
            p = np.searchsorted(oe, s[instant], side="right") - 1
            ok = (p >= 0) & (p < e.size - 1)
            np.add.at(out, (res[instant[ok]], p[ok]), w.work[rows][instant[ok]])
    # float noise of the prefix sums must not show as a tiny negative demand
    np.maximum(out, 0.0, out=out)
    return out


def aggregate(values: npt.ArrayLike, weights: npt.ArrayLike) -> F64:
    """(G, P) group totals of (R, P) ``values`` with a (G, R) ``weights`` matrix (1 = the
    resource counts in the group)."""
    v = np.asarray(values, dtype=np.float64)
    m = np.asarray(weights, dtype=np.float64)
    if m.ndim != 2 or v.ndim != 2 or m.shape[1] != v.shape[0]:
        raise ValidationFailed.field("weights", f"expected shape (groups, {v.shape[0]})")
    return m @ v


def load(demand_minutes: npt.ArrayLike, capacity_minutes: npt.ArrayLike) -> F64:
    """Demand as a fraction of capacity: 0 where both are 0, ``inf`` where there is demand
    but no capacity."""
    d = np.asarray(demand_minutes, dtype=np.float64)
    c = np.asarray(capacity_minutes, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(c > 0, d / np.where(c > 0, c, 1.0), np.where(d > 1e-9, np.inf, 0.0))
    return out


@dataclass(frozen=True, eq=False)
class CapacityTable:
    """Capacity and demand (minutes) of R resources in P periods."""

    edges: I64
    capacity: F64
    demand: F64

    @property
    def load(self) -> F64:
        return load(self.demand, self.capacity)

    @property
    def free(self) -> F64:
        return np.maximum(self.capacity - self.demand, 0.0)

    @property
    def over(self) -> npt.NDArray[np.bool_]:
        """Cells where demand exceeds capacity (by more than a minute of rounding)."""
        return self.demand > self.capacity + 1e-6


def table(
    calendars: Sequence[Calendar],
    edges: npt.ArrayLike,
    resource_calendar: npt.ArrayLike,
    max_units: npt.ArrayLike,
    w: Work,
) -> CapacityTable:
    """Capacity and demand of every resource in every period."""
    e = np.asarray(edges, dtype=np.int64)
    cap = capacity(calendars, e, resource_calendar, max_units)
    return CapacityTable(edges=e, capacity=cap, demand=demand(calendars, e, w, cap.shape[0]))
