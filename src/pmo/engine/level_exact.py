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

On classic RCPSP plans of at most ``BNB_MAX_TASKS`` tasks the branch and bound of
:mod:`pmo.engine.level_bnb` runs first alone, then races CP-SAT in a worker thread (see
:class:`_Race`): it proves the tightly constrained small plans whose CP-SAT bound stalls.

The objective is the makespan; when the plan has soft deadlines or different priorities a
second phase fixes the makespan and minimises tardiness, then priority-weighted finishes.
CP-SAT's best bound is the reported lower bound; ``optimal`` means the makespan is proven
minimal.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from pmo.engine import level_bnb
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
#: run the branch and bound of :mod:`pmo.engine.level_bnb` beside CP-SAT on classic RCPSP
#: plans of at most this many tasks (PSPLIB J30 has 32 with the two dummies)
BNB_MAX_TASKS = 40
#: CP-SAT workers handed to the branch and bound while they race
RACE_WORKERS_GIVEN = 1
#: the branch and bound runs alone first for this long (at most this share of the time left)
BNB_SOLO_SECONDS = 0.3
BNB_SOLO_SHARE = 0.1
#: seconds kept at the end of a race to stop and join the branch and bound
RACE_MARGIN = 0.1
#: schedules budget of the warm start before the branch and bound
BNB_WARM_START_SCHEDULES = 1_000


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

    # 1. heuristic warm start (a short one when the branch and bound will race CP-SAT: it
    # finds better schedules itself, and most of these plans are closed in a few hundredths)
    race_ok = 0 < n <= BNB_MAX_TASKS and not secondary and level_bnb.applicable(prep)
    remaining = deadline - time.perf_counter()
    h = run_heuristic(
        a,
        schedules=BNB_WARM_START_SCHEDULES
        if race_ok
        else max(opts.schedules, WARM_START_SCHEDULES),
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
    race = (
        _Race(prep, h.makespan, heur_starts, start, solver, deadline)
        if race_ok and heur_hard_ok and level_bnb.applicable(prep, h.makespan)
        else None
    )
    p = solver.parameters
    p.num_workers = max(1, int(opts.num_workers))
    if race is not None:
        # the branch and bound takes one of the workers' share of the processors
        p.num_workers = max(1, int(opts.num_workers) - RACE_WORKERS_GIVEN)
    p.random_seed = int(opts.seed)
    p.log_search_progress = bool(opts.log)
    p.max_time_in_seconds = max(0.01, deadline - time.perf_counter())
    for key, value in CP_SAT_PARAMETERS.items():
        if isinstance(value, list):
            getattr(p, key).extend(value)
        else:
            setattr(p, key, value)
    if race is None:
        status = solver.solve(model)
    else:
        # the branch and bound alone first: it closes most small plans it applies to in a
        # fraction of CP-SAT's start-up time
        proof = race.solo(min(BNB_SOLO_SECONDS, BNB_SOLO_SHARE * (deadline - time.perf_counter())))
        if proof is not None:
            return ExactOutcome(proof[0], proof[1], True, h.schedules, "optimal")
        # not closed at once: the full warm start after all (a better bound for both sides)
        h2 = run_heuristic(
            a,
            schedules=max(opts.schedules, WARM_START_SCHEDULES),
            time_limit=max(0.0, (deadline - time.perf_counter()) * WARM_START_SHARE),
            rng=rng,
            lower_bound=prep.lower_bound,
        )
        if h2.makespan < h.makespan and bool(
            np.all((h2.starts + nm.dur)[free] <= a.hard_deadline[free])
        ):
            race.offer_schedule(h2.starts, h2.makespan)
            heur_starts = h2.starts
            model.clear_hints()
            for j, v in start.items():
                model.add_hint(v, int(heur_starts[j]))
            model.add_hint(makespan, int(h2.makespan))
        h = replace(h if h2.makespan >= h.makespan else h2, schedules=h.schedules + h2.schedules)
        p.max_time_in_seconds = max(0.01, deadline - time.perf_counter() - RACE_MARGIN)
        race.start()
        status = solver.solve(model, race.callback)
        proof = race.finish()
        if proof is not None:
            return ExactOutcome(proof[0], proof[1], True, h.schedules, "optimal")
        cp_found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        if race.best_makespan < (int(solver.objective_value) if cp_found else h.makespan):
            # the branch and bound found a schedule better than CP-SAT's and the heuristic's
            cp_bound = int(solver.best_objective_bound) if status != cp_model.INFEASIBLE else 0
            lower = int(max(prep.lower_bound, min(race.best_makespan, cp_bound)))
            return ExactOutcome(race.best_starts, lower, False, h.schedules, "feasible")
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


class _Race:
    """The branch and bound in a worker thread beside CP-SAT (its compiled kernel releases
    the GIL). Each CP-SAT solution lowers the bound the branch and bound must beat; a proof
    by either side stops the other. CP-SAT's objective bound is weak on tightly constrained
    plans (PSPLIB J30 sets 13, 29, 45: 54-83 against optima 62-103 after 10 s), where the
    branch and bound's cutset rule closes the question in seconds."""

    def __init__(
        self,
        prep: Prepared,
        upper_bound: int,
        starts: I64,
        variables: dict[int, cp_model.IntVar],
        solver: cp_model.CpSolver,
        deadline: float,
    ) -> None:
        self.bnb = level_bnb.BranchAndBound(prep, upper_bound)
        self.solver = solver
        # stop a little early: the worker thread must be joined before the time limit
        self.deadline = deadline - RACE_MARGIN
        self.dur = prep.norm.dur
        # the best schedule known, whoever found it; its makespan is the bound offered
        self.best_makespan = int(upper_bound)
        self.best_starts = starts.copy()
        self.lock = threading.Lock()
        self.outcome: level_bnb.BnbOutcome | None = None
        self.solved = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pmo-level-bnb", daemon=True)
        race = self

        class Callback(cp_model.CpSolverSolutionCallback):
            def __init__(self, starts: dict[int, cp_model.IntVar]) -> None:
                super().__init__()
                self.vars = starts

            def on_solution_callback(self) -> None:
                value = int(self.objective_value)
                with race.lock:
                    if value < race.best_makespan:
                        sol = race.best_starts.copy()
                        for j, v in self.vars.items():
                            sol[j] = self.value(v)
                        race.best_starts, race.best_makespan = sol, value
                race.bnb.offer(value)

        self.callback = Callback(variables)

    def offer_schedule(self, starts: I64, makespan: int) -> None:
        """A schedule found outside the race (the warm start): keep it, lower the bound."""
        with self.lock:
            if makespan < self.best_makespan:
                self.best_starts, self.best_makespan = starts.copy(), makespan
        self.bnb.offer(makespan)

    def solo(self, seconds: float) -> tuple[I64, int] | None:
        """Run the branch and bound alone (in this thread) for ``seconds``."""
        self.bnb.run(min(self.deadline, time.perf_counter() + seconds))
        return self._proof(self.bnb.outcome())

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        out = self.bnb.run(self.deadline)
        self.outcome = out
        if out.proven:
            # a stop asked before CP-SAT's search starts is lost: repeat it until it returns
            while not self.solved.wait(0.005):
                self.solver.stop_search()

    def finish(self) -> tuple[I64, int] | None:
        """After CP-SAT returned: stop the branch and bound, wait for it, and return its
        proof if it has one (see :meth:`_proof`)."""
        self.solved.set()
        self.bnb.stop()
        self.thread.join()
        return None if self.outcome is None else self._proof(self.outcome)

    def _proof(self, out: level_bnb.BnbOutcome) -> tuple[I64, int] | None:
        """The best schedule known and its makespan when the branch and bound explored its
        whole tree: every bound it pruned with was the makespan of a schedule found by then,
        so no schedule is shorter than the best of them."""
        with self.lock:
            if (
                out.starts is not None
                and out.makespan is not None
                and out.makespan < self.best_makespan
            ):
                self.best_starts, self.best_makespan = out.starts, out.makespan
            if out.proven and self.best_makespan <= out.bound:
                return self.best_starts, self.best_makespan
        return None
