"""Exact money at the edges of the float64 EVM engine.

Money of record (budgets, actual costs, rates) is ``Decimal`` in the service layer and the
database. The EVM engine (:mod:`pmo.engine.evm`) computes on float64 arrays instead, because a
portfolio is millions of (entity x period) cells that only vectorised numpy code measures in
well under a second, and because its outputs are analytical measures, not ledger entries: a
float64 keeps ~15.9 significant digits, so an amount below 10^13 in minor units (10^11 EUR)
converts exactly to the cent and back, and the relative error of a sum of n such amounts is at
most about n x 1.1e-16 (far below a cent for any real plan). Amounts go in through
:func:`to_float_array` and come out through :func:`to_decimal`, rounded half-even to the
currency's minor unit (ISO 4217), so nothing stored carries float noise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import numpy as np
import numpy.typing as npt

from pmo.errors import ValidationFailed

#: ISO 4217 minor units of the currencies that do not have 2 decimals.
_MINOR_UNITS = {
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
            "VND", "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip


def minor_units(currency: str) -> int:
    """Decimal places of a currency's minor unit (ISO 4217): 2 unless listed otherwise."""
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed.field("currency", f"{currency!r} is not an ISO 4217 code")
    return _MINOR_UNITS.get(code, 2)


def to_float_array(amounts: Iterable[Decimal | int | str | None]) -> npt.NDArray[np.float64]:
    """Amounts as a float64 array for the engine; ``None`` (not measured) becomes NaN."""
    out: list[float] = []
    for i, a in enumerate(amounts):
        if a is None:
            out.append(math.nan)
            continue
        try:
            d = Decimal(a)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise ValidationFailed.field(("amounts", i), f"not an amount: {a!r}") from exc
        if not d.is_finite():
            raise ValidationFailed.field(("amounts", i), f"not a finite amount: {a!r}")
        out.append(float(d))
    return np.array(out, dtype=np.float64)


def to_decimal(value: float, currency: str | None = None, *, places: int = 2) -> Decimal | None:
    """An engine amount as ``Decimal`` rounded half-even to the currency's minor unit (or to
    ``places`` decimals without a currency); ``None`` where the engine says undefined (NaN)."""
    if not math.isfinite(value):
        return None
    exp = minor_units(currency) if currency is not None else places
    # repr() gives the shortest decimal that round-trips, so 0.1 stays 0.1 before rounding.
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-exp), ROUND_HALF_EVEN)


def to_decimals(
    values: npt.ArrayLike, currency: str | None = None, *, places: int = 2
) -> list[Decimal | None]:
    """:func:`to_decimal` for every value of a 1-D array."""
    return [to_decimal(float(v), currency, places=places) for v in np.asarray(values).ravel()]
