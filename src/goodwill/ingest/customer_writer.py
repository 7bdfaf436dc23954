"""Writing what a customer list adds beyond identities: tags, notes, companies and memberships.

* Tags are added to the person's tags (never removed: other sources may have tagged them).
* A Note becomes a note by ``<source> import`` unless the person already has that exact note.
* Company becomes an account keyed ``company:<name>`` (case-folded, spacing collapsed), with the
  person as a member in the role ``user``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from goodwill.db import tables as t
from goodwill.ingest.models import CustomerRecord
from goodwill.ingest.repository import IngestRepository
from goodwill.ingest.tally import RunTally

MEMBER_ROLE = "user"


def company_key(name: str) -> str:
    return ("company:" + " ".join(name.casefold().split()))[:300]


class CustomerWriter:
    def __init__(self, repo: IngestRepository, tally: RunTally, source: str, now: datetime) -> None:
        self.repo = repo
        self.tally = tally
        self.source = source
        self.now = now
        self.author = f"{source} import"

    def write(self, customers: list[tuple[CustomerRecord, int]]) -> None:
        self._tags(customers)
        self._notes(customers)
        self._companies(customers)

    def _tags(self, customers: list[tuple[CustomerRecord, int]]) -> None:
        wanted: dict[int, list[str]] = {}
        for c, pid in customers:
            if c.tags:
                wanted.setdefault(pid, []).extend(c.tags)
        if not wanted:
            return
        stored = self.repo.person_tags(sorted(wanted))
        updates: list[dict[str, Any]] = []
        for pid, tags in wanted.items():
            have = stored.get(pid, [])
            merged = have + [tag for tag in dict.fromkeys(tags) if tag not in have]
            if merged != have:
                updates.append({"id": pid, "tags": merged, "updated_at": self.now})
        self.repo.update_rows(t.persons, ("tags", "updated_at"), updates)
        self.tally.changed_ids("people", [int(u["id"]) for u in updates])

    def _notes(self, customers: list[tuple[CustomerRecord, int]]) -> None:
        wanted = {(pid, c.note) for c, pid in customers if c.note}
        if not wanted:
            return
        have = self.repo.notes(sorted({p for p, _n in wanted}), self.author)
        rows = [
            (self.repo.ws, pid, body, self.author, self.repo.ts(self.now))
            for pid, body in sorted(wanted - have)
        ]
        self.repo.insert(
            t.notes, ("workspace_id", "person_id", "body", "author", "created_at"), rows
        )
        self.tally.counts["notes"].created += len(rows)
        self.tally.counts["notes"].unchanged += len(wanted) - len(rows)

    def _companies(self, customers: list[tuple[CustomerRecord, int]]) -> None:
        names: dict[str, str] = {}
        members: set[tuple[str, int]] = set()
        for c, pid in customers:
            if c.company:
                key = company_key(c.company)
                names.setdefault(key, c.company.strip()[:300])
                members.add((key, pid))
        if not names:
            return
        accounts = self.repo.accounts(sorted(names))
        missing = [k for k in names if k not in accounts]
        ids = self.repo.allocate(t.accounts, len(missing))
        now = self.repo.ts(self.now)
        self.repo.insert(
            t.accounts,
            ("id", "workspace_id", "name", "external_key", "created_at"),
            [(i, self.repo.ws, names[k], k, now) for i, k in zip(ids, missing, strict=True)],
        )
        accounts.update(zip(missing, ids, strict=True))
        counts = self.tally.counts
        counts["accounts"].created += len(missing)
        counts["accounts"].unchanged += len(names) - len(missing)
        have = self.repo.memberships(sorted({p for _k, p in members}), MEMBER_ROLE)
        wanted = {(accounts[k], p) for k, p in members}
        rows = [(self.repo.ws, a, p, MEMBER_ROLE, True, now) for a, p in sorted(wanted - have)]
        self.repo.insert(
            t.memberships,
            ("workspace_id", "account_id", "person_id", "role", "active", "created_at"),
            rows,
        )
        counts["memberships"].created += len(rows)
        counts["memberships"].unchanged += len(wanted) - len(rows)
