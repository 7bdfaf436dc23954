"""`goodwill report`: the relationship report in the terminal, as JSON, or as an HTML file."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group, RenderableType
from rich.table import Table

from goodwill.cli.app import app
from goodwill.cli.output import console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.errors import InvalidInput
from goodwill.scoring.report import Report, build_report
from goodwill.scoring.report_html import render_html


def format_report(r: Report) -> RenderableType:
    parts: list[RenderableType] = [
        f"[bold]Relationship report[/bold] · {r.workspace} · as of {r.as_of} · {r.customers:,} customers",
        f"relationship capital [bold]{r.capital}[/bold] (12-month CLV) · health-weighted {r.health_weighted_capital}"
        f" · mean health {r.mean_health}",
    ]
    if r.model.get("status") != "fitted" or r.model.get("warnings"):
        parts.append(
            f"[yellow]model {r.model.get('status')}:[/yellow] "
            + "; ".join(r.model.get("warnings", []))
        )
    if r.nps:
        parts.append(
            f"NPS {r.nps['nps']:+.0f} (95% CI {r.nps['ci_low']:+.0f} to {r.nps['ci_high']:+.0f}, {r.nps['n']} answers)"
        )
    quant = Table(title="CLV distribution (12 months)")
    for q in r.clv_quantiles:
        quant.add_column(f"p{round(float(q) * 100)}", justify="right")
    quant.add_row(*r.clv_quantiles.values())
    parts.append(quant)
    seg = Table(title="Segments")
    seg.add_column("segment")
    seg.add_column("customers", justify="right")
    for name, n in r.segments.items():
        seg.add_row(name.replace("_", " "), f"{n:,}")
    parts.append(seg)
    slip = Table(title="High-value customers slipping away")
    for col in ("customer", "CLV", "P(alive)", "health", "days since order"):
        slip.add_column(col)
    for s in r.slipping:
        slip.add_row(
            f"{s['name']} ({s['person_id']})",
            s["clv"],
            f"{s['p_alive']:.2f}",
            f"{s['health']:.0f}",
            str(s["days_since_last_order"]),
        )
    parts.append(slip if r.slipping else "No high-value customers slipping away right now.")
    if r.cohorts:
        cohort = Table(title="Retention cohorts (share buying again in month k)")
        cohort.add_column("cohort")
        cohort.add_column("size", justify="right")
        width = max(sum(1 for k in c if k.startswith("period_")) for c in r.cohorts)
        for k in range(min(width, 13)):
            cohort.add_column(str(k), justify="right")
        for c in r.cohorts:
            cells = [c.get(f"period_{k}") for k in range(min(width, 13))]
            cohort.add_row(
                str(c["cohort"])[:7],
                str(c["cohort_size"]),
                *("" if v is None else f"{100 * v:.0f}%" for v in cells),
            )
        parts.append(cohort)
    return Group(*parts)


@app.command()
def report(
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the report with charts to this HTML file.")
    ] = None,
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Relationship capital, CLV distribution, NPS, retention cohorts, segments, who is slipping away."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        rep = build_report(conn, ws)
    if html is not None:
        try:
            html.write_text(render_html(rep), encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot write {html}: {exc.strerror}") from None
        if not json_out:
            console.print(f"report written to {html}")
    if json_out:
        print_json(dataclasses.asdict(rep))
    elif html is None:
        console.print(format_report(rep))
