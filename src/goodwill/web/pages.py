"""Routes of the public link pages: parse, call :mod:`goodwill.deliveries.feedback`, render.

``GET`` never changes anything (mail scanners and link previews fetch every URL in a message);
``POST`` records.  ``POST /u/<token>`` is also RFC 8058's one-click request, sent by mail
clients without cookies or page state, so it needs no CSRF token: the signed token is the
authority, and all it can do is stop messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse

from goodwill.deliveries import feedback
from goodwill.deliveries.feedback import InvalidAnswer, RequestEvidence
from goodwill.deliveries.links import FeedbackKind
from goodwill.web.rendering import Pages, describe_stop
from goodwill.web.transaction import transaction

router = APIRouter()
OptionalField = Annotated[str | None, Form()]


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def _key(request: Request) -> str:
    return str(request.app.state.settings.signing_key)


def _evidence(request: Request, one_click: bool) -> RequestEvidence:
    return RequestEvidence(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        one_click=one_click,
    )


def _about(subject: Mapping[str, Any]) -> str:
    """What a feedback link asks about, for the page heading."""
    if subject.get("product"):
        return str(subject["product"])
    if subject.get("order"):
        return f"your order {subject['order']}"
    if subject.get("sku"):
        return f"product {subject['sku']}"
    return ""


def _int_or_none(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 3 else None


# -- unsubscribe --------------------------------------------------------------------------------
@router.get("/u/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    target = transaction(
        request.app.state, lambda conn: feedback.read_unsubscribe(conn, _key(request), token)
    )
    pages = _pages(request)
    what = describe_stop(target.claim.purpose, target.claim.channel, pages.brand)
    return pages.page(request, "unsubscribe.html", what=what, already=target.already)


@router.post("/u/{token}", response_class=HTMLResponse)
def unsubscribe_now(
    request: Request,
    token: str,
    one_click: Annotated[str | None, Form(alias="List-Unsubscribe")] = None,
) -> HTMLResponse:
    evidence = _evidence(request, one_click == "One-Click")
    now = request.app.state.clock()
    done = transaction(
        request.app.state,
        lambda conn: feedback.unsubscribe(conn, _key(request), token, evidence=evidence, now=now),
    )
    pages = _pages(request)
    claim = done.target.claim
    what = describe_stop(claim.purpose, claim.channel, pages.brand)
    return pages.page(request, "unsubscribed.html", what=what, created=done.created)


# -- NPS ----------------------------------------------------------------------------------------
def _nps_thanks(request: Request, payload: Mapping[str, Any], *, created: bool) -> HTMLResponse:
    return _pages(request).page(
        request,
        "thanks.html",
        created=created,
        noun="answer",
        summary=f"{payload.get('score')} out of 10",
        comment=payload.get("comment", ""),
    )


def _nps_form(
    request: Request,
    target: feedback.FeedbackTarget,
    *,
    selected: int | None,
    comment: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    return _pages(request).page(
        request,
        "nps.html",
        status=status,
        scale=feedback.NPS_SCALE,
        about=_about(target.claim.subject),
        selected=selected,
        comment=comment,
        error=error,
        max_comment=feedback.MAX_COMMENT,
    )


def _read(request: Request, token: str, kind: FeedbackKind) -> feedback.FeedbackTarget:
    now = request.app.state.clock()
    return transaction(
        request.app.state,
        lambda conn: feedback.read_feedback(conn, _key(request), token, kind=kind, now=now),
    )


@router.get("/nps/{token}", response_class=HTMLResponse)
def nps_page(
    request: Request, token: str, score: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    target = _read(request, token, "nps")
    if target.answer is not None:
        return _nps_thanks(request, target.answer, created=False)
    selected = _int_or_none(score)
    return _nps_form(request, target, selected=selected if selected in feedback.NPS_SCALE else None)


@router.post("/nps/{token}", response_class=HTMLResponse)
def nps_answer(
    request: Request, token: str, score: OptionalField = None, comment: OptionalField = None
) -> HTMLResponse:
    value = _int_or_none(score)
    now = request.app.state.clock()

    def work(conn: Connection) -> feedback.Recorded:
        return feedback.answer_nps(
            conn, _key(request), token, score=value, comment=comment, now=now
        )

    try:
        done = transaction(request.app.state, work)
    except InvalidAnswer as exc:
        target = _read(request, token, "nps")
        if target.answer is not None:
            return _nps_thanks(request, target.answer, created=False)
        return _nps_form(
            request, target, selected=None, comment=comment or "", error=exc.message, status=422
        )
    return _nps_thanks(request, done.payload, created=done.created)


# -- reviews ------------------------------------------------------------------------------------
def _review_thanks(request: Request, payload: Mapping[str, Any], *, created: bool) -> HTMLResponse:
    return _pages(request).page(
        request,
        "thanks.html",
        created=created,
        noun="review",
        summary=f"{payload.get('rating')} out of 5",
        comment=payload.get("title", ""),
    )


def _review_form(
    request: Request,
    target: feedback.FeedbackTarget,
    *,
    selected: int | None = None,
    title: str = "",
    text: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    return _pages(request).page(
        request,
        "review.html",
        status=status,
        scale=feedback.RATING_SCALE,
        about=_about(target.claim.subject),
        selected=selected,
        title=title,
        text=text,
        error=error,
        max_title=feedback.MAX_TITLE,
        max_text=feedback.MAX_TEXT,
    )


@router.get("/r/{token}", response_class=HTMLResponse)
def review_page(
    request: Request, token: str, rating: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    target = _read(request, token, "review")
    if target.answer is not None:
        return _review_thanks(request, target.answer, created=False)
    selected = _int_or_none(rating)
    return _review_form(
        request, target, selected=selected if selected in feedback.RATING_SCALE else None
    )


@router.post("/r/{token}", response_class=HTMLResponse)
def review_submit(
    request: Request,
    token: str,
    rating: OptionalField = None,
    title: OptionalField = None,
    text: OptionalField = None,
) -> HTMLResponse:
    value = _int_or_none(rating)
    now = request.app.state.clock()

    def work(conn: Connection) -> feedback.Recorded:
        return feedback.submit_review(
            conn, _key(request), token, rating=value, title=title, text=text, now=now
        )

    try:
        done = transaction(request.app.state, work)
    except InvalidAnswer as exc:
        target = _read(request, token, "review")
        if target.answer is not None:
            return _review_thanks(request, target.answer, created=False)
        return _review_form(
            request, target, title=title or "", text=text or "", error=exc.message, status=422
        )
    return _review_thanks(request, done.payload, created=done.created)
