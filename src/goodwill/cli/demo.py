"""`goodwill demo generate|overview`: a deterministic synthetic shop to explore Goodwill with."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from time import perf_counter
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from goodwill.cli.app import app
from goodwill.cli.output import console, err_console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.db.engine import unit_of_work
from goodwill.demo import service
from goodwill.demo.models import (
    BATCH_SIZE,
    DEFAULT_TODAY,
    DemoError,
    DemoSpec,
    GenerateSummary,
    Overview,
)
from goodwill.kit.money import format_money

demo_app = typer.Typer(
    help="A synthetic shop (customers, orders, consent, feedback...) to explore Goodwill with.",
    no_args_is_help=True,
)
app.add_typer(demo_app, name="demo")

BAR = "█"


def run_generation(
    engine: Engine,
    workspace: str,
    spec: DemoSpec,
    *,
    replace: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
) -> GenerateSummary:
    """Prepare the workspace in one transaction, then commit batch by batch."""
    started = perf_counter()
    with workspace_transaction(engine, workspace) as (conn, ws):
        prepared = service.prepare(conn, ws, spec, replace=replace)
    summary = GenerateSummary(ws.name, spec.customers, spec.seed, spec.currency, spec.today)
    summary.replaced = prepared.replaced_rows
    summary.rows["products"] = len(prepared.product_ids)
    for batch in service.plan(spec, prepared):
        with unit_of_work(engine) as conn:
            rows, kinds = service.write_batch(conn, ws, batch)
        summary.add(rows, kinds)
        if on_batch is not None:
            on_batch(batch.index + 1, spec.batch_count)
    with unit_of_work(engine) as conn:
        service.finish(conn, ws, list(summary.rows))
    summary.seconds = perf_counter() - started
    return summary


def summary_to_dict(summary: GenerateSummary) -> dict[str, Any]:
    data = dataclasses.asdict(summary)
    data["seconds"] = round(summary.seconds, 3)
    return data


def format_summary(summary: GenerateSummary) -> RenderableType:
    """What was generated, as Rich renderables (pure: builds, never prints)."""
    head = (
        f"[bold]Demo shop generated[/bold] in workspace [bold]{summary.workspace}[/bold]: "
        f"{summary.customers:,} customers, seed {summary.seed}, {summary.currency}, "
        f"history up to {summary.today.isoformat()}, in {summary.seconds:.1f} s"
    )
    parts: list[RenderableType] = [head]
    if summary.replaced:
        parts.append(f"(replaced {summary.replaced:,} rows that were in the workspace)")
    rows = _table("Rows written", "table", "rows")
    for name, n in summary.rows.items():
        rows.add_row(name, f"{n:,}")
    kinds = _table("Timeline interactions", "kind", "count")
    for name, n in sorted(summary.interactions.items(), key=lambda kv: (-kv[1], kv[0])):
        kinds.add_row(name, f"{n:,}")
    grid = Table.grid(padding=(0, 4))
    grid.add_row(rows, kinds)
    parts += [grid, "Next: [bold]goodwill demo overview[/bold]"]
    return Group(*parts)


_NUMERIC = {"rows", "count", "orders", "customers", "revenue", "units", "contacts", "granted",
            "withdrawn", "coverage", "value"}  # fmt: skip


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for col in columns:
        table.add_column(col, justify="right" if col in _NUMERIC else "left")
    return table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _money(minor: int, currency: str) -> str:
    return format_money(minor, currency) if currency else str(minor)


def format_months(ov: Overview, width: int = 28) -> Table:
    table = _table(
        "Revenue by month (last 12 months)", "month", "orders", "customers", "revenue", ""
    )
    top = max((m.revenue_minor for m in ov.months), default=0)
    for m in ov.months:
        bar = BAR * (round(width * m.revenue_minor / top) if top > 0 else 0)
        table.add_row(
            m.month, f"{m.orders:,}", f"{m.customers:,}", _money(m.revenue_minor, ov.currency), bar
        )
    return table


def format_overview(ov: Overview) -> RenderableType:
    """The workspace at a glance, as Rich renderables (pure: builds, never prints)."""
    if not ov.people:
        return Group(
            f"Workspace [bold]{ov.workspace}[/bold] is empty.",
            "Generate the demo shop with: [bold]goodwill demo generate --customers 5000[/bold]",
        )
    as_of = f" · last order {ov.as_of:%Y-%m-%d}" if ov.as_of else ""
    head = _table(f"Workspace {ov.workspace}{as_of}", "measure", "value")
    head.add_row("people", f"{ov.people:,}")
    head.add_row("customers (with an order)", f"{ov.buyers:,}")
    head.add_row("repeat-purchase rate", _pct(ov.repeat_rate))
    head.add_row("orders (not cancelled)", f"{ov.orders:,}")
    head.add_row("cancelled / returned", f"{ov.cancelled:,} / {ov.returned:,}")
    head.add_row("net revenue", _money(ov.revenue_minor, ov.currency))
    if ov.orders:
        head.add_row("average order", _money(ov.revenue_minor // ov.orders, ov.currency))
    head.add_row("timeline interactions", f"{ov.interactions:,}")
    parts: list[RenderableType] = [head, format_months(ov)]
    products = _table("Top products", "product", "units", "revenue")
    for r in ov.top_products:
        products.add_row(r.name, f"{r.units:,}", _money(r.revenue_minor, ov.currency))
    categories = _table("Categories", "category", "units", "revenue")
    for r in ov.top_categories:
        categories.add_row(r.name, f"{r.units:,}", _money(r.revenue_minor, ov.currency))
    grid = Table.grid(padding=(0, 4))
    grid.add_row(products, categories)
    parts.append(grid)
    accounts = _table(
        f"Business accounts: {ov.accounts:,} with {ov.memberships:,} contact roles",
        "account", "owner", "contacts", "orders", "revenue",
    )  # fmt: skip
    for a in ov.top_accounts:
        accounts.add_row(
            a.name,
            a.owner or "-",
            str(a.contacts),
            f"{a.orders:,}",
            _money(a.revenue_minor, ov.currency),
        )
    consent = _table(
        "Consent (people whose latest answer is...)",
        "purpose",
        "channel",
        "granted",
        "withdrawn",
        "coverage",
    )
    for c in ov.consent:
        consent.add_row(
            c.purpose, c.channel, f"{c.granted:,}", f"{c.withdrawn:,}", _pct(c.granted / ov.people)
        )
    parts.append(accounts)
    parts.append(consent)
    parts.append(format_feedback(ov))
    parts.append(format_next_steps(ov))
    return Group(*parts)


def format_feedback(ov: Overview) -> str:
    if not ov.nps_answers:
        nps = "NPS: no answers yet"
    else:
        promoters = sum(n for s, n in ov.nps_scores.items() if s >= 9)
        detractors = sum(n for s, n in ov.nps_scores.items() if s <= 6)
        nps = (
            f"NPS {ov.nps:+.0f} from {ov.nps_answers:,} answers "
            f"({promoters:,} promoters, {ov.nps_answers - promoters - detractors:,} passives, "
            f"{detractors:,} detractors)"
        )
    reviews = (
        f"{ov.reviews:,} reviews, average {ov.average_rating:.2f} ★"
        if ov.reviews and ov.average_rating is not None
        else "no reviews yet"
    )
    return f"{nps} · {reviews}"


def format_next_steps(ov: Overview) -> str:
    lines = ["[bold]Next[/bold]"]
    if ov.example_email:
        lines.append(f"  goodwill people show {ov.example_email}")
    lines.append("  goodwill stats")
    return "\n".join(lines)


def overview_to_dict(ov: Overview) -> dict[str, Any]:
    data = dataclasses.asdict(ov)
    data["nps_scores"] = {str(k): v for k, v in sorted(ov.nps_scores.items())}
    data["repeat_rate"] = ov.repeat_rate
    data["nps"] = ov.nps
    data["nps_answers"] = ov.nps_answers
    return data


def _parse_today(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DemoError(f"--today must be a date like 2026-11-01 (got {value!r})") from None


@demo_app.command("generate")
def generate(
    customers: Annotated[
        int, typer.Option("--customers", "-n", help="How many people the shop has.")
    ] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same shop.")] = 42,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Delete everything in the workspace first (if not empty)."),
    ] = False,
    currency: Annotated[str, typer.Option(help="The shop's currency: USD or EUR.")] = "USD",
    today: Annotated[
        str, typer.Option(help="The demo's 'today': the history ends the day before.")
    ] = DEFAULT_TODAY.isoformat(),
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Generate a deterministic synthetic shop into the workspace.

    A workspace that already holds data is refused unless --replace is given: then every row of
    that workspace (people, orders, timeline, scores, journeys...) is deleted first; other
    workspaces are untouched.  Batches of 2,000 customers are committed one by one, so an
    interrupted run leaves a partial workspace: run it again with --replace.
    """
    spec = DemoSpec(customers, seed, currency.strip().upper(), _parse_today(today))
    engine = open_engine()
    show = not json_out and spec.customers > BATCH_SIZE and err_console.is_terminal
    with Progress(
        TextColumn("generating"), BarColumn(), TextColumn("{task.completed}/{task.total} batches"),
        TimeElapsedColumn(), console=err_console, transient=True, disable=not show,
    ) as progress:  # fmt: skip
        task = progress.add_task("generate", total=spec.batch_count)
        summary = run_generation(
            engine, workspace, spec, replace=replace,
            on_batch=lambda done, _total: progress.update(task, completed=done),
        )  # fmt: skip
    if json_out:
        print_json(summary_to_dict(summary))
    else:
        console.print(format_summary(summary))


@demo_app.command("overview")
def overview(workspace: WorkspaceOption = "default", json_out: JsonOption = False) -> None:
    """An overview of the workspace: customers, revenue by month, products, accounts, consent, NPS."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        ov = service.overview(conn, ws)
    if json_out:
        print_json(overview_to_dict(ov))
    else:
        console.print(format_overview(ov))
