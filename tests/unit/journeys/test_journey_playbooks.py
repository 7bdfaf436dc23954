"""Every shipped playbook loads, validates, and behaves in a realistic scenario."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.unit.journeys.journey_kit import event
from tests.unit.journeys.journey_kit import run as run_with

from goodwill.consent.models import Purpose
from goodwill.journeys import (
    SIGNED_LINK,
    Advance,
    CompiledJourney,
    CreateTask,
    EnrolmentState,
    EnrolmentStatus,
    Event,
    ImportantDate,
    Intent,
    PersonContext,
    Refusal,
    RequestNps,
    RequestReview,
    SendMessage,
    compile_journey,
    due_date_events,
    enrol,
    load_playbook,
    playbook_names,
)
from goodwill.messaging.context import KNOWN_VARIABLES
from goodwill.messaging.vocabulary import Priority

EXPECTED = {
    "anniversary-note",
    "b2b-post-order-checkins",
    "birthday-note",
    "loyalty-invite-second-order",
    "nps-after-second-delivery",
    "referral-after-promoter",
    "review-request",
    "thank-you-first-order",
    "win-back-high-value",
}
LISBON = PersonContext(person_id="p7", timezone="Europe/Lisbon", owner="ana@shop.pt")
D = datetime(2026, 4, 6, 14, 30, tzinfo=UTC)  # a Monday afternoon, Lisbon is UTC+1


def play(name: str) -> CompiledJourney:
    """The playbook with its holdout switched off, so a scenario's person is always treated."""
    return compile_journey(load_playbook(name).model_copy(update={"holdout": 0.0}))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_playbook_keeps_a_holdout_group_to_measure_uplift(name: str) -> None:
    assert 0 < load_playbook(name).holdout <= 0.2


def enrolled(
    j: CompiledJourney, trigger: object, who: PersonContext = LISBON, eid: str = "e1"
) -> EnrolmentState:
    result = enrol(j, who, trigger, trigger.occurred_at, [], enrolment_id=eid)  # type: ignore[attr-defined,arg-type]
    assert not isinstance(result, Refusal), result
    return result


def run(j: CompiledJourney, s: EnrolmentState, checkpoints: list[datetime], events: list[Event] | None = None,
        who: PersonContext = LISBON) -> tuple[EnrolmentState, list[Intent], list[Advance]]:  # fmt: skip
    return run_with(j, s, checkpoints, events or [], who)


def daily(days: int) -> list[datetime]:
    return [D.replace(hour=0, minute=0) + n * (D - D.replace(day=5)) for n in range(1, days + 1)]


def test_every_playbook_loads_validates_and_names_its_key_after_its_file() -> None:
    assert set(playbook_names()) == EXPECTED
    for name in playbook_names():
        definition = load_playbook(name)
        assert definition.key == name and definition.version == 1
        assert definition.description.strip(), name


def test_playbook_templates_exist_and_variables_are_known_to_messaging() -> None:
    from importlib import resources

    shipped = {p.name for p in (resources.files("goodwill.messaging") / "templates").iterdir()}
    for name in playbook_names():
        for step in load_playbook(name).steps:
            template = getattr(step, "template", None)
            if template is not None:
                assert template in shipped, (name, template)
            for var in getattr(step, "vars", {}) or {}:
                assert var in KNOWN_VARIABLES or var == "years", (name, var)


def test_thank_you_after_the_first_order_only() -> None:
    j = play("thank-you-first-order")
    s = enrolled(j, event("order.placed", D, 1, order="#1001", order_index=1))
    state, intents, _ = run(j, s, daily(2))
    (thanks,) = intents
    assert isinstance(thanks, SendMessage) and thanks.template == "thank_you_first_order"
    assert (
        thanks.not_before == D.replace(hour=16, minute=30)
        and thanks.purpose is Purpose.TRANSACTIONAL
    )
    assert (
        thanks.variables == {"last_order_number": "#1001"}
        and thanks.priority is Priority.RELATIONSHIP
    )
    assert state.status is EnrolmentStatus.COMPLETED
    second = enrol(
        j,
        LISBON,
        event("order.placed", D, 2, order="#1002", order_index=2),
        D,
        [],
        enrolment_id="e2",
    )
    assert isinstance(second, Refusal)


def test_review_request_waits_for_an_opinion_reminds_once_and_stops_when_reviewed() -> None:
    j = play("review-request")
    s = enrolled(j, event("order.delivered", D, 1, order="#1001", days_to_opinion=10))
    state, intents, _ = run(j, s, daily(40))
    ask, remind = intents
    assert isinstance(ask, RequestReview) and isinstance(remind, RequestReview)
    assert ask.not_before == datetime(
        2026, 4, 17, 9, 0, tzinfo=UTC
    )  # next 10:00 Lisbon after 10 days
    assert remind.not_before == datetime(2026, 4, 24, 9, 0, tzinfo=UTC)
    assert (ask.template, remind.template) == ("review_request", "review_reminder")
    assert ask.variables["review_url"] == SIGNED_LINK and ask.subject == {"order": "#1001"}
    assert state.status is EnrolmentStatus.COMPLETED
    # a review before the reminder stops it
    reviewed = event("review.submitted", datetime(2026, 4, 18, 12, 0, tzinfo=UTC), rating=2)
    state, intents, _ = run(j, s, daily(40), [reviewed])
    assert [i.step_id for i in intents] == ["ask"] and state.end_reason == "exit review.submitted"
    # a return of this order stops it; another order's return does not
    other = event("order.returned", datetime(2026, 4, 10, tzinfo=UTC), order="#999")
    this = event("order.returned", datetime(2026, 4, 10, tzinfo=UTC), order="#1001")
    assert len(run(j, s, daily(40), [other])[1]) == 2
    assert run(j, s, daily(40), [this])[1] == []
    # unknown days_to_opinion: 14 days
    s = enrolled(j, event("order.delivered", D, 2, order="#1002"))
    assert run(j, s, daily(20))[1][0].not_before == datetime(2026, 4, 21, 9, 0, tzinfo=UTC)


def test_nps_after_the_second_delivery() -> None:
    j = play("nps-after-second-delivery")
    assert isinstance(
        enrol(j, LISBON, event("order.delivered", D, order_index=1), D, [], enrolment_id="x"),
        Refusal,
    )
    s = enrolled(j, event("order.delivered", D, 1, order="#1002", order_index=2))
    state, intents, _ = run(j, s, daily(10))
    (ask,) = intents
    assert isinstance(ask, RequestNps) and ask.template == "nps_request"
    assert ask.variables == {"nps_url": SIGNED_LINK}
    assert ask.not_before == datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
    answered = event("nps.answered", datetime(2026, 4, 8, tzinfo=UTC), score=7)
    state, intents, _ = run(j, s, daily(10), [answered])
    assert intents == [] and state.goal == "nps.answered"


def test_referral_invite_only_after_a_promoter_answer() -> None:
    j = play("referral-after-promoter")
    assert isinstance(
        enrol(j, LISBON, event("nps.answered", D, score=8), D, [], enrolment_id="x"), Refusal
    )
    s = enrolled(j, event("nps.answered", D, 1, score=10))
    _, intents, _ = run(j, s, daily(3))
    (invite,) = intents
    assert isinstance(invite, SendMessage) and invite.purpose is Purpose.REFERRALS
    assert (
        invite.not_before == datetime(2026, 4, 7, 9, 0, tzinfo=UTC)
        and invite.priority is Priority.PROMOTION
    )


def test_loyalty_invite_after_the_second_order() -> None:
    j = play("loyalty-invite-second-order")
    s = enrolled(j, event("order.placed", D, 1, order="#2", order_index=2))
    _, intents, _ = run(j, s, daily(5))
    (invite,) = intents
    assert isinstance(invite, SendMessage) and invite.template == "loyalty_invite"
    assert invite.variables == {"milestone": "second order"}
    withdrawn = event(
        "consent.withdrawn", datetime(2026, 4, 7, tzinfo=UTC), purpose="marketing", channel="email"
    )
    state, intents, _ = run(j, s, daily(5), [withdrawn])
    assert intents == [] and state.end_reason == "exit consent.withdrawn"


def test_win_back_a_task_for_the_top_decile_an_email_for_the_rest() -> None:
    j = play("win-back-high-value")
    top = event(
        "score.updated",
        D,
        1,
        p_alive=0.41,
        clv=2400,
        clv_decile=10,
        previous={"p_alive": 0.55, "clv_decile": 10},
    )
    state, intents, _ = run(j, enrolled(j, top), daily(40))
    (task,) = intents
    assert isinstance(task, CreateTask) and task.assignee == "ana@shop.pt"
    assert task.title == "Win-back: a top-decile customer has gone quiet (P(alive) 0.41)"
    assert state.status is EnrolmentStatus.COMPLETED and state.ended_at is not None
    high = event(
        "score.updated",
        D,
        2,
        p_alive=0.45,
        clv=900,
        clv_decile=8,
        previous={"p_alive": 0.52, "clv_decile": 8},
    )
    state, intents, _ = run(
        j, enrolled(j, high), daily(5), [event("order.placed", datetime(2026, 4, 9, tzinfo=UTC))]
    )
    (email,) = intents
    assert (
        isinstance(email, SendMessage)
        and email.template == "winback"
        and state.goal == "order.placed"
    )
    low = event(
        "score.updated", D, p_alive=0.3, clv_decile=4, previous={"p_alive": 0.6, "clv_decile": 4}
    )
    assert isinstance(enrol(j, LISBON, low, D, [], enrolment_id="x"), Refusal)


@pytest.mark.parametrize(
    ("name", "kind", "template"),
    [("birthday-note", "birthday", "birthday"), ("anniversary-note", "anniversary", "anniversary")],
)
def test_birthday_and_anniversary_notes_at_nine_local(name: str, kind: str, template: str) -> None:
    j = play(name)
    who = PersonContext(
        person_id="p7", timezone="America/Sao_Paulo", dates=(ImportantDate(kind, 5, 20, 2019),)
    )
    (due,) = due_date_events(
        j, who, datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    )
    assert due.occurred_at == datetime(2026, 5, 20, 12, 0, tzinfo=UTC)  # 09:00 in São Paulo (UTC-3)
    s = enrolled(j, due, who)
    _, intents, _ = run(j, s, [due.occurred_at], who=who)
    (note,) = intents
    assert isinstance(note, SendMessage) and note.template == template
    if kind == "anniversary":
        assert note.variables == {"years": 7}


def test_b2b_check_ins_are_tasks_for_the_account_owner_at_30_and_90_days() -> None:
    j = play("b2b-post-order-checkins")
    buyer = PersonContext(
        person_id="p9",
        timezone="Europe/Berlin",
        account_id="a1",
        account_owner="rui@shop.pt",
        owner="ana@shop.pt",
    )
    s = enrolled(j, event("order.placed", D, 1, order="PO-77"), buyer)
    state, intents, _ = run(j, s, daily(100), who=buyer)
    first, second = intents
    assert isinstance(first, CreateTask) and isinstance(second, CreateTask)
    assert (first.assignee, second.assignee) == ("rui@shop.pt", "rui@shop.pt")
    assert (
        first.title == "30-day check-in on order PO-77" and first.template == "post_order_checkin"
    )
    assert first.not_before == datetime(2026, 5, 7, 7, 0, tzinfo=UTC)  # 09:00 Berlin (CEST)
    assert second.not_before == datetime(2026, 7, 6, 7, 0, tzinfo=UTC)
    assert state.status is EnrolmentStatus.COMPLETED
    consumer = PersonContext(person_id="p1")
    assert isinstance(
        enrol(j, consumer, event("order.placed", D), D, [], enrolment_id="x"), Refusal
    )
