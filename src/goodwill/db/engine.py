"""Engines for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with foreign keys on and a busy timeout, so a CLI command and a worker can
share one file.  Timestamps are stored as UTC; see :func:`goodwill.kit.clock.as_utc`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from goodwill.errors import GoodwillError


class DatabaseUnavailable(GoodwillError):
    code = "database.unavailable"
    http_status = 503


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url``; raise a clear error if it cannot be used."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(f"database URL {url!r} is not a valid URL") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)

        # Let Python's sqlite3 leave transaction control to SQLAlchemy, and take the write
        # lock at BEGIN so two writers queue instead of failing on upgrade.
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


def is_postgres(conn_or_engine: Connection | Engine) -> bool:
    return conn_or_engine.dialect.name == "postgresql"


def check_reachable(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot reach the database {engine.url.render_as_string(hide_password=True)}: {reason}"
        ) from None


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Connection]:
    """One transaction, committed at the edge (CLI command step, request, worker task)."""
    with engine.begin() as conn:
        yield conn
