"""Errors of the journeys context.

A definition that cannot run is refused with :class:`JourneyDefinitionError`, which lists every
problem found (not just the first) so an author fixes a playbook in one pass.  Each problem names
the journey, the step (by id and by position) and the field, then says why, for example::

    journey "review-request", step "ask" (steps[2]), field "template": required for action send_message

:class:`JourneyStateError` means the caller broke the engine's contract (for example advanced an
enrolment with a different version of its journey than the one it is pinned to); it is a
programming error in the caller, surfaced with a stable code rather than a bare exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from goodwill.errors import GoodwillError, InvalidInput


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition, located as precisely as the input allows."""

    journey: str
    reason: str
    step_id: str | None = None
    step_index: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = [f'journey "{self.journey}"']
        if self.step_index is not None or self.step_id is not None:
            label = f'step "{self.step_id}"' if self.step_id else "step"
            if self.step_index is not None:
                label += f" (steps[{self.step_index}])"
            parts.append(label)
        if self.field:
            parts.append(f'field "{self.field}"')
        return ", ".join(parts) + f": {self.reason}"


class JourneyDefinitionError(InvalidInput):
    """A journey definition that cannot be published; ``problems`` lists every reason."""

    code = "journeys.invalid_definition"

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            message = str(self.problems[0])
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{len(self.problems)} problems in the journey definition:\n{lines}"
        super().__init__(message)


class JourneyStateError(GoodwillError):
    """An enrolment state that does not belong to the journey it is advanced with."""

    code = "journeys.state_mismatch"
    http_status = 409
