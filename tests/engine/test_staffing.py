"""Staffing engine: skill match, ranking, and the exact fill against the greedy one."""

from __future__ import annotations

import numpy as np
import pytest

from pmo.engine import staffing as st
from pmo.errors import ValidationFailed

WEEK = 2400.0  # one person-week in minutes


def test_skill_match_and_qualification() -> None:
    # required: skill 0 at 3, skill 2 at 2
    match, qualified = st.skill_match([3, 0, 2], [[5, 0, 2], [3, 1, 4], [2, 5, 5], [4, 4, 0]])
    assert qualified.tolist() == [True, True, False, False]
    assert match.tolist() == pytest.approx([0.7, 0.7, 0.7, 0.4])
    match, qualified = st.skill_match([0, 0], [[1, 2]])
    assert match.tolist() == [1.0] and qualified.tolist() == [True]


def test_rank_puts_qualified_first_then_availability_and_cost() -> None:
    r = st.rank(
        required=[3],
        proficiency=[[3], [5], [3], [1]],
        free_minutes=[WEEK, 0.0, WEEK, WEEK],
        need_minutes=WEEK,
        hourly_rate=[50.0, 50.0, 100.0, 10.0],
    )
    # 0: free and cheap; 2: free but dear; 1: expert but not free; 3: not qualified
    assert r.order.tolist() == [0, 2, 1, 3]
    assert r.availability.tolist() == [1.0, 0.0, 1.0, 1.0]
    assert r.cost.tolist() == [2000.0, 2000.0, 4000.0, 400.0]


def test_the_optimal_fill_beats_need_by_need_and_is_the_optimum() -> None:
    """Two needs in the same week, two people each free for one of them. Need 0 prefers X
    a little (0.1 vs 0.2), need 1 needs X badly (0.2 vs 0.9). Greedy gives need 0 to X and
    need 1 to Y: 1.0. The optimum gives need 0 to Y and need 1 to X: 0.4."""
    cost = np.array([[0.1, 0.2], [0.2, 0.9]])
    load = np.array([[WEEK], [WEEK]])
    free = np.array([[WEEK], [WEEK]])
    greedy = st.assign_greedy(cost, [0, 1], load, free)
    best = st.assign_optimal(cost, [0, 1], load, free)
    assert greedy.choice.tolist() == [0, 1] and greedy.objective == pytest.approx(1.0)
    assert best.choice.tolist() == [1, 0] and best.objective == pytest.approx(0.4)
    assert best.optimal and best.overload_hours == 0 and best.unfilled == 0
    # brute force over every choice confirms the optimum
    values = [st.evaluate([a, b], cost, load, free)[0] for a in (-1, 0, 1) for b in (-1, 0, 1)]
    assert min(values) == pytest.approx(best.objective)


def test_overload_is_paid_per_hour_and_one_task_gets_a_person_once() -> None:
    # both needs can only go to person 0, who is free for one week: the second fill
    # overloads them by 40 hours (5 units) which is still cheaper than leaving it unfilled
    cost = np.array([[0.0, np.inf], [0.0, np.inf]])
    load = np.array([[WEEK], [WEEK]])
    free = np.array([[WEEK], [WEEK]])
    fill = st.assign_optimal(cost, [0, 1], load, free)
    assert fill.choice.tolist() == [0, 0]
    assert fill.overload_hours == pytest.approx(40.0)
    assert fill.objective == pytest.approx(40.0 * st.OVERLOAD_PER_HOUR)
    # the same two needs on one task: a person takes one of them, the other stays open
    fill = st.assign_optimal(cost, [7, 7], load, free)
    assert sorted(fill.choice.tolist()) == [-1, 0] and fill.unfilled == 1


def test_pair_costs_are_relative_and_unqualified_pairs_are_forbidden() -> None:
    cost = st.pair_costs(match=[[1.0, 0.6]], qualified=[[True, False]], money=[[100.0, 10.0]])
    assert cost[0, 0] == pytest.approx(0.2)
    assert np.isinf(cost[0, 1])


def test_shapes_are_checked() -> None:
    with pytest.raises(ValidationFailed):
        st.assign_optimal(np.zeros((2, 2)), [0], np.zeros((2, 1)), np.zeros((2, 1)))
    with pytest.raises(ValidationFailed):
        st.assign_optimal(np.zeros((2, 2)), [0, 1], np.zeros((2, 1)), np.zeros((3, 1)))
    with pytest.raises(ValidationFailed):
        st.skill_match([1, 2], [[1, 2, 3]])
