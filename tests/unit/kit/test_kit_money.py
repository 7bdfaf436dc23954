from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodwill.kit.money import (
    MoneyError,
    format_money,
    from_minor,
    minor_unit,
    normalize_currency,
    parse_amount,
    to_minor,
)


@given(st.integers(-(10**12), 10**12), st.sampled_from(["USD", "EUR", "JPY", "KWD"]))
def test_minor_units_round_trip(minor: int, currency: str) -> None:
    assert to_minor(from_minor(minor, currency), currency) == minor


def test_amounts_parse_as_decimal_never_float() -> None:
    assert parse_amount("1,234.50") == Decimal("1234.50")
    assert parse_amount(" $12 ") == Decimal("12")
    assert to_minor(Decimal("0.105"), "USD") == 10  # half-even
    assert to_minor(Decimal("1234"), "JPY") == 1234
    assert format_money(123456, "USD") == "1,234.56 USD"


@pytest.mark.parametrize("bad", ["", "abc", "1.2.3", "NaN", "Infinity"])
def test_bad_amounts_are_rejected(bad: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(bad)


def test_currencies_must_be_iso_4217() -> None:
    assert normalize_currency(" eur ") == "EUR"
    with pytest.raises(MoneyError, match="ISO 4217"):
        normalize_currency("EURO")


@pytest.mark.parametrize(("currency", "unit"), [("EUR", 100), ("JPY", 1), ("KWD", 1000)])
def test_minor_unit_matches_the_currency_exponent(currency: str, unit: int) -> None:
    assert minor_unit(currency) == unit
    assert from_minor(unit, currency) == 1
