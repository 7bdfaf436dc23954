"""`goodwill score`: compute every metric for a workspace and keep the day's snapshot."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table

from goodwill.cli.app import app
from goodwill.cli.output import console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.errors import InvalidInput
from goodwill.scoring.service import compute_scores


def parse_day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date: use YYYY-MM-DD") from None


def format_score_summary(summary: dict[str, Any]) -> RenderableType:
    model = summary["model"]
    lines: list[RenderableType] = [
        f"[bold]Scored {summary['customers']:,} customers[/bold] as of {summary['as_of']} ({summary['currency']})",
        f"relationship capital {summary['capital']} · health-weighted {summary['health_weighted_capital']}"
        f" · mean health {summary['mean_health']:.1f}",
        f"model {model['name']} ({model['status']}): "
        + ", ".join(f"{k}={v:.4g}" for k, v in model["params"].items())
        + f"; spend: {model['spend_model']}",
    ]
    for warning in model["warnings"]:
        lines.append(f"[yellow]note:[/yellow] {warning}")
    if summary["nps"]:
        n = summary["nps"]
        lines.append(
            f"NPS {n['nps']:+.0f} (95% CI {n['ci_low']:+.0f} to {n['ci_high']:+.0f}, {n['n']} answers)"
        )
    table = Table(title="Segments")
    table.add_column("segment")
    table.add_column("customers", justify="right")
    for name, count in summary["segments"].items():
        table.add_row(str(name), f"{count:,}")
    return Group(*lines, table)


@app.command()
def score(
    as_of: Annotated[
        str, typer.Option("--as-of", help="Score as of this day (YYYY-MM-DD); default now.")
    ] = "",
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Compute CLV, P(alive), RFM segments, engagement, depth and health; keep a dated snapshot."""
    day = parse_day(as_of) if as_of else None
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        summary = compute_scores(conn, ws, as_of=day)
    if json_out:
        print_json(summary)
    else:
        console.print(format_score_summary(summary))
