"""Parsing one cell: timestamps, amounts, quantities, yes/no, identities, product keys.

Pure functions on hot paths.  Each raises :class:`FieldError` with the reason a person would want
to read in the rejects file; the caller adds the line, the column and the value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from goodwill.kit.identity import IdentityError, normalize_email, normalize_phone
from goodwill.kit.money import MoneyError, normalize_currency, parse_amount, to_minor

_POW10 = (1, 10, 100, 1000, 10000)
#: Longest product key (products.sku is 200 characters).
MAX_KEY = 200


class FieldError(ValueError):
    """One cell that cannot be what its column says it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_timestamp(text: str) -> datetime:
    """``2026-09-03 10:15:00 -0400``, ISO 8601 (``T``, ``Z``, ``+02:00``) or a bare date.

    Returns an aware UTC datetime; a value without an offset is taken as UTC.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FieldError(
            f'"{text}" is not a date (expected YYYY-MM-DD, optionally with a time and UTC offset)'
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@lru_cache(maxsize=4096)
def parse_compact_date(text: str) -> datetime:
    """``YYYYMMDD`` (CDNOW) as midnight UTC of that day."""
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise FieldError(f'"{text}" is not a date (expected YYYYMMDD)')
    try:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise FieldError(f'"{text}" is not a date (expected YYYYMMDD)') from None
    return datetime.combine(day, time(), tzinfo=UTC)


def parse_currency(text: str) -> str:
    try:
        return normalize_currency(text)
    except MoneyError as exc:
        raise FieldError(str(exc)) from None


@lru_cache(maxsize=65536)
def parse_minor(text: str, currency: str, digits: int, *, negative: bool = False) -> int:
    """An amount written like ``12.50`` (``1,234.50``, ``$3`` also work) in minor units.

    ``digits`` is the currency's minor-unit exponent (2 for USD, 0 for JPY).  More decimals than
    the currency has are rounded half-even.  Negative amounts are refused unless ``negative``.
    Cached: exports repeat the same prices and "0.00" over and over.
    """
    head, dot, tail = text.partition(".")
    if (
        head.isascii()
        and head.isdigit()
        and (not dot or (tail.isascii() and tail.isdigit() and len(tail) <= digits))
    ):
        scale = _POW10[digits]
        if not tail:
            return int(head) * scale
        return int(head) * scale + int(tail) * _POW10[digits - len(tail)]
    try:
        amount = parse_amount(text)
    except MoneyError:
        raise FieldError(f'"{text}" is not an amount') from None
    if amount < 0 and not negative:
        raise FieldError(f'"{text}" is negative')
    return to_minor(amount, currency)


def parse_quantity(text: str) -> int:
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise FieldError(f'"{text}" is not a quantity') from None
    if not value.is_finite() or value != value.to_integral_value():
        raise FieldError(f'"{text}" is not a whole quantity')
    if value < 0:
        raise FieldError(f'negative quantity "{text}"')
    return int(value)


_YES = frozenset({"yes", "y", "true", "1", "subscribed", "opted_in", "granted"})
_NO = frozenset({"no", "n", "false", "0", "unsubscribed", "not_subscribed", "withdrawn"})


def parse_yes_no(text: str) -> bool | None:
    """yes/no (and true/false, 1/0, subscribed/unsubscribed); blank is "not stated"."""
    value = text.strip().lower()
    if not value:
        return None
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise FieldError(f'"{text}" is not yes or no')


def parse_email(text: str) -> str:
    try:
        return normalize_email(text)
    except IdentityError as exc:
        raise FieldError(str(exc)) from None


def parse_phone(text: str, region: str | None) -> str:
    try:
        return normalize_phone(text, region or "US")
    except IdentityError as exc:
        raise FieldError(str(exc)) from None


def phone_or_none(text: str, region: str | None) -> str | None:
    """A phone from a free-text address field: used when valid, ignored when not."""
    try:
        return normalize_phone(text, region or "US")
    except IdentityError:
        return None


def product_key(sku: str, name: str) -> str:
    """Products are keyed by SKU; a blank SKU falls back to ``name:<normalised name>``.

    The name is case-folded and its whitespace collapsed, so "Blue  Mug" and "blue mug" are one
    product.
    """
    if sku:
        return sku[:MAX_KEY]
    return ("name:" + " ".join(name.casefold().split()))[:MAX_KEY]


def split_name(full: str) -> tuple[str | None, str | None]:
    """ "Ana Maria Silva" -> ("Ana", "Maria Silva"); a single word is a first name."""
    parts = full.split(None, 1)
    if not parts:
        return None, None
    return parts[0], (parts[1] if len(parts) > 1 else None)
