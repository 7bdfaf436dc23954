from __future__ import annotations

from sqlalchemy import inspect

from goodwill.db.engine import make_engine
from goodwill.db.migrate import check_no_pending, downgrade, upgrade
from goodwill.db.tables import metadata


def test_upgrade_from_empty_builds_every_table_and_matches_definitions(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in metadata.sorted_tables} <= tables
        check_no_pending(engine)
    finally:
        engine.dispose()


def test_downgrade_one_step_then_upgrade_again(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)
        downgrade(engine, "-1")
        upgrade(engine)
        check_no_pending(engine)
    finally:
        engine.dispose()
