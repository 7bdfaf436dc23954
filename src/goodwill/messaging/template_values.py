"""How template values are prepared so that missing means missing.

``None``, blank strings and strings still holding a ``{{ placeholder }}`` are dropped from the
context (at any depth) so they are *undefined* to Jinja; nested mappings remember their dotted path so an error can name ``last_product.name``
rather than "dict object has no attribute"; :class:`MissingValue` fails on output, iteration and
comparison like ``StrictUndefined`` but is falsy, so ``{% if remembered_fact %}`` is the natural
way to write optional copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined
from jinja2.utils import missing


class _Node(dict[str, Any]):
    """A context mapping that knows its dotted path, so errors can say ``last_product.name``."""

    __slots__ = ("_goodwill_path",)

    def __init__(self, path: str, items: Mapping[str, Any]) -> None:
        super().__init__(items)
        self._goodwill_path = path


class MissingValue(StrictUndefined):
    """Strict on output, iteration and comparison, but falsy so ``{% if x %}`` guards work."""

    __slots__ = ()

    def __bool__(self) -> bool:  # type: ignore[override]  # falsy, unlike StrictUndefined
        return False

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name = self._undefined_name
        if self._undefined_obj is missing:
            return f"{name!r} is undefined"
        parent = getattr(self._undefined_obj, "_goodwill_path", None)
        if parent is not None:
            return f"'{parent}.{name}' is undefined"
        return f"'{type(self._undefined_obj).__name__}.{name}' is undefined"


def _blank(value: Any) -> bool:
    """Missing for templates: None, a blank string, or a string still holding a Jinja
    placeholder (e.g. the journeys' ``{{signed_link}}`` that the dispatcher failed to replace),
    which must never be printed into a message."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip() or "{{" in value or "{%" in value
    return False


def _clean(value: Any, path: str) -> Any:
    if isinstance(value, Mapping):
        return _Node(
            path,
            {str(k): _clean(v, f"{path}.{k}") for k, v in value.items() if not _blank(v)},
        )
    if isinstance(value, list | tuple):
        return [_clean(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def clean_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """Drop ``None`` and blank strings (at any depth) so they count as missing."""
    out: dict[str, Any] = {}
    for k, v in context.items():
        if v is None:
            continue
        if type(v) is str:  # the common case, checked inline (same rule as _blank)
            if v.strip() and "{{" not in v and "{%" not in v:
                out[k] = v
        elif not _blank(v):
            out[k] = _clean(v, k)
    return out


class _Placeholder(str):
    """Stands in for a missing value in previews; attribute access yields more placeholders so
    ``{{ product.name }}`` with no ``product`` reports ``product`` once, not a second error."""

    __slots__ = ()

    def __getattr__(self, name: str) -> _Placeholder:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Placeholder(f"{self[:-1]}.{name}]")

    def __iter__(self) -> Any:  # a missing list previews as an empty loop, not its characters
        return iter(())

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return _Placeholder(f"{self[:-1]}.{key}]")
        return str.__getitem__(self, key)


def fill_placeholder(context: dict[str, Any], dotted: str) -> bool:
    """Put a visible placeholder at ``dotted`` so preview can find the next missing value."""
    if "[" in dotted:
        return False
    head, *rest = dotted.split(".")
    if not rest:
        if head in context:
            return False
        context[head] = _Placeholder(f"[{dotted}]")
        return True
    node = context.get(head)
    if node is None:
        node = context[head] = _Node(head, {})
    if not isinstance(node, dict):
        return False
    path = head
    for key in rest[:-1]:
        path = f"{path}.{key}"
        child = node.get(key)
        if child is None:
            child = node[key] = _Node(path, {})
        if not isinstance(child, dict):
            return False
        node = child
    if rest[-1] in node:
        return False
    node[rest[-1]] = _Placeholder(f"[{dotted}]")
    return True
