"""Compiled action steps: each appends one intent, records why, and names the next step.

Actions decide; they never act.  The intents they build go to the outbox, and the dispatcher
checks consent, quiet hours and budgets at send time.  Field references (``$trigger.order``,
``{trigger.order}``) were compiled when the definition loaded; a missing value becomes ``None``
or ``?`` rather than an error, so an action is never lost to a missing field.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from goodwill.consent.models import Purpose
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
from goodwill.journeys.models import EnrolmentState, Happened, PersonContext
from goodwill.journeys.nodes import Node, Text, Values, record, scope_of
from goodwill.journeys.timing import format_duration
from goodwill.messaging.vocabulary import ChannelKind, Priority

_ACTED = Happened.ACTED  # hoisted: Enum attribute access goes through a descriptor (hot path)


class ActionNode(Node):
    """Common part of actions: identity of the intent and where to go next."""

    __slots__ = ("journey_key", "next", "note", "priority", "version")

    def __init__(
        self, step_id: str, *, next_id: str, journey_key: str, version: int, priority: Priority
    ):
        super().__init__(step_id)
        self.note = ""  # the history sentence, when it does not depend on the enrolment
        self.next, self.journey_key, self.version, self.priority = (
            next_id,
            journey_key,
            version,
            priority,
        )

    def common(self, s: EnrolmentState) -> dict[str, Any]:
        occurrence = s.visits[self.id]
        trigger_id = s.trigger.id
        return {
            "idempotency_key": f"{s.enrolment_id}:{self.id}:{occurrence}",
            "enrolment_id": s.enrolment_id,
            "person_id": s.person_id,
            "journey_key": self.journey_key,
            "journey_version": self.version,
            "step_id": self.id,
            "occurrence": occurrence,
            "not_before": s.clock,
            "priority": self.priority,
            "trigger_event_id": None if trigger_id is None else str(trigger_id),
        }


class SendNode(ActionNode):
    __slots__ = ("channel", "purpose", "template", "values")

    def configure(
        self, channel: ChannelKind, template: str, purpose: Purpose, values: Values
    ) -> SendNode:
        self.channel, self.template, self.purpose, self.values = channel, template, purpose, values
        self.note = f"send_message {channel.value} template {template} ({purpose.value})"
        return self

    def run(self, s: EnrolmentState, ctx: PersonContext, out: list[Intent]) -> str:
        # spelled out rather than **self.common(s): this is the most frequent action
        occurrence = s.visits[self.id]
        trigger_id = s.trigger.id
        out.append(
            SendMessage(
                idempotency_key=f"{s.enrolment_id}:{self.id}:{occurrence}",
                enrolment_id=s.enrolment_id,
                person_id=s.person_id,
                journey_key=self.journey_key,
                journey_version=self.version,
                step_id=self.id,
                occurrence=occurrence,
                not_before=s.clock,
                priority=self.priority,
                trigger_event_id=None if trigger_id is None else str(trigger_id),
                channel=self.channel,
                template=self.template,
                purpose=self.purpose,
                variables=self.values(scope_of(s, ctx)),
            )
        )
        record(s, _ACTED, self.note)
        return self.next


class AskNode(ActionNode):
    """``request_review`` / ``request_nps``: a message carrying a signed-link marker."""

    __slots__ = ("channel", "intent", "link_variable", "subject", "template", "values")

    def configure(
        self,
        intent: type[RequestReview] | type[RequestNps],
        channel: ChannelKind,
        template: str,
        values: Values,
        subject: Values,
    ) -> AskNode:
        self.intent, self.channel, self.template = intent, channel, template
        self.values, self.subject = values, subject
        self.link_variable = "review_url" if intent is RequestReview else "nps_url"
        kind = "request_review" if intent is RequestReview else "request_nps"
        self.note = f"{kind} {channel.value} template {template}"
        return self

    def run(self, s: EnrolmentState, ctx: PersonContext, out: list[Intent]) -> str:
        scope = scope_of(s, ctx)
        variables = self.values(scope)
        variables[self.link_variable] = SIGNED_LINK
        out.append(
            self.intent(
                **self.common(s),
                channel=self.channel,
                template=self.template,
                variables=variables,
                subject=self.subject(scope),
                link_variable=self.link_variable,
            )
        )
        record(s, _ACTED, self.note)
        return self.next


class TaskNode(ActionNode):
    __slots__ = ("body", "due_in", "fallback", "person", "rule", "template", "title")

    def configure(
        self,
        title: Text,
        body: Text,
        template: str | None,
        rule: str,
        person: str | None,
        fallback: str | None,
        due_in: timedelta,
    ) -> TaskNode:
        self.title, self.body, self.template = title, body, template
        self.rule, self.person, self.fallback, self.due_in = rule, person, fallback, due_in
        return self

    @staticmethod
    def _owner(rule: str, ctx: PersonContext) -> str | None:
        if rule == "account_owner":
            return ctx.account_owner
        if rule == "customer_owner":
            return ctx.owner
        return None

    def _assignee(self, ctx: PersonContext) -> tuple[str | None, str]:
        if self.rule == "person":
            return self.person, f"named {self.person}"
        label = self.rule.replace("_", " ")
        found = self._owner(self.rule, ctx)
        if found:
            return found, f"{label} {found}"
        if self.fallback in ("account_owner", "customer_owner"):
            found = self._owner(self.fallback, ctx)
            if found:
                return found, f"no {label}; {self.fallback.replace('_', ' ')} {found}"
        elif self.fallback:
            return self.fallback, f"no {label}; fallback {self.fallback}"
        return None, f"no {label}; left unassigned"

    def run(self, s: EnrolmentState, ctx: PersonContext, out: list[Intent]) -> str:
        scope = scope_of(s, ctx)
        assignee, why = self._assignee(ctx)
        title = self.title(scope)
        out.append(
            CreateTask(
                **self.common(s),
                title=title,
                body=self.body(scope),
                assignee=assignee,
                assignee_rule=self.rule,
                due_at=s.clock + self.due_in,
                template=self.template,
            )
        )
        record(
            s,
            _ACTED,
            f"create_task '{title}' for {why}, due in {format_duration(self.due_in)}",
        )
        return self.next


class TagNode(ActionNode):
    __slots__ = ("add", "remove")

    def configure(self, add: tuple[str, ...], remove: tuple[str, ...]) -> TagNode:
        self.add, self.remove = add, remove
        said = " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
        self.note = f"tag {said}"
        return self

    def run(self, s: EnrolmentState, ctx: PersonContext, out: list[Intent]) -> str:
        out.append(Tag(**self.common(s), add=self.add, remove=self.remove))
        record(s, _ACTED, self.note)
        return self.next


class WebhookNode(ActionNode):
    __slots__ = ("payload", "url")

    def configure(self, url: str, payload: Values) -> WebhookNode:
        self.url, self.payload = url, payload
        self.note = f"webhook POST {url}"
        return self

    def run(self, s: EnrolmentState, ctx: PersonContext, out: list[Intent]) -> str:
        out.append(
            CallWebhook(**self.common(s), url=self.url, payload=self.payload(scope_of(s, ctx)))
        )
        record(s, _ACTED, self.note)
        return self.next
