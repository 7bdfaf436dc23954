"""`goodwill tasks`: human follow-ups (list, add, done)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from goodwill.cli.app import app
from goodwill.cli.output import console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.errors import InvalidInput
from goodwill.kit.clock import utcnow
from goodwill.people import service as people
from goodwill.tasks import service
from goodwill.tasks.models import Task

tasks_app = typer.Typer(
    help="Human follow-ups: calls, check-ins, win-backs.", invoke_without_command=True
)
app.add_typer(tasks_app, name="tasks")


def format_tasks(tasks: list[Task]) -> Table:
    table = Table(title=f"Tasks ({len(tasks)})")
    for col in ("id", "due", "assignee", "task", "who", "status"):
        table.add_column(col)
    for t in tasks:
        due = f"{t.due_at:%Y-%m-%d}" if t.due_at else "-"
        who = f"{t.person_name or ''} ({t.person_id})" if t.person_id else "-"
        table.add_row(str(t.id), due, t.assignee or "-", t.title, who, t.status)
    return table


def _task_dict(t: Task) -> dict[str, object]:
    return {
        "id": t.id,
        "title": t.title,
        "body": t.body,
        "due_at": t.due_at,
        "assignee": t.assignee,
        "status": t.status,
        "person_id": t.person_id,
        "person_name": t.person_name,
        "account_id": t.account_id,
        "order_id": t.order_id,
        "source": t.source,
        "created_at": t.created_at,
        "completed_at": t.completed_at,
    }


@tasks_app.callback()
def list_tasks(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="open, done, cancelled or all")] = "open",
    assignee: Annotated[str, typer.Option(help="Only this assignee's tasks.")] = "",
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """List tasks (open ones by default, soonest due first)."""
    if ctx.invoked_subcommand is not None:
        return
    if status not in ("open", "done", "cancelled", "all"):
        raise InvalidInput(f"--status must be open, done, cancelled or all, not {status!r}")
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        tasks = service.list_tasks(
            conn,
            ws,
            status=None if status == "all" else status,
            assignee=assignee or None,
            limit=limit,
        )
    if json_out:
        print_json([_task_dict(t) for t in tasks])
    else:
        console.print(format_tasks(tasks))


@tasks_app.command("add")
def add(
    title: str,
    person: Annotated[str, typer.Option(help="Who it is about (email, phone or id).")] = "",
    assignee: Annotated[str, typer.Option(help="Who should do it.")] = "",
    due_in_days: Annotated[int, typer.Option(min=0)] = 1,
    workspace: WorkspaceOption = "default",
) -> None:
    """Create a human follow-up."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = people.resolve(conn, ws, person) if person else None
        due: datetime = utcnow() + timedelta(days=due_in_days)
        task_id = service.create_task(
            conn,
            ws,
            title=title,
            due_at=due,
            assignee=assignee or None,
            person_id=pid,
            source="staff",
        )
    console.print(f"task {task_id} created")


@tasks_app.command("done")
def done(
    task_id: int, workspace: WorkspaceOption = "default", json_out: JsonOption = False
) -> None:
    """Mark a task as done (it lands on the person's timeline)."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        task = service.complete_task(conn, ws, task_id)
    if json_out:
        print_json(_task_dict(task))
    else:
        console.print(f"task {task.id} done")
