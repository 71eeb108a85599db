"""Earned value management (EVM) and earned schedule (ES): pure, vectorised computation.

Everything is computed on float64 arrays of shape ``(n_entities, n_periods)`` so that a whole
portfolio (tasks, projects, programmes) is measured in one pass, period by period. No I/O, no
Django, no Decimal: exact money lives in the service layer (see :mod:`pmo.engine.money` and
``docs/evm.md`` for why the engine may use binary floating point).

Sources of the formulas
-----------------------

* **EVM**: ANSI/EIA-748 (Earned Value Management Systems) defines the data (PV = BCWS,
  EV = BCWP, AC = ACWP, BAC); the indices and forecasts are those of the PMI *Practice Standard
  for Earned Value Management* (2nd ed., 2011) and the *PMBOK Guide* (6th ed., 2017,
  §7.4.2.2, table 7-1): SV = EV - PV, CV = EV - AC, SPI = EV/PV, CPI = EV/AC, EAC = BAC/CPI,
  EAC = AC + (BAC - EV)/(CPI x SPI), EAC = AC + ETC (bottom-up), ETC = EAC - AC,
  VAC = BAC - EAC, TCPI = (BAC - EV)/(BAC - AC) and (BAC - EV)/(EAC - AC).
* **Earned schedule**: W. Lipke, "Schedule is Different", *The Measurable News*, March &
  Summer 2003; PMI Practice Standard for EVM, 2nd ed., appendix D; Lipke & Henderson,
  "Earned Schedule" training (EVA-11, 2006): ES = C + (EV - PV_C)/(PV_{C+1} - PV_C) where C is
  the number of whole periods whose cumulative PV is <= EV; SV(t) = ES - AT;
  SPI(t) = ES/AT; IEAC(t) = PD/SPI(t) and AT + (PD - ES)/PF; TSPI = (PD - ES)/(PD - AT) and
  (PD - ES)/(ED - AT).
* **EV methods** (physical percent complete, 0/100, 50/50 fixed formula, weighted milestones):
  PMI Practice Standard for EVM, 2nd ed.; Q. Fleming & J. Koppelman, *Earned Value Project
  Management* (PMI).

Conventions (details in ``docs/evm.md``)
----------------------------------------

* Column ``j`` holds cumulative values at the **end of period** ``j + 1``; periods are numbered
  from 1 and the plan starts at time 0, where PV is 0 (``PV_0 = 0`` is implicit). Actual time
  at column ``j`` is therefore ``AT = j + 1`` periods.
* ``NaN`` in EV or AC means "not measured in that period" and every measure that needs it is
  ``NaN`` there. Every ratio whose denominator is 0 is ``NaN`` (undefined), never ``inf``.
* Rollups sum PV, EV, AC, BAC (and ETC) per parent and recompute every index from the sums:
  averaging ratios is wrong (a 10 EUR task would weigh as much as a 10 MEUR one).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from pmo.errors import FieldError, ValidationFailed

F64 = npt.NDArray[np.float64]
IntP = npt.NDArray[np.intp]

#: Relative tolerance under which EV counts as having reached BAC (and PV as having reached
#: BAC when the planned duration is derived). Sums of many float64 amounts can miss BAC by a
#: few ulps; 1e-9 of the budget is far below a cent on any real budget.
COMPLETE_RTOL = 1e-9

#: The measures of :class:`EvmMeasures` that have one value per entity and period.
PERIOD_MEASURES = (
    "pv",
    "ev",
    "ac",
    "sv",
    "cv",
    "spi",
    "cpi",
    "eac",
    "eac_composite",
    "eac_bottom_up",
    "etc",
    "vac",
    "tcpi",
    "tcpi_eac",
    "at",
    "es",
    "sv_t",
    "spi_t",
    "ieac_t",
    "ieac_t_pf",
    "tspi",
    "tspi_ed",
)


# --------------------------------------------------------------------------------------------
# Elementwise formulas. Each takes scalars or broadcastable arrays and returns float64 arrays
# (0-d for scalars), NaN wherever the measure is undefined.
# --------------------------------------------------------------------------------------------


def _f64(x: npt.ArrayLike) -> F64:
    return np.asarray(x, dtype=np.float64)


def safe_divide(num: npt.ArrayLike, den: npt.ArrayLike) -> F64:
    """``num / den`` with NaN where ``den == 0`` (0/0 and x/0 are undefined, not infinite)."""
    n, d = _f64(num), _f64(den)
    shape = np.broadcast_shapes(n.shape, d.shape)
    out = np.full(shape, np.nan)
    with np.errstate(over="ignore"):  # a huge quotient is inf, as float arithmetic says
        np.divide(n, d, out=out, where=d != 0)
    return out


def schedule_variance(ev: npt.ArrayLike, pv: npt.ArrayLike) -> F64:
    """SV = EV - PV (PMBOK 6, table 7-1)."""
    return np.subtract(_f64(ev), _f64(pv))


def cost_variance(ev: npt.ArrayLike, ac: npt.ArrayLike) -> F64:
    """CV = EV - AC (PMBOK 6, table 7-1)."""
    return np.subtract(_f64(ev), _f64(ac))


def schedule_performance_index(ev: npt.ArrayLike, pv: npt.ArrayLike) -> F64:
    """SPI = EV / PV; NaN while nothing is planned (PV = 0)."""
    return safe_divide(ev, pv)


def cost_performance_index(ev: npt.ArrayLike, ac: npt.ArrayLike) -> F64:
    """CPI = EV / AC; NaN while nothing is spent (AC = 0)."""
    return safe_divide(ev, ac)


def eac_cpi(bac: npt.ArrayLike, cpi: npt.ArrayLike) -> F64:
    """EAC = BAC / CPI: remaining work at the cumulative cost efficiency (PMBOK 6, table 7-1).

    NaN when CPI is 0 or undefined (nothing earned yet).
    """
    return safe_divide(bac, cpi)


def eac_composite(
    bac: npt.ArrayLike, ev: npt.ArrayLike, ac: npt.ArrayLike, cpi: npt.ArrayLike, spi: npt.ArrayLike
) -> F64:
    """EAC = AC + (BAC - EV) / (CPI x SPI): remaining work hampered by both cost and schedule
    efficiency (PMBOK 6, table 7-1; PMI Practice Standard for EVM, 2nd ed.)."""
    return np.add(_f64(ac), safe_divide(np.subtract(_f64(bac), _f64(ev)), np.multiply(cpi, spi)))


def eac_bottom_up(ac: npt.ArrayLike, etc: npt.ArrayLike) -> F64:
    """EAC = AC + ETC with a bottom-up estimate to complete (PMBOK 6, table 7-1)."""
    return np.add(_f64(ac), _f64(etc))


def estimate_to_complete(eac: npt.ArrayLike, ac: npt.ArrayLike) -> F64:
    """ETC = EAC - AC."""
    return np.subtract(_f64(eac), _f64(ac))


def variance_at_completion(bac: npt.ArrayLike, eac: npt.ArrayLike) -> F64:
    """VAC = BAC - EAC."""
    return np.subtract(_f64(bac), _f64(eac))


def tcpi_to_bac(bac: npt.ArrayLike, ev: npt.ArrayLike, ac: npt.ArrayLike) -> F64:
    """TCPI = (BAC - EV) / (BAC - AC): the cost efficiency the remaining work needs to finish on
    budget. NaN when the budget is exactly spent (BAC = AC); negative once AC > BAC, meaning
    BAC can no longer be met (PMBOK 6, table 7-1)."""
    b = _f64(bac)
    return safe_divide(np.subtract(b, _f64(ev)), np.subtract(b, _f64(ac)))


def tcpi_to_eac(
    bac: npt.ArrayLike, ev: npt.ArrayLike, ac: npt.ArrayLike, eac: npt.ArrayLike
) -> F64:
    """TCPI = (BAC - EV) / (EAC - AC) = remaining work / ETC. Against EAC = BAC/CPI it equals
    CPI, so it is only informative against an independent (bottom-up) EAC."""
    return safe_divide(np.subtract(_f64(bac), _f64(ev)), np.subtract(_f64(eac), _f64(ac)))


def schedule_variance_t(es: npt.ArrayLike, at: npt.ArrayLike) -> F64:
    """SV(t) = ES - AT, in periods (Lipke 2003)."""
    return np.subtract(_f64(es), _f64(at))


def spi_t(es: npt.ArrayLike, at: npt.ArrayLike) -> F64:
    """SPI(t) = ES / AT (Lipke 2003)."""
    return safe_divide(es, at)


def ieac_t(planned_duration: npt.ArrayLike, spi_time: npt.ArrayLike) -> F64:
    """IEAC(t) = PD / SPI(t), the forecast duration (Lipke 2003; PMI PS-EVM 2nd ed., app. D)."""
    return safe_divide(planned_duration, spi_time)


def ieac_t_pf(
    at: npt.ArrayLike,
    planned_duration: npt.ArrayLike,
    es: npt.ArrayLike,
    performance_factor: npt.ArrayLike = 1.0,
) -> F64:
    """IEAC(t) = AT + (PD - ES) / PF (Lipke & Henderson 2006). PF = 1: the remaining work goes
    as planned; PF = SPI(t) gives back PD / SPI(t)."""
    return np.add(
        _f64(at), safe_divide(np.subtract(_f64(planned_duration), _f64(es)), performance_factor)
    )


def tspi(
    planned_duration: npt.ArrayLike, es: npt.ArrayLike, at: npt.ArrayLike, target: npt.ArrayLike
) -> F64:
    """TSPI = (PD - ES) / (target - AT): schedule efficiency needed to finish at ``target``
    (PD itself, or an estimated duration ED) (Lipke 2003; PMI PS-EVM 2nd ed., app. D).

    NaN at AT = target; negative once AT is past the target (it can no longer be met)."""
    return safe_divide(
        np.subtract(_f64(planned_duration), _f64(es)), np.subtract(_f64(target), _f64(at))
    )


# --------------------------------------------------------------------------------------------
# Earned schedule
# --------------------------------------------------------------------------------------------


def _as_2d(x: npt.ArrayLike, name: str) -> F64:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        return a[None, :]
    if a.ndim != 2:
        raise ValidationFailed.field(name, f"expected 1 or 2 dimensions, got {a.ndim}")
    return a


def _per_entity(x: npt.ArrayLike, n: int, name: str) -> F64:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        return np.full(n, float(a))
    if a.shape != (n,):
        raise ValidationFailed.field(name, f"expected shape ({n},), got {a.shape}")
    return a


def _reached(values: F64, bac: F64) -> npt.NDArray[np.bool_]:
    """``values >= BAC`` within :data:`COMPLETE_RTOL`, only where BAC > 0 (NaN never counts)."""
    b = bac[:, None]
    return (values >= b * (1.0 - COMPLETE_RTOL)) & (b > 0)


def planned_duration_from_pv(pv: npt.ArrayLike, bac: npt.ArrayLike) -> F64:
    """The planned duration PD of each entity: the first period whose cumulative PV reaches BAC.

    NaN where BAC <= 0 (nothing planned) or where PV never reaches BAC within the periods given
    (the plan runs past them: pass the planned duration explicitly).
    """
    p = _as_2d(pv, "pv")
    b = _per_entity(bac, p.shape[0], "bac")
    hit = _reached(p, b)
    first = np.argmax(hit, axis=1).astype(np.float64) + 1.0
    return np.where(hit.any(axis=1), first, np.nan)


def actual_time(ev: npt.ArrayLike, bac: npt.ArrayLike) -> F64:
    """AT per entity and period: the period number, frozen at the period where EV first reached
    BAC in every later period where the entity is still complete.

    Lipke's completion convention: at completion ES = PD and AT is the actual duration, so the
    final SPI(t) = PD / AD; freezing AT keeps that value (instead of decaying as PD / AT) for the
    periods after an entity finished while its parent goes on.
    """
    e = _as_2d(ev, "ev")
    n, t = e.shape
    b = _per_entity(bac, n, "bac")
    period = np.arange(1, t + 1, dtype=np.float64)
    done = _reached(e, b)
    # Where an entity is complete, AT is the first period it was complete (argmax: first True).
    first_done = np.argmax(done, axis=1).astype(np.float64) + 1.0
    at: F64 = np.where(done, first_done[:, None], period)
    return at if np.ndim(ev) == 2 else at[0]


def _count_knots(knots: F64, base: IntP, v: F64, m: int, *, strict: bool) -> IntP:
    """For every query ``v[i, j]``, how many of row i's ``m`` non-decreasing knots are <= v
    (``< v`` if ``strict``): a branch-free binary search run on all queries at once.

    ``knots`` is the flattened ``(rows, m)`` knot array, ``base[i]`` the offset of row i (either
    ``(rows, 1)`` or matching ``v``). Because each row is non-decreasing, the knots <= v form a
    prefix, so the count is found by binary lifting in ``bit_length(m)`` vectorised steps.
    """
    pos = np.zeros(v.shape, dtype=np.intp)
    step = 1 << (m.bit_length() - 1)
    while step:
        probe = pos + step
        inside = probe <= m
        k = knots[base + np.minimum(probe, m) - 1]
        ok = (k < v) if strict else (k <= v)
        pos += np.where(ok & inside, step, 0)
        step >>= 1
    return pos


def earned_schedule(
    pv: npt.ArrayLike,
    ev: npt.ArrayLike,
    bac: npt.ArrayLike,
    planned_duration: npt.ArrayLike,
    at: npt.ArrayLike | None = None,
) -> F64:
    """Earned schedule ES (in periods) for every entity and period (Lipke 2003).

    ``pv`` and ``ev`` are cumulative, shape ``(n, T)`` (or ``(T,)`` for one entity), ``pv``
    non-decreasing along the periods (as :class:`EvmSeries` checks; not re-checked here);
    ``at`` is the actual time (default :func:`actual_time`). With knots PV_0 = 0,
    PV_1..PV_T:

    * C = the last knot with PV_C <= EV and ES = C + (EV - PV_C) / (PV_{C+1} - PV_C), linear
      interpolation inside period C + 1 (Lipke 2003; PMI PS-EVM 2nd ed., app. D);
    * where cumulative PV is flat (no work planned) every time on the plateau planned exactly
      EV, so ES is ambiguous: Lipke's counting picks the plateau's end. We pick the time on the
      plateau nearest to AT, so that EV = PV means ES = AT and SPI(t) = 1 (a task not yet due
      to start, with EV = PV = 0, is on schedule rather than "ahead" to its planned start).
      The two agree whenever PV rises in every period;
    * when EV reaches BAC, ES = PD (Lipke: at completion ES equals the planned duration), and ES
      is never more than PD;
    * when EV exceeds the last PV given but not BAC (the plan runs past the periods given), ES
      is PD if PD <= T, else NaN (unknown);
    * NaN where EV is NaN or negative, BAC <= 0, or PD is NaN.

    Large inputs (>= :data:`NUMBA_MIN_CELLS` cells) run a compiled kernel, one binary search
    per cell; small ones a numpy formulation of the same search (no compilation latency). The
    test suite checks that both agree.
    """
    p = _as_2d(pv, "pv")
    v = _as_2d(ev, "ev")
    if p.shape != v.shape:
        raise ValidationFailed.field("ev", f"shape {v.shape} differs from pv's {p.shape}")
    n, _ = p.shape
    b = _per_entity(bac, n, "bac")
    pd = _per_entity(planned_duration, n, "planned_duration")
    a = actual_time(v, b) if at is None else np.broadcast_to(_as_2d(at, "at"), p.shape)
    es = _es_numba(p, v, b, pd, a) if p.size >= NUMBA_MIN_CELLS else _es_numpy(p, v, b, pd, a)
    return es if np.ndim(ev) == 2 else es[0]


#: From this many (entity x period) cells on, :func:`earned_schedule` uses the numba kernel.
NUMBA_MIN_CELLS = 200_000


def _es_numpy(p: F64, v: F64, b: F64, planned_duration: F64, a: F64) -> F64:
    """Earned schedule with numpy only: a branch-free binary search over all cells at once."""
    n, t = p.shape
    pd = planned_duration[:, None]
    # Knots PV_0 = 0, PV_1..PV_T, flattened so one gather serves every row.
    m = t + 1
    knots = np.empty((n, m))
    knots[:, 0] = 0.0
    knots[:, 1:] = p
    flat = knots.ravel()
    base = (np.arange(n, dtype=np.intp) * m)[:, None]

    c = np.clip(_count_knots(flat, base, v, m, strict=False) - 1, 0, t)
    pv_c = flat[base + c]
    pv_next = flat[base + np.minimum(c + 1, t)]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (v - pv_c) / (pv_next - pv_c)
    # Past the last knot the plateau's end is unknown (inf); the cap at PD handles it below.
    es = np.where(c < t, c + frac, np.inf)

    # EV exactly on a knot: ES lies on the plateau [first knot equal to EV, plateau end];
    # take the point nearest to AT. Only these entries need the second search.
    on_knot = np.flatnonzero((pv_c == v).ravel())
    if on_knot.size:
        rows = on_knot // t
        vk = v.ravel()[on_knot]
        start = _count_knots(flat, rows * m, vk, m, strict=True).astype(np.float64)
        es_flat = es.reshape(-1)
        es_flat[on_knot] = np.clip(a.reshape(-1)[on_knot], start, es_flat[on_knot])

    beyond = np.isinf(es) & (pd > t)
    es = np.minimum(es, pd)  # Lipke: ES never exceeds PD (NaN PD propagates)
    es = np.where(_reached(v, b), pd, es)  # complete: ES = PD
    es[beyond | ~(v >= 0) | ~(b[:, None] > 0)] = np.nan
    return es


def _es_rows(pv: F64, ev: F64, bac: F64, pd: F64, at: F64, rtol: float, out: F64) -> None:
    """The numba kernel of :func:`earned_schedule` (same rules as :func:`_es_numpy`), one
    binary search per cell; compiled on first use by :func:`_es_numba`."""
    n, t = pv.shape
    for i in range(n):
        b = bac[i]
        d = pd[i]
        for j in range(t):
            v = ev[i, j]
            if not (v >= 0.0 and b > 0.0 and d == d):  # NaN EV, no budget, unknown PD
                out[i, j] = np.nan
                continue
            if v >= b * (1.0 - rtol):  # complete: ES = PD (Lipke)
                out[i, j] = d
                continue
            # C = number of pv[i, k] <= v (knot PV_0 = 0 <= v is knot 0), by bisection.
            lo = 0
            hi = t
            while lo < hi:
                mid = (lo + hi) >> 1
                if pv[i, mid] <= v:
                    lo = mid + 1
                else:
                    hi = mid
            c = lo
            pc = 0.0 if c == 0 else pv[i, c - 1]
            es = c + (v - pc) / (pv[i, c] - pc) if c < t else np.inf
            if pc == v:  # on a plateau: the point of [first knot == v, es] nearest to AT
                lo = 0
                hi = c
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if pv[i, mid] < v:
                        lo = mid + 1
                    else:
                        hi = mid
                start = lo + (1 if v > 0.0 else 0)
                es = min(max(at[i, j], float(start)), es)
            if es > d:
                es = np.nan if (es == np.inf and d > t) else d
            out[i, j] = es


@functools.cache
def _es_kernel() -> Callable[[F64, F64, F64, F64, F64, float, F64], None]:
    import numba  # on first use: small inputs (the CLI) never need it

    kernel: Callable[[F64, F64, F64, F64, F64, float, F64], None] = numba.njit(
        cache=True, nogil=True
    )(_es_rows)
    return kernel


def _es_numba(p: F64, v: F64, b: F64, planned_duration: F64, a: F64) -> F64:
    def arg(x: F64) -> F64:  # one array type for numba (C order, writeable): one compilation
        return np.require(x, np.float64, ["C_CONTIGUOUS", "WRITEABLE"])

    out = np.empty(p.shape)
    _es_kernel()(arg(p), arg(v), arg(b), arg(planned_duration), arg(a), COMPLETE_RTOL, out)
    return out


# --------------------------------------------------------------------------------------------
# Series, rollup and the full set of measures
# --------------------------------------------------------------------------------------------


def _validation_error(name: str, mask: npt.NDArray[np.bool_], message: str) -> ValidationFailed:
    where = np.argwhere(mask)[0]
    return ValidationFailed([FieldError((name, *(int(i) for i in where)), message)])


@dataclass(frozen=True, eq=False)
class EvmSeries:
    """Cumulative, time-phased EVM data of ``n`` entities over ``T`` periods.

    ``pv``, ``ev``, ``ac`` (and ``etc`` when given) have shape ``(n, T)``; ``bac`` and
    ``planned_duration`` (in periods) shape ``(n,)``. ``ev``/``ac``/``etc`` may be NaN for
    periods not measured (a task not started yet is measured: EV = AC = 0). Build with
    :meth:`from_arrays`; the constructor validates and raises ``ValidationFailed`` naming the
    first bad ``(field, entity, period)``. The arrays are not copied: do not mutate them.
    """

    pv: F64
    ev: F64
    ac: F64
    bac: F64
    planned_duration: F64
    etc: F64 | None = None

    @classmethod
    def from_arrays(
        cls,
        pv: npt.ArrayLike,
        ev: npt.ArrayLike,
        ac: npt.ArrayLike,
        *,
        bac: npt.ArrayLike | None = None,
        planned_duration: npt.ArrayLike | None = None,
        etc: npt.ArrayLike | None = None,
    ) -> EvmSeries:
        """Coerce to float64 ``(n, T)`` arrays (a 1-D array is one entity) and fill defaults:
        BAC = the last PV of each entity; PD = :func:`planned_duration_from_pv`."""
        p = _as_2d(pv, "pv")
        n = p.shape[0]
        if p.shape[1] == 0:
            raise ValidationFailed.field("pv", "no periods")
        b = p[:, -1].copy() if bac is None else _per_entity(bac, n, "bac")
        d = (
            planned_duration_from_pv(p, b)
            if planned_duration is None
            else _per_entity(planned_duration, n, "planned_duration")
        )
        return cls(
            pv=p,
            ev=_as_2d(ev, "ev"),
            ac=_as_2d(ac, "ac"),
            bac=b,
            planned_duration=d,
            etc=None if etc is None else _as_2d(etc, "etc"),
        )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:  # float64 ndarrays, copied only if they are not already
                object.__setattr__(self, f.name, np.asarray(value, dtype=np.float64))
        pv = self.pv
        if pv.ndim != 2 or pv.shape[1] == 0:
            raise ValidationFailed.field(
                "pv", f"expected shape (entities, periods), got {pv.shape}"
            )
        n = pv.shape[0]
        for name in ("ev", "ac", "etc"):
            a = getattr(self, name)
            if a is not None and a.shape != pv.shape:
                raise ValidationFailed.field(name, f"shape {a.shape} differs from pv's {pv.shape}")
        for name in ("bac", "planned_duration"):
            if getattr(self, name).shape != (n,):
                raise ValidationFailed.field(name, f"expected shape ({n},)")
        bad = ~np.isfinite(pv) | (pv < 0)
        if bad.any():
            raise _validation_error("pv", bad, "planned value must be a finite amount >= 0")
        dec = np.diff(pv, axis=1) < 0
        if dec.any():
            e, j = np.argwhere(dec)[0]
            raise ValidationFailed.field(
                ("pv", int(e), int(j) + 1), "cumulative planned value decreases"
            )
        for name in ("ev", "ac", "etc"):
            a = getattr(self, name)
            if a is not None and ((a < 0) | np.isinf(a)).any():
                raise _validation_error(name, (a < 0) | np.isinf(a), "must be NaN or >= 0")
        bac = self.bac
        if (~np.isfinite(bac) | (bac < 0)).any():
            raise _validation_error("bac", ~np.isfinite(bac) | (bac < 0), "must be >= 0")
        over = pv[:, -1] > bac * (1.0 + COMPLETE_RTOL)
        if over.any():
            raise _validation_error("bac", over, "cumulative planned value exceeds BAC")
        pd = self.planned_duration
        if (pd <= 0).any() or np.isinf(pd).any():
            raise _validation_error(
                "planned_duration", (pd <= 0) | np.isinf(pd), "must be > 0 (or NaN if unknown)"
            )

    @property
    def n_entities(self) -> int:
        return int(self.pv.shape[0])

    @property
    def n_periods(self) -> int:
        return int(self.pv.shape[1])

    def rows(self, index: slice | Sequence[int] | IntP) -> EvmSeries:
        """The series of a subset of entities (a slice is a view, not a copy)."""
        return EvmSeries(
            pv=self.pv[index],
            ev=self.ev[index],
            ac=self.ac[index],
            bac=self.bac[index],
            planned_duration=self.planned_duration[index],
            etc=None if self.etc is None else self.etc[index],
        )


def _conversion_factor(factor: npt.ArrayLike, n: int) -> F64:
    f = _per_entity(factor, n, "factor")
    bad = ~np.isfinite(f) | (f <= 0)
    if bad.any():
        raise _validation_error("factor", bad, "conversion factor must be finite and > 0")
    return f


def convert_currency(series: EvmSeries, factor: npt.ArrayLike) -> EvmSeries:
    """Every amount of entity i times ``factor[i]`` (to a reporting currency, before rollup).

    Durations are unchanged. One factor per entity (a rate fixed for the baseline, as budgets
    are); time-phased rates would be applied by the caller before building the series.
    """
    f = _conversion_factor(factor, series.n_entities)
    col = f[:, None]
    return EvmSeries(
        pv=series.pv * col,
        ev=series.ev * col,
        ac=series.ac * col,
        bac=series.bac * f,
        planned_duration=series.planned_duration,
        etc=None if series.etc is None else series.etc * col,
    )


#: Children that :func:`rollup` converts and sums at a time.
_ROLLUP_BLOCK = 8192


def rollup(
    series: EvmSeries,
    parent: npt.ArrayLike,
    n_parents: int | None = None,
    *,
    factor: npt.ArrayLike | None = None,
) -> EvmSeries:
    """Sum children into parents: task -> project -> programme -> portfolio, one level a call.

    ``parent[i]`` is the parent index (0..n_parents-1) of child i. ``factor`` (optional, per
    child) converts each child to the reporting currency first (as :func:`convert_currency`).
    PV, EV, AC, ETC and BAC are summed; a parent's EV/AC/ETC is NaN in a period
    where any child is unmeasured, because a partial sum would understate it. The parent's
    planned duration is the latest of its budgeted children's (the plan ends when its last
    budgeted child does), NaN if one of them is unknown or the parent has none. Indices are
    never averaged: compute them on the result with :func:`compute_evm`.
    """
    par = np.asarray(parent)
    if par.shape != (series.n_entities,) or (par.size and not np.issubdtype(par.dtype, np.integer)):
        raise ValidationFailed.field(
            "parent", f"expected {series.n_entities} integer parent indices"
        )
    par = par.astype(np.intp, copy=False)
    m = int(par.max()) + 1 if n_parents is None and par.size else int(n_parents or 0)
    if par.size and (par.min() < 0 or par.max() >= m):
        raise _validation_error("parent", (par < 0) | (par >= m), f"parent index not in 0..{m - 1}")
    f = None if factor is None else _conversion_factor(factor, series.n_entities)
    n, t = series.n_entities, series.n_periods
    grouped = bool(par.size and (par[1:] >= par[:-1]).all())

    # Blocks of children: the currency-converted block stays small (no full-size temporary).
    # Children grouped by parent (the usual order) are summed per contiguous run with
    # np.add.reduceat, ~10x faster than np.add.at, then the run sums are added to the parents
    # (a parent's run may straddle two blocks).
    blocks = []
    for lo in range(0, n, _ROLLUP_BLOCK):
        hi = min(lo + _ROLLUP_BLOCK, n)
        p = par[lo:hi]
        starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]]) if grouped else None
        blocks.append((slice(lo, hi), p if starts is None else p[starts], starts))

    def add(x: F64) -> F64:
        out = np.zeros((m, t))
        for rows, target, starts in blocks:
            part = x[rows] if f is None else x[rows] * f[rows, None]
            if starts is not None:
                part = np.add.reduceat(part, starts, axis=0)
            np.add.at(out, target, part)
        return out

    bac = series.bac if f is None else series.bac * f
    pd = np.where(series.bac > 0, series.planned_duration, -np.inf)
    pd_out = np.full(m, -np.inf)
    with np.errstate(invalid="ignore"):  # NaN propagates: an unknown child PD stays unknown
        np.maximum.at(pd_out, par, pd)
    pd_out[pd_out == -np.inf] = np.nan
    return EvmSeries(
        pv=add(series.pv),
        ev=add(series.ev),
        ac=add(series.ac),
        bac=np.bincount(par, weights=bac, minlength=m).astype(np.float64),
        planned_duration=pd_out,
        etc=None if series.etc is None else add(series.etc),
    )


@dataclass(frozen=True, eq=False)
class EvmMeasures:
    """Every EVM and ES measure of every entity and period, shape ``(n, T)`` unless noted.

    ``eac`` is BAC/CPI (with ``etc = eac - ac`` and ``vac = bac - eac``); ``eac_composite`` is
    AC + (BAC - EV)/(CPI x SPI); ``eac_bottom_up`` (AC + ETC), ``tcpi_eac`` (to the bottom-up
    EAC) exist only when the series has ETC, ``tspi_ed`` only when an estimated duration was
    given. ``tcpi`` is to BAC, ``tspi`` to PD. ``at``, ``es``, ``sv_t``, ``ieac_t``,
    ``ieac_t_pf`` are in periods. NaN wherever a measure is undefined.
    """

    period: IntP  # (T,) period numbers 1..T
    bac: F64  # (n,)
    planned_duration: F64  # (n,)
    pv: F64
    ev: F64
    ac: F64
    sv: F64
    cv: F64
    spi: F64
    cpi: F64
    eac: F64
    eac_composite: F64
    eac_bottom_up: F64 | None
    etc: F64
    vac: F64
    tcpi: F64
    tcpi_eac: F64 | None
    at: F64
    es: F64
    sv_t: F64
    spi_t: F64
    ieac_t: F64
    ieac_t_pf: F64
    tspi: F64
    tspi_ed: F64 | None

    def entity(self, i: int) -> dict[str, F64]:
        """The ``(T,)`` series of every available per-period measure of entity ``i``."""
        out: dict[str, F64] = {}
        for name in PERIOD_MEASURES:
            a = getattr(self, name)
            if a is not None:
                out[name] = a[i]
        return out

    @property
    def nbytes(self) -> int:
        return sum(
            getattr(self, f.name).nbytes for f in fields(self) if getattr(self, f.name) is not None
        )


#: Rows that :func:`compute_evm` computes at a time: the temporaries of a block (~0.5 MiB
#: each at 36 periods) are reused from block to block instead of each being a fresh
#: full-size array, which on a large portfolio costs more in page faults than the arithmetic.
BLOCK_ROWS = 2048


def compute_evm(
    series: EvmSeries,
    *,
    estimated_duration: npt.ArrayLike | None = None,
    performance_factor: npt.ArrayLike = 1.0,
) -> EvmMeasures:
    """Every EVM and earned-schedule measure of every entity and period, vectorised.

    ``estimated_duration`` (per entity, in periods) adds TSPI to ED; ``performance_factor``
    (scalar or per entity) is the PF of IEAC(t) = AT + (PD - ES)/PF (default 1).
    """
    n, t = series.n_entities, series.n_periods
    pf = np.asarray(performance_factor, dtype=np.float64)
    if pf.ndim:
        pf = _per_entity(pf, n, "performance_factor")
    ed = None if estimated_duration is None else _per_entity(estimated_duration, n, "ed")
    with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN are the answers there
        at = actual_time(series.ev, series.bac)
        es = earned_schedule(series.pv, series.ev, series.bac, series.planned_duration, at)
        if n <= BLOCK_ROWS:
            derived = _derived_measures(series, slice(None), at, es, pf, ed)
        else:
            derived = {}
            for start in range(0, n, BLOCK_ROWS):
                rows = slice(start, min(start + BLOCK_ROWS, n))
                for name, part in _derived_measures(series, rows, at, es, pf, ed).items():
                    if part is None:
                        derived[name] = None
                        continue
                    full = derived.get(name)
                    if full is None:
                        full = derived[name] = np.empty((n, t))
                    full[rows] = part
    return EvmMeasures(
        period=np.arange(1, t + 1, dtype=np.intp),
        bac=series.bac,
        planned_duration=series.planned_duration,
        pv=series.pv,
        ev=series.ev,
        ac=series.ac,
        at=at,
        es=es,
        **cast(dict[str, Any], derived),  # optional measures are None, the others arrays
    )


def _derived_measures(
    series: EvmSeries, rows: slice, at: F64, es: F64, pf: F64, ed: F64 | None
) -> dict[str, F64 | None]:
    """The measures of ``rows`` computed from PV, EV, AC, BAC, PD, AT and ES."""
    pv, ev, ac = series.pv[rows], series.ev[rows], series.ac[rows]
    bac = series.bac[rows, None]
    pd = series.planned_duration[rows, None]
    at, es = at[rows], es[rows]
    pf_col = pf[rows, None] if pf.ndim else pf

    spi = schedule_performance_index(ev, pv)
    cpi = cost_performance_index(ev, ac)
    eac = eac_cpi(bac, cpi)
    remaining = bac - ev  # budgeted cost of the work remaining
    bottom_up = None if series.etc is None else eac_bottom_up(ac, series.etc[rows])
    spit = spi_t(es, at)
    return {
        "sv": schedule_variance(ev, pv),
        "cv": cost_variance(ev, ac),
        "spi": spi,
        "cpi": cpi,
        "eac": eac,
        "eac_composite": np.add(ac, safe_divide(remaining, cpi * spi)),
        "eac_bottom_up": bottom_up,
        "etc": estimate_to_complete(eac, ac),
        "vac": variance_at_completion(bac, eac),
        "tcpi": safe_divide(remaining, bac - ac),
        "tcpi_eac": None if bottom_up is None else safe_divide(remaining, bottom_up - ac),
        "sv_t": schedule_variance_t(es, at),
        "spi_t": spit,
        "ieac_t": ieac_t(pd, spit),
        "ieac_t_pf": ieac_t_pf(at, pd, es, pf_col),
        "tspi": tspi(pd, es, at, pd),
        "tspi_ed": None if ed is None else tspi(pd, es, at, ed[rows, None]),
    }


def iter_compute_evm(
    series: EvmSeries, rows_per_chunk: int = 20_000, **kwargs: Any
) -> Iterator[tuple[slice, EvmMeasures]]:
    """:func:`compute_evm` on consecutive blocks of entities, to bound memory: each block's
    measures can be stored (or reduced) and dropped before the next one is computed.
    ``kwargs`` are those of :func:`compute_evm`; per-entity ones are sliced with the rows."""
    if rows_per_chunk <= 0:
        raise ValidationFailed.field("rows_per_chunk", "must be > 0")
    n = series.n_entities
    for start in range(0, n, rows_per_chunk):
        rows = slice(start, min(start + rows_per_chunk, n))
        kw = {
            k: (v[rows] if isinstance(v, np.ndarray) and v.ndim >= 1 else v)
            for k, v in kwargs.items()
        }
        yield rows, compute_evm(series.rows(rows), **kw)


# --------------------------------------------------------------------------------------------
# Earned value techniques: how much of a task's budget it has earned
# --------------------------------------------------------------------------------------------


class EvMethod(StrEnum):
    """Earned value techniques (PMI Practice Standard for EVM, 2nd ed.; Fleming & Koppelman,
    *Earned Value Project Management*)."""

    PHYSICAL_PERCENT_COMPLETE = "percent_complete"  # EV = BAC x physical % complete
    ZERO_HUNDRED = "0/100"  # nothing until finished, then everything
    FIFTY_FIFTY = "50/50"  # half at start, half at finish (fixed formula)
    WEIGHTED_MILESTONES = "weighted_milestones"  # weights of the milestones achieved


@dataclass(frozen=True)
class TaskProgress:
    """Progress data of one task: what each EV method reads.

    ``percent_complete`` is the physical percent complete (0..100); ``milestones_done`` says,
    for each milestone of the task in baseline order, whether it has been achieved.
    """

    started: bool = False
    finished: bool = False
    percent_complete: float | None = None
    milestones_done: tuple[bool, ...] = ()


def milestone_fraction(weights: Sequence[float], done: Sequence[bool]) -> float:
    """Sum of the weights of the milestones achieved over the sum of all weights."""
    w = np.asarray(weights, dtype=np.float64)
    d = np.asarray(done, dtype=bool)
    if w.ndim != 1 or w.size == 0:
        raise ValidationFailed.field("milestone_weights", "a weighted-milestone task needs weights")
    if d.shape != w.shape:
        raise ValidationFailed.field(
            "milestones_done", f"{d.size} milestone flags for {w.size} weights"
        )
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValidationFailed.field("milestone_weights", "weights must be >= 0, not all zero")
    return float(w[d].sum() / w.sum())


def earned_fraction(
    method: EvMethod | str,
    progress: TaskProgress,
    milestone_weights: Sequence[float] = (),
) -> float:
    """The fraction (0..1) of a task's BAC it has earned; EV = BAC x fraction.

    * physical percent complete: percent / 100;
    * 0/100: 0 until finished, then 1;
    * 50/50: 0 before the start, 0.5 once started, 1 when finished;
    * weighted milestones: the weights of the milestones achieved / the sum of all weights.

    A finished task has earned its whole budget whatever the method (a finished task with a
    percent complete below 100, or milestones not ticked, earns 1).
    """
    try:
        m = EvMethod(method)
    except ValueError as exc:
        raise ValidationFailed.field("method", f"unknown earned value method {method!r}") from exc
    if progress.finished:
        return 1.0
    if m is EvMethod.ZERO_HUNDRED:
        return 0.0
    if m is EvMethod.FIFTY_FIFTY:
        return 0.5 if progress.started else 0.0
    if m is EvMethod.WEIGHTED_MILESTONES:
        return milestone_fraction(milestone_weights, progress.milestones_done)
    pct = progress.percent_complete
    if pct is None:
        raise ValidationFailed.field("percent_complete", "physical percent complete is missing")
    if not 0.0 <= pct <= 100.0:
        raise ValidationFailed.field("percent_complete", f"{pct} is not between 0 and 100")
    return pct / 100.0


def earned_fractions(
    methods: npt.ArrayLike,
    *,
    started: npt.ArrayLike,
    finished: npt.ArrayLike,
    percent_complete: npt.ArrayLike,
    milestone_share: npt.ArrayLike,
) -> F64:
    """Vectorised :func:`earned_fraction` for many tasks.

    ``methods`` holds :class:`EvMethod` values (strings); ``percent_complete`` is 0..100 (used
    by percent-complete tasks, NaN elsewhere); ``milestone_share`` is each weighted-milestone
    task's achieved weight share (see :func:`weighted_milestone_fractions`).
    """
    meth = np.asarray(methods).astype(str)
    valid = {m.value for m in EvMethod}
    unknown = ~np.isin(meth, list(valid))
    if unknown.any():
        raise _validation_error("methods", unknown, "unknown earned value method")
    pct = np.asarray(percent_complete, dtype=np.float64)
    is_pct = meth == EvMethod.PHYSICAL_PERCENT_COMPLETE.value
    fin = np.asarray(finished, dtype=bool)
    bad = is_pct & ~fin & ~((pct >= 0) & (pct <= 100))
    if bad.any():
        raise _validation_error("percent_complete", bad, "must be between 0 and 100")
    started_f = np.asarray(started, dtype=bool).astype(np.float64)
    frac = np.select(
        [
            meth == EvMethod.ZERO_HUNDRED.value,
            meth == EvMethod.FIFTY_FIFTY.value,
            meth == EvMethod.WEIGHTED_MILESTONES.value,
        ],
        [
            np.zeros(meth.shape),
            0.5 * started_f,
            np.broadcast_to(np.asarray(milestone_share, dtype=np.float64), meth.shape),
        ],
        default=np.where(is_pct, pct, 0.0) / 100.0,
    )
    return np.where(fin, 1.0, frac)


def weighted_milestone_fractions(
    task: npt.ArrayLike, weight: npt.ArrayLike, done: npt.ArrayLike, n_tasks: int
) -> F64:
    """Achieved weight share per task from flat milestone arrays (``task[k]`` owns milestone k).

    NaN for tasks with no milestone weight at all.
    """
    tk = np.asarray(task, dtype=np.intp)
    w = np.asarray(weight, dtype=np.float64)
    d = np.asarray(done, dtype=bool)
    if (w < 0).any() or not np.isfinite(w).all():
        raise _validation_error("weight", (w < 0) | ~np.isfinite(w), "weights must be >= 0")
    total = np.bincount(tk, weights=w, minlength=n_tasks)
    achieved = np.bincount(tk, weights=np.where(d, w, 0.0), minlength=n_tasks)
    return safe_divide(achieved, total)
