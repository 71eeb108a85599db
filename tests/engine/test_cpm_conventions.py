"""The rules MS Project and Primavera P6 settle differently, one test per rule, hand-checked.

Calendars: STD = Mon-Fri 08:00-12:00, 13:00-17:00 (MS Project's Standard); DAY8 = Mon-Fri
08:00-16:00; SEVEN = every day 08:00-16:00 (P6's "8h x 7d"); EVENING = Mon-Fri 17:00-21:00.
Week of Monday 2026-01-05; Friday is the 9th, Saturday the 10th, Monday the 12th.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from pmo.engine.calendar import Calendar
from pmo.engine.cpm import ScheduleResult, schedule
from pmo.engine.plan import (
    CONVENTION_RULES,
    ConstraintType,
    Convention,
    Link,
    LinkType,
    Plan,
    ScheduleOptions,
    Task,
)

D = 480
STD = Calendar.standard("std")
DAY8 = Calendar("day8", week=(((480, 960),),) * 5 + ((), ()))
SEVEN = Calendar.every_day("seven", times=((480, 960),))
EVENING = Calendar("evening", week=(((1020, 1260),),) * 5 + ((), ()), minutes_per_day=240)
MON = datetime(2026, 1, 5)
MSP = ScheduleOptions()
P6 = ScheduleOptions(convention=Convention.P6, honor_constraint_dates=False)


def jan(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute)


def run(
    tasks: list[Task],
    links: list[Link],
    options: ScheduleOptions,
    start: datetime = MON,
    status_date: datetime | None = None,
) -> ScheduleResult:
    plan = Plan.from_records(
        tasks, links, [STD, DAY8, SEVEN, EVENING], start, status_date=status_date
    )
    return schedule(plan, options)


# ------------------------------------------------------------------------------ the options


def test_a_convention_is_a_preset_each_rule_can_override() -> None:
    assert MSP.rules == CONVENTION_RULES[Convention.MSPROJECT]
    assert ScheduleOptions(convention="p6").rules == CONVENTION_RULES[Convention.P6]  # type: ignore[arg-type]
    mixed = ScheduleOptions(convention=Convention.P6, free_float_capped=True).rules
    assert mixed.free_float_capped and mixed.moments == Convention.P6
    assert ScheduleOptions(moments="p6").rules.moments == Convention.P6  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ MS Project


def test_msp_milestone_late_dates_at_the_start_of_the_next_period() -> None:
    """A 2d (Mon-Tue) -> M -> B 1d: M's early dates are A's finish (Tue 17:00), its late
    dates B's late start (Wed 08:00), the same instant of work."""
    tasks = [Task("A", duration=2 * D), Task("M"), Task("B", duration=D)]
    links = [Link("A", "M"), Link("M", "B")]
    m = run(tasks, links, MSP).task("M")
    assert (m.early_start, m.early_finish) == (jan(6, 17), jan(6, 17))
    assert (m.late_start, m.late_finish) == (jan(7, 8), jan(7, 8))
    assert m.total_float == 0
    # a P6 finish milestone keeps its late dates at the end of the previous period
    p6 = run([*tasks[:1], Task("M", is_milestone=True), tasks[2]], links, P6).task("M")
    assert (p6.late_start, p6.late_finish) == (jan(6, 17), jan(6, 17))


def test_msp_summary_float_is_its_own_late_less_early_finish() -> None:
    """S = {A 2d, B 1d with a deadline Mon 17:00}; X 5d ends the project Fri 17:00. S rolls
    up Mon 08:00 - Tue 17:00, late finish Fri 17:00: 3 days of float (B has none)."""
    tasks = [
        Task("S"),
        Task("A", duration=2 * D, parent="S"),
        Task("B", duration=D, parent="S", deadline=jan(5, 17)),
        Task("X", duration=5 * D),
    ]
    r = run(tasks, [], MSP)
    assert r.task("B").total_float == 0
    s = r.task("S")
    assert (s.early_finish, s.late_finish, s.total_float) == (jan(6, 17), jan(9, 17), 3 * D)
    old = run(tasks, [], ScheduleOptions(summary_float_own=False))
    assert old.task("S").total_float == 0  # the least of its children's


def test_msp_summary_dates_are_its_childrens_moments() -> None:
    """N (4 h on the evening calendar) starts Mon 17:00 and finishes Mon 21:00, inside the
    Standard calendar's night: its summary shows 21:00, not the Standard class end 17:00."""
    tasks = [Task("S"), Task("N", duration=240, calendar="evening", parent="S")]
    r = run(tasks, [], MSP)
    s = r.task("S")
    assert (s.early_start, s.early_finish) == (jan(5, 17), jan(5, 21))
    assert s.late_finish == jan(5, 21)
    assert r.project_finish == jan(5, 21)


def test_msp_finish_set_by_a_start_to_finish_link_is_the_predecessors_start() -> None:
    """P 1d (Mon) -> A (starts Tue 08:00); B 1d must finish no earlier than A starts (SF):
    B works Monday and its finish is shown at A's start, Tue 08:00 (the same instant of work
    as Mon 17:00)."""
    tasks = [Task("P", duration=D), Task("A", duration=D), Task("B", duration=D)]
    links = [Link("P", "A"), Link("A", "B", LinkType.SF)]
    b = run(tasks, links, MSP).task("B")
    assert (b.early_start, b.early_finish) == (jan(5, 8), jan(6, 8))
    assert run(tasks, links, P6).task("B").early_finish == jan(5, 17)


# ------------------------------------------------------------------------------ Primavera P6


def test_p6_late_start_of_a_finish_milestone_crosses_at_its_own_moment() -> None:
    """P 1d (Mon, Standard) -> M, a finish milestone on 08:00-16:00 that must finish Wed
    17:00 (P6 Finish On: early bound + deadline); X 10d ends the project. M's early date is
    the start of the next period (Thu 08:00), its late dates the end of the previous one
    (Wed 16:00); P's late finish is that moment, Wed 16:00 - not 17:00 (MS Project's rule:
    the start of M's next period, Thu 08:00, which is Wed 17:00 on Standard)."""
    tasks = [
        Task("P", duration=D),
        Task(
            "M", calendar="day8", is_milestone=True, constraint_type=ConstraintType.FNET,
            constraint_date=jan(7, 17), deadline=jan(7, 17),
        ),
        Task("X", duration=10 * D),
    ]  # fmt: skip
    r = run(tasks, [Link("P", "M")], P6)
    m = r.task("M")
    assert (m.early_start, m.late_start, m.total_float) == (jan(8, 8), jan(7, 16), 0)
    p = r.task("P")
    assert (p.late_finish, p.total_float) == (jan(7, 16), 2 * D - 60)
    msp = run(tasks, [Link("P", "M")], ScheduleOptions(honor_constraint_dates=False))
    assert (msp.task("P").late_finish, msp.task("P").total_float) == (jan(7, 17), 2 * D)


def test_p6_start_milestone_sits_at_the_start_of_the_next_period() -> None:
    """A 1d on Friday -> S (zero duration, not a finish milestone) -> B 1d on a 7-day
    calendar. P6 puts S at Monday 08:00, so B starts Monday; MS Project's milestone is at
    Friday 17:00 and B starts Saturday 08:00."""
    tasks = [Task("A", duration=D), Task("S"), Task("B", duration=D, calendar="seven")]
    links = [Link("A", "S"), Link("S", "B")]
    fri = datetime(2026, 1, 9)
    p6 = run(tasks, links, P6, start=fri)
    assert p6.task("S").early_start == jan(12, 8)
    assert p6.task("B").early_start == jan(12, 8)
    msp = run(tasks, links, MSP, start=fri)
    assert msp.task("S").early_start == jan(9, 17)
    assert msp.task("B").early_start == jan(10, 8)


def test_p6_free_float_is_not_capped_by_total_float() -> None:
    """A 2d (Mon-Tue) with a deadline Mon 17:00 (total float -1d), no successor; X 5d ends
    the project Friday. P6: free float = Tue 17:00 -> Fri 17:00 = 3d; MS Project: 0."""
    tasks = [Task("A", duration=2 * D, deadline=jan(5, 17)), Task("X", duration=5 * D)]
    p6 = run(tasks, [], P6).task("A")
    assert (p6.total_float, p6.free_float) == (-D, 3 * D)
    msp = run(tasks, [], MSP).task("A")
    assert (msp.total_float, msp.free_float) == (-D, 0)


def test_p6_alap_is_delayed_by_its_whole_free_float() -> None:
    """P 1d (Mon) -> A (ALAP, 1d, deadline Mon 17:00: total float -1d) -> B 1d no earlier than
    Thu 08:00. P6 delays A to Wednesday (zero free float) despite its negative float, and
    P's free float is measured to the delayed start; MS Project's rule leaves A on Tuesday."""
    tasks = [
        Task("P", duration=D),
        Task("A", duration=D, constraint_type=ConstraintType.ALAP, deadline=jan(5, 17)),
        Task("B", duration=D, constraint_type=ConstraintType.SNET, constraint_date=jan(8, 8)),
    ]
    links = [Link("P", "A"), Link("A", "B")]
    p6 = run(tasks, links, P6)
    a = p6.task("A")
    assert (a.early_start, a.start, a.finish) == (jan(6, 8), jan(7, 8), jan(7, 17))
    assert p6.task("P").free_float == D
    msp = run(tasks, links, MSP)
    assert (msp.task("A").start, msp.task("P").free_float) == (jan(6, 8), 0)


def test_p6_alap_left_no_room_measures_its_float_on_the_project_calendar() -> None:
    """P 3d (STD, the project calendar: Mon-Wed) -> A (ALAP, 4d on SEVEN) -> B 1d (SEVEN);
    X 10d ends the project Fri 16 17:00. A runs Thu 8 - Sun 11 16:00 and B starts Mon 12
    08:00, right after it: A cannot be delayed (no free float). Late: B finishes Fri 16 16:00,
    so A's late finish is Thu 15 16:00, 4 days after its early finish.

    P6 stores more: A's 4 days backed off B's start (Mon 12 08:00) on the project calendar
    (Mon-Fri) give Tue 6 08:00, earlier than A can start; 4 days from there on A's calendar
    end Fri 9 16:00, and Fri 9 16:00 -> Thu 15 16:00 is 6 days. Dates do not change.
    Scheduled from a data date Wed 7 08:00 without P, that start (Tue 6) is clamped at the data
    date, A's early start: the float is the plain one (Sat 10 16:00 -> Mon 19 16:00, 9 days)."""
    tasks = [
        Task("P", duration=3 * D),
        Task("A", duration=4 * D, calendar="seven", constraint_type=ConstraintType.ALAP),
        Task("B", duration=D, calendar="seven"),
        Task("X", duration=10 * D),
    ]
    links = [Link("P", "A"), Link("A", "B")]
    a = run(tasks, links, P6).task("A")
    assert (a.early_start, a.early_finish, a.start) == (jan(8, 8), jan(11, 16), jan(8, 8))
    assert (a.late_finish, a.free_float, a.total_float) == (jan(15, 16), 0, 6 * D)
    off = ScheduleOptions(convention=Convention.P6, alap_float_project_calendar=False)
    assert run(tasks, links, off).task("A").total_float == 4 * D
    assert run(tasks, links, MSP).task("A").total_float == 4 * D
    dated = run(tasks[1:], links[1:], P6, status_date=jan(7, 8)).task("A")
    assert (dated.early_start, dated.total_float) == (jan(7, 8), 9 * D)


def test_p6_in_progress_remaining_work_has_a_late_start() -> None:
    """A started Mon 08:00, 4d with 2d left at the status date Wed 08:00; B (1d, deadline
    Wed 17:00) starts with it (SS); X 10d ends the project. P6 bounds A's remaining work by
    B's late start: late finish Wed 08:00 + 2d = Thu 17:00; MS Project only by the finish."""
    tasks = [
        Task("A", duration=4 * D, actual_start=jan(5, 8), remaining=2 * D),
        Task("B", duration=D, deadline=jan(7, 17)),
        Task("X", duration=10 * D),
    ]
    links = [Link("A", "B", LinkType.SS)]
    wed = jan(7, 8)
    p6 = run(tasks, links, P6, status_date=wed).task("A")
    assert (p6.early_finish, p6.late_finish, p6.total_float) == (jan(8, 17), jan(8, 17), 0)
    msp = run(tasks, links, MSP, status_date=wed).task("A")
    assert msp.late_finish == jan(20, 17)  # X too starts at the status date


def test_p6_completed_work_stays_in_the_network() -> None:
    """C 2d (Mon-Tue, open) -> D (completed last week, out of sequence) -> E 1d; Y 5d ends
    the project Friday; status date Mon 08:00. In P6 D sits after C as work of no duration:
    E waits for C (Wednesday) and C's late finish is E's late start (Fri 08:00 = Thu 17:00),
    2 days of float; in MS Project D's links no longer constrain: E starts Monday and C has
    3 days of float."""
    fri, fri_end = datetime(2026, 1, 2, 8), datetime(2026, 1, 2, 17)
    tasks = [
        Task("C", duration=2 * D),
        Task("D", duration=D, actual_start=fri, actual_finish=fri_end),
        Task("E", duration=D),
        Task("Y", duration=5 * D),
    ]
    links = [Link("C", "D"), Link("D", "E")]
    p6 = run(tasks, links, P6, status_date=MON)
    assert p6.task("E").early_start == jan(7, 8)
    assert (p6.task("C").late_finish, p6.task("C").total_float) == (jan(8, 17), 2 * D)
    # shown with its actual dates
    assert (p6.task("D").early_start, p6.task("D").early_finish) == (fri, fri_end)
    msp = run(tasks, links, MSP, status_date=MON)
    assert msp.task("E").early_start == jan(5, 8)
    assert msp.task("C").total_float == 3 * D


def test_p6_no_work_left_is_not_complete_without_an_actual_finish() -> None:
    """A started last Monday, 1d, none left, no actual finish; status date Sat 10 00:00. P6
    keeps it in progress at the data date (the start of the next period: Mon 12 08:00)."""
    tasks = [Task("A", duration=D, actual_start=datetime(2025, 12, 29, 8), remaining=0)]
    sat = datetime(2026, 1, 10)
    a = run(tasks, [], P6, status_date=sat).task("A")
    assert a.early_finish == jan(12, 8)
    msp = run(tasks, [], MSP, status_date=sat).task("A")
    assert msp.early_finish == datetime(2025, 12, 29, 17)  # complete: 8 h after its start


def test_p6_expected_finish_sets_the_remaining_work_and_leaves_no_free_float() -> None:
    """A 2d expected to finish Friday 17:00; X 10d. With P6's "use expected end dates" A
    runs Mon-Fri and has no free float; without it, Mon-Tue with 8 days of free float."""
    tasks = [Task("A", duration=2 * D, expected_finish=jan(9, 17)), Task("X", duration=10 * D)]
    a = run(tasks, [], ScheduleOptions(convention="p6", use_expected_finish=True)).task("A")  # type: ignore[arg-type]
    assert (a.early_finish, a.free_float, a.total_float) == (jan(9, 17), 0, 5 * D)
    b = run(tasks, [], P6).task("A")
    assert (b.early_finish, b.free_float) == (jan(6, 17), 8 * D)


def test_p6_start_lag_counts_from_the_early_start() -> None:
    """A started Mon, 4d with 2d done at the status date Wed 08:00, but its remaining work
    waits for P (2d from Wednesday: Thu 17:00), so it resumes Fri 08:00. B follows A SS+1d.
    From the early start (P6): the lag less the work done (1d - 2d: nothing) from Friday; from
    the actual start: Tuesday, i.e. the status date."""
    tasks = [
        Task("P", duration=2 * D),
        Task("A", duration=4 * D, actual_start=jan(5, 8), remaining=2 * D),
        Task("B", duration=D),
    ]
    links = [Link("P", "A"), Link("A", "B", LinkType.SS, lag=D)]
    wed = jan(7, 8)
    early = run(tasks, links, ScheduleOptions(start_lag_from_early_start=True), status_date=wed)
    assert early.task("B").early_start == jan(9, 8)
    actual = run(tasks, links, MSP, status_date=wed)
    assert actual.task("B").early_start == jan(7, 8)


def test_p6_late_start_from_a_start_link_inside_a_gap_is_the_previous_finish() -> None:
    """A 1d (Standard) SS -> B 1d on a 7-day calendar whose late start is Saturday 08:00 (a
    deadline Sat 16:00); X 10d ends the project. A's late start is that moment, inside
    A's weekend: P6 shows Fri 17:00, MS Project Mon 08:00 (the same instant of work)."""
    tasks = [
        Task("A", duration=D),
        Task("B", duration=D, calendar="seven", deadline=jan(10, 16)),
        Task("X", duration=10 * D),
    ]
    links = [Link("A", "B", LinkType.SS)]
    assert run(tasks, links, P6).task("A").late_start == jan(9, 17)
    assert run(tasks, links, MSP).task("A").late_start == jan(12, 8)


@pytest.mark.parametrize("options", [MSP, P6], ids=["msproject", "p6"])
def test_conventions_agree_on_one_calendar_without_milestones(options: ScheduleOptions) -> None:
    tasks = [Task("A", duration=3 * D), Task("B", duration=2 * D), Task("C", duration=D)]
    links = [Link("A", "C"), Link("B", "C", LinkType.FF, lag=D)]
    r = run(tasks, links, options)
    assert r.task("C").early_finish == jan(8, 17)
    assert (r.task("B").total_float, r.task("B").free_float) == (D, D)
