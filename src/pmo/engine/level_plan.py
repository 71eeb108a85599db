"""Levelling a dated plan: calendar dates in, working-day periods for the engine, moves out.

:func:`pmo.engine.level.level` works in integer periods. This module is the bridge between a
plan scheduled on calendars (the database's projects, or an MSPDI/XER/pmo JSON file) and that
engine, shared by the levelling service (:mod:`pmo.resources.levelling`) and ``pmo level
FILE`` (:mod:`pmo.interop.levelling`), so both level the same way:

1. **Periods** are the working days of the period calendar (the project calendar), or equal
   parts of them (``slots_per_day``: both callers let :func:`build_level_input` choose halves,
   quarters, hours... when the plan's tasks start or finish within days). Each work task's
   unlevelled start becomes its release, the periods its dates touch its duration (a
   milestone or a zero-duration task none); links (summary tasks' links carried down to
   their work tasks, lags converted to periods: a percent lag on the predecessor's duration,
   an elapsed lag in 24-hour days) become the engine's generalised precedence, with the lag
   reduced where the link would ask more periods than the unlevelled schedule has between the
   two starts (rounding to periods must not move a task by itself); started, finished and
   "must start/finish on" tasks are fixed where they are (the caller says which:
   :attr:`LevelTask.fixed`); deadlines are soft deadlines (due by the end of their day);
   priorities break ties.
2. **Resources**: each assignment demands its units (in hundredths, ``UNIT_SCALE``) of its
   resource; the capacity of a resource is its max units, reduced on the days its own
   calendar has less working time than it usually has on that weekday (public holidays of
   another country, personal leave, part-time days): the capacity profile. A demand above
   the max units is levelled at the max units, with a warning (the task could never start).
   ``held`` tasks (other projects' work on the same resources) hold capacity where they are.
3. **The result**: :func:`levelled_days` (where each task that waited for a resource may
   start: the beginning of its new period), :func:`first_moments` (the first working moment
   of the task's calendar from then: the levelled start the scheduler holds the task back to,
   see :func:`levelled_constraint` and :func:`hold_back`), :func:`explain_moves` (every moved
   task with the resource, the day and the competing tasks that moved it, in days and dates)
   and :func:`peak_overallocation` (the worst over-use before and after).

Pure computation: no I/O, no database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from pmo.engine import capacity as cap_engine
from pmo.engine.calendar import Calendar, build_index, from_minutes, to_minutes
from pmo.engine.level import FF, FS, SF, SS, LevelProblem, LevelResult, TaskMove
from pmo.engine.plan import ConstraintType, LagUnit, LinkType, Plan
from pmo.errors import ValidationFailed

__all__ = [
    "UNIT_SCALE",
    "LevelAssignment",
    "LevelInput",
    "LevelLink",
    "LevelResource",
    "LevelTask",
    "Move",
    "Overallocation",
    "build_level_input",
    "explain_moves",
    "first_moments",
    "hold_back",
    "levelled_constraint",
    "levelled_days",
    "peak_overallocation",
    "reason",
]

#: units are levelled in hundredths (0.5 = 50)
UNIT_SCALE = 100
#: the capacity profile covers at most this many working days
MAX_PROFILE_DAYS = 3000
_LINK_CODES = {LinkType.FS: FS, LinkType.SS: SS, LinkType.FF: FF, LinkType.SF: SF}

#: a task, resource or assignment key: a database primary key or a file's id
Key = int | str


@dataclass(frozen=True)
class LevelTask:
    """A task of the plan as levelling sees it.

    ``start``/``finish``: its unlevelled schedule (None: not scheduled, left out); ``duration``
    in working minutes (percent lags are a share of it; 0 = zero-duration task); ``fixed``:
    started, finished or "must start/finish on" (it holds capacity where it is).
    """

    id: Key
    name: str
    start: dt.datetime | None = None
    finish: dt.datetime | None = None
    parent: Key | None = None
    duration: int = 0
    milestone: bool = False
    fixed: bool = False
    priority: int = 0
    deadline: dt.datetime | None = None


@dataclass(frozen=True)
class LevelLink:
    """A link; ``lag`` in minutes (working or elapsed) or percent (``LagUnit.PERCENT``)."""

    predecessor: Key
    successor: Key
    type: LinkType = LinkType.FS
    lag: float = 0.0
    lag_unit: LagUnit = LagUnit.WORKING


@dataclass(frozen=True)
class LevelResource:
    """A resource with its max units (1 = 100 %) and its own calendar (None: standard)."""

    id: Key
    name: str
    max_units: float | Decimal = 1.0
    calendar: Calendar | None = None


@dataclass(frozen=True)
class LevelAssignment:
    task: Key
    resource: Key
    units: float | Decimal = 1.0


class _Days:
    """Working days of the period calendar as a sorted array of day numbers."""

    def __init__(self, calendar: Calendar, first: dt.date, last: dt.date) -> None:
        self.calendar = calendar
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


@dataclass
class LevelInput:
    """The engine's problem for a plan, and how its rows and periods map back.

    Rows ``0..n_scope-1`` are the plan's work tasks, the rest the ``held`` tasks;
    ``day(p)`` is the working day of period ``p``.
    """

    problem: LevelProblem
    task_ids: list[Key]
    n_scope: int
    free_rows: list[int]
    resource_ids: list[Key]
    days: _Days
    origin_index: int
    warnings: list[str]
    #: periods per working day (1: a period is a day)
    slots_per_day: int = 1

    def day(self, period: int) -> dt.date:
        i = self.origin_index + int(period) // self.slots_per_day
        while i >= len(self.days.days):
            self.days.extend_to(self.days.days[-1] + dt.timedelta(days=366))
        return self.days.days[max(i, 0)]

    def moment(self, period: int) -> dt.datetime:
        """Where period ``period`` begins: midnight of its day for the day's first period,
        else the working moment of the period calendar that far into the day."""
        day = self.day(period)
        part = int(period) % self.slots_per_day
        midnight = dt.datetime.combine(day, dt.time())
        if part == 0:
            return midnight
        cal = self.days.calendar
        idx = build_index([cal], day, day + dt.timedelta(days=1))
        at = idx.ordinal(0, to_minutes(midnight)) + part * cal.minutes_per_day // self.slots_per_day
        return from_minutes(int(idx.moment(0, at, finish=False)))

    def period(self, moment: dt.datetime) -> int:
        """The period a task starting at ``moment`` starts in."""
        self.days.extend_to(moment.date())
        k = self.slots_per_day
        p = (self.days.index(moment.date()) - self.origin_index) * k
        if k > 1:
            slot = self.days.calendar.minutes_per_day // k
            p += min(k - 1, int(_worked_before(self.days.calendar, [moment])[0]) // slot)
        return p

    def in_days(self, periods: int) -> int | float:
        """Periods as working days (whole when they are)."""
        k = self.slots_per_day
        return periods // k if periods % k == 0 else round(periods / k, 2)

    def resource_name(self, column: int) -> str:
        names = self.problem.resource_names
        return names[column] if names else str(self.resource_ids[column])


def _last_day(finish: dt.datetime) -> dt.date:
    """The day a finish belongs to (a finish at midnight ends the day before)."""
    return (
        (finish - dt.timedelta(minutes=1)).date() if finish.time() == dt.time() else finish.date()
    )


def _leaf_tasks(tasks: Sequence[LevelTask]) -> tuple[set[Key], dict[Key, list[Key]]]:
    """The work tasks (no children) and, for each summary task, its work tasks."""
    children: dict[Key, list[Key]] = defaultdict(list)
    for t in tasks:
        if t.parent is not None:
            children[t.parent].append(t.id)
    leaves = {t.id for t in tasks if t.id not in children}
    under: dict[Key, list[Key]] = {}
    for pk in children:
        out: list[Key] = []
        stack = [pk]
        while stack:
            node = stack.pop()
            for c in children.get(node, []):
                if c in leaves:
                    out.append(c)
                else:
                    stack.append(c)
        under[pk] = out
    return leaves, under


def build_level_input(
    tasks: Sequence[LevelTask],
    links: Sequence[LevelLink],
    resources: Sequence[LevelResource],
    assignments: Sequence[LevelAssignment],
    period_calendar: Calendar,
    *,
    held: Sequence[LevelTask] = (),
    slots_per_day: int | None = 1,
) -> LevelInput:
    """The levelling problem of a scheduled plan (see the module docstring).

    ``tasks`` in plan order (summary tasks included: their links are carried down);
    ``resources`` in the order the problem's columns take (only those assigned are kept);
    ``held``: tasks outside the plan, fixed at their dates, holding their assignments'
    capacity. ``slots_per_day``: periods per working day (1: days); None chooses the
    coarsest split of the day that still separates the plan's start and finish times
    (:func:`_slots_per_day`). Raises ``ValidationFailed`` when no task is scheduled or every
    task is fixed.
    """
    leaves, under = _leaf_tasks(tasks)
    work = [t for t in tasks if t.id in leaves and t.start is not None and t.finish is not None]
    warnings: list[str] = []
    if not work:
        raise ValidationFailed.field("project", "there is no scheduled work task to level")
    free_tasks = [t for t in work if not t.fixed]
    if not free_tasks:
        raise ValidationFailed.field(
            "project", "every task has started or is fixed: nothing to level"
        )
    starts_at = [_naive(t.start) for t in work] + [_naive(h.start) for h in held]
    finishes_at = [_naive(t.finish) for t in work] + [_naive(h.finish) for h in held]
    first = min(s.date() for s in starts_at[: len(work)])
    last = max(_last_day(f) for f in finishes_at[: len(work)])
    mpd = period_calendar.minutes_per_day
    total = sum(max(1, -(-t.duration // mpd)) for t in free_tasks)
    days = _Days(period_calendar, first - dt.timedelta(days=7), last + dt.timedelta(days=30))
    origin_index = days.index(min(_naive(t.start).date() for t in free_tasks))

    # periods of each row
    rows = [*work, *held]
    n_scope, n = len(work), len(work) + len(held)
    days.extend_to(max(_last_day(f) for f in finishes_at) + dt.timedelta(days=30))
    horizon_days = int(total * 1.6) + 60
    days.extend_to(
        days.days[min(origin_index, len(days.days) - 1)] + dt.timedelta(days=horizon_days)
    )
    start_p = np.array([days.index(s.date()) - origin_index for s in starts_at], dtype=np.int64)
    end_p = np.array([days.index(_last_day(f)) - origin_index for f in finishes_at], dtype=np.int64)
    worked_s = _worked_before(period_calendar, starts_at)
    worked_f = _worked_before(period_calendar, finishes_at)
    spd = slots_per_day or _slots_per_day(
        mpd, [*worked_s[: len(work)], *worked_f[: len(work)]], total
    )
    if spd < 1 or mpd % spd:
        raise ValidationFailed.field("slots_per_day", f"must divide {mpd} minutes")
    if spd > 1:
        # slot of the first working minute of each start, and of the last one of each finish
        # (a finish at the start of a day's work, or on a day off, ends the day before)
        slot = mpd // spd
        start_p = start_p * spd + np.minimum(spd - 1, worked_s // slot)
        day_f = np.array([days.index(f.date()) - origin_index for f in finishes_at], np.int64)
        end_p = np.where(
            worked_f > 0,
            day_f * spd + np.minimum(spd - 1, (worked_f - 1) // slot),
            day_f * spd - 1,
        ).astype(np.int64)
    zero = np.array([t.milestone or t.duration == 0 for t in work] + [False] * len(held))
    durations = np.where(zero, 0, np.maximum(end_p - start_p + 1, 1)).astype(np.int64)
    fixed = np.array([t.fixed for t in work] + [True] * len(held), dtype=np.bool_)
    release = np.where(fixed, 0, np.maximum(start_p, 0)).astype(np.int64)
    fixed_start = np.where(fixed, start_p, 0).astype(np.int64)
    prio = np.array([t.priority for t in work] + [0] * len(held), dtype=np.int64)
    deadline = np.full(n, -1, dtype=np.int64)
    for i, t in enumerate(work):
        if t.deadline is not None and not fixed[i]:
            deadline[i] = max(0, (days.index(_naive(t.deadline).date()) - origin_index + 1) * spd)

    # resources and their capacity
    row_of = {t.id: i for i, t in enumerate(rows)}
    used = [a for a in assignments if a.task in row_of]
    assigned = {a.resource for a in used}
    by_id = {r.id: r for r in resources}
    res_list = [r for r in resources if r.id in assigned]
    unknown = assigned - set(by_id)
    if unknown:
        raise ValidationFailed.field(
            "assignments", f"unknown resource(s): {', '.join(sorted(map(str, unknown)))}"
        )
    col = {r.id: k for k, r in enumerate(res_list)}
    base = np.array(
        [round(float(r.max_units) * UNIT_SCALE) for r in res_list], dtype=np.int64
    ).reshape(-1)
    demands = np.zeros((n, len(res_list)), dtype=np.int64)
    for a in used:
        i, k = row_of[a.task], col[a.resource]
        want = round(float(a.units) * UNIT_SCALE)
        if want > base[k] and not fixed[i]:
            r = by_id[a.resource]
            warnings.append(
                f"{rows[i].name} asks {a.units} of {r.name}, who has "
                f"{r.max_units}: levelled at {r.max_units}"
            )
            want = int(base[k])
        demands[i, k] += want
    demands = np.where(fixed[:, None], demands, np.minimum(demands, base[None, :]))
    profile = np.repeat(_capacity_profile(res_list, base, days.days[origin_index:]), spd, axis=1)

    # links, with summary tasks' links carried down to their work tasks
    pairs: dict[tuple[int, int], tuple[int, int]] = {}
    duration_of = {t.id: t.duration for t in tasks}
    for lk in links:
        if lk.lag_unit == LagUnit.PERCENT:
            lag_p = round(lk.lag * duration_of.get(lk.predecessor, 0) / 100 / mpd * spd)
        elif lk.lag_unit == LagUnit.ELAPSED:
            lag_p = round(lk.lag / 1440 * spd)
        else:
            lag_p = round(lk.lag / mpd * spd)
        pred, succ = lk.predecessor, lk.successor
        for a_id in [pred] if pred in leaves else under.get(pred, []):
            for b_id in [succ] if succ in leaves else under.get(succ, []):
                if a_id == b_id or a_id not in row_of or b_id not in row_of:
                    continue
                if row_of[a_id] >= n_scope or row_of[b_id] >= n_scope:
                    continue
                ra, rb = row_of[a_id], row_of[b_id]
                code = _LINK_CODES[LinkType(lk.type)]
                # Days are coarser than the schedule: a task from 13:00 to 12:00 the next day
                # spans two periods for one day of work, so a chain of such tasks would drift
                # later and later in periods. Where the link asks more periods than the
                # unlevelled schedule has between the two starts, the lag gives the difference
                # back: the unlevelled schedule stays feasible and nothing moves unless a
                # resource makes it.
                gap = int(start_p[rb] - start_p[ra]) - _distance(code, durations, ra, rb, lag_p)
                pairs[(ra, rb)] = (code, lag_p + min(0, gap))
    problem = LevelProblem(
        durations=durations,
        demands=demands,
        capacity=base,
        links=np.array(list(pairs), dtype=np.int64).reshape(-1, 2),
        link_types=np.array([v[0] for v in pairs.values()], dtype=np.int64),
        lags=np.array([v[1] for v in pairs.values()], dtype=np.int64),
        release=release,
        fixed=fixed,
        fixed_start=fixed_start,
        deadline=deadline,
        priority=prio,
        capacity_profile=profile,
        names=tuple(t.name for t in rows),
        resource_names=tuple(r.name for r in res_list),
    )
    return LevelInput(
        problem=problem,
        task_ids=[t.id for t in rows],
        n_scope=n_scope,
        free_rows=[i for i in range(n_scope) if not fixed[i]],
        resource_ids=[r.id for r in res_list],
        days=days,
        origin_index=origin_index,
        warnings=warnings,
        slots_per_day=spd,
    )


#: the finest split of a working day :func:`build_level_input` chooses by itself
MAX_SLOTS_PER_DAY = 16
#: and the most periods (slots x working days of work to level) it lets that split make
MAX_SLOTS = 40_000


def _worked_before(calendar: Calendar, moments: Sequence[dt.datetime]) -> np.ndarray:
    """Working minutes of ``calendar`` on each moment's day before the moment."""
    if not moments:
        return np.zeros(0, np.int64)
    t = np.array([to_minutes(m) for m in moments], dtype=np.int64)
    midnight = t - t % 1440
    idx = build_index([calendar], int(midnight.min()) // 1440, int(midnight.max()) // 1440 + 1)
    return (idx.ordinal(0, t) - idx.ordinal(0, midnight)).astype(np.int64)


def _slots_per_day(minutes_per_day: int, worked: Sequence[int], days_of_work: int) -> int:
    """Periods per day that put every start and finish on a period boundary: the day split
    at the greatest common divisor of the times of day (in working minutes) the plan uses,
    e.g. 2 for tasks that start or end at noon on an 8-hour day, 8 for whole hours. Capped at
    ``MAX_SLOTS_PER_DAY`` and so that the plan's work stays within ``MAX_SLOTS`` periods (a
    finer split only rounds)."""
    g = minutes_per_day
    for w in worked:
        g = math.gcd(g, int(w) % minutes_per_day)
    k = minutes_per_day // max(g, 1)
    cap = max(1, min(MAX_SLOTS_PER_DAY, MAX_SLOTS // max(days_of_work, 1)))
    return max(d for d in range(1, min(k, cap) + 1) if minutes_per_day % d == 0)


def _distance(code: int, durations: np.ndarray, a: int, b: int, lag: int) -> int:
    """The least start-to-start distance a link of type ``code`` asks (as the engine has it)."""
    if code == FS:
        return int(durations[a]) + lag
    if code == SS:
        return lag
    if code == FF:
        return int(durations[a]) - int(durations[b]) + lag
    return lag - int(durations[b])


def _naive(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _capacity_profile(
    resources: Sequence[LevelResource], base: np.ndarray, days: Sequence[dt.date]
) -> np.ndarray:
    """(R, H) capacity per period day: on each day, the share of its usual working time (for
    that weekday) the resource's own calendar gives: public holidays, leave and other hours
    are exceptions of that calendar. A weekday the resource never works (a Mon-Fri person on a
    Mon-Sat site) does not block a task: the plan put the task on that calendar."""
    profile_days = list(days[:MAX_PROFILE_DAYS])
    profile = np.repeat(base[:, None], len(profile_days), axis=1).astype(np.int64)
    if not resources or not profile_days:
        return profile
    cals: list[Calendar] = []
    cal_row: dict[Calendar | None, int] = {}
    res_row = []
    for r in resources:
        if r.calendar not in cal_row:
            cal_row[r.calendar] = len(cals)
            cals.append(r.calendar or Calendar.standard("resource-standard"))
        res_row.append(cal_row[r.calendar])
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
    return np.floor(base[:, None] * frac + 1e-9).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# the result in dates
# ---------------------------------------------------------------------------------------------


def levelled_days(
    built: LevelInput, result: LevelResult, *, every_move: bool = False
) -> dict[Key, dt.datetime]:
    """Where each plan task that waited for a resource may start again: the beginning of its
    new period (midnight of its new day when periods are days; :meth:`LevelInput.moment`).
    The other moved tasks follow their predecessors; with ``every_move`` they are held back
    too, so a rescheduling at minute precision cannot start them earlier in a period the
    levelling gave to another task (plans whose tasks start and finish within days), except
    zero-duration tasks: they hold no resource, and a milestone stays at its predecessor's
    finish (Friday 17:00, not the next period's Monday 08:00)."""
    durations = built.problem.durations
    return {
        built.task_ids[m.task]: built.moment(int(result.starts[m.task]))
        for m in result.moves
        if m.task < built.n_scope
        and (m.resource_delay > 0 or (every_move and durations[m.task] > 0))
    }


def first_moments(
    days: Mapping[Key, dt.date | dt.datetime], calendars: Mapping[Key, Calendar]
) -> dict[Key, dt.datetime]:
    """For each task, the first working moment of its calendar at or after the moment given
    (a day: its midnight)."""
    out: dict[Key, dt.datetime] = {}
    if not days:
        return out
    groups: dict[str, list[Key]] = defaultdict(list)
    by_id: dict[str, Calendar] = {}
    for pk in days:
        cal = calendars[pk]
        groups[cal.id].append(pk)
        by_id[cal.id] = cal
    dates = [d.date() if isinstance(d, dt.datetime) else d for d in days.values()]
    lo = min(dates)
    hi = max(dates) + dt.timedelta(days=400)
    for cal_id, pks in groups.items():
        idx = build_index([by_id[cal_id]], lo, hi)
        t = np.array([to_minutes(days[pk]) for pk in pks], dtype=np.int64)
        moments = idx.moment(0, idx.ordinal(0, t), finish=False)
        for pk, m in zip(pks, np.atleast_1d(moments).tolist(), strict=True):
            out[pk] = from_minutes(int(m))
    return out


def levelled_constraint(
    constraint: ConstraintType, date: dt.datetime | None, levelled: dt.datetime | None
) -> tuple[ConstraintType, dt.datetime | None]:
    """The constraint a task is scheduled with once levelled: an accepted levelling holds it
    back, i.e. "start no earlier than" its levelled start, unless it has another constraint
    (a later "start no earlier than" or any other type wins: the user's date constraints are
    never loosened by levelling)."""
    if levelled is None:
        return constraint, date
    if constraint == ConstraintType.ASAP or (
        constraint == ConstraintType.SNET and date is not None and date < levelled
    ):
        return ConstraintType.SNET, levelled
    return constraint, date


@dataclass(frozen=True)
class Move:
    """A task the levelling moves, in days (working days of the period calendar).

    ``resource``: the resource whose over-allocation moved it (None when only moved
    predecessors did); ``blocked_on``: the day it could not run one day earlier;
    ``competing``/``predecessors``: (id, name) of the tasks holding the resource then, and of
    the binding predecessors that moved.
    """

    task: Key
    name: str
    delay_days: int | float
    precedence_delay_days: int | float
    resource_delay_days: int | float
    resource: Key | None
    resource_name: str | None
    blocked_on: dt.date | None
    competing: tuple[tuple[Key, str], ...]
    predecessors: tuple[tuple[Key, str], ...]
    reason: str


def reason(move: TaskMove, built: LevelInput) -> str:
    """``TaskMove.describe`` in working days, the blocking period shown as its date."""
    problem = built.problem
    name = problem.task_name
    days = built.in_days
    parts = [f"{name(move.task)} moved {days(move.delay)} working day(s)"]
    if move.precedence_delay:
        preds = ", ".join(name(p) for p in move.predecessors)
        parts.append(f"{days(move.precedence_delay)} after moved predecessor(s) {preds}")
    if move.resource_delay:
        if move.resource is None:
            parts.append(f"{days(move.resource_delay)} by the levelling choice")
        else:
            holders = ", ".join(name(h) for h in move.holders) or "reduced capacity"
            when = f"on {built.day(move.period).isoformat()}" if move.period is not None else ""
            parts.append(
                f"{days(move.resource_delay)} waiting for {built.resource_name(move.resource)}, "
                f"held {when} by {holders}"
            )
    return "; ".join(parts)


def explain_moves(
    built: LevelInput,
    result: LevelResult,
    unlevelled_start: Mapping[Key, dt.datetime],
    proposed_start: Mapping[Key, dt.datetime],
) -> list[Move]:
    """The plan's moved tasks, earliest new start first. A task whose delay is only a
    rounding of days (no resource delay, same start in the proposed schedule) is left out."""
    problem = built.problem

    def ref(row: int) -> tuple[Key, str]:
        return built.task_ids[row], problem.task_name(row)

    out: list[Move] = []
    for m in sorted(result.moves, key=lambda m: (int(result.starts[m.task]), m.task)):
        if m.task >= built.n_scope:
            continue
        key = built.task_ids[m.task]
        if m.resource_delay <= 0 and proposed_start.get(key) == unlevelled_start.get(key):
            continue  # a rounding of days only: the task does not move
        blocked = built.day(m.period) if m.period is not None else None
        out.append(
            Move(
                task=key,
                name=problem.task_name(m.task),
                delay_days=built.in_days(m.delay),
                precedence_delay_days=built.in_days(m.precedence_delay),
                resource_delay_days=built.in_days(m.resource_delay),
                resource=built.resource_ids[m.resource] if m.resource is not None else None,
                resource_name=built.resource_name(m.resource) if m.resource is not None else None,
                blocked_on=blocked,
                competing=tuple(ref(h) for h in m.holders),
                predecessors=tuple(ref(p) for p in m.predecessors),
                reason=reason(m, built),
            )
        )
    return out


@dataclass(frozen=True)
class Overallocation:
    """The worst over-use of a resource on one day: ``used`` units against ``available``."""

    resource: Key
    resource_name: str
    day: dt.date
    used: float
    available: float

    @property
    def excess(self) -> float:
        return round(self.used - self.available, 2)


def peak_overallocation(built: LevelInput, starts: Sequence[int]) -> Overallocation | None:
    """The largest excess of use over capacity (units) of any resource on any day when the
    plan's tasks start in ``starts`` (periods); None when no resource is over-allocated.
    Ties go to the earliest day. Days overloaded by fixed tasks alone count too: the user
    sees them as over-allocations whoever caused them."""
    p = built.problem
    dur = np.asarray(p.durations, dtype=np.int64)
    dem = np.asarray(p.demands, dtype=np.int64).reshape(len(dur), -1)
    s = np.asarray(starts, dtype=np.int64)
    if dem.shape[1] == 0 or len(s) == 0:
        return None
    lo = min(0, int(s.min()))
    hi = int((s + dur).max())
    use = np.zeros((hi - lo + 1, dem.shape[1]), dtype=np.int64)
    for j in np.flatnonzero(dur > 0).tolist():
        use[s[j] - lo : s[j] + dur[j] - lo] += dem[j]
    cap = np.tile(np.asarray(p.capacity, dtype=np.int64), (use.shape[0], 1))
    prof = np.asarray(p.capacity_profile) if p.capacity_profile is not None else None
    if prof is not None and prof.size:
        h = min(prof.shape[1], hi + 1)
        cap[-lo : -lo + h] = prof[:, :h].T
    excess = use - cap
    worst = int(excess.max())
    if worst <= 0:
        return None
    period, col = (int(v) for v in np.argwhere(excess == worst)[0])
    return Overallocation(
        resource=built.resource_ids[col],
        resource_name=built.resource_name(col),
        day=built.day(period + lo),
        used=int(use[period, col]) / UNIT_SCALE,
        available=int(cap[period, col]) / UNIT_SCALE,
    )


def hold_back(plan: Plan, levelled: Mapping[str, dt.datetime]) -> Plan:
    """``plan`` with each task in ``levelled`` held back to its levelled start
    (:func:`levelled_constraint`); the scheduler then gives the levelled dates."""
    if not levelled:
        return plan
    tasks = plan.tasks
    row = {str(t): i for i, t in enumerate(tasks.id.tolist())}
    ctype = tasks.column("constraint_type").astype(np.int8, copy=True)
    cdate = tasks.column("constraint_date").astype("M8[m]", copy=True)
    for task_id, moment in levelled.items():
        i = row.get(str(task_id))
        if i is None:
            raise ValidationFailed.field(("levelled_start", str(task_id)), "unknown task")
        date = None if np.isnat(cdate[i]) else from_minutes(int(cdate[i].astype(np.int64)))
        kind, when = levelled_constraint(ConstraintType(int(ctype[i])), date, moment)
        ctype[i] = int(kind)
        cdate[i] = np.datetime64("NaT", "m") if when is None else np.datetime64(when, "m")
    return dataclasses.replace(
        plan, tasks=dataclasses.replace(tasks, constraint_type=ctype, constraint_date=cdate)
    )
