"""The critical path method: forward and backward pass, floats, critical and driving paths.

Entry point: :func:`schedule` (``Plan`` + ``ScheduleOptions`` -> ``ScheduleResult``). See
``docs/scheduling.md`` for the conventions; the short version:

* Each task's dates are computed as *working ordinals* of its own calendar (working minutes
  since the start of the calendar index, see ``pmo.engine.calendar``). A link between two
  tasks on the same calendar with its lag on that calendar is plain integer arithmetic; any
  other link converts ordinal -> moment -> ordinal through precomputed bucket tables (a
  lookup and a step or two; never a day-by-day loop).
* The network is laid out once as CSR arrays, renumbered in topological order, and swept by
  numba kernels: forward (early dates), then backward (late dates, total and free float and
  the driving path in the same sweep).
* Summary tasks become three nodes: an *entry* milestone that every descendant starts after
  (links into the summary land there, as in Microsoft Project a summary's predecessor holds
  all its subtasks), a *finish entry* for FF/SF links into it, and the summary itself, rolled
  up from its children (start = min, finish = max) and driving its successors.
* Level-of-effort tasks (P6) take their dates from their neighbours and bound nothing: their
  outgoing links are laid the other way round so each comes after all its neighbours, its
  early dates are set in the forward sweep (``_loe_early``), its late dates once every other
  node has its own (``_loe_late``); the other sweeps skip its links.
* What the method leaves open - which moment of a non-working gap a date is, summary and free
  float, ALAP, progress - follows ``ScheduleOptions.convention`` (Microsoft Project's rules
  or Primavera P6's, ``plan.Rules``). Each node carries, per date, which end of its class of
  moments it is shown at (``mt``: Fri 17:00 or Mon 08:00); dates cross calendars there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from numba import njit

from pmo.engine.calendar import (
    MINUTES_PER_DAY,
    Calendar,
    CalendarIndex,
    build_index,
    from_minutes,
    to_minutes,
)
from pmo.engine.plan import (
    DATED_CONSTRAINTS,
    ConstraintType,
    Convention,
    LagCalendar,
    LagUnit,
    LinkTable,
    Plan,
    ProgressMode,
    Rules,
    ScheduleOptions,
)
from pmo.errors import CircularDependency, FieldError, SchedulingError, ValidationFailed

__all__ = [
    "BaselineVariance",
    "ScheduleResult",
    "TaskSchedule",
    "baseline_variance",
    "schedule",
    "warm_up",
]

I64 = npt.NDArray[np.int64]
DT = npt.NDArray[np.datetime64]

LOW = np.int64(-(2**62))  # "no lower bound"; far from int64 overflow when durations are added
HIGH = np.int64(2**62)  # "no upper bound"
NAT_INT = np.iinfo(np.int64).min  # datetime64 NaT viewed as int64

# link types inside the engine: the four PDM types plus the child -> summary roll-up edge
FS, SS, FF, SF, ROLL = 0, 1, 2, 3, 4
# Links of a level-of-effort (LOE) task carry a flag over their type (``type & 7`` is the PDM
# type): L_PRED, from a predecessor into the LOE task; L_SUCC, the link to a successor laid
# the other way round (successor -> LOE task) so that the task comes after all its neighbours
# in topological order; L_HOLD, a summary's entry node holding an LOE child. An LOE task reads
# dates through them and bounds nothing: every other pass skips flagged links.
L_PRED, L_SUCC, L_HOLD = 8, 16, 32
# node states
NORMAL, STARTED, DONE, SUMMARY = 0, 1, 2, 3
# Where each date of a node is shown in its ordinal's class of moments (``mt``, per node): bit
# set = the latest moment (the start of the next working period: Mon 08:00), clear = the
# earliest (the end of the previous one: Fri 17:00). Dates cross to other calendars at that
# moment. ``kind`` (per node) holds the initial bits and how they may change (see _kinds).
MT_ES, MT_EF, MT_LS, MT_LF = 1, 2, 4, 8
K_DYN_E = 16  # zero duration: early dates at the moment of what sets them (the latest)
K_DYN_EF = 32  # early finish at the moment of a start-to-finish bound that ties (MS Project)
K_DYN_L = 64  # zero duration: late dates at the moment of what bounds them (the earliest)
K_ALAP = 128  # as late as possible
K_NO_FREE = 256  # no free float (P6: expected finish, mandatory constraint)
K_DYN_LS = 512  # late start at the moment of a start bound that drives it (P6)
K_LOE = 1024  # level of effort: dates from its neighbours (_loe_early, _loe_late)
# _backward flags
F_SHOWN, F_CAP, F_ALAP_FREE, F_PROG_P6, F_SS_EARLY, F_EXPECTED = 1, 2, 4, 8, 16, 32
F_ALAP_PC = 64  # Rules.alap_float_project_calendar
F_DELAYS = 128  # some task has a levelling delay (Task.levelling_delay)

# ----------------------------------------------------------------------------------------------
# numba kernels. Calendars travel packed in one int64 array ``cb`` (see _pack_index): the
# CalendarIndex rows (offsets, starts, ends, cum, cum_end) and two bucket tables: per
# calendar, for each 256-minute slice of the horizon, the last row starting at or before it
# (moment -> ordinal), and for each 256-minute slice of working ordinals the first row ending
# at or after it (ordinal -> moment). A lookup and a step or two replace a binary search: at a
# million tasks conversions are a good part of the run time. ``cb[P_OOR]`` is set when a
# conversion falls outside the horizon; the caller then widens it and runs again.
# ----------------------------------------------------------------------------------------------

BUCKET_SHIFT = 8  # 256-minute slices
# positions in the packed calendar buffer ``cb`` (one array: a call passes one reference)
P_OFF, P_ST, P_EN, P_CU, P_CE, P_TOFF, P_TTAB, P_WOFF, P_WTAB, P_ORIGIN, P_END, P_OOR = range(12)


@njit(cache=True)
def _ord(c, t, cb):  # type: ignore[no-untyped-def]
    """Working ordinal of moment ``t`` on calendar ``c``."""
    if t < cb[P_ORIGIN] or t >= cb[P_END]:
        cb[P_OOR] = 1
        return np.int64(0)
    lo = cb[cb[P_OFF] + c]
    hi = cb[cb[P_OFF] + c + 1]
    if hi == lo:
        return np.int64(0)
    st = cb[P_ST]
    k = cb[cb[P_TTAB] + cb[cb[P_TOFF] + c] + ((t - cb[P_ORIGIN]) >> BUCKET_SHIFT)]
    while k + 1 < hi and cb[st + k + 1] <= t:
        k += 1
    if k < lo or cb[st + k] > t:
        return np.int64(0)
    d = t - cb[st + k]
    ln = cb[cb[P_EN] + k] - cb[st + k]
    return cb[cb[P_CU] + k] + (d if d < ln else ln)


@njit(cache=True)
def _time(c, w, finish, cb):  # type: ignore[no-untyped-def]
    """Moment of working ordinal ``w`` on calendar ``c``: the last moment of its class for a
    finish, the first for a start (Microsoft Project shows Fri 17:00 vs Mon 08:00)."""
    lo = cb[cb[P_OFF] + c]
    hi = cb[cb[P_OFF] + c + 1]
    ce = cb[P_CE]
    if w < 0 or hi == lo or w > cb[ce + hi - 1]:
        cb[P_OOR] = 1
        return cb[P_ORIGIN]
    k = cb[cb[P_WTAB] + cb[cb[P_WOFF] + c] + (w >> BUCKET_SHIFT)]
    if finish:
        while k < hi and cb[ce + k] < w:
            k += 1
    else:
        while k < hi and cb[ce + k] <= w:
            k += 1
    if k >= hi:
        cb[P_OOR] = 1
        return cb[P_END]
    return cb[cb[P_ST] + k] + (w - cb[cb[P_CU] + k])


@njit(cache=True)
def _conv(w, finish, c_from, c_to, cb):  # type: ignore[no-untyped-def]
    if c_from == c_to:
        return w
    return _ord(c_to, _time(c_from, w, finish, cb), cb)


@njit(cache=True)
def _fwd(src, src_finish, cp, cl, cs, lag, cb):  # type: ignore[no-untyped-def]
    """Bound a link puts on its successor (ordinal on ``cs``) from the predecessor's date
    ``src`` (ordinal on ``cp``, shown at the earliest moment of its class if ``src_finish``,
    else the latest), the lag counted on calendar ``cl``."""
    if cp == cs and (lag == 0 or cl == cs):
        return src + lag
    if lag == 0:
        return _conv(src, src_finish, cp, cs, cb)
    x = _conv(src, src_finish, cp, cl, cb) + lag
    # The end of a positive lag is the end of its last working minute (earliest moment of the
    # class); a lead ends at the start of a working minute (as MS Project: FS-1d after a Fri
    # 17:00 finish starts Fri 08:00).
    return _conv(x, lag > 0, cl, cs, cb)


@njit(cache=True)
def _fwd_late(src, src_finish, cp, cl, cs, lag, y, gap_late, cb):  # type: ignore[no-untyped-def]
    """Whether the moment ``_fwd`` converted (ordinal ``y`` on ``cs``) is the later moment of
    its class there: the start of a working period; ``gap_late`` for one inside a gap."""
    if lag == 0:
        m = _time(cp, src, src_finish, cb)
    else:
        x = _conv(src, src_finish, cp, cl, cb) + lag
        m = _time(cl, x, lag > 0, cb)
    if m == _time(cs, y, True, cb):
        return False
    return gap_late or m == _time(cs, y, False, cb)


@njit(cache=True)
def _bwd(src, src_finish, cs, cl, cp, lag, lead_finish, cb):  # type: ignore[no-untyped-def]
    """Mirror of ``_fwd``: the latest date of the predecessor (ordinal on ``cp``) that lets the
    successor keep date ``src`` (ordinal on ``cs``, converted at the earliest moment of its
    class if ``src_finish``, else the latest).

    Microsoft Project's rule (``src_finish`` and ``lead_finish`` False) converts at the *last*
    moment of an ordinal's class: the least the successor's date demands. Because ``_fwd``
    never asks for more than the class it lands in, a chain the forward pass made tight comes
    back with zero float, never negative (the argument is in docs/scheduling.md, "Which moment
    of a class"). P6 converts at the moment a date is shown, and taking a lead off moves
    forward, to the end of a working minute (``lead_finish``)."""
    if cp == cs and (lag == 0 or cl == cs):
        return src - lag
    if lag == 0:
        return _conv(src, src_finish, cs, cp, cb)
    x = _conv(src, src_finish, cs, cl, cb) - lag
    return _conv(x, lead_finish and lag < 0, cl, cp, cb)


@njit(cache=True)
def _bwd_late(src, src_finish, cs, cl, cp, lag, lead_finish, y, cb):  # type: ignore[no-untyped-def]
    """Whether the moment ``_bwd`` converted (ordinal ``y`` on ``cp``) is the start of a working
    period there (a moment inside a gap counts as the end of the previous one)."""
    if lag == 0:
        m = _time(cs, src, src_finish, cb)
    else:
        x = _conv(src, src_finish, cs, cl, cb) - lag
        m = _time(cl, x, lead_finish and lag < 0, cb)
    return m == _time(cp, y, False, cb) and m != _time(cp, y, True, cb)


@njit(cache=True)
def _delayed(c, w, work, elapsed, cb):  # type: ignore[no-untyped-def]
    """Early start ordinal ``w`` on calendar ``c`` moved on by a levelling delay: ``work``
    working minutes, or ``elapsed`` minutes from the moment the start is shown (the start of
    its working period), landing on the next working moment."""
    if elapsed:
        return _ord(c, _time(c, w, False, cb) + elapsed, cb)
    return w + work


@njit(cache=True)
def _undelayed(c, w, finish, work, elapsed, cb):  # type: ignore[no-untyped-def]
    """Mirror of ``_delayed`` for the backward pass: the latest date before a levelling delay
    that keeps date ``w`` (a start, or with ``finish`` a finish: the delay moves both)."""
    if elapsed:
        return _ord(c, _time(c, w, finish, cb) - elapsed, cb)
    return w - work


@njit(cache=True)
def _csr(n, keys):  # type: ignore[no-untyped-def]
    """Stable counting sort of ``keys`` (0..n-1): row pointers and the permutation."""
    m = keys.shape[0]
    ptr = np.zeros(n + 1, np.int64)
    for i in range(m):
        ptr[keys[i] + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    pos = ptr[:-1].copy()
    perm = np.empty(m, np.int64)
    for i in range(m):
        k = keys[i]
        perm[pos[k]] = i
        pos[k] += 1
    return ptr, perm


@njit(cache=True)
def _layout(n, src, dst, attr):  # type: ignore[no-untyped-def]
    """Topological order (Kahn) and both CSR adjacencies renumbered in that order.

    Node ``r`` of the result is node ``order[r]`` of the input, so the passes sweep the arrays
    front to back (and back to front) with predecessors close behind: cache-friendly. Each
    link carries one packed word ``attr`` (type, lag calendar, lag: see _pack_links).
    Returns ``reached < n`` when there is a cycle (the rest is then meaningless).
    """
    m = src.shape[0]
    out_ptr, out_perm = _csr(n, src)
    osucc = np.empty(m, np.int64)
    oattr = np.empty(m, np.int64)
    for e in range(m):
        i = out_perm[e]
        osucc[e] = dst[i]
        oattr[e] = attr[i]
    deg = np.zeros(n, np.int64)
    for i in range(m):
        deg[dst[i]] += 1
    order = np.empty(n, np.int64)
    tail = 0
    for i in range(n):
        if deg[i] == 0:
            order[tail] = i
            tail += 1
    head = 0
    while head < tail:
        j = order[head]
        head += 1
        for e in range(out_ptr[j], out_ptr[j + 1]):
            s = osucc[e]
            deg[s] -= 1
            if deg[s] == 0:
                order[tail] = s
                tail += 1
    rank = np.empty(n, np.int64)
    if tail < n:
        return tail, deg, order, rank, (out_ptr, osucc, oattr), (out_ptr, osucc, oattr)
    for r in range(n):
        rank[order[r]] = r
    # out-links in rank order: copy each node's run
    out_ptr2 = np.empty(n + 1, np.int64)
    out_ptr2[0] = 0
    in_ptr = np.zeros(n + 1, np.int64)
    for r in range(n):
        j = order[r]
        out_ptr2[r + 1] = out_ptr2[r] + out_ptr[j + 1] - out_ptr[j]
    out_succ = np.empty(m, np.int64)
    out_attr = np.empty(m, np.int64)
    for r in range(n):
        j = order[r]
        pos = out_ptr2[r]
        for e in range(out_ptr[j], out_ptr[j + 1]):
            s = rank[osucc[e]]
            out_succ[pos] = s
            out_attr[pos] = oattr[e]
            in_ptr[s + 1] += 1
            pos += 1
    # in-links: the transpose, filled in predecessor rank order
    for r in range(n):
        in_ptr[r + 1] += in_ptr[r]
    fill = in_ptr[:-1].copy()
    in_pred = np.empty(m, np.int64)
    in_attr = np.empty(m, np.int64)
    for r in range(n):
        for e in range(out_ptr2[r], out_ptr2[r + 1]):
            s = out_succ[e]
            k = fill[s]
            in_pred[k] = r
            in_attr[k] = out_attr[e]
            fill[s] = k + 1
    return tail, deg, order, rank, (in_ptr, in_pred, in_attr), (out_ptr2, out_succ, out_attr)


@njit(cache=True)
def _ords(ncal, ts, cb):  # type: ignore[no-untyped-def]
    """Moments -> ordinals on each node's calendar, row by row; sentinels pass through."""
    out = ts.copy()
    for r in range(ts.shape[0]):
        for i in range(ts.shape[1]):
            t = ts[r, i]
            if t != LOW and t != HIGH:
                out[r, i] = _ord(ncal[i], t, cb)
    return out


@njit(cache=True)
def _bound_types(nodes, kind, ncal, mom, bounds, gap_next, cb):  # type: ignore[no-untyped-def]
    """For nodes whose dates sit at the moment of what sets them (K_DYN_*): bit ``r`` set when
    bound row ``r`` is the later moment of its class: the start of a working period. A moment
    inside a gap counts as the start of the next period for an early bound (rows < 8) when
    ``gap_next`` (P6), else as the end of the previous one."""
    out = np.zeros(ncal.shape[0], np.int16)
    for i in range(nodes.shape[0]):
        j = nodes[i]
        k = kind[j]
        c = ncal[j]
        bits = 0
        for r in range(12):
            if r < 6:
                if k & K_DYN_E == 0:
                    continue
            elif r < 8 or k & (K_DYN_L | K_DYN_LS) == 0:
                continue
            t = mom[r, j]
            if t in (LOW, HIGH):
                continue
            w = bounds[r, j]
            later = (gap_next and r < 8) or t == _time(c, w, False, cb)
            if later and t != _time(c, w, True, cb):
                bits |= 1 << r
        out[j] = bits
    return out


@njit(cache=True)
def _from_done(p, fin, lag, bounds, rs):  # type: ignore[no-untyped-def]
    """P6, a link from completed task ``p`` (in the network as work of no duration at
    ``rs[p]``, at or after the data date ``bounds[0, p]``): (source date, lag). A start link
    counts its lag from the actual start; a finish link's lag runs from the actual finish and
    what of it is left at the data date counts from ``rs[p]``."""
    if fin:
        if lag <= 0:
            return rs[p], 0
        return rs[p], max(lag - max(bounds[0, p] - bounds[7, p], 0), 0)
    if bounds[6, p] + lag > rs[p]:
        return bounds[6, p], lag
    return rs[p], 0


@njit(cache=True)
def _loe_early(j, inl, ncal, state, bounds, mt, es, ef, rs, dur, cb):  # type: ignore[no-untyped-def]
    """Early dates of level-of-effort node ``j`` (P6): its start is the earliest date its
    start-side links give (FS/SS predecessors, SS/SF successors), its finish the latest its
    finish-side links give (FF/SF predecessors, FS/FF successors), converted onto its own
    calendar; neither before the data date (``bounds[0]``) nor before what a summary's entry
    node holds; with no start-side link it starts at the data date, with no finish-side link
    it finishes there too. Its duration is what lies between."""
    in_ptr, in_pred, in_attr = inl
    cj = ncal[j]
    if state[j] == DONE:  # completed: as recorded
        es[j] = bounds[6, j]
        ef[j] = bounds[7, j]
        rs[j] = es[j]
        dur[j] = ef[j] - es[j]
        return
    lo_s = bounds[0, j]
    lo_f = LOW
    s = HIGH
    f = LOW
    for e in range(in_ptr[j], in_ptr[j + 1]):
        p = in_pred[e]
        a = in_attr[e]
        ty = a & 0xFF
        base = ty & 7
        lag = a >> 24
        cl = (a >> 8) & 0xFFFF
        cp = ncal[p]
        if ty & L_SUCC:  # p is a successor: back from its start (FS, SS) or finish (FF, SF)
            from_start = base <= SS
            src = es[p] if from_start else ef[p]
            shown_late = (mt[p] & (MT_ES if from_start else MT_EF)) != 0
            y = _bwd(src, not shown_late, cp, cl, cj, lag, True, cb)
            if (base & 1) == 1:  # SS, SF: the link leaves this task's start
                s = min(s, y)
            else:
                f = max(f, y)
            continue
        fin = (base & 1) == 0  # FS, FF: from the predecessor's finish
        src = ef[p] if fin else es[p]
        shown_late = (mt[p] & (MT_EF if fin else MT_ES)) != 0
        y = _fwd(src, not shown_late, cp, cl, cj, lag, cb)
        if ty & L_HOLD:  # a summary's predecessors hold it, as they hold every descendant
            if base <= SS:
                lo_s = max(lo_s, y)
            else:
                lo_f = max(lo_f, y)
        elif base <= SS:
            s = min(s, y)
        else:
            f = max(f, y)
    start = max(lo_s, s) if s != HIGH else lo_s
    finish = max(f, start, lo_f) if f != LOW else max(start, lo_f)
    es[j] = bounds[6, j] if state[j] == STARTED else start
    rs[j] = start
    ef[j] = finish
    dur[j] = finish - start
    if finish == start:  # no length: the finish shown at the start's moment
        mt[j] |= MT_EF


@njit(cache=True)
def _loe_late(  # type: ignore[no-untyped-def]
    loe, inl, ncal, state, pf_ord, alap_free, cb, rs, ef, xs, xf, ls, lf, ls_rep, tf, ff, on, mt,
):  # fmt: skip
    """Late dates and floats of the level-of-effort nodes ``loe`` (in topological order),
    once every other node has its own (P6): the late start is the earliest late date its
    start-side links give, the late finish the latest its finish-side links give (the
    project finish with none), never a late start after the late finish; total float is the
    late finish less the early finish, free float the room to its successors' early dates.
    It is never on the driving path."""
    in_ptr, in_pred, in_attr = inl
    for i in range(loe.shape[0]):
        j = loe[i]
        on[j] = False
        if state[j] == DONE:
            continue
        cj = ncal[j]
        s = HIGH
        f = LOW
        free = pf_ord[cj] - ef[j]
        for e in range(in_ptr[j], in_ptr[j + 1]):
            p = in_pred[e]
            a = in_attr[e]
            ty = a & 0xFF
            if ty & L_HOLD:
                continue
            base = ty & 7
            lag = a >> 24
            cl = (a >> 8) & 0xFFFF
            cp = ncal[p]
            if ty & L_SUCC:
                from_start = base <= SS
                src = ls[p] if from_start else lf[p]
                shown_late = (mt[p] & (MT_LS if from_start else MT_LF)) != 0
                y = _bwd(src, not shown_late, cp, cl, cj, lag, True, cb)
                if alap_free:  # to an ALAP successor's delayed dates
                    early = xs[p] if from_start else xf[p]
                else:
                    early = rs[p] if from_start else ef[p]
                early_late = (mt[p] & (MT_ES if from_start else MT_EF)) != 0
                z = _conv(early, not early_late, cp, cj, cb) - lag
                if (base & 1) == 1:  # SS, SF: the link leaves this task's start
                    s = min(s, y)
                    free = min(free, z - rs[j])
                else:
                    f = max(f, y)
                    free = min(free, z - ef[j])
                continue
            fin = (base & 1) == 0
            src = lf[p] if fin else ls[p]
            shown_late = (mt[p] & (MT_LF if fin else MT_LS)) != 0
            y = _fwd(src, not shown_late, cp, cl, cj, lag, cb)
            if base <= SS:
                s = min(s, y)
            else:
                f = max(f, y)
        late_f = f if f != LOW else pf_ord[cj]
        late_s = min(s, late_f) if s != HIGH else late_f
        ls[j] = late_s
        ls_rep[j] = late_s
        lf[j] = late_f
        tf[j] = late_f - ef[j]
        ff[j] = max(free, 0)
        if late_s == late_f:  # no length: the late start shown at the late finish's moment
            mt[j] &= ~MT_LS


@njit(cache=True)
def _forward(  # type: ignore[no-untyped-def]
    inl, ncal, dur, state, bounds, btype, kind, done_work, honor, override, flags, dlw, dle,
    cb, es, ef, rs, mt,
):  # fmt: skip
    # bounds rows: 0 es_min, 1 ef_min, 2 es_max, 3 ef_max, 4 es_fix, 5 ef_fix, 6 actual start,
    # 7 actual finish. ``dlw``/``dle``: levelling delay (working/elapsed minutes) of each node
    in_ptr, in_pred, in_attr = inl
    ss_early = (flags & F_SS_EARLY) != 0
    p6_progress = (flags & F_PROG_P6) != 0
    gap_next = (flags & F_SHOWN) != 0
    delays = (flags & F_DELAYS) != 0  # any levelling delay: else no per-node lookups
    expected = (flags & F_EXPECTED) != 0
    for j in range(ncal.shape[0]):  # nodes are numbered in topological order
        cj = ncal[j]
        sj = state[j]
        kj = kind[j]
        mt[j] = kj & (MT_ES | MT_EF | MT_LS | MT_LF)
        if kj & K_LOE:  # after all its neighbours: its dates are theirs
            _loe_early(j, inl, ncal, state, bounds, mt, es, ef, rs, dur, cb)
            continue
        if sj == DONE and not p6_progress:  # completed tasks keep their actual dates
            es[j] = bounds[6, j]
            ef[j] = bounds[7, j]
            rs[j] = es[j]
            continue
        if sj == SUMMARY:  # roll-up: start = earliest child start, finish = latest finish
            lo = HIGH
            hi = LOW
            for e in range(in_ptr[j], in_ptr[j + 1]):
                p = in_pred[e]
                lo = min(lo, _conv(es[p], False, ncal[p], cj, cb))
                hi = max(hi, _conv(ef[p], True, ncal[p], cj, cb))
            es[j] = lo
            ef[j] = hi
            rs[j] = lo
            continue
        d = dur[j]
        dyn_s = (kj & K_DYN_E) != 0  # the start sits at the moment that sets it
        dyn_f = dyn_s or (kj & K_DYN_EF) != 0  # the finish too
        bs = bounds[0, j]
        bf = bounds[1, j]
        bt = btype[j]
        bs_late = (bt & 1) != 0  # the bound is the later moment of its class
        bf_late = (bt & 2) != 0
        if sj == DONE:  # P6: at the data date as it is (in a gap: the earliest moment) ...
            bs_late = False
            bf_late = False
        if not (sj == STARTED and override):
            for e in range(in_ptr[j], in_ptr[j + 1]):
                p = in_pred[e]
                a = in_attr[e]
                ty = a & 0xFF
                lag = a >> 24
                cl = (a >> 8) & 0xFFFF
                cp = ncal[p]
                fin = (ty & 1) == 0  # FS, FF: from the predecessor's finish
                src = ef[p] if fin else es[p]
                if not fin and ss_early and state[p] == STARTED:
                    # P6: from where the remaining work resumes, less the work already done
                    src = rs[p]
                    lag = max(lag - done_work[p], 0) if lag > 0 else 0
                elif p6_progress and state[p] == DONE:
                    src, lag = _from_done(p, fin, lag, bounds, rs)
                # the moment matters for a milestone, and for a finish a start sets (SF)
                typed = dyn_s or (dyn_f and ty == SF)
                y_late = False
                if cp == cj and (lag == 0 or cl == cj):
                    y = src + lag  # same calendar: plain arithmetic (the common case)
                    if typed:  # a lead ends at the start of a working minute
                        y_late = (mt[p] & (MT_EF if fin else MT_ES)) != 0 if lag == 0 else lag < 0
                else:
                    src_late = (mt[p] & (MT_EF if fin else MT_ES)) != 0
                    y = _fwd(src, not src_late, cp, cl, cj, lag, cb)
                    if typed:
                        # inside a gap: P6 rounds to the next working period (but a completed
                        # task keeps the data date as it is); MS Project to the previous one
                        y_late = _fwd_late(
                            src, not src_late, cp, cl, cj, lag, y, gap_next and sj != DONE, cb
                        )
                # the latest bound; as moments when they matter (a tie: the later moment)
                if ty <= SS:  # FS, SS bound the successor's start
                    if y > bs:
                        bs = y
                        bs_late = y_late
                    elif dyn_s and y == bs:
                        bs_late = bs_late or y_late
                elif y > bf:
                    bf = y
                    bf_late = y_late
                elif dyn_f and y == bf:
                    bf_late = bf_late or y_late
        if sj == DONE:  # ... or where its predecessors push it, as work of no duration
            r = max(bs, bf)
            late = (bs_late and bs == r) or (bf_late and bf == r)
            es[j] = bounds[6, j]
            rs[j] = r
            ef[j] = r
            mt[j] = ((MT_ES | MT_EF) if late else 0) | MT_LS | MT_LF
            continue
        if sj == STARTED:
            # remaining work resumes no earlier than the status date (bounds[0]) and, with
            # retained logic, after what its links require
            r = max(bs, bf - d)
            if expected and bounds[12, j] > r:  # P6 expected finish: the remaining work ends there
                d = bounds[12, j] - r
                dur[j] = d
            es[j] = bounds[6, j]
            rs[j] = r
            ef[j] = r + d
            continue
        # the latest of the bounds, as moments: on a tie the later moment of the class
        if bf - d > bs:
            s = bf - d
            s_late = bf_late
        else:
            s = bs
            s_late = bs_late or (bf - d == bs and bf_late)
        if delays and (dlw[j] != 0 or dle[j] != 0):
            # MS Project's leveling delay: from the early start the links, the constraint and
            # the project start give; the late-side constraints below still cap it (levelling
            # never breaks a date constraint), a must-start/finish-on overrides it
            s = _delayed(cj, s, dlw[j], dle[j], cb)
            s_late = True  # at the start of a working period
        if honor:  # MS Project: constraint dates beat links (the clash shows as negative float)
            if bounds[2, j] < s or (bounds[2, j] == s and (bt & 4) == 0):
                s_late = (bt & 4) != 0
            s = min(s, bounds[2, j])
            if bounds[3, j] - d < s or (bounds[3, j] - d == s and (bt & 8) == 0):
                s_late = (bt & 8) != 0
            s = min(s, bounds[3, j] - d)
        if bounds[4, j] != LOW:  # must start on
            s = bounds[4, j]
            s_late = (bt & 16) != 0
        elif bounds[5, j] != LOW:  # must finish on
            s = bounds[5, j] - d
            s_late = (bt & 32) != 0
        if expected and bounds[12, j] > s:  # P6 expected finish: the remaining work ends there
            d = bounds[12, j] - s
            dur[j] = d
        es[j] = s
        rs[j] = s
        ef[j] = s + d
        if dyn_s:  # zero duration: start and finish are one moment
            mt[j] = (mt[j] & ~(MT_ES | MT_EF)) | ((MT_ES | MT_EF) if s_late else 0)
        elif dyn_f and bf == s + d and bf_late and bounds[4, j] == LOW:
            mt[j] |= MT_EF  # a finish bound at the start of the next period (MS Project SF)


@njit(cache=True)
def _latest_finish(ef, ncal, is_task, n_cal, cb):  # type: ignore[no-untyped-def]
    """Project finish: the latest early finish of any task, as a moment."""
    top = np.full(n_cal, LOW, np.int64)
    for j in range(ef.shape[0]):
        if is_task[j] and ef[j] > top[ncal[j]]:
            top[ncal[j]] = ef[j]
    pf = LOW
    for c in range(n_cal):
        if top[c] != LOW:
            pf = max(pf, _time(c, top[c], True, cb))
    return pf


@njit(cache=True)
def _backward(  # type: ignore[no-untyped-def]
    inl, outl, ncal, dur, state, bounds, btype, kind, done_work, pf_ord, pf_late, is_task,
    override, flags, pc, dlw, dle, cb, es, rs, ef, ls, lf, ls_rep, tf, ff, on, mt, xs, xf,
):  # fmt: skip
    """Late dates, total and free float, ALAP dates and the driving path, in one sweep back to
    front. ``flags``: F_SHOWN (convert late dates at the moment they are shown, P6), F_CAP
    (free float within [0, total float]), F_ALAP_FREE (ALAP delayed by uncapped free float,
    predecessors measured to the delayed dates), F_PROG_P6 (P6 progress: in-progress late start
    from the start links, completed tasks stay in the network as work of no duration),
    F_SS_EARLY (start lags of in-progress tasks less the work done), F_ALAP_PC (the float of
    an ALAP task left no room, from its duration backed off its successors on the project
    calendar ``pc``: Rules.alap_float_project_calendar). Links of level-of-effort tasks are
    skipped: they bound nothing (``_loe_late`` gives those tasks their late dates). A
    successor's levelling delay (``dlw`` working, ``dle`` elapsed minutes) comes off the dates
    it bounds its predecessors with: the delay follows whatever drives the successor."""
    in_ptr, in_pred, in_attr = inl
    out_ptr, out_succ, out_attr = outl
    shown = (flags & F_SHOWN) != 0
    capped = (flags & F_CAP) != 0
    alap_free = (flags & F_ALAP_FREE) != 0
    p6_progress = (flags & F_PROG_P6) != 0
    ss_early = (flags & F_SS_EARLY) != 0
    alap_pc = (flags & F_ALAP_PC) != 0
    delays = (flags & F_DELAYS) != 0  # any levelling delay: else no per-link lookups
    n = ncal.shape[0]
    for j in range(n):
        on[j] = is_task[j] and state[j] != DONE and ef[j] == pf_ord[ncal[j]]
    # bounds rows: 8 ls_max, 9 lf_max, 10 ls_fix, 11 lf_fix
    for j in range(n - 1, -1, -1):
        cj = ncal[j]
        sj = state[j]
        kj = kind[j]
        if sj == DONE and not p6_progress:  # no float on finished work
            ls[j] = rs[j]
            lf[j] = ef[j]
            ls_rep[j] = es[j]
            tf[j] = 0
            ff[j] = 0
            continue
        dyn_l = (kj & K_DYN_L) != 0  # late dates at the moment of what bounds them
        dyn_ls = (kj & K_DYN_LS) != 0
        bt = btype[j]
        b_s = bounds[8, j]
        bs_late = (bt & (1 << 8)) != 0
        b_f = bounds[9, j]
        bf_late = (bt & (1 << 9)) != 0
        if pf_ord[cj] < b_f or (pf_ord[cj] == b_f and not pf_late[cj]):
            bf_late = pf_late[cj]
        b_f = min(b_f, pf_ord[cj])  # nothing finishes after the project
        free = pf_ord[cj] - ef[j]
        # ALAP, P6: the start its successors allow, backed off on the project calendar
        pc_alap = alap_pc and (kj & K_ALAP) != 0 and sj == NORMAL
        s_pc = HIGH
        for e in range(out_ptr[j], out_ptr[j + 1]):
            s = out_succ[e]
            ss = state[s]
            a = out_attr[e]
            ty = a & 0xFF
            if ty > ROLL:  # a level-of-effort task's link: it bounds nothing
                continue
            if ss == DONE and not p6_progress:  # a completed successor no longer constrains
                continue
            cs = ncal[s]
            if ty == ROLL:  # j is a child of summary s: the summary's late bounds hold it
                if ls[s] < HIGH:
                    y = _conv(ls[s], False, cs, cj, cb)
                    if y < b_s:
                        b_s = y
                        bs_late = True
                y = _conv(lf[s], False, cs, cj, cb)
                if y < b_f:
                    b_f = y
                    bf_late = True
                # free float: room inside the summary plus the summary's own free float
                free = min(free, _conv(ef[s], False, cs, cj, cb) - ef[j] + ff[s])
                continue
            if ss == STARTED and override:
                continue
            cl = (a >> 8) & 0xFFFF
            lag = a >> 24
            fin = ty >= FF  # FF, SF bind the successor's finish
            if (ty & 1) == 1 and ss_early and sj == STARTED:
                lag = max(lag - done_work[j], 0) if lag > 0 else 0
            late = lf[s] if fin else ls[s]
            # P6: to an ALAP successor's delayed dates
            early = (xf[s] if fin else xs[s]) if alap_free else (ef[s] if fin else rs[s])
            if delays and (dlw[s] != 0 or dle[s] != 0):  # levelled: the dates before its delay
                late = _undelayed(cs, late, fin, dlw[s], dle[s], cb)
                early = _undelayed(cs, early, fin, dlw[s], dle[s], cb)
            y_late = True
            if cs == cj and (lag == 0 or cl == cj):  # same calendar: plain arithmetic
                y = late - lag
                z = early - lag
                if dyn_l or dyn_ls:  # taking a lag off ends at the start of a working minute
                    y_late = (mt[s] & (MT_LF if fin else MT_LS)) != 0 if lag == 0 else lag > 0
            elif shown:  # P6: every date crosses at the moment it is shown
                late_shown = (mt[s] & (MT_LF if fin else MT_LS)) != 0
                y = _bwd(late, not late_shown, cs, cl, cj, lag, True, cb)
                early_shown = (mt[s] & (MT_EF if fin else MT_ES)) != 0
                z = _conv(early, not early_shown, cs, cj, cb) - lag
                y_late = False
                if dyn_l or (dyn_ls and (ty & 1) == 1):
                    y_late = _bwd_late(late, not late_shown, cs, cl, cj, lag, True, y, cb)
            else:
                y = _bwd(late, False, cs, cl, cj, lag, False, cb)
                z = _bwd(early, False, cs, cl, cj, lag, False, cb)
            if pc_alap and ss != DONE:
                early_shown = (mt[s] & (MT_EF if fin else MT_ES)) != 0
                w = _conv(early, not early_shown, cs, pc, cb) - lag
                # a bound on the finish (FS, FF) leaves the duration before it
                s_pc = min(s_pc, w - dur[j] if (ty & 1) == 0 else w)
            # the earliest bound; as moments when they matter (a tie: the earlier moment)
            if (ty & 1) == 0:  # FS, FF: from the predecessor's finish
                if y < b_f:
                    b_f = y
                    bf_late = y_late
                elif dyn_l and y == b_f:
                    bf_late = bf_late and y_late
                free = min(free, z - ef[j])
            else:
                if y < b_s:
                    b_s = y
                    bs_late = y_late
                elif (dyn_l or dyn_ls) and y == b_s:
                    bs_late = bs_late and y_late
                # P6: none on the start link of a started task
                free = min(free, 0 if sj == STARTED and not capped else z - es[j])
        if sj == SUMMARY:  # keep the bounds for the children; rolled up afterwards
            ls[j] = b_s
            lf[j] = b_f
            ff[j] = free
        elif sj == DONE:  # P6: work of no duration between its predecessors and successors
            f = min(b_f, b_s)
            ls[j] = f
            lf[j] = f
            ls_rep[j] = f
            tf[j] = 0
            ff[j] = 0
            continue
        else:
            d = dur[j]
            f_late = bf_late
            if sj == STARTED:
                f = b_f  # its start is history: only the finish can be late ...
                if p6_progress and b_s + d < f:  # ... unless its remaining work has a late start
                    f = b_s + d
                    f_late = bs_late
            else:
                f = b_f
                if b_s + d < f or (b_s + d == f and not bs_late):
                    f_late = bs_late
                f = min(f, b_s + d)
                if bounds[10, j] != LOW:
                    f = bounds[10, j] + d
                    f_late = (bt & (1 << 10)) != 0
                elif bounds[11, j] != LOW:
                    f = bounds[11, j]
                    f_late = (bt & (1 << 11)) != 0
            lf[j] = f
            ls[j] = f - d
            tf[j] = f - ef[j]
            if dyn_l:  # zero duration: late start and finish are one moment ...
                # ... never shown before the early one (MS Project)
                f_late = f_late or (not shown and f == ef[j] and (mt[j] & MT_EF) != 0)
                mt[j] = (mt[j] & ~(MT_LS | MT_LF)) | ((MT_LS | MT_LF) if f_late else 0)
            elif dyn_ls and sj == NORMAL and bounds[10, j] == LOW and b_s + d <= b_f:
                # P6: a late start a start link sets is that link's moment
                mt[j] = (mt[j] & ~MT_LS) | (MT_LS if bs_late else 0)
            # an in-progress task's late start keeps its whole span before the late finish
            ls_rep[j] = f - (ef[j] - es[j])
            if kj & K_NO_FREE:  # P6: an expected finish or a mandatory date leaves none
                ff[j] = 0
            elif capped:  # MS Project: free slack never exceeds total slack, never negative
                ff[j] = max(min(free, tf[j]), 0)
            else:
                ff[j] = max(free, 0)
            if kj & K_ALAP and sj == NORMAL:  # as late as its successors let it
                delay = ff[j] if not alap_free else max(free, 0)
                xs[j] = rs[j] + delay
                xf[j] = ef[j] + delay
                if pc_alap and delay == 0 and s_pc < HIGH:
                    # no room to delay: P6's float is measured from the start backed off
                    # on the project calendar, when that is earlier (not before the data date)
                    st = max(_conv(s_pc, False, pc, cj, cb), bounds[0, j])
                    if st < rs[j]:
                        tf[j] = f - (st + d)
        # driving path: the links that set this node's early date (before its delay)
        if not on[j] or (sj == STARTED and override):
            continue
        drive_s = rs[j]
        drive_f = ef[j]
        if delays and (dlw[j] != 0 or dle[j] != 0):
            drive_s = _undelayed(cj, drive_s, False, dlw[j], dle[j], cb)
            drive_f = _undelayed(cj, drive_f, True, dlw[j], dle[j], cb)
        for e in range(in_ptr[j], in_ptr[j + 1]):
            p = in_pred[e]
            a = in_attr[e]
            ty = a & 0xFF
            if ty > ROLL:  # a level-of-effort task drives nothing
                continue
            if sj == SUMMARY:  # children finishing with the summary drive it
                if _conv(ef[p], True, ncal[p], cj, cb) == ef[j]:
                    on[p] = True
                continue
            lag = a >> 24
            cl = (a >> 8) & 0xFFFF
            cp = ncal[p]
            fin = (ty & 1) == 0
            src = ef[p] if fin else es[p]
            if not fin and ss_early and state[p] == STARTED:
                src = rs[p]
                lag = max(lag - done_work[p], 0) if lag > 0 else 0
            elif p6_progress and state[p] == DONE:
                src, lag = _from_done(p, fin, lag, bounds, rs)
            if cp == cj and (lag == 0 or cl == cj):
                y = src + lag
            else:
                src_late = (mt[p] & (MT_EF if fin else MT_ES)) != 0
                y = _fwd(src, not src_late, cp, cl, cj, lag, cb)
            if y == (drive_s if ty <= SS else drive_f):
                on[p] = True


@njit(cache=True)
def _rollup_late(summaries, inl, ncal, own, cb, ls_rep, ef, lf, tf, ff):  # type: ignore[no-untyped-def]
    """Summary late dates and total float from their children (children first): with
    ``own`` the summary's own late finish less its early finish (MS Project), else the least
    of its children's."""
    in_ptr, in_pred = inl[0], inl[1]
    for i in range(summaries.shape[0]):
        j = summaries[i]
        cj = ncal[j]
        lo = HIGH
        hi = LOW
        t = HIGH
        for e in range(in_ptr[j], in_ptr[j + 1]):
            p = in_pred[e]
            lo = min(lo, _conv(ls_rep[p], False, ncal[p], cj, cb))
            hi = max(hi, _conv(lf[p], True, ncal[p], cj, cb))
            t = min(t, tf[p])
        ls_rep[j] = lo
        lf[j] = hi
        if own:
            t = hi - ef[j]
        tf[j] = t
        ff[j] = max(min(ff[j], t), 0)


@njit(cache=True)
def _moments(rows, ncal, w, finish, cb):  # type: ignore[no-untyped-def]
    """Ordinals of nodes ``rows`` -> moments (finish: per-row kind)."""
    out = np.empty(rows.shape[0], np.int64)
    for i in range(rows.shape[0]):
        j = rows[i]
        out[i] = _time(ncal[j], w[j], finish[i], cb)
    return out


@njit(cache=True)
def _outputs(order, n, ncal, state, inl, es, ef, ls, lf, tf, ff, on, mt, cb):  # type: ignore[no-untyped-def]
    """Everything a task reports, back in task-row order, dates as moments.

    Sweeps the nodes in rank order (sequential reads) and writes each task's row. Each date is
    shown at the moment of its class ``mt`` says (see _kinds); a summary's dates are its
    children's moments (the earliest start, the latest finish), children being ranked first."""
    in_ptr, in_pred = inl[0], inl[1]
    out = np.empty((7, n), np.int64)
    crit_on = np.empty(n, np.bool_)
    for r in range(order.shape[0]):
        j = order[r]
        if j >= n:
            continue
        c = ncal[r]
        m = mt[r]
        if state[r] == SUMMARY and in_ptr[r + 1] > in_ptr[r]:
            a0, a1, a2, a3 = HIGH, LOW, HIGH, LOW
            for e in range(in_ptr[r], in_ptr[r + 1]):
                k = order[in_pred[e]]
                a0 = min(a0, out[0, k])
                a1 = max(a1, out[1, k])
                a2 = min(a2, out[2, k])
                a3 = max(a3, out[3, k])
            out[0, j], out[1, j], out[2, j], out[3, j] = a0, a1, a2, a3
        else:
            out[0, j] = _time(c, es[r], (m & MT_ES) == 0, cb)
            out[1, j] = _time(c, ef[r], (m & MT_EF) == 0, cb)
            out[2, j] = _time(c, ls[r], (m & MT_LS) == 0, cb)
            out[3, j] = _time(c, lf[r], (m & MT_LF) == 0, cb)
        out[4, j] = tf[r]
        out[5, j] = ff[r]
        out[6, j] = r
        crit_on[j] = on[r]
    return out, crit_on


# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskSchedule:
    """One task's result with Python datetimes (floats in working minutes)."""

    id: str
    early_start: datetime
    early_finish: datetime
    late_start: datetime
    late_finish: datetime
    start: datetime
    finish: datetime
    total_float: int
    free_float: int
    critical: bool
    longest_path: bool


@dataclass(frozen=True, eq=False)
class ScheduleResult:
    """Arrays aligned with ``plan.tasks``; dates are ``datetime64[m]`` (naive local time).

    ``start``/``finish`` are the scheduled dates: the early dates, except that an ALAP task
    is pushed as late as it can go without delaying a successor (P6's "zero free float"; its
    early dates and floats stay those of the forward and backward passes) and progressed
    tasks show their actual dates. Floats are working minutes of each task's
    calendar; negative total float marks constraints that cannot be met.
    """

    task_id: npt.NDArray[np.str_]
    early_start: DT
    early_finish: DT
    late_start: DT
    late_finish: DT
    start: DT
    finish: DT
    total_float: I64
    free_float: I64
    critical: npt.NDArray[np.bool_]
    longest_path: npt.NDArray[np.bool_]
    project_start: datetime
    project_finish: datetime
    project_duration: int  # working minutes of the project calendar, start to finish

    def __len__(self) -> int:
        return int(self.task_id.shape[0])

    @property
    def negative_float(self) -> npt.NDArray[np.bool_]:
        return self.total_float < 0

    def datetimes(self, field: str) -> list[datetime]:
        """A date column as Python datetimes."""
        values: DT = getattr(self, field)
        return [from_minutes(int(v)) for v in values.astype(np.int64)]

    def row(self, i: int) -> TaskSchedule:
        def dt(a: DT) -> datetime:
            return from_minutes(int(a[i].astype(np.int64)))

        return TaskSchedule(
            id=str(self.task_id[i]),
            early_start=dt(self.early_start),
            early_finish=dt(self.early_finish),
            late_start=dt(self.late_start),
            late_finish=dt(self.late_finish),
            start=dt(self.start),
            finish=dt(self.finish),
            total_float=int(self.total_float[i]),
            free_float=int(self.free_float[i]),
            critical=bool(self.critical[i]),
            longest_path=bool(self.longest_path[i]),
        )

    def task(self, task_id: str) -> TaskSchedule:
        hits = np.flatnonzero(self.task_id == task_id)
        if hits.size == 0:
            raise KeyError(task_id)
        return self.row(int(hits[0]))

    def records(self) -> list[TaskSchedule]:
        return [self.row(i) for i in range(len(self))]


# ----------------------------------------------------------------------------------------------
# building the internal network
# ----------------------------------------------------------------------------------------------

ELAPSED_ID = "__elapsed__"


@dataclass
class _Network:
    """The plan as the kernels see it: nodes renumbered in topological order ("rank")."""

    n_tasks: int
    calendars: tuple[Calendar, ...]
    pc: int  # project calendar
    rank: I64  # rank of each task row (rows 0..n-1) and entry node
    order: I64  # node of each rank (the inverse of rank)
    ncal: I64  # calendar of each node's dates (elapsed-duration tasks: 24 h)
    dur: I64  # duration (remaining duration of in-progress tasks)
    state: npt.NDArray[np.int8]
    is_task: npt.NDArray[np.bool_]
    summaries: I64  # summary nodes in topological order
    inl: tuple[I64, I64, I64]  # in-links: pointers, predecessor, packed attributes
    outl: tuple[I64, I64, I64]  # out-links: pointers, successor, packed attributes
    moments: I64  # (13, N) bounds as moments, LOW/HIGH when absent
    done_work: I64  # in-progress tasks: work done (minutes) before the resume
    start: int  # project start moved to the first working moment of the project calendar
    delay_work: I64  # levelling delay in working minutes (0: none)
    delay_elapsed: I64  # levelling delay in elapsed minutes (0: none)


def _as_int(a: DT) -> I64:
    return np.asarray(a, dtype="M8[m]").astype(np.int64)


def _build(plan: Plan, options: ScheduleOptions) -> _Network:
    tasks = plan.tasks
    p6_progress = options.rules.progress == Convention.P6
    n = len(tasks)
    errors: list[FieldError] = []
    dur = np.asarray(tasks.duration, dtype=np.int64)
    if np.any(dur < 0):
        errors.append(FieldError(("tasks", int(np.argmax(dur < 0)), "duration"), "is negative"))
    calendars = (*plan.calendars, Calendar.continuous(ELAPSED_ID))
    pc = plan.project_calendar
    elapsed_cal = len(calendars) - 1
    if tasks.calendar is None:
        task_cal = np.full(n, pc, dtype=np.int64)
    else:
        cal_col = np.asarray(tasks.calendar, dtype=np.int64)
        if np.any(cal_col >= len(plan.calendars)):
            errors.append(FieldError(("tasks", "calendar"), "calendar index out of range"))
        task_cal = np.where(cal_col < 0, pc, cal_col)
    node_cal_t = (
        task_cal if tasks.elapsed is None else np.where(tasks.elapsed, elapsed_cal, task_cal)
    )

    # summaries: entry node (start links in), finish-entry node (finish links in), roll-up
    if tasks.parent is None:
        parent = np.full(0, -1, dtype=np.int64)
        children = np.zeros(0, dtype=np.int64)
    else:
        parent = np.asarray(tasks.parent, dtype=np.int64)
        if np.any(parent >= n) or np.any(parent == np.arange(n)):
            errors.append(FieldError(("tasks", "parent"), "parent row out of range or self"))
        children = np.flatnonzero(parent >= 0)
    is_sum = np.zeros(n, dtype=bool)
    par = parent[children]
    is_sum[par] = True
    sums = np.flatnonzero(is_sum)
    k = sums.size
    big_n = n + 2 * k
    entry = np.arange(n, dtype=np.int64)
    fentry = np.arange(n, dtype=np.int64)
    entry[sums] = n + np.arange(k)
    fentry[sums] = n + k + np.arange(k)
    owner = np.concatenate([np.arange(n), sums, sums]).astype(np.int64)

    links: LinkTable = plan.links
    lp = np.asarray(links.predecessor, dtype=np.int64)
    lsu = np.asarray(links.successor, dtype=np.int64)
    lt = np.asarray(links.type, dtype=np.int8)
    lu = np.asarray(links.lag_unit, dtype=np.int8)
    if lp.size and (lp.min() < 0 or lp.max() >= n or lsu.min() < 0 or lsu.max() >= n):
        errors.append(FieldError(("links",), "task row out of range"))
    if lt.size and (lt.min() < 0 or lt.max() > SF):
        errors.append(FieldError(("links", "type"), "unknown link type"))
    if lu.size and (lu.min() < 0 or lu.max() > int(LagUnit.PERCENT)):
        errors.append(FieldError(("links", "lag_unit"), "unknown lag unit"))
    if errors:
        raise ValidationFailed(errors)
    self_loop = np.flatnonzero(lp == lsu)
    if self_loop.size:
        raise CircularDependency([str(tasks.id[lp[self_loop[0]]])])

    # lag in minutes and the calendar it is counted on
    lag = np.asarray(links.lag, dtype=np.float64)
    pct = lu == LagUnit.PERCENT
    if np.any(pct):  # Microsoft Project: a percent lag is a share of the predecessor's duration
        lag = np.where(pct, lag / 100.0 * dur[lp], lag)
    lag_min = np.rint(lag).astype(np.int64)
    which = LagCalendar(options.lag_calendar)
    if which == LagCalendar.SUCCESSOR:  # MS Project
        lag_cal = task_cal[lsu]
    elif which == LagCalendar.PREDECESSOR:  # P6's default
        lag_cal = task_cal[lp]
    else:
        lag_cal = np.full(lp.size, pc if which == LagCalendar.PROJECT else elapsed_cal, np.int64)
    elapsed_lag = lu == LagUnit.ELAPSED
    if np.any(elapsed_lag):
        lag_cal = np.where(elapsed_lag, elapsed_cal, lag_cal)

    # level of effort: links into one are flagged, a link out of one is laid the other way
    # round (the successor -> the LOE task), so the task comes after all its neighbours
    loe = tasks.column("level_of_effort").astype(bool) & ~is_sum
    to_loe = loe[lsu]
    from_loe = loe[lp] & ~to_loe
    l_src = np.where(from_loe, lsu, lp)
    l_typ = (lt | np.where(to_loe, L_PRED, 0) | np.where(from_loe, L_SUCC, 0)).astype(np.int8)
    ncal = node_cal_t
    if k:
        # a link into a summary lands on its entry node(s): it holds every descendant
        tgt = np.where(from_loe, lp, np.where((lt == FS) | (lt == SS), entry[lsu], fentry[lsu]))
        zeros = np.zeros(children.size, dtype=np.int64)
        par_cal = task_cal[par]
        hold = np.where(loe[children], L_HOLD, 0)
        src = np.concatenate([l_src, entry[par], fentry[par], children])
        dst = np.concatenate([tgt, entry[children], fentry[children], par])
        typ = np.concatenate([l_typ, SS | hold, FF | hold, np.full(children.size, ROLL)])
        typ = typ.astype(np.int8)
        lag_min = np.concatenate([lag_min, zeros, zeros, zeros])
        lag_cal = np.concatenate([lag_cal, par_cal, par_cal, par_cal])
        ncal = np.concatenate([node_cal_t, task_cal[sums], task_cal[sums]])
    else:
        src, dst, typ = l_src, np.where(from_loe, lp, lsu), l_typ
    ncal = np.ascontiguousarray(ncal, dtype=np.int64)
    if lag_min.size and (np.abs(lag_min).max() >= 2**38 or len(calendars) >= 2**16):
        raise ValidationFailed.field(("links", "lag"), "lag out of range")
    # one word per link: lag (bits 24..), lag calendar (8..23), type (0..7)
    attr = (lag_min << 24) | (np.asarray(lag_cal, dtype=np.int64) << 8) | typ.astype(np.int64)
    reached, deg, order, rank, inl, outl = _layout(
        big_n, np.ascontiguousarray(src, np.int64), np.ascontiguousarray(dst, np.int64), attr
    )
    if reached < big_n:
        in_ptr, in_perm = _csr(big_n, dst)
        raise CircularDependency(_find_cycle(in_ptr, src[in_perm], deg, owner, tasks.id))
    if np.any(from_loe):  # turning links round may hide a loop through a level of effort
        reached, deg, *_ = _layout(n, lp, lsu, np.zeros(lp.size, np.int64))
        if reached < n:
            in_ptr, in_perm = _csr(n, lsu)
            raise CircularDependency(_find_cycle(in_ptr, lp[in_perm], deg, owner, tasks.id))

    # progress
    state = np.zeros(n, dtype=np.int8)
    node_dur = np.concatenate([dur, np.zeros(2 * k, dtype=np.int64)])
    node_dur[sums] = 0
    a_s = a_f = np.full(0, NAT_INT)
    done = started = np.zeros(n, dtype=bool)
    done_work = np.zeros(n, dtype=np.int64)
    has_progress = not (
        tasks.actual_start is None
        and tasks.actual_finish is None
        and tasks.percent_complete is None
    )
    if has_progress:
        a_s = _as_int(tasks.column("actual_start"))
        a_f = _as_int(tasks.column("actual_finish"))
        pct_c = tasks.column("percent_complete").astype(np.float64)
        rem = tasks.column("remaining").astype(np.int64)
        has_s = a_s != NAT_INT
        has_f = a_f != NAT_INT
        rem = np.where(rem >= 0, rem, np.rint(dur * (100.0 - pct_c) / 100.0).astype(np.int64))
        rem = np.clip(rem, 0, None)
        if p6_progress:  # P6: complete only with an actual finish
            done = ~is_sum & has_f
        else:
            done = ~is_sum & (has_f | (has_s & ((pct_c >= 100.0) | ((rem == 0) & (dur > 0)))))
        started = ~is_sum & has_s & ~done
        bad = np.flatnonzero(~is_sum & ~has_s & ~has_f & (pct_c > 0))
        if bad.size:
            raise ValidationFailed(
                [FieldError(("tasks", str(tasks.id[i]), "actual_start"),
                            "progress recorded without an actual start") for i in bad[:20]]
            )  # fmt: skip
        state[started] = STARTED
        state[done] = DONE
        node_dur[:n] = np.where(started, rem, node_dur[:n])
        done_work = np.where(started, np.clip(dur - rem, 0, None), 0)
    state[is_sum] = SUMMARY
    state_n = np.concatenate([state, np.zeros(2 * k, dtype=np.int8)])

    # bounds as moments (minutes since the epoch), by rank; ordinals come per horizon
    mom = np.empty((13, big_n), dtype=np.int64)
    mom[[1, 4, 5, 6, 7, 10, 11, 12]] = LOW
    mom[[2, 3, 8, 9]] = HIGH
    # the project starts at the first working moment of its calendar (MS Project: 08:00),
    # which also holds tasks on other calendars (24 h, elapsed durations)
    ps = to_minutes(plan.calendars[pc].add_working_minutes(plan.project_start, 0, finish=False))
    mom[0] = ps
    rk = rank[:n]
    if plan.status_date is not None:
        # P6: nothing that remains is scheduled before the data date
        sd = to_minutes(plan.status_date)
        mom[0, rk] = np.where((state != DONE) | p6_progress, max(ps, sd), ps)
    if tasks.constraint_type is not None:
        _put_constraints(plan, mom, rank, entry, fentry, is_sum, state)
    if tasks.deadline is not None:
        # deadlines hold the backward pass only (MS Project: late finish and float, not dates)
        deadline = _as_int(tasks.deadline)
        has_dl = (deadline != NAT_INT) & (state != DONE)
        mom[9, rk[has_dl]] = np.minimum(mom[9, rk[has_dl]], deadline[has_dl])
    if has_progress:
        # actual dates; a missing start or finish of completed work follows from the duration
        mom[6, rk] = np.where(done | started, a_s, LOW)
        mom[6, rk] = np.where(mom[6, rk] == NAT_INT, LOW, mom[6, rk])
        mom[7, rk] = np.where(done & (a_f != NAT_INT), a_f, LOW)
    if options.use_expected_finish and tasks.expected_finish is not None:
        # P6 expected finish: where the remaining work ends (row 12)
        exp = _as_int(tasks.expected_finish)
        has_exp = (exp != NAT_INT) & (state != DONE) & ~is_sum
        mom[12, rk[has_exp]] = exp[has_exp]

    # levelling delay (MS Project): on tasks still to be scheduled; an elapsed-duration task
    # counts a working delay on its own (24-hour) time
    delay_w = np.zeros(big_n, dtype=np.int64)
    delay_e = np.zeros(big_n, dtype=np.int64)
    if tasks.levelling_delay is not None:
        held = np.asarray(tasks.levelling_delay, dtype=np.int64)
        held = np.where((state == NORMAL) & ~loe & (held > 0), held, 0)
        on_elapsed = tasks.column("levelling_delay_elapsed").astype(bool)
        delay_w[:n] = np.where(on_elapsed, 0, held)
        delay_e[:n] = np.where(on_elapsed, held, 0)

    inv = order  # node id of each rank
    is_task = np.zeros(big_n, dtype=bool)
    is_task[rk] = True
    return _Network(
        n_tasks=n,
        calendars=calendars,
        pc=pc,
        rank=rank,
        order=order,
        ncal=ncal[inv],
        dur=node_dur[inv],
        state=state_n[inv],
        is_task=is_task,
        summaries=np.sort(rank[sums]),
        inl=inl,
        outl=outl,
        moments=mom,
        done_work=np.concatenate([done_work, np.zeros(2 * k, np.int64)])[inv],
        start=ps,
        delay_work=delay_w[inv],
        delay_elapsed=delay_e[inv],
    )


def _put_constraints(
    plan: Plan,
    mom: I64,
    rank: I64,
    entry: I64,
    fentry: I64,
    is_sum: npt.NDArray[np.bool_],
    state: npt.NDArray[np.int8],
) -> None:
    tasks = plan.tasks
    n = len(tasks)
    ctype = np.asarray(tasks.constraint_type, dtype=np.int64)
    cdate = _as_int(tasks.column("constraint_date"))
    if ctype.size and (ctype.min() < 0 or ctype.max() > int(ConstraintType.MFO)):
        raise ValidationFailed.field(("tasks", "constraint_type"), "unknown constraint type")
    needs = np.isin(ctype, [int(c) for c in DATED_CONSTRAINTS]) & (cdate == NAT_INT)
    if np.any(needs):
        i = int(np.argmax(needs))
        raise ValidationFailed.field(("tasks", str(tasks.id[i]), "constraint_date"), "is required")
    normal = state == NORMAL
    rows = np.arange(n)
    ct = ConstraintType

    def put(row: int, where: npt.NDArray[np.bool_], nodes: I64, op: str) -> None:
        idx = rank[nodes[where]]
        vals = cdate[where]
        if op == "max":
            mom[row, idx] = np.maximum(mom[row, idx], vals)
        elif op == "min":
            mom[row, idx] = np.minimum(mom[row, idx], vals)
        else:
            mom[row, idx] = vals

    put(0, normal & (ctype == ct.SNET), rows, "max")
    put(1, normal & (ctype == ct.FNET), rows, "max")
    put(2, normal & (ctype == ct.SNLT), rows, "min")
    put(3, normal & (ctype == ct.FNLT), rows, "min")
    put(4, normal & (ctype == ct.MSO), rows, "set")
    put(5, normal & (ctype == ct.MFO), rows, "set")
    put(8, normal & (ctype == ct.SNLT), rows, "min")
    put(9, normal & (ctype == ct.FNLT), rows, "min")
    put(10, normal & (ctype == ct.MSO), rows, "set")
    put(11, normal & (ctype == ct.MFO), rows, "set")
    # On a summary a constraint holds its descendants: start-side ones through its entry
    # node, finish-side ones through its finish entry; late ones through the roll-up.
    put(0, is_sum & ((ctype == ct.SNET) | (ctype == ct.MSO)), entry, "max")
    put(1, is_sum & ((ctype == ct.FNET) | (ctype == ct.MFO)), fentry, "max")
    put(8, is_sum & ((ctype == ct.SNLT) | (ctype == ct.MSO)), rows, "min")
    put(9, is_sum & ((ctype == ct.FNLT) | (ctype == ct.MFO)), rows, "min")


def _find_cycle(
    in_ptr: I64, in_pred: I64, deg: I64, owner: I64, ids: npt.NDArray[np.str_]
) -> list[str]:
    """A cycle among the nodes Kahn's algorithm could not order, in link order."""
    start = int(np.flatnonzero(deg > 0)[0])
    seen: dict[int, int] = {}
    path: list[int] = []
    j = start
    while j not in seen:
        seen[j] = len(path)
        path.append(j)
        # every unordered node has an unordered predecessor
        for e in range(int(in_ptr[j]), int(in_ptr[j + 1])):
            p = int(in_pred[e])
            if deg[p] > 0:
                j = p
                break
    cycle = path[seen[j] :][::-1]  # walked against the links: turn it round
    names: list[str] = []
    for node in cycle:
        name = str(ids[owner[node]])
        if not names or names[-1] != name:
            names.append(name)
    if len(names) > 1 and names[0] == names[-1]:
        names.pop()
    return names


# ----------------------------------------------------------------------------------------------
# schedule()
# ----------------------------------------------------------------------------------------------


def _pack_index(idx: CalendarIndex) -> I64:
    """The index and its bucket tables packed in one array (see the kernel notes)."""
    size = 1 << BUCKET_SHIFT
    n_cal = len(idx.calendar_ids)
    nb_t = (idx.end - idx.origin) // size + 2
    toff = np.zeros(n_cal + 1, np.int64)
    woff = np.zeros(n_cal + 1, np.int64)
    ttab: list[I64] = []
    wtab: list[I64] = []
    for c in range(n_cal):
        a, b = int(idx.offsets[c]), int(idx.offsets[c + 1])
        st = idx.starts[a:b]
        bt = idx.origin + np.arange(nb_t, dtype=np.int64) * size
        ttab.append(np.maximum(np.searchsorted(st, bt, side="right") - 1, 0) + a)
        bw = np.arange(idx.total(c) // size + 2, dtype=np.int64) * size
        wtab.append(np.searchsorted(idx.cum_end[a:b], bw, side="left") + a)
        toff[c + 1] = toff[c] + nb_t
        woff[c + 1] = woff[c] + bw.size
    parts = [idx.offsets, idx.starts, idx.ends, idx.cum, idx.cum_end, toff,
             np.concatenate(ttab), woff, np.concatenate(wtab)]  # fmt: skip
    head = np.zeros(12, np.int64)
    pos = 12
    for i, part in enumerate(parts):
        head[i] = pos
        pos += part.size
    head[P_ORIGIN] = idx.origin
    head[P_END] = idx.end
    return np.concatenate([head, *parts])


def _kinds(
    plan: Plan, net: _Network, options: ScheduleOptions, rules: Rules
) -> npt.NDArray[np.int32]:
    """Per node: where its dates sit in their class of moments, and the rules that depend on
    the kind of task (see the MT_* and K_* constants)."""
    kind = np.full(net.ncal.shape[0], MT_ES | MT_LS, np.int32)  # start: next period, finish:
    rk = net.rank[: net.n_tasks]  # the previous one
    task = net.is_task & (net.state != SUMMARY)
    zero = task & (net.dur == 0)
    if rules.moments == Convention.P6:
        # a finish milestone sits at the moment that drives it, late dates at the end of the
        # previous period; a start milestone at the start of the next period, late dates as
        # they are bounded; work in progress with none left at the start of the next period,
        # late dates at the end of the previous one
        kind[zero] = MT_ES | MT_EF | MT_LS | MT_LF | K_DYN_L
        if plan.tasks.is_milestone is not None:
            kind[rk[np.asarray(plan.tasks.is_milestone) & zero[rk]]] = K_DYN_E
        emptied = rk[(np.asarray(plan.tasks.duration) > 0) & zero[rk]]
        kind[emptied] = MT_ES | MT_EF
        kind[task & ~zero] |= K_DYN_LS
    else:
        kind[zero] = K_DYN_E | K_DYN_L
        kind[task & ~zero] |= K_DYN_EF
    if rules.progress == Convention.P6:  # completed: work of no duration where it lands
        kind[net.state == DONE] |= K_DYN_E
    if plan.tasks.constraint_type is not None:
        ctype = np.asarray(plan.tasks.constraint_type)
        alap = rk[ctype == int(ConstraintType.ALAP)]
        kind[alap[task[alap]]] |= K_ALAP
        if not rules.free_float_capped:  # P6: no free float on mandatory dates
            fixed = rk[np.isin(ctype, [int(ConstraintType.MSO), int(ConstraintType.MFO)])]
            kind[fixed[task[fixed]]] |= K_NO_FREE
    if options.use_expected_finish and plan.tasks.expected_finish is not None:
        expected = rk[_as_int(plan.tasks.expected_finish) != NAT_INT]
        kind[expected[task[expected]]] |= K_NO_FREE
    if plan.tasks.level_of_effort is not None:  # no constraint, no milestone: its neighbours'
        loe = rk[np.asarray(plan.tasks.level_of_effort, dtype=bool)]
        loe = loe[task[loe]]
        kind[loe] = MT_ES | MT_LS | K_LOE
    return kind


def schedule(plan: Plan, options: ScheduleOptions | None = None) -> ScheduleResult:
    """Schedule ``plan``: early and late dates, floats, critical and longest path."""
    options = options or ScheduleOptions()
    rules = options.rules
    net = _build(plan, options)
    n, big_n = net.n_tasks, net.ncal.shape[0]
    n_cal = len(net.calendars)
    honor = bool(options.honor_constraint_dates)
    override = ProgressMode(options.progress_mode) == ProgressMode.PROGRESS_OVERRIDE
    ss_early = bool(options.start_lag_from_early_start)
    kind = _kinds(plan, net, options, rules)
    typed = np.flatnonzero(kind & (K_DYN_E | K_DYN_L | K_DYN_LS))  # their bounds' moments matter
    flags = (
        (F_SHOWN if rules.moments == Convention.P6 else 0)
        | (F_CAP if rules.free_float_capped else 0)
        | (F_ALAP_FREE if rules.alap_free_float else 0)
        | (F_PROG_P6 if rules.progress == Convention.P6 else 0)
        | (F_SS_EARLY if ss_early else 0)
        | (F_EXPECTED if options.use_expected_finish else 0)
        | (F_ALAP_PC if rules.alap_float_project_calendar else 0)
        | (F_DELAYS if net.delay_work.any() or net.delay_elapsed.any() else 0)
    )
    has_alap = bool(np.any(kind & K_ALAP))
    loe_nodes = np.flatnonzero(kind & K_LOE)  # rank order: topological
    finishes = net.is_task & ((kind & K_LOE) == 0)  # a level of effort ends no project

    # horizon: every date in the plan plus a first guess of the project's length
    ps = to_minutes(plan.project_start)
    mom = net.moments
    dated = mom[1:][(mom[1:] != LOW) & (mom[1:] != HIGH)]
    extra = [to_minutes(d) for d in (plan.status_date, plan.must_finish_by) if d]
    lo_t = int(min(ps, dated.min() if dated.size else ps, *extra))
    hi_t = int(max(ps, dated.max() if dated.size else ps, *extra))
    slowest = min(c.minutes_per_week for c in net.calendars) / 7.0  # working minutes a day
    work = float(net.dur.sum()) + float(np.clip(net.inl[2] >> 24, 0, None).sum())
    work += float(net.delay_work.sum() + net.delay_elapsed.sum())
    guess_days = int(min(work / slowest * 1.2, 40 * 366)) + 60
    lo_day = lo_t // MINUTES_PER_DAY - 60
    hi_day = hi_t // MINUTES_PER_DAY + guess_days

    for _attempt in range(16):
        idx = build_index(net.calendars, lo_day, hi_day)
        cb = _pack_index(idx)
        bounds = _ords(net.ncal, mom, cb)
        btype = _bound_types(typed, kind, net.ncal, mom, bounds, bool(flags & F_SHOWN), cb)
        dur = net.dur.copy()
        done = np.flatnonzero(net.state == DONE)
        if done.size:  # completed: a missing actual start or finish follows from the duration
            a_s, a_f = bounds[6], bounds[7]
            a_s[done] = np.where(a_s[done] == LOW, a_f[done] - dur[done], a_s[done])
            a_f[done] = np.where(a_f[done] == LOW, a_s[done] + dur[done], a_f[done])
            dur[done] = a_f[done] - a_s[done]
        started = np.flatnonzero(net.state == STARTED)
        if started.size:  # remaining work resumes no earlier than where the work got to
            bounds[0, started] = np.maximum(
                bounds[0, started], bounds[6, started] + net.done_work[started]
            )
        es = np.empty(big_n, np.int64)
        ef = np.empty(big_n, np.int64)
        rs = np.empty(big_n, np.int64)
        mt = np.empty(big_n, np.int8)
        _forward(
            net.inl, net.ncal, dur, net.state, bounds, btype, kind, net.done_work, honor,
            override, flags, net.delay_work, net.delay_elapsed, cb, es, ef, rs, mt,
        )  # fmt: skip
        if cb[P_OOR]:
            lo_day, hi_day = lo_day - 366, hi_day + 4 * (hi_day - lo_day)
            continue
        # the index must reach the latest early date; widening its end keeps the ordinals
        totals = np.array([idx.total(c) for c in range(n_cal)], dtype=np.int64)
        over = int((np.maximum(es, ef) - totals[net.ncal]).max(initial=-1)) + 1
        if over > 0:
            hi_day += int(over / slowest * 1.3) + 30
            continue
        pf = int(_latest_finish(ef, net.ncal, finishes, n_cal, cb)) if n else net.start
        pf = max(pf, net.start)  # a project of milestones at its start finishes there
        if plan.must_finish_by is not None:
            pf = to_minutes(plan.must_finish_by)
        pf_ord = np.array([idx.ordinal(c, pf) for c in range(n_cal)], np.int64)
        # the project finish is the start of a working period on calendar c
        pf_late = np.array(
            [
                pf != idx.moment(c, int(pf_ord[c]), finish=True)
                and pf == idx.moment(c, int(pf_ord[c]), finish=False)
                for c in range(n_cal)
            ],
            np.bool_,
        )
        ls = np.empty(big_n, np.int64)
        lf = np.empty(big_n, np.int64)
        ls_rep = np.empty(big_n, np.int64)
        tf = np.empty(big_n, np.int64)
        ff = np.empty(big_n, np.int64)
        on = np.empty(big_n, np.bool_)
        # ALAP dates (the backward pass writes only those of ALAP tasks)
        xs, xf = (rs.copy(), ef.copy()) if has_alap else (rs, ef)
        _backward(
            net.inl, net.outl, net.ncal, dur, net.state, bounds, btype, kind, net.done_work,
            pf_ord, pf_late, net.is_task, override, flags, net.pc, net.delay_work,
            net.delay_elapsed, cb, es, rs, ef, ls, lf, ls_rep, tf, ff, on, mt, xs, xf,
        )  # fmt: skip
        if loe_nodes.size:
            _loe_late(
                loe_nodes, net.inl, net.ncal, net.state, pf_ord, rules.alap_free_float, cb,
                rs, ef, xs, xf, ls, lf, ls_rep, tf, ff, on, mt,
            )  # fmt: skip
        if net.summaries.size:
            _rollup_late(
                net.summaries, net.inl, net.ncal, rules.summary_float_own, cb, ls_rep, ef, lf,
                tf, ff,
            )  # fmt: skip
        if cb[P_OOR]:
            lo_day, hi_day = lo_day - 4 * (hi_day - lo_day), hi_day + 366
            continue
        pc = net.pc
        ps_ord = np.array([idx.ordinal(c, net.start) for c in range(n_cal)], np.int64)
        out, on_path = _outputs(
            net.order, n, net.ncal, net.state, net.inl, es, ef, ls_rep, lf, tf, ff, on, mt, cb
        )
        if cb[P_OOR]:  # late dates before the horizon (large negative float): widen, rerun
            lo_day, hi_day = lo_day - 4 * (hi_day - lo_day), hi_day + 366
            continue
        dates = _results(plan, net, out, kind, dur, xs, xf, cb)
        total_float = out[4]
        return ScheduleResult(
            task_id=np.asarray(plan.tasks.id),
            early_start=dates[0],
            early_finish=dates[1],
            late_start=dates[2],
            late_finish=dates[3],
            start=dates[4],
            finish=dates[5],
            total_float=total_float,
            free_float=out[5],
            critical=total_float <= options.critical_threshold,
            longest_path=on_path if options.longest_path else np.zeros(n, dtype=bool),
            project_start=from_minutes(net.start),
            project_finish=from_minutes(pf),
            project_duration=int(pf_ord[pc] - ps_ord[pc]),
        )
    raise SchedulingError("the plan does not fit any calendar horizon (a calendar without work?)")


def _results(
    plan: Plan,
    net: _Network,
    out: I64,
    kind: npt.NDArray[np.int32],
    dur: I64,
    xs: I64,
    xf: I64,
    cb: I64,
) -> list[DT]:
    """Date columns: actual dates where recorded, ALAP's late scheduled dates."""
    early_start, early_finish, late_start, late_finish = out[0], out[1], out[2], out[3]
    rows = out[6]  # rank of each task
    state = net.state[rows]
    if np.any(state == DONE) or np.any(state == STARTED):
        # actual dates are shown as recorded, not re-derived from ordinals
        act_s = _as_int(plan.tasks.column("actual_start"))
        act_f = _as_int(plan.tasks.column("actual_finish"))
        has_s = (act_s != NAT_INT) & ((state == STARTED) | (state == DONE))
        has_f = (act_f != NAT_INT) & (state == DONE)
        early_start = np.where(has_s, act_s, early_start)
        early_finish = np.where(has_f, act_f, early_finish)
        done = state == DONE
        late_start = np.where(done, early_start, late_start)
        late_finish = np.where(done, early_finish, late_finish)
    start = early_start
    finish = early_finish
    # ALAP: as late as possible without delaying any successor (the backward pass's xs, xf)
    alap = np.zeros(0, np.int64)
    if plan.tasks.constraint_type is not None:
        alap = np.flatnonzero(np.asarray(plan.tasks.constraint_type) == int(ConstraintType.ALAP))
        alap = alap[(state[alap] == NORMAL) & ((kind[rows[alap]] & K_ALAP) != 0)]
    if alap.size:
        start = early_start.copy()
        finish = early_finish.copy()
        nodes = rows[alap]
        k = kind[nodes]
        # a milestone at the end of the working period before its successor
        s_fin = ((k & MT_ES) == 0) | ((k & K_DYN_E) != 0)
        f_fin = np.where(dur[nodes] == 0, s_fin, True)
        start[alap] = _moments(nodes, net.ncal, xs, s_fin, cb)
        finish[alap] = _moments(nodes, net.ncal, xf, f_fin, cb)
    return [
        a.view("M8[m]") for a in (early_start, early_finish, late_start, late_finish, start, finish)
    ]


# ----------------------------------------------------------------------------------------------
# baselines and warm-up
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BaselineVariance:
    """Current minus baseline (positive = later / longer), in minutes; 0 where no baseline."""

    start_variance: I64
    finish_variance: I64
    duration_variance: I64
    has_baseline: npt.NDArray[np.bool_]


def baseline_variance(
    start: DT,
    finish: DT,
    duration: I64,
    baseline_start: DT,
    baseline_finish: DT,
    baseline_duration: I64,
    calendar: Calendar | None = None,
) -> BaselineVariance:
    """Start, finish and duration variance of the current schedule against a baseline.

    With a ``calendar`` the date variances are in its working minutes (as MS Project's
    *Start Variance*, shown in working days); without one, in elapsed minutes.
    """
    s, f = _as_int(start), _as_int(finish)
    bs, bf = _as_int(baseline_start), _as_int(baseline_finish)
    has = (bs != NAT_INT) & (bf != NAT_INT) & (s != NAT_INT) & (f != NAT_INT)
    if calendar is None or not np.any(has):
        sv = np.where(has, s - bs, 0)
        fv = np.where(has, f - bf, 0)
    else:
        pts = np.concatenate([s[has], f[has], bs[has], bf[has]])
        idx = build_index(
            [calendar], int(pts.min()) // MINUTES_PER_DAY - 1, int(pts.max()) // MINUTES_PER_DAY + 1
        )
        sv = np.zeros(s.shape, np.int64)
        fv = np.zeros(s.shape, np.int64)
        sv[has] = idx.ordinal(0, s[has]) - idx.ordinal(0, bs[has])
        fv[has] = idx.ordinal(0, f[has]) - idx.ordinal(0, bf[has])
    dv = np.where(has, np.asarray(duration, np.int64) - np.asarray(baseline_duration, np.int64), 0)
    return BaselineVariance(sv.astype(np.int64), fv.astype(np.int64), dv.astype(np.int64), has)


def warm_up() -> None:
    """Compile (or load from cache) every kernel on a tiny plan, so timings exclude it."""
    from pmo.engine.plan import Link, LinkType, Task

    cals: Sequence[Calendar] = (Calendar.standard(), Calendar.every_day())
    tasks = [
        Task("s", duration=0, parent=None),
        Task("a", duration=480, parent="g"),
        Task("b", duration=960, calendar="every-day", parent="g"),
        Task("g"),
        Task("c", duration=480, constraint_type=ConstraintType.SNLT,
             constraint_date=datetime(2026, 1, 5) + timedelta(days=1)),
        Task("d", duration=480, constraint_type=ConstraintType.ALAP),
        Task("e", level_of_effort=True),
    ]  # fmt: skip
    links = [Link("s", "a"), Link("a", "b", lag=60), Link("g", "c"), Link("s", "c", lag=-30),
             Link("s", "e", LinkType.SS), Link("e", "c", LinkType.FF)]  # fmt: skip
    plan = Plan.from_records(tasks, links, cals, datetime(2026, 1, 5))
    schedule(plan)
    schedule(plan, ScheduleOptions(progress_mode=ProgressMode.PROGRESS_OVERRIDE))
    schedule(plan, ScheduleOptions(convention=Convention.P6, start_lag_from_early_start=True))
