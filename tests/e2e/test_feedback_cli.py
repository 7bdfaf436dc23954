"""`goodwill people nps|review`: answers given on the phone or on paper land on the timeline with
the same payload as the public link pages, once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests import builders as b
from tests.e2e.conftest import Cli

from goodwill.db import tables as t
from goodwill.db.engine import make_engine
from goodwill.workspaces.service import get_or_create

pytestmark = pytest.mark.e2e


def _person(db_url: str) -> int:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        ws = get_or_create(conn, "default")
        pid = b.person(conn, ws, email="ana@example.com", first_name="Ana")
        conn.execute(
            t.products.insert().values(
                workspace_id=ws.id, sku="KENYA-AA", name="Kenya AA", days_to_opinion=14
            )
        )
    engine.dispose()
    return pid


def _interactions(db_url: str, kind: str) -> list[Any]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = list(conn.execute(select(t.interactions).where(t.interactions.c.kind == kind)))
    engine.dispose()
    return rows


def test_nps_answer_by_phone_is_recorded_once(cli: Cli, db_url: str) -> None:
    pid = _person(db_url)
    args = ("people", "nps", "ana@example.com", "6", "--comment", "Slow delivery")
    first = cli(*args, "--at", "2026-03-01T15:30", "--by", "rui", "--channel", "phone")
    assert first.exit_code == 0, first.stderr
    assert f"NPS answer 6 recorded for person {pid}" in first.stdout
    again = cli(*args, "--at", "2026-03-01T15:30", "--json")
    assert again.exit_code == 0
    assert again.json() == {
        "person_id": pid,
        "interaction_id": None,
        "created": False,
        "payload": {"score": 6, "comment": "Slow delivery"},
        "at": "2026-03-01T15:30:00+00:00",
    }
    [row] = _interactions(db_url, "nps.answered")
    assert row.payload == {"score": 6, "comment": "Slow delivery"}
    assert (row.actor, row.source, row.channel) == ("rui", "staff", "phone")
    timeline = cli("people", "show", "ana@example.com", "--json").json()["timeline"]
    assert [e["kind"] for e in timeline].count("nps.answered") == 1


def test_review_with_a_product_carries_its_id_and_name(cli: Cli, db_url: str) -> None:
    _person(db_url)
    result = cli(
        "people",
        "review",
        "ana@example.com",
        "5",
        "--product",
        "KENYA-AA",
        "--order",
        "1001",
        "--title",
        "Best beans",
        "--text",
        "Told me by phone.",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert result.json()["created"] is True
    [row] = _interactions(db_url, "review.submitted")
    assert row.payload == {
        "order": "1001",
        "product_id": row.payload["product_id"],
        "sku": "KENYA-AA",
        "product": "Kenya AA",
        "rating": 5,
        "title": "Best beans",
        "text": "Told me by phone.",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("people", "nps", "ana@example.com", "11"), "from 0 to 10, not 11"),
        (("people", "review", "ana@example.com", "0"), "from 1 to 5, not 0"),
        (("people", "review", "ana@example.com", "4", "--product", "NOPE"), "no product"),
        (("people", "nps", "ana@example.com", "7", "--at", "yesterday"), "is not a date"),
        (("people", "nps", "nobody@example.com", "7"), "no person"),
    ],
)
def test_bad_answers_are_one_line_errors(
    cli: Cli, db_url: str, args: tuple[str, ...], message: str
) -> None:
    _person(db_url)
    result = cli(*args)
    assert result.exit_code == 1 and message in result.stderr
    assert _interactions(db_url, "nps.answered") == _interactions(db_url, "review.submitted") == []
