"""Postal batches on disk and the pure planning of human tasks."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from goodwill.channels.base import DeliveryStatus, OutboundMessage
from goodwill.channels.postal import CSV_COLUMNS, PostalBatchChannel
from goodwill.channels.task import TaskOwners, plan_task, resolve_assignee
from goodwill.messaging.vocabulary import ChannelKind, Purpose

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def note(
    key: str = "j:birthday:p1:2026",
    name: str = "Ana Silva",
    lines: tuple[str, ...] = ("Rua das Flores 12", "1200-195 Lisboa", "Portugal"),
    text: str = "Dear Ana,\n\nHappy birthday! <3 & more\n\nWarm wishes,\nCasa Verde",
) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        workspace_id="ws1",
        person_id="p1",
        channel=ChannelKind.POSTAL,
        purpose=Purpose.MARKETING,
        to_name=name,
        address_lines=lines,
        text=text,
        template="birthday",
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_notes_are_written_to_todays_batch(tmp_path: Path) -> None:
    channel = PostalBatchChannel(tmp_path, clock=lambda: NOW)
    first = channel.send(note())
    second = channel.send(
        note(key="j:birthday:p2:2026", name="Bo Chen", lines=("1 Main St", "Springfield"))
    )
    assert first.status is DeliveryStatus.BATCHED and first.ok
    batch = tmp_path / "postal-2026-03-03"
    assert first.provider_id == second.provider_id == str(batch / "notes.csv")
    rows = read_rows(batch / "notes.csv")
    assert list(rows[0]) == CSV_COLUMNS
    assert rows[0]["recipient_name"] == "Ana Silva"
    assert [rows[0][f"address_line_{i}"] for i in (1, 2, 3, 4)] == [
        "Rua das Flores 12",
        "1200-195 Lisboa",
        "Portugal",
        "",
    ]
    assert rows[0]["message"].startswith("Dear Ana,\n\nHappy birthday!")
    assert rows[1]["idempotency_key"] == "j:birthday:p2:2026"
    page = (batch / "notes.html").read_text(encoding="utf-8")
    assert page.count('<section class="note">') == 2
    assert "Happy birthday! &lt;3 &amp; more" in page
    assert "@page" in page and "break-after: page" in page and "cursive" in page
    assert not re.search(r"https?://|@import|url\(", page), "no web fonts or remote assets"


def test_resending_a_key_does_not_duplicate_even_on_another_day(tmp_path: Path) -> None:
    PostalBatchChannel(tmp_path, clock=lambda: NOW).send(note())
    tomorrow = PostalBatchChannel(tmp_path, clock=lambda: NOW + timedelta(days=1))
    again = tomorrow.send(note())
    assert again.status is DeliveryStatus.BATCHED
    assert again.provider_id == str(tmp_path / "postal-2026-03-03" / "notes.csv")
    assert "already in batch" in again.reason
    assert not (tmp_path / "postal-2026-03-04").exists()
    assert len(read_rows(tmp_path / "postal-2026-03-03" / "notes.csv")) == 1


def test_formula_like_cells_are_neutralised(tmp_path: Path) -> None:
    channel = PostalBatchChannel(tmp_path, clock=lambda: NOW)
    channel.send(note(name='=HYPERLINK("x")', text="+1 thanks"))
    [row] = read_rows(tmp_path / "postal-2026-03-03" / "notes.csv")
    assert row["recipient_name"].startswith("'=")
    assert row["message"] == "'+1 thanks"


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"name": " "}, "needs a name and an address"),
        ({"lines": ()}, "needs a name and an address"),
        ({"lines": tuple(f"line {i}" for i in range(7))}, "at most 6"),
        ({"text": "  "}, "no message"),
    ],
)
def test_unusable_notes_are_permanent(
    tmp_path: Path, kwargs: dict[str, object], problem: str
) -> None:
    result = PostalBatchChannel(tmp_path, clock=lambda: NOW).send(note(**kwargs))  # type: ignore[arg-type]
    assert result.status is DeliveryStatus.PERMANENT and problem in result.reason


def test_unwritable_directory_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = PostalBatchChannel(blocker / "batches", clock=lambda: NOW).send(note())
    assert result.status is DeliveryStatus.TRANSIENT


def task_message(subject: str = "Check in with Ana Silva about order #1042") -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="j:checkin:p1:o1042",
        workspace_id="ws1",
        person_id="p1",
        channel=ChannelKind.TASK,
        purpose=Purpose.TRANSACTIONAL,
        subject=subject,
        text="Ana Silva recently received order #1042.\n",
        template="post_order_checkin",
    )


def test_assignee_prefers_account_owner_then_customer_owner_then_queue() -> None:
    both = resolve_assignee(TaskOwners(account_owner="rita", customer_owner="joao"))
    assert (both.name, both.kind, both.source) == ("rita", "user", "account_owner")
    assert resolve_assignee(TaskOwners(account_owner="  ", customer_owner="joao")).name == "joao"
    queue = resolve_assignee(TaskOwners(default_queue="care"))
    assert (queue.name, queue.kind) == ("care", "queue")
    assert "default queue" in queue.because
    with pytest.raises(ValueError):
        resolve_assignee(TaskOwners(default_queue=" "))


def test_plan_task_fields_and_due_date_off_weekends() -> None:
    fields = plan_task(task_message(), TaskOwners(customer_owner="joao"), now=NOW)
    assert fields.title == "Check in with Ana Silva about order #1042"
    assert fields.body == "Ana Silva recently received order #1042."
    assert fields.assignee.name == "joao"
    assert fields.due_at == NOW + timedelta(days=2)  # Thursday
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    assert plan_task(task_message(), TaskOwners(), now=friday).due_at == datetime(
        2026, 3, 9, 16, 0, tzinfo=UTC
    )
    from_journey = plan_task(
        task_message(),
        TaskOwners(),
        now=NOW,
        title="30-day check-in on order #1042",
        due_at=datetime(2026, 3, 7, 9, 0, tzinfo=UTC),  # a Saturday
    )
    assert from_journey.title == "30-day check-in on order #1042"
    assert from_journey.due_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    long_title = plan_task(task_message("x" * 500), TaskOwners(), now=NOW).title
    assert len(long_title) == 200 and long_title.endswith("…")
    with pytest.raises(ValueError):
        plan_task(note(), TaskOwners(), now=NOW)
