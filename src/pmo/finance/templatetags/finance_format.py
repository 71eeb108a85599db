"""Number formats of the finance pages: money with thousands separators, indices, periods."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def money(value: Any, places: int = 2) -> str:
    """``12345.6`` → ``12,345.60``; ``None`` → an em dash."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return f"{number:,.{int(places)}f}"


@register.filter
def index(value: Any) -> str:
    """An index (CPI, SPI...) with 2 decimals, or an em dash where undefined."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.2f}"


@register.filter
def periods(value: Any) -> str:
    """A time in periods with 2 decimals (ES, AT, SV(t)...)."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.2f}"


@register.filter
def signed(value: Any) -> str:
    """A variance with its sign: ``+1,200.00`` / ``-320.00``."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    return f"{number:+,.2f}"
