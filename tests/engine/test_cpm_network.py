"""Whole networks: a published textbook example, summaries, cycles, baselines."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from pmo.engine.calendar import Calendar
from pmo.engine.cpm import baseline_variance, schedule
from pmo.engine.plan import Link, LinkTable, LinkType, Plan, Task, TaskTable
from pmo.errors import CircularDependency, ValidationFailed

DAY = 1440
START = datetime(2026, 1, 5)

# Hillier & Lieberman, "Introduction to Operations Research" (McGraw-Hill), chapter "Project
# Management with PERT/CPM": the Reliable Construction Co. project, durations in weeks.
# The book's critical path is START-A-B-C-E-F-J-L-N-FINISH, 44 weeks, with slacks
# D 4, G 4, H 4, I 2, K 1, M 4 and 0 elsewhere. ES/EF/LS/LF below checked by hand.
RELIABLE = {
    # id: (duration, predecessors, ES, EF, LS, LF, free float)
    "A": (2, "", 0, 2, 0, 2, 0),
    "B": (4, "A", 2, 6, 2, 6, 0),
    "C": (10, "B", 6, 16, 6, 16, 0),
    "D": (6, "C", 16, 22, 20, 26, 0),
    "E": (4, "C", 16, 20, 16, 20, 0),
    "F": (5, "E", 20, 25, 20, 25, 0),
    "G": (7, "D", 22, 29, 26, 33, 0),
    "H": (9, "EG", 29, 38, 33, 42, 0),
    "I": (7, "C", 16, 23, 18, 25, 2),
    "J": (8, "FI", 25, 33, 25, 33, 0),
    "K": (4, "J", 33, 37, 34, 38, 1),
    "L": (5, "J", 33, 38, 33, 38, 0),
    "M": (2, "H", 38, 40, 42, 44, 4),
    "N": (6, "KL", 38, 44, 38, 44, 0),
}


def test_reliable_construction_textbook_example() -> None:
    tasks = [Task(k, duration=v[0] * DAY) for k, v in RELIABLE.items()]
    links = [Link(p, k) for k, v in RELIABLE.items() for p in v[1]]
    plan = Plan.from_records(tasks, links, [Calendar.continuous()], START)
    r = schedule(plan)
    assert r.project_duration == 44 * DAY
    start = np.datetime64(START, "m")
    for i, (key, (_, _, es, ef, ls, lf, ff)) in enumerate(RELIABLE.items()):
        got = [
            int((a[i] - start).astype(np.int64)) // DAY
            for a in (r.early_start, r.early_finish, r.late_start, r.late_finish)
        ]
        assert got == [es, ef, ls, lf], key
        assert r.total_float[i] == (ls - es) * DAY, key
        assert r.free_float[i] == ff * DAY, key
    critical = {k for k, c in zip(RELIABLE, r.critical, strict=True) if c}
    assert critical == set("ABCEFJLN")
    assert {k for k, c in zip(RELIABLE, r.longest_path, strict=True) if c} == set("ABCEFJLN")


def test_columnar_plan_gives_the_same_schedule() -> None:
    ids = list(RELIABLE)
    row = {k: i for i, k in enumerate(ids)}
    pairs = [(row[p], row[k]) for k, v in RELIABLE.items() for p in v[1]]
    tasks = TaskTable(
        id=np.array(ids), duration=np.array([v[0] * DAY for v in RELIABLE.values()], np.int64)
    )
    links = LinkTable(
        predecessor=np.array([p for p, _ in pairs], np.int64),
        successor=np.array([s for _, s in pairs], np.int64),
        type=np.zeros(len(pairs), np.int8),
        lag=np.zeros(len(pairs)),
        lag_unit=np.zeros(len(pairs), np.int8),
    )
    r = schedule(Plan(tasks, links, (Calendar.continuous(),), START))
    assert r.project_duration == 44 * DAY
    assert r.records()[6].id == "G" and r.records()[6].total_float == 4 * DAY


# ------------------------------------------------------------------------------ summaries

D = 480
CAL = Calendar.standard()
MON = datetime(2026, 1, 5)


def test_summary_links_apply_to_children_and_roll_up() -> None:
    tasks = [
        Task("P", duration=D),
        Task("S", name="Phase 1"),
        Task("A", duration=2 * D, parent="S"),
        Task("B", duration=3 * D, parent="S"),
        Task("C", duration=D, parent="S"),
        Task("Q", duration=D),
    ]
    links = [Link("P", "S"), Link("A", "B"), Link("S", "Q")]
    r = schedule(Plan.from_records(tasks, links, [CAL], MON))
    t = {x.id: x for x in r.records()}
    # every child starts after the summary's predecessor (Mon)
    assert t["A"].early_start == datetime(2026, 1, 6, 8) == t["C"].early_start
    assert t["B"].early_start == datetime(2026, 1, 8, 8)
    assert t["B"].early_finish == datetime(2026, 1, 12, 17)
    # the summary spans its children and drives its successor from its finish
    assert (t["S"].early_start, t["S"].early_finish) == (t["A"].early_start, t["B"].early_finish)
    assert t["Q"].early_start == datetime(2026, 1, 13, 8)
    assert t["C"].total_float == 4 * D and not t["C"].critical
    assert t["S"].total_float == 0 and t["S"].critical
    assert t["P"].critical and t["Q"].critical and t["A"].longest_path and t["B"].longest_path
    assert not t["C"].longest_path


def test_nested_summaries_and_summary_constraint() -> None:
    from pmo.engine.plan import ConstraintType

    tasks = [
        Task("S", constraint_type=ConstraintType.SNET, constraint_date=datetime(2026, 1, 7)),
        Task("S1", parent="S"),
        Task("A", duration=D, parent="S1"),
        Task("B", duration=D, parent="S"),
    ]
    r = schedule(Plan.from_records(tasks, [Link("A", "B")], [CAL], MON))
    assert r.task("A").early_start == datetime(2026, 1, 7, 8)
    assert r.task("B").early_start == datetime(2026, 1, 8, 8)
    assert r.task("S1").early_finish == datetime(2026, 1, 7, 17)
    assert r.task("S").early_finish == datetime(2026, 1, 8, 17)


def test_link_from_a_task_to_its_own_summary_is_a_cycle() -> None:
    tasks = [Task("S"), Task("A", duration=D, parent="S")]
    with pytest.raises(CircularDependency):
        schedule(Plan.from_records(tasks, [Link("A", "S")], [CAL], MON))


# ------------------------------------------------------------------------------ errors


def test_cycle_names_its_tasks_in_order() -> None:
    tasks = [Task(x, duration=D) for x in "ABCDE"]
    links = [Link("A", "B"), Link("B", "C"), Link("C", "D"), Link("D", "B"), Link("A", "E")]
    with pytest.raises(CircularDependency) as err:
        schedule(Plan.from_records(tasks, links, [CAL], MON))
    cycle = err.value.cycle
    assert sorted(cycle) == ["B", "C", "D"]
    k = cycle.index("B")
    assert cycle[k:] + cycle[:k] == ["B", "C", "D"]  # in link order
    with pytest.raises(CircularDependency) as err:
        schedule(Plan.from_records(tasks[:1], [Link("A", "A")], [CAL], MON))
    assert err.value.cycle == ["A"]


def test_invalid_plans_are_reported() -> None:
    with pytest.raises(ValidationFailed):
        Plan.from_records([Task("A"), Task("A")], [], [CAL], MON)
    with pytest.raises(ValidationFailed):
        Plan.from_records([Task("A")], [Link("A", "Z")], [CAL], MON)
    with pytest.raises(ValidationFailed):
        schedule(Plan.from_records([Task("A", duration=-1)], [], [CAL], MON))
    from pmo.engine.plan import ConstraintType

    with pytest.raises(ValidationFailed):
        schedule(Plan.from_records([Task("A", constraint_type=ConstraintType.MSO)], [], [CAL], MON))


def test_tasks_of_several_projects_and_calendars_in_one_network() -> None:
    """Cross-project link: project 1 on Mon-Fri, project 2 on a 7-day week."""
    tasks = [
        Task("p1.a", duration=5 * D),
        Task("p2.a", duration=2 * D, calendar="every-day"),
        Task("p2.b", duration=D, calendar="every-day"),
    ]
    links = [Link("p1.a", "p2.b"), Link("p2.a", "p2.b")]
    r = schedule(Plan.from_records(tasks, links, [CAL, Calendar.every_day()], MON))
    assert r.task("p1.a").early_finish == datetime(2026, 1, 9, 17)
    assert r.task("p2.b").early_start == datetime(2026, 1, 10, 8)  # a Saturday
    assert r.project_finish == datetime(2026, 1, 10, 17)
    # p2.a floats on its own calendar: Mon-Tue done, 8 days of 7-day-week slack to Sat
    assert r.task("p2.a").total_float == 3 * D
    # project length counted on the project calendar: Mon 5 .. Fri 9 (Sat is not working)
    assert r.project_duration == 5 * D


def test_must_finish_by_gives_negative_float() -> None:
    tasks = [Task("A", duration=5 * D)]
    plan = Plan.from_records(tasks, [], [CAL], MON, must_finish_by=datetime(2026, 1, 7, 17))
    r = schedule(plan)
    assert r.task("A").total_float == -2 * D


def test_large_negative_float_far_before_the_start() -> None:
    from pmo.engine.plan import ConstraintType

    tasks = [
        Task("A", duration=400 * D),
        Task("B", duration=D, constraint_type=ConstraintType.MFO,
             constraint_date=MON + timedelta(days=1)),
    ]  # fmt: skip
    r = schedule(Plan.from_records(tasks, [Link("A", "B")], [CAL], MON))
    assert r.task("A").total_float == -400 * D  # B must finish Mon 17:00, so A by Mon 08:00
    assert r.task("A").late_start < MON - timedelta(days=500)


# ------------------------------------------------------------------------------ baselines


def test_baseline_variance() -> None:
    m = np.datetime64
    start = np.array([m("2026-01-06T08:00"), m("2026-01-05T08:00"), m("NaT", "m")], "M8[m]")
    finish = np.array([m("2026-01-09T17:00"), m("2026-01-05T17:00"), m("NaT", "m")], "M8[m]")
    b_start = np.array([m("2026-01-05T08:00"), m("2026-01-05T08:00"), m("NaT", "m")], "M8[m]")
    b_finish = np.array([m("2026-01-12T17:00"), m("2026-01-05T17:00"), m("NaT", "m")], "M8[m]")
    dur = np.array([4 * D, D, 0])
    b_dur = np.array([6 * D, D, 0])
    v = baseline_variance(start, finish, dur, b_start, b_finish, b_dur, CAL)
    assert v.start_variance.tolist() == [D, 0, 0]  # one working day late
    assert v.finish_variance.tolist() == [-D, 0, 0]  # Fri vs Mon: one working day early
    assert v.duration_variance.tolist() == [-2 * D, 0, 0]
    assert v.has_baseline.tolist() == [True, True, False]
    elapsed = baseline_variance(start, finish, dur, b_start, b_finish, b_dur)
    assert elapsed.start_variance[0] == 1440
    assert elapsed.finish_variance[0] == -3 * 1440


def test_link_type_enum_matches_engine_codes() -> None:
    assert [t.value for t in LinkType] == [0, 1, 2, 3]
