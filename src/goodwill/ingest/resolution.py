"""Identity resolution for one batch: who is each record about?

A record names identities in priority order: external id (``shopify:123``, ``cdnow:00042``), then
email, then phone, all normalised.  The first one that already belongs to a person decides the
person; otherwise an identity claimed earlier in the same batch does; otherwise the record's
fallback (the person of an order that already exists); otherwise a new person is created.  Every
identity of the record that belongs to nobody yet is added to that person.  An identity that
belongs to someone else stays where it is (two people who share an identity are merged by the
people context, never silently by an import).

Names fill blanks only (an import never overwrites a name someone typed); ``first_seen_at`` moves
earlier when a record shows an earlier order or sign-up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from goodwill.db import tables as t
from goodwill.ingest.repository import IngestRepository
from goodwill.ingest.tally import RunTally


@dataclass(slots=True)
class Claim:
    identities: list[tuple[str, str]]  # (kind, normalised value), highest priority first
    first_name: str | None = None
    last_name: str | None = None
    seen_at: datetime | None = None
    fallback: int | None = None


@dataclass(slots=True)
class _NewPerson:
    first_name: str | None = None
    last_name: str | None = None
    seen_at: datetime | None = None
    identities: list[tuple[str, str]] = field(default_factory=list)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class Resolver:
    def __init__(self, repo: IngestRepository, tally: RunTally, source: str, now: datetime) -> None:
        self.repo = repo
        self.tally = tally
        self.source = source
        self.now = now
        self.new_ids: set[int] = set()  # persons created by the last call

    def resolve(self, claims: list[Claim]) -> list[int]:
        """One person id per claim (creating persons and identities as needed)."""
        found: dict[tuple[str, str], tuple[int, int]] = {}
        by_kind: dict[str, set[str]] = defaultdict(set)
        for claim in claims:
            for kind, value in claim.identities:
                by_kind[kind].add(value)
        for kind, vals in by_kind.items():
            for value, ids in self.repo.identities(kind, sorted(vals)).items():
                found[(kind, value)] = ids
        self.tally.seen_ids("identities", [i for i, _p in found.values()])

        new: list[_NewPerson] = []
        claimed: dict[tuple[str, str], int] = {}  # identity -> person (existing id, or -index-1)
        assigned: list[int] = []
        for claim in claims:
            person: int | None = None
            for ident in claim.identities:
                hit = found.get(ident)
                if hit is not None:
                    person = hit[1]
                    break
                person = claimed.get(ident)
                if person is not None:
                    break
            if person is None:
                person = claim.fallback
            if person is None:
                new.append(_NewPerson())
                person = -len(new)
            for ident in claim.identities:
                if ident not in found and ident not in claimed:
                    claimed[ident] = person
            assigned.append(person)

        person_ids = self.repo.allocate(t.persons, len(new))
        self.new_ids = set(person_ids)
        real = [p if p > 0 else person_ids[-p - 1] for p in assigned]
        self._persons(claims, real, person_ids)
        self._identities(claimed, person_ids)
        return real

    def _persons(self, claims: list[Claim], real: list[int], new_ids: list[int]) -> None:
        fill: dict[int, _NewPerson] = {}
        for claim, pid in zip(claims, real, strict=True):
            entry = fill.setdefault(pid, _NewPerson())
            entry.first_name = entry.first_name or claim.first_name
            entry.last_name = entry.last_name or claim.last_name
            entry.seen_at = _earliest(entry.seen_at, claim.seen_at)
        ts, now = self.repo.ts, self.repo.ts(self.now)
        rows = []
        for pid in new_ids:
            p = fill.get(pid, _NewPerson())
            first_seen = None if p.seen_at is None else ts(p.seen_at)
            rows.append((self.repo.ws, p.first_name, p.last_name, first_seen, now, now, pid))
        self.repo.insert(
            t.persons,
            (
                "workspace_id",
                "first_name",
                "last_name",
                "first_seen_at",
                "created_at",
                "updated_at",
                "id",
            ),
            rows,
        )
        self.tally.created_ids("people", new_ids)
        existing = [pid for pid in fill if pid not in self.new_ids]
        stored = self.repo.persons(existing)
        updates = []
        for pid in existing:
            if pid not in stored:
                continue
            first, last, seen = stored[pid]
            want = fill[pid]
            change: dict[str, Any] = {}
            if first is None and last is None and (want.first_name or want.last_name):
                change.update(first_name=want.first_name, last_name=want.last_name)
            if want.seen_at is not None and (seen is None or want.seen_at < seen):
                change["first_seen_at"] = want.seen_at
            if change:
                change.update(id=pid, updated_at=self.now)
                updates.append(change)
        for cols in {tuple(sorted(u)) for u in updates}:
            batch = [u for u in updates if tuple(sorted(u)) == cols]
            self.repo.update_rows(t.persons, [c for c in cols if c != "id"], batch)
        self.tally.seen_ids("people", existing)
        self.tally.changed_ids("people", [int(u["id"]) for u in updates])

    def _identities(self, claimed: dict[tuple[str, str], int], new_ids: list[int]) -> None:
        if not claimed:
            return
        ids = self.repo.allocate(t.identities, len(claimed))
        now = self.repo.ts(self.now)
        rows = [
            (
                iid,
                self.repo.ws,
                pid if pid > 0 else new_ids[-pid - 1],
                kind,
                value,
                self.source,
                now,
            )
            for iid, ((kind, value), pid) in zip(ids, claimed.items(), strict=True)
        ]
        self.repo.insert(
            t.identities,
            ("id", "workspace_id", "person_id", "kind", "value", "source", "created_at"),
            rows,
        )
        self.tally.created_ids("identities", ids)
