"""What every command needs: settings, an engine on a migrated database, the workspace option."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from goodwill.config import get_settings
from goodwill.db.engine import check_reachable, make_engine, unit_of_work
from goodwill.db.migrate import alembic_config, upgrade
from goodwill.workspaces.service import Workspace, get_or_create

WorkspaceOption = Annotated[
    str,
    typer.Option(
        "--workspace",
        "-w",
        envvar="GOODWILL_WORKSPACE",
        help="Workspace (business) to act on.",
        show_default=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _current_and_head(engine: Engine) -> tuple[str | None, str | None]:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head


def open_engine(*, migrate: bool = True) -> Engine:
    """An engine on the configured database, brought to the latest schema if it is behind."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    check_reachable(engine)
    if migrate:
        current, head = _current_and_head(engine)
        if current != head:
            upgrade(engine)
    return engine


@contextmanager
def workspace_transaction(engine: Engine, name: str) -> Iterator[tuple[Connection, Workspace]]:
    """One transaction for one command step, with the workspace resolved (created if new)."""
    with unit_of_work(engine) as conn:
        yield conn, get_or_create(conn, name)


def current_user() -> str:
    """Who runs the command, for "noted by"/"requeued by" fields (``staff`` if unknown)."""
    try:
        return getpass.getuser()
    except OSError:
        return "staff"
