"""The scalar vocabulary of the journey language, as annotated pydantic types.

Each type parses what authors write and serialises back to the same spelling, so a definition
round-trips through ``model_dump(mode="json")`` unchanged: durations (``14d``), local times
(``"10:00"``), conditions (strings or mappings, event-scoped or not), priority classes (by
label), slugs, event kinds and template names.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator

from goodwill.journeys.conditions import Condition, parse_condition
from goodwill.journeys.timing import (
    format_duration,
    format_local_time,
    parse_duration,
    parse_local_time,
)
from goodwill.messaging.vocabulary import Priority

END = "end"
_SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_EVENT_KIND = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"


def _priority(raw: Any) -> Priority:
    if isinstance(raw, Priority):
        return raw
    labels = {p.label: p for p in Priority}
    if isinstance(raw, str) and raw in labels:
        return labels[raw]
    raise ValueError(f"{raw!r} is not a priority class; use one of {', '.join(labels)}")


def _raw_condition(value: Condition) -> Any:
    return value.to_raw()


Duration = Annotated[timedelta, PlainValidator(parse_duration), PlainSerializer(format_duration)]
SignedDuration = Annotated[
    timedelta,
    PlainValidator(lambda raw: parse_duration(raw, signed=True)),
    PlainSerializer(format_duration),
]
LocalTime = Annotated[time, PlainValidator(parse_local_time), PlainSerializer(format_local_time)]
EventCondition = Annotated[
    Condition,
    PlainValidator(lambda raw: parse_condition(raw, event_scope=True)),
    PlainSerializer(_raw_condition),
]
StateCondition = Annotated[
    Condition,
    PlainValidator(lambda raw: parse_condition(raw, event_scope=False)),
    PlainSerializer(_raw_condition),
]
PriorityClass = Annotated[Priority, PlainValidator(_priority), PlainSerializer(lambda p: p.label)]
Slug = Annotated[str, Field(pattern=_SLUG)]
EventKind = Annotated[str, Field(pattern=_EVENT_KIND, max_length=48)]
StepRef = Annotated[str, Field(min_length=1)]
TemplateName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")]


Vars = Annotated[dict[str, Any], Field(default_factory=dict)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
