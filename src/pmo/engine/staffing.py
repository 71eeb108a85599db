"""Staffing: rank candidates for a need, and fill all open needs of a project at once.

A **need** (an open slot: one unit of a generic role assigned to a task, or a task's skill
requirement) asks for skills at a minimum proficiency (1-5) and some work in the task's
window. A **candidate** has a proficiency per skill (0 = none), an hourly rate and free
capacity per period (capacity minus what is already assigned).

* :func:`skill_match` — a candidate is *qualified* when it holds every required skill at
  least at the minimum; its *match* is the mean of ``min(proficiency, 5) / 5`` over the
  required skills (1.0: expert in all), so a stronger candidate scores higher.
* :func:`rank` — candidates for one need ordered by qualification, then by a score mixing
  match, availability (free minutes in the window / minutes needed, at most 1) and cost
  (relative to the dearest qualified candidate), with weights the caller may change.
* :func:`assign_optimal` — every need at once, as a minimum-cost assignment solved exactly
  (a mixed-integer programme, OR-Tools' SCIP): each need gets one qualified candidate or stays
  unfilled at a high penalty; a candidate takes at most one need of the same task; the load
  the needs put on a candidate in each period beyond its free capacity is *overload*, paid per
  hour. So two needs in the same weeks are not both given to the one person who is free for
  only one of them, and the cheapest overall fill wins where picking the best candidate need
  by need (:func:`assign_greedy`, kept for comparison) does not.

Pure computation: numpy in, numpy out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pmo.errors import SolverError, ValidationFailed

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

MAX_PROFICIENCY = 5
#: cost of leaving a need unfilled (any fill costs at most w_skill + w_cost <= 1)
UNFILLED_PENALTY = 10.0
#: cost of one hour of overload (a whole 8-hour day of overload costs 1, like the worst fill)
OVERLOAD_PER_HOUR = 1.0 / 8.0


@dataclass(frozen=True)
class Weights:
    """Weights of the ranking score (and of the optimal fill's cost: skill and cost)."""

    skill: float = 0.4
    availability: float = 0.4
    cost: float = 0.2


def skill_match(required: npt.ArrayLike, proficiency: npt.ArrayLike) -> tuple[F64, B]:
    """Match (0-1) and qualification of each candidate (rows of ``proficiency``, (C, K))
    for the minimum proficiencies ``required`` ((K,), 0 = skill not required)."""
    req = np.asarray(required, dtype=np.int64).reshape(-1)
    prof = np.asarray(proficiency, dtype=np.int64)
    if prof.ndim != 2 or prof.shape[1] != req.size:
        raise ValidationFailed.field("proficiency", f"expected shape (candidates, {req.size})")
    need = req > 0
    if not need.any():
        return np.ones(prof.shape[0]), np.ones(prof.shape[0], dtype=np.bool_)
    held = np.clip(prof[:, need], 0, MAX_PROFICIENCY)
    qualified = np.all(held >= req[need][None, :], axis=1)
    match = held.mean(axis=1) / MAX_PROFICIENCY
    return match.astype(np.float64), qualified


@dataclass(frozen=True, eq=False)
class Ranking:
    """Candidates for one need, best first: ``order`` indexes the candidates given."""

    order: I64
    qualified: B
    match: F64
    availability: F64
    cost: F64
    score: F64


def rank(
    required: npt.ArrayLike,
    proficiency: npt.ArrayLike,
    free_minutes: npt.ArrayLike,
    need_minutes: float,
    hourly_rate: npt.ArrayLike,
    weights: Weights | None = None,
) -> Ranking:
    """Rank candidates for one need: qualified ones first, then by score (higher better):
    ``skill × match + availability × min(1, free / need) + cost × (1 - cost / dearest)``."""
    w = weights or Weights()
    match, qualified = skill_match(required, proficiency)
    free = np.asarray(free_minutes, dtype=np.float64).reshape(-1)
    rate = np.asarray(hourly_rate, dtype=np.float64).reshape(-1)
    if free.size != match.size or rate.size != match.size:
        raise ValidationFailed.field("candidates", "one free capacity and rate per candidate")
    need = max(float(need_minutes), 0.0)
    availability = np.ones_like(free) if need == 0 else np.clip(free / need, 0.0, 1.0)
    cost = rate * need / 60.0
    pool = cost[qualified] if qualified.any() else cost
    dearest = float(pool.max()) if pool.size else 0.0
    rel = cost / dearest if dearest > 0 else np.zeros_like(cost)
    score = w.skill * match + w.availability * availability + w.cost * (1.0 - np.clip(rel, 0, 1))
    order = np.lexsort((np.arange(match.size), -score, ~qualified))
    return Ranking(order.astype(np.int64), qualified, match, availability, cost, score)


# ---------------------------------------------------------------------------------------------
# filling every need at once
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Fill:
    """Candidate chosen for each need (-1: unfilled), the objective and its parts."""

    choice: I64
    objective: float
    fill_cost: float
    overload_hours: float
    unfilled: int
    optimal: bool
    seconds: float
    method: str


def pair_costs(
    match: npt.ArrayLike,
    qualified: npt.ArrayLike,
    money: npt.ArrayLike,
    weights: Weights | None = None,
) -> F64:
    """(S, C) cost of giving need s to candidate c: ``skill × (1 - match) + cost × money /
    dearest qualified money for that need``; ``inf`` where the candidate is not qualified."""
    w = weights or Weights()
    m = np.asarray(match, dtype=np.float64)
    q = np.asarray(qualified, dtype=np.bool_)
    mo = np.asarray(money, dtype=np.float64)
    if not (m.shape == q.shape == mo.shape) or m.ndim != 2:
        raise ValidationFailed.field(
            "match", "match, qualified and money must be (needs, candidates)"
        )
    dearest = np.where(q, mo, 0.0).max(axis=1, initial=0.0)
    rel = np.where(dearest[:, None] > 0, mo / np.where(dearest > 0, dearest, 1.0)[:, None], 0.0)
    cost = w.skill * (1.0 - m) + w.cost * np.clip(rel, 0.0, 1.0)
    return np.where(q, cost, np.inf)


def _check(cost: F64, group: I64, load: F64, free: F64) -> None:
    s, c = cost.shape
    if group.shape != (s,):
        raise ValidationFailed.field("group", f"expected {s} values, one per need")
    if load.ndim != 2 or load.shape[0] != s:
        raise ValidationFailed.field("load", "expected shape (needs, periods)")
    if free.shape != (c, load.shape[1]):
        raise ValidationFailed.field("free", f"expected shape ({c}, {load.shape[1]})")
    if np.any(load < 0) or np.any(free < 0):
        raise ValidationFailed.field("load", "load and free capacity must not be negative")
    if np.any(np.isnan(cost)):
        raise ValidationFailed.field("cost", "costs must be numbers (inf = not allowed)")


def evaluate(
    choice: npt.ArrayLike,
    cost: npt.ArrayLike,
    load: npt.ArrayLike,
    free: npt.ArrayLike,
    *,
    unfilled_penalty: float = UNFILLED_PENALTY,
    overload_per_hour: float = OVERLOAD_PER_HOUR,
) -> tuple[float, float, float, int]:
    """(objective, fill cost, overload hours, unfilled) of a given choice."""
    ch = np.asarray(choice, dtype=np.int64)
    cm = np.asarray(cost, dtype=np.float64)
    ld = np.asarray(load, dtype=np.float64)
    fr = np.asarray(free, dtype=np.float64)
    filled = ch >= 0
    fill = float(cm[np.flatnonzero(filled), ch[filled]].sum()) if filled.any() else 0.0
    used = np.zeros_like(fr)
    np.add.at(used, ch[filled], ld[filled])
    over_minutes = float(np.maximum(used - fr, 0.0).sum())
    unfilled = int((~filled).sum())
    hours = over_minutes / 60.0
    return fill + hours * overload_per_hour + unfilled * unfilled_penalty, fill, hours, unfilled


def assign_greedy(
    cost: npt.ArrayLike,
    group: npt.ArrayLike,
    load: npt.ArrayLike,
    free: npt.ArrayLike,
    *,
    unfilled_penalty: float = UNFILLED_PENALTY,
    overload_per_hour: float = OVERLOAD_PER_HOUR,
) -> Fill:
    """Need by need, in order, the candidate cheapest *now* (fill cost plus the overload it
    adds given the needs already filled). Not optimal: kept to show what the exact fill gains."""
    t0 = time.perf_counter()
    cm = np.asarray(cost, dtype=np.float64)
    gr = np.asarray(group, dtype=np.int64).reshape(-1)
    ld = np.asarray(load, dtype=np.float64)
    fr = np.asarray(free, dtype=np.float64)
    _check(cm, gr, ld, fr)
    left = fr.copy()
    choice = np.full(cm.shape[0], -1, dtype=np.int64)
    taken: set[tuple[int, int]] = set()
    for s in range(cm.shape[0]):
        extra = np.maximum(ld[s][None, :] - np.maximum(left, 0.0), 0.0).sum(axis=1) / 60.0
        total = cm[s] + extra * overload_per_hour
        for c in range(cm.shape[1]):
            if (int(gr[s]), c) in taken:
                total[c] = np.inf
        best = int(np.argmin(total)) if total.size else -1
        if best < 0 or not np.isfinite(total[best]) or total[best] >= unfilled_penalty:
            continue
        choice[s] = best
        left[best] -= ld[s]
        taken.add((int(gr[s]), best))
    objective, fill, hours, unfilled = evaluate(
        choice, cm, ld, fr, unfilled_penalty=unfilled_penalty, overload_per_hour=overload_per_hour
    )
    return Fill(choice, objective, fill, hours, unfilled, False, time.perf_counter() - t0, "greedy")


def assign_optimal(
    cost: npt.ArrayLike,
    group: npt.ArrayLike,
    load: npt.ArrayLike,
    free: npt.ArrayLike,
    *,
    unfilled_penalty: float = UNFILLED_PENALTY,
    overload_per_hour: float = OVERLOAD_PER_HOUR,
    time_limit: float = 10.0,
) -> Fill:
    """The minimum-cost fill of every need (see the module docstring), solved exactly.

    ``cost`` (S, C) with ``inf`` where not allowed; ``group`` (S,) the task of each need (a
    candidate takes at most one need per group); ``load`` (S, P) minutes each need puts in
    each period; ``free`` (C, P) free minutes of each candidate. ``optimal`` is False only if
    the time limit stopped the solver before it proved the optimum.
    """
    from ortools.linear_solver import pywraplp  # imported only when used

    t0 = time.perf_counter()
    cm = np.asarray(cost, dtype=np.float64)
    gr = np.asarray(group, dtype=np.int64).reshape(-1)
    ld = np.asarray(load, dtype=np.float64)
    fr = np.asarray(free, dtype=np.float64)
    _check(cm, gr, ld, fr)
    n_s, n_c = cm.shape
    if n_s == 0:
        return Fill(np.zeros(0, np.int64), 0.0, 0.0, 0.0, 0, True, 0.0, "exact")
    solver = pywraplp.Solver.CreateSolver("SCIP") or pywraplp.Solver.CreateSolver("CBC")
    if solver is None:  # pragma: no cover - OR-Tools ships both
        raise SolverError("no MILP solver available (OR-Tools SCIP or CBC)")
    solver.SetTimeLimit(max(1, int(time_limit * 1000)))
    pairs = np.argwhere(np.isfinite(cm))
    x = [solver.BoolVar(f"x{s}_{c}") for s, c in pairs.tolist()]
    unfilled = [solver.BoolVar(f"u{s}") for s in range(n_s)]
    by_need: list[list[int]] = [[] for _ in range(n_s)]
    by_cand: list[list[int]] = [[] for _ in range(n_c)]
    for k, (s, c) in enumerate(pairs.tolist()):
        by_need[s].append(k)
        by_cand[c].append(k)
    for s in range(n_s):
        solver.Add(solver.Sum([x[k] for k in by_need[s]]) + unfilled[s] == 1)
    # one need per task for a candidate
    seen: dict[tuple[int, int], list[int]] = {}
    for k, (s, c) in enumerate(pairs.tolist()):
        seen.setdefault((int(gr[s]), c), []).append(k)
    for ks in seen.values():
        if len(ks) > 1:
            solver.Add(solver.Sum([x[k] for k in ks]) <= 1)
    # overload per candidate and period
    over_terms = []
    for c in range(n_c):
        ks = by_cand[c]
        if not ks:
            continue
        needs = pairs[ks, 0]
        for p in range(ld.shape[1]):
            loads = ld[needs, p]
            if not np.any(loads > 0):
                continue
            # only worth a variable when the candidate could be overloaded in p
            if float(loads.sum()) <= fr[c, p] + 1e-9:
                continue
            o = solver.NumVar(0.0, solver.infinity(), f"o{c}_{p}")
            solver.Add(
                solver.Sum([float(loads[i]) * x[k] for i, k in enumerate(ks) if loads[i] > 0]) - o
                <= float(fr[c, p])
            )
            over_terms.append(o)
    objective = solver.Sum(
        [float(cm[s, c]) * x[k] for k, (s, c) in enumerate(pairs.tolist())]
        + [unfilled_penalty * u for u in unfilled]
        + [(overload_per_hour / 60.0) * o for o in over_terms]
    )
    solver.Minimize(objective)
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        raise SolverError("the staffing model could not be solved")
    choice = np.full(n_s, -1, dtype=np.int64)
    for k, (s, c) in enumerate(pairs.tolist()):
        if x[k].solution_value() > 0.5:
            choice[s] = c
    value, fill, hours, n_unfilled = evaluate(
        choice, cm, ld, fr, unfilled_penalty=unfilled_penalty, overload_per_hour=overload_per_hour
    )
    return Fill(
        choice,
        value,
        fill,
        hours,
        n_unfilled,
        status == pywraplp.Solver.OPTIMAL,
        time.perf_counter() - t0,
        "exact",
    )
