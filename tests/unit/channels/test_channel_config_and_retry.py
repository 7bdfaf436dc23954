"""SMTP URL parsing, the retry policy, and the registry built from settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodwill.channels import (
    ChannelConfigError,
    DeliveryStatus,
    NotConfiguredChannel,
    OutboundMessage,
    RetryPolicy,
    build_registry,
    next_attempt,
)
from goodwill.channels.email import SmtpEmailChannel
from goodwill.channels.smtp_url import SmtpConfig, parse_smtp_url
from goodwill.config import Settings
from goodwill.messaging.vocabulary import ChannelKind, Purpose


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://localhost", SmtpConfig("localhost", 25, "none")),
        ("smtp://mail.example:2525", SmtpConfig("mail.example", 2525, "none")),
        ("smtp://u:p@mail.example:587", SmtpConfig("mail.example", 587, "starttls", "u", "p")),
        (
            "smtp://user:pass@host:587?starttls=true",
            SmtpConfig("host", 587, "starttls", "user", "pass"),
        ),
        ("smtp://host?starttls=true", SmtpConfig("host", 587, "starttls")),
        ("smtp://host:587?starttls=false", SmtpConfig("host", 587, "none")),
        ("smtps://u:p@host", SmtpConfig("host", 465, "tls", "u", "p")),
        ("SMTPS://host:4650?timeout=2.5", SmtpConfig("host", 4650, "tls", timeout=2.5)),
        (
            "smtp://me%40shop.example:p%40ss%3Aw%2Frd@host:587",
            SmtpConfig("host", 587, "starttls", "me@shop.example", "p@ss:w/rd"),
        ),
        ("smtp://u:@host", SmtpConfig("host", 25, "none", "u", "")),
    ],
)
def test_smtp_urls(url: str, expected: SmtpConfig) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://host", "scheme 'http'"),
        ("host:25", "scheme"),
        ("smtp://", "no host"),
        ("smtp://host:99999", "port"),
        ("smtp://host:abc", "port"),
        ("smtp://host?starttls=maybe", "starttls must be true or false"),
        ("smtp://host?tls=1", "unknown option(s) tls"),
        ("smtps://host?starttls=true", "already TLS"),
        ("smtp://host?timeout=soon", "timeout"),
        ("smtp://user@host", "without a password"),
        ("smtp://host/path", "path"),
    ],
)
def test_malformed_smtp_urls_fail_clearly(url: str, problem: str) -> None:
    with pytest.raises(ChannelConfigError) as caught:
        parse_smtp_url(url)
    assert "GOODWILL_SMTP_URL is invalid" in str(caught.value)
    assert problem in str(caught.value)


def test_password_is_never_echoed() -> None:
    with pytest.raises(ChannelConfigError) as caught:
        parse_smtp_url("smtp://user:s3cr3t@host?bogus=1")
    assert "s3cr3t" not in str(caught.value)
    assert "s3cr3t" not in parse_smtp_url("smtp://user:s3cr3t@host").describe()


def test_backoff_grows_is_capped_and_parks() -> None:
    policy = RetryPolicy(
        base=timedelta(seconds=10), factor=2, cap=timedelta(minutes=5), jitter=0, max_attempts=8
    )
    delays = [next_attempt(n, "k", policy=policy).delay for n in range(1, 8)]
    assert delays == [timedelta(seconds=s) for s in (10, 20, 40, 80, 160, 300, 300)]
    parked = next_attempt(8, "k", policy=policy)
    assert parked.park and parked.delay is None and "gave up after 8 attempts" in parked.reason


def test_jitter_is_deterministic_per_key_and_spreads_keys() -> None:
    first = next_attempt(3, "message-a")
    assert first == next_attempt(3, "message-a")
    spread = {next_attempt(3, f"message-{i}").delay for i in range(50)}
    assert len(spread) > 40


def test_retry_after_hint_is_a_lower_bound_with_a_ceiling() -> None:
    assert next_attempt(1, "k", retry_after=600).delay == timedelta(seconds=600)
    assert next_attempt(1, "k", retry_after=10**9).delay == timedelta(hours=24)


@given(st.integers(1, 50), st.text(max_size=40), st.floats(0, 0.99))
def test_delay_is_positive_and_within_bounds(attempt: int, key: str, jitter: float) -> None:
    policy = RetryPolicy(jitter=jitter, max_attempts=20)
    plan = next_attempt(attempt, key, policy=policy)
    if attempt >= 20:
        assert plan.park
        return
    assert plan.delay is not None
    full = min(policy.base * policy.factor ** (attempt - 1), policy.cap)
    assert full * (1 - jitter) - timedelta(milliseconds=1) <= plan.delay <= full


def test_registry_without_settings_suppresses_with_reasons() -> None:
    registry = build_registry(Settings(smtp_url=None, sms_url=None))
    message = OutboundMessage(
        idempotency_key="k",
        workspace_id="w",
        person_id="p",
        channel=ChannelKind.EMAIL,
        purpose=Purpose.MARKETING,
        to="a@example.org",
        text="hi",
    )
    result = registry.send(message)
    assert result.status is DeliveryStatus.NOT_CONFIGURED
    assert result.reason == "email channel not configured: set GOODWILL_SMTP_URL"
    assert registry.status() == {
        "email": "email channel not configured: set GOODWILL_SMTP_URL",
        "sms": "sms channel not configured: set GOODWILL_SMS_URL",
        "webhook": "configured",
        "postal": "postal channel not configured: set a postal batch directory",
    }
    assert isinstance(registry.get("sms"), NotConfiguredChannel)
    with pytest.raises(ValueError, match="plan_task"):
        registry.get(ChannelKind.TASK)


def test_registry_with_settings_builds_adapters(tmp_path: Path) -> None:
    settings = Settings(
        smtp_url="smtp://u:p@mail.example:587", sms_url="https://u:t@sms.example/send"
    )
    registry = build_registry(settings, postal_dir=tmp_path)
    assert set(registry.status().values()) == {"configured"}
    email = registry.get("email")
    assert isinstance(email, SmtpEmailChannel) and email.config.security == "starttls"
    registry.close()


def test_registry_fails_fast_on_a_malformed_url() -> None:
    with pytest.raises(ChannelConfigError, match="GOODWILL_SMTP_URL"):
        build_registry(Settings(smtp_url="mail.example:25"))
    with pytest.raises(ChannelConfigError, match="GOODWILL_SMS_URL"):
        build_registry(Settings(sms_url="sms.example/send"))
