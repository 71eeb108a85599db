"""Working calendars and the calendar index (hand-checked dates)."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from pmo.engine.calendar import (
    Calendar,
    CalendarException,
    build_index,
    format_working_times,
    parse_working_times,
    public_holidays,
    to_minutes,
)
from pmo.errors import ValidationFailed

NEW_YEAR = CalendarException(date(2026, 1, 1), date(2026, 1, 1), name="New Year")
STD = Calendar.standard().with_exceptions([NEW_YEAR])


def test_working_times_round_trip() -> None:
    wt = parse_working_times("08:00-12:00, 13:00-17:00")
    assert wt == ((480, 720), (780, 1020))
    assert format_working_times(wt) == "08:00-12:00,13:00-17:00"
    assert parse_working_times("") == ()
    assert parse_working_times("22:00-24:00") == ((1320, 1440),)


@pytest.mark.parametrize("bad", ["8-12", "12:00-08:00", "08:00-12:00,11:00-13:00", "00:00-25:00"])
def test_bad_working_times_are_rejected(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_working_times(bad)


def test_calendar_needs_a_working_day() -> None:
    with pytest.raises(ValidationFailed):
        Calendar("none", week=((),) * 7)


def test_standard_week() -> None:
    assert STD.minutes_per_week == 2400
    assert STD.minutes_per_day == 480
    assert STD.is_working_day(date(2025, 12, 31))
    assert not STD.is_working_day(date(2026, 1, 1))  # holiday
    assert not STD.is_working_day(date(2026, 1, 3))  # Saturday


def test_add_working_minutes_skips_lunch_weekends_and_holidays() -> None:
    wed = datetime(2025, 12, 31, 8, 0)
    # one day from Wednesday 08:00: finishes Wednesday 17:00 (as a finish)
    assert STD.add_working_minutes(wed, 480) == datetime(2025, 12, 31, 17, 0)
    # ... which as a start is Friday 08:00: Thursday is New Year's Day
    assert STD.add_working_minutes(wed, 480, finish=False) == datetime(2026, 1, 2, 8, 0)
    # 5 h from Wednesday 10:00: 10-12 (2 h), 13-16 (3 h)
    assert STD.add_working_minutes(datetime(2025, 12, 31, 10), 300) == datetime(2025, 12, 31, 16)
    # 2 days from Friday 08:00 cross the weekend
    assert STD.add_working_minutes(datetime(2026, 1, 2, 8), 960) == datetime(2026, 1, 5, 17)
    # backwards: one day before Friday 17:00 is Friday 08:00 (start of that day's work)
    fri = datetime(2026, 1, 2, 17, 0)
    assert STD.add_working_minutes(fri, -480, finish=False) == datetime(2026, 1, 2, 8, 0)
    assert STD.add_working_minutes(fri, -960, finish=False) == datetime(2025, 12, 31, 8, 0)


def test_working_minutes_between() -> None:
    a = datetime(2025, 12, 29, 8)
    b = datetime(2026, 1, 5, 17)
    assert STD.working_minutes_between(a, b) == 5 * 480  # Mon..Mon less New Year's Day
    assert STD.working_minutes_between(b, a) == -5 * 480


def test_exception_with_other_hours() -> None:
    short = CalendarException(date(2026, 1, 2), date(2026, 1, 2), ((480, 720),), "half day")
    cal = STD.with_exceptions([short])
    assert cal.working_minutes_between(datetime(2026, 1, 2), datetime(2026, 1, 3)) == 240
    # later exceptions win on the days they share
    back = CalendarException(date(2026, 1, 2), date(2026, 1, 2), ((480, 1020),), "long day")
    assert (
        cal.with_exceptions([back]).working_minutes_between(
            datetime(2026, 1, 2), datetime(2026, 1, 3)
        )
        == 540
    )


def test_index_ordinals_and_moments_are_inverse() -> None:
    cal2 = Calendar.every_day()
    idx = build_index([STD, cal2, Calendar.continuous()], date(2025, 12, 28), date(2026, 1, 20))
    assert idx.total(2) == 24 * 60 * 24  # 24 days of 24 h, merged into one interval
    assert idx.offsets[3] - idx.offsets[2] == 1
    t = np.array([to_minutes(datetime(2025, 12, 31, 17)), to_minutes(datetime(2026, 1, 2, 8))])
    w = idx.ordinal(0, t)
    assert w[0] == w[1]  # Wednesday 17:00 and Friday 08:00 are the same working instant
    assert idx.moment(0, int(w[0]), finish=True) == t[0]
    assert idx.moment(0, int(w[0]), finish=False) == t[1]
    # the 7-day calendar works on New Year's Day and Saturday
    w2 = idx.ordinal(1, int(t[0]))
    sat = idx.moment(1, w2 + 480 * 2, finish=False)  # Thursday and Friday worked
    assert sat == to_minutes(datetime(2026, 1, 3, 8))
    with pytest.raises(ValueError):
        idx.moment(0, -1, finish=False)


def test_public_holidays_from_the_holidays_package() -> None:
    fr = public_holidays("FR", [2026])
    days = {e.start for e in fr}
    assert date(2026, 5, 1) in days and date(2026, 7, 14) in days and date(2026, 12, 25) in days
    cal = Calendar.standard().with_public_holidays("FR", [2026])
    assert not cal.is_working_day(date(2026, 7, 14))  # a Tuesday
    with pytest.raises(ValidationFailed):
        public_holidays("XX-NOWHERE", [2026])
