"""Parsing single cells: the reasons here are what people read in the rejects file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from goodwill.ingest import values
from goodwill.ingest.values import FieldError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-03 10:15:00 -0400", datetime(2026, 9, 3, 14, 15, tzinfo=UTC)),
        ("2026-09-03T10:15:00Z", datetime(2026, 9, 3, 10, 15, tzinfo=UTC)),
        ("2026-09-03T10:15:00+02:00", datetime(2026, 9, 3, 8, 15, tzinfo=UTC)),
        ("2026-09-03 10:15:00", datetime(2026, 9, 3, 10, 15, tzinfo=UTC)),
        ("2026-09-03", datetime(2026, 9, 3, tzinfo=UTC)),
        (" 2026-09-03 ", datetime(2026, 9, 3, tzinfo=UTC)),
    ],
)
def test_timestamps_in_the_shapes_exports_use_become_utc(text: str, expected: datetime) -> None:
    parsed = values.parse_timestamp(text)
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["31/02/2026", "2026-02-31", "yesterday", "2026-13-01 10:00"])
def test_a_date_that_does_not_exist_is_refused_with_the_value(text: str) -> None:
    with pytest.raises(FieldError) as err:
        values.parse_timestamp(text)
    assert err.value.reason.startswith(f'"{text}" is not a date')


def test_compact_dates_are_cdnow_days() -> None:
    assert values.parse_compact_date("19970101") == datetime(1997, 1, 1, tzinfo=UTC)
    with pytest.raises(FieldError, match="is not a date"):
        values.parse_compact_date("19970231")


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.50", "USD", 1250),
        ("12.5", "USD", 1250),
        ("12", "USD", 1200),
        ("0.00", "USD", 0),
        ("1,234.56", "USD", 123456),
        ("$3.10", "USD", 310),
        ("1200", "JPY", 1200),
        ("1200.00", "JPY", 1200),
        ("1.234", "KWD", 1234),
        ("0.125", "USD", 12),  # more decimals than the currency has: half-even
        ("0.135", "USD", 14),
    ],
)
def test_amounts_become_integer_minor_units(text: str, currency: str, expected: int) -> None:
    from goodwill.kit.money import minor_digits

    assert values.parse_minor(text, currency, minor_digits(currency)) == expected


@pytest.mark.parametrize("text", ["abc", "12.50 EUR", "1.2.3", "NaN", "Infinity"])
def test_an_amount_that_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(FieldError, match="is not an amount"):
        values.parse_minor(text, "USD", 2)


def test_negative_amounts_are_refused_unless_allowed() -> None:
    with pytest.raises(FieldError, match="is negative"):
        values.parse_minor("-3.10", "USD", 2)
    assert values.parse_minor("-3.10", "USD", 2, negative=True) == -310


def test_currencies_must_be_iso_4217() -> None:
    assert values.parse_currency(" eur ") == "EUR"
    with pytest.raises(FieldError, match="not an ISO 4217 currency"):
        values.parse_currency("EUX")


@pytest.mark.parametrize(("text", "expected"), [("3", 3), ("0", 0), ("2.0", 2), (" 4 ", 4)])
def test_quantities_are_whole_numbers(text: str, expected: int) -> None:
    assert values.parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("-1", 'negative quantity "-1"'), ("1.5", "not a whole quantity"), ("two", "not a quantity")],
)
def test_bad_quantities_say_why(text: str, reason: str) -> None:
    with pytest.raises(FieldError, match=reason):
        values.parse_quantity(text)


def test_yes_no() -> None:
    assert values.parse_yes_no("yes") is True
    assert values.parse_yes_no("No") is False
    assert values.parse_yes_no("TRUE") is True
    assert values.parse_yes_no("") is None
    with pytest.raises(FieldError, match='"maybe" is not yes or no'):
        values.parse_yes_no("maybe")


def test_identities_are_normalised() -> None:
    assert values.parse_email(" Ana.Silva@Example.COM ") == "ana.silva@example.com"
    assert values.parse_phone("(416) 555-0199", "CA") == "+14165550199"
    assert values.parse_phone("07700 900123", "GB") == "+447700900123"
    assert values.phone_or_none("n/a", "US") is None
    with pytest.raises(FieldError, match="is not an email address"):
        values.parse_email("ana@")
    with pytest.raises(FieldError, match="is not a phone number"):
        values.parse_phone("12", "US")


def test_products_are_keyed_by_sku_or_by_their_normalised_name() -> None:
    assert values.product_key("SKU-1", "Mug") == "SKU-1"
    assert values.product_key("", "Hand-made  Candle ") == "name:hand-made candle"
    assert values.product_key("", "HAND-MADE candle") == "name:hand-made candle"
    assert len(values.product_key("", "x" * 900)) == values.MAX_KEY


def test_full_names_split_at_the_first_space() -> None:
    assert values.split_name("Ana Maria Silva") == ("Ana", "Maria Silva")
    assert values.split_name("Madonna") == ("Madonna", None)
    assert values.split_name("  ") == (None, None)
