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


def _partial_where(index: dict[str, object]) -> str | None:
    options = index.get("dialect_options") or {}
    assert isinstance(options, dict)
    where = options.get("sqlite_where", options.get("postgresql_where"))
    return None if where is None else str(where)


def test_import_write_path_schema_and_its_downgrade(empty_db_url: str) -> None:
    """0004: the account indexes are partial and the hot timeline columns have no foreign key;
    one step down restores the full indexes and the foreign keys."""
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)
        insp = inspect(engine)
        for table in ("interactions", "orders"):
            index = next(
                i for i in insp.get_indexes(table) if i["name"] == f"ix_{table}_account_id"
            )
            assert "account_id IS NOT NULL" in (_partial_where(dict(index)) or "")
        fks = {tuple(fk["constrained_columns"]) for fk in insp.get_foreign_keys("interactions")}
        assert fks == {("person_id",), ("account_id",), ("order_id",)}
        fks = {tuple(fk["constrained_columns"]) for fk in insp.get_foreign_keys("order_lines")}
        assert fks == {("order_id",), ("product_id",)}

        downgrade(engine, "0003")
        insp = inspect(engine)
        index = next(
            i for i in insp.get_indexes("interactions") if i["name"] == "ix_interactions_account_id"
        )
        assert _partial_where(dict(index)) is None
        fks = {tuple(fk["constrained_columns"]) for fk in insp.get_foreign_keys("interactions")}
        assert fks == {("person_id",), ("account_id",), ("workspace_id",), ("order_id",)}
    finally:
        engine.dispose()


def test_journey_tables_lose_only_their_workspace_foreign_keys(empty_db_url: str) -> None:
    """0005: enrolments, outbox and deliveries keep every foreign key but the workspace one; one
    step down brings it back."""
    expected = {
        "enrolments": {("journey_id",), ("person_id",)},
        "outbox": {("enrolment_id",), ("person_id",)},
        "deliveries": {("outbox_id",), ("person_id",)},
    }
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)
        insp = inspect(engine)
        for table, fks in expected.items():
            found = {tuple(fk["constrained_columns"]) for fk in insp.get_foreign_keys(table)}
            assert found == fks, table
            assert any(i["column_names"] == ["workspace_id"] for i in insp.get_indexes(table))

        downgrade(engine, "0004")
        insp = inspect(engine)
        for table, fks in expected.items():
            found = {tuple(fk["constrained_columns"]) for fk in insp.get_foreign_keys(table)}
            assert found == fks | {("workspace_id",)}, table
    finally:
        engine.dispose()
