from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from tests import builders as b

from goodwill.db import tables as t
from goodwill.people import service
from goodwill.people.errors import InvalidPersonReference, MergeRefused, PersonNotFound
from goodwill.people.models import PERSON_REFERENCES
from goodwill.workspaces.service import Workspace, get_or_create


def _ws(engine: Engine, name: str = "shop") -> Workspace:
    with engine.begin() as conn:
        return get_or_create(conn, name)


def test_resolve_by_email_phone_id_and_external(engine: Engine) -> None:
    ws = _ws(engine)
    with engine.begin() as conn:
        pid = b.person(conn, ws, email="ana@example.com", phone="+351912345678")
        b.identity(conn, ws, pid, "external", "shopify:123", source="shopify")
        assert service.resolve(conn, ws, "  ANA@Example.com ") == pid
        assert service.resolve(conn, ws, "+351 912 345 678") == pid
        assert service.resolve(conn, ws, str(pid)) == pid
        assert service.resolve(conn, ws, "shopify:123") == pid
        with pytest.raises(PersonNotFound):
            service.resolve(conn, ws, "nobody@example.com")
        with pytest.raises(InvalidPersonReference):
            service.resolve(conn, ws, "not a reference")


def test_workspaces_do_not_see_each_other(engine: Engine) -> None:
    a, other = _ws(engine, "a"), _ws(engine, "b")
    with engine.begin() as conn:
        pid = b.person(conn, a, email="same@example.com")
        b.person(conn, other, email="same@example.com")
        assert service.resolve(conn, a, "same@example.com") == pid
        with pytest.raises(PersonNotFound):
            service.profile(conn, other, pid)


def test_profile_shows_the_whole_relationship(engine: Engine) -> None:
    ws = _ws(engine)
    with engine.begin() as conn:
        pid = b.person(conn, ws, email="ana@example.com")
        friend = b.person(conn, ws, email="rui@example.com")
        b.preferences(conn, ws, pid)
        b.fact(conn, ws, pid, "daughter starts college in September")
        b.important_date(conn, ws, pid)
        b.consent(conn, ws, pid, "grant")
        b.consent(
            conn, ws, pid, "withdraw", occurred_at=b.T0.replace(month=3), source="unsubscribe link"
        )
        acct = b.account(conn, ws, "Acme Ltd")
        b.membership(conn, ws, acct, pid, "champion")
        b.link(conn, ws, friend, pid, "referred_by")
        b.order(conn, ws, pid, total_minor=4200)
        b.task(conn, ws, pid)
        for i in range(25):
            b.interaction(conn, ws, pid, occurred_at=b.T0.replace(day=1 + i))
        prof = service.profile(conn, ws, pid)
    assert prof.preferences is not None and prof.preferences.channels == ["email", "sms"]
    assert [f.text for f in prof.facts] == ["daughter starts college in September"]
    assert prof.dates[0].display() == "--09-14"
    [line] = prof.consent
    assert (line.purpose, line.channel, line.granted, line.source) == (
        "marketing",
        "email",
        False,
        "unsubscribe link",
    )
    assert prof.accounts[0].account_name == "Acme Ltd" and prof.accounts[0].role == "champion"
    assert prof.links[0].kind == "referred_by" and prof.links[0].direction == "in"
    assert (
        prof.orders is not None and prof.orders.orders == 1 and prof.orders.revenue == {"USD": 4200}
    )
    assert len(prof.timeline) == 20
    assert prof.timeline[0].occurred_at > prof.timeline[-1].occurred_at
    assert prof.open_tasks[0]["title"] == "Call about renewal"


def _snapshot(engine: Engine, ws: Workspace) -> dict[str, Any]:
    """Every business row of the workspace, minus the merge audit trail."""
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            if (
                table.name in ("workspaces", "merges", "import_runs")
                or "workspace_id" not in table.c
            ):
                continue
            query = select(table).where(table.c.workspace_id == ws.id).order_by(table.c.id)
            if table is t.interactions:
                query = query.where(
                    t.interactions.c.kind.not_in(["person.merged", "person.unmerged"])
                )
            rows = [dict(r._mapping) for r in conn.execute(query)]
            for r in rows:
                r.pop("updated_at", None)
            out[table.name] = rows
    return out


def _populate(conn: Any, ws: Workspace, pid: int, other: int, spec: dict[str, int]) -> None:
    for _ in range(spec["orders"]):
        b.order(conn, ws, pid)
    for _ in range(spec["interactions"]):
        b.interaction(conn, ws, pid)
    for _ in range(spec["consent"]):
        b.consent(conn, ws, pid)
    for i in range(spec["facts"]):
        b.fact(conn, ws, pid, f"fact {i}")
    if spec["birthday"]:
        b.important_date(conn, ws, pid)
    if spec["prefs"]:
        b.preferences(conn, ws, pid)
    if spec["link"]:
        b.link(conn, ws, pid, other, "knows")


record_spec = st.fixed_dictionaries(
    {
        "orders": st.integers(0, 3),
        "interactions": st.integers(0, 3),
        "consent": st.integers(0, 2),
        "facts": st.integers(0, 2),
        "birthday": st.booleans(),
        "prefs": st.booleans(),
        "link": st.booleans(),
    }
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=record_spec, b_spec=record_spec, blank_winner=st.booleans())
def test_merge_then_unmerge_restores_the_record(
    engine: Engine, a: dict[str, int], b_spec: dict[str, int], blank_winner: bool
) -> None:
    with engine.begin() as conn:
        ws = get_or_create(conn, f"m{abs(hash((str(a), str(b_spec), blank_winner))) % 10**9}")
        extra = {"first_name": None, "timezone": None} if blank_winner else {}
        winner = b.person(conn, ws, **extra)
        loser = b.person(conn, ws, first_seen_at=b.T0.replace(year=2025))
        third = b.person(conn, ws)
        acct = b.account(conn, ws)
        b.membership(conn, ws, acct, winner, "user")
        b.membership(conn, ws, acct, loser, "user")  # same key: stays with the loser
        _populate(conn, ws, winner, third, a)
        _populate(conn, ws, loser, third, b_spec)
    before = _snapshot(engine, ws)
    with engine.begin() as conn:
        merge_id = service.merge(conn, ws, str(winner), str(loser))
        assert service.resolve(conn, ws, str(loser)) == winner
        merged = service.profile(conn, ws, winner)
        assert merged.first_seen_at == b.T0.replace(year=2025)
    with engine.begin() as conn:
        service.unmerge(conn, ws, merge_id)
    assert _snapshot(engine, ws) == before


def test_merge_moves_full_history_and_is_audited(engine: Engine) -> None:
    ws = _ws(engine)
    with engine.begin() as conn:
        winner = b.person(conn, ws, email="ana@example.com")
        loser = b.person(conn, ws, email="ana.work@example.com")
        b.order(conn, ws, loser)
        b.consent(conn, ws, loser)
        merge_id = service.merge(
            conn, ws, "ana@example.com", "ana.work@example.com", reason="same person"
        )
        prof = service.profile(conn, ws, winner)
        assert {i.value for i in prof.identities} == {"ana@example.com", "ana.work@example.com"}
        assert prof.orders is not None and prof.orders.orders == 1
        assert prof.timeline[0].kind == "person.merged"
        with pytest.raises(MergeRefused):
            service.merge(conn, ws, "ana@example.com", "ana.work@example.com")
        service.unmerge(conn, ws, merge_id)
        with pytest.raises(MergeRefused):
            service.unmerge(conn, ws, merge_id)
        assert service.resolve(conn, ws, "ana.work@example.com") == loser


def test_unmerge_refuses_when_the_winner_was_merged_again(engine: Engine) -> None:
    ws = _ws(engine)
    with engine.begin() as conn:
        a, bb, c = b.person(conn, ws), b.person(conn, ws), b.person(conn, ws)
        first = service.merge(conn, ws, str(a), str(bb))
        service.merge(conn, ws, str(c), str(a))
        with pytest.raises(MergeRefused, match="unmerge"):
            service.unmerge(conn, ws, first)


def test_every_person_reference_is_covered_by_merge() -> None:
    """A new table pointing at persons must be added to PERSON_REFERENCES or merges lose history."""
    covered = set(PERSON_REFERENCES)
    for table in t.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is t.persons:
                assert (table.name, fk.parent.name) in covered, (table.name, fk.parent.name)
