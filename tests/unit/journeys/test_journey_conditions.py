"""The condition language: forms, semantics on messy data, explanations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from goodwill.journeys import PersonContext
from goodwill.journeys.conditions import (
    All,
    AnyOf,
    Compare,
    ConditionSyntaxError,
    Not,
    Ref,
    Scope,
    parse_condition,
)

CTX = PersonContext(
    person_id="p1",
    timezone="Europe/Lisbon",
    owner="ana@shop.pt",
    profile={"address": {"country": "NO"}, "orders_count": 3},
    scores={"nps": 6, "clv": "812.50", "p_alive": 0.42},
    tags=frozenset({"vip", "b2b"}),
)


def scope(payload: dict[str, Any] | None = None, trigger: dict[str, Any] | None = None) -> Scope:
    return Scope(
        CTX,
        payload=payload,
        trigger=trigger or {"order": "#1001"},
        seen={"message.opened": 2},
        visits={"ask": 1},
    )


def holds(raw: Any, payload: dict[str, Any] | None = None, *, event: bool = True) -> bool:
    return parse_condition(raw, event_scope=event).evaluate(scope(payload))


def compare(raw: str) -> Compare:
    c = parse_condition(raw, event_scope=True)
    assert isinstance(c, Compare)
    return c


def test_string_forms() -> None:
    assert parse_condition("score >= 9", event_scope=True) == Compare("score", ">=", 9, True)
    assert parse_condition("a = x", event_scope=True) == Compare("a", "==", "x", True)
    assert compare("a in [1, 'b', c]").value == [1, "b", "c"]
    assert compare("country == NO").value == "NO"  # not YAML's false
    assert compare('name == "a b"').value == "a b"
    assert compare("order == $trigger.order").value == Ref("trigger.order")
    assert compare("person.owner exists").op == "exists"


def test_structured_forms() -> None:
    c = parse_condition(
        {
            "any": [
                {"not": "tags contains vip"},
                ["scores.nps >= 9", {"field": "profile.orders_count", "op": ">", "value": 2}],
            ]
        },
        event_scope=False,
    )
    assert isinstance(c, AnyOf) and isinstance(c.items[0], Not) and isinstance(c.items[1], All)
    assert c.evaluate(scope()) is False
    assert parse_condition(["a == 1"], event_scope=True) == Compare("a", "==", 1, True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"x": 1}, "cannot read condition"),
        ([], "empty list"),
        ({"all": []}, "non-empty list"),
        ({"field": "a", "op": "~"}, "unknown operator"),
        ({"field": "a", "op": ">"}, "needs a value"),
        ({"foo": 1}, "a condition mapping is"),
        (7, "is not a condition"),
        ("nonsense", "cannot read condition"),
        ("person.shoe_size > 3", "person fields are"),
    ],
)
def test_syntax_errors(raw: Any, expected: str) -> None:
    if raw == {"x": 1}:
        raw = "x ~ 1"
    with pytest.raises(ConditionSyntaxError, match=expected):
        parse_condition(raw, event_scope=True)


def test_namespaces_read_the_right_things() -> None:
    assert holds("scores.nps < 9", event=False)
    assert holds("scores.clv > 800", event=False)  # money as a numeric string
    assert holds("profile.address.country == NO", event=False)
    assert holds("tags contains vip", event=False)
    assert holds("tags not contains churned", event=False)
    assert holds("person.timezone == Europe/Lisbon", event=False)
    assert holds("person.account_owner missing", event=False)
    assert holds("events.message.opened >= 2", event=False)
    assert holds("events.message.clicked == 0", event=False)
    assert holds("visits.ask == 1", event=False)
    assert holds("trigger.order == '#1001'", event=False)
    assert holds("order == $trigger.order", {"order": "#1001"})
    assert not holds("order == $trigger.order", {"order": "#1002"})
    assert holds("event.score >= 9", {"score": 10})


def test_missing_and_mismatched_types_are_false_not_errors() -> None:
    assert not holds("score >= 9", {})
    assert not holds("score != 9", {})
    assert holds("score missing", {"score": None})
    assert not holds("score >= 9", {"score": "high"})
    assert not holds("score >= 9", {"score": True})
    assert not holds("flag == 1", {"flag": True})
    assert holds("flag == true", {"flag": True})
    assert holds("score == 9", {"score": 9.0})
    assert holds("score >= 9", {"score": Decimal("9.5")})
    assert holds("name < b", {"name": "a"})
    assert not holds("tags contains 1", {"tags": "123"})
    assert holds("deep.er.x == 1", {"deep": {"er": {"x": 1}}})
    assert not holds("deep.er.x == 1", {"deep": 5})
    assert holds("kind in [a, b]", {"kind": "b"})
    assert not holds("kind not in [a, b]", {"kind": "b"})
    assert not holds("kind not in [a, b]", {})


def test_explanations_say_what_was_compared() -> None:
    c = parse_condition("scores.nps >= 9", event_scope=False)
    assert c.explain(scope()) == (False, "scores.nps 6 < 9")
    c = parse_condition(["scores.p_alive < 0.5", "tags contains vip"], event_scope=False)
    assert c.explain(scope()) == (
        True,
        'scores.p_alive 0.42 < 0.5 and tags [b2b, vip] contains "vip"',
    )
    c = parse_condition({"any": ["scores.nps >= 9", "scores.missing > 1"]}, event_scope=False)
    assert c.explain(scope()) == (False, "scores.nps 6 < 9 and scores.missing is missing")
    c = parse_condition("order == $trigger.order", event_scope=True)
    assert c.explain(scope({"order": "#1002"})) == (False, 'order "#1002" != trigger.order "#1001"')
    assert parse_condition("person.owner exists", event_scope=False).explain(scope()) == (
        True,
        "person.owner exists",
    )
    assert parse_condition({"not": "tags contains vip"}, event_scope=False).explain(scope()) == (
        False,
        'not (tags [b2b, vip] contains "vip")',
    )


def test_to_raw_round_trips() -> None:
    for raw in ["score >= 9", "order == $trigger.order", "x exists", 'k in ["a", 1]']:
        c = parse_condition(raw, event_scope=True)
        assert parse_condition(c.to_raw(), event_scope=True) == c
    nested = parse_condition({"any": ["a > 1", {"not": "b == x"}]}, event_scope=True)
    assert parse_condition(nested.to_raw(), event_scope=True) == nested
