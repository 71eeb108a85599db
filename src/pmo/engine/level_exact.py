"""Exact resource levelling with OR-Tools CP-SAT, warm-started by the heuristic.

The model (Schutt, Feydy, Stuckey & Wallace 2011, "Explaining the cumulative propagator",
Constraints 16:250-282, showed lazy clause generation with cumulative closes most PSPLIB
instances; CP-SAT is a descendant of that technique):

* one fixed-size interval per task to level, its start domain cut to [ES, min(UB - tail, LS)]
  where ES is the temporal early start, ``tail`` the longest path from the task's start to the
  end of the plan and UB the heuristic makespan (so the search only looks at schedules at
  least as good as the warm start);
* generalised precedence as start-to-start differences;
* one ``cumulative`` per resource at its peak capacity, with fixed intervals filling the gap
  down to the period's real capacity (calendars, leave, fixed tasks);
* redundant ``no_overlap`` on the largest set of tasks of which no two fit together on a
  resource (the tasks needing more than half the capacity, plus one) - the disjunctive
  reasoning of Baptiste & Le Pape (2000) that cumulative alone propagates weakly;
* the makespan bounded below by the critical-path and energy bounds (pmo.engine.level) and
  above by the heuristic; the heuristic's schedule is given as a solution hint.

The objective is the makespan; when the plan has soft deadlines or different priorities a
second phase fixes the makespan and minimises tardiness, then priority-weighted finishes.
CP-SAT's best bound is the reported lower bound; ``optimal`` means the makespan is proven
minimal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from pmo.engine.level_heuristic import NO_BOUND, run_heuristic
from pmo.errors import SolverError

if TYPE_CHECKING:
    from pmo.engine.level import LevelOptions, Prepared

I64 = npt.NDArray[np.int64]

#: share of the time limit given to the heuristic warm start
WARM_START_SHARE = 0.2
#: schedules budget of the warm start
WARM_START_SCHEDULES = 5_000
#: CP-SAT parameters on top of the defaults (see docs/levelling.md for why)
CP_SAT_PARAMETERS: dict[str, object] = {}
#: add a "smallest start first" decision strategy (used by the fixed-search worker)
START_TIME_BRANCHING = False
#: add the redundant no_overlap cliques
DISJUNCTIVE_CLIQUES = True


@dataclass(frozen=True)
class ExactOutcome:
    starts: I64
    lower_bound: int
    optimal: bool
    schedules: int
    status: str


def _tails(prep: Prepared) -> I64:
    """Longest path from each task's start to the end of the plan (at least its duration)."""
    nm = prep.norm
    n = nm.n
    tail = nm.dur.copy()
    order = np.argsort(nm.links[:, 0], kind="stable")
    src = nm.links[order, 0]
    dst = nm.links[order, 1]
    dist = nm.dist[order]
    ptr = np.searchsorted(src, np.arange(n + 1))
    for j in prep.topo[::-1].tolist():
        k0, k1 = ptr[j], ptr[j + 1]
        if k1 > k0:
            tail[j] = max(int(tail[j]), int((dist[k0:k1] + tail[dst[k0:k1]]).max()))
    return tail


def disjunctive_cliques(
    dem: I64, cap: I64, tasks: list[int], *, max_cliques: int, min_size: int = 3
) -> list[list[int]]:
    """A greedy cover of the incompatibility graph (two tasks are incompatible when their
    demands on some resource exceed its capacity together, so they can never overlap) by
    cliques; each clique becomes a redundant ``no_overlap``, whose edge-finding and
    not-first/not-last reasoning (Vilím 2004; Baptiste, Le Pape & Nuijten 2001) is much
    stronger than cumulative time-tabling on tightly constrained plans."""
    if len(tasks) < min_size:
        return []
    d = dem[tasks]  # (k, R)
    incompatible = np.any(d[:, None, :] + d[None, :, :] > cap[None, None, :], axis=2)
    np.fill_diagonal(incompatible, False)
    uncovered = incompatible.copy()
    degree = incompatible.sum(axis=1)
    cliques: list[list[int]] = []
    while len(cliques) < max_cliques and uncovered.any():
        # seed with the uncovered edge of the highest-degree vertex
        u = int(np.argmax(np.where(uncovered.any(axis=1), degree, -1)))
        members = [u]
        cand = incompatible[u].copy()
        # prefer vertices with uncovered edges to the clique, then high degree
        while cand.any():
            score = np.where(cand, degree + 1000 * uncovered[members].any(axis=0), -1)
            v = int(np.argmax(score))
            members.append(v)
            cand &= incompatible[v]
        if len(members) < min_size:
            uncovered[members[0], members[1:]] = False
            uncovered[members[1:], members[0]] = False
            continue
        idx = np.array(members)
        uncovered[np.ix_(idx, idx)] = False
        cliques.append([tasks[i] for i in members])
    return cliques


def solve_exact(
    prep: Prepared, opts: LevelOptions, rng: np.random.Generator, *, deadline: float
) -> ExactOutcome:
    a = prep.arrays
    nm = prep.norm
    n = nm.n
    free = a.free
    secondary = bool(
        np.any(a.soft_deadline < NO_BOUND) or (a.weight.size > 0 and np.ptp(a.weight) > 0)
    )

    # 1. heuristic warm start
    remaining = deadline - time.perf_counter()
    h = run_heuristic(
        a,
        schedules=max(opts.schedules, WARM_START_SCHEDULES),
        time_limit=max(0.0, remaining * WARM_START_SHARE),
        rng=rng,
        lower_bound=prep.lower_bound,
    )
    heur_starts = h.starts
    heur_hard_ok = bool(np.all((heur_starts + nm.dur)[free] <= a.hard_deadline[free]))
    if h.makespan <= prep.lower_bound and heur_hard_ok and not secondary:
        return ExactOutcome(heur_starts, h.makespan, True, h.schedules, "optimal")

    # 2. CP-SAT
    ub = h.makespan if heur_hard_ok else int(a.horizon)
    ub = max(ub, prep.lower_bound)
    tail = _tails(prep)
    lo = prep.early
    hi = np.minimum(ub - tail, a.latest)
    if np.any(hi[free] < lo[free]):
        if heur_hard_ok:  # cannot happen: the heuristic schedule fits these domains
            raise SolverError("internal error: empty start domain under the heuristic bound")
        raise SolverError("the hard deadlines and fixed tasks cannot all be met")

    model = cp_model.CpModel()
    start: dict[int, cp_model.IntVar] = {}
    intervals: dict[int, cp_model.IntervalVar] = {}
    for j in np.flatnonzero(free).tolist():
        start[j] = model.new_int_var(int(lo[j]), int(hi[j]), f"s{j}")
        if nm.dur[j] > 0:
            intervals[j] = model.new_fixed_size_interval_var(start[j], int(nm.dur[j]), f"i{j}")

    def start_expr(j: int) -> cp_model.LinearExprT:
        return start[j] if free[j] else int(nm.fixed[j])

    for k in range(nm.links.shape[0]):
        i, j = int(nm.links[k, 0]), int(nm.links[k, 1])
        if free[i] or free[j]:
            model.add(start_expr(j) >= start_expr(i) + int(nm.dist[k]))

    makespan = model.new_int_var(max(prep.lower_bound, a.fixed_end), ub, "makespan")
    # makespan >= finish of every task whose finish is not implied by a successor's
    succ_cover = np.zeros(n, np.bool_)
    if nm.links.shape[0]:
        implied = nm.dist + nm.dur[nm.links[:, 1]] >= nm.dur[nm.links[:, 0]]
        succ_cover[nm.links[implied, 0]] = True
    for j in start:
        if not succ_cover[j]:
            model.add(makespan >= start[j] + int(nm.dur[j]))

    # resources: cumulative at the peak capacity, with blocks for lower-capacity periods
    peaks: list[int] = []
    for r in range(nm.r):
        users = [j for j in intervals if nm.dem[j, r] > 0]
        if not users:
            peaks.append(int(nm.cap[r]))
            continue
        col = a.avail0[:ub, r]
        peak = int(max(int(nm.cap[r]), int(col.max(initial=0))))
        ivs = [intervals[j] for j in users]
        dems = [int(nm.dem[j, r]) for j in users]
        gap = peak - np.maximum(col, 0)
        t = 0
        while t < ub:
            if gap[t] > 0:
                t1 = t
                while t1 < ub and gap[t1] == gap[t]:
                    t1 += 1
                ivs.append(model.new_fixed_size_interval_var(t, t1 - t, f"b{r}_{t}"))
                dems.append(int(gap[t]))
                t = t1
            else:
                t += 1
        model.add_cumulative(ivs, dems, peak)
        peaks.append(peak)

    # redundant disjunctive cliques
    if DISJUNCTIVE_CLIQUES and len(intervals) <= 1000 and nm.r:
        peak_arr = np.array(peaks, np.int64) if peaks else nm.cap
        for clique in disjunctive_cliques(
            nm.dem, peak_arr, list(intervals), max_cliques=2 * len(intervals)
        ):
            model.add_no_overlap([intervals[j] for j in clique])

    for j, v in start.items():
        model.add_hint(v, int(heur_starts[j]))
    model.add_hint(makespan, int(h.makespan))
    model.minimize(makespan)
    if START_TIME_BRANCHING:
        model.add_decision_strategy(
            list(start.values()), cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE
        )

    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = max(1, int(opts.num_workers))
    p.random_seed = int(opts.seed)
    p.log_search_progress = bool(opts.log)
    p.max_time_in_seconds = max(0.01, deadline - time.perf_counter())
    for key, value in CP_SAT_PARAMETERS.items():
        if isinstance(value, list):
            getattr(p, key).extend(value)
        else:
            setattr(p, key, value)
    status = solver.solve(model)
    schedules = h.schedules

    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        starts = heur_starts.copy()
        for j, v in start.items():
            starts[j] = solver.value(v)
        best = int(solver.value(makespan))
        lower = int(max(prep.lower_bound, min(best, int(solver.best_objective_bound))))
        optimal = status == cp_model.OPTIMAL
        if heur_hard_ok and h.makespan <= best and not optimal:
            starts, best = heur_starts, h.makespan
    elif status == cp_model.INFEASIBLE:
        if heur_hard_ok:
            # nothing better than the heuristic exists below its makespan: it is optimal
            return ExactOutcome(heur_starts, h.makespan, True, schedules, "optimal")
        raise SolverError("the hard deadlines and fixed tasks cannot all be met")
    elif status == cp_model.UNKNOWN:
        if not heur_hard_ok:
            raise SolverError("no schedule meeting the hard deadlines found in the time limit")
        lower = int(max(prep.lower_bound, min(h.makespan, int(solver.best_objective_bound))))
        return ExactOutcome(
            heur_starts, lower, lower >= h.makespan, schedules, "feasible (heuristic)"
        )
    else:
        raise SolverError(f"CP-SAT failed: {solver.status_name(status)}")

    # 3. tie-breaks: soft-deadline tardiness, then priority-weighted finishes
    if secondary and deadline - time.perf_counter() > 0.05:
        model.add(makespan <= best)
        terms: list[cp_model.LinearExprT] = []
        coeffs: list[int] = []
        wscale = int(sum(int(w) for w in a.weight) * ub + 1)
        for j, v in start.items():
            d = int(nm.dur[j])
            if a.soft_deadline[j] < NO_BOUND:
                tard = model.new_int_var(0, max(0, ub), f"t{j}")
                model.add(tard >= v + d - int(a.soft_deadline[j]))
                terms.append(tard)
                coeffs.append(wscale)
            terms.append(v)
            coeffs.append(int(a.weight[j]))
        model.clear_hints()
        for j, v in start.items():
            model.add_hint(v, int(starts[j]))
        model.minimize(cp_model.LinearExpr.weighted_sum(terms, coeffs))
        p.max_time_in_seconds = max(0.01, deadline - time.perf_counter())
        status2 = solver.solve(model)
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            for j, v in start.items():
                starts[j] = solver.value(v)

    return ExactOutcome(starts, lower, optimal, schedules, "optimal" if optimal else "feasible")
