"""Builders: valid records with overrides, written straight to the store for tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from goodwill.db import tables as t
from goodwill.workspaces.service import Workspace

_seq = itertools.count(1)
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _pk(conn: Connection, table: Any, values: dict[str, Any]) -> int:
    result = conn.execute(insert(table).values(**values))
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def person(
    conn: Connection,
    ws: Workspace,
    *,
    email: str | None = None,
    phone: str | None = None,
    **over: Any,
) -> int:
    n = next(_seq)
    values: dict[str, Any] = {
        "workspace_id": ws.id,
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "timezone": "Europe/Lisbon",
        "locale": "en",
        "first_seen_at": T0,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(over)
    pid = _pk(conn, t.persons, values)
    if email is None and phone is None:
        email = f"person{n}@example.com"
    if email:
        identity(conn, ws, pid, "email", email)
    if phone:
        identity(conn, ws, pid, "phone", phone)
    return pid


def identity(
    conn: Connection, ws: Workspace, person_id: int, kind: str, value: str, source: str = "test"
) -> int:
    return _pk(
        conn,
        t.identities,
        {
            "workspace_id": ws.id,
            "person_id": person_id,
            "kind": kind,
            "value": value,
            "source": source,
            "created_at": T0,
        },
    )


def order(
    conn: Connection, ws: Workspace, person_id: int, *, external_id: str | None = None, **over: Any
) -> int:
    values: dict[str, Any] = {
        "workspace_id": ws.id,
        "person_id": person_id,
        "source": "test",
        "external_id": external_id or f"o{next(_seq)}",
        "status": "delivered",
        "currency": "USD",
        "subtotal_minor": 2500,
        "total_minor": 2500,
        "placed_at": T0,
        "delivered_at": T0 + timedelta(days=3),
        "updated_at": T0,
    }
    values.update(over)
    return _pk(conn, t.orders, values)


def interaction(
    conn: Connection, ws: Workspace, person_id: int, kind: str = "note.added", **over: Any
) -> int:
    values: dict[str, Any] = {
        "workspace_id": ws.id,
        "person_id": person_id,
        "occurred_at": T0,
        "kind": kind,
        "channel": "",
        "payload": {},
        "source": "test",
        "idempotency_key": f"test:{next(_seq)}",
        "recorded_at": T0,
    }
    values.update(over)
    return _pk(conn, t.interactions, values)


def consent(
    conn: Connection, ws: Workspace, person_id: int, action: str = "grant", **over: Any
) -> int:
    values: dict[str, Any] = {
        "workspace_id": ws.id,
        "person_id": person_id,
        "purpose": "marketing",
        "channel": "email",
        "action": action,
        "source": "test",
        "evidence": {"form": "signup"},
        "occurred_at": T0,
        "recorded_at": T0,
    }
    values.update(over)
    return _pk(conn, t.consent_events, values)


def fact(
    conn: Connection, ws: Workspace, person_id: int, text: str = "prefers morning deliveries"
) -> int:
    return _pk(
        conn,
        t.facts,
        {
            "workspace_id": ws.id,
            "person_id": person_id,
            "text": text,
            "noted_by": "ana",
            "noted_at": T0,
        },
    )


def important_date(conn: Connection, ws: Workspace, person_id: int, **over: Any) -> int:
    values: dict[str, Any] = {
        "workspace_id": ws.id,
        "person_id": person_id,
        "kind": "birthday",
        "label": "",
        "month": 9,
        "day": 14,
        "year": None,
        "recurrence": "yearly",
    }
    values.update(over)
    return _pk(conn, t.important_dates, values)


def account(conn: Connection, ws: Workspace, name: str = "Acme", **over: Any) -> int:
    values: dict[str, Any] = {
        "workspace_id": ws.id,
        "name": name,
        "external_key": f"acct{next(_seq)}",
        "owner": "maria",
        "created_at": T0,
    }
    values.update(over)
    return _pk(conn, t.accounts, values)


def membership(
    conn: Connection, ws: Workspace, account_id: int, person_id: int, role: str = "decision_maker"
) -> int:
    return _pk(
        conn,
        t.memberships,
        {
            "workspace_id": ws.id,
            "account_id": account_id,
            "person_id": person_id,
            "role": role,
            "active": True,
            "created_at": T0,
        },
    )


def link(
    conn: Connection, ws: Workspace, from_id: int, to_id: int, kind: str = "referred_by"
) -> int:
    return _pk(
        conn,
        t.person_links,
        {
            "workspace_id": ws.id,
            "from_person_id": from_id,
            "to_person_id": to_id,
            "kind": kind,
            "source": "test",
            "created_at": T0,
        },
    )


def preferences(conn: Connection, ws: Workspace, person_id: int, **over: Any) -> int:
    values: dict[str, Any] = {
        "workspace_id": ws.id,
        "person_id": person_id,
        "channels": ["email", "sms"],
        "max_per_week": 2,
        "interests": ["coffee"],
        "updated_at": T0,
    }
    values.update(over)
    return _pk(conn, t.preferences, values)


def note(
    conn: Connection, ws: Workspace, person_id: int, body: str = "called about the order"
) -> int:
    return _pk(
        conn,
        t.notes,
        {
            "workspace_id": ws.id,
            "person_id": person_id,
            "body": body,
            "author": "ana",
            "created_at": T0,
        },
    )


def task(conn: Connection, ws: Workspace, person_id: int, **over: Any) -> int:
    values: dict[str, Any] = {
        "workspace_id": ws.id,
        "title": "Call about renewal",
        "body": "",
        "due_at": T0 + timedelta(days=7),
        "assignee": "maria",
        "status": "open",
        "person_id": person_id,
        "source": "test",
        "created_at": T0,
    }
    values.update(over)
    return _pk(conn, t.tasks, values)
