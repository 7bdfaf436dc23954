"""The condition language shared by triggers, exits, event waits and condition steps.

A condition is written three ways, which may be mixed:

* a string ``"FIELD OP VALUE"``: ``"score >= 9"``, ``"scores.p_alive < 0.5"``,
  ``"tags contains vip"``, ``"person.account_id exists"``, ``"order_id == $trigger.order_id"``;
* a mapping ``{field: scores.nps, op: ">=", value: 9}`` (when a value needs YAML typing);
* a combination: a list means *all of*, ``{all: [...]}``, ``{any: [...]}``, ``{not: ...}``.

Operators: ``== != < <= > >= in, not in, contains, not contains`` and the unary ``exists`` and
``missing``.  A value starting with ``$`` is another field (``$trigger.order_id``).

Fields are dotted paths in the namespaces of :mod:`goodwill.journeys.fields` (``event.X``
or bare ``X`` for the matched event, ``trigger.X``, ``profile.X``, ``scores.X``, ``tags``,
``person.X``, ``events.KIND`` counts, ``visits.STEP`` counts).

Semantics are total and boring on purpose: a missing field makes every comparison false (except
``missing``); numbers compare with numbers (numeric strings such as ``"812.50"`` count as numbers,
since money travels as strings); strings compare with strings; anything else is false.  Nothing
raises at run time: a definition is checked when it is loaded, never while a person is in it.

Each node compiles its field lookups once, so evaluating is a few attribute reads and a compare.
``explain`` returns the truth value and a sentence such as ``scores.nps 6 < 9`` for the
enrolment history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from goodwill.journeys.fields import (
    MISSING,
    ConditionSyntaxError,
    Getter,
    Scope,
    as_number,
    compile_path,
)

__all__ = [
    "MISSING",
    "All",
    "AnyOf",
    "Compare",
    "Condition",
    "ConditionSyntaxError",
    "Not",
    "Ref",
    "Scope",
    "parse_condition",
]


def _equal(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    na, nb = as_number(a), as_number(b)
    if na is not None and nb is not None and not (isinstance(a, str) and isinstance(b, str)):
        return na == nb
    return bool(a == b)


def _ordered(a: Any, b: Any) -> tuple[Any, Any] | None:
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    na, nb = as_number(a), as_number(b)
    if na is None or nb is None:
        return None
    return na, nb


def _cmp(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def run(a: Any, b: Any) -> bool:
        pair = _ordered(a, b)
        return pair is not None and test(*pair)

    return run


def _contains(a: Any, b: Any) -> bool:
    if isinstance(a, str):
        return isinstance(b, str) and b in a
    if isinstance(a, list | tuple | set | frozenset):
        return any(_equal(item, b) for item in a)
    return False


def _member(a: Any, b: Any) -> bool:
    return isinstance(b, list | tuple) and any(_equal(a, item) for item in b)


def _exists(a: Any, _b: Any) -> bool:
    return a is not MISSING and a is not None


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _equal,
    "!=": lambda a, b: a is not MISSING and not _equal(a, b),
    "<": _cmp(lambda a, b: a < b),
    "<=": _cmp(lambda a, b: a <= b),
    ">": _cmp(lambda a, b: a > b),
    ">=": _cmp(lambda a, b: a >= b),
    "in": _member,
    "not in": lambda a, b: a is not MISSING and not _member(a, b),
    "contains": _contains,
    "not contains": lambda a, b: a is not MISSING and not _contains(a, b),
    "exists": _exists,
    "missing": lambda a, b: not _exists(a, b),
}
_NEGATED = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
    "in": "not in",
    "not in": "in",
    "contains": "does not contain",
    "not contains": "contains",
    "exists": "is missing",
    "missing": "exists",
}
UNARY = frozenset({"exists", "missing"})
OPERATORS = tuple(_OPS)


@dataclass(frozen=True, slots=True)
class Ref:
    """A value that is another field: ``$trigger.order_id``."""

    path: str


def _show(value: Any) -> str:
    if value is MISSING:
        return "missing"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, frozenset | set):
        return "[" + ", ".join(sorted(map(str, value))) + "]"
    return json.dumps(value, default=str) if isinstance(value, list | dict | bool) else str(value)


@dataclass(frozen=True, slots=True)
class Compare:
    """``path op value``; ``value`` may be a :class:`Ref` to another field."""

    path: str
    op: str
    value: Any = None
    event_scope: bool = False
    _get: Getter = field(init=False, compare=False, repr=False)
    _ref: Getter | None = field(init=False, compare=False, repr=False)
    _test: Callable[[Any, Any], bool] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ConditionSyntaxError(
                f"unknown operator {self.op!r}; use one of {', '.join(OPERATORS)}"
            )
        object.__setattr__(self, "_get", compile_path(self.path, event_scope=self.event_scope))
        ref = self.value
        getter = (
            compile_path(ref.path, event_scope=self.event_scope) if isinstance(ref, Ref) else None
        )
        object.__setattr__(self, "_ref", getter)
        object.__setattr__(self, "_test", _OPS[self.op])

    def evaluate(self, scope: Scope) -> bool:
        other = self._ref(scope) if self._ref is not None else self.value
        return self._test(self._get(scope), other)

    def explain(self, scope: Scope) -> tuple[bool, str]:
        actual = self._get(scope)
        other = self._ref(scope) if self._ref is not None else self.value
        ok = self._test(actual, other)
        if self.op in UNARY:
            said = "exists" if _exists(actual, None) else "is missing"
            return ok, f"{self.path} {said}"
        if actual is MISSING:
            return ok, f"{self.path} is missing"
        op = self.op if ok else _NEGATED[self.op]
        shown = _show(other) if self._ref is None else f"{self.value.path} {_show(other)}"
        return ok, f"{self.path} {_show(actual)} {op} {shown}"

    def fields(self) -> Iterator[Compare]:
        yield self

    def to_raw(self) -> str:
        if self.op in UNARY:
            return f"{self.path} {self.op}"
        value = f"${self.value.path}" if isinstance(self.value, Ref) else json.dumps(self.value)
        return f"{self.path} {self.op} {value}"


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[Condition, ...]

    def evaluate(self, scope: Scope) -> bool:
        return all(item.evaluate(scope) for item in self.items)

    def explain(self, scope: Scope) -> tuple[bool, str]:
        said = []
        for item in self.items:
            ok, text = item.explain(scope)
            if not ok:
                return False, text
            said.append(text)
        return True, " and ".join(said)

    def fields(self) -> Iterator[Compare]:
        for item in self.items:
            yield from item.fields()

    def to_raw(self) -> dict[str, Any]:
        return {"all": [item.to_raw() for item in self.items]}


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]

    def evaluate(self, scope: Scope) -> bool:
        return any(item.evaluate(scope) for item in self.items)

    def explain(self, scope: Scope) -> tuple[bool, str]:
        said = []
        for item in self.items:
            ok, text = item.explain(scope)
            if ok:
                return True, text
            said.append(text)
        return False, " and ".join(said)

    def fields(self) -> Iterator[Compare]:
        for item in self.items:
            yield from item.fields()

    def to_raw(self) -> dict[str, Any]:
        return {"any": [item.to_raw() for item in self.items]}


@dataclass(frozen=True, slots=True)
class Not:
    item: Condition

    def evaluate(self, scope: Scope) -> bool:
        return not self.item.evaluate(scope)

    def explain(self, scope: Scope) -> tuple[bool, str]:
        ok, text = self.item.explain(scope)
        return not ok, f"not ({text})"

    def fields(self) -> Iterator[Compare]:
        yield from self.item.fields()

    def to_raw(self) -> dict[str, Any]:
        return {"not": self.item.to_raw()}


Condition = Compare | All | AnyOf | Not

_PATH = r"[A-Za-z_][A-Za-z0-9_.:\-]*"
_UNARY_RE = re.compile(rf"^\s*({_PATH})\s+(exists|missing)\s*$")
_WORD_RE = re.compile(rf"^\s*({_PATH})\s+(not in|in|not contains|contains)\s+(.+?)\s*$")
_SYMBOL_RE = re.compile(rf"^\s*({_PATH})\s*(==|!=|>=|<=|>|<|=)\s*(.+?)\s*$")


def _literal(text: str) -> Any:
    """A value as written after an operator: JSON if it reads as JSON, else a bare string.

    YAML scalars are deliberately *not* used here: YAML 1.1 reads ``NO`` (Norway) as false.
    """
    text = text.strip()
    if text.startswith("$"):
        return Ref(text[1:])
    try:
        return json.loads(text)
    except ValueError:
        pass
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [_literal(part) for part in inner.split(",")] if inner else []
    return text


def parse_condition(raw: Any, *, event_scope: bool) -> Condition:
    """Read a condition in any of its written forms (see the module docstring)."""
    if isinstance(raw, All | AnyOf | Not | Compare):
        return raw
    if isinstance(raw, str):
        return _parse_text(raw, event_scope)
    if isinstance(raw, list):
        if not raw:
            raise ConditionSyntaxError("an empty list of conditions; write at least one")
        items = tuple(parse_condition(item, event_scope=event_scope) for item in raw)
        return items[0] if len(items) == 1 else All(items)
    if isinstance(raw, Mapping):
        return _parse_mapping(raw, event_scope)
    raise ConditionSyntaxError(f'{raw!r} is not a condition; write e.g. "score >= 9"')


def _parse_text(text: str, event_scope: bool) -> Compare:
    for pattern in (_UNARY_RE, _WORD_RE, _SYMBOL_RE):
        match = pattern.match(text)
        if match:
            path, op = match.group(1), match.group(2)
            if pattern is _UNARY_RE:
                return Compare(path, op, None, event_scope)
            if match.group(3)[:1] in "=<>!":
                break  # "a >> 9", "a => 9": a mistyped operator, not a value starting with ">"
            value = _literal(match.group(3))
            return Compare(path, "==" if op == "=" else op, value, event_scope)
    raise ConditionSyntaxError(
        f'cannot read condition {text!r}; write FIELD OP VALUE, e.g. "score >= 9" '
        f'or "tags contains vip" (operators: {", ".join(OPERATORS)})'
    )


def _parse_mapping(raw: Mapping[str, Any], event_scope: bool) -> Condition:
    keys = set(raw)
    if keys == {"all"} or keys == {"any"}:
        items = raw["all" if "all" in raw else "any"]
        if not isinstance(items, list) or not items:
            raise ConditionSyntaxError(
                f"{next(iter(keys))}: expects a non-empty list of conditions"
            )
        parsed = tuple(parse_condition(item, event_scope=event_scope) for item in items)
        return All(parsed) if "all" in raw else AnyOf(parsed)
    if keys == {"not"}:
        return Not(parse_condition(raw["not"], event_scope=event_scope))
    if "field" in keys and keys <= {"field", "op", "value"}:
        op = str(raw.get("op", "=="))
        value = raw.get("value")
        if isinstance(value, str) and value.startswith("$"):
            value = Ref(value[1:])
        if op in _OPS and op not in UNARY and "value" not in raw:
            raise ConditionSyntaxError(f"operator {op!r} needs a value")
        return Compare(str(raw["field"]), "==" if op == "=" else op, value, event_scope)
    raise ConditionSyntaxError(
        "a condition mapping is {field, op, value}, {all: [...]}, {any: [...]} or {not: ...}; "
        f"got keys {sorted(keys)}"
    )
