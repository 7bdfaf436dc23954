"""Bad links and bad requests get a friendly page with a 4xx status, never a 5xx or a traceback."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests import builders as b
from tests.integration.web.conftest import NOW, Site

from goodwill.workspaces.service import get_or_create

pytestmark = pytest.mark.integration


def _friendly(page_text: str) -> bool:
    return "Traceback" not in page_text and "<h1>" in page_text


@pytest.mark.parametrize("path", ["/u/{}", "/nps/{}", "/r/{}"])
def test_forged_and_damaged_links_are_400(site: Site, path: str) -> None:
    pid = site.person()
    forged = {
        "/u/{}": site.unsubscribe_token(pid, key="someone-elses-key"),
        "/nps/{}": site.feedback_token("nps", pid, key="someone-elses-key"),
        "/r/{}": site.feedback_token("review", pid, key="someone-elses-key"),
    }[path]
    for token in (forged, "nonsense", "a.b", forged.replace(".", ""), forged + "é"):
        for method in ("get", "post"):
            page = getattr(site.client, method)(path.format(token))
            assert page.status_code == 400, (token, method)
            assert "This link does not work" in page.text and _friendly(page.text)
    assert len(site.consent_rows(pid)) == 1


def test_expired_feedback_link_is_410(site: Site) -> None:
    pid = site.person()
    token = site.feedback_token("nps", pid, expires_at=NOW - timedelta(seconds=1))
    page = site.client.get(f"/nps/{token}")
    assert page.status_code == 410
    assert "This link has expired" in page.text and "expired on 2026-03-03" in page.text
    assert site.client.post(f"/nps/{token}", data={"score": "7"}).status_code == 410
    site.clock.now = NOW - timedelta(days=1)  # the same link, the day before, still works
    assert site.client.post(f"/nps/{token}", data={"score": "7"}).status_code == 200


def test_unknown_workspace_or_person_is_404(site: Site) -> None:
    pid = site.person()
    other_ws = site.unsubscribe_token(pid, workspace_id=site.ws.id + 1000)
    page = site.client.post(f"/u/{other_ws}")
    assert page.status_code == 404 and "not on this server" in page.text
    gone = site.feedback_token("review", 999_999)
    assert site.client.get(f"/r/{gone}").status_code == 404
    assert site.client.get("/nowhere").status_code == 404
    assert "<h1>" in site.client.get("/nowhere").text


def test_a_person_of_another_workspace_is_not_reached(site: Site, engine: Engine) -> None:
    """Workspace and person come together from the signed link: a valid person id of another
    business under this workspace's id finds nobody."""

    with engine.begin() as conn:
        other = get_or_create(conn, "other-shop")
        stranger = b.person(conn, other)
    token = site.unsubscribe_token(stranger)  # signed for site.ws, names another's person
    assert site.client.post(f"/u/{token}").status_code == 404
    assert site.consent_rows(stranger) == []


def test_oversized_and_malformed_bodies_are_refused(site: Site) -> None:
    pid = site.person()
    token = site.feedback_token("nps", pid)
    big = site.client.post(f"/nps/{token}", data={"score": "5", "comment": "x" * 40_000})
    assert big.status_code == 413 and "too long" in big.text
    chunked = site.client.post(
        f"/nps/{token}",
        content=iter([b"score=5&comment=", b"y" * 40_000]),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413
    broken = site.client.post(
        f"/nps/{token}",
        content=b"--zz\r\nnot multipart",
        headers={"content-type": "multipart/form-data; boundary=zz"},
    )
    assert 400 <= broken.status_code < 500 and _friendly(broken.text)
    assert site.interactions("nps.answered") == []


def test_healthz_reports_the_database(site: Site) -> None:
    answer = site.client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_tampered_token_is_a_4xx_never_a_5xx(site: Site, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["u", "nps", "r"]))
    pid = 1
    token = {
        "u": site.unsubscribe_token(pid),
        "nps": site.feedback_token("nps", pid),
        "r": site.feedback_token("review", pid),
    }[kind]
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
            min_size=0,
            max_size=3,
        )
    )
    tampered = token[:position] + replacement + token[position + 1 :]
    if tampered.strip() == token:
        return
    url = f"/{kind}/{quote(tampered, safe='')}"
    if data.draw(st.booleans()):
        page = site.client.post(url, data={"score": "5", "rating": "3"})
    else:
        page = site.client.get(url)
    assert 400 <= page.status_code < 500, (tampered, page.status_code)
