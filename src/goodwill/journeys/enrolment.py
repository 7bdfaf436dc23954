"""Starting an enrolment: trigger match, staleness, re-entry rule, holdout assignment.

    enrol(journey, person, trigger, now, prior, enrolment_id=...) -> EnrolmentState | Refusal

Pure like the engine.  The caller supplies the new enrolment's id (so ``enrol`` needs no id
generator) and the person's earlier enrolments in *this journey* (any version; other journeys
are ignored).  A successful enrolment is positioned on the first step, not yet run: call
:func:`goodwill.journeys.engine.advance` next, in the same transaction (``wake_at`` is the
enrolment instant).

* **Entry instant** is the trigger's ``occurred_at`` (never later than ``now``), so "wait 14 days
  after delivery" counts from the delivery, not from when a worker noticed it.
* **Stale triggers** older than the definition's ``max_trigger_age`` (default 3 days) are
  refused: importing last year's orders must not send last year's thank-you notes.
* **Re-entry**: the same trigger event never enrols twice; an active enrolment blocks a new one
  unless ``re_entry.concurrent``; then ``once_ever`` / ``once_per`` (period since the last entry)
  / ``every_time``.  Holdout enrolments count as enrolments.
* **Holdout**: a person is in the control group of a journey iff
  ``holdout_bucket(key, person_id) < holdout`` where the bucket is BLAKE2b-64 of
  ``"holdout:{key}:{person_id}"`` scaled to [0, 1).  It depends on nothing else (not the version,
  not the time), so it is stable across re-entries and can be recomputed by an auditor.  A
  holdout enrolment is recorded with status ``holdout`` and never produces an intent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from goodwill.journeys.compiled import CompiledJourney
from goodwill.journeys.conditions import Scope
from goodwill.journeys.definition import (
    DateTrigger,
    EventTrigger,
    ManualTrigger,
    ScoreTrigger,
    SegmentTrigger,
)
from goodwill.journeys.models import (
    EnrolmentState,
    EnrolmentStatus,
    Event,
    EventLike,
    Happened,
    PersonContext,
    PriorEnrolment,
    Refusal,
    RefusalCode,
    StepRecord,
)
from goodwill.journeys.nodes import unit_interval
from goodwill.journeys.timing import anniversary_in_year, format_duration, person_zone

#: Staff or the API start a manual journey with this event kind and ``{"journey": key}``.
MANUAL_EVENT: Final = "journey.manual"
#: Synthesised by the scheduler from important dates (see :func:`due_date_events`).
DATE_EVENT: Final = "date.reached"


def holdout_bucket(journey_key: str, person_id: str) -> float:
    return unit_interval(f"holdout:{journey_key}:{person_id}")


def trigger_kind(journey: CompiledJourney) -> str:
    """The event kind that can start this journey (index journeys by it to route events)."""
    trigger = journey.trigger
    if isinstance(trigger, DateTrigger):
        return DATE_EVENT
    if isinstance(trigger, ManualTrigger):
        return MANUAL_EVENT
    return trigger.event


def enrol(
    journey: CompiledJourney,
    person: PersonContext,
    trigger: EventLike,
    now: datetime,
    prior: Sequence[PriorEnrolment] = (),
    *,
    enrolment_id: str,
) -> EnrolmentState | Refusal:
    event = Event.of(trigger)
    if event.occurred_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("enrol needs timezone-aware instants (UTC in storage)")
    refusal = match_trigger(journey, event, person)
    if refusal is not None:
        return refusal
    age = now - event.occurred_at
    if age > journey.max_trigger_age:
        limit = format_duration(journey.max_trigger_age)
        reason = f"trigger is {format_duration(age)} old; this journey ignores triggers older than {limit}"
        return Refusal(RefusalCode.STALE_TRIGGER, reason)
    entered_at = min(event.occurred_at, now)
    refusal = _re_entry(journey, event, entered_at, prior)
    if refusal is not None:
        return refusal

    start = journey.start
    note = f"enrolled in {journey.key} v{journey.version} on {event.kind} (event {event.id})"
    state = EnrolmentState(
        enrolment_id=enrolment_id,
        journey_key=journey.key,
        journey_version=journey.version,
        person_id=person.person_id,
        status=EnrolmentStatus.ACTIVE,
        step_id=start,
        entered_at=entered_at,
        clock=entered_at,
        trigger=event,
        wake_at=entered_at,
        visits={start: 1},
        history=[StepRecord(entered_at, None, 0, Happened.ENROLLED, note)],
    )
    share = journey.holdout
    bucket = holdout_bucket(journey.key, person.person_id) if share > 0 else 1.0
    if bucket < share:
        state.status = EnrolmentStatus.HOLDOUT
        state.step_id = None
        state.visits = {}
        state.wake_at = None
        state.ended_at = entered_at
        state.end_reason = "holdout"
        why = f"holdout: no messages (bucket {bucket:.4f} < share {share:g})"
        state.history.append(StepRecord(entered_at, None, 0, Happened.HOLDOUT, why))
    return state


def match_trigger(
    journey: CompiledJourney, event: EventLike, person: PersonContext
) -> Refusal | None:
    """``None`` if ``event`` starts ``journey`` for ``person``, else why not."""
    trigger = journey.trigger
    kind = trigger_kind(journey)
    if event.kind != kind:
        return _mismatch(f"{event.kind} does not start {journey.key} (it starts on {kind})")
    payload = event.payload
    if isinstance(trigger, ManualTrigger | DateTrigger) and payload.get("journey") != journey.key:
        return _mismatch(f"this {kind} event names journey {payload.get('journey')!r}")
    if isinstance(trigger, SegmentTrigger) and payload.get("segment") != trigger.segment:
        return _mismatch(f"segment {payload.get('segment')!r} is not {trigger.segment!r}")
    if isinstance(trigger, DateTrigger) and not _same_date(trigger, payload):
        return _mismatch(f"date {payload.get('kind')!r} is not {trigger.date!r}")
    condition = trigger.when if isinstance(trigger, ScoreTrigger) else None
    if isinstance(trigger, EventTrigger | DateTrigger):
        condition = trigger.where
    if condition is None:
        return None
    ok, why = condition.explain(Scope(person, payload=payload))
    if not ok:
        return _mismatch(f"condition false: {why}")
    previous = payload.get("previous")
    crossed = not isinstance(previous, Mapping) or not condition.evaluate(
        Scope(person, payload=previous)
    )
    if isinstance(trigger, ScoreTrigger) and not crossed:
        return _mismatch(f"no crossing: the previous snapshot already met it ({why})")
    return None


def _same_date(trigger: DateTrigger, payload: Mapping[str, Any]) -> bool:
    label_ok = trigger.label is None or payload.get("label") == trigger.label
    return payload.get("kind") == trigger.date and label_ok


def _mismatch(reason: str) -> Refusal:
    return Refusal(RefusalCode.TRIGGER_MISMATCH, reason)


def _re_entry(
    journey: CompiledJourney,
    event: Event,
    entered_at: datetime,
    prior: Sequence[PriorEnrolment],
) -> Refusal | None:
    mine = [p for p in prior if p.journey_key == journey.key]
    if event.id is not None:
        for p in mine:
            if p.trigger_event_id == str(event.id):
                reason = f"already enrolled from event {event.id} ({p.enrolment_id})"
                return Refusal(RefusalCode.DUPLICATE_TRIGGER, reason)
    rule = journey.re_entry
    if not rule.concurrent:
        for p in mine:
            if p.status is EnrolmentStatus.ACTIVE:
                reason = f"enrolment {p.enrolment_id} of {journey.key} is still active"
                return Refusal(RefusalCode.ALREADY_ACTIVE, reason)
    if not mine or rule.mode == "every_time":
        return None
    last = max(p.entered_at for p in mine)
    if rule.mode == "once_ever":
        reason = f"already enrolled on {last:%Y-%m-%d} (re-entry: once ever)"
        return Refusal(RefusalCode.ONCE_EVER, reason)
    assert rule.period is not None
    if entered_at < last + rule.period:
        reason = (
            f"last enrolled {last:%Y-%m-%d %H:%M}; re-entry allowed from "
            f"{last + rule.period:%Y-%m-%d %H:%M} (once per {format_duration(rule.period)})"
        )
        return Refusal(RefusalCode.TOO_SOON, reason)
    return None


def due_date_events(
    journey: CompiledJourney, person: PersonContext, after: datetime, until: datetime
) -> list[Event]:
    """Date-trigger events for ``person`` falling in ``(after, until]``, for the scheduler.

    The instant is ``date + offset`` at the trigger's local time in the person's timezone.  The
    event id names the journey, person, date and occurrence, so scanning the same window twice
    yields the same ids and :func:`enrol` refuses the duplicate.
    """
    trigger = journey.trigger
    if not isinstance(trigger, DateTrigger):
        return []
    tz, _ = person_zone(person.timezone, journey.timezone)
    found = []
    for important in person.dates:
        if important.kind != trigger.date:
            continue
        if trigger.label is not None and important.label != trigger.label:
            continue
        years = range(after.astimezone(tz).year - 1, until.astimezone(tz).year + 2)
        if important.recurrence == "once":
            years = range(important.year, important.year + 1) if important.year else range(0)
        for year in years:
            day = anniversary_in_year(important.month, important.day, year)
            local = datetime.combine(day + trigger.offset, trigger.at, tzinfo=tz)
            instant = local.astimezone(UTC)
            if not after < instant <= until:
                continue
            payload: dict[str, Any] = {
                "journey": journey.key,
                "kind": important.kind,
                "label": important.label,
                "date": day.isoformat(),
            }
            if important.year is not None:
                payload["years"] = year - important.year
            ident = (
                f"date:{journey.key}:{person.person_id}:{important.kind}:{important.label}:{day}"
            )
            found.append(Event(DATE_EVENT, instant, payload, ident))
    return sorted(found, key=lambda e: (e.occurred_at, str(e.id)))


__all__ = [
    "DATE_EVENT",
    "MANUAL_EVENT",
    "due_date_events",
    "enrol",
    "holdout_bucket",
    "match_trigger",
    "trigger_kind",
]
