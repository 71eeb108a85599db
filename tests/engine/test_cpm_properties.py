"""Properties of the schedule on random networks (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime

import networkx as nx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo.engine.calendar import Calendar, CalendarException, build_index, to_minutes
from pmo.engine.cpm import schedule
from pmo.engine.plan import LagUnit, LinkTable, Plan, TaskTable

START = datetime(2026, 3, 2)  # a Monday
CAL = Calendar.standard().with_exceptions(
    [CalendarException(date(2026, 3, 6), date(2026, 3, 6), name="holiday")]
)


@st.composite
def networks(draw: st.DrawFn, *, all_types: bool = True, lags: bool = True) -> Plan:
    n = draw(st.integers(1, 25))
    dur = draw(st.lists(st.integers(0, 24), min_size=n, max_size=n))  # in hours
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    edges = sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b})
    m = len(edges)
    types = draw(st.lists(st.integers(0, 3 if all_types else 0), min_size=m, max_size=m))
    lag_h = draw(
        st.lists(st.integers(-16 if lags else 0, 16 if lags else 0), min_size=m, max_size=m)
    )
    perm = draw(st.permutations(range(n)))  # rows not in topological order
    row = np.array(perm, dtype=np.int64)
    tasks = TaskTable(
        id=np.array([f"t{i}" for i in range(n)]),
        duration=np.zeros(n, np.int64),
    )
    tasks.duration[row] = np.array(dur, np.int64) * 60
    links = LinkTable(
        predecessor=row[np.array([a for a, _ in edges], np.int64)],
        successor=row[np.array([b for _, b in edges], np.int64)],
        type=np.array(types, np.int8),
        lag=np.array(lag_h, np.float64) * 60,
        lag_unit=np.full(m, LagUnit.WORKING, np.int8),
    )
    return Plan(tasks, links, (CAL,), START)


def _ordinal(values: np.ndarray) -> np.ndarray:
    """Working ordinals of result dates through the numpy index (not the numba kernels)."""
    idx = build_index([CAL], date(2026, 1, 1), date(2027, 12, 31))
    return idx.ordinal(0, values.astype(np.int64))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_every_link_holds_and_floats_are_consistent(plan: Plan) -> None:
    r = schedule(plan)
    es, ef = _ordinal(r.early_start), _ordinal(r.early_finish)
    ls, lf = _ordinal(r.late_start), _ordinal(r.late_finish)
    start = _ordinal(np.array([to_minutes(START)]))[0]
    dur = plan.tasks.duration
    assert (es >= start).all()
    assert (ef - es == dur).all() and (lf - ls == dur).all()
    for p, s, t, lag in zip(
        plan.links.predecessor, plan.links.successor, plan.links.type, plan.links.lag, strict=True
    ):
        lag = int(lag)
        if t == 0:  # FS: successor early start >= predecessor early finish + lag
            assert es[s] >= ef[p] + lag and ls[s] >= lf[p] + lag
        elif t == 1:  # SS
            assert es[s] >= es[p] + lag and ls[s] >= ls[p] + lag
        elif t == 2:  # FF
            assert ef[s] >= ef[p] + lag and lf[s] >= lf[p] + lag
        else:  # SF
            assert ef[s] >= es[p] + lag and lf[s] >= ls[p] + lag
    # no constraints: early <= late, float >= 0, free float <= total float
    assert (es <= ls).all()
    assert (r.total_float == ls - es).all()
    assert (r.total_float >= 0).all()
    assert (r.free_float >= 0).all() and (r.free_float <= r.total_float).all()
    # the task(s) finishing last are critical and on the longest path
    last = ef == ef.max()
    assert r.critical[last].all() and r.longest_path[last].all()
    assert (r.total_float[r.longest_path] == 0).all()
    assert _ordinal(np.array([to_minutes(r.project_finish)]))[0] == ef.max()


@settings(max_examples=100, deadline=None)
@given(networks(all_types=False, lags=False))
def test_project_length_is_the_longest_path(plan: Plan) -> None:
    """Finish-to-start, no lags, 24 h calendar: length = networkx's longest path."""
    cont = Plan(plan.tasks, plan.links, (Calendar.continuous(),), START)
    r = schedule(cont)
    g = nx.DiGraph()
    dur = plan.tasks.duration
    n = len(dur)
    g.add_nodes_from(range(n + 1))
    for p, s in zip(plan.links.predecessor, plan.links.successor, strict=True):
        g.add_edge(int(p), int(s), weight=int(dur[p]))
    for i in range(n):  # weight of the last task on a path: an edge to a sink
        g.add_edge(i, n, weight=int(dur[i]))
    assert r.project_duration == nx.dag_longest_path_length(g, weight="weight")


SEVEN = Calendar.every_day(times=((6 * 60, 14 * 60),))  # 7-day week, 06:00-14:00


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(lags=False), st.data())
def test_links_hold_in_calendar_time_across_calendars(plan: Plan, data: st.DataObject) -> None:
    """Tasks on two calendars: a start never comes before the date that drives it."""
    n = len(plan.tasks)
    on_seven = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    tasks = TaskTable(
        id=plan.tasks.id, duration=plan.tasks.duration, calendar=on_seven.astype(np.int32)
    )
    r = schedule(Plan(tasks, plan.links, (CAL, SEVEN), START))
    idx = build_index([CAL, SEVEN], date(2026, 1, 1), date(2027, 12, 31))
    es, ef = r.early_start.astype(np.int64), r.early_finish.astype(np.int64)
    ls = r.late_start.astype(np.int64)
    cal_of = on_seven.astype(int)
    dur = plan.tasks.duration
    for p, s, t in zip(plan.links.predecessor, plan.links.successor, plan.links.type, strict=True):
        src = ef[p] if t in (0, 2) else es[p]
        if t in (0, 1) and dur[s] > 0:  # a start is the first working moment at/after it
            assert es[s] >= src
        else:  # a finish (or a milestone) is compared on the successor's working time
            mine = ef[s] if t in (2, 3) else es[s]
            assert idx.ordinal(cal_of[s], int(mine)) >= idx.ordinal(cal_of[s], int(src))
    assert (es <= ls).all()
    assert (r.total_float >= 0).all()
    assert (r.free_float <= r.total_float).all()
