from __future__ import annotations

from tests import builders as b
from tests.e2e.conftest import Cli

from goodwill.db.engine import make_engine
from goodwill.workspaces.service import get_or_create


def _seed(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        ws = get_or_create(conn, "default")
        ana = b.person(conn, ws, email="ana@example.com", first_name="Ana", last_name="Silva")
        dup = b.person(conn, ws, email="ana.silva@work.example", first_name="Ana", last_name="S.")
        b.fact(conn, ws, ana, "prefers morning deliveries")
        b.order(conn, ws, dup, total_minor=1999)
    engine.dispose()
    return ana, dup


def test_people_show_prints_profile_and_json(cli: Cli, db_url: str) -> None:
    ana, _ = _seed(db_url)
    shown = cli("people", "show", "ANA@example.com")
    assert shown.exit_code == 0, shown.stderr
    assert "Ana Silva" in shown.stdout and "prefers morning deliveries" in shown.stdout
    data = cli("people", "show", str(ana), "--json").json()
    assert data["id"] == ana and data["facts"][0]["text"] == "prefers morning deliveries"


def test_people_merge_and_unmerge_from_the_command_line(cli: Cli, db_url: str) -> None:
    ana, dup = _seed(db_url)
    merged = cli("people", "merge", "ana@example.com", "ana.silva@work.example", "--json")
    assert merged.exit_code == 0, merged.stderr
    merge_id = merged.json()["merge_id"]
    profile = cli("people", "show", "ana.silva@work.example", "--json").json()
    assert profile["id"] == ana and profile["orders"]["orders"] == 1
    undone = cli("people", "unmerge", str(merge_id), "--json")
    assert undone.json()["restored_person_id"] == dup
    assert cli("people", "show", "ana.silva@work.example", "--json").json()["id"] == dup


def test_unknown_person_is_one_clear_error_line(cli: Cli, db_url: str) -> None:
    _seed(db_url)
    result = cli("people", "show", "nobody@example.com")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: no person 'nobody@example.com'")
    assert "Traceback" not in result.stderr


def test_stats_counts_per_kind(cli: Cli, db_url: str) -> None:
    _seed(db_url)
    counts = cli("stats", "--json").json()["counts"]
    assert counts["people"] == 2 and counts["orders"] == 1 and counts["facts"] == 1
    assert cli("stats", "--json", "--workspace", "other").json()["counts"]["people"] == 0
