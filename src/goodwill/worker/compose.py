"""Composing what goes out: the personalisation context, rendered parts, the outbound message.

Pure given the facts (no I/O).  The context comes from the record
(:class:`~goodwill.worker.facts.PersonFacts`) with the journey's own variables laid over it:

* ``last_order_number``/``last_product``: the order the journey names (``subject.order`` or
  ``variables.last_order_number``) when the person has it, else their latest order;
* ``milestone``: from the journey's ``years`` via :func:`anniversary_milestone`;
* ``remembered_fact``: the latest fact staff noted.  In a message to the customer only a fact
  written as a sentence for their eyes is used (starts with a capital, ends with ``.``, ``!``
  or ``?``, e.g. "I hope the Porto half marathon went well!"); shorthand notes such as
  "prefers morning deliveries" are for staff and appear only in tasks;
* ``unsubscribe_url``: a signed one-click link for the message's purpose and channel
  (not for transactional messages);
* ``review_url``/``nps_url``: the ``{{signed_link}}`` placeholder replaced by a signed, expiring
  link (:mod:`goodwill.deliveries.links`).

A template that needs a value the person does not have raises
:class:`~goodwill.messaging.errors.TemplateVariableMissing`; the dispatcher records the message
as failed with that reason instead of sending "Hi {{ first_name }}".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goodwill.channels.base import OutboundMessage
from goodwill.channels.task import TaskFields, TaskOwners, plan_task
from goodwill.deliveries.links import FeedbackKind, feedback_link
from goodwill.journeys.intents import (
    SIGNED_LINK,
    CreateTask,
    Intent,
    RequestNps,
    RequestReview,
    SendMessage,
)
from goodwill.kit.clock import as_utc
from goodwill.messaging.context import (
    KNOWN_VARIABLES,
    Links,
    PersonalisationFacts,
    anniversary_milestone,
    build_context,
    clean_name,
)
from goodwill.messaging.links import UnsubscribeClaim, unsubscribe_link
from goodwill.messaging.templates import RenderedMessage, parts_for_channel, render
from goodwill.messaging.vocabulary import ChannelKind, Purpose
from goodwill.worker.facts import OrderFacts, PersonFacts

MessageIntent = SendMessage | RequestReview | RequestNps


@dataclass(frozen=True, slots=True)
class Composer:
    """Workspace-wide inputs of composition."""

    workspace_id: int
    brand: str
    public_url: str
    signing_key: str
    default_queue: str = "customer-care"
    team_timezone: str | None = None


def _customer_sentence(text: str | None) -> str | None:
    value = " ".join((text or "").split())
    if value and value[0].isupper() and value[-1] in ".!?":
        return value
    return None


def _named_order(intent: Intent, facts: PersonFacts) -> OrderFacts | None:
    subject = getattr(intent, "subject", None) or {}
    variables = getattr(intent, "variables", None) or {}
    for source, name in (
        (subject, "order"),
        (subject, "order_id"),
        (variables, "last_order_number"),
    ):
        value = source.get(name) if isinstance(source, dict) else None
        if value is not None and str(value).strip() in facts.orders:
            return facts.orders[str(value).strip()]
    return facts.last_order


def _years(variables: dict[str, Any]) -> int | None:
    try:
        return int(variables["years"]) if variables.get("years") is not None else None
    except (TypeError, ValueError):
        return None


def context_for(
    intent: Intent, facts: PersonFacts, composer: Composer, *, for_staff: bool = False
) -> dict[str, Any]:
    """The template context for one message to (or task about) this person."""
    variables = dict(getattr(intent, "variables", None) or {})
    order = _named_order(intent, facts)
    ws, person = str(composer.workspace_id), str(facts.person_id)
    unsubscribe: str | None = None
    purpose = getattr(intent, "purpose", None)
    channel = getattr(intent, "channel", None)
    if purpose is not None and purpose != Purpose.TRANSACTIONAL and channel is not None:
        claim = UnsubscribeClaim(ws, person, str(purpose), str(channel))
        unsubscribe = unsubscribe_link(composer.public_url, composer.signing_key, claim)
    review_url = nps_url = None
    if isinstance(intent, RequestReview | RequestNps):
        kind: FeedbackKind = "review" if isinstance(intent, RequestReview) else "nps"
        link = feedback_link(
            composer.public_url,
            composer.signing_key,
            kind=kind,
            workspace_id=ws,
            person_id=person,
            subject=dict(intent.subject),
            issued_at=as_utc(intent.not_before),
        )
        for name, value in list(variables.items()):
            if value == SIGNED_LINK:
                variables[name] = link
        review_url, nps_url = (link, None) if kind == "review" else (None, link)
    fact = facts.remembered_fact if for_staff else _customer_sentence(facts.remembered_fact)
    context = build_context(
        PersonalisationFacts(
            first_name=facts.first_name,
            last_name=facts.last_name,
            account_name=facts.account_name,
            brand=composer.brand,
            last_product=order.product if order else None,
            last_order_number=order.number if order else None,
            remembered_fact=fact,
            milestone=anniversary_milestone(_years(variables)),
            links=Links(unsubscribe_url=unsubscribe, review_url=review_url, nps_url=nps_url),
        )
    )
    for name, value in variables.items():
        if name in KNOWN_VARIABLES and value != SIGNED_LINK:
            context[name] = value
    return context


def _display_name(facts: PersonFacts) -> str:
    """The recipient's name as greetings show it (cleaned: ``ana`` -> ``Ana``, junk dropped)."""
    return " ".join(n for n in (clean_name(facts.first_name), clean_name(facts.last_name)) if n)


def compose_message(
    intent: MessageIntent, facts: PersonFacts, composer: Composer, *, key: str
) -> tuple[OutboundMessage, RenderedMessage]:
    """Render and address a message.  Raises ``TemplateVariableMissing``/``TemplateNotFound``
    for content that cannot be built, ``ValueError`` for a message that cannot be addressed."""
    channel = ChannelKind(intent.channel)
    rendered = render(
        intent.template, context_for(intent, facts, composer), parts=parts_for_channel(channel)
    )
    if channel is ChannelKind.SMS:
        text = rendered.sms
    elif channel is ChannelKind.POSTAL:
        text = rendered.postal
    else:
        text = rendered.text
    to = facts.address(channel) or ""
    name = _display_name(facts)
    lines: tuple[str, ...] = ()
    if channel is ChannelKind.POSTAL:
        lines = tuple(x.strip() for x in to.splitlines() if x.strip())
        to = ""
    message = OutboundMessage(
        idempotency_key=key,
        workspace_id=str(composer.workspace_id),
        person_id=str(facts.person_id),
        channel=channel,
        purpose=Purpose(intent.purpose),
        to=to,
        to_name=name,
        subject=rendered.subject or "",
        text=text or "",
        html=rendered.html,
        address_lines=((name, *lines) if lines else ()),
        template=intent.template,
    )
    return message, rendered


def compose_task(
    intent: CreateTask | MessageIntent,
    facts: PersonFacts,
    composer: Composer,
    *,
    key: str,
    now: datetime,
) -> TaskFields:
    """The task row for a ``create_task`` intent (or a message on the ``task`` channel):
    account owner > customer owner > the intent's own assignee > the default queue."""
    template = intent.template
    subject = text = ""
    if template:
        rendered = render(
            template,
            context_for(intent, facts, composer, for_staff=True),
            parts=parts_for_channel(ChannelKind.TASK),
        )
        subject, text = rendered.subject or "", rendered.text or ""
    title = body = None
    due_at = None
    if isinstance(intent, CreateTask):
        title, due_at = intent.title or None, intent.due_at
        body = intent.body
    message = OutboundMessage(
        idempotency_key=key,
        workspace_id=str(composer.workspace_id),
        person_id=str(facts.person_id),
        channel=ChannelKind.TASK,
        subject=subject,
        text=text or (body or ""),
        template=template or "",
    )
    assigned = getattr(intent, "assignee", None)
    owners = TaskOwners(
        account_owner=facts.account_owner,
        customer_owner=facts.owner or assigned,
        default_queue=composer.default_queue,
    )
    return plan_task(
        message,
        owners,
        now=now,
        due_at=due_at,
        title=title,
        team_timezone=composer.team_timezone,
    )
