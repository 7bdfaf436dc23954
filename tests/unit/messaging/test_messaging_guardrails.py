"""Send-time guardrails: worked examples for every rule, with the sentences staff will read."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from goodwill.consent.models import ConsentState
from goodwill.messaging.guardrails import (
    AddressStatus,
    ContactHistory,
    ContactPreferences,
    GuardrailPolicy,
    Outcome,
    PastSend,
    SendRequest,
    decide,
)
from goodwill.messaging.quiet_hours import QuietHours
from goodwill.messaging.vocabulary import ChannelKind, Priority, Purpose

# Tuesday 2026-03-03 14:00 UTC = 14:00 Lisbon (WET, UTC+0 in winter)
NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
LISBON = ContactPreferences(timezone="Europe/Lisbon")


def granted(purpose: str, channel: str, since: str = "2026-01-05", source: str = "checkout") -> Any:
    return {
        (purpose, channel): ConsentState(
            purpose, channel, True, datetime.fromisoformat(since).replace(tzinfo=UTC), source, {}
        )
    }


def withdrawn(purpose: str, channel: str, since: str, source: str) -> Any:
    return {
        (purpose, channel): ConsentState(
            purpose, channel, False, datetime.fromisoformat(since).replace(tzinfo=UTC), source, {}
        )
    }


def req(
    purpose: Purpose = Purpose.MARKETING,
    channel: ChannelKind = ChannelKind.EMAIL,
    priority: Priority = Priority.PROMOTION,
) -> SendRequest:
    return SendRequest(purpose=purpose, channel=channel, priority=priority)


def test_granted_consent_within_budget_outside_quiet_hours_sends() -> None:
    decision = decide(
        req(),
        consents=granted("marketing", "email"),
        preferences=LISBON,
        history=ContactHistory(),
        now=NOW,
    )
    assert decision.outcome is Outcome.SEND
    assert decision.reason == (
        "send: marketing email consent granted 2026-01-05 via checkout; "
        "1 of 3 slots used (weekly budget of 3)"
    )


def test_withdrawn_consent_is_suppressed_with_date_and_source() -> None:
    decision = decide(
        req(),
        consents=withdrawn("marketing", "email", "2026-03-02", "unsubscribe link"),
        preferences=LISBON,
        history=ContactHistory(),
        now=NOW,
    )
    assert decision.outcome is Outcome.SUPPRESSED
    assert decision.rule == "consent_withdrawn"
    assert decision.reason == (
        "suppressed: marketing email consent withdrawn 2026-03-02 via unsubscribe link"
    )


def test_no_consent_on_record_is_suppressed_and_notes_a_consented_alternative() -> None:
    decision = decide(
        req(Purpose.REVIEWS, ChannelKind.EMAIL, Priority.REVIEW_NPS),
        consents=granted("reviews", "sms"),
        preferences=LISBON,
        history=ContactHistory(),
        now=NOW,
    )
    assert decision.outcome is Outcome.SUPPRESSED
    assert decision.reason == "suppressed: no consent on record for reviews email; sms is possible"
    assert decision.alternative_channel is ChannelKind.SMS


def test_transactional_needs_no_consent_and_ignores_budget_and_quiet_hours() -> None:
    night = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    history = ContactHistory(
        sends=[PastSend(night - timedelta(hours=i), Priority.PROMOTION) for i in range(9)]
    )
    decision = decide(
        req(Purpose.TRANSACTIONAL, ChannelKind.EMAIL, Priority.TRANSACTIONAL),
        consents={},
        preferences=ContactPreferences(
            timezone="Europe/Lisbon", max_per_week=1, channels=[ChannelKind.SMS]
        ),
        history=history,
        now=night,
    )
    assert decision.outcome is Outcome.SEND and decision.rule == "transactional"


def test_transactional_to_a_hard_bounced_address_is_suppressed() -> None:
    decision = decide(
        req(Purpose.TRANSACTIONAL, ChannelKind.EMAIL, Priority.TRANSACTIONAL),
        consents={},
        preferences=LISBON,
        history=ContactHistory(),
        now=NOW,
        address=AddressStatus(deliverable=False, problem="hard-bounced 2026-03-01"),
    )
    assert decision.outcome is Outcome.SUPPRESSED
    assert decision.reason == "suppressed: email address hard-bounced 2026-03-01"


def test_transactional_priority_requires_transactional_purpose() -> None:
    with pytest.raises(ValueError, match="only transactional-purpose"):
        SendRequest(
            purpose=Purpose.MARKETING, channel=ChannelKind.EMAIL, priority=Priority.TRANSACTIONAL
        )


def test_transactional_purpose_at_relationship_priority_needs_no_consent_but_waits() -> None:
    thank_you = req(Purpose.TRANSACTIONAL, ChannelKind.EMAIL, Priority.RELATIONSHIP)
    day = decide(thank_you, consents={}, preferences=LISBON, history=ContactHistory(), now=NOW)
    assert day.outcome is Outcome.SEND
    assert day.reason.startswith("send: transactional purpose needs no consent; 1 of 3")
    night = decide(
        thank_you,
        consents={},
        preferences=LISBON,
        history=ContactHistory(),
        now=datetime(2026, 3, 3, 23, 0, tzinfo=UTC),
    )
    assert night.outcome is Outcome.DEFERRED and night.rule == "quiet_hours"
    assert night.until == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)


def test_excluded_channel_is_suppressed_with_preferred_alternative() -> None:
    consents = granted("marketing", "email") | granted("marketing", "sms")
    decision = decide(
        req(),
        consents=consents,
        preferences=ContactPreferences(channels=[ChannelKind.SMS], timezone="Europe/Lisbon"),
        history=ContactHistory(),
        now=NOW,
    )
    assert decision.outcome is Outcome.SUPPRESSED
    assert decision.reason == "suppressed: prefers sms; not email; sms is possible"
    assert decision.alternative_channel is ChannelKind.SMS


def test_weekly_budget_defers_to_when_the_oldest_send_ages_out() -> None:
    sends = [
        PastSend(datetime(2026, 2, 24, 10, 0, tzinfo=UTC), Priority.RELATIONSHIP),  # Tue last week
        PastSend(datetime(2026, 2, 27, 9, 0, tzinfo=UTC), Priority.PROMOTION),
    ]
    decision = decide(
        req(),
        consents=granted("marketing", "email"),
        preferences=LISBON,
        history=ContactHistory(sends=sends),
        now=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        policy=GuardrailPolicy(weekly_budget=2),
    )
    assert decision.outcome is Outcome.DEFERRED
    assert decision.until == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert (
        decision.reason
        == "deferred: weekly budget of 2 reached, next slot Tue 3 Mar 10:00 Europe/Lisbon"
    )


def test_budget_slot_inside_quiet_hours_moves_to_the_morning() -> None:
    sends = [PastSend(datetime(2026, 2, 24, 22, 30, tzinfo=UTC), Priority.PROMOTION)]
    decision = decide(
        req(),
        consents=granted("marketing", "email"),
        preferences=ContactPreferences(timezone="Europe/Lisbon", max_per_week=1),
        history=ContactHistory(sends=sends),
        now=NOW,
    )
    assert decision.outcome is Outcome.DEFERRED and decision.rule == "budget"
    assert decision.until == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    assert decision.reason == (
        "deferred: their limit of 1 message a week reached, next slot Wed 4 Mar 08:00 Europe/Lisbon"
    )


def test_transactional_sends_do_not_count_toward_the_budget() -> None:
    sends = [PastSend(NOW - timedelta(days=1), Priority.TRANSACTIONAL) for _ in range(5)]
    decision = decide(
        req(),
        consents=granted("marketing", "email"),
        preferences=ContactPreferences(timezone="Europe/Lisbon", max_per_week=1),
        history=ContactHistory(sends=sends),
        now=NOW,
    )
    assert decision.outcome is Outcome.SEND


def test_lower_priority_yields_to_waiting_higher_priority() -> None:
    sends = [PastSend(NOW - timedelta(days=2), Priority.PROMOTION)]
    common: dict[str, Any] = {
        "consents": granted("marketing", "email"),
        "preferences": LISBON,
        "now": NOW,
        "policy": GuardrailPolicy(weekly_budget=2),
    }
    alone = decide(req(), history=ContactHistory(sends=sends), **common)
    assert alone.outcome is Outcome.SEND
    yielding = decide(req(), history=ContactHistory(sends=sends, waiting_higher=1), **common)
    assert yielding.outcome is Outcome.DEFERRED
    assert "counting 1 higher-priority message(s) waiting" in yielding.reason
    assert yielding.until == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)


def test_quiet_hours_defer_to_local_morning() -> None:
    late = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # 22:30 in Lisbon (WEST, UTC+1)
    decision = decide(
        req(),
        consents=granted("marketing", "email"),
        preferences=LISBON,
        history=ContactHistory(),
        now=late,
    )
    assert decision.outcome is Outcome.DEFERRED and decision.rule == "quiet_hours"
    assert decision.until == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
    assert decision.reason == (
        "deferred: quiet hours 21:00-08:00 Europe/Lisbon, next slot Thu 2 Jul 08:00 Europe/Lisbon"
    )


def test_postal_is_not_held_by_quiet_hours_but_counts_toward_budget() -> None:
    late = datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    decision = decide(
        req(Purpose.MARKETING, ChannelKind.POSTAL),
        consents=granted("marketing", "postal"),
        preferences=LISBON,
        history=ContactHistory(),
        now=late,
    )
    assert decision.outcome is Outcome.SEND


def test_person_quiet_hours_override_policy() -> None:
    decision = decide(
        req(Purpose.MARKETING, ChannelKind.SMS),
        consents=granted("marketing", "sms"),
        preferences=ContactPreferences(
            timezone="Asia/Tokyo", quiet_hours=QuietHours(time(12), time(15))
        ),
        history=ContactHistory(),
        now=datetime(2026, 3, 3, 4, 0, tzinfo=UTC),  # 13:00 Tokyo
    )
    assert decision.outcome is Outcome.DEFERRED
    assert decision.until == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)


def test_max_per_week_zero_means_nothing_but_transactional() -> None:
    decision = decide(
        req(),
        consents=granted("marketing", "email"),
        preferences=ContactPreferences(max_per_week=0),
        history=ContactHistory(),
        now=NOW,
    )
    assert decision.outcome is Outcome.SUPPRESSED and decision.rule == "frequency_zero"


def test_internal_channels_bypass_person_guardrails() -> None:
    for channel in (ChannelKind.TASK, ChannelKind.WEBHOOK):
        decision = decide(
            req(Purpose.MARKETING, channel),
            consents={},
            preferences=ContactPreferences(max_per_week=0),
            history=ContactHistory(),
            now=NOW,
        )
        assert decision.outcome is Outcome.SEND and decision.rule == "internal_channel"


def test_quiet_hours_parse() -> None:
    assert QuietHours.parse("22:30-07:15") == QuietHours(time(22, 30), time(7, 15))
    assert not QuietHours.parse("off").enabled
    with pytest.raises(ValueError, match="21:00-08:00"):
        QuietHours.parse("late")


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        GuardrailPolicy(weekly_budget=0)
    with pytest.raises(ValueError):
        GuardrailPolicy(default_timezone="Mars/Olympus")
