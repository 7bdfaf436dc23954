"""`goodwill deliveries requeue`: a person decides to try a message again; nothing is ever sent
twice and every guardrail is checked again."""

from __future__ import annotations

import pytest
from tests.e2e.conftest import Cli
from tests.e2e.test_worker_cli import configure, seed
from tests.integration.worker import outbox_kit as k

pytestmark = pytest.mark.e2e


def _ledger(cli: Cli, *args: str) -> dict[str, dict[str, object]]:
    result = cli("deliveries", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return {e["idempotency_key"]: e for e in result.json()}


def test_suppressed_for_a_missing_channel_is_sent_once_after_requeue(
    cli: Cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_url, emails=["ana@example.org", "rui@example.org"])
    configure(monkeypatch, GOODWILL_QUIET_HOURS="off", GOODWILL_SMTP_URL="")
    assert cli("worker", "--once").exit_code == 0
    assert {e["status"] for e in _ledger(cli).values()} == {"suppressed"}

    with k.smtp_sink() as (sink, port):
        configure(
            monkeypatch,
            GOODWILL_SMTP_URL=f"smtp://127.0.0.1:{port}",
            GOODWILL_SENDER_EMAIL="hello@casaverde.example",
        )
        dry = cli("deliveries", "requeue", "--status", "suppressed", "--dry-run", "--json")
        assert dry.exit_code == 0, dry.stderr
        assert dry.json()["dry_run"] is True and len(dry.json()["requeued"]) == 2
        assert {e["status"] for e in _ledger(cli).values()} == {"suppressed"}

        one = cli("deliveries", "requeue", "ana@example.org:thanks:1", "--note", "SMTP set up")
        assert one.exit_code == 0, one.stderr
        assert "Requeued (1)" in one.stdout
        ledger = _ledger(cli)
        assert ledger["ana@example.org:thanks:1"]["status"] == "requeued"
        assert "SMTP set up" in str(ledger["ana@example.org:thanks:1"]["reason"])
        assert ledger["rui@example.org:thanks:1"]["status"] == "suppressed"

        assert cli("worker", "--once").exit_code == 0
        assert cli("worker", "--once").exit_code == 0
    assert [m["To"] for m in sink.received] == ["Ana <ana@example.org>"]
    history = cli("deliveries", "--json", "--history", "--person", "ana@example.org").json()
    assert [e["status"] for e in reversed(history)] == ["suppressed", "requeued", "sent"]

    again = cli("deliveries", "requeue", "ana@example.org:thanks:1")
    assert again.exit_code == 1
    assert "is sent" in again.stderr and "never sent again" in again.stderr
    assert "Traceback" not in again.stderr


def test_a_parked_message_is_tried_again_from_attempt_one(
    cli: Cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_url, emails=["nobody@example.org"])
    with k.smtp_sink() as (sink, port):
        configure(
            monkeypatch,
            GOODWILL_SMTP_URL=f"smtp://127.0.0.1:{port}",
            GOODWILL_SENDER_EMAIL="hello@casaverde.example",
            GOODWILL_QUIET_HOURS="off",
        )
        assert cli("worker", "--once").exit_code == 0
        assert _ledger(cli)["nobody@example.org:thanks:1"]["status"] == "parked"
        requeued = cli("deliveries", "requeue", "--status", "parked", "--json")
        assert requeued.exit_code == 0, requeued.stderr
        (entry,) = requeued.json()["requeued"]
        assert entry["was"] == "parked" and "550" in entry["last_reason"]
        assert _ledger(cli)["nobody@example.org:thanks:1"]["attempts"] == 0
        assert cli("worker", "--once").exit_code == 0
    after = _ledger(cli)["nobody@example.org:thanks:1"]
    assert after["status"] == "parked" and after["attempts"] == 1
    assert sink.received == []


def test_consent_withdrawn_meanwhile_suppresses_the_requeued_message(
    cli: Cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_url, emails=["ana@example.org"])
    configure(monkeypatch, GOODWILL_QUIET_HOURS="off", GOODWILL_SMTP_URL="")
    assert cli("worker", "--once").exit_code == 0
    withdraw = cli("consent", "withdraw", "ana@example.org", "--purpose", "marketing")
    assert withdraw.exit_code == 0, withdraw.stderr
    with k.smtp_sink() as (sink, port):
        configure(
            monkeypatch,
            GOODWILL_SMTP_URL=f"smtp://127.0.0.1:{port}",
            GOODWILL_SENDER_EMAIL="hello@casaverde.example",
        )
        assert (
            cli(
                "deliveries", "requeue", "--person", "ana@example.org", "--status", "suppressed"
            ).exit_code
            == 0
        )
        assert cli("worker", "--once").exit_code == 0
    assert sink.received == []
    entry = _ledger(cli)["ana@example.org:thanks:1"]
    assert entry["status"] == "suppressed" and "withdrawn" in str(entry["reason"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "say which messages to requeue"),
        (["--status", "sent"], "cannot requeue messages that are 'sent'"),
        (["no-such-key"], "no message with key 'no-such-key'"),
    ],
)
def test_requeue_errors_are_one_line(cli: Cli, db_url: str, args: list[str], message: str) -> None:
    seed(db_url, emails=["ana@example.org"])
    result = cli("deliveries", "requeue", *args)
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert _ledger(cli)["ana@example.org:thanks:1"]["status"] == "pending"
