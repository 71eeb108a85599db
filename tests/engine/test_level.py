"""Resource levelling engine: model features, explanations, validation (hand-made plans)."""

from __future__ import annotations

import numpy as np
import pytest

from pmo.engine.level import (
    FF,
    FS,
    SF,
    SS,
    LevelOptions,
    LevelProblem,
    check_schedule,
    level,
    prepare,
)
from pmo.errors import CircularDependency, SolverError, ValidationFailed

ENGINES = ("exact", "heuristic")


def opts(engine: str, **kw: object) -> LevelOptions:
    return LevelOptions(engine=engine, time_limit=5.0, **kw)  # type: ignore[arg-type]


def two_competing(**kw: object) -> LevelProblem:
    """Two 3-period tasks that each need the single unit of one resource."""
    return LevelProblem(
        durations=np.array([3, 3]),
        demands=np.array([[1], [1]]),
        capacity=np.array([1]),
        names=("A", "B"),
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_competing_tasks_are_serialised_and_the_move_is_explained(engine: str) -> None:
    p = two_competing()
    r = level(p, opts(engine))
    assert check_schedule(p, r.starts) == []
    assert r.makespan == 6
    assert r.optimal and r.lower_bound == 6
    assert r.engine == engine
    assert sorted(r.starts.tolist()) == [0, 3]
    (move,) = r.moves
    other = 1 - move.task
    assert move.delay == 3 and move.resource_delay == 3 and move.precedence_delay == 0
    assert move.resource == 0
    assert move.holders == (other,)
    assert "waiting for resource 0" in move.describe(p)


@pytest.mark.parametrize("engine", ENGINES)
def test_priority_decides_who_goes_first(engine: str) -> None:
    for prio, first in (((0, 5), 1), ((5, 0), 0)):
        r = level(two_competing(priority=np.array(prio)), opts(engine))
        assert r.starts[first] == 0


@pytest.mark.parametrize(
    ("kind", "lag", "expected_b"),
    [
        (FS, 0, 4),  # B starts when A finishes
        (FS, -2, 2),  # negative lag: overlap by two periods
        (SS, 1, 1),
        (FF, 0, 2),  # B (2 periods) finishes with A (4 periods)
        (SF, 3, 1),  # B finishes >= A's start + 3
    ],
)
def test_link_types_and_lags(kind: int, lag: int, expected_b: int) -> None:
    p = LevelProblem(
        durations=np.array([4, 2]),
        demands=np.zeros((2, 0), np.int64),
        capacity=np.zeros(0, np.int64),
        links=np.array([[0, 1]]),
        link_types=np.array([kind]),
        lags=np.array([lag]),
    )
    for engine in ENGINES:
        r = level(p, opts(engine))
        assert r.starts.tolist() == [0, expected_b]
        assert check_schedule(p, r.starts) == []
    bad = np.array([0, expected_b - 1])
    if expected_b > 0:
        assert any("link" in v for v in check_schedule(p, bad))


def test_check_schedule_reports_capacity_and_link_violations() -> None:
    p = LevelProblem(
        durations=np.array([2, 2, 1]),
        demands=np.array([[1], [1], [0]]),
        capacity=np.array([1]),
        links=np.array([[0, 2]]),
        names=("A", "B", "C"),
    )
    v = check_schedule(p, np.array([0, 1, 1]))
    assert any("period 1 uses 2 of 1" in m for m in v)
    assert any("A -FS+0-> C" in m for m in v)
    assert check_schedule(p, np.array([0, 2, 2])) == []
    assert check_schedule(p, np.array([0, 2])) != []


@pytest.mark.parametrize("engine", ENGINES)
def test_capacity_profile_holiday_moves_tasks(engine: str) -> None:
    # capacity 1, but nobody works in periods 2 and 3: a 2-period task cannot straddle them
    p = LevelProblem(
        durations=np.array([2, 3]),
        demands=np.array([[1], [1]]),
        capacity=np.array([1]),
        capacity_profile=np.array([[1, 1, 0, 0, 1, 1, 1]]),
    )
    r = level(p, opts(engine))
    assert check_schedule(p, r.starts) == []
    assert r.makespan == 7  # 2 before the holiday, 3 after it (the 3-period one cannot fit first)
    assert r.starts.tolist() == [0, 4]
    bad = check_schedule(p, np.array([1, 4]))
    assert any("period 2 uses 1 of 0" in m for m in bad)


@pytest.mark.parametrize("engine", ENGINES)
def test_release_dates(engine: str) -> None:
    p = LevelProblem(
        durations=np.array([2, 2]),
        demands=np.array([[1], [1]]),
        capacity=np.array([2]),
        release=np.array([0, 3]),
    )
    r = level(p, opts(engine))
    assert r.starts.tolist() == [0, 3]
    assert r.moves == ()  # a release is not a move: the early start already includes it
    assert any("before its release" in v for v in check_schedule(p, np.array([0, 2])))


@pytest.mark.parametrize("engine", ENGINES)
def test_fixed_task_keeps_its_start_and_holds_capacity(engine: str) -> None:
    # task 0 started one period before the status date (fixed at -1, finishes at 2) and holds
    # the only unit of the resource; task 1 needs it too; task 2 follows task 0
    p = LevelProblem(
        durations=np.array([3, 2, 1]),
        demands=np.array([[1], [1], [0]]),
        capacity=np.array([1]),
        links=np.array([[0, 2]]),
        fixed=np.array([True, False, False]),
        fixed_start=np.array([-1, 0, 0]),
        names=("A", "B", "C"),
    )
    r = level(p, opts(engine))
    assert check_schedule(p, r.starts) == []
    assert r.starts.tolist() == [-1, 2, 2]
    assert r.early_starts.tolist() == [-1, 0, 2]
    (move,) = r.moves
    assert move.task == 1 and move.holders == (0,) and move.resource == 0
    assert check_schedule(p, np.array([0, 3, 3])) == ["A: fixed at -1 but starts at 0"]


def test_overload_by_fixed_tasks_alone_is_not_a_levelling_error() -> None:
    p = LevelProblem(
        durations=np.array([2, 2, 1]),
        demands=np.array([[1], [1], [1]]),
        capacity=np.array([1]),
        fixed=np.array([True, True, False]),
        fixed_start=np.array([0, 0, 0]),
    )
    r = level(p, opts("heuristic"))
    assert r.starts.tolist() == [0, 0, 2]
    assert check_schedule(p, r.starts) == []
    assert check_schedule(p, np.array([0, 0, 1])) != []


def test_hard_deadline_is_enforced_by_the_exact_engine() -> None:
    # B has a hard deadline at 3: it must go first even though A comes first in any rule
    p = LevelProblem(
        durations=np.array([3, 3]),
        demands=np.array([[1], [1]]),
        capacity=np.array([1]),
        deadline=np.array([-1, 3]),
        deadline_hard=np.array([False, True]),
        priority=np.array([9, 0]),
    )
    r = level(p, opts("exact"))
    assert r.starts.tolist() == [3, 0]
    assert r.late == ()
    assert check_schedule(p, r.starts) == []
    assert any("after its deadline" in v for v in check_schedule(p, np.array([0, 3])))


def test_infeasible_hard_deadlines_raise_solver_error() -> None:
    p = LevelProblem(
        durations=np.array([3, 3]),
        demands=np.array([[1], [1]]),
        capacity=np.array([1]),
        deadline=np.array([3, 3]),
        deadline_hard=np.array([True, True]),
    )
    with pytest.raises(SolverError):
        level(p, opts("exact"))
    r = level(p, opts("heuristic"))  # the heuristic reports the miss instead
    assert len(r.late) == 1 and r.late[0][3] is True


def test_soft_deadline_breaks_the_tie() -> None:
    p = LevelProblem(
        durations=np.array([3, 3]),
        demands=np.array([[1], [1]]),
        capacity=np.array([1]),
        deadline=np.array([-1, 3]),
        priority=np.array([1, 0]),
    )
    r = level(p, opts("exact"))
    assert r.starts.tolist() == [3, 0]
    assert r.makespan == 6


def test_cycle_is_reported_with_its_tasks() -> None:
    p = LevelProblem(
        durations=np.array([1, 1, 1]),
        demands=np.zeros((3, 0), np.int64),
        capacity=np.zeros(0, np.int64),
        links=np.array([[0, 1], [1, 2], [2, 1]]),
        names=("A", "B", "C"),
    )
    with pytest.raises(CircularDependency) as exc:
        level(p)
    assert sorted(exc.value.cycle) == ["B", "C"]


def test_invalid_input_lists_every_bad_field() -> None:
    p = LevelProblem(
        durations=np.array([-1, 2]),
        demands=np.array([[1], [3]]),
        capacity=np.array([2]),
        links=np.array([[0, 5]]),
    )
    with pytest.raises(ValidationFailed) as exc:
        prepare(p)
    paths = {e.path for e in exc.value.errors}
    assert ("durations", 0) in paths
    assert ("demands", 1, 0) in paths
    assert ("links", 0) in paths
    with pytest.raises(ValidationFailed):
        level(two_competing(), LevelOptions(engine="fast"))  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ENGINES)
def test_moves_split_precedence_and_resource_delay(engine: str) -> None:
    # A and B compete; A goes first because D (3 periods) follows it; C follows B, so C's
    # delay is all precedence
    p = LevelProblem(
        durations=np.array([2, 2, 1, 3]),
        demands=np.array([[1], [1], [0], [0]]),
        capacity=np.array([1]),
        links=np.array([[1, 2], [0, 3]]),
    )
    r = level(p, opts(engine))
    assert r.starts.tolist() == [0, 2, 4, 2]
    by_task = {m.task: m for m in r.moves}
    assert by_task[1].resource_delay == 2 and by_task[1].holders == (0,)
    assert by_task[2].precedence_delay == 2 and by_task[2].predecessors == (1,)
    assert by_task[2].resource_delay == 0


def test_empty_and_resource_free_plans() -> None:
    empty = LevelProblem(
        durations=np.zeros(0, np.int64), demands=np.zeros((0, 1), np.int64), capacity=np.array([1])
    )
    for engine in ENGINES:
        r = level(empty, opts(engine))
        assert r.makespan == 0 and r.starts.shape == (0,)
    p = LevelProblem(
        durations=np.array([2, 0, 3]),
        demands=np.zeros((3, 0), np.int64),
        capacity=np.zeros(0, np.int64),
        links=np.array([[0, 1], [1, 2]]),
    )
    for engine in ENGINES:
        r = level(p, opts(engine))
        assert r.starts.tolist() == [0, 2, 2] and r.optimal
