"""Reading definitions from YAML/JSON, with errors an author can act on, and the playbooks.

:func:`parse_definition` is the one door into :class:`JourneyDefinition`: it parses fields
(pydantic), then checks the graph and the review-gating rule, and turns every failure into a
:class:`~goodwill.journeys.errors.Problem` that names the journey, the step, the field and why.
pydantic's own locations (``steps.2.send_message.template``) are translated back to what the
author wrote (``step "ask" (steps[2]), field "template"``).

Playbooks are definitions shipped in ``goodwill/journeys/playbooks/*.yaml``, ready to enable.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from goodwill.journeys.compiled import CompiledJourney, compile_journey
from goodwill.journeys.definition import (
    ACTION_TYPES,
    JourneyDefinition,
    Step,
)
from goodwill.journeys.errors import JourneyDefinitionError, Problem
from goodwill.journeys.gating import gating_problems
from goodwill.journeys.validation import graph_problems

_STEP_MODELS: dict[str, type[BaseModel]] = {
    get_args(model.model_fields["type"].annotation)[0]: model
    for model in get_args(get_args(Step)[0])
}
_PATTERN_HINTS = {
    "id": "must be a slug: lowercase letters, digits, - and _ (at most 64)",
    "key": "must be a slug: lowercase letters, digits, - and _ (at most 64)",
    "template": "must be a template name: lowercase letters, digits, _ . and -",
    "url": "must be an http(s) URL",
}


def parse_definition(data: Any) -> JourneyDefinition:
    """Validate a parsed YAML/JSON document; raise :class:`JourneyDefinitionError` listing all."""
    key = data.get("key") if isinstance(data, Mapping) else None
    journey = key if isinstance(key, str) and key else "?"
    if not isinstance(data, Mapping):
        reason = f"a journey definition is a mapping of fields, not {type(data).__name__}"
        raise JourneyDefinitionError([Problem(journey, reason)])
    try:
        definition = JourneyDefinition.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(error, data, journey) for error in exc.errors()]
        raise JourneyDefinitionError(problems) from None
    problems = graph_problems(definition)
    if not problems:
        problems = gating_problems(definition)
    if problems:
        raise JourneyDefinitionError(problems)
    return definition


def load_definition(text: str) -> JourneyDefinition:
    """Parse YAML or JSON text (JSON is YAML) into a validated definition."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise JourneyDefinitionError(
            [Problem("?", f"not valid YAML/JSON{where}: {problem}")]
        ) from None
    return parse_definition(data)


def read_definition(path: str | Path) -> JourneyDefinition:
    return load_definition(Path(path).read_text(encoding="utf-8"))


def load_journey(text: str) -> CompiledJourney:
    """Parse, validate and compile in one go."""
    return compile_journey(load_definition(text))


def playbook_names() -> list[str]:
    """Keys of the shipped playbooks (file stems), sorted."""
    folder = resources.files("goodwill.journeys") / "playbooks"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_playbook(name: str) -> JourneyDefinition:
    folder = resources.files("goodwill.journeys") / "playbooks"
    resource = folder / f"{name}.yaml"
    if not resource.is_file():
        known = ", ".join(playbook_names())
        raise JourneyDefinitionError([Problem(name, f"no such playbook (known: {known})")])
    return load_definition(resource.read_text(encoding="utf-8"))


# --- translating pydantic errors ------------------------------------------------------------


def _problem(error: ErrorDetails, data: Mapping[str, Any], journey: str) -> Problem:
    loc: Sequence[int | str] = error["loc"]
    step_index: int | None = None
    step_id: str | None = None
    tag: str | None = None
    node: Any = data
    rest = list(loc)
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        step_index = loc[1]
        steps = data.get("steps")
        node = steps[step_index] if isinstance(steps, list) and step_index < len(steps) else {}
        if isinstance(node, Mapping):
            step_id = node.get("id") if isinstance(node.get("id"), str) else None
            tag = node.get("type") if isinstance(node.get("type"), str) else None
        rest = rest[2:]
    field = _field_path(rest, node)
    return Problem(journey, _reason(error, tag, field, step_index), step_id, step_index, field)


def _field_path(loc: Sequence[int | str], node: Any) -> str | None:
    """Follow the location through the author's data, dropping pydantic's union/tag markers."""
    parts: list[str] = []
    for position, segment in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(node, Mapping) and segment in node:
            parts.append(str(segment))
            node = node[segment]
        elif isinstance(node, list) and isinstance(segment, int) and segment < len(node):
            if parts:
                parts[-1] += f"[{segment}]"
            else:
                parts.append(f"[{segment}]")
            node = node[segment]
        elif isinstance(node, Mapping) and segment == node.get("type"):
            continue  # discriminator tag
        elif last and isinstance(segment, str) and "[" not in segment and "-" not in segment:
            parts.append(segment)
    return ".".join(parts) or None


def _reason(error: ErrorDetails, tag: str | None, field: str | None, step: int | None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        if step is not None and tag:
            return f"required for {'action' if tag in ACTION_TYPES else 'step type'} {tag}"
        return "required"
    if kind == "extra_forbidden":
        name = (field or "").rsplit(".", 1)[-1]
        model = _STEP_MODELS.get(tag or "") if step is not None and field == name else None
        if step is None and field == name:
            model = JourneyDefinition
        hint = ""
        if model is not None:
            close = difflib.get_close_matches(name, list(model.model_fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown field{hint}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        what = "step type" if step is not None else "trigger type"
        expected = ctx.get("expected_tags") or ", ".join(sorted(_STEP_MODELS))
        if kind == "union_tag_not_found":
            return f'missing "type"; expected one of {expected}'
        return f"unknown {what} {ctx.get('tag')!r}; expected one of {expected}"
    if kind == "string_pattern_mismatch":
        name = (field or "").rsplit(".", 1)[-1].split("[")[0]
        return _PATTERN_HINTS.get(name, f"does not match {ctx.get('pattern')}")
    if kind in ("literal_error", "enum"):
        return f"{error.get('input')!r} is not allowed; must be {ctx.get('expected')}"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return message[:1].lower() + message[1:]
