"""Benchmark: EVM and earned schedule for a whole portfolio, every entity and period at once.

A synthetic portfolio of 1,000 projects and 200,000 tasks over 36 monthly periods, measured up
to a status period (the later periods are NaN, as they are in a live portfolio): every EVM and
ES measure for every task, every project and the portfolio, with tasks converted from their
project's currency to the reporting currency before rollup.

    .venv/bin/python benchmarks/evm.py [--tasks N] [--projects N] [--periods N] [--status N]
                                       [--repeat N] [--chunk ROWS]

Prints the wall time of the computation, data generation excluded: the first run in the
process and the best of ``--repeat`` more, with the CPU time (user / system) of the first run,
and the peak memory it allocated (tracemalloc: numpy reports its buffers there). The first run
pays for paging in ~1 GiB of new result arrays, which the system time shows. ``--chunk`` also
times the task level computed block by block (bounded memory). Target: <= 2 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pmo.engine.evm import EvmMeasures, EvmSeries, compute_evm, iter_compute_evm, rollup


@dataclass(frozen=True)
class Portfolio:
    tasks: EvmSeries
    project_of_task: np.ndarray
    n_projects: int
    fx_of_task: np.ndarray  # task currency -> reporting currency


def generate(
    n_tasks: int, n_projects: int, n_periods: int, status: int, seed: int = 7
) -> Portfolio:
    """Tasks with linear PV between a start and a finish period, EV that lags or leads the plan
    by a per-task factor (capped at BAC), AC = EV / a per-task cost efficiency, all cumulative.
    Periods after ``status`` are unmeasured (NaN)."""
    rng = np.random.default_rng(seed)
    project = np.sort(rng.integers(0, n_projects, n_tasks))
    start = rng.integers(0, n_periods - 1, n_tasks)
    duration = np.minimum(rng.integers(1, 13, n_tasks), n_periods - start)
    bac = np.round(rng.lognormal(10.0, 1.0, n_tasks), 2)
    t = np.arange(1, n_periods + 1, dtype=np.float64)
    share = np.clip((t[None, :] - start[:, None]) / duration[:, None], 0.0, 1.0)
    pv = share * bac[:, None]
    pace = rng.uniform(0.6, 1.25, n_tasks)[:, None]  # schedule efficiency
    done_share = np.clip((t[None, :] - start[:, None]) * pace / duration[:, None], 0.0, 1.0)
    ev = done_share * bac[:, None]
    cost_eff = rng.uniform(0.7, 1.2, n_tasks)[:, None]
    ac = ev / cost_eff
    ev[:, status:] = np.nan
    ac[:, status:] = np.nan
    currency_rate = np.array([1.0, 1.08, 0.0067, 1.27])  # e.g. EUR, USD, JPY, GBP -> EUR
    fx = currency_rate[rng.integers(0, currency_rate.size, n_projects)][project]
    series = EvmSeries.from_arrays(pv, ev, ac, bac=bac, planned_duration=(start + duration))
    return Portfolio(series, project, n_projects, fx)


def run_all(p: Portfolio) -> tuple[EvmMeasures, EvmMeasures, EvmMeasures]:
    """Everything the benchmark times: measures per task, rollup to projects (converted to the
    reporting currency) and to the portfolio, measures per project and for the portfolio."""
    tasks = compute_evm(p.tasks)
    projects = rollup(p.tasks, p.project_of_task, p.n_projects, factor=p.fx_of_task)
    portfolio = rollup(projects, np.zeros(p.n_projects, dtype=np.intp), 1)
    return tasks, compute_evm(projects), compute_evm(portfolio)


def run_chunked(p: Portfolio, rows: int) -> tuple[int, EvmMeasures, EvmMeasures]:
    """As :func:`run_all`, the task level block by block; each block is reduced (the count of
    tasks behind schedule at the status period) and dropped, as a service storing snapshots
    would."""
    late = 0
    for _, m in iter_compute_evm(p.tasks, rows):
        last = m.sv_t[:, np.isfinite(m.ev).any(axis=0)][:, -1]
        late += int(np.count_nonzero(last < 0))
    projects = rollup(p.tasks, p.project_of_task, p.n_projects, factor=p.fx_of_task)
    portfolio = rollup(projects, np.zeros(p.n_projects, dtype=np.intp), 1)
    return late, compute_evm(projects), compute_evm(portfolio)


@dataclass(frozen=True)
class Timing:
    first: float  # wall time of the first run in the process
    first_user: float  # its CPU time, user and system
    first_system: float
    best: float  # best wall time of the runs after it
    peak: int  # bytes allocated at the peak of one traced run

    def __str__(self) -> str:
        return (
            f"{self.best:.3f} s (best of the runs after the first; first run {self.first:.3f} s,"
            f" CPU {self.first_user:.2f} s user + {self.first_system:.2f} s system),"
            f" peak {self.peak / 2**20:,.0f} MiB allocated"
        )


def measure[T](func: Callable[[], T], repeat: int) -> tuple[Timing, T]:
    """Time the first run (loading the numba kernel from its cache, or compiling it, and the
    page faults of freshly allocated memory), the best of ``repeat`` more, and the peak memory
    of one traced run."""
    c0 = os.times()
    t0 = time.perf_counter()
    result = func()
    first = time.perf_counter() - t0
    c1 = os.times()
    del result
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - t0)
        del result
    tracemalloc.start()
    result = func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Timing(first, c1.user - c0.user, c1.system - c0.system, best, peak), result


_BASELINE = """
import os, sys, time
import numpy as np
n = int(sys.argv[1])
c0, t0 = os.times(), time.perf_counter()
keep = [np.ones(n // 8 // 64) for _ in range(64)]
c1 = os.times()
print(time.perf_counter() - t0, c1.user - c0.user, c1.system - c0.system)
"""


def page_in_baseline(nbytes: int) -> str:
    """For scale: a fresh process allocating and filling ``nbytes`` with ``np.ones`` and
    nothing else (first-touch page faults of new memory: the cost the first run pays)."""
    out = subprocess.run(
        [sys.executable, "-c", _BASELINE, str(nbytes)], capture_output=True, text=True, check=True
    ).stdout.split()
    wall, user, system = (float(x) for x in out)
    return f"{wall:.3f} s (CPU {user:.2f} s user + {system:.2f} s system)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=200_000)
    ap.add_argument("--projects", type=int, default=1_000)
    ap.add_argument("--periods", type=int, default=36)
    ap.add_argument("--status", type=int, default=24, help="last measured period")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=20_000, help="rows per block; 0 to skip")
    args = ap.parse_args()

    t0 = time.perf_counter()
    p = generate(args.tasks, args.projects, args.periods, args.status)
    gen = time.perf_counter() - t0
    print(
        f"portfolio: {args.tasks:,} tasks in {args.projects:,} projects, {args.periods} periods"
        f" (measured to period {args.status}); generated and validated in {gen:.2f} s"
    )
    input_mb = (p.tasks.pv.nbytes + p.tasks.ev.nbytes + p.tasks.ac.nbytes) / 2**20
    print(f"input arrays (PV, EV, AC per task): {input_mb:,.0f} MiB")

    timing, (tasks, projects, portfolio) = measure(lambda: run_all(p), args.repeat)
    print(f"all measures, all levels, kept in memory: {timing}")
    own = tasks.nbytes - (p.tasks.pv.nbytes + p.tasks.ev.nbytes + p.tasks.ac.nbytes)
    print(
        f"  task-level result arrays: {own / 2**20:,.0f} MiB; for scale, a fresh process only"
        f" allocating and filling as much with np.ones takes {page_in_baseline(own)}"
    )
    j = args.status - 1
    print(
        f"portfolio at period {args.status}: SPI {portfolio.spi[0, j]:.3f}"
        f" CPI {portfolio.cpi[0, j]:.3f} ES {portfolio.es[0, j]:.2f}"
        f" SPI(t) {portfolio.spi_t[0, j]:.3f} IEAC(t) {portfolio.ieac_t[0, j]:.2f} periods;"
        f" projects with SV(t) < 0: {int(np.count_nonzero(projects.sv_t[:, j] < 0)):,}"
    )
    del tasks, projects, portfolio

    if args.chunk:
        timing, (late, _, _) = measure(lambda: run_chunked(p, args.chunk), args.repeat)
        print(f"same, task level in blocks of {args.chunk:,} rows: {timing}")
        print(f"  tasks with SV(t) < 0 at the status period: {late:,}")
    print("target: <= 2 s for all measures of every task, project and the portfolio")


if __name__ == "__main__":
    main()
