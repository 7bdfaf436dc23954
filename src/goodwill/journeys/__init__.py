"""Journeys: declarative definitions and the pure engine that runs people through them.

Public API (everything the service, worker and CLI need)::

    definition = load_definition(yaml_text)          # or parse_definition(dict), load_playbook(name)
    journey = compile_journey(definition)            # once per (key, version); immutable
    result = enrol(journey, person, event, now, prior, enrolment_id="42")   # EnrolmentState | Refusal
    step = advance(journey, state, now, events, person)   # Advance(state, intents, wake_at, steps_run)

See :mod:`goodwill.journeys.engine` for the contract (logical time, events, versioning,
idempotency) and :mod:`goodwill.journeys.definition` for the language.
"""

from goodwill.journeys.compiled import REMOVE_EVENT, CompiledJourney, compile_journey
from goodwill.journeys.definition import JourneyDefinition
from goodwill.journeys.engine import advance
from goodwill.journeys.enrolment import (
    DATE_EVENT,
    MANUAL_EVENT,
    due_date_events,
    enrol,
    holdout_bucket,
    match_trigger,
    trigger_kind,
)
from goodwill.journeys.errors import JourneyDefinitionError, JourneyStateError, Problem
from goodwill.journeys.explain import format_history
from goodwill.journeys.intents import (
    SIGNED_LINK,
    CallWebhook,
    CreateTask,
    Intent,
    RequestNps,
    RequestReview,
    SendMessage,
    Tag,
)
from goodwill.journeys.loader import (
    load_definition,
    load_journey,
    load_playbook,
    parse_definition,
    playbook_names,
    read_definition,
)
from goodwill.journeys.models import (
    Advance,
    EnrolmentState,
    EnrolmentStatus,
    Event,
    EventLike,
    Happened,
    ImportantDate,
    PersonContext,
    PriorEnrolment,
    Refusal,
    RefusalCode,
    StepRecord,
)
from goodwill.journeys.serialization import (
    intent_from_dict,
    intent_to_dict,
    state_from_dict,
    state_to_dict,
)

__all__ = [
    "DATE_EVENT",
    "MANUAL_EVENT",
    "REMOVE_EVENT",
    "SIGNED_LINK",
    "Advance",
    "CallWebhook",
    "CompiledJourney",
    "CreateTask",
    "EnrolmentState",
    "EnrolmentStatus",
    "Event",
    "EventLike",
    "Happened",
    "ImportantDate",
    "Intent",
    "JourneyDefinition",
    "JourneyDefinitionError",
    "JourneyStateError",
    "PersonContext",
    "PriorEnrolment",
    "Problem",
    "Refusal",
    "RefusalCode",
    "RequestNps",
    "RequestReview",
    "SendMessage",
    "StepRecord",
    "Tag",
    "advance",
    "compile_journey",
    "due_date_events",
    "enrol",
    "format_history",
    "holdout_bucket",
    "intent_from_dict",
    "intent_to_dict",
    "load_definition",
    "load_journey",
    "load_playbook",
    "match_trigger",
    "parse_definition",
    "playbook_names",
    "read_definition",
    "state_from_dict",
    "state_to_dict",
    "trigger_kind",
]
