"""The bridge between dated plans and the levelling engine (``pmo.engine.level_plan``)."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from pmo.engine.calendar import Calendar, CalendarException
from pmo.engine.cpm import schedule
from pmo.engine.level import LevelOptions, level, prepare
from pmo.engine.level_plan import (
    LevelAssignment,
    LevelLink,
    LevelResource,
    LevelTask,
    build_level_input,
    explain_moves,
    first_moments,
    hold_back,
    levelled_constraint,
    levelled_days,
    peak_overallocation,
)
from pmo.engine.plan import ConstraintType, Link, LinkType, Plan, Task
from pmo.errors import ValidationFailed

CAL = Calendar.standard()  # Mon-Fri 08:00-12:00, 13:00-17:00
MON = date(2026, 3, 2)


def at(day: int, hour: int) -> datetime:
    """Day ``day`` of the week of Monday 2 March 2026 (0 = Monday) at ``hour``."""
    return datetime(2026, 3, 2 + day, hour)


def test_half_days_are_levelled_in_half_day_periods() -> None:
    # Morning (Mon 08-12) and Afternoon (Mon 13-17) share R without overlapping; Long
    # (Mon 13:00 - Tue 12:00) overlaps Afternoon. In days all three would be on Monday.
    tasks = [
        LevelTask("M", "Morning", at(0, 8), at(0, 12), duration=240),
        LevelTask("A", "Afternoon", at(0, 13), at(0, 17), duration=240, priority=5),
        LevelTask("L", "Long", at(0, 13), at(1, 12), duration=480),
    ]
    r = [LevelResource("R", "Robin", 1.0, CAL)]
    asg = [LevelAssignment(t.id, "R", 1.0) for t in tasks]
    built = build_level_input(tasks, [], r, asg, CAL, slots_per_day=None)
    assert built.slots_per_day == 2  # every time is a day start, noon or a day end
    p = built.problem
    assert p.release.tolist() == [0, 1, 1] and p.durations.tolist() == [1, 1, 2]
    assert peak_overallocation(built, [0, 1, 1]).used == 2.0  # type: ignore[union-attr]
    result = level(p, LevelOptions(engine="exact", time_limit=10))
    # by hand: the makespan is 4 half days either way; Afternoon has the higher priority,
    # so Long waits half a day for it: Tue 08:00 - 17:00
    assert result.makespan == 4 and result.starts.tolist() == [0, 1, 2]
    held = levelled_days(built, result)
    assert held == {"L": at(1, 0)}  # the start of its new period: Tuesday
    assert first_moments(held, {"L": CAL}) == {"L": at(1, 8)}
    (move,) = explain_moves(built, result, {"L": at(0, 13)}, {"L": at(1, 8)})
    assert (move.task, move.delay_days, move.resource_delay_days) == ("L", 0.5, 0.5)
    assert (move.resource, move.blocked_on) == ("R", MON)
    assert move.competing == (("A", "Afternoon"),)
    assert move.reason == (
        "Long moved 0.5 working day(s); 0.5 waiting for Robin, held on 2026-03-02 by Afternoon"
    )
    assert peak_overallocation(built, result.starts.tolist()) is None
    # in whole days the three are on Monday: R is over-allocated three times over
    days = build_level_input(tasks, [], r, asg, CAL)
    assert days.slots_per_day == 1 and days.problem.durations.tolist() == [1, 1, 2]
    assert peak_overallocation(days, [0, 0, 0]).used == 3.0  # type: ignore[union-attr]


def test_a_chain_of_mid_day_tasks_does_not_drift_in_day_periods() -> None:
    # three one-day tasks, each from 13:00 to 12:00 the next day, linked finish-to-start:
    # each spans two days, so in days a plain FS link would push each one day later
    tasks = [LevelTask(str(i), f"T{i}", at(i, 13), at(i + 1, 12), duration=480) for i in range(3)]
    links = [LevelLink("0", "1"), LevelLink("1", "2")]
    built = build_level_input(tasks, links, [], [], CAL)
    prep = prepare(built.problem)
    assert built.problem.durations.tolist() == [2, 2, 2]
    assert prep.early.tolist() == built.problem.release.tolist() == [0, 1, 2]
    assert built.problem.lags.tolist() == [-1, -1]  # the day each shares with the next


def test_links_of_summary_tasks_are_carried_down_and_lags_become_periods() -> None:
    tasks = [
        LevelTask("S", "Phase", at(0, 8), at(1, 17)),
        LevelTask("a", "a", at(0, 8), at(0, 17), parent="S", duration=480),
        LevelTask("b", "b", at(1, 8), at(1, 17), parent="S", duration=480),
        LevelTask("c", "c", at(4, 8), at(4, 17), duration=480),
    ]
    links = [LevelLink("S", "c", LinkType.FS, lag=2 * 480)]
    built = build_level_input(tasks, links, [], [], CAL)
    assert built.task_ids == ["a", "b", "c"]  # the summary is not levelled
    pairs = sorted(zip(built.problem.links.tolist(), built.problem.lags.tolist(), strict=True))
    assert pairs == [([0, 2], 2), ([1, 2], 2)]


def test_capacity_profile_follows_the_resource_calendar() -> None:
    leave = CalendarException(date(2026, 3, 4), date(2026, 3, 4), (), "leave")
    half = CalendarException(date(2026, 3, 5), date(2026, 3, 5), ((480, 720),), "morning")
    own = Calendar(id="own", exceptions=(leave, half))
    tasks = [LevelTask("t", "t", at(0, 8), at(0, 17), duration=480)]
    built = build_level_input(
        tasks, [], [LevelResource("R", "R", 1.0, own)], [LevelAssignment("t", "R", 1.0)], CAL
    )
    # Mon, Tue full; Wed on leave; Thu half a day (floored in hundredths: 50); Fri full
    assert built.problem.capacity_profile[0, :5].tolist() == [100, 100, 0, 50, 100]  # type: ignore[index]


def test_demand_above_max_units_is_levelled_at_max_units_with_a_warning() -> None:
    tasks = [LevelTask("t", "Paint", at(0, 8), at(0, 17), duration=480)]
    built = build_level_input(
        tasks, [], [LevelResource("R", "Robin", 0.5)], [LevelAssignment("t", "R", 1.0)], CAL
    )
    assert built.problem.demands.tolist() == [[50]]
    assert built.warnings == ["Paint asks 1.0 of Robin, who has 0.5: levelled at 0.5"]


def test_nothing_to_level_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed, match="no scheduled work task"):
        build_level_input([LevelTask("t", "t")], [], [], [], CAL)
    started = LevelTask("t", "t", at(0, 8), at(0, 17), duration=480, fixed=True)
    with pytest.raises(ValidationFailed, match="nothing to level"):
        build_level_input([started], [], [], [], CAL)


def test_levelled_constraint_never_loosens_a_date_constraint() -> None:
    new = at(3, 8)
    assert levelled_constraint(ConstraintType.ASAP, None, new) == (ConstraintType.SNET, new)
    assert levelled_constraint(ConstraintType.SNET, at(1, 8), new) == (ConstraintType.SNET, new)
    later = at(4, 8)
    assert levelled_constraint(ConstraintType.SNET, later, new) == (ConstraintType.SNET, later)
    assert levelled_constraint(ConstraintType.FNLT, later, new) == (ConstraintType.FNLT, later)
    assert levelled_constraint(ConstraintType.ASAP, None, None) == (ConstraintType.ASAP, None)


def test_hold_back_gives_the_levelled_dates_and_successors_follow() -> None:
    plan = Plan.from_records(
        [Task("a", duration=480), Task("b", duration=480), Task("c", duration=240)],
        [Link("b", "c")],
        [CAL],
        at(0, 8),
    )
    held = hold_back(plan, {"b": at(2, 8)})
    r = schedule(held)
    assert (r.task("a").start, r.task("b").start) == (at(0, 8), at(2, 8))
    assert (r.task("c").start, r.task("c").finish) == (at(3, 8), at(3, 12))
    assert np.array_equal(plan.tasks.column("constraint_type"), [0, 0, 0])  # plan unchanged
    with pytest.raises(ValidationFailed):
        hold_back(plan, {"zz": at(2, 8)})
