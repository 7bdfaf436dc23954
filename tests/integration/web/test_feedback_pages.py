"""NPS and review pages: one answer per link, recorded with the payload fields the scoring,
journeys and reports already read (``score``/``comment``; ``rating``/``title``/``text`` and the
link's subject)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.integration.web.conftest import NOW, Site

from goodwill.db import tables as t
from goodwill.journeys import load_playbook
from goodwill.journeys.scheduler import run_pass
from goodwill.journeys.service import publish, set_enabled
from goodwill.people.service import merge
from goodwill.scoring.repository import ScoringRepository

pytestmark = pytest.mark.integration


def test_nps_page_asks_and_preselects_without_recording(site: Site) -> None:
    pid = site.person()
    token = site.feedback_token("nps", pid)
    page = site.client.get(f"/nps/{token}?score=9")
    assert page.status_code == 200
    assert "How likely are you to recommend Casa Verde" in page.text
    assert 'value="9" required checked' in page.text
    assert page.text.count("checked") == 1
    assert "your order 1001" in page.text
    assert "<script" not in page.text and "://" not in page.text  # nothing from elsewhere
    assert 'href="/static/goodwill.css"' in page.text
    css = site.client.get("/static/goodwill.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert site.client.get(f"/nps/{token}?score=eleven").status_code == 200
    assert site.interactions("nps.answered") == []


def test_nps_answer_is_recorded_once_and_read_by_scoring_and_journeys(site: Site) -> None:
    with site.engine.begin() as conn:
        playbook = load_playbook("referral-after-promoter").model_copy(update={"holdout": 0.0})
        publish(conn, site.ws, playbook)
        set_enabled(conn, site.ws, "referral-after-promoter", True)
    pid = site.person()
    token = site.feedback_token("nps", pid, {"order": "1001"})
    first = site.client.post(f"/nps/{token}", data={"score": "9", "comment": "  Great coffee!  "})
    assert first.status_code == 200 and "9 out of 10" in first.text
    again = site.client.post(f"/nps/{token}", data={"score": "2", "comment": "changed my mind"})
    assert again.status_code == 200 and "already have your answer" in again.text
    assert "9 out of 10" in again.text
    [answer] = site.interactions("nps.answered")
    assert answer.person_id == pid and answer.workspace_id == site.ws.id
    assert answer.payload == {"order": "1001", "score": 9, "comment": "Great coffee!"}
    assert (answer.channel, answer.source) == ("web", "feedback link")
    assert answer.idempotency_key.startswith("link:nps:")
    # the page now shows the answer on record instead of the question
    assert "already have your answer" in site.client.get(f"/nps/{token}").text
    with site.engine.connect() as conn:
        frame = ScoringRepository(conn, site.ws).nps_answers(NOW + timedelta(days=1))
    assert frame.to_dicts() == [
        {"person_id": pid, "answered_at": NOW.replace(tzinfo=None), "score": 9}
    ]
    run_pass(site.engine, "shop", NOW + timedelta(minutes=5))
    with site.engine.connect() as conn:
        [enrolment] = list(conn.execute(select(t.enrolments)))
    assert enrolment.person_id == pid  # the promoter trigger (score >= 9) fired


def test_nps_without_a_score_shows_the_form_again(site: Site) -> None:
    pid = site.person()
    token = site.feedback_token("nps", pid)
    page = site.client.post(f"/nps/{token}", data={"comment": "<b>no score</b>"})
    assert page.status_code == 422
    assert "please choose a number from 0 to 10" in page.text
    assert "&lt;b&gt;no score&lt;/b&gt;" in page.text and "<b>no score" not in page.text
    assert site.client.post(f"/nps/{token}", data={"score": "11"}).status_code == 422
    assert site.interactions("nps.answered") == []


def test_review_is_recorded_with_its_subject_once(site: Site) -> None:
    pid = site.person()
    token = site.feedback_token("review", pid, {"order": "1001", "sku": "KENYA-AA"})
    page = site.client.get(f"/r/{token}")
    assert page.status_code == 200 and "your order 1001" in page.text
    done = site.client.post(
        f"/r/{token}",
        data={"rating": "4", "title": " Lovely\n beans ", "text": "Fresh.\r\nWill buy again."},
    )
    assert done.status_code == 200 and "4 out of 5" in done.text
    again = site.client.post(f"/r/{token}", data={"rating": "1"})
    assert again.status_code == 200 and "already have your review" in again.text
    [review] = site.interactions("review.submitted")
    assert review.person_id == pid
    assert review.payload == {
        "order": "1001",
        "sku": "KENYA-AA",
        "rating": 4,
        "title": "Lovely beans",
        "text": "Fresh.\nWill buy again.",
    }


def test_an_nps_link_is_not_a_review_link(site: Site) -> None:
    pid = site.person()
    nps = site.feedback_token("nps", pid)
    page = site.client.post(f"/r/{nps}", data={"rating": "5"})
    assert page.status_code == 400 and "not a review link" in page.text
    assert site.interactions("review.submitted") == []


def test_an_answer_for_a_merged_away_person_lands_on_the_survivor(site: Site) -> None:
    winner = site.person(email="ana@example.org")
    loser = site.person(email="ana.old@example.org")
    with site.engine.begin() as conn:
        merge(conn, site.ws, str(winner), str(loser))
    token = site.feedback_token("nps", loser)
    assert site.client.post(f"/nps/{token}", data={"score": "10"}).status_code == 200
    [answer] = site.interactions("nps.answered")
    assert answer.person_id == winner
