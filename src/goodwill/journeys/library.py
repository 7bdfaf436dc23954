"""The compiled journeys a scheduler pass works with, loaded once per pass.

Enabled journeys are indexed by the event kind that can start them; every (journey, version)
still referenced by an active enrolment is kept too, because an enrolment finishes on the
version it started on (ADR 0020).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from goodwill.journeys.compiled import CompiledJourney, compile_journey
from goodwill.journeys.definition import DateTrigger, ScoreTrigger, SegmentTrigger
from goodwill.journeys.enrolment import trigger_kind
from goodwill.journeys.loader import parse_definition
from goodwill.journeys.repository import JourneyRepository


@dataclass
class JourneyLibrary:
    by_version: dict[tuple[int, int], CompiledJourney] = field(default_factory=dict)
    enabled: dict[int, CompiledJourney] = field(
        default_factory=dict
    )  # journey id -> active version
    by_trigger: dict[str, list[int]] = field(default_factory=dict)  # event kind -> journey ids
    key_of: dict[int, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.by_version

    def for_kind(self, kind: str) -> list[int]:
        return self.by_trigger.get(kind, [])

    def date_journeys(self) -> list[int]:
        return [jid for jid, j in self.enabled.items() if isinstance(j.trigger, DateTrigger)]

    def score_journeys(self) -> list[int]:
        return [
            jid
            for jid, j in self.enabled.items()
            if isinstance(j.trigger, ScoreTrigger | SegmentTrigger)
        ]


def load_library(repo: JourneyRepository) -> JourneyLibrary:
    lib = JourneyLibrary()
    enabled = {int(r.id): int(r.active_version) for r in repo.journey_rows() if r.enabled}
    for row in repo.journey_rows():
        lib.key_of[int(row.id)] = str(row.key)
    for row in repo.versions_in_use():
        compiled = compile_journey(parse_definition(row.definition))
        journey_id, version = int(row.journey_id), int(row.version)
        lib.by_version[(journey_id, version)] = compiled
        if enabled.get(journey_id) == version:
            lib.enabled[journey_id] = compiled
            lib.by_trigger.setdefault(trigger_kind(compiled), []).append(journey_id)
    return lib
