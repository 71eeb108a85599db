"""Level-of-effort tasks (P6 ``TT_LOE``): dates from the neighbours, bounding nothing.

Hand-checked. Calendars: STD = Mon-Fri 08:00-12:00, 13:00-17:00; DAY8 = Mon-Fri 08:00-16:00.
Week of Monday 2026-01-05; Friday is the 9th, Monday the 12th, Friday the 16th.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from pmo.engine.calendar import Calendar
from pmo.engine.cpm import ScheduleResult, schedule
from pmo.engine.plan import Convention, Link, LinkType, Plan, ScheduleOptions, Task
from pmo.errors import CircularDependency

D = 480
STD = Calendar.standard("std")
DAY8 = Calendar("day8", week=(((480, 960),),) * 5 + ((), ()))
MON = datetime(2026, 1, 5)
P6 = ScheduleOptions(convention=Convention.P6, honor_constraint_dates=False)
MSP = ScheduleOptions()


def jan(day: int, hour: int) -> datetime:
    return datetime(2026, 1, day, hour)


def run(tasks: list[Task], links: list[Link], options: ScheduleOptions = P6) -> ScheduleResult:
    return schedule(Plan.from_records(tasks, links, [STD, DAY8], MON), options)


@pytest.mark.parametrize("options", [P6, MSP], ids=["p6", "msproject"])
def test_a_level_of_effort_spans_its_neighbours_and_bounds_nothing(
    options: ScheduleOptions,
) -> None:
    """A 2d (Mon-Tue) -SS-> L (level of effort, a stale 10d duration) -FF-> B 3d; A -> B (FS);
    X 10d ends the project Friday the 16th.

    L starts with A (Mon 08:00) and finishes with B (B: Wed-Fri, Fri 9 17:00): 5 days. Its
    10 days hold nothing: B still finishes Friday the 9th and the project the 16th. Late
    dates: B's late finish is the project finish (Fri 16), so A's late finish is B's late
    start (Wed 14 08:00 = Tue 13 17:00) and its late start Mon 12 08:00 (not bounded by L).
    L's late start is A's (Mon 12), its late finish B's (Fri 16): total float = late finish
    - early finish = 5 days; free float none (its finish is B's)."""
    tasks = [
        Task("A", duration=2 * D),
        Task("L", duration=10 * D, level_of_effort=True),
        Task("B", duration=3 * D),
        Task("X", duration=10 * D),
    ]
    links = [Link("A", "L", LinkType.SS), Link("L", "B", LinkType.FF), Link("A", "B")]
    r = run(tasks, links, options)
    lt = r.task("L")
    assert (lt.early_start, lt.early_finish) == (jan(5, 8), jan(9, 17))
    assert (lt.late_start, lt.late_finish) == (jan(12, 8), jan(16, 17))
    assert (lt.total_float, lt.free_float) == (5 * D, 0)
    assert not lt.longest_path
    assert r.task("B").early_finish == jan(9, 17)
    assert r.task("A").late_start == jan(12, 8)
    assert r.project_finish == jan(16, 17)
    # the same task as ordinary work: its 10 days push B's finish (FF) to the 16th
    plain = run([*tasks[:1], Task("L", duration=10 * D), *tasks[2:]], links, options)
    assert plain.task("B").early_finish == jan(16, 17)


def test_a_level_of_effort_sits_on_its_own_calendar() -> None:
    """A 2d (STD, Mon-Tue 17:00) -> L (level of effort on DAY8, 08:00-16:00) -> C 1d (STD);
    P 3d (Mon-Wed) -> C, so C starts Thu 08:00; X 10d ends the project Fri 16 17:00.

    L starts when A has finished, at the start of DAY8's next period (Wed 08:00), and
    finishes where C starts, at the end of DAY8's previous period (Wed 16:00): one day. A's
    only successor is L, which bounds nothing: A's late finish is the project finish and its
    free float 8 days. L's late start would be A's late finish (Fri 16) and its late finish
    C's late start (Fri 16 08:00 = Thu 15 16:00 on DAY8); a late start is never after the
    late finish: both Thu 15 16:00. Total float Wed 7 16:00 -> Thu 15 16:00 = 6 days."""
    tasks = [
        Task("A", duration=2 * D),
        Task("L", level_of_effort=True, calendar="day8"),
        Task("C", duration=D),
        Task("P", duration=3 * D),
        Task("X", duration=10 * D),
    ]
    links = [Link("A", "L"), Link("L", "C"), Link("P", "C")]
    r = run(tasks, links)
    lt = r.task("L")
    assert (lt.early_start, lt.early_finish) == (jan(7, 8), jan(7, 16))
    assert (lt.late_start, lt.late_finish) == (jan(15, 16), jan(15, 16))
    assert lt.total_float == 6 * D
    a = r.task("A")
    assert (a.late_finish, a.free_float) == (jan(16, 17), 8 * D)
    assert r.task("C").early_start == jan(8, 8)


def test_a_summary_holds_its_level_of_effort_child() -> None:
    """P 2d (Mon-Tue) -> summary S holding L (level of effort, no links of its own) and C 1d.
    L has no link to start from: it starts where S's predecessor lets every child start
    (Wed 08:00) and, with no finish link either, has no length; S rolls it up."""
    tasks = [
        Task("P", duration=2 * D),
        Task("S"),
        Task("L", level_of_effort=True, parent="S"),
        Task("C", duration=D, parent="S"),
    ]
    r = run(tasks, [Link("P", "S")])
    assert (r.task("L").early_start, r.task("L").early_finish) == (jan(7, 8), jan(7, 8))
    assert (r.task("S").early_start, r.task("S").early_finish) == (jan(7, 8), jan(7, 17))


def test_a_loop_through_a_level_of_effort_is_still_a_loop() -> None:
    """A -> L -> B -> A: turning L's outgoing link round inside the engine must not hide it."""
    tasks = [Task("A", duration=D), Task("L", level_of_effort=True), Task("B", duration=D)]
    with pytest.raises(CircularDependency):
        run(tasks, [Link("A", "L"), Link("L", "B"), Link("B", "A")])
