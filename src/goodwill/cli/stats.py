"""`goodwill stats`: how many of each kind of record a workspace holds."""

from __future__ import annotations

from rich.table import Table

from goodwill.cli.app import app
from goodwill.cli.output import console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.stats.service import count_records


def format_stats(counts: dict[str, int], workspace: str) -> Table:
    table = Table(title=f"Records in workspace {workspace}")
    table.add_column("kind")
    table.add_column("count", justify="right")
    for kind, n in counts.items():
        table.add_row(kind, f"{n:,}")
    return table


@app.command()
def stats(workspace: WorkspaceOption = "default", json_out: JsonOption = False) -> None:
    """Counts per kind of record."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        counts = count_records(conn, ws)
    if json_out:
        print_json({"workspace": ws.name, "counts": counts})
    else:
        console.print(format_stats(counts, ws.name))
