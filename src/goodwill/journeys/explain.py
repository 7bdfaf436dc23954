"""``goodwill journeys explain``: an enrolment's history as lines a person can read.

Pure formatting (the CLI prints, this only builds strings).  Each history record already says
why in its own words; this adds when and where, for example::

    review-request v1 · enrolment 42 · person 7 · active
    2026-02-19 09:12 UTC  -          enrolled in review-request v1 on order.delivered (event 991)
    2026-02-19 09:12 UTC  settle     waiting until 2026-03-05 10:00 Europe/Lisbon (trigger.days_to_opinion = 14)
    next wake-up: 2026-03-05 10:00 UTC
"""

from __future__ import annotations

from goodwill.journeys.models import EnrolmentState


def format_history(state: EnrolmentState) -> list[str]:
    head = (
        f"{state.journey_key} v{state.journey_version} · enrolment {state.enrolment_id} · "
        f"person {state.person_id} · {state.status.value}"
    )
    if state.end_reason and state.end_reason != state.status.value:
        head += f" ({state.end_reason})"
    width = max([len(r.step_id or "-") for r in state.history] + [8])
    lines = [head]
    for r in state.history:
        step = r.step_id or "-"
        if r.occurrence > 1:
            step += f"#{r.occurrence}"
        lines.append(f"{r.at:%Y-%m-%d %H:%M} UTC  {step:<{width + 3}}{r.note}")
    if state.wake_at is not None:
        lines.append(f"next wake-up: {state.wake_at:%Y-%m-%d %H:%M} UTC")
    return lines
