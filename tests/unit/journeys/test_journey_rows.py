"""The scheduler's hot-path writers: JSON text written directly, and the batch rows for SQLite
and PostgreSQL COPY, checked against their general (slower) reference forms."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from goodwill.consent.models import Purpose
from goodwill.db.bulk import copy_ts, sqlite_ts
from goodwill.journeys import (
    CallWebhook,
    CreateTask,
    EnrolmentState,
    EnrolmentStatus,
    Event,
    Happened,
    RequestNps,
    RequestReview,
    SendMessage,
    StepRecord,
    Tag,
    intent_from_dict,
    intent_to_dict,
    state_from_dict,
    state_to_dict,
)
from goodwill.journeys.repository import (
    COPY_LINES,
    ENROLMENT_KINDS,
    OUTBOX_KINDS,
    SQLITE_ROWS,
    generic_copy_lines,
    generic_sqlite_rows,
)
from goodwill.journeys.serialization import intent_json, json_text, state_json
from goodwill.messaging.vocabulary import ChannelKind, Priority

T = datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC)
LISBON_SUMMER = timezone(timedelta(hours=1))


def _state() -> EnrolmentState:
    local = datetime(2026, 6, 1, 10, 0, tzinfo=LISBON_SUMMER)
    return EnrolmentState(
        enrolment_id="42",
        journey_key="review-request",
        journey_version=3,
        person_id="7",
        status=EnrolmentStatus.ACTIVE,
        step_id="settle",
        entered_at=T,
        clock=T,
        trigger=Event("order.delivered", T, {"order": "#7", "when": T, "n": [1, 2.5]}, 991),
        wait_until=local,
        wake_at=local,
        visits={"settle": 1},
        seen={"message.opened": 2},
        history=[
            StepRecord(T, None, 0, Happened.ENROLLED, 'enrolled "quoted" ✓ \\ tab\there'),
            StepRecord(T, "settle", 1, Happened.WAITING, "waiting → later", local),
        ],
    )


def test_state_json_is_the_compact_json_of_state_to_dict() -> None:
    state = _state()
    assert state_json(state) == json_text(state_to_dict(state))
    back = state_from_dict(json.loads(state_json(state)))
    assert back.trigger.payload["when"] == str(T)  # not JSON: written as text, like json.dumps
    assert back.history == state.history and back.wait_until == state.wait_until
    # offsets are kept as written (identity-memoised formatting must not merge equal instants)
    assert json.loads(state_json(state))["wait_until"] == "2026-06-01T10:00:00+01:00"


def _common(**over: Any) -> dict[str, Any]:
    return {
        "idempotency_key": "42:ask:1",
        "enrolment_id": "42",
        "person_id": "7",
        "journey_key": "review-request",
        "journey_version": 3,
        "step_id": "ask",
        "occurrence": 1,
        "not_before": T,
        "priority": Priority.RELATIONSHIP,
        "trigger_event_id": "991",
        **over,
    }


def test_intent_json_matches_the_dict_shape_for_every_kind() -> None:
    intents = [
        SendMessage(
            **_common(trigger_event_id=None),
            channel=ChannelKind.EMAIL,
            template="thanks",
            purpose=Purpose.TRANSACTIONAL,
            variables={"name": "Zoë", "n": 3},
        ),
        RequestReview(**_common(), channel=ChannelKind.SMS, template="ask", subject={"o": "1"}),
        RequestNps(**_common(), channel=ChannelKind.EMAIL, template="nps"),
        CreateTask(
            **_common(),
            title="Call",
            body="Say hi",
            assignee=None,
            assignee_rule="account_owner",
            due_at=T + timedelta(days=2),
        ),
        Tag(**_common(), add=("vip",), remove=("new",)),
        CallWebhook(**_common(), url="https://example.com/h", payload={"a": [1, None]}),
    ]
    for intent in intents:
        assert intent_json(intent) == json_text(intent_to_dict(intent))
        assert intent_from_dict(json.loads(intent_json(intent))) == intent


def _outbox_rows() -> list[tuple[Any, ...]]:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    return [
        (5, 7, "5:thank:1", "send_message", "email", "marketing", 2, '{"a":"\\u2192"}',
         "pending", T, 0, "", now, now),
        (6, 8, "6:tab\there:1", "tag", "", "", 3, '{"b":null}', "pending",
         datetime(2026, 6, 1, 10, 0, tzinfo=LISBON_SUMMER), 0, "line\nbreak\\", now, now),
    ]  # fmt: skip


def _enrolment_rows() -> list[tuple[Any, ...]]:
    return [
        (5, 1, 1, 7, "active", False, "991", '{"x":1}', T, T, None),
        (6, 1, 1, 8, "holdout", True, "key\\1", '{"y":"\\\\"}', None, T, T),
    ]


def test_the_hot_table_rows_equal_the_general_conversion() -> None:
    for table, kinds, rows in [
        ("outbox", OUTBOX_KINDS, _outbox_rows()),
        ("enrolments", ENROLMENT_KINDS, _enrolment_rows()),
    ]:
        assert SQLITE_ROWS[table](3, rows, sqlite_ts) == generic_sqlite_rows(
            kinds, 3, rows, sqlite_ts
        )
        assert COPY_LINES[table]("3", rows, copy_ts) == generic_copy_lines(
            kinds, "3", rows, copy_ts
        )


def test_stored_values_follow_the_storage_conventions() -> None:
    [first, second] = COPY_LINES["outbox"]("3", _outbox_rows(), copy_ts)
    fields = second.split("\t")
    assert fields[3] == "6:tab\\there:1" and fields[12] == "line\\nbreak\\\\"
    assert fields[10] == "2026-06-01T10:00:00+01:00"
    assert first.split("\t")[8] == '{"a":"\\\\u2192"}'  # COPY doubles the backslash
    sqlite = SQLITE_ROWS["enrolments"](3, _enrolment_rows(), sqlite_ts)
    # SQLAlchemy's SQLite form: naive UTC with microseconds; booleans as 0/1
    assert sqlite[0][9] == "2026-03-02 09:30:00.123456" and sqlite[0][6] == 0
    assert sqlite[1][6] == 1 and sqlite[1][11] == "2026-03-02 09:30:00.123456"
    assert sqlite_ts(datetime(2026, 6, 1, 10, 0, tzinfo=LISBON_SUMMER)) == (
        "2026-06-01 09:00:00.000000"
    )
