"""The dispatcher: one pass claims due outbox rows and acts on each, recording every outcome.

Transactions (the dispatcher is a unit-of-work edge; each numbered step commits on its own):

1. **claim**: lease up to ``limit`` due rows (``locked_by``/``locked_until``; PostgreSQL skips
   rows another worker is locking, SQLite serialises on its write lock);
2. **facts**: read the record for the whole batch (:func:`goodwill.worker.facts.load_facts`);
3. **per row**, one transaction for its outcome: suppressed / deferred / failed / parked /
   retry (:mod:`goodwill.worker.outcomes`), a task or tags with ``done``
   (:mod:`goodwill.worker.actions`), or the send.  Emails go out in groups of up to
   ``email_group``, each on its own SMTP connection, with one transaction for the group
   committed inside the SMTP exchanges, before the final dots (group commit,
   :class:`goodwill.worker.commit.GroupCommit`); other channels commit right after the provider
   answered (at least once, :mod:`goodwill.worker.sending`).

Guardrails are decided here, at send time, from facts read in step 2 (and consent is verified
again inside an email's commit).  A row for a person who has a message in the waiting group
sends the group first, so the guardrails see those sends.  One row's failure never touches
another's: each outcome is recorded for its own row (a group's commit only writes the rows it
matched), and an unexpected error on one row is recorded as a failed attempt of that row
(retried with backoff) before the pass moves on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from goodwill.channels.base import DeliveryResult, NotConfiguredChannel, OutboundMessage
from goodwill.channels.email import SmtpEmailChannel
from goodwill.channels.registry import ChannelRegistry
from goodwill.channels.retry import DEFAULT_RETRY, RetryPolicy
from goodwill.config import Settings
from goodwill.errors import GoodwillError
from goodwill.journeys.intents import (
    CallWebhook,
    CreateTask,
    RequestNps,
    RequestReview,
    SendMessage,
    Tag,
)
from goodwill.journeys.serialization import intent_from_dict
from goodwill.messaging.errors import TemplateInvalid, TemplateNotFound, TemplateVariableMissing
from goodwill.messaging.guardrails import (
    DEFAULT_POLICY,
    GuardrailPolicy,
    Outcome,
    SendRequest,
    decide,
)
from goodwill.messaging.vocabulary import ChannelKind, Priority, Purpose
from goodwill.worker.actions import apply_tags, write_task
from goodwill.worker.commit import checkpoint, configure_session, restore_session
from goodwill.worker.compose import Composer, compose_message, compose_task
from goodwill.worker.facts import PersonFacts, load_facts
from goodwill.worker.models import ClaimedRow, DispatchStats
from goodwill.worker.outcomes import Recorder
from goodwill.worker.repository import OutboxRepository
from goodwill.worker.sending import (
    Delivery,
    send_at_least_once,
    send_email,
    send_email_group,
)
from goodwill.workspaces.service import Workspace

log = logging.getLogger(__name__)

COMPOSE_ERRORS = (TemplateVariableMissing, TemplateNotFound, TemplateInvalid, ValueError)
_ADDRESS_WORDS = {"email": "email address", "sms": "mobile number", "postal": "postal address"}


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchConfig:
    """How a worker dispatches.  ``lease`` bounds how long a dead worker's rows wait before
    another worker may take them; it does not affect safety (see :mod:`worker.commit`)."""

    worker_id: str
    lease: timedelta = timedelta(seconds=60)
    retry: RetryPolicy = DEFAULT_RETRY
    policy: GuardrailPolicy = field(default_factory=lambda: DEFAULT_POLICY)
    brand: str = "Goodwill"
    public_url: str = "http://127.0.0.1:8000"
    signing_key: str = "change-me-in-production"
    default_queue: str = "customer-care"
    async_commit: bool = False
    #: Emails sent together with one commit before their final dots, each on its own SMTP
    #: connection (:func:`goodwill.worker.sending.send_email_group`); 1 sends one at a time.
    email_group: int = 32

    @classmethod
    def from_settings(cls, settings: Settings, *, worker_id: str, **over: Any) -> DispatchConfig:
        from goodwill.worker.policy import policy_from_settings

        values: dict[str, Any] = {
            "worker_id": worker_id,
            "policy": policy_from_settings(settings),
            "brand": settings.sender_name,
            "public_url": settings.public_url,
            "signing_key": settings.signing_key,
        }
        values.update(over)
        return cls(**values)


class Dispatcher:
    """Dispatches one workspace's outbox on one database connection (kept open between
    passes).  Not thread-safe: give each thread its own dispatcher and channel registry."""

    def __init__(
        self,
        engine: Engine,
        workspace: Workspace,
        registry: ChannelRegistry,
        config: DispatchConfig,
    ) -> None:
        self.ws = workspace
        self.registry = registry
        self.config = config
        self.composer = Composer(
            workspace_id=workspace.id,
            brand=config.brand,
            public_url=config.public_url,
            signing_key=config.signing_key,
            default_queue=config.default_queue,
        )
        self.conn = engine.connect()
        configure_session(self.conn, async_commit=config.async_commit, worker_id=config.worker_id)
        #: Channels found unreachable in the current pass (their other messages wait).
        self._down: dict[ChannelKind, DeliveryResult] = {}
        #: Emails composed and waiting to go out together (see ``DispatchConfig.email_group``).
        self._group: list[Delivery] = []
        self._group_people: set[int] = set()
        self._group_channel: SmtpEmailChannel | None = None

    def close(self) -> None:
        if not self.conn.closed:
            if self.conn.in_transaction():
                self.conn.rollback()
            restore_session(self.conn)
            self.conn.close()

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def run_pass(
        self, now: datetime, *, limit: int = 100, stop: Callable[[], bool] = lambda: False
    ) -> DispatchStats:
        """Claim up to ``limit`` due rows and handle each; ``stop()`` is asked between rows
        (rows not reached are given back)."""
        stats = DispatchStats()
        cfg = self.config
        with self.conn.begin():
            rows = OutboxRepository(self.conn, self.ws).claim(
                cfg.worker_id, now=now, limit=limit, lease=cfg.lease
            )
        stats.claimed = len(rows)
        if not rows:
            return stats
        with self.conn.begin():
            facts = load_facts(
                self.conn,
                self.ws,
                rows,
                now=now,
                window=cfg.policy.window,
                budgeted=cfg.policy.weekly_budget is not None,
            )
        self.handle(rows, facts, now, stop=stop, stats=stats)
        checkpoint(self.conn)
        return stats

    def handle(
        self,
        rows: list[ClaimedRow],
        facts: dict[int, PersonFacts],
        now: datetime,
        *,
        stop: Callable[[], bool] = lambda: False,
        stats: DispatchStats | None = None,
    ) -> DispatchStats:
        """Act on rows this worker claimed, higher priority first (step 3 of the module
        docstring)."""
        stats = stats if stats is not None else DispatchStats(claimed=len(rows))
        cfg = self.config
        self._down = {}
        recorder = Recorder(
            self.conn, self.ws, worker_id=cfg.worker_id, now=now, stats=stats, retry=cfg.retry
        )
        ordered = sorted(rows, key=lambda r: (-r.priority, r.available_at, r.id))
        try:
            for i, row in enumerate(ordered):
                if stop():
                    self._flush(recorder)
                    recorder.release([r.id for r in ordered[i:]])
                    break
                person = facts[row.person_id]
                if not self._group_people.isdisjoint((row.person_id, person.person_id)):
                    # The guardrails of this row must see the group's sends to the same person.
                    self._flush(recorder)
                self._one(row, person, recorder)
            self._flush(recorder)
        finally:  # an error that ends the pass leaves an unsent group to its leases
            self._group, self._group_people, self._group_channel = [], set(), None
        return stats

    def _flush(self, recorder: Recorder) -> None:
        """Send the waiting group of emails and record each one's outcome."""
        group, channel = self._group, self._group_channel
        self._group, self._group_people, self._group_channel = [], set(), None
        if not group or channel is None:
            return
        try:
            down = send_email_group(channel, group, recorder)
        except GoodwillError:
            raise
        except Exception as exc:  # a bug must not stall the batch: each row is retried
            log.exception("dispatching a group of %d emails failed", len(group))
            self._internal_error([d.row for d in group], ChannelKind.EMAIL, exc, recorder)
            return
        if down is not None:
            self._down[ChannelKind.EMAIL] = down

    # -- one row ---------------------------------------------------------------------------------

    def _one(self, row: ClaimedRow, facts: PersonFacts, recorder: Recorder) -> None:
        try:
            self._route(row, facts, recorder)
        except GoodwillError:
            raise
        except Exception as exc:  # one row's bug must not stall the batch
            log.exception("dispatching %s failed", row.idempotency_key)
            channel = (
                ChannelKind(row.channel) if row.channel in set(ChannelKind) else ChannelKind.TASK
            )
            self._internal_error([row], channel, exc, recorder)

    def _internal_error(
        self, rows: list[ClaimedRow], channel: ChannelKind, exc: Exception, recorder: Recorder
    ) -> None:
        """A bug while dispatching: roll back what it left open, retry each row later."""
        if self.conn.in_transaction():
            self.conn.rollback()
        result = DeliveryResult.transient(
            channel, f"internal error while dispatching: {type(exc).__name__}: {exc}"
        )
        for row in rows:
            recorder.attempt_failed(row, result)

    def _route(self, row: ClaimedRow, facts: PersonFacts, recorder: Recorder) -> None:
        try:
            intent = intent_from_dict(row.payload)
        except (KeyError, ValueError, TypeError) as exc:
            recorder.fail(row, f"the outbox payload cannot be read ({type(exc).__name__}: {exc})")
            return
        if not facts.exists:
            recorder.suppress(row, "suppressed: the person is no longer on record")
            return
        if isinstance(intent, Tag):
            apply_tags(row, intent, facts.person_id, recorder)
        elif isinstance(intent, CreateTask):
            self._task(row, intent, facts, recorder)
        elif isinstance(intent, CallWebhook):
            self._webhook(row, intent, facts, recorder)
        elif isinstance(intent, SendMessage | RequestReview | RequestNps):
            if intent.channel == ChannelKind.TASK:
                self._task(row, intent, facts, recorder)
            else:
                self._message(row, intent, facts, recorder)
        else:  # pragma: no cover - every intent kind is handled above
            recorder.fail(row, f"unknown action {row.action!r}")

    def _task(
        self,
        row: ClaimedRow,
        intent: CreateTask | SendMessage | RequestReview | RequestNps,
        facts: PersonFacts,
        recorder: Recorder,
    ) -> None:
        try:
            task = compose_task(
                intent, facts, self.composer, key=row.idempotency_key, now=recorder.now
            )
        except COMPOSE_ERRORS as exc:
            recorder.fail(row, str(exc))
            return
        write_task(row, task, facts.person_id, intent.journey_key, recorder)

    def _webhook(
        self, row: ClaimedRow, intent: CallWebhook, facts: PersonFacts, recorder: Recorder
    ) -> None:
        message = OutboundMessage(
            idempotency_key=row.idempotency_key,
            workspace_id=str(self.ws.id),
            person_id=str(facts.person_id),
            channel=ChannelKind.WEBHOOK,
            to=intent.url,
            subject=f"{intent.journey_key}/{intent.step_id}",
            payload=dict(intent.payload),
        )
        delivery = Delivery(row, message, facts, "webhook called", {})
        send_at_least_once(
            self.registry.get(ChannelKind.WEBHOOK), delivery, recorder, timeline=False
        )

    def _message(
        self,
        row: ClaimedRow,
        intent: SendMessage | RequestReview | RequestNps,
        facts: PersonFacts,
        recorder: Recorder,
    ) -> None:
        channel = ChannelKind(intent.channel)
        adapter = self.registry.get(channel)
        if isinstance(adapter, NotConfiguredChannel):
            recorder.suppress(row, f"suppressed: {adapter.reason}")
            facts.note_not_waiting(row.priority)
            return
        if facts.address(str(channel)) is None:
            recorder.suppress(row, f"suppressed: no {_ADDRESS_WORDS[str(channel)]} on record")
            facts.note_not_waiting(row.priority)
            return
        try:
            request = SendRequest(
                purpose=Purpose(intent.purpose), channel=channel, priority=Priority(row.priority)
            )
        except ValueError as exc:
            recorder.fail(row, f"the message cannot be checked: {exc}")
            return
        decision = decide(
            request,
            consents=facts.consents,
            preferences=facts.preferences(),
            history=facts.history(row.priority),
            now=recorder.now,
            policy=self.config.policy,
        )
        if decision.outcome is Outcome.SUPPRESSED:
            recorder.suppress(row, decision.reason)
            facts.note_not_waiting(row.priority)
            return
        if decision.outcome is Outcome.DEFERRED:
            assert decision.until is not None
            recorder.defer(row, decision.until, decision.reason)
            facts.note_not_waiting(row.priority)
            return
        try:
            message, _rendered = compose_message(
                intent, facts, self.composer, key=row.idempotency_key
            )
        except COMPOSE_ERRORS as exc:
            recorder.fail(row, str(exc))
            facts.note_not_waiting(row.priority)
            return
        timeline = {
            "template": intent.template,
            "journey": intent.journey_key,
            "journey_version": intent.journey_version,
            "step": intent.step_id,
            "outbox_key": row.idempotency_key,
            "purpose": str(intent.purpose),
            "subject": message.subject,
        }
        delivery = Delivery(row, message, facts, decision.reason, timeline)
        if isinstance(adapter, SmtpEmailChannel):
            down = self._down.get(channel)
            if down is not None:  # this pass already found the server unreachable
                recorder.attempt_failed(row, down)
                return
            if self.config.email_group > 1:
                self._group.append(delivery)
                self._group_people.update((row.person_id, facts.person_id))
                self._group_channel = adapter
                if len(self._group) >= self.config.email_group:
                    self._flush(recorder)
                return
            result = send_email(adapter, delivery, recorder)
            if result is not None:
                self._down[channel] = result
        else:
            send_at_least_once(adapter, delivery, recorder)


def dispatch(
    engine: Engine,
    workspace: Workspace,
    *,
    worker_id: str,
    now: datetime,
    limit: int,
    registry: ChannelRegistry,
    policy: GuardrailPolicy | None = None,
    config: DispatchConfig | None = None,
) -> DispatchStats:
    """One pass on a fresh connection (the worker loop keeps a :class:`Dispatcher` instead).
    ``policy`` overrides the configuration's guardrail policy."""
    cfg = config or DispatchConfig(worker_id=worker_id)
    if policy is not None:
        cfg = replace(cfg, policy=policy, worker_id=worker_id)
    with Dispatcher(engine, workspace, registry, cfg) as dispatcher:
        return dispatcher.run_pass(now, limit=limit)
