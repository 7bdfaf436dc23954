"""Creating, listing and completing human follow-ups.  Each lands on the person's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from goodwill.errors import Conflict, NotFound
from goodwill.kit.clock import as_utc, utcnow
from goodwill.tasks.models import Task, TaskStatus
from goodwill.tasks.repository import TaskRepository
from goodwill.timeline.models import Kind, idempotency_key
from goodwill.timeline.service import append
from goodwill.workspaces.service import Workspace


class TaskNotFound(NotFound):
    code = "tasks.not_found"


class TaskClosed(Conflict):
    code = "tasks.closed"


def create_task(
    conn: Connection,
    workspace: Workspace,
    *,
    title: str,
    body: str = "",
    due_at: datetime | None = None,
    assignee: str | None = None,
    person_id: int | None = None,
    account_id: int | None = None,
    order_id: int | None = None,
    source: str = "goodwill",
    key: str | None = None,
    now: datetime | None = None,
) -> int | None:
    """Create a task (idempotent on ``key``); returns its id, or None if ``key`` was used before."""
    when = now or utcnow()
    task_id = TaskRepository(conn, workspace).insert(
        {
            "title": title,
            "body": body,
            "due_at": due_at,
            "assignee": assignee,
            "status": TaskStatus.OPEN,
            "person_id": person_id,
            "account_id": account_id,
            "order_id": order_id,
            "source": source,
            "idempotency_key": key,
            "created_at": when,
        }
    )
    if task_id is not None and person_id is not None:
        append(
            conn,
            workspace,
            person_id=person_id,
            kind=Kind.TASK_CREATED,
            occurred_at=when,
            key=idempotency_key("goodwill", "task", task_id, "created"),
            actor=source,
            payload={"task_id": task_id, "title": title, "assignee": assignee},
            account_id=account_id,
            order_id=order_id,
        )
    return task_id


def _to_task(row: Any) -> Task:
    r = row  # a Row with the task columns plus the person's name
    first = getattr(r, "first_name", None)
    last = getattr(r, "last_name", None)
    name = " ".join(p for p in (first, last) if p) or None
    due = r.due_at
    done = r.completed_at
    return Task(
        id=int(r.id),
        title=r.title,
        body=r.body,
        due_at=None if due is None else as_utc(due),
        assignee=r.assignee,
        status=r.status,
        person_id=r.person_id,
        person_name=name,
        account_id=r.account_id,
        order_id=r.order_id,
        source=r.source,
        created_at=as_utc(r.created_at),
        completed_at=None if done is None else as_utc(done),
    )


def list_tasks(
    conn: Connection,
    workspace: Workspace,
    *,
    status: str | None = "open",
    assignee: str | None = None,
    limit: int = 100,
) -> list[Task]:
    return [
        _to_task(r)
        for r in TaskRepository(conn, workspace).list(status=status, assignee=assignee, limit=limit)
    ]


def complete_task(
    conn: Connection,
    workspace: Workspace,
    task_id: int,
    *,
    actor: str = "",
    now: datetime | None = None,
) -> Task:
    repo = TaskRepository(conn, workspace)
    row = repo.get(task_id)
    if row is None:
        raise TaskNotFound(f"no task {task_id} in workspace {workspace.name!r}")
    if row.status != TaskStatus.OPEN:
        raise TaskClosed(f"task {task_id} is already {row.status}")
    when = now or utcnow()
    repo.set_status(task_id, TaskStatus.DONE, when)
    if row.person_id is not None:
        append(
            conn,
            workspace,
            person_id=int(row.person_id),
            kind=Kind.TASK_COMPLETED,
            occurred_at=when,
            key=idempotency_key("goodwill", "task", task_id, "completed"),
            actor=actor,
            payload={"task_id": task_id, "title": row.title},
        )
    updated = repo.get(task_id)
    return _to_task(updated)
