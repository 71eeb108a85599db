"""Every link type, lag kind and constraint type, hand-checked on a calendar.

Calendar: Mon-Fri 08:00-12:00, 13:00-17:00 (8 h/day), New Year's Day (Thu 2026-01-01) off.
Project start Mon 2025-12-29. Working days: d1 Mon 29, d2 Tue 30, d3 Wed 31, d4 Fri 2,
d5 Mon 5, d6 Tue 6, d7 Wed 7, d8 Thu 8, d9 Fri 9, d10 Mon 12, d11 Tue 13.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pmo.engine.calendar import Calendar, CalendarException
from pmo.engine.cpm import ScheduleResult, schedule
from pmo.engine.plan import (
    ConstraintType,
    LagCalendar,
    LagUnit,
    Link,
    LinkType,
    Plan,
    ScheduleOptions,
    Task,
)

D = 480  # minutes in a working day
START = datetime(2025, 12, 29)
CAL = Calendar.standard().with_exceptions(
    [CalendarException(date(2026, 1, 1), date(2026, 1, 1), name="New Year's Day")]
)


def dt(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026 if month == 1 else 2025, month, day, hour, minute)


def run(tasks: list[Task], links: list[Link], **opts: object) -> ScheduleResult:
    plan = Plan.from_records(tasks, links, [CAL, Calendar.every_day()], START)
    return schedule(plan, ScheduleOptions(**opts))  # type: ignore[arg-type]


def dates(r: ScheduleResult, tid: str) -> tuple[datetime, datetime]:
    t = r.task(tid)
    return t.early_start, t.early_finish


# ------------------------------------------------------------------------------ link types


def test_finish_to_start_crosses_the_holiday() -> None:
    r = run([Task("A", duration=3 * D), Task("B", duration=2 * D)], [Link("A", "B")])
    assert dates(r, "A") == (dt(29, 12, 8), dt(31, 12, 17))
    assert dates(r, "B") == (dt(2, 1, 8), dt(5, 1, 17))  # Thursday is a holiday
    assert r.project_finish == dt(5, 1, 17)
    assert r.project_duration == 5 * D
    assert r.critical.all() and r.longest_path.all()


@pytest.mark.parametrize(
    ("lag", "unit", "b_start", "b_finish"),
    [
        (D, LagUnit.WORKING, dt(5, 1, 8), dt(6, 1, 17)),  # +1d
        (-D, LagUnit.WORKING, dt(31, 12, 8), dt(2, 1, 17)),  # -1d (lead)
        (240, LagUnit.WORKING, dt(2, 1, 13), dt(6, 1, 12)),  # +4h: Fri 08-12 is the lag
        (2 * 1440, LagUnit.ELAPSED, dt(5, 1, 8), dt(6, 1, 17)),  # +2ed: to Fri 17:00
        (-50, LagUnit.PERCENT, dt(30, 12, 13), dt(2, 1, 12)),  # -50% of 3d = -12 h
    ],
)
def test_finish_to_start_lags(
    lag: float, unit: LagUnit, b_start: datetime, b_finish: datetime
) -> None:
    r = run(
        [Task("A", duration=3 * D), Task("B", duration=2 * D)],
        [Link("A", "B", LinkType.FS, lag, unit)],
    )
    assert dates(r, "B") == (b_start, b_finish)


def test_start_to_start() -> None:
    r = run(
        [Task("A", duration=3 * D), Task("B", duration=2 * D)], [Link("A", "B", LinkType.SS, D)]
    )
    assert dates(r, "B") == (dt(30, 12, 8), dt(31, 12, 17))
    # B finishes with A: both critical; A's free float is 0 (B would move with it)
    assert r.task("B").total_float == 0
    assert r.task("A").free_float == 0


def test_finish_to_finish() -> None:
    r = run(
        [Task("A", duration=3 * D), Task("B", duration=2 * D)], [Link("A", "B", LinkType.FF, D)]
    )
    assert dates(r, "B") == (dt(31, 12, 8), dt(2, 1, 17))


def test_finish_to_finish_never_starts_before_the_project() -> None:
    r = run([Task("A", duration=3 * D), Task("B", duration=5 * D)], [Link("A", "B", LinkType.FF)])
    assert dates(r, "B") == (dt(29, 12, 8), dt(5, 1, 17))
    # A must finish by B's late finish: 5 days of work later than it needs - 2 days of float
    assert r.task("A").total_float == 2 * D


def test_start_to_finish() -> None:
    r = run(
        [Task("A", duration=3 * D), Task("B", duration=1 * D)],
        [Link("A", "B", LinkType.SF, 3 * D)],
    )
    assert dates(r, "B") == (dt(31, 12, 8), dt(31, 12, 17))


def test_lag_on_the_successor_calendar_by_default() -> None:
    """A (Mon-Fri) -> B (7-day week) FS+1d: the lag counts B's Saturday (MS Project)."""
    tasks = [Task("A", duration=4 * D), Task("B", duration=D, calendar="every-day")]
    r = run(tasks, [Link("A", "B", lag=D)])
    assert dates(r, "A") == (dt(29, 12, 8), dt(2, 1, 17))
    assert dates(r, "B") == (dt(4, 1, 8), dt(4, 1, 17))  # Sat is the lag, Sun the work
    r0 = run(tasks, [Link("A", "B")])
    assert dates(r0, "B") == (dt(3, 1, 8), dt(3, 1, 17))  # Saturday
    # P6's default counts the lag on the predecessor's calendar: Monday is the lag
    r6 = run(tasks, [Link("A", "B", lag=D)], lag_calendar=LagCalendar.PREDECESSOR)
    assert dates(r6, "B") == (dt(6, 1, 8), dt(6, 1, 17))


def test_elapsed_duration() -> None:
    r = run([Task("A", duration=2 * 1440, elapsed=True), Task("B", duration=D)], [Link("A", "B")])
    assert dates(r, "A") == (dt(29, 12, 8), dt(31, 12, 8))
    assert dates(r, "B") == (dt(31, 12, 8), dt(31, 12, 17))


def test_milestone_sits_at_its_predecessor_finish() -> None:
    r = run([Task("A", duration=3 * D), Task("M", duration=0)], [Link("A", "M")])
    assert dates(r, "M") == (dt(31, 12, 17), dt(31, 12, 17))
    r2 = run([Task("M", duration=0)], [])
    assert dates(r2, "M") == (dt(29, 12, 8), dt(29, 12, 8))


# ------------------------------------------------------------------------------ constraints

X = Task("X", duration=10 * D)  # sets the project finish: end of d10, Mon 12 Jan 17:00


def ctask(kind: ConstraintType, when: datetime | None, duration: int = 2 * D) -> Task:
    return Task("T", duration=duration, constraint_type=kind, constraint_date=when)


def test_asap() -> None:
    r = run([X, ctask(ConstraintType.ASAP, None)], [])
    assert dates(r, "T") == (dt(29, 12, 8), dt(30, 12, 17))
    assert r.task("T").total_float == 8 * D
    assert r.task("T").free_float == 8 * D
    assert r.task("T").start == dt(29, 12, 8)


def test_alap_is_scheduled_late_its_early_dates_stay() -> None:
    r = run([X, ctask(ConstraintType.ALAP, None)], [])
    t = r.task("T")
    assert (t.early_start, t.early_finish) == (dt(29, 12, 8), dt(30, 12, 17))
    assert (t.start, t.finish) == (dt(9, 1, 8), dt(12, 1, 17))


def test_snet() -> None:
    r = run([X, ctask(ConstraintType.SNET, dt(2, 1, 0))], [])
    assert dates(r, "T") == (dt(2, 1, 8), dt(5, 1, 17))
    assert r.task("T").total_float == 5 * D
    # a date in non-working time moves to the next working moment
    r = run([X, ctask(ConstraintType.SNET, dt(1, 1, 10))], [])
    assert dates(r, "T") == (dt(2, 1, 8), dt(5, 1, 17))


def test_fnet() -> None:
    r = run([X, ctask(ConstraintType.FNET, dt(7, 1, 17))], [])
    assert dates(r, "T") == (dt(6, 1, 8), dt(7, 1, 17))


def test_mso_fixes_early_and_late_start() -> None:
    r = run([X, ctask(ConstraintType.MSO, dt(6, 1, 8))], [])
    t = r.task("T")
    assert (t.early_start, t.late_start) == (dt(6, 1, 8), dt(6, 1, 8))
    assert t.total_float == 0 and t.critical


def test_mfo_fixes_early_and_late_finish() -> None:
    r = run([X, ctask(ConstraintType.MFO, dt(9, 1, 17))], [])
    t = r.task("T")
    assert (t.early_start, t.early_finish, t.late_finish) == (
        dt(8, 1, 8),
        dt(9, 1, 17),
        dt(9, 1, 17),
    )
    assert t.total_float == 0


def test_mso_beats_links_and_shows_negative_float_upstream() -> None:
    r = run([Task("P", duration=5 * D), ctask(ConstraintType.MSO, dt(31, 12, 8))], [Link("P", "T")])
    assert dates(r, "T") == (dt(31, 12, 8), dt(2, 1, 17))
    assert r.task("P").total_float == -3 * D  # P should have finished by Tue 30 Dec


def test_snlt_honoured_like_ms_project() -> None:
    tasks = [Task("P", duration=5 * D), ctask(ConstraintType.SNLT, dt(31, 12, 8))]
    r = run(tasks, [Link("P", "T")])
    assert dates(r, "T") == (dt(31, 12, 8), dt(2, 1, 17))  # the constraint date wins
    assert r.task("T").total_float == 0
    assert r.task("P").total_float == -3 * D
    assert bool(r.negative_float[0])


def test_snlt_as_p6_bounds_only_the_backward_pass() -> None:
    tasks = [Task("P", duration=5 * D), ctask(ConstraintType.SNLT, dt(31, 12, 8))]
    r = run(tasks, [Link("P", "T")], honor_constraint_dates=False)
    assert dates(r, "T") == (dt(6, 1, 8), dt(7, 1, 17))  # the link wins
    assert r.task("T").late_start == dt(31, 12, 8)
    assert r.task("T").total_float == -3 * D
    assert r.task("P").total_float == -3 * D


def test_fnlt() -> None:
    tasks = [Task("P", duration=5 * D), ctask(ConstraintType.FNLT, dt(2, 1, 17))]
    r = run(tasks, [Link("P", "T")])
    assert dates(r, "T") == (dt(31, 12, 8), dt(2, 1, 17))
    assert r.task("P").total_float == -3 * D
    # without a clash the FNLT only bounds the late finish
    r = run([X, ctask(ConstraintType.FNLT, dt(5, 1, 17))], [])
    assert dates(r, "T") == (dt(29, 12, 8), dt(30, 12, 17))
    assert r.task("T").late_finish == dt(5, 1, 17)
    assert r.task("T").total_float == 3 * D


def test_deadline_moves_late_dates_not_early_dates() -> None:
    r = run([X, Task("T", duration=2 * D, deadline=dt(31, 12, 17))], [])
    t = r.task("T")
    assert (t.early_start, t.early_finish) == (dt(29, 12, 8), dt(30, 12, 17))
    assert t.late_finish == dt(31, 12, 17)
    assert t.total_float == D
    r = run([X, Task("T", duration=2 * D, deadline=dt(29, 12, 17))], [])
    assert r.task("T").total_float == -D  # missed deadline: negative float, not an error
    assert r.task("T").early_finish == dt(30, 12, 17)


# ------------------------------------------------------------------------------ progress

STATUS = datetime(2025, 12, 31, 8)  # start of d3


def progress_plan(mode: str) -> ScheduleResult:
    tasks = [
        Task("A", duration=4 * D, actual_start=dt(29, 12, 8), percent_complete=25),
        Task("B", duration=2 * D),
        Task("C", duration=2 * D),
        Task("D", duration=2 * D, actual_start=dt(29, 12, 8), actual_finish=dt(30, 12, 17)),
        Task("F", duration=2 * D),
        Task("E", duration=3 * D, actual_start=dt(29, 12, 8), remaining=2 * D),
    ]
    links = [Link("A", "B"), Link("F", "E"), Link("D", "C")]
    plan = Plan.from_records(tasks, links, [CAL], START, status_date=STATUS)
    return schedule(plan, ScheduleOptions(progress_mode=mode))  # type: ignore[arg-type]


def test_progress_retained_logic() -> None:
    r = progress_plan("retained_logic")
    # A: 1 day done, 3 left from the status date (split in-progress task)
    assert dates(r, "A") == (dt(29, 12, 8), dt(5, 1, 17))
    assert dates(r, "B") == (dt(6, 1, 8), dt(7, 1, 17))
    # C: not started, scheduled from the status date (P6's data date)
    assert dates(r, "C") == (dt(31, 12, 8), dt(2, 1, 17))
    # D: completed, keeps its actual dates and has no float
    d = r.task("D")
    assert (d.early_start, d.early_finish, d.late_start, d.late_finish) == (
        dt(29, 12, 8), dt(30, 12, 17), dt(29, 12, 8), dt(30, 12, 17),
    )  # fmt: skip
    assert d.total_float == 0
    # E waits for F (not started: d3-d4) before resuming its remaining 2 days
    assert dates(r, "F") == (dt(31, 12, 8), dt(2, 1, 17))
    assert dates(r, "E") == (dt(29, 12, 8), dt(6, 1, 17))


def test_progress_override() -> None:
    r = progress_plan("progress_override")
    # E ignores its predecessor: remaining work from the status date
    assert dates(r, "E") == (dt(29, 12, 8), dt(2, 1, 17))
    assert dates(r, "A") == (dt(29, 12, 8), dt(5, 1, 17))
