"""The review-gating rule: a review request may never depend on how satisfied the person is.

"Review gating" means asking only the customers who seem happy (a high NPS answer, positive
sentiment, a good rating) to post a public review, and routing the others elsewhere.  Review
platforms forbid it (Google, Trustpilot, Yotpo and Judge.me require inviting every customer or an
unbiased sample in neutral language) and consumer-protection law treats it as deceptive (the US
FTC's guidance on soliciting reviews and its rule on consumer reviews; the EU unfair commercial
practices rules).  Goodwill refuses to publish such a journey rather than warn.

A definition is rejected when it has a review request (``request_review``, or ``send_message``
with purpose ``reviews``) and

* its trigger is conditioned on a satisfaction signal (``nps.answered`` with ``score >= 9``, a
  segment named ``promoters``, ``scores.sentiment > 0.5``...); or
* a step decides on a satisfaction signal (a condition branch, or an event wait with such a
  ``where``) and a review request is reachable from some of its outcomes but not from all: the
  signal decides *whether* the person is asked; or
* a goal or exit that would stop the review requests is conditioned on a satisfaction signal.

Asking promoters for a *referral* is fine, and so is asking everyone for a review and, separately,
everyone for an NPS answer.  Satisfaction signals are recognised by name (``nps``, ``sentiment``,
``rating``, ``satisfaction``, ``csat``, ``stars``, ``promoter``...) in a field or a compared
value, and by a bare ``score`` on a feedback event (``nps.*``, ``csat.*``, ``survey.*``,
``review.*``).  The check errs on the side of refusing; rename a field that trips it by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from goodwill.consent.models import Purpose
from goodwill.journeys.conditions import Compare, Condition, Ref
from goodwill.journeys.definition import (
    END,
    ConditionStep,
    EventTrigger,
    JourneyDefinition,
    RequestReviewStep,
    ScoreTrigger,
    SegmentTrigger,
    SendMessageStep,
    WaitStep,
)
from goodwill.journeys.errors import Problem
from goodwill.journeys.fields import NAMESPACES
from goodwill.journeys.validation import Edge, graph

REASON = (
    "review gating is forbidden: asking for reviews only when someone seems satisfied (or "
    "stopping the asks when they do not) breaks review platforms' rules and consumer law; "
    "invite every customer, or an unbiased sample, in neutral language"
)
SIGNAL_WORDS = frozenset(
    {
        "nps",
        "sentiment",
        "rating",
        "ratings",
        "rated",
        "satisfaction",
        "satisfied",
        "dissatisfied",
        "csat",
        "stars",
        "star",
        "happiness",
        "happy",
        "unhappy",
        "mood",
        "promoter",
        "promoters",
        "detractor",
        "detractors",
        "passive",
        "passives",
    }
)
FEEDBACK_EVENTS = ("nps.", "csat.", "survey.", "review.", "feedback.", "sentiment.")
_BARE_SCORES = frozenset({"score", "value", "answer", "grade"})
_SPLIT = re.compile(r"[^a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_SPLIT.split(text.lower()))


def is_signal(compare: Compare, *, event_kind: str | None, trigger_kind: str | None) -> bool:
    """Does this comparison look at how satisfied the person is?"""
    paths = [compare.path]
    if isinstance(compare.value, Ref):
        paths.append(compare.value.path)
    for path in paths:
        head = path.partition(".")[0]
        if head in ("events", "visits"):
            continue  # counts of things seen, not satisfaction values
        words = _words(path)
        if words & SIGNAL_WORDS:
            return True
        last = path.rsplit(".", 1)[-1].lower()
        if last in _BARE_SCORES:
            on_event = head in ("event", "payload") or (
                compare.event_scope and head not in NAMESPACES
            )
            kind = trigger_kind if head == "trigger" else event_kind if on_event else None
            if kind is not None and kind.startswith(FEEDBACK_EVENTS):
                return True
    literals = compare.value if isinstance(compare.value, list) else [compare.value]
    return any(isinstance(v, str) and _words(v) & SIGNAL_WORDS for v in literals)


def _has_signal(
    condition: Condition | None, *, event_kind: str | None, trigger_kind: str | None
) -> bool:
    if condition is None:
        return False
    return any(
        is_signal(c, event_kind=event_kind, trigger_kind=trigger_kind) for c in condition.fields()
    )


def review_steps(definition: JourneyDefinition) -> set[str]:
    out = set()
    for step in definition.steps:
        if isinstance(step, RequestReviewStep) or (
            isinstance(step, SendMessageStep) and step.purpose == Purpose.REVIEWS
        ):
            out.add(step.id)
    return out


def gating_problems(definition: JourneyDefinition) -> list[Problem]:
    reviews = review_steps(definition)
    if not reviews:
        return []
    key = definition.key
    trigger = definition.trigger
    trigger_kind = getattr(trigger, "event", None)
    problems = []
    if isinstance(trigger, EventTrigger | ScoreTrigger):
        condition = trigger.where if isinstance(trigger, EventTrigger) else trigger.when
        if _has_signal(condition, event_kind=trigger_kind, trigger_kind=trigger_kind):
            field = "trigger.where" if isinstance(trigger, EventTrigger) else "trigger.when"
            problems.append(Problem(key, REASON, field=field))
    if isinstance(trigger, SegmentTrigger) and _words(trigger.segment) & SIGNAL_WORDS:
        problems.append(Problem(key, REASON, field="trigger.segment"))
    for section, rules in (("goals", definition.goals), ("exits", definition.exits)):
        for i, rule in enumerate(rules):
            if _has_signal(rule.where, event_kind=rule.event, trigger_kind=trigger_kind):
                problems.append(Problem(key, REASON, field=f"{section}[{i}].where"))

    edge_map = graph(definition)
    leads_to_review = _leading_to(reviews, edge_map)
    for i, step in enumerate(definition.steps):
        if not _decides_on_signal(step, trigger_kind):
            continue
        outcomes = {target in leads_to_review for _, target in edge_map[step.id]}
        if outcomes == {True, False}:
            field = "branches" if isinstance(step, ConditionStep) else "where"
            problems.append(Problem(key, REASON, step.id, i, field))
    return problems


def _decides_on_signal(step: object, trigger_kind: str | None) -> bool:
    if isinstance(step, ConditionStep):
        return any(
            _has_signal(b.when, event_kind=None, trigger_kind=trigger_kind) for b in step.branches
        )
    if isinstance(step, WaitStep) and step.until_event is not None:
        return _has_signal(step.where, event_kind=step.until_event, trigger_kind=trigger_kind)
    return False


def _leading_to(targets: Iterable[str], edge_map: dict[str, list[Edge]]) -> set[str]:
    """Steps from which one of ``targets`` can be reached (targets included)."""
    incoming: dict[str, list[str]] = {}
    for source, out in edge_map.items():
        for _, target in out:
            incoming.setdefault(target, []).append(source)
    found = set(targets)
    todo = list(found)
    while todo:
        for source in incoming.get(todo.pop(), []):
            if source not in found:
                found.add(source)
                todo.append(source)
    found.discard(END)
    return found
