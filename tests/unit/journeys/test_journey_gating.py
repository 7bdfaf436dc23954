"""Review gating is refused; neutral review asks and referral asks to promoters are fine."""

from __future__ import annotations

import pytest

from goodwill.journeys import JourneyDefinitionError, load_definition

HEADER = """
key: reviews
name: Reviews
version: 1
priority: review_nps
"""
ASK = "{id: ask, type: request_review, template: review_request}"
ASK_BY_MAIL = (
    "{id: ask, type: send_message, channel: email, template: review_request, purpose: reviews}"
)


def rejected(body: str) -> list[str]:
    with pytest.raises(JourneyDefinitionError) as info:
        load_definition(HEADER + body)
    found = [str(p) for p in info.value.problems]
    assert all("review gating is forbidden" in p for p in found), found
    assert all("platforms' rules and consumer law" in p for p in found)
    return found


@pytest.mark.parametrize(
    "trigger",
    [
        "{event: nps.answered, where: score >= 9}",
        "{event: nps.answered, where: {field: score, op: in, value: [9, 10]}}",
        "{event: survey.answered, where: answer > 4}",
        "{event: order.delivered, where: scores.sentiment > 0.5}",
        "{event: order.delivered, where: tags contains promoter}",
        "{event: order.delivered, where: profile.last_rating >= 4}",
        "{segment: happy-customers}",
        "{when: csat_score >= 4}",
    ],
)
def test_a_review_request_triggered_by_satisfaction_is_refused(trigger: str) -> None:
    for ask in (ASK, ASK_BY_MAIL):
        found = rejected(f"trigger: {trigger}\nsteps: [{ask}]\n")
        assert 'journey "reviews", field "trigger.' in found[0]


def test_a_condition_that_decides_whether_to_ask_is_refused() -> None:
    found = rejected(
        """
trigger: {event: order.delivered}
steps:
  - {id: settle, type: wait, duration: 14d}
  - id: happy
    type: condition
    branches: [{name: promoter, when: scores.nps >= 9, next: ask}]
    otherwise: end
  - {id: ask, type: request_review, template: review_request}
"""
    )
    assert found == [
        'journey "reviews", step "happy" (steps[1]), field "branches": review gating is forbidden: '
        "asking for reviews only when someone seems satisfied (or stopping the asks when they do "
        "not) breaks review platforms' rules and consumer law; invite every customer, or an "
        "unbiased sample, in neutral language"
    ]


def test_routing_unhappy_people_elsewhere_is_gating_even_through_other_steps() -> None:
    rejected(
        """
trigger: {event: nps.answered}
steps:
  - id: route
    type: condition
    branches: [{name: detractor, when: trigger.score <= 6, next: apologise}]
  - {id: pause, type: wait, duration: 2d}
  - {id: ask, type: request_review, template: review_request, next: end}
  - {id: apologise, type: create_task, title: Call them, assignee: customer_owner}
"""
    )


def test_waiting_for_a_good_answer_before_asking_is_gating() -> None:
    rejected(
        """
trigger: {event: order.delivered}
steps:
  - id: hear-back
    type: wait
    until_event: nps.answered
    where: score >= 9
    timeout: 14d
    on_timeout: end
  - {id: ask, type: request_review, template: review_request}
"""
    )


def test_stopping_asks_on_a_bad_answer_is_gating() -> None:
    found = rejected(
        """
trigger: {event: order.delivered}
exits: [{event: nps.answered, where: score <= 6}]
steps: [{id: settle, type: wait, duration: 14d}, {id: ask, type: request_review, template: review_request}]
"""
    )
    assert 'field "exits[0].where"' in found[0]


def test_neutral_asks_and_promoter_referrals_are_allowed() -> None:
    load_definition(
        HEADER
        + """
trigger: {event: order.delivered, where: order_index >= 1}
exits: [review.submitted, nps.answered]
steps:
  - {id: settle, type: wait, duration: 14d}
  - id: timing
    type: condition
    branches: [{name: repeat buyer, when: profile.orders_count > 1, next: ask}]
  - {id: ask, type: request_review, template: review_request}
"""
    )
    load_definition(
        HEADER
        + """
trigger: {event: nps.answered, where: score >= 9}
steps:
  - {id: invite, type: send_message, channel: email, template: referral_invite, purpose: referrals}
"""
    )
    # a satisfaction condition that does not decide whether a review is asked is not gating
    load_definition(
        HEADER
        + """
trigger: {event: order.delivered}
steps:
  - id: tone
    type: condition
    branches: [{name: promoter, when: scores.nps >= 9, next: ask}]
  - {id: note, type: tag, add: [asked]}
  - {id: ask, type: request_review, template: review_request}
"""
    )
