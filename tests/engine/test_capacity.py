"""Capacity engine: hand-computed capacity and demand, and the fast path against the matrix."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pmo.engine import capacity as cap
from pmo.engine.calendar import Calendar, CalendarException, to_minutes
from pmo.errors import ValidationFailed

# Monday 12 January 2026 is a holiday on this Mon-Fri 08:00-12:00, 13:00-17:00 calendar.
HOLIDAY = dt.date(2026, 1, 12)
CAL = Calendar.standard("std").with_exceptions([CalendarException(HOLIDAY, HOLIDAY, (), "Holiday")])


def minutes(*args: int) -> int:
    return to_minutes(dt.datetime(*args))


def test_period_bounds_weeks_start_on_monday_and_months_on_the_first() -> None:
    assert cap.period_bounds(dt.date(2026, 1, 7), dt.date(2026, 1, 18), "week") == [
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 12),
        dt.date(2026, 1, 19),
    ]
    assert cap.period_bounds(dt.date(2025, 11, 15), dt.date(2026, 1, 31), "month") == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]
    with pytest.raises(ValidationFailed):
        cap.period_bounds(dt.date(2026, 1, 7), dt.date(2026, 1, 1), "week")


def test_half_time_over_three_days_around_a_holiday_gives_exact_minutes_per_week() -> None:
    """A 3-day task Thursday 8 → Tuesday 13 (Monday is a holiday), 50 % of one person:
    12 h of work, 4 h per working day: Thu + Fri in the first week, Tue in the second."""
    edges = cap.edges_of(cap.period_bounds(dt.date(2026, 1, 5), dt.date(2026, 1, 18), "week"))
    work = cap.Work.of(
        resource=[0],
        calendar=[0],
        start=[minutes(2026, 1, 8, 8)],
        finish=[minutes(2026, 1, 13, 17)],
        work=[0.5 * 3 * 480],
    )
    table = cap.table([CAL], edges, resource_calendar=[0], max_units=[1.0], w=work)
    assert table.capacity.tolist() == [[2400.0, 1920.0]]  # 5 days, then 4 (the holiday)
    assert table.demand.tolist() == [[480.0, 240.0]]
    assert table.load.tolist() == [[0.2, 0.125]]
    assert cap.spread([CAL], edges, work).tolist() == [[480.0, 240.0]]
    # by day: 4 h on each working day of the task, nothing on the weekend or the holiday
    days = cap.edges_of([dt.date(2026, 1, 8) + dt.timedelta(days=i) for i in range(7)])
    by_day = cap.demand([CAL], days, work, 1)[0]
    assert by_day.tolist() == [240.0, 240.0, 0.0, 0.0, 0.0, 240.0]


def test_capacity_follows_max_units_and_each_resource_calendar() -> None:
    edges = cap.edges_of([dt.date(2026, 1, 12), dt.date(2026, 1, 19)])
    seven = Calendar.every_day("7d")
    table = cap.capacity([CAL, seven], edges, resource_calendar=[0, 1, 0], max_units=[1, 1, 0.5])
    assert table[:, 0].tolist() == [1920.0, 7 * 480.0, 960.0]


def test_over_allocation_and_zero_capacity() -> None:
    edges = cap.edges_of([dt.date(2026, 1, 5), dt.date(2026, 1, 12)])
    work = cap.Work.of(
        resource=[0, 0, 1],
        calendar=[0, 0, 0],
        start=[minutes(2026, 1, 5, 8)] * 3,
        finish=[minutes(2026, 1, 9, 17)] * 3,
        work=[2400.0, 1200.0, 600.0],
    )
    table = cap.table([CAL], edges, [0, 0], [1.0, 0.0], work)
    assert table.demand.tolist() == [[3600.0], [600.0]]
    assert table.over.tolist() == [[True], [True]]
    assert table.load[0, 0] == pytest.approx(1.5)
    assert np.isinf(table.load[1, 0])
    assert table.free.tolist() == [[0.0], [0.0]]


def test_milestones_put_their_work_at_their_start_and_work_outside_the_window_is_left_out() -> None:
    edges = cap.edges_of([dt.date(2026, 1, 5), dt.date(2026, 1, 12), dt.date(2026, 1, 19)])
    work = cap.Work.of(
        resource=[0, 0],
        calendar=[0, 0],
        start=[minutes(2026, 1, 14, 9), minutes(2025, 12, 29, 8)],
        finish=[minutes(2026, 1, 14, 9), minutes(2026, 1, 6, 17)],
        work=[60.0, 4 * 480.0],
    )
    demand = cap.demand([CAL], edges, work, 1)
    # the second task: Mon 29, Tue 30, Wed 31 Dec, Thu 1, Fri 2 Jan, Mon 5, Tue 6: 2 of 7 days
    assert demand.tolist() == [[pytest.approx(4 * 480 * 2 / 7), 60.0]]


def test_fast_demand_equals_the_assignment_matrix_on_a_random_portfolio() -> None:
    rng = np.random.default_rng(7)
    a, r = 5000, 60
    cals = [CAL, Calendar.every_day("7d"), Calendar.standard("other")]
    start = minutes(2025, 1, 1) + rng.integers(0, 2 * 365 * 1440, a)
    finish = start + rng.integers(0, 40 * 1440, a)
    work = cap.Work.of(
        rng.integers(0, r, a), rng.integers(0, 3, a), start, finish, rng.uniform(0, 5000, a)
    )
    edges = cap.edges_of(cap.period_bounds(dt.date(2025, 1, 1), dt.date(2026, 12, 31), "week"))
    fast = cap.demand(cals, edges, work, r)
    matrix = cap.spread(cals, edges, work)
    slow = np.zeros_like(fast)
    np.add.at(slow, work.resource, matrix)
    assert np.allclose(fast, slow, atol=1e-4)
    assert (fast >= 0).all()


def test_aggregate_by_group_weights() -> None:
    values = np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]])
    weights = np.array([[1, 1, 0], [0, 1, 1]])
    assert cap.aggregate(values, weights).tolist() == [[11.0, 22.0], [110.0, 220.0]]
    with pytest.raises(ValidationFailed):
        cap.aggregate(values, np.ones((2, 2)))


def test_bad_input_is_reported() -> None:
    with pytest.raises(ValidationFailed):
        cap.Work.of([0], [0], [0, 1], [1], [1.0])
    with pytest.raises(ValidationFailed):
        cap.Work.of([0], [0], [0], [1], [-1.0])
    edges = cap.edges_of([dt.date(2026, 1, 5), dt.date(2026, 1, 12)])
    with pytest.raises(ValidationFailed):
        cap.capacity([CAL], edges, [1], [1.0])
    with pytest.raises(ValidationFailed):
        cap.edges_of([dt.date(2026, 1, 5)])
