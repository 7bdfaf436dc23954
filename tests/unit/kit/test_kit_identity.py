from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodwill.kit.identity import (
    IdentityError,
    normalize_email,
    normalize_external_id,
    normalize_identity,
    normalize_phone,
)

local = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-",
    min_size=1,
    max_size=20,
)
domain = st.from_regex(r"[a-zA-Z0-9]{1,12}\.(com|org|PT|co\.uk)", fullmatch=True)
spaces = st.text(alphabet=" \t", max_size=3)


@given(local, domain, spaces, spaces)
def test_email_normalisation_ignores_case_and_surrounding_space(
    user: str, host: str, pre: str, post: str
) -> None:
    raw = f"{pre}{user}@{host}{post}"
    once = normalize_email(raw)
    assert once == normalize_email(once) == normalize_email(raw.upper())
    assert once == once.strip().lower()


@pytest.mark.parametrize(
    "bad", ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com", "ana@@example.com"]
)
def test_invalid_emails_are_rejected(bad: str) -> None:
    with pytest.raises(IdentityError, match="not an email"):
        normalize_email(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+351 912 345 678", "+351912345678"),
        ("00351912345678", "+351912345678"),
        ("'+351912345678", "+351912345678"),
        ("(415) 555-2671", "+14155552671"),
        ("415.555.2671", "+14155552671"),
        ("+1 415 555 2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phones_become_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@given(
    st.sampled_from(["+351912345678", "+14155552671", "+442079460958", "+4915112345678"]),
    st.sampled_from(["", " ", "-", "."]),
)
def test_phone_normalisation_is_idempotent_and_ignores_separators(e164: str, sep: str) -> None:
    spaced = e164[:4] + sep + e164[4:7] + sep + e164[7:]
    assert normalize_phone(spaced) == e164 == normalize_phone(normalize_phone(spaced))


@pytest.mark.parametrize("bad", ["", "12", "not a phone", "+999"])
def test_invalid_phones_are_rejected(bad: str) -> None:
    with pytest.raises(IdentityError, match="not a phone"):
        normalize_phone(bad)


def test_external_ids_are_namespaced_by_source() -> None:
    assert normalize_external_id(" Shopify ", " 123 ") == "shopify:123"
    assert normalize_identity("external", "Shopify:123") == "shopify:123"
    with pytest.raises(IdentityError):
        normalize_external_id("", "1")
    with pytest.raises(IdentityError):
        normalize_identity("fax", "1")
