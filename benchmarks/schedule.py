"""Benchmark of the critical-path engine against a straightforward networkx pass.

    .venv/bin/python benchmarks/schedule.py [--tasks 1000000] [--links-per-task 3]
        [--nx-tasks N] [--skip-networkx] [--seed 1]

Builds a random network (default 1,000,000 tasks, ~3,000,000 links of all four types, a third
of them with lags, some negative), on a Mon-Fri 8 h calendar with French public holidays,
shuffles the task rows so the engine has to sort them, then times

* pmo: ``pmo.engine.cpm.schedule`` (validation, CSR layout, topological sort, calendar
  index, forward and backward pass, total and free float, critical and longest path,
  conversion of every date to datetime64) after a warm-up that loads the compiled kernels;
* networkx: a plain pass over a ``networkx.DiGraph`` (topological sort, forward and backward
  pass with the same link rules in working minutes, floats), on the same network unless
  ``--nx-tasks`` asks for a smaller one (then its time is extrapolated linearly and labelled
  so). The graph construction is timed separately from the pass.

Peak memory is the process's maximum resident set size (``ru_maxrss``) read before networkx
runs. Both schedules are checked to give the same early/late dates.
"""

from __future__ import annotations

import argparse
import bisect
import resource
import sys
import time
from datetime import datetime

import numpy as np

from pmo.engine.calendar import Calendar, to_minutes
from pmo.engine.cpm import schedule, warm_up
from pmo.engine.plan import LinkTable, Plan, TaskTable

DAY = 480
START = datetime(2026, 1, 5)


def make_network(n: int, links_per_task: float, seed: int) -> tuple[TaskTable, LinkTable]:
    rng = np.random.default_rng(seed)
    dur = rng.integers(1, 21, n) * DAY
    dur[rng.random(n) < 0.05] = 0  # milestones
    m = int(n * links_per_task)
    # Projects of 500 tasks in 5 waves (a portfolio): inside a project a link reaches back at
    # most 100 tasks; 5 % of the links are cross-project, from a project of the previous wave.
    size = 500
    n_proj = max(1, n // size)
    per_wave = max(1, n_proj // 5)
    succ = rng.integers(1, n, m)
    proj = np.minimum(succ // size, n_proj - 1)
    first = proj * size
    offset = succ - first
    pred = succ - rng.integers(1, 101, m)
    pred = np.maximum(pred, first)  # stay in the project
    cross = (rng.random(m) < 0.05) & (proj >= per_wave)
    wave = proj // per_wave
    src_proj = (wave - 1) * per_wave + rng.integers(0, per_wave, m)
    pred = np.where(cross, src_proj * size + rng.integers(0, size, m), pred)
    keep = (pred < succ) & ((offset > 0) | cross)
    pred, succ = pred[keep], succ[keep]
    key = np.unique(pred * n + succ)  # one link per pair (networkx keeps one edge per pair)
    pred, succ = key // n, key % n
    m = pred.size
    kind = rng.choice(4, m, p=[0.7, 0.15, 0.1, 0.05]).astype(np.int8)  # FS SS FF SF
    lag = np.where(rng.random(m) < 1 / 3, rng.integers(-2 * 8, 5 * 8 + 1, m) * 60, 0)
    # shuffle rows so the task order is not a topological order
    perm = rng.permutation(n)  # position -> row
    tasks = TaskTable(id=np.arange(n).astype("U8"), duration=np.empty(n, np.int64))
    tasks.duration[perm] = dur
    links = LinkTable(
        predecessor=perm[pred],
        successor=perm[succ],
        type=kind,
        lag=lag.astype(np.float64),
        lag_unit=np.zeros(m, np.int8),
    )
    return tasks, links


def networkx_pass(
    tasks: TaskTable, links: LinkTable, cal: Calendar, timer: dict[str, float]
) -> tuple[list[int], list[int], list[int], list[int]]:
    """The textbook pass on a networkx graph, in working minutes of the one calendar."""
    import networkx as nx

    t0 = time.perf_counter()
    g = nx.DiGraph()
    dur = tasks.duration.tolist()
    g.add_nodes_from(range(len(dur)))
    g.add_edges_from(
        (p, s, {"type": int(t), "lag": int(lg)})
        for p, s, t, lg in zip(
            links.predecessor.tolist(),
            links.successor.tolist(),
            links.type.tolist(),
            links.lag.tolist(),
            strict=True,
        )
    )
    t1 = time.perf_counter()
    order = list(nx.topological_sort(g))
    es = [0] * len(dur)
    ef = [0] * len(dur)
    for j in order:
        start = 0
        d = dur[j]
        for p, attrs in g.pred[j].items():
            t, lag = attrs["type"], attrs["lag"]
            if t == 0:
                start = max(start, ef[p] + lag)
            elif t == 1:
                start = max(start, es[p] + lag)
            elif t == 2:
                start = max(start, ef[p] + lag - d)
            else:
                start = max(start, es[p] + lag - d)
        es[j] = start
        ef[j] = start + d
    finish = max(ef)
    ls = [0] * len(dur)
    lf = [0] * len(dur)
    for j in reversed(order):
        d = dur[j]
        late = finish
        for s, attrs in g.succ[j].items():
            t, lag = attrs["type"], attrs["lag"]
            if t == 0:
                late = min(late, ls[s] - lag)
            elif t == 1:
                late = min(late, ls[s] - lag + d)
            elif t == 2:
                late = min(late, lf[s] - lag)
            else:
                late = min(late, lf[s] - lag + d)
        lf[j] = late
        ls[j] = late - d
    total_float = [lf[j] - ef[j] for j in range(len(dur))]
    # working ordinals -> dates, one bisect per date, as a plain implementation would
    idx = cal.index(START.date(), START.date().replace(year=START.year + 60))
    cum_end = idx.cum_end.tolist()
    starts = idx.starts.tolist()
    cum = idx.cum.tolist()
    base = idx.ordinal(0, to_minutes(START))

    def moment(w: int) -> int:
        k = bisect.bisect_right(cum_end, w + base)
        return starts[k] + (w + base - cum[k])

    es_dates = [moment(w) for w in es]
    t2 = time.perf_counter()
    timer["build"] = t1 - t0
    timer["pass"] = t2 - t1
    del total_float, es_dates
    return es, ef, ls, lf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--links-per-task", type=float, default=3.15)
    ap.add_argument("--nx-tasks", type=int, default=None, help="run networkx on a smaller network")
    ap.add_argument("--skip-networkx", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    t = time.perf_counter()
    warm_up()
    print(f"warm-up (load or compile kernels): {time.perf_counter() - t:.2f} s")

    cal = Calendar.standard().with_public_holidays("FR", range(2026, 2086))
    tasks, links = make_network(args.tasks, args.links_per_task, args.seed)
    plan = Plan(tasks=tasks, links=links, calendars=(cal,), project_start=START)
    types = np.bincount(links.type, minlength=4)
    print(
        f"network: {len(tasks):,} tasks, {len(links):,} links "
        f"(FS {types[0]:,}, SS {types[1]:,}, FF {types[2]:,}, SF {types[3]:,}; "
        f"{int((links.lag != 0).sum()):,} with lags), calendar Mon-Fri 8 h + FR holidays"
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    result = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = schedule(plan)
        times.append(time.perf_counter() - t)
    assert result is not None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pmo_time = min(times)
    print(
        f"pmo schedule(): best {pmo_time:.3f} s of {args.repeat} "
        f"({', '.join(f'{x:.3f}' for x in times)})"
    )
    print(
        f"  project finish {result.project_finish:%Y-%m-%d %H:%M}, "
        f"{result.project_duration / DAY:,.0f} working days, "
        f"{int(result.critical.sum()):,} critical tasks, "
        f"{int(result.longest_path.sum()):,} on the longest path"
    )
    print(f"peak memory (max RSS): {rss:,.0f} MiB (network built: {rss_before:,.0f} MiB)")
    sys.stdout.flush()
    if args.skip_networkx:
        return

    n_nx = args.nx_tasks or args.tasks
    if n_nx != args.tasks:
        tasks_nx, links_nx = make_network(n_nx, args.links_per_task, args.seed)
    else:
        tasks_nx, links_nx = tasks, links
    timer: dict[str, float] = {}
    es, ef, ls, lf = networkx_pass(tasks_nx, links_nx, cal, timer)
    scale = args.tasks / n_nx
    label = "" if scale == 1 else f" (measured on {n_nx:,} tasks, extrapolated linearly x{scale:g})"
    nx_pass = timer["pass"] * scale
    nx_build = timer["build"] * scale
    print(f"networkx: graph build {nx_build:.2f} s, pass {nx_pass:.2f} s{label}")
    print(f"speed-up: {nx_pass / pmo_time:.1f}x on the pass, "
          f"{(nx_pass + nx_build) / pmo_time:.1f}x including the graph build")  # fmt: skip
    if scale == 1:
        # same dates? (networkx works in working minutes from the project start)
        idx = cal.index(START.date(), START.date().replace(year=START.year + 60))
        base = idx.ordinal(0, to_minutes(START))
        got = idx.ordinal(0, result.early_start.astype(np.int64)) - base
        lf_got = idx.ordinal(0, result.late_finish.astype(np.int64)) - base
        same = np.array_equal(got, np.asarray(es)) and np.array_equal(lf_got, np.asarray(lf))
        print(f"early starts and late finishes identical to networkx: {same}")
        del ef, ls


if __name__ == "__main__":
    main()
