"""Building the engine's read-only person snapshots (PersonContext) in bulk from the store."""

from __future__ import annotations

import math
from collections.abc import Sequence

from goodwill.journeys.models import ImportantDate, PersonContext
from goodwill.journeys.repository import JourneyRepository
from goodwill.kit.money import minor_unit

_NO_TAGS: frozenset[str] = frozenset()


def clv_decile(percentile: float) -> int:
    """1-10, 10 = the top tenth of the base by CLV."""
    return max(1, min(10, math.ceil(percentile / 10.0))) if percentile > 0 else 1


def load_contexts(repo: JourneyRepository, person_ids: Sequence[int]) -> dict[int, PersonContext]:
    ids = sorted(set(person_ids))
    currency, snapshots = repo.latest_scores(ids)
    unit = float(minor_unit(currency))
    scores = {
        int(r.person_id): {
            "p_alive": float(r.p_alive),
            "clv": int(r.clv_minor) / unit,
            "clv_decile": clv_decile(float(r.clv_percentile)),
            "health": float(r.health),
            "segment": r.segment,
            **({"nps": int(r.nps_last)} if r.nps_last is not None else {}),
        }
        for r in snapshots
    }
    accounts: dict[int, tuple[int, str | None]] = {}
    for r in repo.accounts_of(ids):
        accounts.setdefault(int(r[0]), (int(r[1]), r[2]))
    dates: dict[int, list[ImportantDate]] = {}
    for r in repo.dates_of(ids):
        dates.setdefault(int(r.person_id), []).append(
            ImportantDate(r.kind, int(r.month), int(r.day), r.year, r.label or "", r.recurrence)
        )
    out: dict[int, PersonContext] = {}
    for r in repo.persons(ids):
        pid = int(r.id)
        account = accounts.get(pid)
        out[pid] = PersonContext(
            person_id=str(pid),
            timezone=r.timezone,
            locale=r.locale,
            owner=r.owner,
            account_id=None if account is None else str(account[0]),
            account_owner=None if account is None else account[1],
            profile={"first_name": r.first_name, "last_name": r.last_name},
            scores=scores.get(pid, {}),
            tags=frozenset(r.tags) if r.tags else _NO_TAGS,
            dates=tuple(dates[pid]) if pid in dates else (),
        )
    return out
