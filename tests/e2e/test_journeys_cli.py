from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Cli

GATED = """
key: gated-reviews
name: Only ask happy customers
version: 1
priority: review_nps
trigger:
  event: nps.answered
  where: score >= 9
steps:
  - id: ask
    type: request_review
    channel: email
    template: review_request
"""

BROKEN = """
key: broken
name: Broken
version: 1
priority: promotion
trigger: {event: order.placed}
steps:
  - id: say
    type: send_message
    channel: email
    purpose: marketing
"""


def test_list_enable_show_disable(cli: Cli) -> None:
    listed = cli("journeys", "list", "--json").json()
    assert {j["key"] for j in listed} >= {
        "review-request",
        "thank-you-first-order",
        "win-back-high-value",
    }
    assert all(not j["enabled"] for j in listed)
    enabled = cli("journeys", "enable", "review-request", "--json").json()
    assert enabled["enabled"] and enabled["version"] == 1
    shown = cli("journeys", "show", "review-request", "--json").json()
    assert shown["definition"]["key"] == "review-request" and shown["journey"]["enabled"]
    assert cli("journeys", "disable", "review-request").exit_code == 0
    assert not cli("journeys", "show", "review-request", "--json").json()["journey"]["enabled"]


def test_unknown_journey_lists_the_playbooks(cli: Cli) -> None:
    result = cli("journeys", "enable", "nope")
    assert result.exit_code == 1 and "playbooks ready to enable" in result.stderr


def test_review_gating_is_refused_with_the_reason(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "gated.yaml"
    path.write_text(GATED)
    result = cli("journeys", "publish", str(path))
    assert result.exit_code == 1
    assert "gating" in result.stderr.lower() and "Traceback" not in result.stderr


def test_invalid_definition_names_step_and_field(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = cli("journeys", "publish", str(path))
    assert result.exit_code == 1
    assert 'step "say"' in result.stderr and "template" in result.stderr


def test_publishing_a_changed_definition_needs_a_new_version(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        BROKEN.replace("key: broken", "key: mine").replace(
            "purpose: marketing", "purpose: marketing\n    template: winback"
        )
    )
    assert cli("journeys", "publish", str(path)).exit_code == 0
    assert cli("journeys", "publish", str(path)).exit_code == 0  # same content: nothing to do
    path.write_text(path.read_text().replace("template: winback", "template: loyalty_invite"))
    again = cli("journeys", "publish", str(path))
    assert again.exit_code == 1 and "version 2" in again.stderr
    path.write_text(path.read_text().replace("version: 1", "version: 2"))
    assert cli("journeys", "publish", str(path)).exit_code == 0
    assert cli("journeys", "show", "mine", "--json").json()["journey"]["version"] == 2


def test_report_without_enrolments_says_so(cli: Cli) -> None:
    cli("journeys", "enable", "thank-you-first-order")
    data = cli("journeys", "report", "thank-you-first-order", "--json").json()
    assert data["treated"] == 0 and data["holdout"] == 0
    text = cli("journeys", "report", "thank-you-first-order")
    assert text.exit_code == 0 and "repeat-purchase rate" in text.stdout
