"""`goodwill people note|fact|date|nps|review` and `goodwill consent grant|withdraw|show`: staff
keeping the record.  ``nps`` and ``review`` record answers given on the phone or on paper through
the same service as the public link pages, so every reader sees one shape."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from goodwill.cli.app import app
from goodwill.cli.output import console, print_json
from goodwill.cli.people import people_app
from goodwill.cli.runtime import (
    JsonOption,
    WorkspaceOption,
    current_user,
    open_engine,
    workspace_transaction,
)
from goodwill.consent.models import ConsentState
from goodwill.consent.service import consent_state, record_change
from goodwill.deliveries import feedback
from goodwill.errors import InvalidInput
from goodwill.kit.clock import as_utc, utcnow
from goodwill.people import remember, service

consent_app = typer.Typer(
    help="Record and inspect consent (an append-only ledger).", no_args_is_help=True
)
app.add_typer(consent_app, name="consent")

Ref = Annotated[str, typer.Argument(help="Email, phone, person id or external id.")]
Author = Annotated[str, typer.Option("--by", help="Who noted it (default: your user name).")]


@people_app.command("note")
def note(
    reference: Ref, text: str, by: Author = "", workspace: WorkspaceOption = "default"
) -> None:
    """Add a note to a person's timeline."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = service.resolve(conn, ws, reference)
        note_id = remember.add_note(conn, ws, pid, text, author=by or current_user())
    console.print(f"note {note_id} added to person {pid}")


@people_app.command("fact")
def fact(
    reference: Ref, text: str, by: Author = "", workspace: WorkspaceOption = "default"
) -> None:
    """Remember a fact about a person ("prefers morning deliveries")."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = service.resolve(conn, ws, reference)
        fact_id = remember.add_fact(conn, ws, pid, text, noted_by=by or current_user())
    console.print(f"fact {fact_id} remembered for person {pid}")


@people_app.command("date")
def important_date(
    reference: Ref,
    kind: Annotated[str, typer.Argument(help="birthday, anniversary or milestone")],
    when: Annotated[str, typer.Argument(help="YYYY-MM-DD, or MM-DD when the year is unknown")],
    label: Annotated[str, typer.Option(help="What the milestone is.")] = "",
    once: Annotated[
        bool, typer.Option("--once", help="A one-off date rather than yearly.")
    ] = False,
    workspace: WorkspaceOption = "default",
) -> None:
    """Record an important date (birthday, customer anniversary, custom milestone)."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = service.resolve(conn, ws, reference)
        remember.add_important_date(
            conn, ws, pid, kind, when, label=label, recurrence="once" if once else "yearly"
        )
    console.print(f"{kind} recorded for person {pid}")


When = Annotated[
    str,
    typer.Option(
        "--at", help="When it was given: YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC); default now."
    ),
]
Via = Annotated[str, typer.Option("--channel", help="How it reached you: phone, paper, in person.")]


def parse_moment(text: str) -> datetime:
    """``--at``: a day (taken as midnight UTC) or a date and time (UTC unless it says)."""
    if not text:
        return utcnow()
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date or time: use YYYY-MM-DD[THH:MM]") from None
    value = as_utc(value)
    if value > utcnow():
        raise InvalidInput(f"--at {text} is in the future")
    return value


def _print_answer(
    what: str, pid: int, done: feedback.Recorded, json_out: bool, extra: dict[str, Any]
) -> None:
    if json_out:
        print_json(
            {
                "person_id": pid,
                "interaction_id": done.interaction_id,
                "created": done.created,
                "payload": done.payload,
                **extra,
            }
        )
    elif done.created:
        console.print(f"{what} recorded for person {pid} (timeline entry {done.interaction_id})")
    else:
        console.print(f"this {what} was already recorded for person {pid}; nothing added")


@people_app.command("nps")
def nps(
    reference: Ref,
    score: Annotated[int, typer.Argument(help="The answer, 0 to 10.")],
    comment: Annotated[str, typer.Option(help="What they said, in their words.")] = "",
    at: When = "",
    channel: Via = "",
    by: Author = "",
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Record an NPS answer received elsewhere (phone, paper); the same answer with the same
    --at is recorded once."""
    when = parse_moment(at)
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = service.resolve(conn, ws, reference)
        done = feedback.record_nps(
            conn,
            ws,
            pid,
            score=score,
            comment=comment,
            at=when,
            by=by or current_user(),
            channel=channel,
        )
    _print_answer(f"NPS answer {score}", pid, done, json_out, {"at": when})


@people_app.command("review")
def review(
    reference: Ref,
    rating: Annotated[int, typer.Argument(help="The rating, 1 to 5.")],
    product: Annotated[str, typer.Option("--product", help="SKU of the product reviewed.")] = "",
    order: Annotated[str, typer.Option("--order", help="Order number it is about.")] = "",
    title: Annotated[str, typer.Option(help="The review's title.")] = "",
    text: Annotated[str, typer.Option(help="The review's text.")] = "",
    at: When = "",
    channel: Via = "",
    by: Author = "",
    workspace: WorkspaceOption = "default",
    json_out: JsonOption = False,
) -> None:
    """Record a review received elsewhere (phone, paper, e-mail); the same review with the same
    --at is recorded once."""
    when = parse_moment(at)
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = service.resolve(conn, ws, reference)
        done = feedback.record_review(
            conn,
            ws,
            pid,
            rating=rating,
            sku=product or None,
            order=order or None,
            title=title,
            text=text,
            at=when,
            by=by or current_user(),
            channel=channel,
        )
    _print_answer(f"review ({rating}/5)", pid, done, json_out, {"at": when})


def _change(
    reference: str,
    purpose: str,
    channel: str,
    action: str,
    source: str,
    evidence: str,
    workspace: str,
) -> None:
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = service.resolve(conn, ws, reference)
        event_id = record_change(
            conn,
            ws,
            pid,
            purpose=purpose,
            channel=channel,
            action=action,
            source=source,
            evidence={"text": evidence} if evidence else {"recorded_by": current_user()},
        )
    verb = "granted" if action == "grant" else "withdrawn"
    if event_id is None:
        console.print(
            f"{purpose} {channel} consent was already {verb} for person {pid}; nothing recorded"
        )
    else:
        console.print(
            f"{purpose} {channel} consent {verb} for person {pid} (ledger entry {event_id})"
        )


Purpose = Annotated[
    str, typer.Option(help="transactional, marketing, reviews, referrals or profiling")
]
Channel = Annotated[str, typer.Option(help="email, sms, postal or phone")]
Source = Annotated[
    str, typer.Option(help="Where the answer came from (form, phone call, unsubscribe link).")
]
Evidence = Annotated[str, typer.Option(help="Evidence, e.g. the form text the person agreed to.")]


@consent_app.command("grant")
def grant(
    reference: Ref,
    purpose: Purpose = "marketing",
    channel: Channel = "email",
    source: Source = "staff",
    evidence: Evidence = "",
    workspace: WorkspaceOption = "default",
) -> None:
    """Record that a person agreed to be contacted for a purpose on a channel."""
    _change(reference, purpose, channel, "grant", source, evidence, workspace)


@consent_app.command("withdraw")
def withdraw(
    reference: Ref,
    purpose: Purpose = "marketing",
    channel: Channel = "email",
    source: Source = "staff",
    evidence: Evidence = "",
    workspace: WorkspaceOption = "default",
) -> None:
    """Record that a person said no; honoured at send time from this moment."""
    _change(reference, purpose, channel, "withdraw", source, evidence, workspace)


def format_consent(states: list[ConsentState]) -> Table:
    table = Table(title="Consent")
    for col in ("purpose", "channel", "state", "since", "source"):
        table.add_column(col)
    for s in states:
        table.add_row(
            s.purpose,
            s.channel,
            "granted" if s.granted else "withdrawn",
            f"{s.since:%Y-%m-%d %H:%M}",
            s.source,
        )
    return table


@consent_app.command("show")
def show(
    reference: Ref, workspace: WorkspaceOption = "default", json_out: JsonOption = False
) -> None:
    """The current consent state, derived from the ledger."""
    engine = open_engine()
    with workspace_transaction(engine, workspace) as (conn, ws):
        pid = service.resolve(conn, ws, reference)
        states = sorted(consent_state(conn, ws, pid).values(), key=lambda s: (s.purpose, s.channel))
    if json_out:
        print_json(
            [
                {
                    "purpose": s.purpose,
                    "channel": s.channel,
                    "granted": s.granted,
                    "since": s.since,
                    "source": s.source,
                }
                for s in states
            ]
        )
    else:
        console.print(format_consent(states))
