"""Properties of the send-time guardrails and quiet hours, over random people, histories,
timezones (DST included) and policies."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from goodwill.consent.models import ConsentState
from goodwill.kit.clock import zone
from goodwill.messaging.guardrails import (
    AddressStatus,
    ContactHistory,
    ContactPreferences,
    Decision,
    GuardrailPolicy,
    Outcome,
    PastSend,
    SendRequest,
    decide,
)
from goodwill.messaging.quiet_hours import QuietHours
from goodwill.messaging.vocabulary import DIRECT_CHANNELS, ChannelKind, Priority, Purpose

ZONES = [
    "UTC",
    "Europe/Lisbon",
    "America/New_York",
    "America/St_Johns",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
    "Pacific/Apia",
]
CHANNELS = [ChannelKind.EMAIL, ChannelKind.SMS, ChannelKind.POSTAL]
NON_TX = [Purpose.MARKETING, Purpose.REVIEWS, Purpose.REFERRALS, Purpose.PROFILING]
ALL_PURPOSES = [*NON_TX, Purpose.TRANSACTIONAL]
NON_TX_PRIORITIES = [Priority.PROMOTION, Priority.REVIEW_NPS, Priority.RELATIONSHIP]

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59]))
quiet_hours = st.builds(QuietHours, clock_times, clock_times)
zones = st.sampled_from(ZONES)


@st.composite
def scenarios(draw: st.DrawFn, *, purposes: list[Purpose] = ALL_PURPOSES) -> dict[str, Any]:
    now = draw(moments)
    purpose = draw(st.sampled_from(purposes))
    channel = draw(st.sampled_from(CHANNELS))
    priority = (
        Priority.TRANSACTIONAL
        if purpose == Purpose.TRANSACTIONAL
        else draw(st.sampled_from(NON_TX_PRIORITIES))
    )
    consents: dict[tuple[str, str], ConsentState] = {}
    for p in [*NON_TX, Purpose.TRANSACTIONAL]:
        for c in CHANNELS:
            state = draw(st.sampled_from([True, None, True, False]))
            if state is not None:
                since = now - timedelta(days=draw(st.integers(0, 900)))
                consents[(str(p), str(c))] = ConsentState(str(p), str(c), state, since, "form", {})
    sends = [
        PastSend(
            now - timedelta(minutes=draw(st.integers(-60, 12 * 24 * 60))),
            draw(st.sampled_from(list(Priority))),
        )
        for _ in range(draw(st.integers(0, 8)))
    ]
    preferences = ContactPreferences(
        channels=draw(st.lists(st.sampled_from(CHANNELS), unique=True, max_size=3)),
        max_per_week=draw(st.one_of(st.none(), st.integers(0, 5))),
        timezone=draw(st.one_of(st.none(), zones)),
        quiet_hours=draw(st.one_of(st.none(), quiet_hours)),
    )
    policy = GuardrailPolicy(
        weekly_budget=draw(st.one_of(st.none(), st.integers(1, 6))),
        window=timedelta(hours=draw(st.integers(1, 14 * 24))),
        quiet_hours=draw(quiet_hours),
        default_timezone=draw(zones),
    )
    return {
        "request": SendRequest(purpose=purpose, channel=channel, priority=priority),
        "consents": consents,
        "preferences": preferences,
        "history": ContactHistory(sends=sends, waiting_higher=draw(st.integers(0, 3))),
        "now": now,
        "policy": policy,
        "address": AddressStatus(deliverable=draw(st.integers(0, 9)) > 0),
    }


def run(s: dict[str, Any], **overrides: Any) -> Decision:
    args = {**s, **overrides}
    request = args.pop("request")
    return decide(request, **args)


def _local(s: dict[str, Any]) -> tuple[QuietHours, Any]:
    prefs: ContactPreferences = s["preferences"]
    policy: GuardrailPolicy = s["policy"]
    return prefs.quiet_hours or policy.quiet_hours, zone(prefs.timezone or policy.default_timezone)


@settings(max_examples=250)
@given(scenarios())
def test_never_send_when_consent_withdrawn_or_missing(s: dict[str, Any]) -> None:
    request: SendRequest = s["request"]
    state = s["consents"].get((str(request.purpose), str(request.channel)))
    decision = run(s)
    if request.purpose != Purpose.TRANSACTIONAL and (state is None or not state.granted):
        assert decision.outcome is Outcome.SUPPRESSED
        assert decision.rule in {"consent_missing", "consent_withdrawn", "address"}


@settings(max_examples=250)
@given(scenarios())
def test_never_send_inside_quiet_hours(s: dict[str, Any]) -> None:
    decision = run(s)
    quiet, tz = _local(s)
    held = s["request"].channel in s["policy"].quiet_channels
    urgent = s["request"].priority == Priority.TRANSACTIONAL
    if decision.outcome is Outcome.SEND and held and not urgent:
        assert not quiet.contains(s["now"], tz)


@settings(max_examples=250)
@given(scenarios())
def test_deferral_is_in_the_future_and_outside_quiet_hours(s: dict[str, Any]) -> None:
    decision = run(s)
    if decision.outcome is Outcome.DEFERRED:
        assert decision.until is not None and decision.until > s["now"]
        assert decision.until.tzinfo is not None
        quiet, tz = _local(s)
        if s["request"].channel in s["policy"].quiet_channels:
            assert not quiet.contains(decision.until, tz)
        assert "next slot" in decision.reason
    else:
        assert decision.until is None


@settings(max_examples=250)
@given(scenarios())
def test_asking_again_at_the_deferred_time_sends(s: dict[str, Any]) -> None:
    history = ContactHistory(sends=s["history"].sends)  # nothing else waiting or sent meanwhile
    decision = run(s, history=history)
    if decision.outcome is Outcome.DEFERRED:
        again = run(s, history=history, now=decision.until)
        assert again.outcome is Outcome.SEND, (decision, again)


@settings(max_examples=250)
@given(scenarios())
def test_over_budget_is_never_suppressed_for_budget_reasons(s: dict[str, Any]) -> None:
    request: SendRequest = s["request"]
    prefs: ContactPreferences = s["preferences"]
    state = s["consents"].get((str(request.purpose), str(request.channel)))
    eligible = (
        s["address"].deliverable
        and (request.purpose == Purpose.TRANSACTIONAL or (state is not None and state.granted))
        and (not prefs.channels or request.channel in prefs.channels)
        and prefs.max_per_week != 0
    )
    decision = run(s)
    if eligible:
        assert decision.outcome is not Outcome.SUPPRESSED
    assert decision.rule != "budget" or decision.outcome is Outcome.DEFERRED


@settings(max_examples=200)
@given(scenarios(purposes=[Purpose.TRANSACTIONAL]))
def test_urgent_transactional_to_a_deliverable_address_always_sends(s: dict[str, Any]) -> None:
    request = SendRequest(
        purpose=Purpose.TRANSACTIONAL, channel=s["request"].channel, priority=Priority.TRANSACTIONAL
    )
    decision = run(s, request=request)
    if s["address"].deliverable:
        assert decision.outcome is Outcome.SEND
    else:
        assert decision.outcome is Outcome.SUPPRESSED


@given(scenarios())
def test_reason_names_the_outcome(s: dict[str, Any]) -> None:
    decision = run(s)
    assert decision.reason.startswith(f"{decision.outcome.value}: ")
    assert s["request"].channel in DIRECT_CHANNELS


@settings(max_examples=400)
@given(quiet_hours, st.sampled_from(ZONES), moments)
def test_next_open_is_the_first_instant_outside_quiet_hours(
    quiet: QuietHours, tz_name: str, moment: datetime
) -> None:
    tz = zone(tz_name)
    opened = quiet.next_open(moment, tz)
    assert opened >= moment
    assert not quiet.contains(opened, tz)
    if opened > moment:
        assert quiet.contains(moment, tz)
        assert quiet.contains(opened - timedelta(seconds=1), tz)
        assert opened - moment <= timedelta(hours=26)
