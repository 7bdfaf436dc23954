"""`goodwill journeys list|enable|disable|show|publish|explain|report`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Group, RenderableType
from rich.table import Table

from goodwill.analytics.uplift import UpliftReport
from goodwill.cli.app import app
from goodwill.cli.output import console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.errors import InvalidInput
from goodwill.journeys import service
from goodwill.journeys.report import journey_uplift
from goodwill.journeys.service import JourneySummary

journeys_app = typer.Typer(
    help="Journeys: timely, personal follow-ups that prove they helped.", no_args_is_help=True
)
app.add_typer(journeys_app, name="journeys")

Key = Annotated[str, typer.Argument(help="Journey key, e.g. review-request")]


def format_journeys(items: list[JourneySummary]) -> Table:
    table = Table(title="Journeys")
    for col in ("key", "state", "version", "trigger", "active", "completed", "exited", "holdout"):
        table.add_column(col)
    for j in items:
        state = "enabled" if j.enabled else ("playbook" if j.source == "playbook" else "disabled")
        c = j.counts
        table.add_row(
            j.key,
            state,
            str(j.version or "-"),
            j.trigger[:40],
            *(str(c.get(s, 0)) for s in ("active", "completed", "exited", "holdout")),
        )
    return table


@journeys_app.command("list")
def list_(workspace: WorkspaceOption = "default", json_out: JsonOption = False) -> None:
    """Shipped playbooks and published journeys with their enrolment counts."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        items = service.list_journeys(conn, ws)
    if json_out:
        print_json([dataclasses.asdict(j) for j in items])
    else:
        console.print(format_journeys(items))


def _toggle(key: str, enabled: bool, workspace: str, json_out: bool) -> None:
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        summary = service.set_enabled(conn, ws, key, enabled)
    if json_out:
        print_json(dataclasses.asdict(summary))
    else:
        console.print(f"{summary.key} v{summary.version} {'enabled' if enabled else 'disabled'}")


@journeys_app.command("enable")
def enable(key: Key, workspace: WorkspaceOption = "default", json_out: JsonOption = False) -> None:
    """Enable a journey (a shipped playbook is published on first enable)."""
    _toggle(key, True, workspace, json_out)


@journeys_app.command("disable")
def disable(key: Key, workspace: WorkspaceOption = "default", json_out: JsonOption = False) -> None:
    """Stop new enrolments; people already on the journey finish it."""
    _toggle(key, False, workspace, json_out)


@journeys_app.command("publish")
def publish(
    file: Annotated[Path, typer.Argument(help="A journey definition in YAML or JSON.")],
    workspace: WorkspaceOption = "default",
) -> None:
    """Validate and publish a journey definition (a new version keeps running enrolments on theirs)."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        key, version = service.publish_text(conn, ws, text)
    console.print(f"published {key} v{version} (enable it with `goodwill journeys enable {key}`)")


@journeys_app.command("show")
def show(key: Key, workspace: WorkspaceOption = "default", json_out: JsonOption = False) -> None:
    """A journey's definition and where people are in it."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        summary, definition = service.show(conn, ws, key)
    if json_out:
        print_json({"journey": dataclasses.asdict(summary), "definition": definition})
        return
    console.print(
        f"[bold]{summary.name}[/bold] ({summary.key}, {summary.source}, "
        f"{'enabled' if summary.enabled else 'not enabled'})"
    )
    console.print(summary.description)
    console.print(yaml.safe_dump(definition, sort_keys=False, allow_unicode=True))


@journeys_app.command("explain")
def explain(
    person: Annotated[str, typer.Argument(help="Email, phone or person id.")],
    key: Key,
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Every step for that person, with what happened and why."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        lines = service.explain(conn, ws, person, key)
    if json_out:
        print_json({"person": person, "journey": key, "lines": lines})
    else:
        for line in lines:
            console.print(line, markup=False, highlight=False)


def format_uplift(key: str, report: UpliftReport, currency: str) -> RenderableType:
    head = (
        f"[bold]{key}[/bold]: {report.treated:,} treated vs {report.holdout:,} in holdout, "
        f"{report.window_days}-day window after entry ({report.pending:,} still inside their window)"
    )
    table = Table(title=f"Uplift ({round(report.confidence * 100)}% confidence intervals)")
    for col in ("measure", "treated", "holdout", "difference", "interval"):
        table.add_column(col)
    for m in report.metrics:
        money = m.name.startswith("revenue")

        def fmt(v: float | None, *, signed: bool = False, money: bool = money) -> str:
            if v is None:
                return "-"
            if money:
                return f"{v:+,.2f} {currency}" if signed else f"{v:,.2f} {currency}"
            return f"{100 * v:+.1f} pts" if signed else f"{100 * v:.1f}%"

        interval = (
            "-"
            if m.ci_low is None
            else f"{fmt(m.ci_low, signed=True)} to {fmt(m.ci_high, signed=True)}"
        )
        table.add_row(
            m.name, fmt(m.treated), fmt(m.holdout), fmt(m.difference, signed=True), interval
        )
    notes = []
    if report.holdout == 0:
        notes.append("no holdout group yet: set `holdout:` in the journey to measure uplift")
    return Group(head, table, *notes)


@journeys_app.command("report")
def report(
    key: Key,
    window: Annotated[
        int, typer.Option("--window", help="Days after entry to measure.", min=1)
    ] = 90,
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Did it help? Repeat-purchase rate, revenue per person and retention: treated vs holdout."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        rep, currency = journey_uplift(conn, ws, key, window_days=window)
    if json_out:
        print_json({"journey": key, "currency": currency, **dataclasses.asdict(rep)})
    else:
        console.print(format_uplift(key, rep, currency))
