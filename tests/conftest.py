"""Database fixtures: every integration test runs on SQLite, and on PostgreSQL when
``GOODWILL_TEST_POSTGRES_URL`` is set.  If that URL is set and PostgreSQL cannot be reached, the
run fails at start rather than skipping."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from goodwill.db.engine import make_engine
from goodwill.db.migrate import upgrade
from goodwill.db.tables import metadata

# Example counts stay per test; no per-example time limit, because these machines are shared and
# a deadline would fail a correct property when another job takes the CPU.
settings.register_profile("goodwill", deadline=None)
settings.load_profile("goodwill")

PG_URL = os.environ.get("GOODWILL_TEST_POSTGRES_URL", "").strip()
BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]


def _pg_admin_url() -> str:
    url = make_url(PG_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _pg_database_url(name: str) -> str:
    return make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)


def _recreate_pg_database(name: str) -> None:
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def _drop_pg_database(name: str) -> None:
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def pytest_sessionstart(session: pytest.Session) -> None:
    if not PG_URL:
        return
    try:
        probe = create_engine(_pg_admin_url())
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:  # any failure to connect must fail the run, not skip
        pytest.exit(
            f"GOODWILL_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {exc}", returncode=3
        )


def _worker_id(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"gw_test_{_worker_id(request)}_{os.getpid()}"
    _recreate_pg_database(name)
    url = _pg_database_url(name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    _drop_pg_database(name)


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL (one per test)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "goodwill.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
    else:
        url: str = request.getfixturevalue("pg_database")
        engine = make_engine(url)
        _truncate_all(engine)
        engine.dispose()
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        name = f"gw_mig_{_worker_id(request)}_{os.getpid()}"
        _recreate_pg_database(name)
        yield _pg_database_url(name)
        _drop_pg_database(name)
