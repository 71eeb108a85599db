"""Decimal <-> float64 helpers at the edges of the EVM engine."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from pmo.engine.money import minor_units, to_decimal, to_decimals, to_float_array
from pmo.errors import ValidationFailed


def test_minor_units_iso_4217() -> None:
    assert minor_units("EUR") == 2
    assert minor_units("jpy") == 0
    assert minor_units("KWD") == 3
    assert minor_units("CLF") == 4
    with pytest.raises(ValidationFailed):
        minor_units("EURO")


def test_round_trip_is_exact_to_the_cent() -> None:
    amounts = [Decimal("0.10"), Decimal("12345678901.23"), Decimal("-0.01"), None, 7, "2.5"]
    arr = to_float_array(amounts)
    assert np.isnan(arr[3])
    back = to_decimals(arr, "EUR")
    assert back == [
        Decimal("0.10"),
        Decimal("12345678901.23"),
        Decimal("-0.01"),
        None,
        Decimal("7.00"),
        Decimal("2.50"),
    ]
    # float noise from arithmetic is rounded away, half-even
    assert to_decimal(0.1 + 0.2, "EUR") == Decimal("0.30")
    assert to_decimal(2.5, "JPY") == Decimal("2")
    assert to_decimal(1.0049, places=3) == Decimal("1.005")
    assert to_decimal(float("nan")) is None


def test_bad_amounts() -> None:
    with pytest.raises(ValidationFailed):
        to_float_array(["abc"])
    with pytest.raises(ValidationFailed):
        to_float_array([Decimal("Infinity")])
