from __future__ import annotations

from tests import builders as b
from tests.e2e.conftest import Cli

from goodwill.db.engine import make_engine
from goodwill.workspaces.service import get_or_create


def _person(db_url: str) -> int:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        pid = b.person(
            conn, get_or_create(conn, "default"), email="ana@example.com", first_name="Ana"
        )
    engine.dispose()
    return pid


def test_consent_withdraw_is_recorded_once_and_shown(cli: Cli, db_url: str) -> None:
    _person(db_url)
    assert cli("consent", "grant", "ana@example.com", "--source", "signup form").exit_code == 0
    first = cli("consent", "withdraw", "ana@example.com", "--source", "unsubscribe link")
    assert "withdrawn" in first.stdout
    again = cli("consent", "withdraw", "ana@example.com", "--source", "unsubscribe link")
    assert "nothing recorded" in again.stdout
    [state] = cli("consent", "show", "ana@example.com", "--json").json()
    assert state == {
        **state,
        "purpose": "marketing",
        "channel": "email",
        "granted": False,
        "source": "unsubscribe link",
    }
    kinds = [
        e["kind"] for e in cli("people", "show", "ana@example.com", "--json").json()["timeline"]
    ]
    assert kinds.count("consent.withdrawn") == 1 and kinds.count("consent.granted") == 1


def test_bad_consent_purpose_is_a_clear_error(cli: Cli, db_url: str) -> None:
    _person(db_url)
    result = cli("consent", "grant", "ana@example.com", "--purpose", "spam")
    assert result.exit_code == 1 and "unknown purpose 'spam'" in result.stderr


def test_facts_notes_and_dates_land_on_the_profile(cli: Cli, db_url: str) -> None:
    _person(db_url)
    assert (
        cli(
            "people",
            "fact",
            "ana@example.com",
            "daughter starts college in September",
            "--by",
            "rui",
        ).exit_code
        == 0
    )
    assert (
        cli(
            "people", "note", "ana@example.com", "called, happy with the order", "--by", "rui"
        ).exit_code
        == 0
    )
    assert cli("people", "date", "ana@example.com", "birthday", "09-14").exit_code == 0
    bad = cli("people", "date", "ana@example.com", "birthday", "02-30")
    assert bad.exit_code == 1 and "is not a date" in bad.stderr
    prof = cli("people", "show", "ana@example.com", "--json").json()
    assert prof["facts"][0]["text"] == "daughter starts college in September"
    assert prof["dates"][0]["display"] == "--09-14"
    assert sum(e["kind"] == "note.added" for e in prof["timeline"]) == 2


def test_tasks_add_list_and_done(cli: Cli, db_url: str) -> None:
    pid = _person(db_url)
    assert (
        cli(
            "tasks",
            "add",
            "Call Ana about renewal",
            "--person",
            "ana@example.com",
            "--assignee",
            "maria",
        ).exit_code
        == 0
    )
    [task] = cli("tasks", "--json").json()
    assert task["person_id"] == pid and task["assignee"] == "maria" and task["status"] == "open"
    assert cli("tasks", "done", str(task["id"])).exit_code == 0
    assert cli("tasks", "--json").json() == []
    assert cli("tasks", "--status", "done", "--json").json()[0]["id"] == task["id"]
    again = cli("tasks", "done", str(task["id"]))
    assert again.exit_code == 1 and "already done" in again.stderr
