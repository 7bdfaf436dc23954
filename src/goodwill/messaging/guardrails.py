"""Send-time guardrails: may this message go to this person now?

:func:`decide` is pure (no I/O, no clock): the dispatcher gathers the facts at the moment of
sending (not at scheduling time, when they may since have changed) and acts on the
:class:`Decision`.  Its ``reason`` is a human sentence shown by ``goodwill journeys explain``.

The rules, in order:

1. ``webhook`` and ``task`` are internal channels (a merchant system, a staff member); they do
   not contact the person, so the rules below do not apply: **send**.
2. An address that is invalid or hard-bounced is **suppressed**, whatever the purpose.
3. Consent is about the *purpose*: the ``transactional`` purpose (a receipt, a shipping
   notice, a service note such as a thank-you for an order) needs no consent; every other
   purpose needs a current *grant* for that exact (purpose, channel).  A withdrawal, or no grant
   on record, is **suppressed** (with a consented alternative channel noted when there is one).
4. Urgency is about the *priority class*: a ``transactional``-priority message (which must have
   the transactional purpose) is **sent** now, ignoring preferences, budget and quiet hours.
   A transactional-purpose message at a lower priority (the thank-you note) is a relationship
   touch and goes through the remaining rules like any other.
5. A channel the person excluded from their preferences is **suppressed** (alternative noted).
   A ``max_per_week`` of 0 means "nothing that is not urgent": **suppressed**.
6. The contact budget: sends of non-transactional priority in the rolling window (default 7
   days) across all journeys, limited by the workspace budget over that window and by the
   person's ``max_per_week`` over 7 days.  Higher-priority messages already waiting for this
   person take their slots first, so a lower class yields to them.  Over budget is **deferred**
   to when enough past sends age out of the window, never dropped.
7. Quiet hours (email and SMS; a postal note is printed later anyway) in the person's
   timezone: **deferred** to the end of quiet hours.

A deferral's ``until`` is always after ``now``, outside quiet hours, and within budget assuming
nothing else is sent meanwhile; the dispatcher simply asks again at ``until``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from goodwill.consent.models import ConsentState
from goodwill.kit.clock import as_utc, is_valid_zone, zone
from goodwill.messaging.quiet_hours import QuietHours
from goodwill.messaging.vocabulary import DIRECT_CHANNELS, ChannelKind, Priority, Purpose

_WEEK = timedelta(days=7)


class Outcome(StrEnum):
    SEND = "send"
    SUPPRESSED = "suppressed"
    DEFERRED = "deferred"


@dataclass(frozen=True, slots=True)
class Decision:
    """``rule`` is a stable machine code (for counting and tests); ``reason`` is for people."""

    outcome: Outcome
    reason: str
    rule: str
    until: datetime | None = None
    alternative_channel: ChannelKind | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest:
    """The message as the guardrails see it.  Transactional *priority* (exempt from budget and
    quiet hours) requires the transactional *purpose*; otherwise a marketing message could skip
    the budget, so that combination is a wiring bug and fails at construction.  The reverse
    (transactional purpose, lower priority) is allowed."""

    purpose: Purpose
    channel: ChannelKind
    priority: Priority

    def __post_init__(self) -> None:
        if self.priority == Priority.TRANSACTIONAL and self.purpose != Purpose.TRANSACTIONAL:
            raise ValueError(
                f"purpose {self.purpose} with priority transactional: only transactional-purpose "
                "messages may use the transactional priority"
            )


@dataclass(frozen=True, slots=True)
class AddressStatus:
    """Whether the person's address on this channel can receive anything.  ``problem`` reads
    after "address", e.g. ``"hard-bounced 2026-03-01"``."""

    deliverable: bool = True
    problem: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactPreferences:
    """``channels``: preferred channels, most preferred first; empty means no preference.
    ``quiet_hours`` overrides the policy's default for this person."""

    channels: Sequence[ChannelKind] = ()
    max_per_week: int | None = None
    timezone: str | None = None
    quiet_hours: QuietHours | None = None


@dataclass(frozen=True, slots=True)
class PastSend:
    """One message already sent to the person (any journey, any channel)."""

    at: datetime
    priority: Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactHistory:
    """Recent sends (older ones are ignored) and how many higher-priority messages are waiting
    for this person right now; the budget counts those as if sent now."""

    sends: Sequence[PastSend] = ()
    waiting_higher: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardrailPolicy:
    """Workspace-level rules.  ``weekly_budget=None`` means no workspace budget (the person's
    ``max_per_week`` still applies)."""

    weekly_budget: int | None = 3
    window: timedelta = _WEEK
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    default_timezone: str = "UTC"
    quiet_channels: frozenset[ChannelKind] = frozenset({ChannelKind.EMAIL, ChannelKind.SMS})

    def __post_init__(self) -> None:
        if self.weekly_budget is not None and self.weekly_budget < 1:
            raise ValueError("weekly_budget must be at least 1 (or None for no budget)")
        if self.window <= timedelta(0):
            raise ValueError("the budget window must be positive")
        if not is_valid_zone(self.default_timezone):
            raise ValueError(f"unknown default timezone {self.default_timezone!r}")


DEFAULT_POLICY = GuardrailPolicy()


def _send(reason: str, rule: str) -> Decision:
    return Decision(Outcome.SEND, f"send: {reason}", rule)


def _suppress(reason: str, rule: str, alternative: ChannelKind | None = None) -> Decision:
    return Decision(Outcome.SUPPRESSED, f"suppressed: {reason}", rule, None, alternative)


def _day(moment: datetime) -> str:
    if moment.year >= 1000:  # what strftime writes, without its cost
        return moment.date().isoformat()
    return f"{moment:%Y-%m-%d}"


def _slot(moment: datetime, tz: tzinfo, tz_name: str) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %H:%M} {tz_name}"


def _alternative(
    request: SendRequest,
    consents: Mapping[tuple[str, str], ConsentState],
    preferences: ContactPreferences,
) -> ChannelKind | None:
    order = list(preferences.channels) or [ChannelKind.EMAIL, ChannelKind.SMS, ChannelKind.POSTAL]
    for channel in order:
        if channel == request.channel or channel not in DIRECT_CHANNELS:
            continue
        if request.purpose == Purpose.TRANSACTIONAL:
            return channel
        state = consents.get((str(request.purpose), str(channel)))
        if state is not None and state.granted:
            return channel
    return None


def _with_alternative(reason: str, alternative: ChannelKind | None) -> str:
    return f"{reason}; {alternative} is possible" if alternative else reason


def _window_word(policy: GuardrailPolicy) -> str:
    if policy.window == _WEEK:
        return "weekly"
    return f"{policy.window / timedelta(days=1):g}-day"


def _ceil_minute(moment: datetime) -> datetime:
    seconds = moment.timestamp()
    return datetime.fromtimestamp(math.ceil(seconds / 60) * 60, tz=UTC)


@dataclass(frozen=True, slots=True)
class _Limit:
    limit: int
    window: timedelta
    phrase: str


def _limits(preferences: ContactPreferences, policy: GuardrailPolicy) -> list[_Limit]:
    limits: list[_Limit] = []
    if policy.weekly_budget is not None:
        word = _window_word(policy)
        limits.append(
            _Limit(policy.weekly_budget, policy.window, f"{word} budget of {policy.weekly_budget}")
        )
    if preferences.max_per_week is not None:
        n = preferences.max_per_week
        noun = "message" if n == 1 else "messages"
        limits.append(_Limit(n, _WEEK, f"their limit of {n} {noun} a week"))
    return limits


def _free_at(
    sends: Sequence[datetime], waiting: int, rule: _Limit, now: datetime
) -> datetime | None:
    """When a slot frees under ``rule``: None if one is free now, else the moment enough of the
    occupied slots (past sends in the window, plus waiting higher-priority messages counted as
    sent now) have aged out.  Always after ``now`` because only sends after ``now - window``
    are counted."""
    occupied = sorted([*(t for t in sends if t > now - rule.window), *([now] * waiting)])
    if len(occupied) < rule.limit:
        return None
    return occupied[len(occupied) - rule.limit] + rule.window


def decide(
    request: SendRequest,
    *,
    consents: Mapping[tuple[str, str], ConsentState],
    preferences: ContactPreferences,
    history: ContactHistory,
    now: datetime,
    address: AddressStatus | None = None,
    policy: GuardrailPolicy = DEFAULT_POLICY,
) -> Decision:
    """Decide send | suppressed | deferred for ``request`` at ``now``.

    ``consents`` is the person's current consent state keyed by (purpose, channel), as returned
    by :func:`goodwill.consent.models.current_state`.  Naive datetimes are taken as UTC."""
    now = as_utc(now)
    channel = request.channel
    if channel not in DIRECT_CHANNELS:
        return _send(f"{channel} does not contact the person directly", "internal_channel")
    if address is not None and not address.deliverable:
        return _suppress(f"{channel} address {address.problem or 'is not deliverable'}", "address")
    consent = consents.get((str(request.purpose), str(channel)))
    if request.purpose != Purpose.TRANSACTIONAL and (consent is None or not consent.granted):
        alternative = _alternative(request, consents, preferences)
        if consent is None:
            text = f"no consent on record for {request.purpose} {channel}"
            return _suppress(_with_alternative(text, alternative), "consent_missing", alternative)
        text = (
            f"{request.purpose} {channel} consent withdrawn {_day(as_utc(consent.since))}"
            f" via {consent.source}"
        )
        return _suppress(_with_alternative(text, alternative), "consent_withdrawn", alternative)
    if request.priority == Priority.TRANSACTIONAL:
        return _send(
            "transactional message; consent, budget and quiet hours do not apply",
            "transactional",
        )

    if preferences.channels and channel not in preferences.channels:
        alternative = _alternative(request, consents, preferences)
        prefers = ", ".join(str(c) for c in preferences.channels)
        text = f"prefers {prefers}; not {channel}"
        return _suppress(_with_alternative(text, alternative), "channel_preference", alternative)
    if preferences.max_per_week == 0:
        return _suppress("asked for no messages beyond urgent service ones", "frequency_zero")

    tz_name = (
        preferences.timezone
        if preferences.timezone and is_valid_zone(preferences.timezone)
        else policy.default_timezone
    )
    tz = zone(tz_name)
    quiet = preferences.quiet_hours or policy.quiet_hours
    quiet_applies = channel in policy.quiet_channels

    sends = [as_utc(x.at) for x in history.sends if x.priority != Priority.TRANSACTIONAL]
    waiting = max(0, history.waiting_higher)
    limits = _limits(preferences, policy)
    blocking = [(t, rule) for rule in limits if (t := _free_at(sends, waiting, rule, now))]
    if blocking:
        free_at, rule = max(blocking, key=lambda item: item[0])
        until = _ceil_minute(free_at)
        if quiet_applies:
            until = quiet.next_open(until, tz)
        waiting_note = f" counting {waiting} higher-priority message(s) waiting" if waiting else ""
        return Decision(
            Outcome.DEFERRED,
            f"deferred: {rule.phrase} reached{waiting_note}, next slot {_slot(until, tz, tz_name)}",
            "budget",
            until,
        )
    if quiet_applies and quiet.contains(now, tz):
        until = quiet.next_open(now, tz)
        return Decision(
            Outcome.DEFERRED,
            f"deferred: quiet hours {quiet.label()} {tz_name}, next slot {_slot(until, tz, tz_name)}",
            "quiet_hours",
            until,
        )

    if consent is not None and consent.granted:
        basis = (
            f"{request.purpose} {channel} consent granted {_day(as_utc(consent.since))}"
            f" via {consent.source}"
        )
    else:
        basis = "transactional purpose needs no consent"
    usage = ""
    if limits:
        tight = min(limits, key=lambda r: r.limit)
        used = sum(1 for t in sends if t > now - tight.window)
        usage = f"; {used + 1} of {tight.limit} slots used ({tight.phrase})"
    return _send(f"{basis}{usage}", "ok")
