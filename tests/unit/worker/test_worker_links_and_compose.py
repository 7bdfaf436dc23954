"""Signed feedback links and message composition (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodwill.deliveries.links import (
    FeedbackClaim,
    InvalidFeedbackLink,
    feedback_link,
    make_feedback_token,
    verify_feedback_token,
)
from goodwill.journeys.intents import RequestReview, SendMessage
from goodwill.messaging.errors import TemplateVariableMissing
from goodwill.messaging.vocabulary import ChannelKind, Priority, Purpose
from goodwill.worker.compose import Composer, compose_message, compose_task, context_for
from goodwill.worker.facts import OrderFacts, PersonFacts

NOW = datetime(2026, 3, 3, 10, tzinfo=UTC)
KEY = "signing-key-for-tests"
COMPOSER = Composer(
    workspace_id=1, brand="Casa Verde", public_url="https://gw.example", signing_key=KEY
)


def claim(**over: object) -> FeedbackClaim:
    values: dict[str, object] = {
        "kind": "review",
        "workspace_id": "1",
        "person_id": "7",
        "subject": {"order": "1001"},
        "expires_at": NOW + timedelta(days=90),
    }
    values.update(over)
    return FeedbackClaim(**values)  # type: ignore[arg-type]


def test_a_link_verifies_until_it_expires() -> None:
    token = make_feedback_token(KEY, claim())
    got = verify_feedback_token(KEY, token, now=NOW)
    assert (got.kind, got.person_id, dict(got.subject)) == ("review", "7", {"order": "1001"})
    with pytest.raises(InvalidFeedbackLink, match="expired"):
        verify_feedback_token(KEY, token, now=NOW + timedelta(days=91))


def test_a_link_signed_with_another_key_or_tampered_is_refused() -> None:
    token = make_feedback_token(KEY, claim())
    with pytest.raises(InvalidFeedbackLink, match="not issued"):
        verify_feedback_token("another-key-entirely", token, now=NOW)
    payload, signature = token.split(".")
    forged = make_feedback_token(KEY, claim(person_id="8")).split(".")[0] + "." + signature
    with pytest.raises(InvalidFeedbackLink):
        verify_feedback_token(KEY, forged, now=NOW)
    with pytest.raises(InvalidFeedbackLink):
        verify_feedback_token(KEY, payload, now=NOW)


def test_an_unsubscribe_token_is_not_a_feedback_link() -> None:
    from goodwill.messaging.links import UnsubscribeClaim, make_unsubscribe_token

    token = make_unsubscribe_token(KEY, UnsubscribeClaim("1", "7", "marketing", "email"))
    with pytest.raises(InvalidFeedbackLink):
        verify_feedback_token(KEY, token, now=NOW)


@given(
    person=st.text(min_size=1, max_size=20),
    order=st.text(max_size=30),
    kind=st.sampled_from(["review", "nps"]),
)
def test_any_claim_round_trips(person: str, order: str, kind: str) -> None:
    url = feedback_link(
        "https://gw.example/",
        KEY,
        kind=kind,  # type: ignore[arg-type]
        workspace_id="1",
        person_id=person,
        subject={"order": order},
        issued_at=NOW,
    )
    path = "/r/" if kind == "review" else "/nps/"
    assert url.startswith("https://gw.example" + path)
    got = verify_feedback_token(KEY, url.rsplit("/", 1)[1], now=NOW)
    assert (got.person_id, dict(got.subject)) == (person, {"order": order})


def intent(**over: object) -> SendMessage:
    values: dict[str, object] = {
        "idempotency_key": "e1:s:1",
        "enrolment_id": "e1",
        "person_id": "7",
        "journey_key": "j",
        "journey_version": 1,
        "step_id": "s",
        "occurrence": 1,
        "not_before": NOW,
        "priority": Priority.RELATIONSHIP,
        "channel": ChannelKind.EMAIL,
        "template": "thank_you_first_order",
        "purpose": Purpose.MARKETING,
    }
    values.update(over)
    return SendMessage(**values)  # type: ignore[arg-type]


def person(**over: object) -> PersonFacts:
    values: dict[str, object] = {"person_id": 7, "first_name": "ANA", "emails": ["ana@example.org"]}
    values.update(over)
    return PersonFacts(**values)  # type: ignore[arg-type]


def test_staff_notes_stay_out_of_customer_messages_but_reach_tasks() -> None:
    note = person(remembered_fact="prefers morning deliveries")
    sentence = person(remembered_fact="I hope the Porto half marathon went well!")
    assert context_for(intent(), note, COMPOSER)["remembered_fact"] is None
    assert context_for(intent(), sentence, COMPOSER)["remembered_fact"].startswith("I hope")
    assert context_for(intent(), note, COMPOSER, for_staff=True)["remembered_fact"] == (
        "prefers morning deliveries"
    )


def test_the_order_the_journey_names_wins_over_the_latest() -> None:
    facts = person(
        last_order=OrderFacts("1002", "Mug"), orders={"1001": OrderFacts("1001", "Kenya AA")}
    )
    named = RequestReview(
        **{k: v for k, v in vars_of(intent()).items() if k in REQUEST_FIELDS},
        channel=ChannelKind.EMAIL,
        template="review_request",
        subject={"order": "1001"},
        variables={"review_url": "{{signed_link}}"},
    )
    context = context_for(named, facts, COMPOSER)
    assert (context["last_product"], context["last_order_number"]) == ("Kenya AA", "1001")
    assert context["review_url"].startswith("https://gw.example/r/")
    assert context_for(intent(), facts, COMPOSER)["last_product"] == "Mug"


REQUEST_FIELDS = {
    "idempotency_key",
    "enrolment_id",
    "person_id",
    "journey_key",
    "journey_version",
    "step_id",
    "occurrence",
    "not_before",
    "priority",
}


def vars_of(i: SendMessage) -> dict[str, object]:
    return {name: getattr(i, name) for name in REQUEST_FIELDS}


def test_compose_renders_every_part_and_addresses_the_person() -> None:
    message, rendered = compose_message(intent(), person(), COMPOSER, key="e1:s:1")
    assert message.to == "ana@example.org" and message.to_name == "Ana"
    assert message.subject and message.text.startswith("Hi Ana,")
    assert rendered.html is not None and message.html == rendered.html
    assert "/u/" in message.text


def test_compose_refuses_to_send_a_blank() -> None:
    with pytest.raises(TemplateVariableMissing) as info:
        compose_message(intent(template="anniversary"), person(), COMPOSER, key="k")
    assert info.value.variable == "milestone"


def test_task_falls_back_to_the_default_queue_and_skips_weekends() -> None:
    saturday = datetime(2026, 3, 7, 9, tzinfo=UTC)
    fields = compose_task(
        intent(channel=ChannelKind.TASK, template="post_order_checkin"),
        person(),
        COMPOSER,
        key="k",
        now=saturday - timedelta(days=2),
    )
    assert fields.assignee.name == "customer-care" and fields.assignee.kind == "queue"
    assert fields.due_at.weekday() < 5
