"""MS Project's leveling delay (``Task.levelling_delay``), hand-checked.

Calendar: Mon-Fri 08:00-12:00, 13:00-17:00 (8 h/day). Project start Monday 2 March 2026. A
levelling delay holds a task back from the early start its links, its constraint and the
project start give: working time of its calendar, or elapsed time; the predecessors' late
dates leave room for it, so the delay uses up the float of the path it is on.
"""

from __future__ import annotations

from datetime import datetime

from pmo.engine.calendar import Calendar
from pmo.engine.cpm import ScheduleResult, schedule
from pmo.engine.plan import ConstraintType, Link, Plan, Task

D = 480  # minutes in a working day


def day(d: int, hour: int) -> datetime:
    return datetime(2026, 3, d, hour)


def run(tasks: list[Task], links: list[Link]) -> ScheduleResult:
    return schedule(Plan.from_records(tasks, links, [Calendar.standard()], day(2, 8)))


def test_a_delay_counts_from_the_predecessors_finish_and_uses_up_float() -> None:
    r = run(
        [
            Task("A", duration=D),
            Task("B", duration=D, levelling_delay=2 * D),
            Task("C", duration=5 * D),
        ],
        [Link("A", "B")],
    )
    a, b = r.task("A"), r.task("B")
    assert (a.early_start, a.early_finish) == (day(2, 8), day(2, 17))
    # A lets B start on Tuesday; two working days later is Thursday
    assert (b.early_start, b.early_finish) == (day(5, 8), day(5, 17))
    # the project ends with C on Friday 6: B may slip one day ...
    assert (b.late_start, b.late_finish) == (day(6, 8), day(6, 17))
    assert (b.total_float, b.free_float) == (D, D)
    # ... and so may A only one day, not three: B's delay follows A
    assert a.late_finish == day(3, 17) and a.total_float == D
    assert a.free_float == 0  # any slip of A moves B


def test_a_delayed_chain_is_critical_through_the_delay() -> None:
    r = run([Task("A", duration=D), Task("B", duration=D, levelling_delay=2 * D)], [Link("A", "B")])
    assert r.project_finish == day(5, 17)
    assert list(r.total_float) == [0, 0]
    assert r.critical.all() and r.longest_path.all()  # A drives B, through its delay


def test_an_elapsed_delay_runs_over_the_weekend_a_working_one_does_not() -> None:
    def b_start(**delay: object) -> datetime:
        r = run([Task("A", duration=4 * D), Task("B", duration=D, **delay)], [Link("A", "B")])  # type: ignore[arg-type]
        return r.task("B").early_start

    assert b_start() == day(6, 8)  # A ends Thursday 5
    # 2 elapsed days from Friday 08:00 is Sunday 08:00: Monday's first working moment
    assert b_start(levelling_delay=2 * 1440, levelling_delay_elapsed=True) == day(9, 8)
    # 2 working days from Friday: Friday and Monday, then Tuesday
    assert b_start(levelling_delay=2 * D) == day(10, 8)


def test_a_delay_counts_from_the_project_start_or_the_constraint() -> None:
    r = run(
        [
            Task("half", duration=D, levelling_delay=D // 2),
            Task(
                "snet",
                duration=D,
                constraint_type=ConstraintType.SNET,
                constraint_date=day(4, 8),
                levelling_delay=D,
            ),
            Task(
                "mso",
                duration=D,
                constraint_type=ConstraintType.MSO,
                constraint_date=day(3, 8),
                levelling_delay=D,
            ),
        ],
        [],
    )
    # half a day from Monday 08:00 is after lunch; the task then ends Tuesday at noon
    assert (r.task("half").early_start, r.task("half").early_finish) == (day(2, 13), day(3, 12))
    assert r.task("snet").early_start == day(5, 8)  # Wednesday + 1 day
    assert r.task("mso").early_start == day(3, 8)  # a must-start-on date wins


def test_a_delayed_subtask_starts_after_its_summarys_predecessor_and_the_summary_rolls_up() -> None:
    r = run(
        [
            Task("P", duration=2 * D),
            Task("S"),
            Task("X", duration=D, parent="S", levelling_delay=D),
        ],
        [Link("P", "S")],
    )
    assert r.task("X").early_start == day(5, 8)  # P ends Tuesday; Wednesday + 1 day
    assert (r.task("S").early_start, r.task("S").early_finish) == (day(5, 8), day(5, 17))


def test_a_started_task_keeps_its_actual_start() -> None:
    r = run(
        [
            Task(
                "A",
                duration=2 * D,
                actual_start=day(2, 8),
                percent_complete=50.0,
                levelling_delay=3 * D,
            )
        ],
        [],
    )
    assert (r.task("A").early_start, r.task("A").early_finish) == (day(2, 8), day(3, 17))
