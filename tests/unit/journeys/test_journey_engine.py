"""advance(): worked examples for every step type, exits, logical time and the explain trail."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from tests.unit.journeys.journey_kit import T0, at, event, journey, notes, person, run, start

from goodwill.consent.models import Purpose
from goodwill.journeys import (
    REMOVE_EVENT,
    SIGNED_LINK,
    CallWebhook,
    CreateTask,
    EnrolmentStatus,
    JourneyStateError,
    RequestNps,
    RequestReview,
    SendMessage,
    Tag,
    advance,
    format_history,
    intent_from_dict,
    intent_to_dict,
    state_from_dict,
    state_to_dict,
)
from goodwill.messaging.vocabulary import ChannelKind, Priority

SEND = "{id: %s, type: send_message, channel: email, template: %s, purpose: marketing}"


def test_a_wait_until_local_time_then_a_message() -> None:
    j = journey(
        "trigger: {event: order.delivered}\nsteps:\n"
        "  - {id: settle, type: wait, duration: 3d, at: '10:00'}\n"
        f"  - {SEND % ('hello', 'hello_tpl')}\n"
    )
    lisbon = person(timezone="Europe/Lisbon")
    s = start(j, event("order.delivered", T0, 1), lisbon)
    first = advance(j, s, at(minutes=5), [], lisbon)
    assert first.intents == () and first.steps_run == 1
    assert first.wake_at == datetime(2026, 3, 5, 10, 0, tzinfo=UTC) == first.state.wake_at
    assert first.state.history[-1].note == "waiting until 2026-03-05 10:00 Europe/Lisbon"
    assert first.state.history[-1].until == first.wake_at
    early = advance(j, first.state, datetime(2026, 3, 5, 9, 59, tzinfo=UTC), [], lisbon)
    assert early.intents == () and early.state == first.state
    late = advance(j, first.state, datetime(2026, 3, 5, 18, 0, tzinfo=UTC), [], lisbon)
    (intent,) = late.intents
    assert isinstance(intent, SendMessage)
    assert intent.not_before == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # logical, not 18:00
    assert intent.idempotency_key == "e1:hello:1" and intent.occurrence == 1
    assert (intent.channel, intent.template, intent.purpose) == (
        ChannelKind.EMAIL,
        "hello_tpl",
        Purpose.MARKETING,
    )
    assert intent.priority is Priority.RELATIONSHIP and intent.trigger_event_id == "1"
    assert late.state.status is EnrolmentStatus.COMPLETED and late.wake_at is None
    assert late.state.ended_at == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert notes(late.state)[-3:] == [
        "wait over → hello",
        "send_message email template hello_tpl (marketing)",
        "completed: reached the end",
    ]


def test_the_input_state_is_never_modified() -> None:
    j = journey(
        f"trigger: {{event: a.b}}\nsteps:\n  - {{id: w, type: wait, duration: 1d}}\n  - {SEND % ('s', 't')}\n"
    )
    s = start(j, event("a.b", T0))
    snapshot = copy.deepcopy(s)
    advance(j, s, at(days=2), [event("x.y", at(hours=1))])
    assert s == snapshot


def test_durations_from_a_field_with_default_and_bounds() -> None:
    j = journey(
        "trigger: {event: order.delivered}\nsteps:\n"
        "  - {id: w, type: wait, duration: {field: trigger.days_to_opinion, default: 14d, min: 1d, max: 60d}}\n"
        f"  - {SEND % ('ask', 'x')}\n"
    )
    cases: list[tuple[dict[str, object], int, str]] = [({"days_to_opinion": 21}, 21, "(trigger.days_to_opinion = 21)"),
             ({"days_to_opinion": "7"}, 7, "(trigger.days_to_opinion = 7)"),
             ({}, 14, "(trigger.days_to_opinion missing; default 14d)"),
             ({"days_to_opinion": "soon"}, 14, "(trigger.days_to_opinion 'soon'; default 14d)"),
             ({"days_to_opinion": 365}, 60, "capped at 60d)"),
             ({"days_to_opinion": "inf"}, 14, "(trigger.days_to_opinion 'inf'; default 14d)"),
             ({"days_to_opinion": "nan"}, 14, "(trigger.days_to_opinion 'nan'; default 14d)"),
             ({"days_to_opinion": 1e12}, 14, "(trigger.days_to_opinion 1000000000000.0; default 14d)"),
             ({"days_to_opinion": 0}, 1, "raised to the minimum 1d)")]  # fmt: skip
    for payload, days, why in cases:
        s = start(j, event("order.delivered", T0, **payload))
        r = advance(j, s, T0)
        assert r.wake_at == at(days=days), payload
        assert r.state.history[-1].note.endswith(why), r.state.history[-1].note


WAIT_FOR_REPLY = """
trigger: {event: message.sent}
steps:
  - {id: listen, type: wait, until_event: message.replied, where: "channel == email", timeout: 2d, on_timeout: nudge}
  - {id: thank, type: tag, add: [replied], next: end}
  - {id: nudge, type: send_message, channel: email, template: nudge, purpose: marketing}
"""


def test_an_event_wait_takes_the_event_branch_or_times_out() -> None:
    j = journey(WAIT_FOR_REPLY)
    s = start(j, event("message.sent", T0))
    replied = advance(
        j, s, at(days=3), [event("message.replied", at(hours=5), 42, channel="email")]
    )
    (tag,) = replied.intents
    assert isinstance(tag, Tag) and tag.add == ("replied",) and tag.not_before == at(hours=5)
    assert "message.replied arrived (event 42) → thank" in notes(replied.state)
    assert notes(replied.state)[1] == "waiting for message.replied until 2026-03-04 09:00 UTC"
    other_channel = advance(
        j, s, at(days=3), [event("message.replied", at(hours=5), channel="sms")]
    )
    (nudge,) = other_channel.intents
    assert isinstance(nudge, SendMessage) and nudge.not_before == at(days=2)
    assert "no message.replied in time → nudge" in notes(other_channel.state)
    # an event exactly at the deadline is seen before the deadline passes
    tie = advance(j, s, at(days=3), [event("message.replied", at(days=2), channel="email")])
    assert isinstance(tie.intents[0], Tag)


def test_conditions_branch_and_say_why() -> None:
    j = journey(
        """
trigger: {event: nps.answered}
steps:
  - id: who
    type: condition
    branches:
      - {name: promoter, when: trigger.score >= 9, next: invite}
      - {name: engaged, when: "events.message.opened >= 1", next: invite}
    otherwise: end
  - {id: invite, type: send_message, channel: email, template: referral_invite, purpose: referrals}
"""
    )
    r = advance(j, start(j, event("nps.answered", T0, score=6)), T0)
    assert r.intents == () and r.state.status is EnrolmentStatus.COMPLETED
    assert notes(r.state)[1] == (
        "condition 'promoter' false: trigger.score 6 < 9; condition 'engaged' false: "
        "events.message.opened 0 < 1 → otherwise end"
    )
    r = advance(j, start(j, event("nps.answered", T0, score=10)), T0)
    assert notes(r.state)[1] == "condition 'promoter' true: trigger.score 10 >= 9 → invite"
    assert len(r.intents) == 1


def test_events_seen_are_counted_for_conditions() -> None:
    j = journey(
        """
trigger: {event: message.sent}
steps:
  - {id: w, type: wait, duration: 3d}
  - id: opened
    type: condition
    branches: [{name: opened twice, when: "events.message.opened >= 2", next: end}]
  - {id: resend, type: send_message, channel: email, template: again, purpose: marketing}
"""
    )
    s = start(j, event("message.sent", T0))
    two = [event("message.opened", at(hours=h)) for h in (1, 30)]
    r = advance(j, s, at(days=4), two)
    assert r.intents == () and r.state.seen == {"message.opened": 2}
    r = advance(j, s, at(days=4), [*two[:1], event("message.clicked", at(hours=2))])
    assert len(r.intents) == 1 and r.state.seen == {
        "message.opened": 1
    }  # only kinds read are counted


def test_splits_are_deterministic_and_follow_their_weights() -> None:
    j = journey(
        """
trigger: {event: a.b}
steps:
  - id: ab
    type: split
    branches: [{name: a, weight: 3, next: send-a}, {name: b, weight: 1, next: send-b}]
  - {id: send-a, type: send_message, channel: email, template: a, purpose: marketing, next: end}
  - {id: send-b, type: send_message, channel: email, template: b, purpose: marketing}
"""
    )
    chosen: Counter[str] = Counter()
    for i in range(4000):
        s = start(j, event("a.b", T0), enrolment_id=f"e{i}")
        first = advance(j, s, T0)
        assert first == advance(j, s, T0)
        intent = first.intents[0]
        assert isinstance(intent, SendMessage)
        chosen[intent.template] += 1
    assert 2850 < chosen["a"] < 3150
    assert notes(advance(j, start(j, event("a.b", T0), enrolment_id="e0"), T0).state)[1].startswith(
        "split: '"
    )


def test_action_intents_carry_what_the_dispatcher_needs() -> None:
    j = journey(
        """
trigger: {event: order.delivered}
steps:
  - {id: review, type: request_review, template: review_request, subject: {order: $trigger.order}, vars: {last_order_number: $trigger.order, missing: $trigger.nope, fixed: 3}}
  - {id: nps, type: request_nps, channel: sms, template: nps_request}
  - {id: owner-task, type: create_task, title: "Check order {trigger.order} ({trigger.nope})", template: post_order_checkin, assignee: {rule: account_owner, fallback: customer_owner}, due_in: 3d}
  - {id: named-task, type: create_task, title: Call, body: Be kind, assignee: "person:rui@shop.pt"}
  - {id: nobody-task, type: create_task, title: Call, assignee: account_owner}
  - {id: hook, type: webhook, url: "https://crm.example/hook", payload: {order: $trigger.order, source: goodwill}}
  - {id: label, type: tag, add: [delivered], remove: [in-transit]}
"""
    )
    who = person(owner="ana@shop.pt")
    r = advance(j, start(j, event("order.delivered", T0, 7, order="#1001"), who), T0, [], who)
    review, nps, owner, named, nobody, hook, label = r.intents
    assert isinstance(review, RequestReview) and review.purpose is Purpose.REVIEWS
    assert review.variables == {
        "last_order_number": "#1001",
        "missing": None,
        "fixed": 3,
        "review_url": SIGNED_LINK,
    }
    assert review.subject == {"order": "#1001"} and review.link_variable == "review_url"
    assert isinstance(nps, RequestNps) and nps.channel is ChannelKind.SMS
    assert nps.variables == {"nps_url": SIGNED_LINK}
    assert (
        isinstance(owner, CreateTask)
        and owner.assignee == "ana@shop.pt"
        and owner.assignee_rule == "account_owner"
    )
    assert owner.title == "Check order #1001 (?)" and owner.due_at == at(days=3)
    assert owner.template == "post_order_checkin"
    assert isinstance(named, CreateTask) and (named.assignee, named.body) == (
        "rui@shop.pt",
        "Be kind",
    )
    assert isinstance(nobody, CreateTask) and nobody.assignee is None
    assert isinstance(hook, CallWebhook) and hook.payload == {
        "order": "#1001",
        "source": "goodwill",
    }
    assert isinstance(label, Tag) and label.remove == ("in-transit",)
    assert len({i.idempotency_key for i in r.intents}) == 7
    said = notes(r.state)
    assert (
        "create_task 'Check order #1001 (?)' for no account owner; customer owner ana@shop.pt, due in 3d"
        in said
    )
    assert "create_task 'Call' for no account owner; left unassigned, due in 2d" in said
    assert "tag +delivered -in-transit" in said and "webhook POST https://crm.example/hook" in said


EXITING = """
trigger: {event: order.delivered}
goals: [review.submitted]
exits: [{event: order.returned, where: order == $trigger.order}]
steps:
  - {id: w, type: wait, duration: 7d}
  - {id: ask, type: request_review, template: review_request}
  - {id: w2, type: wait, duration: 7d}
  - {id: remind, type: request_review, template: review_reminder}
"""


def test_goals_and_exits_end_the_enrolment_whatever_step_it_is_in() -> None:
    j = journey(EXITING)
    s = start(j, event("order.delivered", T0, order="#1"))
    goal = advance(j, s, at(days=30), [event("review.submitted", at(days=3), 99)])
    assert goal.intents == () and goal.state.status is EnrolmentStatus.EXITED
    assert (goal.state.goal, goal.state.end_reason, goal.state.ended_at) == (
        "review.submitted",
        "goal review.submitted",
        at(days=3),
    )
    assert notes(goal.state)[-1] == "exited: goal review.submitted (event 99)"
    assert goal.wake_at is None and goal.state.step_id == "w"
    other_order = advance(j, s, at(days=30), [event("order.returned", at(days=3), order="#2")])
    assert len(other_order.intents) == 2
    returned = advance(j, s, at(days=30), [event("order.returned", at(days=10), order="#1")])
    assert [i.step_id for i in returned.intents] == ["ask"]
    assert returned.state.end_reason == "exit order.returned" and returned.state.goal is None
    after = advance(j, returned.state, at(days=60), [event("order.placed", at(days=40))])
    assert after.intents == () and after.state is returned.state


def test_removal_from_a_journey_is_a_built_in_exit() -> None:
    j = journey(EXITING)
    s = start(j, event("order.delivered", T0), enrolment_id="e5")
    for payload in ({"journey": "test-journey"}, {"enrolment_id": "e5"}):
        r = advance(j, s, at(days=30), [event(REMOVE_EVENT, at(days=1), **payload)])
        assert r.intents == () and r.state.end_reason == f"exit {REMOVE_EVENT}"
    r = advance(j, s, at(days=30), [event(REMOVE_EVENT, at(days=1), journey="another")])
    assert len(r.intents) == 2


def test_which_events_count() -> None:
    j = journey(EXITING)
    trig = event("order.delivered", T0, 500, order="#1")
    s = start(j, trig)
    before = event("review.submitted", at(hours=-1))
    future = event("review.submitted", at(days=9))
    same_trigger_as_text = event("review.submitted", T0, "500")  # ids may come back as strings
    r = advance(j, s, at(days=8), [before, trig, future, same_trigger_as_text])
    assert [i.step_id for i in r.intents] == ["ask"]  # nothing stopped it
    # the future event is passed again later, as the contract says, and applies then
    r2 = advance(j, r.state, at(days=20), [future])
    assert r2.intents == () and r2.state.ended_at == at(days=9)
    # a late event (older than the clock) applies at the clock; history is not rewritten
    late = advance(j, r.state, at(days=8, hours=1), [event("review.submitted", at(days=1))])
    assert late.state.ended_at == at(days=7) and late.state.status is EnrolmentStatus.EXITED


def test_loops_count_occurrences_in_idempotency_keys() -> None:
    j = journey(
        """
trigger: {event: cart.abandoned}
goals: [order.placed]
steps:
  - {id: pause, type: wait, duration: 1d}
  - {id: nudge, type: send_message, channel: email, template: nudge, purpose: marketing}
  - id: again
    type: condition
    branches: [{name: fewer than 3, when: visits.nudge < 3, next: pause}]
"""
    )
    r = advance(j, start(j, event("cart.abandoned", T0)), at(days=10))
    assert [i.idempotency_key for i in r.intents] == ["e1:nudge:1", "e1:nudge:2", "e1:nudge:3"]
    assert [i.not_before for i in r.intents] == [at(days=1), at(days=2), at(days=3)]
    assert "condition 'fewer than 3' false: visits.nudge 3 >= 3 → otherwise end" in notes(r.state)


def test_an_enrolment_is_pinned_to_its_version() -> None:
    v1 = journey(EXITING, version=1)
    v2 = journey(EXITING.replace("duration: 7d}", "duration: 1d}"), version=2)
    s = start(v1, event("order.delivered", T0))
    with pytest.raises(
        JourneyStateError,
        match="pinned to test-journey v1; it cannot be advanced with test-journey v2",
    ) as info:
        advance(v2, s, at(days=1))
    assert info.value.code == "journeys.state_mismatch"
    assert advance(v1, s, at(days=8)).state.journey_version == 1


def test_states_and_intents_round_trip_through_json_dicts() -> None:
    j = journey(EXITING)
    r = advance(
        j,
        start(j, event("order.delivered", T0, 3, order="#1")),
        at(days=8),
        [event("message.opened", at(days=7, hours=1))],
    )
    data = state_to_dict(r.state)
    assert state_from_dict(data) == r.state
    assert data["status"] == "active" and data["wake_at"] == "2026-03-16T09:00:00+00:00"
    for intent in r.intents:
        as_dict = intent_to_dict(intent)
        assert as_dict["kind"] == "request_review" and as_dict["priority"] == "relationship"
        assert intent_from_dict(as_dict) == intent
    with pytest.raises(ValueError, match="unknown enrolment state format"):
        state_from_dict({**data, "format": 99})


def test_explain_lines() -> None:
    j = journey(EXITING)
    r = advance(j, start(j, event("order.delivered", T0, 3)), at(days=8))
    assert format_history(r.state) == [
        "test-journey v1 · enrolment e1 · person p1 · active",
        "2026-03-02 09:00 UTC  -          enrolled in test-journey v1 on order.delivered (event 3)",
        "2026-03-02 09:00 UTC  w          waiting until 2026-03-09 09:00 UTC",
        "2026-03-09 09:00 UTC  w          wait over → ask",
        "2026-03-09 09:00 UTC  ask        request_review email template review_request",
        "2026-03-09 09:00 UTC  w2         waiting until 2026-03-16 09:00 UTC",
        "next wake-up: 2026-03-16 09:00 UTC",
    ]


def test_run_helper_matches_a_single_call() -> None:
    j = journey(EXITING)
    s = start(j, event("order.delivered", T0))
    stepwise, intents, _ = run(j, s, [at(days=d) for d in range(1, 20)])
    single = advance(j, s, at(days=19))
    assert stepwise == single.state and tuple(intents) == single.intents
    assert single.state.clock == at(days=14) and single.state.ended_at == at(days=14)
    assert timedelta(0) < single.state.ended_at - s.entered_at
