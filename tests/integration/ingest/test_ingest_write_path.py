"""The import's write path: orders parsed ahead in the reader thread give the same record, and
the consent evidence and payloads (built as text) read back as the exact values."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from tests.integration.ingest.support import DATA, Run, run_import, snapshot

from goodwill.db import tables as t
from goodwill.db.engine import make_engine
from goodwill.db.migrate import upgrade
from goodwill.ingest.formats.line_items import LineItemOrders
from goodwill.ingest.models import OrderGroup, OrderRecord, Reject

pytestmark = pytest.mark.integration
EXPORT = DATA / "shopify" / "orders_export.csv"


def test_orders_parsed_ahead_in_the_reader_thread_build_the_same_record(
    engine: Engine, empty_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    parse = LineItemOrders.parse

    def counting(self: LineItemOrders, group: OrderGroup) -> OrderRecord | list[Reject]:
        threads.append(threading.current_thread().name)
        return parse(self, group)

    monkeypatch.setattr(LineItemOrders, "parse", counting)
    # one order per batch: after the first (new) batch the reader parses ahead
    ahead, rejects = run_import(engine, "orders", "shopify", EXPORT, batch_rows=1, read_ahead=True)
    assert rejects == []
    assert len(threads) == 6  # each order parsed once, wherever it was parsed
    assert "goodwill-import-reader" in threads and threads[0] != "goodwill-import-reader"

    other = make_engine(empty_db_url)
    try:
        if other.dialect.name != engine.dialect.name:
            pytest.skip("compares two databases of the same kind")
        upgrade(other)
        inline, _ = run_import(other, "orders", "shopify", EXPORT, read_ahead=False)
        assert snapshot(other) == snapshot(engine)
    finally:
        other.dispose()
    assert {k: (v.created, v.updated, v.unchanged) for k, v in ahead.counts.items()} == {
        k: (v.created, v.updated, v.unchanged) for k, v in inline.counts.items()
    }

    threads.clear()  # a re-import of unchanged orders parses nothing, ahead or not
    again, _ = run_import(engine, "orders", "shopify", EXPORT, batch_rows=1, read_ahead=True)
    assert threads == [] and again.counts["orders"].unchanged == 6


def test_consent_evidence_and_payload_read_back_exactly(
    engine: Engine, run: Run, tmp_path: Path
) -> None:
    path = tmp_path / 'orders "é" \\ export.csv'
    shutil.copy(EXPORT, path)
    run("orders", "shopify", path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with engine.connect() as conn:
        events = conn.execute(
            select(t.consent_events).order_by(t.consent_events.c.occurred_at)
        ).all()
        touches = {
            r.payload["consent_event"]: r
            for r in conn.execute(
                select(t.interactions).where(t.interactions.c.kind.like("consent.%"))
            )
        }
    assert events[0].evidence == {
        "file": path.name, "sha256": sha, "line": 2, "column": "Accepts Marketing"
    }  # fmt: skip
    for e in events:
        touch = touches[e.id]
        assert touch.payload == {"purpose": "marketing", "channel": "email", "consent_event": e.id}
        assert touch.kind == ("consent.granted" if e.action == "grant" else "consent.withdrawn")
        assert json.loads(json.dumps(e.evidence))["file"] == path.name
