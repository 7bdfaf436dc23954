"""`goodwill deliveries`: the delivery ledger, one line per message (``--history``: per attempt);
`goodwill deliveries requeue`: try parked, failed or suppressed messages again."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table

from goodwill.cli.app import app
from goodwill.cli.output import console, print_json
from goodwill.cli.runtime import (
    JsonOption,
    WorkspaceOption,
    current_user,
    open_engine,
    workspace_transaction,
)
from goodwill.deliveries.models import LedgerEntry
from goodwill.deliveries.service import REQUEUEABLE, STATUSES, Requeued, list_deliveries, requeue
from goodwill.kit.clock import utcnow
from goodwill.people import service as people


def format_deliveries(entries: list[LedgerEntry], *, history: bool) -> Table:
    what = "Delivery attempts" if history else "Deliveries"
    table = Table(title=f"{what} ({len(entries)})")
    table.add_column("when", no_wrap=True)
    table.add_column("person", no_wrap=True, justify="right")
    table.add_column("channel", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("try" if history else "tries", no_wrap=True, justify="right")
    table.add_column("reason", overflow="fold", ratio=1)
    for e in entries:
        when = e.occurred_at or e.created_at
        table.add_row(
            f"{when:%m-%d %H:%M}",
            str(e.person_id),
            e.channel or e.action,
            e.status,
            str(e.attempt if history else e.attempts),
            e.reason,
        )
    table.caption = "--json shows the message keys, Message-IDs and times in full"
    return table


def _entry_dict(e: LedgerEntry) -> dict[str, Any]:
    return asdict(e)


deliveries_app = typer.Typer(
    help="The delivery ledger: what happened to each message, and why (newest first).",
    invoke_without_command=True,
)
app.add_typer(deliveries_app, name="deliveries")


@deliveries_app.callback()
def deliveries(
    ctx: typer.Context,
    person: Annotated[str, typer.Option(help="Only this person (email, phone or id).")] = "",
    status: Annotated[str, typer.Option(help=f"Only this status: {', '.join(STATUSES)}.")] = "",
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    history: Annotated[
        bool, typer.Option("--history", help="Every attempt, not only the latest per message.")
    ] = False,
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """The delivery ledger: what happened to each message, and why (newest first)."""
    if ctx.invoked_subcommand is not None:
        return
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = people.resolve(conn, ws, person) if person else None
        entries = list_deliveries(
            conn, ws, person_id=pid, status=status or None, limit=limit, history=history
        )
    if json_out:
        print_json([_entry_dict(e) for e in entries])
    else:
        console.print(format_deliveries(entries, history=history))


def format_requeued(done: list[Requeued], *, dry_run: bool) -> Table:
    what = "Would requeue" if dry_run else "Requeued"
    table = Table(title=f"{what} ({len(done)})")
    for col in ("message", "person", "channel", "was", "last reason"):
        table.add_column(col, overflow="fold")
    for r in done:
        table.add_row(r.idempotency_key, str(r.person_id), r.channel, r.was, r.last_reason)
    return table


@deliveries_app.command("requeue")
def requeue_command(
    keys: Annotated[
        list[str] | None, typer.Argument(help="Message keys (see `goodwill deliveries --json`).")
    ] = None,
    status: Annotated[
        str, typer.Option(help=f"Every message now in this state: {', '.join(REQUEUEABLE)}.")
    ] = "",
    person: Annotated[str, typer.Option(help="Only this person's (email, phone or id).")] = "",
    note: Annotated[str, typer.Option(help="Why, for the ledger.")] = "",
    limit: Annotated[int, typer.Option(min=1, max=1_000_000)] = 10_000,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be requeued; change nothing.")
    ] = False,
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Try parked, failed or suppressed messages again, once the cause is fixed.

    Consent, preferences, budget and quiet hours are checked again at send time; a sent message
    is never requeued."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = people.resolve(conn, ws, person) if person else None
        done = requeue(
            conn,
            ws,
            keys=keys or [],
            status=status or None,
            person_id=pid,
            now=utcnow(),
            by=current_user(),
            note=note,
            limit=limit,
            dry_run=dry_run,
        )
    if json_out:
        print_json({"dry_run": dry_run, "requeued": [asdict(r) for r in done]})
    else:
        console.print(format_requeued(done, dry_run=dry_run))
        if done and not dry_run:
            console.print("The worker sends them on its next pass (`goodwill worker --once`).")
