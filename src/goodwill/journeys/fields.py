"""Field paths: how conditions, durations and action parameters read data.

Fields are dotted paths in namespaces:

==================  =========================================================================
``event.X`` or X    the payload of the event being matched (triggers, exits, event waits only)
``trigger.X``       the payload of the event that started the enrolment
``profile.X``       the person's profile fields (nested mappings: ``profile.address.country``)
``scores.X``        the person's current scores (``scores.p_alive``, ``scores.clv_decile``)
``tags``            the person's tags (use ``contains``)
``person.X``        ``id``, ``timezone``, ``locale``, ``owner``, ``account_id``, ``account_owner``
``events.KIND``     how many ``KIND`` events the enrolment has seen (``events.message.opened``)
``visits.STEP``     how many times the enrolment entered step ``STEP``
==================  =========================================================================

A path is compiled once into a getter (a closure over the keys), so reading a field at run time
is a couple of dict lookups.  A missing field reads as :data:`MISSING`, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from goodwill.journeys.models import PersonContext


class ConditionSyntaxError(ValueError):
    """A condition that cannot be read; the message says what was expected."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "missing"


MISSING: Final = _Missing()


class Scope:
    """What a condition can see.  Built by the engine; ``payload`` is ``None`` outside events."""

    __slots__ = ("context", "payload", "seen", "trigger", "visits")

    def __init__(
        self,
        context: PersonContext,
        *,
        payload: Mapping[str, Any] | None = None,
        trigger: Mapping[str, Any] | None = None,
        seen: Mapping[str, int] | None = None,
        visits: Mapping[str, int] | None = None,
    ):
        self.context = context
        self.payload = payload
        self.trigger = trigger
        self.seen = seen
        self.visits = visits


Getter = Callable[[Scope], Any]
_PERSON_FIELDS = {
    "id": "person_id",
    "timezone": "timezone",
    "locale": "locale",
    "owner": "owner",
    "account_id": "account_id",
    "account_owner": "account_owner",
}
NAMESPACES = ("event", "trigger", "profile", "scores", "tags", "person", "events", "visits")


def _dig(root: Mapping[str, Any] | None, keys: Sequence[str]) -> Any:
    value: Any = root
    for key in keys:
        if not isinstance(value, Mapping):
            return MISSING
        value = value.get(key, MISSING)
        if value is MISSING:
            return MISSING
    return value


def compile_path(path: str, *, event_scope: bool) -> Getter:
    """A fast lookup for ``path``; raises :class:`ConditionSyntaxError` for unknown namespaces."""
    head, _, rest = path.partition(".")
    if head == "tags" and not rest:
        return lambda s: s.context.tags
    if head == "events" and rest:
        return lambda s: (s.seen or {}).get(rest, 0)
    if head == "visits" and rest:
        return lambda s: (s.visits or {}).get(rest, 0)
    if head == "person" and rest in _PERSON_FIELDS:
        attr = _PERSON_FIELDS[rest]
        return lambda s: _none_missing(getattr(s.context, attr))
    keys = tuple(rest.split(".")) if rest else ()
    if head == "profile" and keys:
        return lambda s: _dig(s.context.profile, keys)
    if head == "scores" and keys:
        return lambda s: _dig(s.context.scores, keys)
    if head == "trigger" and keys:
        return lambda s: _dig(s.trigger, keys)
    if head in ("event", "payload") and keys:
        if not event_scope:
            raise ConditionSyntaxError(f"{path!r}: there is no current event here; use trigger.*")
        return lambda s: _dig(s.payload, keys)
    if event_scope and head not in NAMESPACES:
        bare = tuple(path.split("."))
        return lambda s: _dig(s.payload, bare)
    if head == "person":
        raise ConditionSyntaxError(f"{path!r}: person fields are {', '.join(_PERSON_FIELDS)}")
    where = "" if event_scope else " (bare names mean event fields, and there is no event here)"
    raise ConditionSyntaxError(
        f"unknown field {path!r}{where}; start it with one of {', '.join(NAMESPACES)}"
    )


def _none_missing(value: Any) -> Any:
    return MISSING if value is None else value


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
