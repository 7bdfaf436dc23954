"""Signed unsubscribe tokens: round trip, tamper detection, key rotation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodwill.messaging.errors import InvalidUnsubscribeToken
from goodwill.messaging.links import (
    UnsubscribeClaim,
    make_unsubscribe_token,
    unsubscribe_link,
    verify_unsubscribe_token,
)

KEY = "test-signing-key-0123"
CLAIM = UnsubscribeClaim(workspace_id="ws1", person_id="p-42", purpose="marketing", channel="email")


def test_round_trip_and_determinism() -> None:
    token = make_unsubscribe_token(KEY, CLAIM)
    assert token == make_unsubscribe_token(KEY, CLAIM)
    assert verify_unsubscribe_token(KEY, token) == CLAIM
    assert all(c.isalnum() or c in "-_." for c in token)


def test_link_uses_public_url() -> None:
    link = unsubscribe_link("https://goodwill.example/", KEY, CLAIM)
    assert link.startswith("https://goodwill.example/u/")
    assert verify_unsubscribe_token(KEY, link.rsplit("/", 1)[1]) == CLAIM


def test_wrong_key_is_rejected_and_rotation_accepts_old_key() -> None:
    token = make_unsubscribe_token(KEY, CLAIM)
    with pytest.raises(InvalidUnsubscribeToken):
        verify_unsubscribe_token("another-key-456789", token)
    assert verify_unsubscribe_token(["another-key-456789", KEY], token) == CLAIM


@pytest.mark.parametrize("bad", ["", "abc", "abc.", ".abc", "a.b.c", "!!!.???"])
def test_malformed_tokens_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidUnsubscribeToken):
        verify_unsubscribe_token(KEY, bad)


def test_claims_differing_in_any_field_get_different_tokens() -> None:
    base = make_unsubscribe_token(KEY, CLAIM)
    variants = [
        UnsubscribeClaim("ws2", "p-42", "marketing", "email"),
        UnsubscribeClaim("ws1", "p-43", "marketing", "email"),
        UnsubscribeClaim("ws1", "p-42", "reviews", "email"),
        UnsubscribeClaim("ws1", "p-42", "marketing", "sms"),
    ]
    assert len({base, *(make_unsubscribe_token(KEY, v) for v in variants)}) == 5


@given(
    st.text(min_size=1, max_size=30),
    st.text(min_size=1, max_size=30),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=1, max_value=255),
)
def test_any_single_byte_change_is_rejected(ws: str, person: str, pos: int, flip: int) -> None:
    claim = UnsubscribeClaim(ws, person, "marketing", "email")
    token = make_unsubscribe_token(KEY, claim)
    assert verify_unsubscribe_token(KEY, token) == claim
    index = pos % len(token)
    tampered = token[:index] + chr((ord(token[index]) + flip) % 128) + token[index + 1 :]
    if tampered.strip() == token:
        return
    try:
        result = verify_unsubscribe_token(KEY, tampered)
    except InvalidUnsubscribeToken:
        return
    # base64 padding bits can absorb a change in the last character; the claim must not move
    assert result == claim


def _reference_token(key: str, claim: UnsubscribeClaim) -> str:
    """The token as first written: compact JSON, one HMAC over domain and payload."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    fields = ["v1", claim.workspace_id, claim.person_id, claim.purpose, claim.channel]
    payload = b64(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    mac = hmac.new(
        key.encode("utf-8"), b"goodwill.unsubscribe.v1|" + payload.encode("ascii"), hashlib.sha256
    )
    return f"{payload}.{b64(mac.digest())}"


@given(
    st.text(min_size=1, max_size=30),
    st.text(max_size=12),
    st.one_of(st.text(max_size=12), st.from_regex(r"[0-9]{1,9}", fullmatch=True)),
    st.sampled_from(["marketing", "reviews", "transactional", 'a"b', "x\\y", "é", "\n"]),
)
def test_tokens_are_byte_for_byte_the_reference(
    key: str, workspace: str, person: str, purpose: str
) -> None:
    claim = UnsubscribeClaim(workspace, person, purpose, "email")
    assert make_unsubscribe_token(key, claim) == _reference_token(key, claim)
    assert verify_unsubscribe_token(key, make_unsubscribe_token(key, claim)) == claim


@given(st.text(min_size=1, max_size=80))
def test_any_text_is_refused_with_the_links_own_error_never_a_crash(text: str) -> None:
    """Tokens come from URLs people paste; anything that is not a token is an invalid link."""
    from datetime import UTC, datetime

    from goodwill.deliveries.links import InvalidFeedbackLink, verify_feedback_token

    for candidate in (text, f"{text}.{text}", f"é{text}.x"):
        with pytest.raises(InvalidUnsubscribeToken):
            verify_unsubscribe_token(KEY, candidate)
        with pytest.raises(InvalidFeedbackLink):
            verify_feedback_token(KEY, candidate, now=datetime.now(UTC))
