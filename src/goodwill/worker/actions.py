"""Internal actions: a task for a human, tags on the person.  Each is written in the same
transaction as the outbox row's move to ``done`` and its ledger entry (exactly once: the
conditional update and the task's idempotency key, the outbox key, make a replay write nothing).
"""

from __future__ import annotations

from sqlalchemy import Connection

from goodwill.channels.task import TaskFields
from goodwill.journeys.intents import Tag
from goodwill.tasks.service import create_task
from goodwill.worker.models import ClaimedRow, LedgerStatus, OutboxStatus
from goodwill.worker.outcomes import Recorder
from goodwill.worker.repository import OutboxRepository


def write_task(
    row: ClaimedRow, task: TaskFields, person_id: int, journey: str, recorder: Recorder
) -> bool:
    """Create the task (idempotent on the outbox key) and mark the row done."""
    created: list[int | None] = []

    def extra(conn: Connection) -> None:
        created.append(
            create_task(
                conn,
                recorder.ws,
                title=task.title,
                body=task.body,
                due_at=task.due_at,
                assignee=task.assignee.name,
                person_id=person_id,
                source=f"journey:{journey}" if journey else "goodwill",
                key=row.idempotency_key,
                now=recorder.now,
            )
        )

    who = f"{task.assignee.name} ({task.assignee.because})"
    reason = f"task created for {who}, due {task.due_at:%Y-%m-%d}: {task.title}"
    return recorder.final(row, OutboxStatus.DONE, LedgerStatus.SENT, reason, extra=extra)


def apply_tags(row: ClaimedRow, intent: Tag, person_id: int, recorder: Recorder) -> bool:
    """Add and remove tags (order kept, no duplicates) and mark the row done."""

    def extra(conn: Connection) -> None:
        repo = OutboxRepository(conn, recorder.ws)
        have = repo.person_tags(person_id) or []
        remove = {t.strip() for t in intent.remove if t.strip()}
        kept = [t for t in have if t not in remove]
        added = [t.strip() for t in intent.add if t.strip()]
        tags = list(dict.fromkeys([*kept, *added]))
        if tags != have:
            repo.set_tags(person_id, tags, recorder.now)

    return recorder.final(
        row, OutboxStatus.DONE, LedgerStatus.SENT, _tag_reason(intent), extra=extra
    )


def _tag_reason(intent: Tag) -> str:
    parts = []
    if intent.add:
        parts.append("add " + ", ".join(intent.add))
    if intent.remove:
        parts.append("remove " + ", ".join(intent.remove))
    return "tags: " + ("; ".join(parts) if parts else "nothing to change")
