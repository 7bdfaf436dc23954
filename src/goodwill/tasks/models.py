from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    title: str
    body: str
    due_at: datetime | None
    assignee: str | None
    status: str
    person_id: int | None
    person_name: str | None
    account_id: int | None
    order_id: int | None
    source: str
    created_at: datetime
    completed_at: datetime | None
