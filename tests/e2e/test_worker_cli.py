"""`goodwill worker` and `goodwill deliveries` end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from tests import builders as b
from tests.e2e.conftest import Cli
from tests.integration.worker import outbox_kit as k

from goodwill.config import get_settings
from goodwill.db.engine import make_engine
from goodwill.workspaces.service import get_or_create

pytestmark = pytest.mark.e2e


def seed(db_url: str, *, emails: list[str]) -> list[int]:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            ws = get_or_create(conn, "default")
            people = []
            for address in emails:
                pid = b.person(conn, ws, first_name="Ana", email=address)
                b.consent(conn, ws, pid)
                k.add_outbox(conn, ws, k.message_intent(pid, key=f"{address}:thanks:1"))
                people.append(pid)
            return people
    finally:
        engine.dispose()


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


@pytest.mark.parametrize("group", [[], ["--email-group", "1"]], ids=["grouped", "one-at-a-time"])
def test_worker_once_sends_and_deliveries_shows_the_ledger(
    cli: Cli, db_url: str, monkeypatch: pytest.MonkeyPatch, group: list[str]
) -> None:
    seed(db_url, emails=["ana@example.org", "nobody@example.org"])
    with k.smtp_sink() as (sink, port):
        configure(
            monkeypatch,
            GOODWILL_SMTP_URL=f"smtp://127.0.0.1:{port}",
            GOODWILL_SENDER_EMAIL="hello@casaverde.example",
            GOODWILL_QUIET_HOURS="off",
        )
        result = cli("worker", "--once", "--json", *group)
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert report["dispatch"]["default"]["sent"] == 1
    assert report["dispatch"]["default"]["parked"] == 1
    assert len(sink.received) == 1

    ledger = cli("deliveries", "--json")
    assert ledger.exit_code == 0, ledger.stderr
    by_key = {e["idempotency_key"]: e for e in ledger.json()}
    sent = by_key["ana@example.org:thanks:1"]
    assert sent["status"] == "sent" and sent["message_id"] == sink.received[0]["Message-ID"]
    assert sent["template"] == "thank_you_first_order" and sent["attempts"] == 1
    parked = by_key["nobody@example.org:thanks:1"]
    assert parked["status"] == "parked" and "550" in parked["reason"]

    only_parked = cli("deliveries", "--json", "--status", "parked")
    assert [e["idempotency_key"] for e in only_parked.json()] == ["nobody@example.org:thanks:1"]
    mine = cli("deliveries", "--json", "--person", "ana@example.org", "--history")
    assert [e["status"] for e in mine.json()] == ["sent"]
    table = cli("deliveries")
    assert table.exit_code == 0 and "Deliveries (2)" in table.stdout


def test_without_smtp_settings_messages_are_suppressed_with_the_reason(
    cli: Cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_url, emails=["ana@example.org"])
    configure(monkeypatch, GOODWILL_QUIET_HOURS="off")
    monkeypatch.delenv("GOODWILL_SMTP_URL", raising=False)
    get_settings.cache_clear()
    result = cli("worker", "--once")
    assert result.exit_code == 0, result.stderr
    assert "1 suppressed" in result.stdout
    ledger = cli("deliveries", "--json").json()
    assert ledger[0]["reason"] == "suppressed: email channel not configured: set GOODWILL_SMTP_URL"


def test_user_errors_are_one_line(cli: Cli, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(db_url, emails=[])
    bad_status = cli("deliveries", "--status", "delivered")
    assert bad_status.exit_code == 1
    assert "unknown delivery status 'delivered'" in bad_status.stderr
    assert "Traceback" not in bad_status.stderr
    configure(monkeypatch, GOODWILL_QUIET_HOURS="late")
    bad_quiet = cli("worker", "--once")
    assert bad_quiet.exit_code == 1
    assert "GOODWILL_QUIET_HOURS" in bad_quiet.stderr and "Traceback" not in bad_quiet.stderr
    configure(monkeypatch, GOODWILL_QUIET_HOURS="off")
    unknown = cli("worker", "--once", "--workspace", "nosuch")
    assert unknown.exit_code == 1 and "nosuch" in unknown.stderr
    no_group = cli("worker", "--once", "--email-group", "0")
    assert no_group.exit_code == 2 and "--email-group" in no_group.stderr
    assert "Traceback" not in no_group.stderr


def test_sigterm_stops_a_long_running_worker_cleanly(db_url: str, tmp_path: Any) -> None:
    seed(db_url, emails=[])
    env = {**os.environ, "GOODWILL_DATABASE_URL": db_url, "GOODWILL_QUIET_HOURS": "off"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from goodwill.cli.app import main; main()",
            "worker",
            "--poll",
            "0.1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stderr is not None
    started = worker.stderr.readline()
    assert "serving workspace default" in started
    time.sleep(0.5)  # let it go round its loop
    worker.send_signal(signal.SIGTERM)
    _out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "SIGTERM: finishing the current message, then stopping" in err
