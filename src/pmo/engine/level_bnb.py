"""Branch and bound for small classic RCPSP plans: the proof engine beside CP-SAT.

CP-SAT closes almost every small plan in well under a second, but on a few tightly
constrained ones (low resource strength: PSPLIB J30 parameter sets 13, 29 and 45) its bound
stays many periods below the optimum for minutes on two cores (54-83 against optima 62-103
after 10 s). The depth-first branch and bound of Demeulemeester & Herroelen (1992, "A
branch-and-bound procedure for the multiple resource-constrained project scheduling problem",
Management Science 38:1803-1818; 1997, "New benchmark results for the resource-constrained
project scheduling problem", Management Science 43:1485-1492), which produced PSPLIB's J30
optima, is built for exactly these.

The tree (1992, section 3):

* a node is a partial schedule at a decision time ``t``; every task in progress at ``t`` may
  still be delayed;
* at ``t`` every unscheduled task whose predecessors have all finished is started; if the
  tasks in progress then exceed a capacity, each *minimal delaying alternative* (a set of
  tasks in progress, minimal by inclusion, whose removal makes the others fit: the complement
  of a maximal subset that fits) is a child, its tasks unscheduled again; without a conflict
  the node has one child;
* a child's decision time is the earliest finish among the tasks kept in progress.

Pruning:

* **lower bounds**, against the best makespan known: the longest path through the
  unscheduled tasks; for sets of tasks of which no two can overlap (a precedence path or the
  capacities keep them apart), the one-machine bound over heads and tails (the preemptive
  bound of Carlier 1982, ``min head + work + min tail`` over every head and tail threshold);
  and timetabling with the deadline "best - 1": the compulsory parts (latest start to
  earliest finish) overload a resource in some period;
* the **cutset rule** (1992, Theorem 4): a node at ``t`` that has scheduled the same tasks as
  a node explored before at ``t' <= t``, whose tasks in progress all finished by ``max(t,
  their finish here)``, cannot lead to a shorter schedule. Nodes are stored when their subtree
  is explored, so a node is never pruned by one of its ancestors; a stored node that a newer
  one dominates is dropped;
* the **left-shift rule** (1992): when a delay removes tasks that started before ``t``, a
  child in which a task started at ``t`` could start at ``t - 1`` is not a left-justified
  schedule and is skipped;
* Theorems 3 and 4 of the 1992 paper: with nothing in progress, a task that can run beside no
  other unscheduled task (or beside one shorter eligible task only) starts now, alone (or with
  that task), without branching.

Every rule can be switched off (``rules``) so that tests check each against CP-SAT.

The search is anytime, resumable and stoppable from another thread (:class:`BranchAndBound`):
the compiled kernel runs slices of nodes without the GIL, another solver can lower the bound
(:meth:`BranchAndBound.offer`), and ``proven`` is true only when the whole tree was explored.
It handles the classic RCPSP (finish-to-start links without lag, no releases, fixed tasks,
deadlines, priorities or calendars) with at most 64 tasks: the caller checks
:func:`applicable`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from pmo.engine.level import Prepared

I64 = npt.NDArray[np.int64]

#: largest number of tasks (the cutset is a 64-bit mask)
MAX_TASKS = 64
#: most delaying alternatives at one node (more: the search gives up, unproven)
MAX_CHILDREN = 1024
#: most tasks in progress with a demand at one decision time (more: the search gives up)
MAX_CONFLICT = 40
#: most steps enumerating the subsets that fit at one node (more: the search gives up)
MAX_SUBSET_STEPS = 200_000
#: longest makespan searched (the stack has one level per decision time)
MAX_PERIODS = 2_000
#: nodes per compiled slice between two looks at the clock
SLICE_NODES = 2_000
#: one-machine sets for the lower bound (see :func:`_cliques`)
MAX_CLIQUES = 64
#: stored cutsets (entries) and tasks in progress kept with them
STORE_ENTRIES = 1_000_000
#: most tasks in progress kept with a stored node (a node with more is not stored)
STORE_IN_PROGRESS = 6

# control vector slots
(
    _DEPTH, _UB, _NODES, _ENTRIES, _UNUSED, _STATUS, _STORED_FULL, _CUT, _SHIFTED, _THEOREM,
    _LB_PRUNED, _STOP, _TT_PRUNED,
) = range(13)  # fmt: skip
#: the optional rules, bit flags (all on by default; tests switch them off one by one)
CLIQUES, CHILD_CUTSET, THEOREMS, LEFT_SHIFT, TIMETABLE = 1, 2, 4, 8, 16
ALL_RULES = CLIQUES | CHILD_CUTSET | THEOREMS | LEFT_SHIFT | TIMETABLE
_CLIQUES, _CHILD_CUTSET, _THEOREMS, _LEFT_SHIFT, _TIMETABLE = (
    CLIQUES, CHILD_CUTSET, THEOREMS, LEFT_SHIFT, TIMETABLE,
)  # fmt: skip
_RUNNING, _DONE, _GAVE_UP = 0, 1, 2


@dataclass(frozen=True)
class BnbOutcome:
    """``starts``/``makespan``: the best schedule the search found (None if none beat the
    bounds it was given). ``bound``: the bound it ended with, its own best or one offered.
    ``proven``: the tree was explored: no schedule is shorter than the shortest makespan
    known when it ended (every bound it pruned with was the makespan of a schedule found
    by then; with :meth:`BranchAndBound.offer` from another thread, the caller keeps those
    schedules and takes the shortest)."""

    starts: I64 | None
    makespan: int | None
    bound: int
    proven: bool
    nodes: int


def applicable(prep: Prepared, upper_bound: int | None = None) -> bool:
    """True for a classic RCPSP the branch and bound handles (see the module docstring),
    searched below ``upper_bound`` if given."""
    nm = prep.norm
    a = prep.arrays
    if upper_bound is not None and not 0 < upper_bound <= MAX_PERIODS:
        return False
    if nm.n > MAX_TASKS or nm.n == 0 or nm.r == 0:
        return False
    if not nm.free.all() or np.any(nm.release != 0) or np.any(nm.deadline >= 0):
        return False
    if nm.profile.shape[1] and np.any(nm.profile != nm.cap[:, None]):
        return False
    if nm.links.shape[0] and np.any(nm.dist != nm.dur[nm.links[:, 0]]):
        return False
    return not (a.weight.size and np.ptp(a.weight) > 0)


@numba.njit(cache=True, inline="always")
def _window_bound(
    members: I64, k: int, head: I64, rem: I64, q: I64, w: I64, cap: int, ub: int
) -> int:
    """Energy over heads and tails: for every head ``a`` and tail ``h`` of the members, the
    members with head >= a and tail >= h need ``sum(w * rem)`` capacity-periods between
    ``a`` and ``M - h``, so ``M >= a + h + ceil(work / cap)``."""
    # members by non-increasing head (insertion sort: k is small)
    for x in range(1, k):
        j = members[x]
        y = x
        while y > 0 and head[members[y - 1]] < head[j]:
            members[y] = members[y - 1]
            y -= 1
        members[y] = j
    best = 0
    for x in range(k):
        h = q[members[x]]
        work = 0
        for y in range(k):
            j = members[y]
            if q[j] >= h:
                work += w[j] * rem[j]
                v = head[j] + h + (work + cap - 1) // cap
                if v > best:
                    best = v
                    if best >= ub:
                        return best
    return best


@numba.njit(cache=True, inline="always")
def _lower_bound(
    start: I64,
    t: int,
    dur: I64,
    pred_ptr: I64,
    pred_idx: I64,
    topo: I64,
    tail: I64,
    clq_ptr: I64,
    clq_idx: I64,
    est: I64,
    rem: I64,
    q: I64,
    members: I64,
    ones: I64,
    ub: int,
    flags: int,
) -> int:
    """Longest path through the unscheduled tasks (none starts before ``t``), then, per
    disjunctive clique, the heads-and-tails bound of :func:`_window_bound` on the work left
    after ``t``. Stops as soon as the bound reaches ``ub``."""
    n = dur.shape[0]
    lb = t
    for x in range(n):
        j = topo[x]
        if start[j] >= 0:
            v = start[j] + tail[j]
            est[j] = t
            rem[j] = start[j] + dur[j] - t if start[j] + dur[j] > t else 0
        else:
            e = t
            for k in range(pred_ptr[j], pred_ptr[j + 1]):
                i = pred_idx[k]
                f = start[i] + dur[i] if start[i] >= 0 else est[i] + dur[i]
                if f > e:
                    e = f
            est[j] = e
            rem[j] = dur[j]
            v = e + tail[j]
        q[j] = tail[j] - dur[j]
        if v > lb:
            lb = v
    if lb >= ub or not (flags & _CLIQUES):
        return lb
    for c in range(clq_ptr.shape[0] - 1):
        k = 0
        for x in range(clq_ptr[c], clq_ptr[c + 1]):
            j = clq_idx[x]
            if rem[j] > 0:
                members[k] = j
                k += 1
        if k < 2:
            continue
        v = _window_bound(members, k, est, rem, q, ones, 1, ub)
        if v > lb:
            lb = v
            if lb >= ub:
                return lb
    return lb


@numba.njit(cache=True, inline="always")
def _timetable_conflict(
    start: I64, t: int, dur: I64, dem: I64, cap: I64, tail: I64, est: I64, ub: int, prof: I64
) -> bool:
    """Timetabling with deadline ``ub - 1``: the compulsory parts of the tasks (from their
    latest start ``ub - 1 - tail`` to their earliest finish, or their finish for a task in
    progress) overload a resource in some period."""
    n = dur.shape[0]
    nr = cap.shape[0]
    horizon = ub - 1
    lo = t
    for tau in range(lo, horizon):
        for r in range(nr):
            prof[tau, r] = 0
    for j in range(n):
        if dur[j] == 0:
            continue
        # a task in progress may still be delayed further down the tree and start again
        # by its latest start: it surely runs only from that latest start to its finish
        a = horizon - tail[j]
        b = start[j] + dur[j] if start[j] >= 0 else est[j] + dur[j]
        if a < t:
            a = t
        if b > horizon:
            b = horizon
        for tau in range(a, b):
            for r in range(nr):
                if dem[j, r]:
                    prof[tau, r] += dem[j, r]
                    if prof[tau, r] > cap[r]:
                        return True
    return False


@numba.njit(cache=True, inline="always")
def _slot(tab_key: npt.NDArray[np.uint64], tab_head: I64, key: np.uint64) -> int:
    """Open addressing with linear probing (Fibonacci hashing): the slot of ``key`` or the
    empty slot where it goes."""
    mask = np.uint64(tab_key.shape[0] - 1)
    i = (key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)
    i &= mask
    while tab_head[i] != -1 and tab_key[i] != key:
        i = (i + np.uint64(1)) & mask
    return int(i)


@numba.njit(cache=True, inline="always")
def _dominated(
    tab_key: npt.NDArray[np.uint64],
    tab_head: I64,
    key: np.uint64,
    t: int,
    start: I64,
    dur: I64,
    ent: I64,
    ctl: I64,
) -> bool:
    """Cutset rule: a stored node with the same scheduled tasks, a decision time no later
    than ``t`` and every task it had in progress finished by ``max(t, finish here)``."""
    e = tab_head[_slot(tab_key, tab_head, key)]
    while e >= 0:
        if ent[e, 0] <= t:
            ok = True
            for q in range(ent[e, 2]):
                j = ent[e, 3 + 2 * q]
                fm = start[j] + dur[j]
                if fm < t:
                    fm = t
                if ent[e, 4 + 2 * q] > fm:
                    ok = False
                    break
            if ok:
                return True
        e = ent[e, 1]
    return False


@numba.njit(cache=True, inline="always")
def _remember(
    tab_key: npt.NDArray[np.uint64],
    tab_head: I64,
    key: np.uint64,
    t: int,
    start: I64,
    dur: I64,
    ent: I64,
    ctl: I64,
) -> None:
    """Store an explored node for the cutset rule, unlinking the stored nodes with the same
    tasks that it dominates (whatever they would prune, it prunes too)."""
    n = dur.shape[0]
    e = ctl[_ENTRIES]
    if e >= ent.shape[0] or 2 * e >= tab_key.shape[0]:
        ctl[_STORED_FULL] = 1
        return
    cnt = 0
    for j in range(n):
        s = start[j]
        if s >= 0 and s + dur[j] > t:
            if 4 + 2 * cnt >= ent.shape[1]:
                ctl[_STORED_FULL] = 1
                return
            ent[e, 3 + 2 * cnt] = j
            ent[e, 4 + 2 * cnt] = s + dur[j]
            cnt += 1
    ent[e, 0] = t
    ent[e, 2] = cnt
    slot = _slot(tab_key, tab_head, key)
    head = tab_head[slot]
    # drop the stored nodes this one dominates
    prev = -1
    x = head
    while x >= 0:
        nxt = ent[x, 1]
        dom = ent[x, 0] >= t
        if dom:
            tx = ent[x, 0]
            for q in range(cnt):
                j = ent[e, 3 + 2 * q]
                f = ent[e, 4 + 2 * q]
                fx = tx
                for y in range(ent[x, 2]):
                    if ent[x, 3 + 2 * y] == j:
                        if ent[x, 4 + 2 * y] > fx:
                            fx = ent[x, 4 + 2 * y]
                        break
                if f > fx:
                    dom = False
                    break
        if dom:
            if prev < 0:
                head = nxt
            else:
                ent[prev, 1] = nxt
        else:
            prev = x
        x = nxt
    ent[e, 1] = head
    tab_key[slot] = key
    tab_head[slot] = e
    ctl[_ENTRIES] = e + 1


@numba.njit(cache=True, inline="always")
def _left_shiftable(
    work: I64, t: int, dur: I64, dem: I64, cap: I64, pred_ptr: I64, pred_idx: I64, use: I64
) -> bool:
    """Left-shift rule: a task started at ``t`` that could start at ``t - 1`` in the partial
    schedule left after the delay (its predecessors done, room in period ``t - 1``)."""
    n = dur.shape[0]
    nr = cap.shape[0]
    for r in range(nr):
        use[r] = 0
    for i in range(n):
        if work[i] >= 0 and work[i] <= t - 1 and work[i] + dur[i] > t - 1:
            for r in range(nr):
                use[r] += dem[i, r]
    for j in range(n):
        if work[j] != t or dur[j] == 0:
            continue
        ok = True
        for r in range(nr):
            if use[r] + dem[j, r] > cap[r]:
                ok = False
                break
        if not ok:
            continue
        for k in range(pred_ptr[j], pred_ptr[j + 1]):
            i = pred_idx[k]
            if work[i] + dur[i] > t - 1:
                ok = False
                break
        if ok:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def _search_slice(
    dur: I64,
    dem: I64,
    cap: I64,
    pred_ptr: I64,
    pred_idx: I64,
    topo: I64,
    tail: I64,
    compat: npt.NDArray[np.bool_],
    clq_ptr: I64,
    clq_idx: I64,
    ctl: I64,
    best: I64,
    st_t: I64,
    st_start: I64,
    st_aug: I64,
    st_expanded: I64,
    st_next: I64,
    st_nch: I64,
    ch_mask: npt.NDArray[np.uint64],
    ch_lb: I64,
    ch_t: I64,
    tab_key: npt.NDArray[np.uint64],
    tab_head: I64,
    ent: I64,
    node_limit: int,
    flags: int,
) -> None:
    n = dur.shape[0]
    nr = cap.shape[0]
    est = np.zeros(n, np.int64)
    use = np.zeros(nr, np.int64)
    conf = np.zeros(MAX_CONFLICT, np.int64)
    alt_mask = np.zeros(MAX_CHILDREN, np.uint64)
    alt_tn = np.zeros(MAX_CHILDREN, np.int64)
    cand = np.zeros(MAX_CONFLICT + 1, np.int64)
    sel = np.zeros(MAX_CONFLICT + 1, np.int64)
    work = np.zeros(n, np.int64)
    cur = np.zeros(n, np.int64)
    prog = np.zeros(n, np.int64)
    rem = np.zeros(n, np.int64)
    qv = np.zeros(n, np.int64)
    members = np.zeros(n, np.int64)
    ones = np.ones(n, np.int64)
    prof = np.zeros((st_t.shape[0] + 2, nr), np.int64)
    stop = ctl[_NODES] + node_limit
    while ctl[_DEPTH] >= 0:
        d = ctl[_DEPTH]
        ub = ctl[_UB]
        if st_expanded[d] == 0:
            if ctl[_NODES] >= stop or ctl[_STOP]:
                return
            ctl[_NODES] += 1
            st_expanded[d] = 1
            st_next[d] = 0
            st_nch[d] = 0
            t = st_t[d]
            key = np.uint64(0)
            for j in range(n):
                cur[j] = st_start[d, j]
                if cur[j] >= 0:
                    key |= np.uint64(1) << np.uint64(j)
            if d > 0 and _dominated(tab_key, tab_head, key, t, cur, dur, ent, ctl):
                st_nch[d] = -1  # pruned: not stored
                ctl[_CUT] += 1
                continue
            # augmentation: start every task whose predecessors have finished by t
            for j in range(n):
                st_aug[d, j] = st_start[d, j]
            unscheduled = 0
            running_before = False
            for q in range(n):
                j = topo[q]
                s = st_aug[d, j]
                if s >= 0:
                    if s < t and s + dur[j] > t:
                        running_before = True
                    continue
                ready = True
                for k in range(pred_ptr[j], pred_ptr[j + 1]):
                    i = pred_idx[k]
                    if st_aug[d, i] < 0 or st_aug[d, i] + dur[i] > t:
                        ready = False
                        break
                if ready:
                    st_aug[d, j] = t
                else:
                    unscheduled += 1
            # tasks in progress at t and their usage
            for r in range(nr):
                use[r] = 0
            nconf = 0
            for j in range(n):
                s = st_aug[d, j]
                if s >= 0 and s + dur[j] > t:
                    busy = False
                    for r in range(nr):
                        if dem[j, r] > 0:
                            use[r] += dem[j, r]
                            busy = True
                    if busy:
                        if nconf == MAX_CONFLICT:
                            ctl[_STATUS] = _GAVE_UP
                            return
                        conf[nconf] = j
                        nconf += 1
            over = False
            for r in range(nr):
                if use[r] > cap[r]:
                    over = True
            if not over and unscheduled == 0:
                mk = 0
                for j in range(n):
                    if st_aug[d, j] + dur[j] > mk:
                        mk = st_aug[d, j] + dur[j]
                if mk < ctl[_UB]:  # re-read: another thread may have lowered it
                    ctl[_UB] = mk
                    for j in range(n):
                        best[j] = st_aug[d, j]
                continue
            # Theorems 3 and 4 of Demeulemeester & Herroelen (1992): with nothing in progress,
            # a task that fits beside no other unscheduled task (or beside one shorter task
            # that is eligible now) starts now, alone (with it), and the others wait for it.
            nalt = 0
            if over and not running_before and (flags & _THEOREMS):
                for q in range(nconf):
                    i = conf[q]
                    cnt = 0
                    other = -1
                    for j in range(n):
                        if j != i and (st_aug[d, j] < 0 or st_aug[d, j] == t) and compat[i, j]:
                            cnt += 1
                            other = j
                            if cnt > 1:
                                break
                    if cnt == 0 or (cnt == 1 and st_aug[d, other] == t and dur[other] <= dur[i]):
                        dmask = np.uint64(0)
                        for x in range(nconf):
                            j = conf[x]
                            if j != i and (cnt == 0 or j != other):
                                dmask |= np.uint64(1) << np.uint64(j)
                        alt_mask[0] = dmask
                        alt_tn[0] = t + dur[i]
                        nalt = 1
                        ctl[_THEOREM] += 1
                        break
            if nalt == 0:
                # one child per minimal delaying alternative, i.e. per maximal subset of the
                # tasks in progress that fits (the whole set when nothing conflicts); the
                # subsets that fit are enumerated depth first, in increasing index order
                depth = 0
                cand[0] = 0
                for r in range(nr):
                    use[r] = 0
                keep = np.uint64(0)
                emit = not over
                steps = 0
                while True:
                    steps += 1
                    if steps > MAX_SUBSET_STEPS:
                        ctl[_STATUS] = _GAVE_UP
                        return
                    if emit:
                        emit = False
                        maximal = True
                        if over:
                            for q in range(nconf):
                                if (keep >> np.uint64(q)) & np.uint64(1):
                                    continue
                                fits = True
                                for r in range(nr):
                                    if use[r] + dem[conf[q], r] > cap[r]:
                                        fits = False
                                        break
                                if fits:
                                    maximal = False
                                    break
                        if maximal:
                            if nalt == alt_mask.shape[0]:
                                ctl[_STATUS] = _GAVE_UP
                                return
                            dmask = np.uint64(0)
                            if over:
                                for q in range(nconf):
                                    if not (keep >> np.uint64(q)) & np.uint64(1):
                                        dmask |= np.uint64(1) << np.uint64(conf[q])
                            alt_mask[nalt] = dmask
                            alt_tn[nalt] = -1
                            nalt += 1
                        if not over:
                            break
                    i = cand[depth]
                    if i < nconf:
                        cand[depth] = i + 1
                        fits = True
                        for r in range(nr):
                            if use[r] + dem[conf[i], r] > cap[r]:
                                fits = False
                                break
                        if fits:
                            for r in range(nr):
                                use[r] += dem[conf[i], r]
                            sel[depth] = i
                            keep |= np.uint64(1) << np.uint64(i)
                            depth += 1
                            cand[depth] = i + 1
                            emit = True
                    else:
                        if depth == 0:
                            break
                        depth -= 1
                        i = sel[depth]
                        for r in range(nr):
                            use[r] -= dem[conf[i], r]
                        keep ^= np.uint64(1) << np.uint64(i)
            # bound the children; keep them sorted by lower bound
            aug_key = np.uint64(0)
            nprog = 0
            for j in range(n):
                s = st_aug[d, j]
                cur[j] = s
                if s >= 0:
                    aug_key |= np.uint64(1) << np.uint64(j)
                    if s + dur[j] > t:
                        prog[nprog] = j
                        nprog += 1
            for a in range(nalt):
                dmask = alt_mask[a]
                ckey = aug_key & ~dmask
                early = False
                tn = alt_tn[a]
                for x in range(nprog):
                    j = prog[x]
                    if (dmask >> np.uint64(j)) & np.uint64(1):
                        if cur[j] < t:
                            early = True
                    elif alt_tn[a] < 0 and (tn < 0 or cur[j] + dur[j] < tn):
                        # next decision time: the first finish among the tasks kept
                        tn = cur[j] + dur[j]
                if tn < 0:
                    continue
                # the tasks in a stored node's cutset are those of ckey: cur holds their starts
                # the tasks of the child's cutset are those of ckey: cur holds their starts
                if (flags & _CHILD_CUTSET) and _dominated(
                    tab_key, tab_head, ckey, tn, cur, dur, ent, ctl
                ):
                    ctl[_CUT] += 1
                    continue
                for j in range(n):
                    work[j] = -1 if (dmask >> np.uint64(j)) & np.uint64(1) else cur[j]
                if (
                    early
                    and (flags & _LEFT_SHIFT)
                    and _left_shiftable(work, t, dur, dem, cap, pred_ptr, pred_idx, use)
                ):
                    ctl[_SHIFTED] += 1
                    continue
                lb = _lower_bound(
                    work, tn, dur, pred_ptr, pred_idx, topo, tail, clq_ptr, clq_idx, est,
                    rem, qv, members, ones, ub, flags,
                )  # fmt: skip
                if lb >= ub:
                    ctl[_LB_PRUNED] += 1
                    continue
                if (flags & _TIMETABLE) and _timetable_conflict(
                    work, tn, dur, dem, cap, tail, est, ub, prof
                ):
                    ctl[_TT_PRUNED] += 1
                    continue
                c = st_nch[d]
                if c == ch_lb.shape[1]:
                    ctl[_STATUS] = _GAVE_UP
                    return
                while c > 0 and ch_lb[d, c - 1] > lb:
                    ch_lb[d, c] = ch_lb[d, c - 1]
                    ch_mask[d, c] = ch_mask[d, c - 1]
                    ch_t[d, c] = ch_t[d, c - 1]
                    c -= 1
                ch_lb[d, c] = lb
                ch_mask[d, c] = dmask
                ch_t[d, c] = tn
                st_nch[d] += 1
            continue
        # expanded: next child or backtrack
        c = st_next[d]
        while c < st_nch[d] and ch_lb[d, c] >= ub:
            c += 1
        if c < st_nch[d]:
            st_next[d] = c + 1
            dm = ch_mask[d, c]
            for j in range(n):
                if (dm >> np.uint64(j)) & np.uint64(1):
                    st_start[d + 1, j] = -1
                else:
                    st_start[d + 1, j] = st_aug[d, j]
            st_t[d + 1] = ch_t[d, c]
            st_expanded[d + 1] = 0
            ctl[_DEPTH] = d + 1
            continue
        # subtree explored: remember the node for the cutset rule
        if st_nch[d] >= 0 and d > 0:
            t = st_t[d]
            key = np.uint64(0)
            for j in range(n):
                cur[j] = st_start[d, j]
                if cur[j] >= 0:
                    key |= np.uint64(1) << np.uint64(j)
            _remember(tab_key, tab_head, key, t, cur, dur, ent, ctl)
        ctl[_DEPTH] = d - 1
    ctl[_STATUS] = _DONE


def _cliques(dur: I64, compat: npt.NDArray[np.bool_], limit: int) -> list[list[int]]:
    """Sets of tasks of which no two can overlap (a precedence path or capacities keep them
    apart): from each task, longest first, greedily add the longest task that overlaps
    none of the set. Each gives a one-machine bound (:func:`_window_bound`)."""
    seen: set[tuple[int, ...]] = set()
    out: list[list[int]] = []
    for j in np.argsort(-dur, kind="stable").tolist():
        if dur[j] == 0:
            break
        members = [j]
        cand = ~compat[j] & (dur > 0)
        cand[j] = False
        while cand.any():
            k = int(np.argmax(np.where(cand, dur, -1)))
            members.append(k)
            cand &= ~compat[k]
            cand[k] = False
        key = tuple(sorted(members))
        if len(members) >= 2 and key not in seen:
            seen.add(key)
            out.append(members)
            if len(out) >= limit:
                break
    return out


def _tails(dur: I64, succ: list[list[int]], topo: I64) -> I64:
    tail = dur.copy()
    for j in topo[::-1].tolist():
        for s in succ[j]:
            tail[j] = max(int(tail[j]), int(dur[j] + tail[s]))
    return tail


class BranchAndBound:
    """One search, resumable and stoppable from another thread: :meth:`run` in a worker
    thread (the compiled kernel releases the GIL), :meth:`offer` a shorter makespan another
    solver found, :meth:`stop` to end it early."""

    def __init__(
        self,
        prep: Prepared,
        upper_bound: int,
        *,
        store_entries: int = STORE_ENTRIES,
        max_cliques: int = MAX_CLIQUES,
        rules: int = ALL_RULES,
    ) -> None:
        nm = prep.norm
        n = nm.n
        self.upper_bound = int(upper_bound)
        self.rules = int(rules)
        self.dur = nm.dur.astype(np.int64)
        self.dem = np.ascontiguousarray(nm.dem, dtype=np.int64)
        self.cap = nm.cap.astype(np.int64)
        preds: list[list[int]] = [[] for _ in range(n)]
        succ: list[list[int]] = [[] for _ in range(n)]
        for i, j in nm.links.tolist():
            if j not in succ[i]:
                succ[i].append(j)
                preds[j].append(i)
        self.pred_ptr = np.zeros(n + 1, np.int64)
        self.pred_ptr[1:] = np.cumsum([len(p) for p in preds])
        self.pred_idx = np.array([i for p in preds for i in p], np.int64)
        self.topo = prep.topo.astype(np.int64)
        self.tail = _tails(self.dur, succ, self.topo)
        # compat[i, j]: i and j may run in parallel (no precedence path, capacities allow)
        reach = np.zeros((n, n), np.bool_)
        for j in self.topo[::-1].tolist():
            for k in succ[j]:
                reach[j, k] = True
                reach[j] |= reach[k]
        fit = np.all(self.dem[:, None, :] + self.dem[None, :, :] <= self.cap[None, None, :], axis=2)
        self.compat = fit & ~reach & ~reach.T
        np.fill_diagonal(self.compat, False)
        cl = _cliques(self.dur, self.compat, max_cliques) if max_cliques > 0 else []
        self.clq_ptr = np.zeros(len(cl) + 1, np.int64)
        self.clq_ptr[1:] = np.cumsum([len(c) for c in cl])
        self.clq_idx = np.array([j for c in cl for j in c], np.int64)
        # the stack: one level per decision time, so at most upper_bound + 1 levels
        depth = self.upper_bound + 2
        self.ctl = np.zeros(16, np.int64)
        self.ctl[_UB] = self.upper_bound
        self.best = np.full(n, -1, np.int64)
        self.st_t = np.zeros(depth, np.int64)
        self.st_start = np.full((depth, n), -1, np.int64)
        self.st_aug = np.full((depth, n), -1, np.int64)
        self.st_expanded = np.zeros(depth, np.int64)
        self.st_next = np.zeros(depth, np.int64)
        self.st_nch = np.zeros(depth, np.int64)
        self.ch_mask = np.zeros((depth, MAX_CHILDREN), np.uint64)
        self.ch_lb = np.zeros((depth, MAX_CHILDREN), np.int64)
        self.ch_t = np.zeros((depth, MAX_CHILDREN), np.int64)
        size = 1 << max(4, int(2 * store_entries - 1).bit_length())
        self.tab_key = np.zeros(size, np.uint64)
        self.tab_head = np.full(size, -1, np.int64)
        self.ent = np.zeros((store_entries, 3 + 2 * STORE_IN_PROGRESS), np.int64)

    def offer(self, makespan: int) -> None:
        """Another solver found a schedule of ``makespan``: look only for shorter ones."""
        # a plain store: the kernel reads the bound at every node (a stale read only prunes
        # less), and the caller keeps that schedule
        if makespan < self.ctl[_UB]:
            self.ctl[_UB] = makespan

    def stop(self) -> None:
        self.ctl[_STOP] = 1

    @property
    def nodes(self) -> int:
        return int(self.ctl[_NODES])

    def run(self, deadline: float) -> BnbOutcome:
        """Search until the tree is explored, :meth:`stop` or ``deadline`` (a
        ``time.perf_counter()`` value)."""
        ctl = self.ctl
        while ctl[_STATUS] == _RUNNING and not ctl[_STOP] and time.perf_counter() < deadline:
            _search_slice(
                self.dur, self.dem, self.cap, self.pred_ptr, self.pred_idx, self.topo,
                self.tail, self.compat, self.clq_ptr, self.clq_idx, ctl, self.best, self.st_t,
                self.st_start, self.st_aug, self.st_expanded, self.st_next, self.st_nch,
                self.ch_mask, self.ch_lb, self.ch_t, self.tab_key, self.tab_head, self.ent,
                SLICE_NODES, self.rules,
            )  # fmt: skip
        return self.outcome()

    def outcome(self) -> BnbOutcome:
        starts: I64 | None = None
        makespan: int | None = None
        if self.best[0] >= 0:
            starts = self.best.copy()
            makespan = int((starts + self.dur).max())
        return BnbOutcome(
            starts=starts,
            makespan=makespan,
            bound=int(self.ctl[_UB]),
            proven=bool(self.ctl[_STATUS] == _DONE),
            nodes=int(self.ctl[_NODES]),
        )


def search(
    prep: Prepared,
    upper_bound: int,
    *,
    deadline: float,
    store_entries: int = STORE_ENTRIES,
    max_cliques: int = MAX_CLIQUES,
    rules: int = ALL_RULES,
) -> BnbOutcome:
    """Look for a schedule shorter than ``upper_bound`` until ``deadline`` (a
    ``time.perf_counter()`` value); see :class:`BnbOutcome`."""
    return BranchAndBound(
        prep, upper_bound, store_entries=store_entries, max_cliques=max_cliques, rules=rules
    ).run(deadline)


def warm_up() -> None:
    """Load (or compile, the first time after a change) the kernel outside a timed run."""
    from pmo.engine.level import LevelProblem, prepare

    tiny = LevelProblem.from_successors(
        [0, 2, 2, 0], [[1, 2], [3], [3], []], [[0], [2], [2], [0]], [3]
    )
    search(prepare(tiny), 5, deadline=time.perf_counter() + 60.0, store_entries=16)
