"""`goodwill deliveries`: the delivery ledger, one line per message (``--history``: per attempt)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table

from goodwill.cli.app import app
from goodwill.cli.output import console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.deliveries.models import LedgerEntry
from goodwill.deliveries.service import STATUSES, list_deliveries
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


@app.command()
def deliveries(
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
