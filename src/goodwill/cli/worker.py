"""`goodwill worker`: run the journeys scheduler and the dispatcher (``--once`` for one pass)."""

from __future__ import annotations

import signal
from datetime import timedelta
from types import FrameType
from typing import Annotated

import typer

from goodwill.cli.app import app
from goodwill.cli.output import console, err_console, print_json
from goodwill.cli.runtime import JsonOption, WorkspaceOption, open_engine
from goodwill.config import get_settings
from goodwill.kit.clock import utcnow
from goodwill.worker.loop import StopFlag, WorkerOptions, WorkerReport, run_worker
from goodwill.worker.models import DispatchStats
from goodwill.workspaces.service import validate_name


def format_pass(workspace: str, stats: DispatchStats) -> str:
    parts = [f"{n} {name}" for name, n in sorted(stats.by_status.items())]
    if stats.lost_race:
        parts.append(f"{stats.lost_race} taken over by another worker")
    return f"{utcnow():%H:%M:%S} {workspace}: {stats.claimed} claimed" + (
        ": " + ", ".join(parts) if parts else ""
    )


def format_report(report: WorkerReport) -> str:
    lines = []
    for name, stats in report.dispatched.items():
        lines.append(format_pass(name, stats))
    return "\n".join(lines) if lines else "nothing to do"


def _install_signals(stop: StopFlag) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        err_console.print(
            f"{signal.Signals(signum).name}: finishing the current message, then stopping"
        )
        stop.set()
        signal.signal(signum, signal.SIG_DFL)  # a second signal stops at once

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    workspace: WorkspaceOption = "default",
    all_workspaces: Annotated[
        bool, typer.Option("--all-workspaces", help="Serve every workspace in the database.")
    ] = False,
    batch: Annotated[
        int, typer.Option(min=1, max=10_000, help="Messages claimed at a time.")
    ] = 100,
    poll: Annotated[
        float, typer.Option(min=0.0, max=3600.0, help="Seconds to wait when nothing is due.")
    ] = 5.0,
    lease: Annotated[
        float,
        typer.Option(min=1.0, max=86_400.0, help="Seconds a dead worker's claimed messages wait."),
    ] = 60.0,
    async_commit: Annotated[
        bool,
        typer.Option(
            "--async-commit",
            help="PostgreSQL: synchronous_commit=off (faster; a database crash may resend "
            "the last second of messages).",
        ),
    ] = False,
    email_group: Annotated[
        int,
        typer.Option(
            "--email-group",
            min=1,
            max=256,
            help="Emails sent together, each on its own SMTP connection, with one database "
            "commit before their final dots (faster). 1 sends one at a time.",
        ),
    ] = 32,
    custodian: Annotated[
        bool,
        typer.Option(
            "--custodian/--no-custodian",
            help="Keep a small process beside the worker that finishes the final dots of "
            "emails the worker had committed when it was killed (ADR 0030).",
        ),
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per pass.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Schedule journeys and deliver the outbox: consent, budget and quiet hours checked at
    send time, every outcome in the ledger (see `goodwill deliveries`)."""
    stop = StopFlag()
    if not once:
        _install_signals(stop)
    settings = get_settings()
    engine = open_engine()
    options = WorkerOptions(
        workspaces=None if all_workspaces else (validate_name(workspace),),
        once=once,
        batch=batch,
        poll=poll,
        lease=timedelta(seconds=lease),
        async_commit=async_commit,
        email_group=email_group,
        custodian=custodian,
    )
    if not once:
        serving = "every workspace" if all_workspaces else f"workspace {validate_name(workspace)}"
        err_console.print(
            f"goodwill worker {options.worker_id}: serving {serving}, "
            f"batch {batch}, email group {email_group}, polling every {poll:g}s; SIGTERM or Ctrl-C stops it"
        )

    def on_pass(name: str, stats: DispatchStats) -> None:
        if stats.claimed and not quiet and not json_out:
            console.print(format_pass(name, stats))

    report = run_worker(engine, settings, options, stop=stop, on_pass=None if once else on_pass)
    engine.dispose()
    if json_out:
        print_json(report.as_dict())
    elif once and not quiet:
        console.print(format_report(report))
