"""Benchmark: heuristic levelling of a large portfolio plan with calendars.

A synthetic portfolio of 100 projects and 10,000 tasks sharing 50 resources over calendar
days: each project is a random network (finish-to-start links mostly, some start-to-start and
finish-to-finish with lags), released one after the other, with a priority; the first tasks of
the first projects are in progress (fixed); some tasks have soft deadlines. Capacities follow
a calendar as a capacity profile: a weekend crew (a third of the staff) on Saturdays and
Sundays and on public holidays, and each resource loses one unit during a few weeks of leave.
Long tasks are staffed at a level the weekend crew can keep up (a task cannot pause).

    .venv/bin/python benchmarks/level.py [--tasks N] [--resources N] [--projects N]
                                         [--time-limit S] [--schedules N] [--seed N]

Prints the time to prepare the problem (validation, temporal analysis, arrays), the time to
the first levelled schedule, the total time of ``level()`` (engine "heuristic"; it stops at
``--time-limit`` or ``--schedules``), the schedules generated, the makespan against the
critical-path/energy lower bound, the independent feasibility check, and one explained move.
Target: <= 10 s in total on the 2-core reference machine. The first run in a fresh checkout
also compiles the numba kernels (cached afterwards); a small warm-up run takes that cost
outside the measurement.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pmo.engine.level import (
    FF,
    FS,
    SS,
    LevelOptions,
    LevelProblem,
    check_schedule,
    level,
    prepare,
)
from pmo.engine.level_heuristic import run_heuristic


def generate(
    n_tasks: int, n_resources: int, n_projects: int, seed: int, horizon_days: int = 3 * 365
) -> LevelProblem:
    rng = np.random.default_rng(seed)
    per = n_tasks // n_projects
    project = np.repeat(np.arange(n_projects), per)
    n = project.shape[0]
    durations = rng.integers(1, 16, n)
    capacity = rng.integers(3, 11, n_resources)
    crew = np.ceil(capacity / 3).astype(np.int64)
    demands = np.zeros((n, n_resources), np.int64)
    for j in range(n):
        for r in rng.choice(n_resources, size=rng.integers(1, 3), replace=False):
            d = int(rng.integers(1, 4))
            if durations[j] > 5:  # spans a weekend: staffed at the weekend crew's level
                d = min(d, int(crew[r]))
            demands[j, r] = min(d, int(capacity[r]))
    links: list[tuple[int, int]] = []
    types: list[int] = []
    lags: list[int] = []
    for p in range(n_projects):
        base = p * per
        for k in range(1, per):
            # each task follows 1-2 earlier tasks of its project (a layered random network)
            for i in rng.choice(k, size=min(k, int(rng.integers(1, 3))), replace=False):
                links.append((base + int(i), base + k))
                kind = rng.choice([FS, SS, FF], p=[0.8, 0.1, 0.1])
                types.append(int(kind))
                lags.append(int(rng.integers(-2, 4)) if kind == FS else int(rng.integers(0, 3)))
    release = (project * 5).astype(np.int64)
    priority = rng.integers(1, 6, n_projects)[project]
    # in progress: the first two tasks of the first ten projects (started before day 0)
    fixed = np.zeros(n, np.bool_)
    fixed_start = np.zeros(n, np.int64)
    for p in range(min(10, n_projects)):
        for k in range(2):
            j = p * per + k
            fixed[j] = True
            fixed_start[j] = -int(rng.integers(0, int(durations[j])))
            release[j] = 0
    # links into a fixed task would constrain the past: keep them out
    keep = ~fixed[np.array([b for _, b in links])]
    link_arr = np.array(links, np.int64)[keep]
    deadline = np.full(n, -1, np.int64)
    ends = np.arange(n_projects) * per + per - 1
    deadline[ends] = release[ends] + rng.integers(200, 600, n_projects)
    # calendar: weekend crew on weekends and public holidays, one unit less during leave
    profile = np.repeat(capacity[:, None], horizon_days, axis=1)
    day = np.arange(horizon_days)
    off = (day % 7 >= 5) | np.isin(day % 365, [0, 100, 120, 150, 220, 358, 359])
    profile[:, off] = crew[:, None]
    for r in range(n_resources):
        for _ in range(3):
            a = int(rng.integers(0, horizon_days - 14))
            profile[r, a : a + 14] = np.maximum(profile[r, a : a + 14] - 1, 0)
    return LevelProblem(
        durations=durations,
        demands=demands,
        capacity=capacity,
        links=link_arr,
        link_types=np.array(types, np.int64)[keep],
        lags=np.array(lags, np.int64)[keep],
        release=release,
        fixed=fixed,
        fixed_start=fixed_start,
        deadline=deadline,
        priority=priority,
        capacity_profile=profile,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--resources", type=int, default=50)
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--time-limit", type=float, default=9.0)
    ap.add_argument("--schedules", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t = time.perf_counter()
    problem = generate(args.tasks, args.resources, args.projects, args.seed)
    gen = time.perf_counter() - t
    # warm-up: load/compile the numba kernels outside the measurement
    small = generate(200, 5, 4, args.seed + 1, horizon_days=100)
    level(small, LevelOptions(engine="heuristic", schedules=2000, time_limit=30))

    t = time.perf_counter()
    prep = prepare(problem)
    t_prep = time.perf_counter() - t
    t = time.perf_counter()
    # one list: its forward pass and the passes of its justification (two rounds of a
    # backward and a forward pass on a plan this size)
    first = run_heuristic(
        prep.arrays, schedules=5, time_limit=1e9, rng=np.random.default_rng(args.seed)
    )
    t_first = time.perf_counter() - t

    opts = LevelOptions(
        engine="heuristic", time_limit=args.time_limit, schedules=args.schedules, seed=args.seed
    )
    t = time.perf_counter()
    result = level(problem, opts)
    total = time.perf_counter() - t
    t = time.perf_counter()
    violations = check_schedule(problem, result.starts)
    t_check = time.perf_counter() - t

    links = problem.links.shape[0]
    print(
        f"plan: {problem.n_tasks} tasks, {links} links, {problem.n_resources} resources, "
        f"{int(np.asarray(problem.fixed).sum())} fixed, calendar of "
        f"{np.asarray(problem.capacity_profile).shape[1]} days (generated in {gen:.2f} s)"
    )
    print(f"prepare (validate, temporal analysis, arrays): {t_prep:.3f} s")
    print(f"first schedule (LFT rule, SGS + justification): {t_first:.3f} s")
    print(
        f"level(engine=heuristic): {total:.2f} s, {result.schedules} schedules, makespan "
        f"{result.makespan} (first schedule {first.makespan}), lower bound {result.lower_bound} "
        f"({100 * (result.makespan - result.lower_bound) / max(1, result.lower_bound):.1f} % "
        "above)"
    )
    print(
        f"check_schedule: {len(violations)} violations ({t_check:.2f} s); "
        f"{len(result.moves)} tasks moved, {len(result.late)} past a soft deadline"
    )
    for v in violations[:5]:
        print("  ", v)
    resource_moves = [m for m in result.moves if m.resource is not None]
    if resource_moves:
        print("example:", resource_moves[0].describe(problem))
    print("target <= 10 s:", "met" if total <= 10 else "NOT met")


if __name__ == "__main__":
    main()
