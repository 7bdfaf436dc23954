"""`goodwill people show|merge|unmerge|find`."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

from goodwill.cli.app import app
from goodwill.cli.output import console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine, workspace_transaction
from goodwill.kit.money import format_money
from goodwill.people import service
from goodwill.people.models import Profile
from goodwill.scoring.service import latest_scores

people_app = typer.Typer(help="Look up, merge and unmerge people.", no_args_is_help=True)
app.add_typer(people_app, name="people")


def profile_to_dict(prof: Profile) -> dict[str, Any]:
    data = dataclasses.asdict(prof)
    data["display_name"] = prof.display_name
    data["dates"] = [{**dataclasses.asdict(d), "display": d.display()} for d in prof.dates]
    return data


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False, expand=False)
    for col in columns:
        table.add_column(col)
    return table


_SCORE_LABELS = {
    "health": "relationship health (0-100)",
    "p_alive": "P(still active)",
    "expected_purchases_90d": "expected purchases, next 90 days",
    "clv_12m": "lifetime value, next 12 months",
    "clv_percentile": "value percentile",
    "segment": "RFM segment",
    "engagement": "engagement (0-100)",
    "depth": "relationship depth (0-100)",
    "nps_last": "latest NPS answer",
}


def format_scores(scores: dict[str, Any]) -> RenderableType:
    """Scores with their explanation: what each number is, and why health is what it is."""
    table = _table(f"Scores as of {scores['as_of']} ({scores['model_status']})", "measure", "value")
    for key, label in _SCORE_LABELS.items():
        value = scores.get(key)
        table.add_row(label, "-" if value is None else str(value))
    trend = " → ".join(f"{h['health']:.0f}" for h in scores.get("health_trend", []))
    notes = [f"[italic]{scores['explanation']}[/italic]"]
    if len(scores.get("health_trend", [])) > 1:
        notes.append(f"health trend: {trend}")
    if scores["model_status"] != "fitted":
        notes.append("[yellow]estimates are uncertain: see `goodwill report` for why[/yellow]")
    return Group(table, *notes)


def format_profile(prof: Profile) -> RenderableType:
    """A person's profile as Rich renderables (pure: builds, never prints)."""
    head = [
        f"[bold]{prof.display_name}[/bold]  (id {prof.id})",
        f"timezone {prof.timezone or '-'} · locale {prof.locale or '-'} · owner {prof.owner or '-'}",
        f"first seen {prof.first_seen_at:%Y-%m-%d}" if prof.first_seen_at else "first seen -",
    ]
    if prof.orders and prof.orders.orders:
        spent = ", ".join(format_money(v, c) for c, v in sorted(prof.orders.revenue.items()))
        last = f"{prof.orders.last_order_at:%Y-%m-%d}" if prof.orders.last_order_at else "-"
        head.append(f"{prof.orders.orders} orders · {spent} · last order {last}")
    parts: list[RenderableType] = [Panel("\n".join(head), expand=False)]
    if prof.scores:
        parts.append(format_scores(prof.scores))
    ids = _table("Identities", "kind", "value", "source")
    for i in prof.identities:
        ids.add_row(i.kind, i.value, i.source)
    parts.append(ids)
    if prof.preferences:
        p = prof.preferences
        parts.append(
            f"[bold]Preferences[/bold]: channels {', '.join(p.channels) or '-'}; "
            f"at most {p.max_per_week if p.max_per_week is not None else '-'} per week; "
            f"interests {', '.join(p.interests) or '-'}"
        )
    if prof.facts:
        facts = _table("Remembered facts", "fact", "noted by", "when")
        for f in prof.facts:
            facts.add_row(f.text, f.noted_by, f"{f.noted_at:%Y-%m-%d}")
        parts.append(facts)
    if prof.dates:
        dates = _table("Important dates", "kind", "label", "date", "repeats")
        for d in prof.dates:
            dates.add_row(d.kind, d.label, d.display(), d.recurrence)
        parts.append(dates)
    consent = _table("Consent", "purpose", "channel", "state", "since", "source")
    for c in prof.consent:
        consent.add_row(
            c.purpose,
            c.channel,
            "granted" if c.granted else "withdrawn",
            f"{c.since:%Y-%m-%d}",
            c.source,
        )
    parts.append(consent if prof.consent else "[bold]Consent[/bold]: nothing on record")
    if prof.accounts:
        accounts = _table("Accounts", "account", "role", "active", "owner")
        for m in prof.accounts:
            accounts.add_row(m.account_name, m.role, "yes" if m.active else "no", m.owner or "-")
        parts.append(accounts)
    if prof.links:
        links = _table("Relationships", "kind", "with")
        for link in prof.links:
            arrow = "→" if link.direction == "out" else "←"
            links.add_row(f"{arrow} {link.kind}", f"{link.other_name} ({link.other_id})")
        parts.append(links)
    if prof.open_tasks:
        tasks = _table("Open tasks", "task", "due", "assignee")
        for task in prof.open_tasks:
            due = f"{task['due_at']:%Y-%m-%d}" if task["due_at"] else "-"
            tasks.add_row(str(task["title"]), due, str(task["assignee"] or "-"))
        parts.append(tasks)
    timeline = _table(
        f"Timeline (last {len(prof.timeline)})", "when (UTC)", "kind", "channel", "detail"
    )
    for e in prof.timeline:
        detail = ", ".join(f"{k}={v}" for k, v in list(e.payload.items())[:4])
        timeline.add_row(f"{e.occurred_at:%Y-%m-%d %H:%M}", e.kind, e.channel or "-", detail[:80])
    parts.append(timeline)
    return Group(*parts)


@people_app.command("show")
def show(
    reference: Annotated[
        str, typer.Argument(help="Email, phone, person id or external id (shopify:123).")
    ],
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
    limit: Annotated[int, typer.Option(help="Timeline events to show.", min=1, max=1000)] = 20,
) -> None:
    """A person's whole relationship: identities, preferences, facts, dates, consent, accounts, timeline."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        person_id = service.resolve(conn, ws, reference)
        prof = service.profile(conn, ws, person_id, timeline_limit=limit)
        prof.scores = latest_scores(conn, ws, person_id)
    if json_out:
        print_json(profile_to_dict(prof))
    else:
        console.print(format_profile(prof))


@people_app.command("merge")
def merge(
    winner: Annotated[str, typer.Argument(help="The person who stays (email, phone or id).")],
    loser: Annotated[str, typer.Argument(help="The person merged into the first.")],
    reason: Annotated[str, typer.Option(help="Why they are the same person.")] = "",
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Merge two people with their full history (reversible with `people unmerge`)."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        merge_id = service.merge(conn, ws, winner, loser, reason=reason)
        kept = service.resolve(conn, ws, winner)
    if json_out:
        print_json({"merge_id": merge_id, "person_id": kept})
    else:
        console.print(
            f"merged into person {kept} (merge id {merge_id}; undo with `goodwill people unmerge {merge_id}`)"
        )


@people_app.command("unmerge")
def unmerge(
    merge_id: Annotated[int, typer.Argument(help="The merge id printed by `people merge`.")],
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Undo a merge: the merged person and everything that was theirs come back."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        winner, restored = service.unmerge(conn, ws, merge_id)
    if json_out:
        print_json({"merge_id": merge_id, "person_id": winner, "restored_person_id": restored})
    else:
        console.print(
            f"merge {merge_id} undone: person {restored} is separate from person {winner} again"
        )
