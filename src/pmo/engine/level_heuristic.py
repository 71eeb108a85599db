"""Resource levelling heuristic: schedule generation schemes, justification and a genetic algorithm.

Everything here works on plain integer arrays prepared by :mod:`pmo.engine.level` (see
:class:`SchedulingArrays`): every precedence link has already been turned into a minimum
start-to-start distance ``S[j] >= S[i] + dist`` (FS/SS/FF/SF with lags, Elmaghraby & Kamburowski
1992), fixed tasks are pre-loaded into the resource profile, and the profile ``avail0`` (periods
x resources) holds the capacity left for the tasks being levelled, period by period (calendars,
holidays and leave are reduced capacity).

The building blocks, with the papers they come from:

* the **serial schedule generation scheme** (SGS) decodes an activity list into a schedule by
  starting each activity, in list order, at the earliest period that respects its predecessors
  and the remaining capacity (Kelley 1963; Kolisch 1996, "Serial and parallel resource-
  constrained project scheduling methods revisited", EJOR 90:320-333). Its schedules are
  active schedules, and the set of active schedules contains an optimal one;
* **priority rules** LFT, LST, MTS and GRPW (Kolisch 1996; Alvarez-Valdes & Tamarit 1989) give
  the first lists, and **problem-space sampling** perturbs the LFT priority values with random
  noise to sample more lists (Storer, Wu & Vaccari 1992; Leon & Balakrishnan 1995), a biased
  random sampling in the spirit of Drexl's regret-based sampling (Drexl 1991);
* **forward-backward improvement**, a.k.a. double justification: right-justify every activity in
  the order of non-increasing finish times, then left-justify in the order of non-decreasing
  starts; it never lengthens a schedule and usually shortens it (Li & Willis 1992; Tormos &
  Lova 2001; Valls, Ballestín & Quintanilla 2005, "Justification and RCPSP: a technique that
  pays", EJOR 165:375-386);
* the **activity-list genetic algorithm** of Hartmann (1998, "A competitive genetic algorithm
  for resource-constrained project scheduling", NRL 45:733-750): two-point crossover that keeps
  lists precedence-feasible, adjacent-swap mutation and elitist survival, with every child
  justified and written back into the population (Lamarckian, as in Valls et al. 2005/2008);
* **bidirectional search**: on plans whose mirror is again a plain plan (all arcs reversed,
  constant capacity, no releases, deadlines or fixed tasks), half of the sampled first lists are
  decoded on the mirrored instance, and the GA moves its population to the mirrored instance
  part way through the budget and goes on there. A schedule read backwards in
  time is a schedule of the mirror, so the move costs no schedule; a forward pass on the mirror
  is a backward pass on the plan, and the other direction searches a different neighbourhood
  (Klein 2000, "Bidirectional planning: improving priority rule-based heuristics for scheduling
  resource-constrained projects", EJOR 127:619-638; about a third of the PSPLIB instances are
  better scheduled backwards).

Every forward or backward SGS pass counts as one generated schedule, the unit in which the
PSPLIB literature states budgets ("5,000 schedules", Kolisch & Hartmann 2006).

The inner loops are compiled with numba; randomness comes from a seeded
``numpy.random.Generator`` passed into the compiled code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: The "no bound" value for latest starts and deadlines.
NO_BOUND = np.int64(2**50)


@dataclass(frozen=True, eq=False)
class SchedulingArrays:
    """A levelling problem as the compiled code sees it (built by ``pmo.engine.level``).

    Task indices are those of the original problem; ``order_free`` lists the tasks to level
    (not fixed) in a topological order of the precedence graph.
    """

    n: int
    dur: I64  # (n,)
    free: npt.NDArray[np.bool_]  # (n,)
    start0: I64  # (n,) fixed tasks' starts, 0 for free tasks
    release: I64  # (n,) earliest start of each free task (temporal analysis, releases)
    latest: I64  # (n,) latest start from hard deadlines / fixed successors (NO_BOUND if none)
    # precedence among free tasks, as CSR of minimum start-to-start distances
    pred_ptr: I64
    pred_idx: I64
    pred_dist: I64
    succ_ptr: I64
    succ_idx: I64
    succ_dist: I64
    # resource requests of free tasks, CSR (resource index, amount per period)
    req_ptr: I64
    req_res: I64
    req_amt: I64
    avail0: I64  # (T, R) capacity left for the free tasks in each period
    order_free: I64  # free tasks in a topological order
    lft: I64  # (n,) latest finish from the critical path (priority value)
    weight: F64  # (n,) tie-break weights (portfolio priority)
    soft_deadline: I64  # (n,) finish deadlines counted as tardiness (NO_BOUND if none)
    hard_deadline: I64  # (n,) finish deadlines that must hold (NO_BOUND if none)
    fixed_end: int  # latest finish of a fixed task (0 if none)
    inv_cap: F64  # (R,) 1 / base capacity (0 where the capacity is 0), for utilisation

    @property
    def horizon(self) -> int:
        return int(self.avail0.shape[0])


@dataclass(frozen=True)
class HeuristicOutcome:
    starts: I64
    makespan: int
    schedules: int
    seconds: float


# ---------------------------------------------------------------------------------------------
# compiled kernels
# ---------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _heap_push(hk: F64, hi: I64, size: int, key: float, idx: int) -> int:
    pos = size
    hk[pos] = key
    hi[pos] = idx
    while pos > 0:
        parent = (pos - 1) // 2
        if hk[parent] < hk[pos] or (hk[parent] == hk[pos] and hi[parent] <= hi[pos]):
            break
        hk[parent], hk[pos] = hk[pos], hk[parent]
        hi[parent], hi[pos] = hi[pos], hi[parent]
        pos = parent
    return size + 1


@numba.njit(cache=True)
def _heap_pop(hk: F64, hi: I64, size: int) -> tuple[int, int]:
    top = hi[0]
    size -= 1
    hk[0] = hk[size]
    hi[0] = hi[size]
    pos = 0
    while True:
        left = 2 * pos + 1
        if left >= size:
            break
        best = left
        right = left + 1
        if right < size and (
            hk[right] < hk[left] or (hk[right] == hk[left] and hi[right] < hi[left])
        ):
            best = right
        if hk[pos] < hk[best] or (hk[pos] == hk[best] and hi[pos] <= hi[best]):
            break
        hk[best], hk[pos] = hk[pos], hk[best]
        hi[best], hi[pos] = hi[pos], hi[best]
        pos = best
    return top, size


@numba.njit(cache=True)
def topo_by_key(
    key: F64, tasks: I64, in_ptr: I64, out_ptr: I64, out_idx: I64, out_list: I64
) -> None:
    """Write into ``out_list`` the ``tasks`` in a topological order of the graph given by
    ``out_ptr/out_idx`` (arcs) and ``in_ptr`` (in-degree = in_ptr[j+1]-in_ptr[j]) that takes,
    among the tasks whose predecessors are all listed, the one of smallest key first."""
    n = key.shape[0]
    indeg = np.zeros(n, np.int64)
    m = tasks.shape[0]
    for k in range(m):
        j = tasks[k]
        indeg[j] = in_ptr[j + 1] - in_ptr[j]
    hk = np.empty(m, np.float64)
    hi = np.empty(m, np.int64)
    size = 0
    for k in range(m):
        j = tasks[k]
        if indeg[j] == 0:
            size = _heap_push(hk, hi, size, key[j], j)
    pos = 0
    while size > 0:
        j, size = _heap_pop(hk, hi, size)
        out_list[pos] = j
        pos += 1
        for a in range(out_ptr[j], out_ptr[j + 1]):
            s = out_idx[a]
            indeg[s] -= 1
            if indeg[s] == 0:
                size = _heap_push(hk, hi, size, key[s], s)


@numba.njit(cache=True)
def sgs_forward(
    order: I64,
    dur: I64,
    release: I64,
    pred_ptr: I64,
    pred_idx: I64,
    pred_dist: I64,
    req_ptr: I64,
    req_res: I64,
    req_amt: I64,
    avail0: I64,
    avail: I64,
    starts: I64,
) -> int:
    """Serial SGS (Kolisch 1996): start each task of ``order`` as early as its predecessors and
    the remaining capacity allow. ``starts`` must hold the fixed tasks' starts on entry; returns
    the latest finish of the listed tasks, or -1 if the profile is too short (cannot happen
    with the horizon that ``pmo.engine.level`` allocates)."""
    horizon = avail0.shape[0]
    avail[:, :] = avail0
    makespan = 0
    for k in range(order.shape[0]):
        j = order[k]
        t = release[j]
        for a in range(pred_ptr[j], pred_ptr[j + 1]):
            v = starts[pred_idx[a]] + pred_dist[a]
            if v > t:
                t = v
        d = dur[j]
        r0 = req_ptr[j]
        r1 = req_ptr[j + 1]
        if d > 0 and r1 > r0:
            while True:
                if t + d > horizon:
                    return -1
                # scan the window from its end: the latest conflict gives the longest jump
                bad = -1
                tau = t + d - 1
                while tau >= t:
                    for q in range(r0, r1):
                        if avail[tau, req_res[q]] < req_amt[q]:
                            bad = tau
                            break
                    if bad >= 0:
                        break
                    tau -= 1
                if bad < 0:
                    break
                t = bad + 1
            for tau in range(t, t + d):
                for q in range(r0, r1):
                    avail[tau, req_res[q]] -= req_amt[q]
        starts[j] = t
        if t + d > makespan:
            makespan = t + d
    return makespan


@numba.njit(cache=True)
def sgs_backward(
    order: I64,
    dur: I64,
    release: I64,
    latest: I64,
    succ_ptr: I64,
    succ_idx: I64,
    succ_dist: I64,
    req_ptr: I64,
    req_res: I64,
    req_amt: I64,
    avail0: I64,
    avail: I64,
    end: int,
    starts: I64,
) -> bool:
    """Backward serial SGS: finish each task of ``order`` (successors first) as late as its
    successors, ``end`` and the capacity allow. Fixed tasks' starts must be in ``starts``.
    Returns False if some task would have to start before its release."""
    avail[:, :] = avail0
    for k in range(order.shape[0]):
        j = order[k]
        d = dur[j]
        t = end - d
        if latest[j] < t:
            t = latest[j]
        for a in range(succ_ptr[j], succ_ptr[j + 1]):
            v = starts[succ_idx[a]] - succ_dist[a]
            if v < t:
                t = v
        if t < release[j]:
            return False
        r0 = req_ptr[j]
        r1 = req_ptr[j + 1]
        if d > 0 and r1 > r0:
            while True:
                bad = -1
                for tau in range(t, t + d):
                    for q in range(r0, r1):
                        if avail[tau, req_res[q]] < req_amt[q]:
                            bad = tau
                            break
                    if bad >= 0:
                        break
                if bad < 0:
                    break
                t = bad - d
                if t < release[j]:
                    return False
            for tau in range(t, t + d):
                for q in range(r0, r1):
                    avail[tau, req_res[q]] -= req_amt[q]
        starts[j] = t
    return True


@numba.njit(cache=True)
def fitness(
    starts: I64,
    dur: I64,
    free: npt.NDArray[np.bool_],
    weight: F64,
    soft_deadline: I64,
    hard_deadline: I64,
    fixed_end: int,
    horizon: int,
) -> float:
    """Lexicographic objective in one float: hard-deadline lateness, then makespan, then soft
    tardiness and priority-weighted finish times as a fraction below one."""
    n = starts.shape[0]
    makespan = fixed_end
    hard = 0
    soft = 0
    wsum = 0.0
    wtot = 0.0
    for j in range(n):
        if not free[j]:
            continue
        f = starts[j] + dur[j]
        if f > makespan:
            makespan = f
        if f > hard_deadline[j]:
            hard += f - hard_deadline[j]
        if f > soft_deadline[j]:
            soft += f - soft_deadline[j]
        wsum += weight[j] * f
        wtot += weight[j]
    scale = wtot * horizon + 1.0
    secondary = (soft * scale + wsum) / ((n * horizon + 1.0) * scale)
    return hard * (horizon + 1.0) + makespan + secondary


@numba.njit(cache=True)
def justify(
    starts: I64,
    makespan: int,
    max_rounds: int,
    dur: I64,
    release: I64,
    latest: I64,
    pred_ptr: I64,
    pred_idx: I64,
    pred_dist: I64,
    succ_ptr: I64,
    succ_idx: I64,
    succ_dist: I64,
    req_ptr: I64,
    req_res: I64,
    req_amt: I64,
    avail0: I64,
    order_free: I64,
    fixed_end: int,
) -> tuple[int, int]:
    """Forward-backward improvement (double justification, Valls et al. 2005) of ``starts`` in
    place, repeated while the makespan shrinks. Returns (makespan, schedules generated)."""
    n = starts.shape[0]
    m = order_free.shape[0]
    avail = np.empty_like(avail0)
    key = np.zeros(n, np.float64)
    order = np.empty(m, np.int64)
    back = starts.copy()
    fwd = starts.copy()
    generated = 0
    for _ in range(max_rounds):
        end = max(makespan, fixed_end)
        # right-justify in order of non-increasing finish (successors first)
        for k in range(m):
            j = order_free[k]
            key[j] = -(starts[j] + dur[j])
        topo_by_key(key, order_free, succ_ptr, pred_ptr, pred_idx, order)
        back[:] = starts
        ok = sgs_backward(
            order, dur, release, latest, succ_ptr, succ_idx, succ_dist,
            req_ptr, req_res, req_amt, avail0, avail, end, back,
        )  # fmt: skip
        generated += 1
        if not ok:
            break
        # left-justify in order of non-decreasing start
        for k in range(m):
            j = order_free[k]
            key[j] = back[j]
        topo_by_key(key, order_free, pred_ptr, succ_ptr, succ_idx, order)
        fwd[:] = back
        mk = sgs_forward(
            order, dur, release, pred_ptr, pred_idx, pred_dist,
            req_ptr, req_res, req_amt, avail0, avail, fwd,
        )  # fmt: skip
        generated += 1
        if mk < 0 or mk > makespan:
            break
        improved = mk < makespan
        starts[:] = fwd
        makespan = mk
        if not improved:
            break
    return makespan, generated


@numba.njit(cache=True)
def _decode(
    lst: I64,
    starts: I64,
    start0: I64,
    rounds: int,
    dur: I64,
    release: I64,
    latest: I64,
    pred_ptr: I64,
    pred_idx: I64,
    pred_dist: I64,
    succ_ptr: I64,
    succ_idx: I64,
    succ_dist: I64,
    req_ptr: I64,
    req_res: I64,
    req_amt: I64,
    avail0: I64,
    avail: I64,
    order_free: I64,
    fixed_end: int,
    justify_above: float = np.inf,
) -> tuple[int, int]:
    """Serial SGS of the list ``lst`` then ``rounds`` of justification, unless its makespan is
    above ``justify_above`` (a hopeless schedule is not worth two more passes); rewrites
    ``lst`` as the start order of the final schedule (Lamarckian write-back). Returns
    (makespan, schedules)."""
    starts[:] = start0
    mk = sgs_forward(
        lst, dur, release, pred_ptr, pred_idx, pred_dist, req_ptr, req_res, req_amt,
        avail0, avail, starts,
    )  # fmt: skip
    generated = 1
    if rounds > 0 and mk >= 0 and mk <= justify_above:
        mk, g = justify(
            starts, mk, rounds, dur, release, latest, pred_ptr, pred_idx, pred_dist,
            succ_ptr, succ_idx, succ_dist, req_ptr, req_res, req_amt, avail0, order_free,
            fixed_end,
        )  # fmt: skip
        generated += g
        key = np.zeros(starts.shape[0], np.float64)
        for k in range(order_free.shape[0]):
            j = order_free[k]
            key[j] = starts[j]
        topo_by_key(key, order_free, pred_ptr, succ_ptr, succ_idx, lst)
    return mk, generated


@numba.njit(cache=True)
def _crossover(
    mother: I64, father: I64, q1: int, q2: int, child: I64, seen: npt.NDArray[np.bool_]
) -> None:
    """Hartmann's (1998) two-point crossover: positions [0, q1) from the mother, [q1, q2) the
    father's activities in his order that are not yet taken, the rest in the mother's order.
    Children of precedence-feasible lists are precedence-feasible."""
    m = mother.shape[0]
    for k in range(m):
        seen[mother[k]] = False
    pos = 0
    for k in range(q1):
        child[pos] = mother[k]
        seen[mother[k]] = True
        pos += 1
    for k in range(m):
        if pos >= q2:
            break
        a = father[k]
        if not seen[a]:
            child[pos] = a
            seen[a] = True
            pos += 1
    for k in range(m):
        a = mother[k]
        if not seen[a]:
            child[pos] = a
            seen[a] = True
            pos += 1


@numba.njit(cache=True)
def _peak_crossover(
    rng: np.random.Generator,
    mother: I64,
    m_starts: I64,
    father: I64,
    dur: I64,
    req_ptr: I64,
    req_res: I64,
    req_amt: I64,
    inv_cap: F64,
    order_free: I64,
    pred_ptr: I64,
    succ_ptr: I64,
    succ_idx: I64,
    key: F64,
    util: F64,
    child: I64,
) -> None:
    """Peak crossover after Valls, Ballestín & Quintanilla (2008, "A hybrid genetic algorithm
    for the RCPSP", EJOR 185:495-508): find the window of the mother's schedule with the
    highest resource utilisation (a well-packed part) and keep the activities that start in it
    in the mother's order, as one block between the activities that start before it and those
    that start after it, both in the father's order. A precedence-respecting order of these
    keys is the child."""
    m = mother.shape[0]
    end = 0
    for k in range(m):
        j = mother[k]
        f = m_starts[j] + dur[j]
        if f > end:
            end = f
    if end <= 1:
        for k in range(m):
            child[k] = mother[k]
        return
    for t in range(end):
        util[t] = 0.0
    for k in range(m):
        j = mother[k]
        for tau in range(max(0, m_starts[j]), m_starts[j] + dur[j]):
            for q in range(req_ptr[j], req_ptr[j + 1]):
                util[tau] += req_amt[q] * inv_cap[req_res[q]]
    width = 1 + int(rng.integers(max(1, end // 8), max(2, end // 3)))
    if width > end:
        width = end
    acc = 0.0
    for t in range(width):
        acc += util[t]
    best = acc
    lo = 0
    for t in range(width, end):
        acc += util[t] - util[t - width]
        if acc > best or (acc == best and rng.random() < 0.5):
            best = acc
            lo = t - width + 1
    hi = lo + width
    for k in range(m):
        j = father[k]
        s = m_starts[j]
        if s < lo:
            key[j] = k
        elif s >= hi:
            key[j] = 2 * m + k
    for k in range(m):
        j = mother[k]
        s = m_starts[j]
        if lo <= s < hi:
            key[j] = m + k
    topo_by_key(key, order_free, pred_ptr, succ_ptr, succ_idx, child)


@numba.njit(cache=True)
def _mutate(rng: np.random.Generator, lst: I64, p: float, succ_ptr: I64, succ_idx: I64) -> None:
    """Swap neighbours with probability ``p`` unless the first directly precedes the second
    (adjacent activities can only be related by a direct arc), Hartmann (1998)."""
    m = lst.shape[0]
    for k in range(m - 1):
        if rng.random() < p:
            a = lst[k]
            b = lst[k + 1]
            related = False
            for q in range(succ_ptr[a], succ_ptr[a + 1]):
                if succ_idx[q] == b:
                    related = True
                    break
            if not related:
                lst[k] = b
                lst[k + 1] = a


@numba.njit(cache=True)
def _shift(
    rng: np.random.Generator,
    lst: I64,
    p: float,
    pred_ptr: I64,
    pred_idx: I64,
    succ_ptr: I64,
    succ_idx: I64,
    pos: I64,
) -> None:
    """Shift mutation (Boctor 1996; Kolisch & Hartmann 2006): with probability ``p`` per
    activity, move it to a random position after its last predecessor and before its first
    successor in the list, which keeps the list precedence-feasible."""
    m = lst.shape[0]
    for k in range(m):
        pos[lst[k]] = k
    for _ in range(m):
        if rng.random() >= p:
            continue
        k = int(rng.integers(0, m))
        j = lst[k]
        lo = 0
        for a in range(pred_ptr[j], pred_ptr[j + 1]):
            q = pos[pred_idx[a]] + 1
            if q > lo:
                lo = q
        hi = m - 1
        for a in range(succ_ptr[j], succ_ptr[j + 1]):
            q = pos[succ_idx[a]] - 1
            if q < hi:
                hi = q
        if hi <= lo:
            continue
        t = lo + rng.integers(0, hi - lo + 1)
        if t > k:
            for q in range(k, t):
                lst[q] = lst[q + 1]
                pos[lst[q]] = q
        else:
            for q in range(k, t, -1):
                lst[q] = lst[q - 1]
                pos[lst[q]] = q
        lst[t] = j
        pos[j] = t


@numba.njit(cache=True)
def ga_generation(
    rng: np.random.Generator,
    pop: I64,
    fit: F64,
    pop_starts: I64,
    n_children: int,
    budget: int,
    p_mut: float,
    p_shift: float,
    p_peak: float,
    rounds: int,
    dur: I64,
    free: npt.NDArray[np.bool_],
    start0: I64,
    release: I64,
    latest: I64,
    pred_ptr: I64,
    pred_idx: I64,
    pred_dist: I64,
    succ_ptr: I64,
    succ_idx: I64,
    succ_dist: I64,
    req_ptr: I64,
    req_res: I64,
    req_amt: I64,
    avail0: I64,
    order_free: I64,
    weight: F64,
    soft_deadline: I64,
    hard_deadline: I64,
    fixed_end: int,
    inv_cap: F64,
    justify_slack: float,
) -> int:
    """One generation of the activity-list GA (Hartmann 1998) with justified children: pick
    parents by binary tournament, cross, mutate, decode; then keep the best ``pop.shape[0]``
    distinct individuals of parents and children; makes no child once ``budget`` schedules
    could be exceeded. Returns the schedules generated."""
    size, m = pop.shape
    n = dur.shape[0]
    horizon = avail0.shape[0]
    kids = np.empty((n_children, m), np.int64)
    kid_fit = np.empty(n_children, np.float64)
    kid_starts = np.empty((n_children, n), np.int64)
    avail = np.empty_like(avail0)
    seen = np.zeros(n, np.bool_)
    key = np.zeros(n, np.float64)
    util = np.zeros(horizon, np.float64)
    posbuf = np.zeros(n, np.int64)
    generated = 0
    made = 0
    # children whose forward schedule is this far above the population's worst makespan are
    # not justified (they would not survive anyway); hard lateness disables the cut
    justify_above = np.inf
    if justify_slack >= 0:
        worst = np.floor(fit.max())
        if worst <= horizon:
            justify_above = worst * (1.0 + justify_slack)
    for c in range(0, n_children, 2):
        if generated + 2 * (1 + 2 * rounds) > budget:
            break
        a1 = rng.integers(0, size)
        a2 = rng.integers(0, size)
        mother = a1 if fit[a1] <= fit[a2] else a2
        b1 = rng.integers(0, size)
        b2 = rng.integers(0, size)
        father = b1 if fit[b1] <= fit[b2] else b2
        q1 = rng.integers(0, m + 1)
        q2 = rng.integers(0, m + 1)
        if q1 > q2:
            q1, q2 = q2, q1
        for side in range(2):
            if c + side >= n_children:
                break
            child = kids[c + side]
            mo, fa = (mother, father) if side == 0 else (father, mother)
            if rng.random() < p_peak:
                _peak_crossover(
                    rng, pop[mo], pop_starts[mo], pop[fa], dur, req_ptr, req_res, req_amt,
                    inv_cap, order_free, pred_ptr, succ_ptr, succ_idx, key, util, child,
                )  # fmt: skip
            else:
                _crossover(pop[mo], pop[fa], q1, q2, child, seen)
            _mutate(rng, child, p_mut, succ_ptr, succ_idx)
            if p_shift > 0:
                _shift(rng, child, p_shift, pred_ptr, pred_idx, succ_ptr, succ_idx, posbuf)
            st = kid_starts[c + side]
            _mk, g = _decode(
                child, st, start0, rounds, dur, release, latest, pred_ptr, pred_idx, pred_dist,
                succ_ptr, succ_idx, succ_dist, req_ptr, req_res, req_amt, avail0, avail,
                order_free, fixed_end, justify_above,
            )  # fmt: skip
            generated += g
            kid_fit[c + side] = fitness(
                st, dur, free, weight, soft_deadline, hard_deadline, fixed_end, horizon
            )
            made += 1
    # elitist survival over parents + children, dropping exact duplicates of a schedule
    total = size + made
    allfit = np.empty(total, np.float64)
    allfit[:size] = fit
    allfit[size:] = kid_fit[:made]
    rank = np.argsort(allfit, kind="mergesort")
    new_pop = np.empty_like(pop)
    new_fit = np.empty_like(fit)
    new_starts = np.empty_like(pop_starts)
    taken = 0
    for pas in range(2):
        for k in range(total):
            if taken >= size:
                break
            idx = rank[k]
            st = pop_starts[idx] if idx < size else kid_starts[idx - size]
            dup = False
            for q in range(taken):
                if new_fit[q] == allfit[idx]:
                    same = True
                    for j in range(n):
                        if new_starts[q, j] != st[j]:
                            same = False
                            break
                    if same:
                        dup = True
                        break
            if dup != (pas == 1):
                continue
            new_pop[taken] = pop[idx] if idx < size else kids[idx - size]
            new_fit[taken] = allfit[idx]
            new_starts[taken] = st
            taken += 1
    pop[:, :] = new_pop
    fit[:] = new_fit
    pop_starts[:, :] = new_starts
    return generated


@numba.njit(cache=True)
def decode_population(
    pop: I64,
    fit: F64,
    pop_starts: I64,
    rounds: int,
    dur: I64,
    free: npt.NDArray[np.bool_],
    start0: I64,
    release: I64,
    latest: I64,
    pred_ptr: I64,
    pred_idx: I64,
    pred_dist: I64,
    succ_ptr: I64,
    succ_idx: I64,
    succ_dist: I64,
    req_ptr: I64,
    req_res: I64,
    req_amt: I64,
    avail0: I64,
    order_free: I64,
    weight: F64,
    soft_deadline: I64,
    hard_deadline: I64,
    fixed_end: int,
) -> int:
    """Decode (and justify) every list of ``pop``; fill ``fit`` and ``pop_starts``."""
    avail = np.empty_like(avail0)
    generated = 0
    horizon = avail0.shape[0]
    for p in range(pop.shape[0]):
        st = pop_starts[p]
        _mk, g = _decode(
            pop[p], st, start0, rounds, dur, release, latest, pred_ptr, pred_idx, pred_dist,
            succ_ptr, succ_idx, succ_dist, req_ptr, req_res, req_amt, avail0, avail,
            order_free, fixed_end,
        )  # fmt: skip
        generated += g
        fit[p] = fitness(st, dur, free, weight, soft_deadline, hard_deadline, fixed_end, horizon)
    return generated


@numba.njit(cache=True)
def sample_lists(
    rng: np.random.Generator,
    base_key: F64,
    spread: float,
    count: int,
    order_free: I64,
    pred_ptr: I64,
    succ_ptr: I64,
    succ_idx: I64,
) -> I64:
    """Problem-space sampling (Storer et al. 1992; Leon & Balakrishnan 1995): ``count``
    precedence-feasible lists, each the priority order of ``base_key`` + uniform noise of
    width ``spread``."""
    m = order_free.shape[0]
    out = np.empty((count, m), np.int64)
    key = base_key.copy()
    for c in range(count):
        for k in range(m):
            j = order_free[k]
            key[j] = base_key[j] + spread * rng.random()
        topo_by_key(key, order_free, pred_ptr, succ_ptr, succ_idx, out[c])
    return out


@numba.njit(cache=True)
def total_successors(order_free: I64, n: int, succ_ptr: I64, succ_idx: I64) -> I64:
    """Number of (transitive) successors of every task, with bitsets (for the MTS rule)."""
    words = (n + 63) // 64
    bits = np.zeros((n, words), np.uint64)
    count = np.zeros(n, np.int64)
    for k in range(order_free.shape[0] - 1, -1, -1):
        j = order_free[k]
        for a in range(succ_ptr[j], succ_ptr[j + 1]):
            s = succ_idx[a]
            bits[j, s // 64] |= np.uint64(1) << np.uint64(s % 64)
            for w in range(words):
                bits[j, w] |= bits[s, w]
        c = 0
        for w in range(words):
            x = bits[j, w]
            while x:
                x &= x - np.uint64(1)
                c += 1
        count[j] = c
    return count


# ---------------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------------


def _kernel_args(a: SchedulingArrays) -> tuple[Any, ...]:
    return (
        a.dur, a.release, a.latest, a.pred_ptr, a.pred_idx, a.pred_dist,
        a.succ_ptr, a.succ_idx, a.succ_dist, a.req_ptr, a.req_res, a.req_amt, a.avail0,
    )  # fmt: skip


# the kernels take long positional lists, passed with * below, which mypy cannot count
_decode_pop: Any = decode_population
_ga_gen: Any = ga_generation


def rule_keys(a: SchedulingArrays) -> list[F64]:
    """Priority values (smaller first) of the classic rules: LFT, LST, MTS, GRPW (Kolisch
    1996), and, when tasks have different portfolio priorities, priority-then-LFT."""
    n = a.n
    lft = a.lft.astype(np.float64)
    keys = [lft, lft - a.dur]
    if n <= 20_000:
        keys.append(-total_successors(a.order_free, n, a.succ_ptr, a.succ_idx).astype(np.float64))
    grpw = a.dur.astype(np.float64).copy()
    src = np.repeat(np.arange(n), np.diff(a.succ_ptr))
    np.add.at(grpw, src, a.dur[a.succ_idx])
    keys.append(-grpw)
    if a.weight.size and np.ptp(a.weight) > 0:
        span = float(lft.max() - lft.min() + 1)
        keys.append(lft - a.weight * span)
    return keys


def run_heuristic(
    a: SchedulingArrays,
    *,
    schedules: int,
    time_limit: float,
    rng: np.random.Generator,
    lower_bound: int = 0,
    population: int | None = None,
    p_mut: float = 0.05,
    rounds: int | None = None,
    restart_after: int = 25,
    spread_share: float = 1.0,
    p_peak: float = 0.3,
    phase2_at: float = 1.0,
    p_neighbour: float = 0.15,
    p_shift: float = 0.03,
    justify_slack: float = 0.03,
    mirror_at: float = 0.6,
    init_mirror: float = 0.5,
) -> HeuristicOutcome:
    """Level with priority rules, sampling, justification and the activity-list GA, within
    ``schedules`` generated schedules and ``time_limit`` seconds; stops at ``lower_bound``.
    On plain plans of up to 2,000 tasks (see :func:`is_mirrorable`) the share ``init_mirror``
    of the sampled first lists is decoded on the mirrored plan, and the GA goes on on the
    mirrored plan once ``mirror_at`` of the budget is spent (1 or more: never)."""
    t0 = time.perf_counter()
    m = a.order_free.shape[0]
    starts = a.start0.copy()
    if m == 0:
        return HeuristicOutcome(starts, int(a.fixed_end), 0, time.perf_counter() - t0)
    args = _kernel_args(a)
    rest = (a.order_free, a.weight, a.soft_deadline, a.hard_deadline, a.fixed_end)
    # large plans: a schedule costs milliseconds; justify less eagerly
    if rounds is None:
        rounds = 1 if m <= 2000 else 2
    if population is None:
        population = 80 if m <= 2000 else 8
    keys = rule_keys(a)
    lists = [
        np.ascontiguousarray(
            sample_lists(rng, k, 0.0, 1, a.order_free, a.pred_ptr, a.succ_ptr, a.succ_idx)[0]
        )
        for k in keys
    ]
    spread = max(1.0, float(np.ptp(a.lft[a.free]))) * spread_share
    extra = max(0, population - len(lists))
    if extra:
        sampled = sample_lists(
            rng, keys[0], spread, extra, a.order_free, a.pred_ptr, a.succ_ptr, a.succ_idx
        )
        lists.extend(sampled[i] for i in range(extra))
    pop = np.ascontiguousarray(np.stack(lists[:population]))
    # on plain plans, a share of the sampled lists is drawn and decoded on the mirrored plan
    # (LFT of the mirror plus noise) and brought back reversed: the first population holds
    # schedules of both directions (Klein 2000)
    first_mirrored = pop.shape[0]
    can_mirror = m <= 2000 and schedules > 1 and is_mirrorable(a)
    mirror_a: SchedulingArrays | None = None
    if can_mirror and init_mirror > 0:
        mirror_a = mirror_arrays(a)
        args_m = _kernel_args(mirror_a)
        rest_m = (
            mirror_a.order_free, mirror_a.weight, mirror_a.soft_deadline,
            mirror_a.hard_deadline, mirror_a.fixed_end,
        )  # fmt: skip
        first_mirrored = max(len(keys), pop.shape[0] - round(init_mirror * pop.shape[0]))
        if first_mirrored < pop.shape[0]:
            pop[first_mirrored:] = sample_lists(
                rng, mirror_a.lft.astype(np.float64), spread, pop.shape[0] - first_mirrored,
                mirror_a.order_free, mirror_a.pred_ptr, mirror_a.succ_ptr, mirror_a.succ_idx,
            )  # fmt: skip
    fit = np.empty(pop.shape[0], np.float64)
    pop_starts = np.empty((pop.shape[0], a.n), np.int64)
    generated = 0
    best_fit = np.inf
    best = starts

    def remember() -> None:
        nonlocal best_fit, best
        i = int(np.argmin(fit))
        if fit[i] < best_fit:
            best_fit = float(fit[i])
            best = pop_starts[i].copy()

    # decode one by one so that a tight time limit on a huge plan still returns the rule
    # schedules; never start a step that would end past the time limit (anytime behaviour)
    step = 0.0
    for p in range(pop.shape[0]):
        t1 = time.perf_counter()
        # the first list is always decoded (one schedule); it is justified only if the budget
        # has room for the justification passes too
        r_p = rounds if generated + 1 + 2 * rounds <= schedules else 0
        if p >= first_mirrored:
            generated += _decode_pop(
                pop[p : p + 1], fit[p : p + 1], pop_starts[p : p + 1], r_p,
                a.dur, a.free, a.start0, *args_m[1:], *rest_m,
            )  # fmt: skip
            _reverse_individual(a, p, pop, fit, pop_starts)
        else:
            generated += _decode_pop(
                pop[p : p + 1], fit[p : p + 1], pop_starts[p : p + 1], r_p,
                a.dur, a.free, a.start0, *args[1:], *rest,
            )  # fmt: skip
        now = time.perf_counter()
        step = max(step, now - t1)
        if p + 1 < pop.shape[0] and (
            now + step - t0 > time_limit or generated + 1 + 2 * rounds > schedules
        ):
            pop, fit, pop_starts = pop[: p + 1], fit[: p + 1], pop_starts[: p + 1]
            break
    remember()
    orig = a
    mirrored = False
    can_mirror = can_mirror and mirror_at < 1.0
    # one schedule is kept back to left-justify a best schedule found on the mirror
    budget = schedules - 1 if can_mirror else schedules
    children = max(2, pop.shape[0])
    stale = 0
    phase2 = phase2_at >= 1.0
    gen_time = 0.0
    while generated < budget and time.perf_counter() + gen_time - t0 < time_limit:
        if _makespan_of(best_fit) <= lower_bound:
            break
        if can_mirror and not mirrored and generated >= mirror_at * schedules:
            # the population, read backwards in time, is a population of the mirror
            a = mirror_a if mirror_a is not None else mirror_arrays(orig)
            args = _kernel_args(a)
            rest = (a.order_free, a.weight, a.soft_deadline, a.hard_deadline, a.fixed_end)
            keys = rule_keys(a)
            best_fit = _reverse_population(a, pop, fit, pop_starts, best)
            best = _reverse_schedule(a, best)
            mirrored = True
        t1 = time.perf_counter()
        before = best_fit
        left = budget - generated
        if left < 2 * (1 + 2 * rounds):
            break
        generated += _ga_gen(
            rng, pop, fit, pop_starts, children, left, p_mut, p_shift, p_peak, rounds,
            a.dur, a.free, a.start0, *args[1:], *rest, a.inv_cap, justify_slack,
        )  # fmt: skip
        remember()
        gen_time = time.perf_counter() - t1
        stale = stale + 1 if best_fit >= before else 0
        if (
            not phase2
            and generated >= phase2_at * schedules
            and pop.shape[0] > 2
            and generated + pop.shape[0] * (1 + 2 * rounds) <= budget
        ):
            # second phase of Valls et al. (2008): evolve a population of neighbours of the best
            phase2 = True
            top = int(np.argmin(fit))
            pop[:] = pop[top]
            fit[0], pop_starts[0] = fit[top], pop_starts[top]
            for i in range(1, pop.shape[0]):
                _mutate(rng, pop[i], p_neighbour, a.succ_ptr, a.succ_idx)
            generated += _decode_pop(
                pop[1:], fit[1:], pop_starts[1:], rounds,
                a.dur, a.free, a.start0, *args[1:], *rest,
            )  # fmt: skip
            remember()
            stale = 0
        elif (
            stale >= restart_after
            and pop.shape[0] > 4
            and generated + pop.shape[0] * (1 + 2 * rounds) <= budget
        ):
            # restart the worse half from fresh samples around the best list (diversity)
            half = pop.shape[0] // 2
            fresh = sample_lists(
                rng, keys[0], spread, pop.shape[0] - half,
                a.order_free, a.pred_ptr, a.succ_ptr, a.succ_idx,
            )  # fmt: skip
            pop[half:] = fresh
            generated += _decode_pop(
                pop[half:], fit[half:], pop_starts[half:], rounds,
                a.dur, a.free, a.start0, *args[1:], *rest,
            )  # fmt: skip
            order = np.argsort(fit, kind="mergesort")
            pop[:], fit[:], pop_starts[:] = pop[order], fit[order], pop_starts[order]
            stale = 0
    if mirrored:
        # back to the plan's time axis, then one forward pass (counted) so that every task
        # starts as early as the schedule allows, as the forward search leaves them
        a = orig
        best = left_justify(a, _reverse_schedule(a, best))
        generated += 1
    makespan = max(int(a.fixed_end), int((best + a.dur)[a.free].max()))
    return HeuristicOutcome(best, makespan, generated, time.perf_counter() - t0)


def _makespan_of(fit: float) -> float:
    return float(np.floor(fit))


def is_mirrorable(a: SchedulingArrays) -> bool:
    """Whether the mirror of ``a`` (every arc reversed, time read backwards) is again a plan
    the kernels take as it is: every task free, constant capacity, no latest starts, deadlines,
    releases beyond the temporal analysis or fixed tasks (a calendar or a release would have to
    be mirrored around an end that is not known before the schedule)."""
    if not a.free.all() or a.fixed_end != 0 or a.start0.any():
        return False
    if (a.latest < NO_BOUND).any() or (a.hard_deadline < NO_BOUND).any():
        return False
    if (a.soft_deadline < NO_BOUND).any() or (a.weight.size and np.ptp(a.weight) > 0):
        return False
    if a.avail0.shape[0] and not (a.avail0 == a.avail0[0]).all():
        return False
    # releases only from the temporal analysis: the early starts of the precedence graph
    early = np.zeros(a.n, np.int64)
    for j in a.order_free:
        lo, hi = a.pred_ptr[j], a.pred_ptr[j + 1]
        if hi > lo:
            early[j] = max(0, int((early[a.pred_idx[lo:hi]] + a.pred_dist[lo:hi]).max()))
    return bool((a.release <= early).all())


def mirror_arrays(a: SchedulingArrays) -> SchedulingArrays:
    """The mirrored plan of a plan that :func:`is_mirrorable`: ``S[j] >= S[i] + dist`` becomes
    ``S'[i] >= S'[j] + dist + dur[j] - dur[i]`` with ``S' = T - S - dur``; the critical-path
    latest finishes become the early starts and the other way round (the mirror of the mirror
    is the plan)."""
    d = a.dur
    end = int(a.lft[a.free].max())
    src_s = np.repeat(np.arange(a.n), np.diff(a.succ_ptr))
    src_p = np.repeat(np.arange(a.n), np.diff(a.pred_ptr))
    return SchedulingArrays(
        n=a.n, dur=d, free=a.free, start0=a.start0,
        release=np.maximum(0, end - a.lft).astype(np.int64), latest=a.latest,
        pred_ptr=a.succ_ptr, pred_idx=a.succ_idx,
        pred_dist=(a.succ_dist + d[a.succ_idx] - d[src_s]).astype(np.int64),
        succ_ptr=a.pred_ptr, succ_idx=a.pred_idx,
        succ_dist=(a.pred_dist + d[src_p] - d[a.pred_idx]).astype(np.int64),
        req_ptr=a.req_ptr, req_res=a.req_res, req_amt=a.req_amt, avail0=a.avail0,
        order_free=np.ascontiguousarray(a.order_free[::-1]),
        lft=(end - a.release).astype(np.int64), weight=a.weight,
        soft_deadline=a.soft_deadline, hard_deadline=a.hard_deadline, fixed_end=a.fixed_end,
        inv_cap=a.inv_cap,
    )  # fmt: skip


def _reverse_schedule(a: SchedulingArrays, starts: I64) -> I64:
    """The schedule read backwards in time, from its own makespan: ``T - S - dur``."""
    makespan = int((starts + a.dur)[a.free].max())
    return (makespan - (starts + a.dur)).astype(np.int64)


def _reverse_population(
    target: SchedulingArrays, pop: I64, fit: F64, pop_starts: I64, best: I64
) -> float:
    """Reverse every schedule of the population in place into ``target``'s time axis, with
    its list (start order) and fitness there, sorted best first; returns the fitness of the
    reversed ``best``."""
    for i in range(pop.shape[0]):
        _reverse_individual(target, i, pop, fit, pop_starts)
    order = np.argsort(fit, kind="mergesort")
    pop[:], fit[:], pop_starts[:] = pop[order], fit[order], pop_starts[order]
    return _fitness_in(target, _reverse_schedule(target, best))


def _reverse_individual(
    target: SchedulingArrays, i: int, pop: I64, fit: F64, pop_starts: I64
) -> None:
    """Individual ``i`` read backwards into ``target``'s time axis, in place: its schedule,
    its list (the start order there) and its fitness there."""
    pop_starts[i] = _reverse_schedule(target, pop_starts[i])
    topo_by_key(
        pop_starts[i].astype(np.float64), target.order_free, target.pred_ptr, target.succ_ptr,
        target.succ_idx, pop[i],
    )  # fmt: skip
    fit[i] = _fitness_in(target, pop_starts[i])


def _fitness_in(a: SchedulingArrays, starts: I64) -> float:
    f = fitness(
        starts, a.dur, a.free, a.weight, a.soft_deadline, a.hard_deadline, a.fixed_end,
        a.horizon,
    )  # fmt: skip
    return float(f)


def left_justify(a: SchedulingArrays, starts: I64) -> I64:
    """Left-shift every free task in order of its start (serial SGS on the start order): never
    starts a task later, so an optimal schedule stays optimal and every remaining delay has a
    cause that :func:`pmo.engine.level.explain` can name."""
    key = starts.astype(np.float64)
    order = np.empty(a.order_free.shape[0], np.int64)
    topo_by_key(key, a.order_free, a.pred_ptr, a.succ_ptr, a.succ_idx, order)
    out = starts.copy()
    avail = np.empty_like(a.avail0)
    sgs_forward(
        order, a.dur, a.release, a.pred_ptr, a.pred_idx, a.pred_dist,
        a.req_ptr, a.req_res, a.req_amt, a.avail0, avail, out,
    )  # fmt: skip
    return out
