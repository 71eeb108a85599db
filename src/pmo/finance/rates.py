"""Rates on a date: what a resource costs per hour, and what one currency is worth in another.

Both are dated tables read once per computation (one query each) and looked up in memory:

- :class:`ResourceRates`: a resource's hourly rate on a date is its latest ``CostRate`` with
  ``effective_from`` on or before that date, else its ``Resource.standard_rate`` (MS Project's
  cost rate table A with the resource's standard rate as the default before the first dated
  entry). ``cost_per_use`` comes from the same ``CostRate`` row (0 without one).
- :class:`ExchangeRates`: 1 ``currency`` = ``rate`` ``to_currency`` from ``effective_date`` on.
  A conversion on a date uses the latest rate of the pair on or before it, direct or inverse
  (the later of the two; on the same date the direct one). No rate is a
  :class:`MissingExchangeRate` naming the pair and the date.

Money stays ``Decimal``: a converted amount is rounded half-even to the target currency's
ISO 4217 minor unit (``convert``) or kept exact for further sums (``convert(..., exact=True)``).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

from pmo.engine.money import minor_units
from pmo.errors import FieldError, ValidationFailed
from pmo.finance.models import ExchangeRate
from pmo.resources.models import CostRate, Resource

ZERO = Decimal(0)
ONE = Decimal(1)


class MissingExchangeRate(ValidationFailed):
    """No exchange rate of a currency pair on or before a date (422, naming both)."""

    code = "missing_exchange_rate"

    def __init__(self, currency: str, to_currency: str, on: dt.date) -> None:
        self.currency = currency
        self.to_currency = to_currency
        self.on = on
        message = (
            f"no exchange rate from {currency} to {to_currency} on or before {on.isoformat()}: "
            f"add one (1 {currency} = ? {to_currency}) under exchange rates"
        )
        super().__init__([FieldError(("currency",), message)], message=message)

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "currency": self.currency,
            "to_currency": self.to_currency,
            "date": self.on.isoformat(),
        }


def quantize(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-even to the currency's minor unit (2 decimals for EUR)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), ROUND_HALF_EVEN)


class ExchangeRates:
    """The dated exchange rates of one organisation, loaded once."""

    def __init__(self, organisation_id: int) -> None:
        self.organisation_id = organisation_id
        table: dict[tuple[str, str], list[tuple[dt.date, Decimal]]] = defaultdict(list)
        rows = ExchangeRate.objects.filter(organisation_id=organisation_id).order_by(
            "effective_date"
        )
        for cur, to, day, rate in rows.values_list(
            "currency", "to_currency", "effective_date", "rate"
        ):
            table[(cur, to)].append((day, Decimal(rate)))
        self._dates = {pair: [d for d, _ in rows_] for pair, rows_ in table.items()}
        self._rates = {pair: [r for _, r in rows_] for pair, rows_ in table.items()}

    def _latest(self, pair: tuple[str, str], on: dt.date) -> tuple[dt.date, Decimal] | None:
        dates = self._dates.get(pair)
        if not dates:
            return None
        i = bisect.bisect_right(dates, on) - 1
        return (dates[i], self._rates[pair][i]) if i >= 0 else None

    def rate(self, currency: str, to_currency: str, on: dt.date) -> Decimal:
        """How many ``to_currency`` one ``currency`` is worth on ``on``."""
        if currency == to_currency:
            return ONE
        direct = self._latest((currency, to_currency), on)
        inverse = self._latest((to_currency, currency), on)
        if direct is not None and (inverse is None or direct[0] >= inverse[0]):
            return direct[1]
        if inverse is not None:
            return ONE / inverse[1]
        raise MissingExchangeRate(currency, to_currency, on)

    def changes(
        self, currency: str, to_currency: str, after: dt.date, before: dt.date
    ) -> list[dt.date]:
        """Dates strictly after ``after`` and up to ``before`` on which the pair's rate may
        change (a new direct or inverse rate)."""
        if currency == to_currency:
            return []
        days = self._dates.get((currency, to_currency), []) + self._dates.get(
            (to_currency, currency), []
        )
        return sorted({d for d in days if after < d <= before})

    def convert(
        self,
        amount: Decimal,
        currency: str,
        to_currency: str,
        on: dt.date,
        *,
        exact: bool = False,
    ) -> Decimal:
        """``amount`` of ``currency`` in ``to_currency`` at the rate of ``on``."""
        if currency == to_currency:
            return amount
        value = amount * self.rate(currency, to_currency, on)
        return value if exact else quantize(value, to_currency)


class ResourceRates:
    """Hourly rates of some resources by date (their ``CostRate`` rows, else the standard rate)."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.standard: dict[int, Decimal] = {}
        self.currency: dict[int, str] = {}
        for r in resources:
            self.standard[r.pk] = Decimal(r.standard_rate)
            self.currency[r.pk] = r.currency
        self._dates: dict[int, list[dt.date]] = defaultdict(list)
        self._rows: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
        rows = CostRate.objects.filter(resource_id__in=list(self.standard)).order_by(
            "resource_id", "effective_from"
        )
        for rid, day, rate, per_use in rows.values_list(
            "resource_id", "effective_from", "standard_rate", "cost_per_use"
        ):
            self._dates[rid].append(day)
            self._rows[rid].append((Decimal(rate), Decimal(per_use)))

    def _row(self, resource_id: int, on: dt.date) -> tuple[Decimal, Decimal] | None:
        i = bisect.bisect_right(self._dates.get(resource_id, []), on) - 1
        return self._rows[resource_id][i] if i >= 0 else None

    def hourly(self, resource_id: int, on: dt.date) -> Decimal:
        """The resource's hourly rate on ``on`` (in the resource's currency)."""
        row = self._row(resource_id, on)
        return row[0] if row is not None else self.standard.get(resource_id, ZERO)

    def per_use(self, resource_id: int, on: dt.date) -> Decimal:
        row = self._row(resource_id, on)
        return row[1] if row is not None else ZERO

    def changes(self, resource_id: int, after: dt.date, before: dt.date) -> list[dt.date]:
        """Dates strictly between ``after`` and ``before`` on which the rate changes."""
        return [d for d in self._dates.get(resource_id, []) if after < d <= before]


def rates_for(resource: Resource) -> ResourceRates:
    return ResourceRates([resource])
