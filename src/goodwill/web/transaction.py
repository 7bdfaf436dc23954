"""One request, one transaction: the unit of work every page that touches the record uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from goodwill.db.engine import unit_of_work

T = TypeVar("T")


def transaction(app_state: Any, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one transaction on the app's engine.  Two identical answers racing on
    PostgreSQL meet on the timeline's unique key; the loser runs once more and then sees the
    winner's row (and says "already recorded")."""
    engine: Engine = app_state.engine
    try:
        with unit_of_work(engine) as conn:
            return work(conn)
    except IntegrityError:
        with unit_of_work(engine) as conn:
            return work(conn)
