"""`goodwill demo generate|overview` end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.e2e.conftest import Cli
from typer.testing import CliRunner

pytestmark = pytest.mark.e2e


def test_generate_then_overview_then_explore(cli: Cli) -> None:
    made = cli("demo", "generate", "--customers", "150", "--seed", "3", "--json")
    assert made.exit_code == 0, made.stderr
    data = made.json()
    assert data["rows"]["persons"] == 150 and data["seed"] == 3 and data["seconds"] >= 0
    assert data["interactions"]["order.placed"] == data["rows"]["orders"]

    shown = cli("demo", "overview")
    assert shown.exit_code == 0, shown.stderr
    for expected in ("Revenue by month", "Top products", "repeat-purchase rate", "Consent", "NPS", "goodwill people show"):  # fmt: skip
        assert expected in shown.stdout, expected

    ov = cli("demo", "overview", "--json").json()
    assert ov["people"] == 150 and ov["orders"] > 0 and ov["example_email"]
    person = cli("people", "show", ov["example_email"], "--json")
    assert person.exit_code == 0, person.stderr
    assert person.json()["orders"]["orders"] >= 1

    stats = cli("stats", "--json").json()["counts"]
    assert stats["people"] == 150 and stats["orders"] == data["rows"]["orders"]


def test_summary_is_printed_for_people(cli: Cli) -> None:
    made = cli("demo", "generate", "--customers", "60", "--workspace", "shop")
    assert made.exit_code == 0, made.stderr
    assert "Demo shop generated" in made.stdout and "60 customers" in made.stdout
    assert "order.placed" in made.stdout


def test_regenerating_needs_replace(cli: Cli) -> None:
    assert cli("demo", "generate", "--customers", "40").exit_code == 0
    refused = cli("demo", "generate", "--customers", "40")
    assert refused.exit_code == 1
    assert "already holds data; pass --replace" in refused.stderr
    assert "Traceback" not in refused.stderr
    replaced = cli("demo", "generate", "--customers", "40", "--replace", "--json")
    assert replaced.exit_code == 0, replaced.stderr
    assert replaced.json()["replaced"] > 0
    assert cli("stats", "--json").json()["counts"]["people"] == 40


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--customers", "0"], 1, "--customers must be at least 1"),
        (["--customers", "-5"], 1, "--customers must be at least 1"),
        (["--customers", "10", "--currency", "GBP"], 1, "--currency must be one of USD, EUR"),
        (["--customers", "10", "--today", "yesterday"], 1, "--today must be a date"),
        (["--customers", "many"], 2, "Invalid value for '--customers'"),
    ],
)
def test_bad_input_is_one_clear_line(cli: Cli, args: list[str], code: int, message: str) -> None:
    result = cli("demo", "generate", *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_overview_of_an_empty_workspace_says_what_to_do(cli: Cli) -> None:
    result = cli("demo", "overview", "--workspace", "nothing-here")
    assert result.exit_code == 0
    assert "is empty" in result.stdout and "goodwill demo generate" in result.stdout


def test_typer_runner_drives_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import goodwill.cli.commands  # noqa: F401  (registers every command group)
    from goodwill.cli.app import app
    from goodwill.config import get_settings

    monkeypatch.setenv("GOODWILL_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(app, ["demo", "generate", "--customers", "30", "--seed", "9"])
        assert result.exit_code == 0, result.output
        assert "30 customers" in result.output
        result = runner.invoke(app, ["demo", "overview", "--json"])
        assert result.exit_code == 0, result.output
        assert '"people": 30' in result.output
    finally:
        get_settings.cache_clear()
