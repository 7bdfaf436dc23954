"""Normalising identities so the same person from two sources is recognised as one.

Emails: trimmed and lower-cased (the domain is case-insensitive, and in practice providers treat
local parts case-insensitively too).  Phones: E.164 via ``phonenumbers``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class IdentityError(ValueError):
    """A value that cannot be the identity it claims to be."""


def normalize_email(raw: str) -> str:
    value = raw.strip().strip("<>").strip().lower()
    if not _EMAIL.match(value):
        raise IdentityError(f"{raw!r} is not an email address")
    return value


@lru_cache(maxsize=65536)
def normalize_phone(raw: str, default_region: str | None = "US") -> str:
    """Phone number to E.164.  Numbers without a country code are read in ``default_region``."""
    text = raw.strip()
    if text.startswith("'"):  # spreadsheets prefix numbers with a quote to keep them text
        text = text[1:]
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        raise IdentityError(f"{raw!r} is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise IdentityError(f"{raw!r} is not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_external_id(source: str, value: str) -> str:
    """External ids are namespaced by source: ``shopify:123``."""
    src = source.strip().lower()
    val = value.strip()
    if not src or not val or ":" in src:
        raise IdentityError(f"{source!r}/{value!r} is not an external id")
    return f"{src}:{val}"


def normalize_identity(kind: str, raw: str, *, source: str = "") -> str:
    if kind == "email":
        return normalize_email(raw)
    if kind == "phone":
        return normalize_phone(raw)
    if kind == "external":
        if ":" in raw and not source:
            src, _, val = raw.partition(":")
            return normalize_external_id(src, val)
        return normalize_external_id(source, raw)
    raise IdentityError(f"unknown identity kind {kind!r}")
