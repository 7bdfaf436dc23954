"""enrol(): trigger matching, staleness, re-entry, holdout, date events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.unit.journeys.journey_kit import T0, at, event, journey, person

from goodwill.journeys import (
    DATE_EVENT,
    MANUAL_EVENT,
    EnrolmentState,
    EnrolmentStatus,
    ImportantDate,
    PriorEnrolment,
    Refusal,
    RefusalCode,
    advance,
    due_date_events,
    enrol,
    holdout_bucket,
    trigger_kind,
)

STEPS = (
    "steps: [{id: hello, type: send_message, channel: email, template: hi, purpose: marketing}]\n"
)


def refusal(result: EnrolmentState | Refusal) -> Refusal:
    assert isinstance(result, Refusal), result
    return result


def enrolled(result: EnrolmentState | Refusal) -> EnrolmentState:
    assert isinstance(result, EnrolmentState), result
    return result


def test_event_trigger_with_condition_and_the_resulting_state() -> None:
    j = journey("trigger: {event: order.placed, where: order_index == 1}\n" + STEPS)
    first = event("order.placed", T0, 77, order="#1", order_index=1)
    state = enrolled(enrol(j, person(), first, at(hours=1), [], enrolment_id="e9"))
    assert state.status is EnrolmentStatus.ACTIVE
    assert (state.step_id, state.visits, state.clock, state.entered_at) == (
        "hello",
        {"hello": 1},
        T0,
        T0,
    )
    assert state.wake_at == T0 and state.trigger.id == 77
    assert state.history[0].note == "enrolled in test-journey v1 on order.placed (event 77)"
    second = event("order.placed", T0, order_index=2)
    r = refusal(enrol(j, person(), second, T0, [], enrolment_id="e10"))
    assert r.code is RefusalCode.TRIGGER_MISMATCH
    assert r.reason == "condition false: order_index 2 != 1"
    r = refusal(enrol(j, person(), event("order.paid", T0), T0, [], enrolment_id="e"))
    assert r.reason == "order.paid does not start test-journey (it starts on order.placed)"


def test_triggers_may_read_the_person() -> None:
    j = journey("trigger: {event: order.placed, where: person.account_id exists}\n" + STEPS)
    assert isinstance(
        enrol(j, person(account_id="a1"), event("order.placed", T0), T0, enrolment_id="e"),
        EnrolmentState,
    )
    assert refusal(enrol(j, person(), event("order.placed", T0), T0, enrolment_id="e")).reason == (
        "condition false: person.account_id is missing"
    )


def test_score_triggers_enrol_only_on_a_crossing() -> None:
    j = journey("trigger: {type: score, when: [p_alive < 0.5, clv_decile >= 8]}\n" + STEPS)
    assert trigger_kind(j) == "score.updated"
    crossing = event(
        "score.updated", T0, p_alive=0.4, clv_decile=9, previous={"p_alive": 0.6, "clv_decile": 9}
    )
    enrolled(enrol(j, person(), crossing, T0, enrolment_id="e1"))
    first_snapshot = event("score.updated", T0, p_alive=0.4, clv_decile=9)
    enrolled(enrol(j, person(), first_snapshot, T0, enrolment_id="e2"))
    still = event(
        "score.updated", T0, p_alive=0.3, clv_decile=9, previous={"p_alive": 0.4, "clv_decile": 9}
    )
    assert refusal(enrol(j, person(), still, T0, enrolment_id="e3")).reason.startswith(
        "no crossing"
    )
    low_value = event("score.updated", T0, p_alive=0.3, clv_decile=3)
    assert (
        "clv_decile 3 < 8" in refusal(enrol(j, person(), low_value, T0, enrolment_id="e4")).reason
    )


def test_segment_manual_and_date_triggers_name_their_subject() -> None:
    seg = journey("trigger: {segment: at-risk}\n" + STEPS)
    enrolled(
        enrol(seg, person(), event("segment.entered", T0, segment="at-risk"), T0, enrolment_id="e")
    )
    refusal(
        enrol(
            seg, person(), event("segment.entered", T0, segment="champions"), T0, enrolment_id="e"
        )
    )
    manual = journey("trigger: {type: manual}\n" + STEPS)
    assert trigger_kind(manual) == MANUAL_EVENT
    enrolled(
        enrol(
            manual, person(), event(MANUAL_EVENT, T0, journey="test-journey"), T0, enrolment_id="e"
        )
    )
    refusal(enrol(manual, person(), event(MANUAL_EVENT, T0, journey="other"), T0, enrolment_id="e"))
    bday = journey("trigger: {date: birthday}\n" + STEPS)
    ok = event(DATE_EVENT, T0, journey="test-journey", kind="birthday", label="")
    enrolled(enrol(bday, person(), ok, T0, enrolment_id="e"))
    refusal(
        enrol(
            bday,
            person(),
            event(DATE_EVENT, T0, journey="test-journey", kind="anniversary"),
            T0,
            enrolment_id="e",
        )
    )


def test_stale_triggers_are_refused() -> None:
    j = journey("trigger: {event: order.placed}\n" + STEPS)
    r = refusal(enrol(j, person(), event("order.placed", T0), at(days=4), enrolment_id="e"))
    assert r.code is RefusalCode.STALE_TRIGGER
    assert r.reason == "trigger is 4d old; this journey ignores triggers older than 3d"
    late = enrolled(enrol(j, person(), event("order.placed", T0), at(days=2), enrolment_id="e"))
    assert late.entered_at == T0  # waits count from the trigger, not from when it was noticed


def prior(entered: datetime, status: EnrolmentStatus = EnrolmentStatus.COMPLETED, trigger: str | None = None,
          key: str = "test-journey") -> PriorEnrolment:  # fmt: skip
    return PriorEnrolment(
        enrolment_id="old",
        journey_key=key,
        status=status,
        entered_at=entered,
        trigger_event_id=trigger,
    )


def test_re_entry_rules() -> None:
    trig = event("order.placed", T0, 5)
    once = journey("trigger: {event: order.placed}\nre_entry: once_ever\n" + STEPS)
    assert (
        refusal(enrol(once, person(), trig, T0, [prior(at(days=-400))], enrolment_id="e")).code
        is RefusalCode.ONCE_EVER
    )
    enrolled(
        enrol(once, person(), trig, T0, [prior(at(days=-400), key="another")], enrolment_id="e")
    )
    per = journey(
        "trigger: {event: order.placed}\nre_entry: {mode: once_per, period: 30d}\n" + STEPS
    )
    r = refusal(enrol(per, person(), trig, T0, [prior(at(days=-10))], enrolment_id="e"))
    assert (
        r.code is RefusalCode.TOO_SOON
        and "re-entry allowed from 2026-03-22 09:00 (once per 30d)" in r.reason
    )
    enrolled(enrol(per, person(), trig, T0, [prior(at(days=-31))], enrolment_id="e"))
    every = journey("trigger: {event: order.placed}\nre_entry: every_time\n" + STEPS)
    enrolled(enrol(every, person(), trig, T0, [prior(at(days=-1))], enrolment_id="e"))
    active = [prior(at(days=-1), EnrolmentStatus.ACTIVE)]
    assert (
        refusal(enrol(every, person(), trig, T0, active, enrolment_id="e")).code
        is RefusalCode.ALREADY_ACTIVE
    )
    both = journey(
        "trigger: {event: order.placed}\nre_entry: {mode: every_time, concurrent: true}\n" + STEPS
    )
    enrolled(enrol(both, person(), trig, T0, active, enrolment_id="e"))
    dup = [prior(at(days=-1), trigger="5")]
    assert (
        refusal(enrol(both, person(), trig, T0, dup, enrolment_id="e")).code
        is RefusalCode.DUPLICATE_TRIGGER
    )


def test_holdout_is_stable_auditable_and_close_to_its_share() -> None:
    j = journey("trigger: {event: order.placed}\nholdout: 0.2\n" + STEPS)
    held = 0
    for i in range(2000):
        pid = f"person-{i}"
        r = enrolled(enrol(j, person(pid), event("order.placed", T0), T0, enrolment_id=f"e{i}"))
        again = enrolled(
            enrol(
                j, person(pid), event("order.placed", at(days=1)), at(days=1), enrolment_id=f"x{i}"
            )
        )
        assert r.status is again.status  # same person, same journey: same group, every time
        assert (r.status is EnrolmentStatus.HOLDOUT) == (holdout_bucket("test-journey", pid) < 0.2)
        if r.status is EnrolmentStatus.HOLDOUT:
            held += 1
            assert r.step_id is None and r.wake_at is None and r.ended_at == T0
            assert r.history[-1].note.startswith("holdout: no messages (bucket 0.")
            result = advance(j, r, at(days=30), [], person(pid))
            assert result.intents == () and result.state is r
    assert 340 < held < 460  # 20% of 2000, within ~4.5 standard deviations
    other = journey("trigger: {event: order.placed}\nholdout: 0.2\n" + STEPS, key="other-journey")
    differs = sum(
        (holdout_bucket("test-journey", f"person-{i}") < 0.2)
        != (holdout_bucket(other.key, f"person-{i}") < 0.2)
        for i in range(2000)
    )
    assert differs > 300  # each journey has its own control group


def test_due_date_events_in_the_person_timezone() -> None:
    j = journey("trigger: {date: birthday, offset: -7d, at: '09:00'}\n" + STEPS)
    who = person(
        timezone="America/New_York",
        dates=(ImportantDate("birthday", 3, 15, 1990), ImportantDate("anniversary", 3, 9)),
    )
    found = due_date_events(
        j, who, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)
    )
    assert len(found) == 1
    e = found[0]
    assert e.kind == DATE_EVENT and e.occurred_at == datetime(
        2026, 3, 8, 13, 0, tzinfo=UTC
    )  # 09:00 EDT
    assert e.payload == {
        "journey": "test-journey",
        "kind": "birthday",
        "label": "",
        "date": "2026-03-15",
        "years": 36,
    }
    assert e.id == "date:test-journey:p1:birthday::2026-03-15"
    assert (
        due_date_events(
            j, who, datetime(2026, 3, 8, 13, 0, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)
        )
        == []
    )
    state = enrolled(enrol(j, who, e, e.occurred_at + timedelta(hours=1), enrolment_id="e"))
    assert state.entered_at == e.occurred_at
    leap = person(dates=(ImportantDate("birthday", 2, 29),))
    feb = due_date_events(
        journey("trigger: {date: birthday}\n" + STEPS),
        leap,
        datetime(2027, 2, 1, tzinfo=UTC),
        datetime(2027, 3, 2, tzinfo=UTC),
    )
    assert [x.payload["date"] for x in feb] == ["2027-02-28"]
    once = person(dates=(ImportantDate("milestone", 6, 1, 2026, "launch", "once"),))
    m = journey("trigger: {date: milestone, label: launch, offset: 30d}\n" + STEPS)
    assert (
        len(
            due_date_events(
                m, once, datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
            )
        )
        == 1
    )
    assert due_date_events(journey("trigger: {event: x.y}\n" + STEPS), who, T0, at(days=400)) == []
