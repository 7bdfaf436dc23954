"""Checks on the shape of a journey as a graph, after its fields have parsed.

A journey is a directed graph of steps starting at ``steps[0]``; ``end`` is the exit node.
Rules, each reported as a :class:`~goodwill.journeys.errors.Problem`:

* step ids are unique; every ``next`` / branch / ``otherwise`` / ``on_timeout`` names a step or
  ``end``; branch names are unique within a step;
* every step is reachable from the first (an unreachable step is a typo, not a feature);
* every loop contains a wait (otherwise the engine would spin forever within one instant) and
  has a way out (a branch or an event wait leading outside the loop), so no journey can keep a
  person forever by construction;
* a goal or exit kind is not also an ``until_event`` (the exit would always win);
* review requests are not gated on satisfaction (:mod:`goodwill.journeys.gating`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from goodwill.journeys.definition import (
    END,
    ConditionStep,
    JourneyDefinition,
    SplitStep,
    Step,
    WaitStep,
)
from goodwill.journeys.errors import Problem

Edge = tuple[str, str]  # (field the edge comes from, target step id or END)


def default_next(steps: Sequence[Step]) -> dict[str, str]:
    """Each step's implicit successor: the following step in the list, ``end`` for the last."""
    ids = [step.id for step in steps]
    return {step_id: ids[i + 1] if i + 1 < len(ids) else END for i, step_id in enumerate(ids)}


def edges(step: Step, fallthrough: str) -> list[Edge]:
    """Outgoing edges of a step, labelled by the field that declares them."""
    if isinstance(step, ConditionStep):
        out = [(f"branches[{i}].next", b.next) for i, b in enumerate(step.branches)]
        return [*out, ("otherwise", step.otherwise or fallthrough)]
    if isinstance(step, SplitStep):
        return [(f"branches[{i}].next", b.next) for i, b in enumerate(step.branches)]
    if isinstance(step, WaitStep) and step.until_event is not None:
        on_event = step.next or fallthrough
        return [("next", on_event), ("on_timeout", step.on_timeout or on_event)]
    return [("next", step.next or fallthrough)]


def graph(definition: JourneyDefinition) -> dict[str, list[Edge]]:
    nexts = default_next(definition.steps)
    return {step.id: edges(step, nexts[step.id]) for step in definition.steps}


def graph_problems(definition: JourneyDefinition) -> list[Problem]:
    key = definition.key
    index: dict[str, int] = {}
    problems: list[Problem] = []
    for i, step in enumerate(definition.steps):
        if step.id in index:
            reason = f"duplicate step id (also steps[{index[step.id]}])"
            problems.append(Problem(key, reason, step.id, i, "id"))
        else:
            index[step.id] = i
        names = [b.name for b in getattr(step, "branches", None) or []]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            problems.append(Problem(key, f"duplicate branch name {dup!r}", step.id, i, "branches"))
    if problems:
        return problems

    edge_map = graph(definition)
    for i, step in enumerate(definition.steps):
        for label, target in edge_map[step.id]:
            if target != END and target not in index:
                known = ", ".join([*index, END])
                reason = f'no step "{target}" (known: {known})'
                problems.append(Problem(key, reason, step.id, i, label))
    if problems:
        return problems

    reachable = _reachable(definition.steps[0].id, edge_map)
    for i, step in enumerate(definition.steps):
        if step.id not in reachable:
            reason = "unreachable: no step leads here (a journey starts at steps[0])"
            problems.append(Problem(key, reason, step.id, i))

    waits = {s.id for s in definition.steps if isinstance(s, WaitStep)}
    for component in _loops(edge_map):
        first = min(component, key=index.__getitem__)
        loop = " → ".join(f'"{s}"' for s in sorted(component, key=index.__getitem__))
        if not component & waits:
            reason = f"steps {loop} loop without a wait: the journey would spin forever at once"
            problems.append(Problem(key, reason, first, index[first], "next"))
        elif all(t in component for s in component for _, t in edge_map[s]):
            reason = f"steps {loop} loop with no way out: add a branch that leaves the loop"
            problems.append(Problem(key, reason, first, index[first], "next"))

    problems.extend(_rule_problems(definition, index))
    return problems


def _rule_problems(definition: JourneyDefinition, index: dict[str, int]) -> Iterator[Problem]:
    key = definition.key
    goal_kinds = {rule.event for rule in definition.goals}
    for i, rule in enumerate(definition.exits):
        if rule.event in goal_kinds:
            yield Problem(key, f"{rule.event} is both a goal and an exit", field=f"exits[{i}]")
    unconditional = {r.event for r in [*definition.goals, *definition.exits] if r.where is None}
    for step in definition.steps:
        if isinstance(step, WaitStep) and step.until_event in unconditional:
            reason = f"{step.until_event} is a goal or exit, so this wait could only time out"
            yield Problem(key, reason, step.id, index[step.id], "until_event")


def _reachable(start: str, edge_map: dict[str, list[Edge]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for _, target in edge_map[todo.pop()]:
            if target != END and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _loops(edge_map: dict[str, list[Edge]]) -> list[set[str]]:
    """Strongly connected components that contain a cycle (Tarjan, iterative)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in edge_map:
        if root in order:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                order[node] = low[node] = len(order)
                stack.append(node)
                on_stack.add(node)
            targets = [t for _, t in edge_map[node] if t != END]
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i]
                if target not in order:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], order[target])
                continue
            if low[node] == order[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in targets:
                    found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found
