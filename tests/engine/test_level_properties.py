"""Properties of the levelling engines on random small plans (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo.engine.level import LevelOptions, LevelProblem, check_schedule, level


@st.composite
def plans(draw: st.DrawFn) -> LevelProblem:
    """Random acyclic plans: generalised links (forward in index order), releases, a fixed
    task now and then, a capacity profile now and then."""
    n = draw(st.integers(1, 9))
    r = draw(st.integers(0, 3))
    durations = np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
    capacity = np.array(draw(st.lists(st.integers(1, 4), min_size=r, max_size=r)), np.int64)
    demands = np.zeros((n, r), np.int64)
    for j in range(n):
        for k in range(r):
            demands[j, k] = draw(st.integers(0, int(capacity[k])))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=12)) if pairs else []
    m = len(chosen)
    links = np.array(chosen, np.int64).reshape(-1, 2)
    types = np.array(draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)), np.int64)
    lags = np.array(draw(st.lists(st.integers(-2, 3), min_size=m, max_size=m)), np.int64)
    release = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), np.int64)
    fixed = np.zeros(n, np.bool_)
    fixed_start = np.zeros(n, np.int64)
    if n > 1 and draw(st.booleans()):
        # a task with no predecessors is pinned (started or "must start on")
        has_pred = np.zeros(n, np.bool_)
        has_pred[links[:, 1]] = True
        candidates = np.flatnonzero(~has_pred)
        j = int(candidates[draw(st.integers(0, len(candidates) - 1))])
        fixed[j] = True
        fixed_start[j] = draw(st.integers(-2, 3))
    profile = None
    if r and draw(st.booleans()):
        h = draw(st.integers(1, 10))
        profile = np.array(
            [[draw(st.integers(0, int(capacity[k]) + 1)) for _ in range(h)] for k in range(r)],
            np.int64,
        )
    return LevelProblem(
        durations=durations,
        demands=demands,
        capacity=capacity,
        links=links,
        link_types=types,
        lags=lags,
        release=release,
        fixed=fixed,
        fixed_start=fixed_start,
        capacity_profile=profile,
    )


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(plans(), st.integers(0, 3))
def test_heuristic_schedules_are_always_feasible(problem: LevelProblem, seed: int) -> None:
    r = level(problem, LevelOptions(engine="heuristic", schedules=300, seed=seed))
    assert check_schedule(problem, r.starts) == []
    assert r.lower_bound <= r.makespan
    assert r.engine == "heuristic"
    for move in r.moves:
        assert move.delay == move.precedence_delay + move.resource_delay > 0
        assert r.starts[move.task] - r.early_starts[move.task] == move.delay


@SETTINGS
@given(plans())
def test_exact_is_feasible_and_never_worse_than_the_heuristic(problem: LevelProblem) -> None:
    h = level(problem, LevelOptions(engine="heuristic", schedules=300))
    e = level(problem, LevelOptions(engine="exact", time_limit=5))
    assert check_schedule(problem, e.starts) == []
    assert e.makespan <= h.makespan
    assert e.lower_bound <= e.makespan
    assert e.optimal  # tiny plans are solved to optimality
    assert e.lower_bound == e.makespan
    assert h.lower_bound <= e.makespan  # a lower bound is below every schedule
