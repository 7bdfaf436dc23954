"""Recording outcomes: each is one transaction that moves the outbox row (conditionally, see
:mod:`goodwill.worker.repository`) and appends its ledger entry, committed here.

This module is part of the dispatcher's unit-of-work edge: every public method begins and
commits its own transaction on the dispatcher's connection and returns whether this worker
still owned the row (``False``: another worker took it over; nothing was written).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from goodwill.channels.base import DeliveryResult, DeliveryStatus
from goodwill.channels.retry import RetryPolicy, next_attempt
from goodwill.timeline.models import Kind
from goodwill.worker.models import ClaimedRow, DispatchStats, LedgerStatus, OutboxStatus
from goodwill.worker.repository import OutboxRepository
from goodwill.workspaces.service import Workspace


def sent_key(row: ClaimedRow) -> str:
    return f"outbox:{row.idempotency_key}:sent"


def record_timeline_sent(
    conn: Connection,
    workspace: Workspace,
    row: ClaimedRow,
    *,
    person_id: int,
    at: datetime,
    payload: dict[str, Any],
) -> None:
    """The person's ``message.sent`` interaction (``outbox:<key>:sent``).  If that key exists
    (an earlier committed attempt was refused by the server after the dot) the attempt number
    is added, so a later success still shows on the timeline."""
    repo = OutboxRepository(conn, workspace)
    for key in (sent_key(row), f"{sent_key(row)}:{row.attempt}"):
        written = repo.add_interaction(
            {
                "person_id": person_id,
                "occurred_at": at,
                "kind": Kind.MESSAGE_SENT.value,
                "channel": row.channel,
                "actor": "worker",
                "source": "goodwill",
                "payload": payload,
                "idempotency_key": key,
                "account_id": None,
                "order_id": None,
                "recorded_at": at,
            }
        )
        if written:
            return


class Recorder:
    """Writes outcomes for one workspace on the dispatcher's connection."""

    def __init__(
        self,
        conn: Connection,
        workspace: Workspace,
        *,
        worker_id: str,
        now: datetime,
        stats: DispatchStats,
        retry: RetryPolicy,
    ) -> None:
        self.conn = conn
        self.ws = workspace
        self.me = worker_id
        self.now = now
        self.stats = stats
        self.retry = retry

    def _tx(self, work: Callable[[OutboxRepository], bool]) -> bool:
        with self.conn.begin() as trans:
            done = work(OutboxRepository(self.conn, self.ws))
            if not done:
                trans.rollback()
                self.stats.lost_race += 1
        return done

    def final(
        self,
        row: ClaimedRow,
        status: OutboxStatus,
        ledger: LedgerStatus,
        reason: str,
        *,
        extra: Callable[[Connection], None] | None = None,
        message_id: str | None = None,
    ) -> bool:
        """A terminal state (done, suppressed, failed, parked), its ledger entry, and any
        ``extra`` writes (the task row, the tags) in the same transaction."""

        def work(repo: OutboxRepository) -> bool:
            if not repo.finish(row.id, self.me, status, reason=reason, now=self.now):
                return False
            if extra is not None:
                extra(self.conn)
            attempt = row.attempts if status is OutboxStatus.SUPPRESSED else row.attempt
            repo.record(
                row, ledger, reason=reason, at=self.now, attempt=attempt, message_id=message_id
            )
            return True

        done = self._tx(work)
        if done:
            self.stats.count(ledger)
        return done

    def suppress(self, row: ClaimedRow, reason: str) -> bool:
        return self.final(row, OutboxStatus.SUPPRESSED, LedgerStatus.SUPPRESSED, reason)

    def fail(self, row: ClaimedRow, reason: str) -> bool:
        """The message cannot be composed from the record (not retried)."""
        return self.final(row, OutboxStatus.FAILED, LedgerStatus.FAILED, reason)

    def defer(self, row: ClaimedRow, until: datetime, reason: str) -> bool:
        def work(repo: OutboxRepository) -> bool:
            ok = repo.reschedule(
                row.id,
                self.me,
                available_at=until,
                reason=reason,
                now=self.now,
                failed_attempt=False,
            )
            if ok:
                repo.record(
                    row, LedgerStatus.DEFERRED, reason=reason, at=self.now, attempt=row.attempts
                )
            return ok

        done = self._tx(work)
        if done:
            self.stats.count(LedgerStatus.DEFERRED)
        return done

    def sent(
        self,
        row: ClaimedRow,
        result: DeliveryResult,
        reason: str,
        *,
        timeline: tuple[int, dict[str, Any]] | None,
    ) -> bool:
        """A send that went out before this commit (HTTP channels, postal: at least once).
        ``timeline`` is ``(person_id, payload)`` for the ``message.sent`` interaction."""
        ledger = (
            LedgerStatus.QUEUED if result.status is DeliveryStatus.BATCHED else LedgerStatus.SENT
        )

        def work(repo: OutboxRepository) -> bool:
            ok = repo.mark_sent(
                row.id, self.me, message_id=result.provider_id, reason=reason, now=self.now
            )
            if not ok:
                return False
            repo.record(row, ledger, reason=reason, at=self.now, message_id=result.provider_id)
            if timeline is not None:
                person_id, payload = timeline
                record_timeline_sent(
                    self.conn, self.ws, row, person_id=person_id, at=self.now, payload=payload
                )
            return True

        done = self._tx(work)
        if done:
            self.stats.count(ledger)
        return done

    def attempt_failed(
        self, row: ClaimedRow, result: DeliveryResult, *, committed: bool = False
    ) -> bool:
        """A failed attempt: park it (permanent, or out of attempts) or retry with backoff.
        ``committed``: the send had been committed as sent (the server refused after the dot,
        or the connection broke before its answer), so the row is reverted from ``sent``."""
        plan = None
        if result.status is not DeliveryStatus.PERMANENT:
            plan = next_attempt(
                row.attempt, row.idempotency_key, policy=self.retry, retry_after=result.retry_after
            )
        if plan is None or plan.park:
            reason = result.reason if plan is None else f"{result.reason}; {plan.reason}"
            if not committed:
                return self.final(row, OutboxStatus.PARKED, LedgerStatus.PARKED, reason)

            def park(repo: OutboxRepository) -> bool:
                ok = repo.park_after_commit(row.id, self.me, reason=reason, now=self.now)
                if ok:
                    repo.record(row, LedgerStatus.PARKED, reason=reason, at=self.now)
                return ok

            done = self._tx(park)
            if done:
                self.stats.count(LedgerStatus.PARKED)
            return done
        delay: timedelta = plan.delay or timedelta(0)
        reason = f"{result.reason}; {plan.reason}"

        def retry(repo: OutboxRepository) -> bool:
            ok = repo.reschedule(
                row.id,
                self.me,
                available_at=self.now + delay,
                reason=reason,
                now=self.now,
                failed_attempt=True,
                from_status=OutboxStatus.SENT if committed else OutboxStatus.PENDING,
            )
            if ok:
                repo.record(row, LedgerStatus.FAILED, reason=reason, at=self.now)
            return ok

        done = self._tx(retry)
        if done:
            self.stats.count(LedgerStatus.FAILED)
        return done

    def release(self, row_ids: list[int]) -> None:
        """Give back leases of rows this pass will not handle (a stop was requested)."""
        if row_ids:
            with self.conn.begin():
                OutboxRepository(self.conn, self.ws).release(self.me, row_ids)
