"""The definition language: parsing, located error messages, graph rules, round trips."""

from __future__ import annotations

import json
from datetime import time, timedelta
from pathlib import Path

import pytest

from goodwill.journeys import (
    JourneyDefinitionError,
    compile_journey,
    load_definition,
    load_playbook,
    parse_definition,
    read_definition,
)
from goodwill.journeys.definition import DateTrigger, EventTrigger, ScoreTrigger, WaitStep
from goodwill.journeys.steps import FieldDuration
from goodwill.messaging.vocabulary import Priority

HEADER = """
key: review-request
name: Review request
version: 2
priority: review_nps
trigger: {event: order.delivered}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(JourneyDefinitionError) as info:
        load_definition(text)
    assert info.value.code == "journeys.invalid_definition"
    assert info.value.http_status == 422
    return [str(p) for p in info.value.problems]


def test_a_missing_field_names_the_journey_step_position_field_and_why() -> None:
    found = problems(
        HEADER
        + """
steps:
  - {id: settle, type: wait, duration: 14d}
  - {id: pause, type: wait, duration: 1d}
  - {id: ask, type: send_message, channel: email, purpose: reviews}
"""
    )
    assert found == [
        'journey "review-request", step "ask" (steps[2]), field "template": '
        "required for action send_message"
    ]


def test_every_problem_is_reported_at_once_with_suggestions_for_typos() -> None:
    found = problems(
        HEADER
        + """
steps:
  - {id: settle, type: wiat, duration: 14d}
  - {id: ask, type: send_message, channel: fax, purpose: reviews, tempalte: x}
  - {type: wait, duration: 1d}
"""
    )
    assert found[0].startswith(
        'journey "review-request", step "settle" (steps[0]): unknown step type'
    )
    assert "'wiat'" in found[0] and "'wait'" in found[0]
    joined = "\n".join(found)
    assert 'step "ask" (steps[1]), field "channel": \'fax\' is not allowed' in joined
    assert "field \"tempalte\": unknown field (did you mean 'template'?)" in joined
    assert 'step (steps[2]), field "id": required for step type wait' in joined


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        ("{id: w, type: wait}", "a wait needs duration, at, or until_event"),
        ("{id: w, type: wait, until_event: message.replied}", "until_event needs a timeout"),
        ("{id: w, type: wait, duration: 2 days}", "is not a duration; write it like 30m"),
        ("{id: w, type: wait, at: '25:00'}", 'is not a time of day; write it as "HH:MM"'),
        ("{id: end, type: wait, duration: 1d}", '"end" is reserved'),
        ("{id: Big Step, type: wait, duration: 1d}", "must be a slug"),
        ("{id: t, type: tag}", "a tag step needs add or remove"),
        ("{id: c, type: create_task, title: x, assignee: person}", "name the person only"),
        ("{id: c, type: condition, branches: [{name: a, when: 'score >= 9', next: end}]}",
         "there is no event here"),
        ("{id: c, type: condition, branches: [{name: a, when: 'scores.nps >> 9', next: end}]}",
         "cannot read condition"),
        ("{id: h, type: webhook, url: 'ftp://x'}", "must be an http(s) URL"),
    ],
)  # fmt: skip
def test_step_level_reasons(step: str, reason: str) -> None:
    found = problems(HEADER + f"steps:\n  - {step}\n")
    assert len(found) == 1
    assert reason in found[0]


def test_graph_rules_references_unreachable_loops() -> None:
    found = problems(
        HEADER
        + """
steps:
  - {id: a, type: tag, add: [x], next: b}
  - {id: b, type: tag, add: [y], next: a}
  - {id: orphan, type: tag, add: [z], next: nowhere}
"""
    )
    assert found == [
        'journey "review-request", step "orphan" (steps[2]), field "next": '
        'no step "nowhere" (known: a, b, orphan, end)'
    ]
    found = problems(
        HEADER
        + """
steps:
  - {id: a, type: tag, add: [x], next: b}
  - {id: b, type: tag, add: [y], next: a}
  - {id: orphan, type: tag, add: [z]}
"""
    )
    assert 'step "orphan" (steps[2]): unreachable' in found[0]
    assert 'steps "a" → "b" loop without a wait' in found[1]


def test_a_loop_with_a_wait_needs_a_way_out() -> None:
    found = problems(
        HEADER
        + """
steps:
  - {id: pause, type: wait, duration: 1d}
  - {id: nag, type: tag, add: [x], next: pause}
"""
    )
    assert 'steps "pause" → "nag" loop with no way out' in found[0]
    ok = load_definition(
        HEADER
        + """
steps:
  - {id: pause, type: wait, duration: 3d}
  - {id: nag, type: send_message, channel: email, template: nag, purpose: marketing}
  - id: again
    type: condition
    branches: [{name: fewer than 3, when: visits.nag < 3, next: pause}]
"""
    )
    assert [s.id for s in ok.steps] == ["pause", "nag", "again"]


def test_duplicate_ids_and_rules() -> None:
    found = problems(
        HEADER
        + """
goals: [order.placed]
exits: [order.placed]
steps:
  - {id: a, type: wait, until_event: order.placed, timeout: 3d}
  - {id: a, type: tag, add: [x]}
"""
    )
    assert found == [
        'journey "review-request", step "a" (steps[1]), field "id": duplicate step id (also steps[0])'
    ]
    found = problems(
        HEADER
        + """
goals: [order.placed]
exits: [order.placed]
steps:
  - {id: a, type: wait, until_event: order.placed, timeout: 3d}
"""
    )
    assert 'field "exits[0]": order.placed is both a goal and an exit' in found[0]
    assert "so this wait could only time out" in found[1]


def test_top_level_problems() -> None:
    found = problems(
        """
key: Bad Key
name: x
version: 0
priority: urgent
trigger: {type: webhooky}
holdout: 1.5
timezone: Mars/Olympus
steps: []
"""
    )
    joined = "\n".join(found)
    assert 'journey "Bad Key", field "key": must be a slug' in joined
    assert 'field "version": input should be greater than or equal to 1' in joined
    assert (
        "'urgent' is not a priority class; use one of promotion, review_nps, relationship" in joined
    )
    assert "unknown trigger type 'webhooky'" in joined
    assert 'field "holdout"' in joined
    assert "'Mars/Olympus' is not an IANA timezone" in joined
    assert 'field "steps"' in joined


def test_unreadable_text_and_non_mappings() -> None:
    assert "not valid YAML/JSON at line 1" in problems("key: [unclosed")[0]
    assert "is a mapping of fields, not list" in problems("- a\n- b\n")[0]


def test_shorthands_and_defaults() -> None:
    d = load_definition(
        HEADER.replace("{event: order.delivered}", "{when: p_alive < 0.5}")
        + """
re_entry: every_time
steps:
  - id: w
    type: wait
    duration: {field: trigger.days_to_opinion, default: 14d, max: 60d}
    at: 10:00
"""
    )
    assert isinstance(d.trigger, ScoreTrigger) and d.trigger.event == "score.updated"
    assert d.re_entry.mode == "every_time" and not d.re_entry.concurrent
    assert d.priority is Priority.REVIEW_NPS
    step = d.steps[0]
    assert isinstance(step, WaitStep) and step.at == time(10, 0)  # unquoted YAML 10:00 is 600
    assert isinstance(step.duration, FieldDuration) and step.duration.max == timedelta(days=60)
    assert d.max_trigger_age == timedelta(days=3) and d.holdout == 0
    date = load_definition(
        HEADER.replace("{event: order.delivered}", "{date: birthday, offset: -7d}")
        + "steps: [{id: t, type: tag, add: [x]}]"
    )
    assert isinstance(date.trigger, DateTrigger) and date.trigger.offset == timedelta(days=-7)
    assert date.trigger.at == time(9, 0)


def test_json_round_trip_is_lossless_and_fingerprint_is_stable() -> None:
    d = load_definition(
        HEADER
        + """
holdout: 0.1
exits: [{event: order.returned, where: order == $trigger.order}]
steps:
  - {id: w, type: wait, duration: 1d12h, at: "10:00"}
  - id: c
    type: condition
    branches:
      - {name: vip, when: {any: ["tags contains vip", {field: scores.clv, op: ">", value: 1000}]}, next: t}
  - {id: ask, type: request_review, template: review_request, vars: {order: $trigger.order}}
  - {id: t, type: create_task, title: "Call about {trigger.order}", assignee: account_owner}
"""
    )
    dumped = d.model_dump(mode="json")
    again = parse_definition(json.loads(json.dumps(dumped)))
    assert again == d
    assert again.model_dump(mode="json") == dumped
    assert compile_journey(again).fingerprint == compile_journey(d).fingerprint
    changed = parse_definition({**dumped, "holdout": 0.2})
    assert compile_journey(changed).fingerprint != compile_journey(d).fingerprint


def test_trigger_conditions_are_event_scoped() -> None:
    d = load_definition(
        HEADER.replace("{event: order.delivered}", "{event: nps.answered, where: score >= 9}")
        + "steps: [{id: t, type: tag, add: [promoter]}]"
    )
    assert isinstance(d.trigger, EventTrigger) and d.trigger.where is not None


def test_reading_files_and_unknown_playbooks(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    path.write_text(
        json.dumps(
            {
                "key": "from-json",
                "name": "JSON works too",
                "version": 1,
                "priority": "transactional",
                "trigger": {"type": "manual"},
                "steps": [{"id": "t", "type": "tag", "add": ["x"]}],
            }
        )
    )
    assert read_definition(path).key == "from-json"
    with pytest.raises(JourneyDefinitionError, match=r'journey "nope": no such playbook \(known: '):
        load_playbook("nope")
