"""Field references inside action parameters: ``$trigger.order_id`` values and ``{...}`` text.

Action steps may pass data along: ``vars: {order_id: $trigger.order_id}`` puts the trigger's
order id into the message variables, and a task title may read ``"Check in on order
{trigger.order_id}"``.  Paths use the condition namespaces (:mod:`goodwill.journeys.conditions`)
and are checked when the definition loads.  At run time a missing value becomes ``None`` in
variables and ``?`` in text: an action is never dropped because a field is absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from goodwill.journeys.fields import MISSING, Scope, compile_path

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.:\-]*)\}")


def check_refs(values: dict[str, Any]) -> dict[str, Any]:
    """Validator: every ``$path`` value names a known field."""
    for value in values.values():
        if isinstance(value, str) and value.startswith("$"):
            compile_path(value[1:], event_scope=False)
    return values


def check_template(text: str) -> str:
    """Validator: every ``{path}`` placeholder names a known field."""
    for path in _PLACEHOLDER.findall(text):
        compile_path(path, event_scope=False)
    return text


def compile_values(values: Mapping[str, Any]) -> Callable[[Scope], dict[str, Any]]:
    """Resolve ``$path`` values against a scope; other values pass through unchanged."""
    refs = {
        key: compile_path(value[1:], event_scope=False)
        for key, value in values.items()
        if isinstance(value, str) and value.startswith("$")
    }
    static = {key: value for key, value in values.items() if key not in refs}
    if not refs:
        return lambda _scope: dict(static)

    def resolve(scope: Scope) -> dict[str, Any]:
        out = dict(static)
        for key, get in refs.items():
            value = get(scope)
            out[key] = None if value is MISSING else value
        return out

    return resolve


def compile_text(text: str) -> Callable[[Scope], str]:
    """Render ``{path}`` placeholders against a scope."""
    parts = _PLACEHOLDER.split(text)
    if len(parts) == 1:
        return lambda _scope: text
    getters = [compile_path(path, event_scope=False) for path in parts[1::2]]

    def render(scope: Scope) -> str:
        out = [parts[0]]
        for index, get in enumerate(getters):
            value = get(scope)
            out.append("?" if value is MISSING or value is None else str(value))
            out.append(parts[2 * index + 2])
        return "".join(out)

    return render
