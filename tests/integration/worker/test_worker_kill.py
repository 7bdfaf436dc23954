"""Nothing lost, nothing twice: `goodwill worker` SIGKILLed at random moments while it sends
2,000 emails (GOODWILL_KILLTEST_MESSAGES) to a real SMTP server, restarted until the outbox drains.  Runs on SQLite and, when
GOODWILL_TEST_POSTGRES_URL is set, on PostgreSQL.  Repeated runs: see killkit.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.integration.worker import killkit

MESSAGES = int(os.environ.get("GOODWILL_KILLTEST_MESSAGES", "2000"))
KILLS = int(os.environ.get("GOODWILL_KILLTEST_KILLS", "6"))
SEED = int(os.environ.get("GOODWILL_KILLTEST_SEED", "20261123"))


@pytest.mark.slow
@pytest.mark.integration
def test_killed_worker_loses_nothing_and_sends_nothing_twice(db_url: str, tmp_path: Path) -> None:
    report = killkit.run(db_url, tmp_path, messages=MESSAGES, kills=KILLS, seed=SEED)
    print(f"\nkill test: {report}")
    assert report.kills >= KILLS // 2, f"too few kills to mean anything: {report}"
    assert report.kills_while_sending >= 1, report
    assert report.lost == 0, f"lost messages: {report}"
    assert report.duplicated == 0, f"duplicated messages: {report}"
    assert report.unexpected == 0, report
    assert report.ledger_problems == [], report
    assert report.received == MESSAGES
