"""Resource levelling: the resource-constrained project scheduling problem (RCPSP).

A plan is a set of tasks in integer periods (working days or hours: the caller maps calendars
onto periods), linked by generalised precedence (finish-to-start, start-to-start,
finish-to-finish, start-to-finish, each with an integer lag that may be negative), with
release dates, fixed tasks (started, complete or "must start on"), optional deadlines (soft or
hard), per-period demands on renewable resources and per-period capacities, possibly varying
over time (holidays, leave and part-time work are reduced capacity). Levelling chooses start
periods that respect precedence and capacity and finish the whole plan as early as possible
(makespan); ties are broken by soft-deadline tardiness, then by priority-weighted finish times
(portfolio levelling: higher priority finishes first).

Two engines sit behind :func:`level`:

* ``"heuristic"`` (:mod:`pmo.engine.level_heuristic`): serial schedule generation with priority
  rules, sampling, forward-backward justification and an activity-list genetic algorithm;
  fast on plans of many thousands of tasks;
* ``"exact"`` (:mod:`pmo.engine.level_exact`): OR-Tools CP-SAT on interval variables and
  cumulative constraints, warm-started by the heuristic; anytime, reports a proven lower bound
  and whether the schedule is optimal;
* ``"auto"`` picks exact for plans of up to ``AUTO_EXACT_MAX_TASKS`` tasks to level.

Every task that ends up later than its unconstrained early start is explained
(:class:`TaskMove`): how much of the delay comes from moved predecessors and how much from a
resource, which resource, in which period, and which tasks held it.

This module is pure computation: numpy in, numpy out, no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from pmo.engine.level_heuristic import NO_BOUND, SchedulingArrays, left_justify, run_heuristic
from pmo.errors import CircularDependency, FieldError, ValidationFailed

I64 = npt.NDArray[np.int64]

Engine = Literal["exact", "heuristic", "auto"]
LinkKind = Literal["FS", "SS", "FF", "SF"]

LINK_TYPES: tuple[LinkKind, ...] = ("FS", "SS", "FF", "SF")
FS, SS, FF, SF = 0, 1, 2, 3

#: ``engine="auto"`` uses the exact engine up to this many tasks to level.
AUTO_EXACT_MAX_TASKS = 300
#: time kept back from the heuristic's limit per task, for :func:`explain`
EXPLAIN_SECONDS_PER_TASK = 7e-5
#: the exact engine stops this long before the time limit (at most this share of it): CP-SAT
#: returns up to ~0.1 s after its own limit, then the result is left-justified and explained,
#: and the time limit is a promise to whoever waits for the answer
EXACT_RESERVE_SECONDS = 0.15
EXACT_RESERVE_SHARE = 0.05


def _as_i64(values: object, shape: tuple[int, ...] | None = None) -> I64:
    arr = np.asarray(values, dtype=np.int64)
    if shape is not None and arr.size == 0:
        arr = arr.reshape(shape)
    return arr


@dataclass(frozen=True, eq=False)
class LevelProblem:
    """A levelling problem in integer periods; arrays are indexed by task (0-based).

    ``links`` is an (m, 2) array of (predecessor, successor) with ``link_types`` (0=FS, 1=SS,
    2=FF, 3=SF, default FS) and ``lags`` (default 0). ``release`` is the earliest start of each
    task (default 0: period 0 is the status date). Tasks where ``fixed`` is true keep their
    ``fixed_start`` (started, complete or "must start on"; may be before 0) and occupy
    capacity; a period overloaded by fixed tasks alone is not a levelling error. ``deadline``
    is a latest finish (-1 = none), hard where ``deadline_hard`` (the exact engine enforces it;
    the heuristic reports a miss), otherwise soft (minimised as tardiness). ``capacity`` is the
    per-period capacity of each resource; ``capacity_profile`` (R, H) overrides it in periods
    0..H-1 and ``capacity`` applies from H on. ``priority`` (higher = more important) breaks ties.
    """

    durations: I64
    demands: I64
    capacity: I64
    links: I64 = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    link_types: I64 | None = None
    lags: I64 | None = None
    release: I64 | None = None
    fixed: npt.NDArray[np.bool_] | None = None
    fixed_start: I64 | None = None
    deadline: I64 | None = None
    deadline_hard: npt.NDArray[np.bool_] | None = None
    priority: I64 | None = None
    capacity_profile: I64 | None = None
    names: tuple[str, ...] | None = None
    resource_names: tuple[str, ...] | None = None

    @property
    def n_tasks(self) -> int:
        return int(np.asarray(self.durations).shape[0])

    @property
    def n_resources(self) -> int:
        return int(np.asarray(self.capacity).shape[0])

    def task_name(self, j: int) -> str:
        return self.names[j] if self.names else str(j)

    @classmethod
    def from_successors(
        cls,
        durations: npt.ArrayLike,
        successors: Sequence[Sequence[int]],
        demands: npt.ArrayLike,
        capacity: npt.ArrayLike,
        *,
        names: Sequence[str] | None = None,
    ) -> LevelProblem:
        """A classic RCPSP (finish-to-start links, lag 0), e.g. from a PSPLIB instance."""
        pairs = [(i, s) for i, succ in enumerate(successors) for s in succ]
        return cls(
            durations=_as_i64(durations),
            demands=_as_i64(demands),
            capacity=_as_i64(capacity),
            links=_as_i64(pairs, (0, 2)).reshape(-1, 2),
            names=tuple(names) if names is not None else None,
        )


@dataclass(frozen=True)
class LevelOptions:
    engine: Engine = "auto"
    time_limit: float = 10.0
    num_workers: int = 2
    seed: int = 0
    #: schedules budget of the heuristic engine (each SGS pass counts one)
    schedules: int = 5000
    #: log CP-SAT's search to stdout
    log: bool = False


@dataclass(frozen=True)
class TaskMove:
    """Why a task starts ``delay`` periods after its unconstrained early start.

    ``precedence_delay`` periods come from predecessors that moved (``predecessors`` are the
    binding ones); the other ``resource_delay`` periods the task waited for ``resource``, which
    in ``period`` was held by ``holders``. ``resource`` is None when the move has no resource
    cause (e.g. only moved predecessors, or a non-left-justified exact schedule).
    """

    task: int
    early_start: int
    start: int
    delay: int
    precedence_delay: int
    predecessors: tuple[int, ...]
    resource_delay: int
    resource: int | None
    period: int | None
    holders: tuple[int, ...]

    def describe(self, problem: LevelProblem) -> str:
        name = problem.task_name
        parts = [f"{name(self.task)} moved {self.delay} period(s)"]
        if self.precedence_delay:
            preds = ", ".join(name(p) for p in self.predecessors)
            parts.append(f"{self.precedence_delay} after moved predecessor(s) {preds}")
        if self.resource_delay:
            if self.resource is None:
                parts.append(f"{self.resource_delay} by the levelling choice")
            else:
                rn = (
                    problem.resource_names[self.resource]
                    if problem.resource_names
                    else f"resource {self.resource}"
                )
                holders = ", ".join(name(h) for h in self.holders) or "reduced capacity"
                parts.append(
                    f"{self.resource_delay} waiting for {rn}, held in period {self.period} "
                    f"by {holders}"
                )
        return "; ".join(parts)


@dataclass(frozen=True, eq=False)
class LevelResult:
    starts: I64
    makespan: int
    lower_bound: int
    optimal: bool
    engine: Literal["exact", "heuristic"]
    seconds: float
    schedules: int
    early_starts: I64
    moves: tuple[TaskMove, ...]
    #: tasks finishing after their deadline: (task, deadline, finish, hard)
    late: tuple[tuple[int, int, int, bool], ...] = ()
    status: str = ""

    def finishes(self, problem: LevelProblem) -> I64:
        return self.starts + _as_i64(problem.durations)


# ---------------------------------------------------------------------------------------------
# validation and preparation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Norm:
    """The problem with every optional array filled in and checked."""

    n: int
    r: int
    dur: I64
    dem: I64
    cap: I64
    links: I64
    types: I64
    lags: I64
    dist: I64  # minimum start-to-start distance of each link
    release: I64
    fixed: I64  # start of fixed tasks (0 for free ones)
    free: npt.NDArray[np.bool_]
    deadline: I64
    hard: npt.NDArray[np.bool_]
    priority: I64
    profile: I64  # (R, H), H >= 0


def _normalise(p: LevelProblem) -> _Norm:
    errors: list[FieldError] = []

    def bad(path: tuple[str | int, ...], msg: str) -> None:
        errors.append(FieldError(path, msg))

    dur = _as_i64(p.durations).reshape(-1)
    n = dur.shape[0]
    cap = _as_i64(p.capacity).reshape(-1)
    r = cap.shape[0]
    dem = _as_i64(p.demands, (n, r))
    if dem.shape != (n, r):
        raise ValidationFailed.field("demands", f"expected shape ({n}, {r}), got {dem.shape}")
    links = _as_i64(p.links, (0, 2))
    if links.ndim != 2 or links.shape[1] != 2:
        raise ValidationFailed.field("links", "expected an (m, 2) array of task pairs")
    m = links.shape[0]

    def opt(
        name: str, values: object, default: int, shape: tuple[int, ...]
    ) -> I64:  # optional per-row array
        if values is None:
            return np.full(shape, default, np.int64)
        arr = _as_i64(values, shape)
        if arr.shape != shape:
            raise ValidationFailed.field(name, f"expected shape {shape}, got {arr.shape}")
        return arr

    types = opt("link_types", p.link_types, FS, (m,))
    lags = opt("lags", p.lags, 0, (m,))
    release = opt("release", p.release, 0, (n,))
    fixed = opt("fixed_start", p.fixed_start, 0, (n,))
    is_fixed = (
        np.zeros(n, np.bool_) if p.fixed is None else np.asarray(p.fixed, np.bool_).reshape(-1)
    )
    if is_fixed.shape != (n,):
        raise ValidationFailed.field("fixed", f"expected shape ({n},)")
    if is_fixed.any() and p.fixed_start is None:
        raise ValidationFailed.field("fixed_start", "fixed tasks need their start")
    fixed = np.where(is_fixed, fixed, 0).astype(np.int64)
    deadline = opt("deadline", p.deadline, -1, (n,))
    priority = opt("priority", p.priority, 0, (n,))
    hard = (
        np.zeros(n, np.bool_)
        if p.deadline_hard is None
        else np.asarray(p.deadline_hard, dtype=np.bool_).reshape(-1)
    )
    if hard.shape != (n,):
        raise ValidationFailed.field("deadline_hard", f"expected shape ({n},)")
    profile = (
        np.zeros((r, 0), np.int64)
        if p.capacity_profile is None
        else _as_i64(p.capacity_profile, (r, 0))
    )
    if profile.ndim != 2 or profile.shape[0] != r:
        raise ValidationFailed.field("capacity_profile", f"expected shape ({r}, horizon)")
    if p.names is not None and len(p.names) != n:
        bad(("names",), f"expected {n} names")

    for j in np.flatnonzero(dur < 0):
        bad(("durations", int(j)), "negative duration")
    for res in np.flatnonzero(cap < 0):
        bad(("capacity", int(res)), "negative capacity")
    if np.any(profile < 0):
        bad(("capacity_profile",), "negative capacity")
    for j, res in zip(*np.nonzero(dem < 0), strict=True):
        bad(("demands", int(j), int(res)), "negative demand")
    free = ~is_fixed
    for j, res in zip(*np.nonzero((dem > cap[None, :]) & free[:, None]), strict=True):
        bad(
            ("demands", int(j), int(res)),
            f"demand {int(dem[j, res])} exceeds the capacity {int(cap[res])}: "
            "the task can never be scheduled",
        )
    for j in np.flatnonzero(release < 0):
        bad(("release", int(j)), "release before period 0")
    for k in range(m):
        a, b = int(links[k, 0]), int(links[k, 1])
        if not (0 <= a < n and 0 <= b < n):
            bad(("links", k), f"task index out of range 0..{n - 1}")
        elif a == b:
            bad(("links", k), "a task cannot be linked to itself")
        if not 0 <= int(types[k]) <= 3:
            bad(("link_types", k), "link type must be 0..3 (FS, SS, FF, SF)")
    if errors:
        raise ValidationFailed(errors)

    pa, pb = links[:, 0], links[:, 1]
    dist = np.where(
        types == FS,
        dur[pa] + lags,
        np.where(
            types == SS, lags, np.where(types == FF, dur[pa] - dur[pb] + lags, lags - dur[pb])
        ),
    ).astype(np.int64)
    return _Norm(
        n, r, dur, dem, cap, links, types, lags, dist, release, fixed, free, deadline, hard,
        priority,
        profile,
    )  # fmt: skip


def _topological_order(n: int, links: I64, names: Sequence[str] | None) -> I64:
    """Kahn's algorithm; raises :class:`CircularDependency` naming one cycle."""
    succ_ptr, succ_idx = _csr(n, links[:, 0], links[:, 1])
    indeg = np.bincount(links[:, 1], minlength=n).astype(np.int64)
    stack = list(np.flatnonzero(indeg == 0)[::-1])
    order: list[int] = []
    while stack:
        j = int(stack.pop())
        order.append(j)
        for s in succ_idx[succ_ptr[j] : succ_ptr[j + 1]]:
            indeg[s] -= 1
            if indeg[s] == 0:
                stack.append(int(s))
    if len(order) < n:
        # walk predecessors inside the remaining subgraph until a task repeats
        left = set(np.flatnonzero(indeg > 0).tolist())
        pred: dict[int, int] = {}
        for a, b in links.tolist():
            if a in left and b in left:
                pred.setdefault(b, a)
        j = next(iter(left))
        seen: list[int] = []
        while j not in seen:
            seen.append(j)
            j = pred[j]
        cycle = seen[seen.index(j) :][::-1]
        label = [names[c] if names else str(c) for c in cycle]
        raise CircularDependency(label)
    return np.array(order, dtype=np.int64)


def _csr(n: int, src: I64, dst: I64, data: I64 | None = None) -> tuple[I64, ...]:
    order = np.argsort(src, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=ptr[1:])
    out: tuple[I64, ...] = (ptr, np.ascontiguousarray(dst[order]).astype(np.int64))
    if data is not None:
        out = (*out, np.ascontiguousarray(data[order]).astype(np.int64))
    return out


@dataclass(frozen=True, eq=False)
class Prepared:
    """Everything both engines need: the normalised problem, temporal analysis, arrays."""

    norm: _Norm
    topo: I64  # topological order of all tasks
    early: I64  # unconstrained early start (precedence, releases, fixed tasks)
    arrays: SchedulingArrays
    cpm_bound: int  # critical-path lower bound on the makespan
    lower_bound: int  # max of the critical-path and the energy bound


def prepare(problem: LevelProblem) -> Prepared:
    """Validate ``problem``, run the temporal analysis and build the compiled-code arrays."""
    nm = _normalise(problem)
    n, r = nm.n, nm.r
    topo = _topological_order(n, nm.links, problem.names)
    free = nm.free
    pa, pb, dist = nm.links[:, 0], nm.links[:, 1], nm.dist

    # early starts over the whole graph (fixed tasks pinned)
    in_ptr, in_src, in_dist = _csr(n, pb, pa, dist)
    early = np.where(free, nm.release, nm.fixed).astype(np.int64)
    for j in topo.tolist():
        if not free[j]:
            continue
        k0, k1 = in_ptr[j], in_ptr[j + 1]
        if k1 > k0:
            early[j] = max(int(early[j]), int((early[in_src[k0:k1]] + in_dist[k0:k1]).max()))
    finish = early + nm.dur
    cpm_bound = int(finish.max()) if n else 0

    # latest starts: from hard deadlines and links into fixed tasks (heuristic bounds), and from
    # the critical-path end (LFT priority)
    out_ptr, out_dst, out_dist = _csr(n, pa, pb, dist)
    latest = np.full(n, NO_BOUND, np.int64)
    hard_dl = np.where((nm.deadline >= 0) & nm.hard, nm.deadline, NO_BOUND).astype(np.int64)
    soft_dl = np.where((nm.deadline >= 0) & ~nm.hard, nm.deadline, NO_BOUND).astype(np.int64)
    late_cpm = np.full(n, cpm_bound, np.int64) - nm.dur
    late_cpm = np.minimum(late_cpm, np.where(hard_dl < NO_BOUND, hard_dl - nm.dur, NO_BOUND))
    for j in topo[::-1].tolist():
        k0, k1 = out_ptr[j], out_ptr[j + 1]
        if k1 > k0:
            succ = out_dst[k0:k1]
            lim = late_cpm[succ] - out_dist[k0:k1]
            late_cpm[j] = min(int(late_cpm[j]), int(lim.min()))
            fixed_succ = ~free[succ]
            if fixed_succ.any():
                lim_f = nm.fixed[succ[fixed_succ]] - out_dist[k0:k1][fixed_succ]
                latest[j] = min(int(latest[j]), int(lim_f.min()))
            lim_l = np.where(latest[succ] < NO_BOUND, latest[succ] - out_dist[k0:k1], NO_BOUND)
            latest[j] = min(int(latest[j]), int(lim_l.min()))
        if hard_dl[j] < NO_BOUND:
            latest[j] = min(int(latest[j]), int(hard_dl[j] - nm.dur[j]))
    latest = np.where(free, np.maximum(latest, early), NO_BOUND).astype(np.int64)
    lft = late_cpm + nm.dur

    # free-to-free precedence CSR
    keep = free[pa] & free[pb]
    pred_ptr, pred_idx, pred_dist = _csr(n, pb[keep], pa[keep], dist[keep])
    succ_ptr, succ_idx, succ_dist = _csr(n, pa[keep], pb[keep], dist[keep])

    # resource requests of free tasks
    rows, cols = np.nonzero((nm.dem > 0) & free[:, None] & (nm.dur > 0)[:, None])
    req_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=req_ptr[1:])
    req_res = cols.astype(np.int64)
    req_amt = nm.dem[rows, cols].astype(np.int64)

    # profile length: enough for any serial-SGS schedule (each task starts at the latest when
    # everything before it has finished and its predecessors allow)
    fixed_end = int(np.max(np.where(free, 0, nm.fixed + nm.dur), initial=0))
    h0 = max(nm.profile.shape[1], fixed_end, int(np.max(early, initial=0)))
    pos_in = np.zeros(n, np.int64)
    np.maximum.at(pos_in, pb[keep], np.maximum(dist[keep], 0))
    horizon = h0 + int(nm.dur[free].sum()) + int(pos_in[free].sum()) + 1
    avail0 = np.empty((horizon, r), np.int64)
    avail0[:, :] = nm.cap[None, :]
    hp = nm.profile.shape[1]
    if hp:
        avail0[:hp, :] = nm.profile.T
    for j in np.flatnonzero(~free).tolist():
        a0, a1 = max(0, int(nm.fixed[j])), max(0, int(nm.fixed[j] + nm.dur[j]))
        if a1 > a0:
            avail0[a0:a1, :] -= nm.dem[j][None, :]

    pmin = int(nm.priority.min()) if n else 0
    weight = (1.0 + nm.priority - pmin).astype(np.float64)
    arrays = SchedulingArrays(
        n=n,
        dur=nm.dur,
        free=free,
        start0=np.where(free, 0, nm.fixed).astype(np.int64),
        release=early,
        latest=latest,
        pred_ptr=pred_ptr,
        pred_idx=pred_idx,
        pred_dist=pred_dist,
        succ_ptr=succ_ptr,
        succ_idx=succ_idx,
        succ_dist=succ_dist,
        req_ptr=req_ptr,
        req_res=req_res,
        req_amt=req_amt,
        avail0=avail0,
        order_free=np.ascontiguousarray(topo[free[topo]]),
        lft=lft.astype(np.int64),
        weight=weight,
        soft_deadline=soft_dl,
        hard_deadline=hard_dl,
        fixed_end=fixed_end,
        inv_cap=np.where(nm.cap > 0, 1.0 / np.maximum(nm.cap, 1), 0.0).astype(np.float64),
    )
    lower = max(cpm_bound, _energy_bound(nm, free, early))
    return Prepared(nm, topo, early, arrays, cpm_bound, lower)


def _energy_bound(nm: _Norm, free: npt.NDArray[np.bool_], early: I64) -> int:
    """Smallest T such that, for every resource, the capacity of periods [e, T) can hold the
    work of the free tasks (e = earliest release among those using it). Time-varying capacity
    and fixed tasks' usage are taken into account through the cumulated profile."""
    best = 0
    for res in range(nm.r):
        use = free & (nm.dem[:, res] > 0) & (nm.dur > 0)
        if not use.any():
            continue
        work = int((nm.dem[use, res] * nm.dur[use]).sum())
        start = int(early[use].min())
        cap_base = int(nm.cap[res])
        if cap_base <= 0:
            continue
        hp = nm.profile.shape[1]
        # capacity left by fixed tasks in each period of the profile window
        horizon = max(hp, start) + 1
        fixed_use = np.zeros(horizon + 1, np.int64)
        for j in np.flatnonzero(~free & (nm.dem[:, res] > 0)).tolist():
            a0 = min(horizon, max(0, int(nm.fixed[j])))
            a1 = min(horizon, max(0, int(nm.fixed[j] + nm.dur[j])))
            fixed_use[a0] += nm.dem[j, res]
            fixed_use[a1] -= nm.dem[j, res]
        left = np.full(horizon, cap_base, np.int64)
        if hp:
            left[:hp] = nm.profile[res]
        left = np.maximum(left - np.cumsum(fixed_use)[:horizon], 0)
        left[:start] = 0
        cum = np.cumsum(left)
        if cum[-1] >= work:
            t = int(np.searchsorted(cum, work)) + 1
        else:
            t = horizon + -(-(work - int(cum[-1])) // cap_base)
        best = max(best, t)
    return best


# ---------------------------------------------------------------------------------------------
# verification and explanation
# ---------------------------------------------------------------------------------------------


def check_schedule(problem: LevelProblem, starts: npt.ArrayLike, *, limit: int = 50) -> list[str]:
    """Independent check of a schedule: every violated link (type and lag), release, fixed
    start, hard deadline and per-period capacity, as readable messages (empty = feasible).
    At most ``limit`` messages, plus a count of the ones left out."""
    nm = _normalise(problem)
    name = problem.task_name
    s = np.asarray(starts)
    if s.shape != (nm.n,):
        return [f"expected {nm.n} starts, got shape {s.shape}"]
    if not np.issubdtype(s.dtype, np.integer) and not np.all(np.equal(np.mod(s, 1), 0)):
        return ["starts must be whole periods"]
    s = s.astype(np.int64)
    out: list[str] = []
    free = nm.free
    f = s + nm.dur
    for j in np.flatnonzero(~free & (s != nm.fixed)).tolist():
        out.append(f"{name(j)}: fixed at {int(nm.fixed[j])} but starts at {int(s[j])}")
    for j in np.flatnonzero(free & (s < nm.release)).tolist():
        out.append(f"{name(j)}: starts at {int(s[j])} before its release {int(nm.release[j])}")
    for j in np.flatnonzero((nm.deadline >= 0) & nm.hard & (f > nm.deadline)).tolist():
        out.append(f"{name(j)}: finishes at {int(f[j])} after its deadline {int(nm.deadline[j])}")
    for k in range(nm.links.shape[0]):
        a, b = int(nm.links[k, 0]), int(nm.links[k, 1])
        if not free[a] and not free[b]:
            continue  # both given: not the leveller's doing
        if s[b] < s[a] + nm.dist[k]:
            kind = LINK_TYPES[int(nm.types[k])]
            lhs = {"FS": f[a], "SS": s[a], "FF": f[a], "SF": s[a]}[kind]
            rhs = {"FS": s[b], "SS": s[b], "FF": f[b], "SF": f[b]}[kind]
            out.append(
                f"link {name(a)} -{kind}{int(nm.lags[k]):+d}-> {name(b)}: "
                f"{int(rhs)} < {int(lhs)}{int(nm.lags[k]):+d}"
            )
    if nm.n and nm.r:
        lo = int(min(0, s.min()))
        hi = int(max(int(f.max()), nm.profile.shape[1]))
        size = hi - lo + 1
        diff = np.zeros((size + 1, nm.r), np.int64)
        diff_free = np.zeros((size + 1, nm.r), np.int64)
        busy = nm.dur > 0
        np.add.at(diff, s[busy] - lo, nm.dem[busy])
        np.add.at(diff, f[busy] - lo, -nm.dem[busy])
        fb = busy & free
        np.add.at(diff_free, s[fb] - lo, nm.dem[fb])
        np.add.at(diff_free, f[fb] - lo, -nm.dem[fb])
        use = np.cumsum(diff, axis=0)[:size]
        use_free = np.cumsum(diff_free, axis=0)[:size]
        cap = np.broadcast_to(nm.cap, (size, nm.r)).copy()
        hp = nm.profile.shape[1]
        if hp:
            cap[-lo : -lo + hp] = nm.profile.T
        over = (use > cap) & (use_free > 0)
        over[: -lo if lo < 0 else 0] = False
        for t, res in zip(*np.nonzero(over), strict=True):
            rn = problem.resource_names[res] if problem.resource_names else f"resource {res}"
            out.append(f"{rn}: period {int(t) + lo} uses {int(use[t, res])} of {int(cap[t, res])}")
    if len(out) > limit:
        out = [*out[:limit], f"... and {len(out) - limit} more"]
    return out


def explain(prep: Prepared, starts: I64) -> tuple[TaskMove, ...]:
    """For each free task starting after its early start: the precedence part of the delay
    (binding predecessors) and the resource part (the resource, the period where the task could
    not run one period earlier, and the tasks holding that resource then)."""
    nm = prep.norm
    a = prep.arrays
    n, r = nm.n, nm.r
    free = a.free
    f = starts + nm.dur
    moves: list[TaskMove] = []
    delayed = np.flatnonzero(free & (starts > prep.early))
    if delayed.size == 0:
        return ()
    in_ptr, in_src, in_dist = _csr(n, nm.links[:, 1], nm.links[:, 0], nm.dist)
    # usage per period for the holders lookup
    lo = min(0, int(starts.min()))
    size = int(max(int(f.max()), 0)) - lo + 1
    diff = np.zeros((size + 1, r), np.int64)
    busy = nm.dur > 0
    np.add.at(diff, starts[busy] - lo, nm.dem[busy])
    np.add.at(diff, f[busy] - lo, -nm.dem[busy])
    use = np.cumsum(diff, axis=0)[:size]
    hp = nm.profile.shape[1]
    for j in delayed.tolist():
        k0, k1 = in_ptr[j], in_ptr[j + 1]
        bound = int(max(int(nm.release[j]), 0))
        preds: tuple[int, ...] = ()
        if k1 > k0:
            vals = starts[in_src[k0:k1]] + in_dist[k0:k1]
            pbound = int(vals.max())
            if pbound > bound:
                bound = pbound
                preds = tuple(sorted(set(in_src[k0:k1][vals == pbound].tolist())))
        bound = max(bound, int(prep.early[j]))
        prec_delay = bound - int(prep.early[j])
        if prec_delay == 0:
            preds = ()
        res_delay = int(starts[j]) - bound
        resource: int | None = None
        period: int | None = None
        holders: tuple[int, ...] = ()
        if res_delay > 0 and nm.dur[j] > 0:
            t0 = int(starts[j]) - 1  # why not one period earlier?
            for tau in range(t0 + int(nm.dur[j]) - 1, t0 - 1, -1):
                cap_t = nm.profile[:, tau] if 0 <= tau < hp else nm.cap
                # usage by others at tau (the task itself runs at tau unless tau == t0+dur-1)
                own = nm.dem[j] if starts[j] <= tau < f[j] else 0
                others = use[tau - lo] - own
                short = np.flatnonzero((nm.dem[j] > 0) & (others + nm.dem[j] > cap_t))
                if short.size:
                    resource = int(short[0])
                    period = tau
                    run = (starts <= tau) & (f > tau) & (nm.dem[:, resource] > 0)
                    run[j] = False
                    holders = tuple(np.flatnonzero(run).tolist())
                    break
        moves.append(
            TaskMove(
                task=j,
                early_start=int(prep.early[j]),
                start=int(starts[j]),
                delay=int(starts[j] - prep.early[j]),
                precedence_delay=prec_delay,
                predecessors=preds,
                resource_delay=res_delay,
                resource=resource,
                period=period,
                holders=holders,
            )
        )
    return tuple(moves)


def _late(nm: _Norm, starts: I64) -> tuple[tuple[int, int, int, bool], ...]:
    f = starts + nm.dur
    idx = np.flatnonzero((nm.deadline >= 0) & (f > nm.deadline) & nm.free)
    return tuple((int(j), int(nm.deadline[j]), int(f[j]), bool(nm.hard[j])) for j in idx)


# ---------------------------------------------------------------------------------------------
# the entry point
# ---------------------------------------------------------------------------------------------


def level(problem: LevelProblem, options: LevelOptions | None = None) -> LevelResult:
    """Level ``problem``: start periods that respect links, releases, fixed tasks and
    per-period capacity with the shortest makespan the engine finds in ``time_limit``."""
    opts = options or LevelOptions()
    if opts.engine not in ("exact", "heuristic", "auto"):
        raise ValidationFailed.field("engine", "must be exact, heuristic or auto")
    if opts.time_limit <= 0:
        raise ValidationFailed.field("time_limit", "must be positive")
    if opts.schedules < 1:
        raise ValidationFailed.field("schedules", "must be at least 1")
    t0 = time.perf_counter()
    prep = prepare(problem)
    n_free = int(prep.arrays.free.sum())
    engine = opts.engine
    if engine == "auto":
        engine = "exact" if n_free <= AUTO_EXACT_MAX_TASKS else "heuristic"
    rng = np.random.default_rng(opts.seed)

    if engine == "heuristic":
        # the time limit covers everything: keep a reserve for explaining the moves
        left = opts.time_limit - (time.perf_counter() - t0) - EXPLAIN_SECONDS_PER_TASK * n_free
        h = run_heuristic(
            prep.arrays,
            schedules=opts.schedules,
            time_limit=max(0.0, left),
            rng=rng,
            lower_bound=prep.lower_bound,
        )
        starts = h.starts
        makespan = h.makespan
        lower = min(prep.lower_bound, makespan)
        optimal = makespan <= prep.lower_bound and not _hard_late(prep, starts)
        return _result(
            prep, starts, makespan, lower, optimal, "heuristic", t0, h.schedules,
            "optimal" if optimal else "feasible",
        )  # fmt: skip

    from pmo.engine.level_exact import solve_exact  # CP-SAT is imported only when used

    reserve = min(EXACT_RESERVE_SECONDS, EXACT_RESERVE_SHARE * opts.time_limit)
    deadline = t0 + opts.time_limit - reserve - EXPLAIN_SECONDS_PER_TASK * n_free
    ex = solve_exact(prep, opts, rng, deadline=deadline)
    starts = ex.starts
    makespan = _makespan(prep, starts)
    lj = left_justify(prep.arrays, starts)
    if _makespan(prep, lj) <= makespan and not _hard_late(prep, lj):
        starts = lj
    return _result(
        prep, starts, makespan, ex.lower_bound, ex.optimal, "exact", t0, ex.schedules, ex.status
    )


def _makespan(prep: Prepared, starts: I64) -> int:
    if prep.norm.n == 0:
        return 0
    return int((starts + prep.norm.dur).max())


def _hard_late(prep: Prepared, starts: I64) -> bool:
    return any(hard for *_, hard in _late(prep.norm, starts))


def _result(
    prep: Prepared,
    starts: I64,
    makespan: int,
    lower: int,
    optimal: bool,
    engine: Literal["exact", "heuristic"],
    t0: float,
    schedules: int,
    status: str,
) -> LevelResult:
    return LevelResult(
        starts=starts,
        makespan=makespan,
        lower_bound=int(min(lower, makespan)),
        optimal=optimal,
        engine=engine,
        seconds=time.perf_counter() - t0,
        schedules=schedules,
        early_starts=prep.early,
        moves=explain(prep, starts),
        late=_late(prep.norm, starts),
        status=status,
    )
