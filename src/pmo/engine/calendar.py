"""Working calendars and the calendar index the scheduler does its date arithmetic on.

Time is an integer number of minutes since 1970-01-01 00:00 (naive local time: a plan lives in
one wall-clock zone, as in Microsoft Project and Primavera P6, so there are no DST jumps).

A :class:`Calendar` says when work happens:

* a working week: for each weekday (Monday first) a tuple of working intervals in minutes from
  midnight, e.g. ``((480, 720), (780, 1020))`` for 08:00-12:00, 13:00-17:00;
* ``minutes_per_day``: how many minutes one "day" of duration is (Microsoft Project's
  *Hours per day*, default 8 h = 480 min). Durations in days are converted with it, not with
  the length of a particular day;
* exceptions: inclusive date ranges that are non-working (holidays) or have other working
  intervals; a later exception overrides an earlier one on the days they share. Public
  holidays are built from the ``holidays`` package by :func:`public_holidays` (pure data).

A :class:`CalendarIndex` lays a set of calendars out over a horizon of whole days as sorted
numpy arrays of working intervals with the cumulative working minutes before each interval.
Every moment then has a *working ordinal*: the number of working minutes of that calendar
between the start of the horizon and the moment. Adding N working minutes to a moment is
``ordinal -> + N -> moment``, two binary searches (``searchsorted``), never a day-by-day loop.

An ordinal does not name one moment but a class of moments with no working time between them:
ordinal 480 on a Mon-Fri 8 h calendar is both Monday 17:00 and Tuesday 08:00. As in Microsoft
Project, a *start* is shown at the first working moment of the class (Tuesday 08:00) and a
*finish* at the last (Monday 17:00), so a 1-day task starting Monday 08:00 finishes Monday
17:00 and its finish-to-start successor starts Tuesday 08:00, with zero lag in between.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import overload

import numpy as np
import numpy.typing as npt

from pmo.errors import ValidationFailed

EPOCH = datetime(1970, 1, 1)
MINUTES_PER_DAY = 1440
DEFAULT_MINUTES_PER_DAY = 480  # Microsoft Project's default "Hours per day" (8 h)

WorkingTimes = tuple[tuple[int, int], ...]
"""Working intervals of one day: ((start, end), ...) in minutes from midnight, sorted, disjoint;
``end`` may be 1440 (midnight at the end of the day)."""

STANDARD_DAY: WorkingTimes = ((8 * 60, 12 * 60), (13 * 60, 17 * 60))
FULL_DAY: WorkingTimes = ((0, MINUTES_PER_DAY),)
STANDARD_WEEK: tuple[WorkingTimes, ...] = (STANDARD_DAY,) * 5 + ((), ())

I64 = npt.NDArray[np.int64]


def to_minutes(moment: datetime | date) -> int:
    """Minutes since the epoch of a naive datetime (a date means its midnight)."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is not None:
        moment = moment.replace(tzinfo=None)  # a plan is in one wall-clock zone
    return (moment - EPOCH) // timedelta(minutes=1)


def from_minutes(minutes: int) -> datetime:
    return EPOCH + timedelta(minutes=int(minutes))


_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_working_times(text: str) -> WorkingTimes:
    """``"08:00-12:00,13:00-17:00"`` -> ``((480, 720), (780, 1020))``; ``""`` = non-working."""
    out: list[tuple[int, int]] = []
    for part in text.split(","):
        if not part.strip():
            continue
        m = _HHMM.match(part)
        if not m:
            raise ValidationFailed.field("working_times", f"not HH:MM-HH:MM: {part.strip()!r}")
        a = int(m[1]) * 60 + int(m[2])
        b = int(m[3]) * 60 + int(m[4])
        out.append((a, b))
    return _check_day(tuple(out), "working_times")


def format_working_times(times: WorkingTimes) -> str:
    return ",".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in times)


def _check_day(times: WorkingTimes, where: str) -> WorkingTimes:
    last = -1
    for a, b in times:
        if not (0 <= a < b <= MINUTES_PER_DAY) or a < last:
            raise ValidationFailed.field(
                where, f"working intervals must be sorted, disjoint, within 00:00-24:00: {times}"
            )
        last = b
    return tuple((int(a), int(b)) for a, b in times)


@dataclass(frozen=True)
class CalendarException:
    """Days ``start``..``finish`` (inclusive) with other working times (``()`` = non-working)."""

    start: date
    finish: date
    working_times: WorkingTimes = ()
    name: str = ""

    def __post_init__(self) -> None:
        if self.finish < self.start:
            raise ValidationFailed.field(
                "exceptions", f"{self.name or self.start}: ends before it starts"
            )
        _check_day(self.working_times, "exceptions")


@dataclass(frozen=True)
class Calendar:
    """A working calendar (project, task or resource calendar: the engine does not care which)."""

    id: str
    name: str = ""
    week: tuple[WorkingTimes, ...] = STANDARD_WEEK
    minutes_per_day: int = DEFAULT_MINUTES_PER_DAY
    exceptions: tuple[CalendarException, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValidationFailed.field(
                ("calendars", self.id, "week"), "needs 7 days, Monday first"
            )
        for day in self.week:
            _check_day(day, f"calendar {self.id}")
        if not any(self.week):
            # Without a working weekday the horizon needed for any duration is unbounded.
            raise ValidationFailed.field(("calendars", self.id, "week"), "has no working day")
        if self.minutes_per_day <= 0:
            raise ValidationFailed.field(("calendars", self.id, "minutes_per_day"), "must be > 0")

    @classmethod
    def standard(cls, id: str = "standard", name: str = "Standard") -> Calendar:
        """Microsoft Project's *Standard* calendar: Mon-Fri 08:00-12:00, 13:00-17:00, 8 h/day."""
        return cls(id=id, name=name)

    @classmethod
    def every_day(
        cls, id: str = "every-day", name: str = "Every day", times: WorkingTimes = STANDARD_DAY
    ) -> Calendar:
        """Seven working days a week with the standard hours (a "7-day week" calendar)."""
        return cls(id=id, name=name, week=(times,) * 7)

    @classmethod
    def continuous(cls, id: str = "continuous", name: str = "24 hours") -> Calendar:
        """Microsoft Project's *24 Hours* calendar; a day of duration is 24 h (elapsed time)."""
        return cls(id=id, name=name, week=(FULL_DAY,) * 7, minutes_per_day=MINUTES_PER_DAY)

    @property
    def minutes_per_week(self) -> int:
        return sum(b - a for day in self.week for a, b in day)

    def with_exceptions(self, exceptions: Iterable[CalendarException]) -> Calendar:
        return replace(self, exceptions=(*self.exceptions, *exceptions))

    def with_public_holidays(
        self, country: str, years: Iterable[int], subdivision: str | None = None
    ) -> Calendar:
        return self.with_exceptions(public_holidays(country, years, subdivision))

    # Convenience for callers with a few dates (tests, CLI); bulk work goes through an index.
    def index(self, first: date, last: date) -> CalendarIndex:
        return build_index([self], first, last)

    def add_working_minutes(
        self, moment: datetime, minutes: int, *, finish: bool = True
    ) -> datetime:
        """``moment`` + ``minutes`` of working time (negative goes back).

        ``finish`` picks how the result is shown when it falls on a non-working boundary: the
        end of the previous working period (a finish, default) or the start of the next one.
        """
        days = abs(minutes) // max(1, self.minutes_per_week) * 7 + 21
        t = to_minutes(moment)
        for _ in range(12):  # widen when exceptions (shutdowns) eat the first guess
            idx = build_index(
                [self], moment.date() - timedelta(days=days), moment.date() + timedelta(days=days)
            )
            try:
                return from_minutes(idx.moment(0, idx.ordinal(0, t) + minutes, finish=finish))
            except ValueError:
                days *= 4
        raise ValidationFailed.field(("calendars", self.id), "has no working time near that date")

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Working minutes from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        lo, hi = min(a, b), max(a, b)
        idx = build_index([self], lo.date() - timedelta(days=1), hi.date() + timedelta(days=1))
        w = int(idx.ordinal(0, to_minutes(b))) - int(idx.ordinal(0, to_minutes(a)))
        return w

    def is_working_day(self, day: date) -> bool:
        return build_index([self], day, day).total(0) > 0


def public_holidays(
    country: str, years: Iterable[int], subdivision: str | None = None
) -> tuple[CalendarException, ...]:
    """Non-working exceptions for the public holidays of ``country`` (ISO code) in ``years``."""
    import holidays  # pure data; imported here so calendars without holidays don't pay for it

    try:
        table = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    except NotImplementedError as exc:
        raise ValidationFailed.field(
            "country", f"no public holidays known for {country!r}"
        ) from exc
    return tuple(
        CalendarException(start=day, finish=day, name=str(name))
        for day, name in sorted(table.items())
    )


@dataclass(frozen=True, eq=False)
class CalendarIndex:
    """Working intervals of several calendars over ``[origin, end)`` as flat sorted arrays.

    Calendar ``c`` owns rows ``offsets[c]:offsets[c+1]`` of ``starts``/``ends`` (minutes since
    the epoch). ``cum[k]`` is the working time of that calendar before row ``k`` (from the
    origin), ``cum_end[k] = cum[k] + ends[k] - starts[k]``.
    """

    calendar_ids: tuple[str, ...]
    origin: int
    end: int
    offsets: I64
    starts: I64
    ends: I64
    cum: I64
    cum_end: I64

    def total(self, c: int) -> int:
        a, b = int(self.offsets[c]), int(self.offsets[c + 1])
        return int(self.cum_end[b - 1]) if b > a else 0

    @overload
    def ordinal(self, c: int, t: int) -> int: ...
    @overload
    def ordinal(self, c: int, t: I64) -> I64: ...
    def ordinal(self, c: int, t: int | I64) -> int | I64:
        """Working minutes of calendar ``c`` between the origin and moment(s) ``t``."""
        a, b = int(self.offsets[c]), int(self.offsets[c + 1])
        st, en, cu = self.starts[a:b], self.ends[a:b], self.cum[a:b]
        tt = np.asarray(t, dtype=np.int64)
        if b == a:
            out = np.zeros_like(tt)
        else:
            k = np.searchsorted(st, tt, side="right") - 1
            kk = np.maximum(k, 0)
            out = np.where(k < 0, 0, cu[kk] + np.minimum(tt - st[kk], en[kk] - st[kk]))
        return int(out) if np.ndim(t) == 0 else out

    @overload
    def moment(self, c: int, w: int, *, finish: bool) -> int: ...
    @overload
    def moment(self, c: int, w: I64, *, finish: bool) -> I64: ...
    def moment(self, c: int, w: int | I64, *, finish: bool) -> int | I64:
        """The moment(s) at working ordinal ``w``: last moment of the class if ``finish``, else
        the first (see the module docstring). Raises if ``w`` is outside the horizon."""
        a, b = int(self.offsets[c]), int(self.offsets[c + 1])
        cu, ce, st = self.cum[a:b], self.cum_end[a:b], self.starts[a:b]
        ww = np.asarray(w, dtype=np.int64)
        k = np.searchsorted(ce, ww, side="left" if finish else "right")
        if b == a or np.any(k >= b - a) or np.any(ww < 0):
            raise ValueError("working ordinal outside the calendar index horizon")
        out = st[k] + (ww - cu[k])
        return int(out) if np.ndim(w) == 0 else out


def _day_number(d: date) -> int:
    return (d - EPOCH.date()).days


def build_index(
    calendars: Sequence[Calendar], first: date | int, last: date | int
) -> CalendarIndex:
    """Lay ``calendars`` out over the days ``first``..``last`` inclusive (dates or day numbers).

    Vectorised: each day gets a pattern (its weekday, or the last exception covering it), the
    pattern table is gathered per day and adjacent intervals (e.g. 24 h days) are merged.
    """
    d0 = first if isinstance(first, int) else _day_number(first)
    d1 = last if isinstance(last, int) else _day_number(last)
    if d1 < d0:
        d1 = d0
    days = np.arange(d0, d1 + 1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3, Monday = 0)
    st_parts: list[I64] = []
    en_parts: list[I64] = []
    offsets = [0]
    for cal in calendars:
        patterns: list[WorkingTimes] = list(cal.week)
        pat = weekday.copy()
        for exc in cal.exceptions:
            a = max(_day_number(exc.start), d0) - d0
            b = min(_day_number(exc.finish), d1) - d0
            if a <= b:
                pat[a : b + 1] = len(patterns)
                patterns.append(exc.working_times)
        width = max(1, max(len(p) for p in patterns))
        table = np.zeros((len(patterns), width, 2), dtype=np.int64)
        counts = np.zeros(len(patterns), dtype=np.int64)
        for i, p in enumerate(patterns):
            counts[i] = len(p)
            if p:
                table[i, : len(p)] = p
        mask = np.arange(width)[None, :] < counts[pat][:, None]
        base = (days * MINUTES_PER_DAY)[:, None]
        st = (table[pat, :, 0] + base)[mask]
        en = (table[pat, :, 1] + base)[mask]
        if st.size:
            # merge touching intervals (midnight in 24 h calendars) to keep the arrays short
            keep = np.ones(st.size, dtype=bool)
            keep[1:] = st[1:] != en[:-1]
            group = np.cumsum(keep) - 1
            st = st[keep]
            en_m = np.empty(st.size, dtype=np.int64)
            en_m[group] = en  # last write per group wins: the group's end
            en = en_m
        st_parts.append(st)
        en_parts.append(en)
        offsets.append(offsets[-1] + st.size)
    starts = np.concatenate(st_parts) if st_parts else np.zeros(0, np.int64)
    ends = np.concatenate(en_parts) if en_parts else np.zeros(0, np.int64)
    lengths = ends - starts
    cum = np.zeros_like(starts)
    cum_end = np.zeros_like(starts)
    for c in range(len(calendars)):
        a, b = offsets[c], offsets[c + 1]
        cs = np.cumsum(lengths[a:b])
        cum_end[a:b] = cs
        cum[a:b] = cs - lengths[a:b]
    return CalendarIndex(
        calendar_ids=tuple(c.id for c in calendars),
        origin=d0 * MINUTES_PER_DAY,
        end=(d1 + 1) * MINUTES_PER_DAY,
        offsets=np.asarray(offsets, dtype=np.int64),
        starts=starts,
        ends=ends,
        cum=cum,
        cum_end=cum_end,
    )
