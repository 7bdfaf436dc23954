"""What a person's answer through a signed link records: an unsubscribe, an NPS answer, a review.

The public link pages (:mod:`goodwill.web`) and the staff CLI (``goodwill people nps|review``)
both call this module, so an answer given on a web page, on the phone or on paper lands on the
timeline with the same kind and the same payload fields the demo generator and the readers use
(``score``/``comment`` for ``nps.answered``; ``rating``/``title``/``text`` and the subject's
``order``/``sku``... for ``review.submitted``).  Nothing here commits: each caller's request or
command step is the one transaction.

Rules the pages rely on:

* A token is checked before anything is read: forged or damaged is
  :class:`~goodwill.messaging.errors.InvalidUnsubscribeToken` or
  :class:`~goodwill.deliveries.links.InvalidFeedbackLink` (400), an expired feedback link
  :class:`~goodwill.deliveries.links.FeedbackLinkExpired` (410), a workspace or person that
  does not exist (any more) :class:`LinkTargetGone` (404).
* A link names a person id; a person merged away since the message was sent resolves to the
  person they were merged into (merges keep the loser as a tombstone), so an unsubscribe is
  honoured on the record that receives the messages now.
* Unsubscribing is idempotent through the consent ledger (an unchanged state appends nothing).
* One answer per feedback link: the timeline key derives from the link's signed payload, so the
  first answer stands and a second submission records nothing (:attr:`Recorded.created` is
  False and :attr:`Recorded.payload` is the answer on record).  The timeline is append-only;
  replacing an answer would need a correction event every reader understands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection

from goodwill.consent.models import ConsentChannel
from goodwill.consent.models import Purpose as ConsentPurpose
from goodwill.consent.service import consent_state, record_change
from goodwill.deliveries.links import (
    FeedbackClaim,
    FeedbackKind,
    InvalidFeedbackLink,
    verify_feedback_token,
)
from goodwill.deliveries.repository import FeedbackRepository
from goodwill.errors import InvalidInput, NotFound
from goodwill.kit.clock import as_utc
from goodwill.messaging.errors import InvalidUnsubscribeToken
from goodwill.messaging.links import UnsubscribeClaim, verify_unsubscribe_token
from goodwill.people.errors import PersonNotFound
from goodwill.people.service import resolve
from goodwill.timeline.models import Kind, idempotency_key
from goodwill.timeline.service import append
from goodwill.workspaces.service import Workspace

#: Longest comment/text/title kept; a browser can send more, a person rarely means to.
MAX_COMMENT: Final = 2000
MAX_TITLE: Final = 200
MAX_TEXT: Final = 5000
#: The answers a link (or staff) may record: an NPS score, a review's stars.
NPS_SCALE: Final = range(0, 11)
RATING_SCALE: Final = range(1, 6)
_LINK_SOURCE: Final = "feedback link"
UNSUBSCRIBE_SOURCE: Final = "unsubscribe link"


class LinkTargetGone(NotFound):
    """A genuine link whose workspace or person is not in this database."""

    code = "deliveries.link_target_gone"


class InvalidAnswer(InvalidInput):
    code = "deliveries.answer_invalid"


@dataclass(frozen=True, slots=True)
class RequestEvidence:
    """Where an answer came from, kept as consent evidence (not on feedback payloads)."""

    ip: str | None = None
    user_agent: str | None = None
    one_click: bool = False


@dataclass(frozen=True, slots=True)
class UnsubscribeTarget:
    workspace: Workspace
    person_id: int
    claim: UnsubscribeClaim
    #: The id the link names when that person was merged into ``person_id``.
    merged_from: int | None
    already: bool


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    target: UnsubscribeTarget
    ledger_id: int | None

    @property
    def created(self) -> bool:
        return self.ledger_id is not None


@dataclass(frozen=True, slots=True)
class FeedbackTarget:
    workspace: Workspace
    person_id: int
    claim: FeedbackClaim
    key: str
    #: The answer on record through this link, if any.
    answer: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    interaction_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def created(self) -> bool:
        return self.interaction_id is not None


# -- resolving a link ---------------------------------------------------------------------------
def _digits(value: str, what: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise LinkTargetGone(f"this link names an unknown {what}")
    return int(value)


def _target(conn: Connection, workspace_id: str, person_id: str) -> tuple[Workspace, int, int]:
    """(workspace, surviving person, person named in the link)."""
    ws = FeedbackRepository(conn).workspace(_digits(workspace_id, "business"))
    if ws is None:
        raise LinkTargetGone("this link belongs to a business that is not on this server")
    named = _digits(person_id, "person")
    try:
        return ws, resolve(conn, ws, str(named)), named
    except PersonNotFound:
        raise LinkTargetGone("the person this link was sent to is no longer on record") from None


def read_unsubscribe(conn: Connection, signing_key: str, token: str) -> UnsubscribeTarget:
    """Who and what a link would unsubscribe (reads only: a ``GET`` must change nothing)."""
    claim = verify_unsubscribe_token(signing_key, token)
    if claim.purpose not in set(ConsentPurpose) or claim.channel not in set(ConsentChannel):
        raise InvalidUnsubscribeToken(
            "this unsubscribe link names something Goodwill does not send"
        )
    ws, person, named = _target(conn, claim.workspace_id, claim.person_id)
    current = consent_state(conn, ws, person).get((claim.purpose, claim.channel))
    already = current is not None and not current.granted
    return UnsubscribeTarget(ws, person, claim, None if named == person else named, already)


def unsubscribe(
    conn: Connection, signing_key: str, token: str, *, evidence: RequestEvidence, now: datetime
) -> Unsubscribed:
    """Withdraw consent for exactly the link's purpose and channel, at once (RFC 8058)."""
    target = read_unsubscribe(conn, signing_key, token)
    FeedbackRepository(conn).lock_person(target.workspace, target.person_id)
    claim = target.claim
    record: dict[str, Any] = {
        "link": {
            "workspace_id": claim.workspace_id,
            "person_id": claim.person_id,
            "purpose": claim.purpose,
            "channel": claim.channel,
        },
        "token_sha256": hashlib.sha256(token.strip().encode("utf-8")).hexdigest()[:32],
        "method": "one-click" if evidence.one_click else "confirmation page",
        "ip": evidence.ip,
        "user_agent": (evidence.user_agent or "")[:300] or None,
        "at": as_utc(now).isoformat(),
    }
    if target.merged_from is not None:
        record["merged_into"] = target.person_id
    ledger_id = record_change(
        conn,
        target.workspace,
        target.person_id,
        purpose=claim.purpose,
        channel=claim.channel,
        action="withdraw",
        source=UNSUBSCRIBE_SOURCE,
        evidence=record,
        occurred_at=now,
    )
    return Unsubscribed(target, ledger_id)


def read_feedback(
    conn: Connection, signing_key: str, token: str, *, kind: FeedbackKind, now: datetime
) -> FeedbackTarget:
    """The link's person and subject, and the answer already given through it (reads only)."""
    token = token.strip()
    claim = verify_feedback_token(signing_key, token, now=as_utc(now))
    if claim.kind != kind:
        raise InvalidFeedbackLink(f"this is a {claim.kind} link, not a {kind} link")
    ws, person, _named = _target(conn, claim.workspace_id, claim.person_id)
    digest = hashlib.sha256(token.partition(".")[0].encode()).hexdigest()[:32]
    key = idempotency_key("link", kind, digest, "answered")
    answer = FeedbackRepository(conn).payload_by_key(ws, key)
    return FeedbackTarget(ws, person, claim, key, answer)


def _subject_fields(subject: Mapping[str, Any]) -> dict[str, Any]:
    """The subject's scalar fields (``order``, ``sku``, ``product_id``) at the payload's top
    level, where journeys (``order == $trigger.order``) and reports read them."""
    return {
        str(k): v
        for k, v in subject.items()
        if isinstance(v, str | int | float | bool) or v is None
    }


def _one_line(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def _paragraphs(text: str | None, limit: int) -> str:
    return (text or "").replace("\r\n", "\n").strip()[:limit].strip()


def _on_scale(value: int | None, scale: range, what: str) -> int:
    """``value`` if it is a whole number on ``scale``; else the one message every caller shows."""
    if value is None:
        raise InvalidAnswer(f"please choose {what} from {scale[0]} to {scale[-1]}")
    if isinstance(value, bool) or not isinstance(value, int) or value not in scale:
        raise InvalidAnswer(f"please choose {what} from {scale[0]} to {scale[-1]}, not {value!r}")
    return value


def nps_payload(
    score: int | None, comment: str | None, subject: Mapping[str, Any]
) -> dict[str, Any]:
    score = _on_scale(score, NPS_SCALE, "a number")
    payload = {**_subject_fields(subject), "score": score}
    text = _paragraphs(comment, MAX_COMMENT)
    if text:
        payload["comment"] = text
    return payload


def review_payload(
    rating: int | None, title: str | None, text: str | None, subject: Mapping[str, Any]
) -> dict[str, Any]:
    rating = _on_scale(rating, RATING_SCALE, "a rating")
    payload = {**_subject_fields(subject), "rating": rating}
    for name, cleaned in (
        ("title", _one_line(title, MAX_TITLE)),
        ("text", _paragraphs(text, MAX_TEXT)),
    ):
        if cleaned:
            payload[name] = cleaned
    return payload


def _record_link_answer(
    conn: Connection, target: FeedbackTarget, kind: str, payload: dict[str, Any], now: datetime
) -> Recorded:
    repo = FeedbackRepository(conn)
    repo.lock_person(target.workspace, target.person_id)
    interaction_id = append(
        conn,
        target.workspace,
        person_id=target.person_id,
        kind=kind,
        occurred_at=now,
        key=target.key,
        channel="web",
        source=_LINK_SOURCE,
        payload=payload,
    )
    if interaction_id is None:  # answered before through this link: the first answer stands
        return Recorded(None, repo.payload_by_key(target.workspace, target.key) or {})
    return Recorded(interaction_id, payload)


def answer_nps(
    conn: Connection,
    signing_key: str,
    token: str,
    *,
    score: int | None,
    comment: str | None,
    now: datetime,
) -> Recorded:
    """Record ``nps.answered`` once per link; a second answer records nothing."""
    target = read_feedback(conn, signing_key, token, kind="nps", now=now)
    payload = nps_payload(score, comment, target.claim.subject)
    return _record_link_answer(conn, target, Kind.NPS_ANSWERED, payload, now)


def submit_review(
    conn: Connection,
    signing_key: str,
    token: str,
    *,
    rating: int | None,
    title: str | None,
    text: str | None,
    now: datetime,
) -> Recorded:
    """Record ``review.submitted`` with the link's subject once per link."""
    target = read_feedback(conn, signing_key, token, kind="review", now=now)
    payload = review_payload(rating, title, text, target.claim.subject)
    return _record_link_answer(conn, target, Kind.REVIEW_SUBMITTED, payload, now)


# -- staff recording answers received elsewhere -------------------------------------------------
def _staff_key(kind: str, person_id: int, at: datetime, payload: Mapping[str, Any]) -> str:
    """Same person, moment and answer: the same key, so re-running a command adds nothing."""
    raw = repr(sorted((k, str(v)) for k, v in payload.items()))
    digest = hashlib.sha256(f"{person_id}|{as_utc(at).isoformat()}|{raw}".encode()).hexdigest()
    return idempotency_key("staff", kind.split(".")[0], digest[:32], "recorded")


def record_nps(
    conn: Connection,
    workspace: Workspace,
    person_id: int,
    *,
    score: int,
    comment: str | None,
    at: datetime,
    by: str,
    channel: str = "",
) -> Recorded:
    """An NPS answer given by phone or on paper, as the same ``nps.answered`` a link records."""
    payload = nps_payload(score, comment, {})
    return _record_staff(
        conn, workspace, person_id, Kind.NPS_ANSWERED, payload, at=at, by=by, channel=channel
    )


def record_review(
    conn: Connection,
    workspace: Workspace,
    person_id: int,
    *,
    rating: int,
    sku: str | None,
    order: str | None,
    title: str | None,
    text: str | None,
    at: datetime,
    by: str,
    channel: str = "",
) -> Recorded:
    """A review received elsewhere; ``sku`` must name a known product (its id and name are
    added, as the demo's reviews carry them)."""
    subject: dict[str, Any] = {}
    if order:
        subject["order"] = order
    if sku:
        product = FeedbackRepository(conn).product_by_sku(workspace, sku)
        if product is None:
            raise InvalidAnswer(f"no product with SKU {sku!r} in workspace {workspace.name!r}")
        subject.update({"product_id": product[0], "sku": sku, "product": product[1]})
    payload = review_payload(rating, title, text, subject)
    return _record_staff(
        conn, workspace, person_id, Kind.REVIEW_SUBMITTED, payload, at=at, by=by, channel=channel
    )


def _record_staff(
    conn: Connection,
    workspace: Workspace,
    person_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    at: datetime,
    by: str,
    channel: str,
) -> Recorded:
    interaction_id = append(
        conn,
        workspace,
        person_id=person_id,
        kind=kind,
        occurred_at=as_utc(at),
        key=_staff_key(kind, person_id, at, payload),
        channel=channel,
        actor=by,
        source="staff",
        payload=payload,
    )
    return Recorded(interaction_id, payload)
