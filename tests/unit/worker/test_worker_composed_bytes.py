"""The exact bytes of composed messages, pinned (fixed clock, fixed signing key).

Every shipped template is composed for a few people (plain, non-ASCII, with characters that
HTML escapes, without a first name) on each channel it serves, and the email's wire bytes
(:func:`build_email`) or the rendered text are compared with files in ``golden/``.  A
template that cannot render pins its refusal (``TemplateVariableMissing`` with its reason).
Any change to what is sent shows up here as a byte difference.

Regenerate only for an intended change of output:
``GOODWILL_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/unit/worker/test_worker_composed_bytes.py``
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from goodwill.channels.email_message import EmailIdentity, build_email
from goodwill.journeys.intents import RequestNps, RequestReview, SendMessage
from goodwill.messaging.errors import TemplateVariableMissing
from goodwill.messaging.templates import shipped_library
from goodwill.messaging.vocabulary import ChannelKind, Priority, Purpose
from goodwill.worker.compose import Composer, compose_message, compose_task
from goodwill.worker.facts import OrderFacts, PersonFacts

GOLDEN = Path(__file__).with_name("golden")
REGEN = os.environ.get("GOODWILL_REGEN_GOLDEN") == "1"
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
KEY = "fixed-signing-key-for-golden-bytes"
COMPOSER = Composer(
    workspace_id=3, brand="Casa Verde & Co", public_url="https://gw.example/", signing_key=KEY
)
IDENTITY = EmailIdentity(
    sender_email="hello@casaverde.example",
    sender_name="Casa Verde & Co",
    public_url="https://gw.example/",
    signing_key=KEY,
)

PEOPLE: dict[str, PersonFacts] = {
    "plain": PersonFacts(
        person_id=7,
        first_name="ANA",
        last_name="silva",
        emails=["ana@example.org"],
        phones=["+351912345678"],
        postal=["Rua das Flores 12\n1200-195 Lisboa\nPortugal"],
        last_order=OrderFacts("1002", "Kenya AA"),
        orders={"1001": OrderFacts("1001", "Mug")},
        remembered_fact="I hope the Porto half marathon went well!",
        account_name="Flores Lda",
    ),
    "accents": PersonFacts(
        person_id=81234,
        first_name="José",
        last_name="Ñúñez-O'Brien",
        emails=["jose.nunez@example.com"],
        phones=["+34600111222"],
        postal=["Calle Mayor 1\nMadrid"],
        last_order=OrderFacts("A-77", 'Café <Especial> & "Tostado"'),
        remembered_fact="prefers morning deliveries",
    ),
    "nameless": PersonFacts(
        person_id=99,
        first_name="n/a",
        emails=["x.y+tag@example.net"],
        phones=["+15550001111"],
        postal=["1 Main St\nSpringfield"],
    ),
}


def _common(template: str, key: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "enrolment_id": "e1",
        "person_id": "7",
        "journey_key": "golden",
        "journey_version": 1,
        "step_id": "s1",
        "occurrence": 1,
        "not_before": NOW,
        "priority": Priority.RELATIONSHIP,
        "template": template,
    }


def _intent(template: str, channel: ChannelKind, purpose: Purpose) -> Any:
    key = f"golden:{template}:{channel}:{purpose}"
    variables = {
        "years": 3,
        "offer": "15% off <your> next order",
        "shop_url": "https://shop.example/?a=1&b=2",
    }
    if template in ("review_request", "review_reminder"):
        return RequestReview(
            **_common(template, key),
            channel=channel,
            purpose=purpose,
            subject={"order": "1001"},
            variables={**variables, "review_url": "{{signed_link}}"},
        )
    if template == "nps_request":
        return RequestNps(
            **_common(template, key),
            channel=channel,
            purpose=purpose,
            variables={**variables, "nps_url": "{{signed_link}}"},
        )
    return SendMessage(
        **_common(template, key), channel=channel, purpose=purpose, variables=variables
    )


def _cases() -> list[tuple[str, str, ChannelKind, Purpose]]:
    library = shipped_library()
    out = []
    for template in library.names():
        parts = set(library.parts(template))
        channels = []
        if "text" in parts:
            channels.append(ChannelKind.EMAIL)
        if "sms" in parts:
            channels.append(ChannelKind.SMS)
        if "postal" in parts:
            channels.append(ChannelKind.POSTAL)
        for who in PEOPLE:
            for channel in channels:
                purposes = [Purpose.MARKETING]
                if channel is ChannelKind.EMAIL and who == "plain":
                    purposes.append(Purpose.TRANSACTIONAL)
                for purpose in purposes:
                    out.append((template, who, channel, purpose))
            if "text" in parts:
                out.append((template, who, ChannelKind.TASK, Purpose.MARKETING))
    return out


def _produce(template: str, who: str, channel: ChannelKind, purpose: Purpose) -> bytes:
    facts = PEOPLE[who]
    intent = _intent(template, channel, purpose)
    try:
        if channel is ChannelKind.TASK:
            task = compose_task(intent, facts, COMPOSER, key=intent.idempotency_key, now=NOW)
            return repr(task).encode("utf-8")
        message, _ = compose_message(intent, facts, COMPOSER, key=intent.idempotency_key)
    except TemplateVariableMissing as exc:
        return f"refused: {exc}\n".encode()
    if channel is ChannelKind.EMAIL:
        built = build_email(message, IDENTITY, date=NOW)
        return b"%s\n%d\n" % (built.message_id.encode(), built.smtputf8) + built.data
    return repr(message).encode("utf-8")


@pytest.mark.parametrize(("template", "who", "channel", "purpose"), _cases())
def test_composed_bytes_are_unchanged(
    template: str, who: str, channel: ChannelKind, purpose: Purpose
) -> None:
    path = GOLDEN / f"{template}.{who}.{channel}.{purpose}.out"
    produced = _produce(template, who, channel, purpose)
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(produced)
    assert produced == path.read_bytes()


def test_the_golden_set_covers_sends_and_refusals() -> None:
    names = {p.name for p in GOLDEN.glob("*.out")}
    assert len(names) == len(_cases())
    contents = [p.read_bytes() for p in GOLDEN.glob("*.email.*.out")]
    assert any(c.startswith(b"refused: ") for c in contents)
    assert any(b"List-Unsubscribe-Post" in c for c in contents)
    assert any(b"multipart/alternative" in c for c in contents)
