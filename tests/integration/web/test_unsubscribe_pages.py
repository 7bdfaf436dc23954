"""The one-click unsubscribe page: GET asks, POST (from the page or a mail client) withdraws
consent for exactly the link's purpose and channel, once, and the worker honours it at send."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from tests import builders as b
from tests.integration.web.conftest import Site
from tests.integration.worker import outbox_kit as k

from goodwill.consent.service import consent_state
from goodwill.people.service import merge
from goodwill.worker.dispatcher import Dispatcher

pytestmark = pytest.mark.integration
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _marketing_email_granted(engine: Engine, site: Site, pid: int) -> bool:
    with engine.connect() as conn:
        return consent_state(conn, site.ws, pid)[("marketing", "email")].granted


def test_get_asks_and_changes_nothing(site: Site) -> None:
    pid = site.person()
    page = site.client.get(f"/u/{site.unsubscribe_token(pid)}")
    assert page.status_code == 200
    assert "marketing emails from Casa Verde" in page.text
    assert '<form method="post"' in page.text and "<script" not in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert _marketing_email_granted(site.engine, site, pid)
    assert len(site.consent_rows(pid)) == 1


def test_one_click_post_withdraws_with_evidence_and_the_worker_suppresses(site: Site) -> None:
    pid = site.person(email="ana@example.org")
    site.clock.now = k.NOW - timedelta(minutes=5)
    token = site.unsubscribe_token(pid)
    answer = site.client.post(
        f"/u/{token}",
        data=ONE_CLICK,
        headers={"user-agent": "ExampleMail/1.0 one-click"},
    )
    assert answer.status_code == 200
    assert "You are unsubscribed" in answer.text
    assert not _marketing_email_granted(site.engine, site, pid)
    [_grant, withdrawal] = site.consent_rows(pid)
    assert (withdrawal.action, withdrawal.purpose, withdrawal.channel, withdrawal.source) == (
        "withdraw",
        "marketing",
        "email",
        "unsubscribe link",
    )
    evidence = withdrawal.evidence
    assert evidence["link"] == {
        "workspace_id": str(site.ws.id),
        "person_id": str(pid),
        "purpose": "marketing",
        "channel": "email",
    }
    assert evidence["method"] == "one-click"
    assert evidence["user_agent"] == "ExampleMail/1.0 one-click"
    assert evidence["ip"] and evidence["at"].startswith("2026-03-03T09:55")
    assert token not in str(evidence)  # the token never expires: it is not kept as evidence
    # the worker's send-time check now suppresses a marketing email to this person
    with site.engine.begin() as conn:
        row_id = k.add_outbox(conn, site.ws, k.message_intent(pid))
    with (
        k.smtp_sink() as (sink, port),
        Dispatcher(site.engine, site.ws, k.email_registry(port), k.config()) as dispatcher,
    ):
        stats = dispatcher.run_pass(k.NOW)
    assert stats.by_status == {"suppressed": 1} and sink.received == []
    with site.engine.connect() as conn:
        [entry] = k.ledger(conn, row_id)
    assert entry.reason.startswith("suppressed: marketing email consent withdrawn")


def test_a_second_post_records_nothing_and_still_confirms(site: Site) -> None:
    pid = site.person()
    token = site.unsubscribe_token(pid)
    first = site.client.post(f"/u/{token}", data={"confirm": "yes"})
    second = site.client.post(f"/u/{token}", data=ONE_CLICK)
    assert first.status_code == second.status_code == 200
    assert "You are unsubscribed" in second.text and "already recorded" in second.text
    assert [r.action for r in site.consent_rows(pid)] == ["grant", "withdraw"]
    assert site.consent_rows(pid)[1].evidence["method"] == "confirmation page"
    assert len(site.interactions("consent.withdrawn")) == 1
    # the page now says so instead of offering the button again
    page = site.client.get(f"/u/{token}")
    assert "You are unsubscribed" in page.text and "<form" not in page.text


def test_only_the_links_purpose_and_channel_stop(site: Site) -> None:
    pid = site.person()
    with site.engine.begin() as conn:
        b.consent(conn, site.ws, pid, purpose="marketing", channel="sms")
    site.client.post(f"/u/{site.unsubscribe_token(pid, 'marketing', 'sms')}", data=ONE_CLICK)
    with site.engine.connect() as conn:
        state = consent_state(conn, site.ws, pid)
    assert state[("marketing", "sms")].granted is False
    assert state[("marketing", "email")].granted is True


def test_a_merged_away_person_is_unsubscribed_on_the_survivor(site: Site) -> None:
    winner = site.person(consent=False, email="ana@example.org")
    loser = site.person(email="ana.old@example.org")
    with site.engine.begin() as conn:
        merge(conn, site.ws, str(winner), str(loser), reason="same person")
    answer = site.client.post(f"/u/{site.unsubscribe_token(loser)}", data=ONE_CLICK)
    assert answer.status_code == 200
    assert not _marketing_email_granted(site.engine, site, winner)
    withdrawal = site.consent_rows(winner)[-1]
    assert withdrawal.action == "withdraw"
    assert withdrawal.evidence["merged_into"] == winner
    assert withdrawal.evidence["link"]["person_id"] == str(loser)


def test_a_person_without_any_consent_on_record_is_still_unsubscribed(site: Site) -> None:
    pid = site.person(consent=False)
    assert site.client.post(f"/u/{site.unsubscribe_token(pid)}").status_code == 200
    assert [r.action for r in site.consent_rows(pid)] == ["withdraw"]  # an empty body is fine


def test_the_rfc_8058_multipart_one_click_request_works(site: Site) -> None:
    """The RFC's own example posts multipart/form-data with no cookie and no page state."""
    pid = site.person()
    body = (
        b"--XXXXXX\r\n"
        b'Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        b"One-Click\r\n"
        b"--XXXXXX--\r\n"
    )
    answer = site.client.post(
        f"/u/{site.unsubscribe_token(pid)}",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=XXXXXX"},
    )
    assert answer.status_code == 200
    assert site.consent_rows(pid)[-1].evidence["method"] == "one-click"
