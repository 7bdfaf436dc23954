"""Handing a composed message to its channel and recording what happened.

* Email through :class:`~goodwill.channels.email.SmtpEmailChannel`: exactly once, with the
  commit placed before SMTP's final dot (:mod:`goodwill.worker.commit`).
* SMS, webhook (HTTP) and postal: at least once.  The provider is called first and the outcome
  committed after; a worker killed in between sends again on the next lease, with the same
  ``Idempotency-Key`` header (HTTP) or the same batch key (postal, which skips keys already
  written), so receivers that honour the key see it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from goodwill.channels.base import Channel, DeliveryResult, DeliveryStatus, OutboundMessage
from goodwill.channels.email import SmtpEmailChannel
from goodwill.worker.commit import CommitFailed, EmailCommit, GroupCommit
from goodwill.worker.facts import PersonFacts
from goodwill.worker.facts_repository import FactsRepository
from goodwill.worker.models import ClaimedRow, LedgerStatus
from goodwill.worker.outcomes import Recorder, record_timeline_sent, sent_key
from goodwill.worker.repository import GroupRepository, OutboxRepository, SentGroupItem

CONSENT_CHANGED = "consent changed while sending: checked again on the next pass"
LOST_RACE = "another worker owns this message now"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message ready to go: the row, the composed message, the person's facts, the
    guardrails' sentence (kept in the ledger) and the timeline payload."""

    row: ClaimedRow
    message: OutboundMessage
    facts: PersonFacts
    reason: str
    timeline: dict[str, Any]


def _sent_reason(decision_reason: str, result: DeliveryResult) -> str:
    why = decision_reason.removeprefix("send: ")
    return f"{result.reason}; {why}" if why else result.reason


def unreachable(result: DeliveryResult) -> bool:
    """The server could not be reached at all (no SMTP reply; callers ask only about messages
    that were not committed): the next messages of this pass would only wait for the same
    timeout."""
    return result.status is DeliveryStatus.TRANSIENT and result.code is None


def _sent_to_server(delivery: Delivery) -> str:
    why = delivery.reason.removeprefix("send: ")
    return f"sent to the SMTP server; {why}" if why else "sent to the SMTP server"


def send_email(
    channel: SmtpEmailChannel, delivery: Delivery, recorder: Recorder
) -> DeliveryResult | None:
    """Send with the commit point before the final dot; the outcome is recorded here.  Returns
    the channel's result when the server could not be reached (see :func:`unreachable`), so
    the caller can spare the rest of the batch the same wait; ``None`` otherwise."""
    row, facts = delivery.row, delivery.facts
    ws, me = recorder.ws, recorder.me
    reason = _sent_to_server(delivery)

    def record(conn: Connection, message_id: str, at: datetime) -> str | None:
        repo = OutboxRepository(conn, ws)
        marked = repo.mark_sent_if_consent_unchanged(
            row.id,
            me,
            person_id=facts.person_id,
            consent_events=facts.consent_count,
            message_id=message_id,
            reason=reason,
            now=at,
        )
        if not marked:
            consents = FactsRepository(conn, ws).consent_event_count(facts.person_id)
            return CONSENT_CHANGED if consents != facts.consent_count else LOST_RACE
        repo.record(row, LedgerStatus.SENT, reason=reason, at=at, message_id=message_id)
        payload = {**delivery.timeline, "message_id": message_id}
        record_timeline_sent(conn, ws, row, person_id=facts.person_id, at=at, payload=payload)
        return None

    hook = EmailCommit(recorder.conn, record, lambda: recorder.now)
    result: DeliveryResult | None = None
    try:
        result = channel.send(delivery.message, commit=hook, on_dot=hook.dot_written)
    finally:
        try:
            hook.settle()
        except CommitFailed:
            if result is None or not result.ok:
                raise
            # The server has the message; the database did not confirm the commit.
            _re_record_sent(delivery, recorder, reason, result)
            return None
    if hook.committed:
        if result.ok:
            recorder.stats.count(LedgerStatus.SENT)
            facts.note_sent(recorder.now, row.priority)
        else:
            recorder.attempt_failed(row, result, committed=True)
        return None
    if hook.declined == CONSENT_CHANGED:
        recorder.release([row.id])
        return None
    if hook.declined is not None:
        recorder.stats.lost_race += 1
        return None
    _not_sent(row, result, recorder)
    return result if unreachable(result) else None


def send_email_group(
    channel: SmtpEmailChannel, deliveries: list[Delivery], recorder: Recorder
) -> DeliveryResult | None:
    """Send several emails with one commit before their final dots
    (:meth:`SmtpEmailChannel.send_group`, :class:`~goodwill.worker.commit.GroupCommit`) and
    record each one's outcome as :func:`send_email` does for one.  Returns a result when the
    server could not be reached (see :func:`unreachable`), ``None`` otherwise."""
    ws, me = recorder.ws, recorder.me

    def record(conn: Connection, items: list[tuple[int, str]], at: datetime) -> list[str | None]:
        group = [
            SentGroupItem(
                deliveries[i].row,
                person_id=deliveries[i].facts.person_id,
                consent_events=deliveries[i].facts.consent_count,
                message_id=mid,
                reason=_sent_to_server(deliveries[i]),
                timeline={**deliveries[i].timeline, "message_id": mid},
            )
            for i, mid in items
        ]
        repo = GroupRepository(conn, ws)
        marked, written = repo.write_sent(me, group, [sent_key(i.row) for i in group], at)
        answers: list[str | None] = []
        for item in group:
            if item.row.id in marked:
                answers.append(None)
                continue
            consents = FactsRepository(conn, ws).consent_event_count(item.person_id)
            answers.append(CONSENT_CHANGED if consents != item.consent_events else LOST_RACE)
        going = [item for item in group if item.row.id in marked]
        for item in going:  # an earlier committed attempt holds the key: see record_timeline_sent
            if sent_key(item.row) not in written:
                record_timeline_sent(
                    conn, ws, item.row, person_id=item.person_id, at=at, payload=item.timeline
                )
        return answers

    hook = GroupCommit(recorder.conn, record, lambda: recorder.now)
    results: list[DeliveryResult] | None = None
    commit_failed = False
    try:
        results = channel.send_group(
            [d.message for d in deliveries], commit=hook, on_dot=hook.dot_written
        )
    finally:
        try:
            hook.settle()
        except CommitFailed:
            if results is None:
                raise
            commit_failed = True
    down: DeliveryResult | None = None
    for i, (delivery, result) in enumerate(zip(deliveries, results, strict=True)):
        row, facts = delivery.row, delivery.facts
        if commit_failed and i in hook.accepted:
            # The server may have the message; the database did not confirm the commit.
            if result.ok:
                _re_record_sent(delivery, recorder, _sent_to_server(delivery), result)
            else:
                _not_sent(row, result, recorder)
            continue
        if i in hook.accepted:
            if result.ok:
                recorder.stats.count(LedgerStatus.SENT)
                facts.note_sent(recorder.now, row.priority)
            else:
                recorder.attempt_failed(row, result, committed=True)
            continue
        declined = hook.declined.get(i)
        if declined == CONSENT_CHANGED:
            recorder.release([row.id])
            continue
        if declined is not None:
            recorder.stats.lost_race += 1
            continue
        _not_sent(row, result, recorder)
        if down is None and unreachable(result):
            down = result
    return down


def _re_record_sent(
    delivery: Delivery, recorder: Recorder, reason: str, result: DeliveryResult
) -> LedgerStatus | None:
    done = recorder.sent(
        delivery.row, result, reason, timeline=(delivery.facts.person_id, delivery.timeline)
    )
    if done:
        delivery.facts.note_sent(recorder.now, delivery.row.priority)
        return LedgerStatus.SENT
    return None


def _not_sent(row: ClaimedRow, result: DeliveryResult, recorder: Recorder) -> LedgerStatus | None:
    if result.status is DeliveryStatus.NOT_CONFIGURED:
        return LedgerStatus.SUPPRESSED if recorder.suppress(row, result.reason) else None
    if recorder.attempt_failed(row, result):
        return (
            LedgerStatus.PARKED
            if result.status is DeliveryStatus.PERMANENT
            else LedgerStatus.FAILED
        )
    return None


def send_at_least_once(
    channel: Channel, delivery: Delivery, recorder: Recorder, *, timeline: bool = True
) -> LedgerStatus | None:
    """Call the provider, then commit what happened."""
    row = delivery.row
    result = channel.send(delivery.message)
    if not result.ok:
        return _not_sent(row, result, recorder)
    reason = _sent_reason(delivery.reason, result)
    person = (delivery.facts.person_id, {**delivery.timeline, "provider_id": result.provider_id})
    if recorder.sent(row, result, reason, timeline=person if timeline else None):
        delivery.facts.note_sent(recorder.now, row.priority)
        return LedgerStatus.QUEUED if result.status is DeliveryStatus.BATCHED else LedgerStatus.SENT
    return None
