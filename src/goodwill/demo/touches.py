"""Collecting the batch's timeline: every touch becomes one interaction with a unique key."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from goodwill.demo.models import HISTORY_DAYS, SOURCE, Frame
from goodwill.demo.timebase import to_datetime64
from goodwill.timeline.models import idempotency_key

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


def key(subject: str, ident: str, event: str) -> str:
    """``demo:<subject>:<id>:<event>``, the timeline's idempotency-key convention."""
    return idempotency_key(SOURCE, subject, ident, event)


class Timeline:
    """Interactions of one batch, column by column; events after "today" are dropped."""

    def __init__(self) -> None:
        self._person: list[Ints] = []
        self._account: list[Ints] = []
        self._order: list[Ints] = []
        self._when: list[Floats] = []
        self._kind: list[str] = []
        self._channel: list[str] = []
        self._actor: list[str] = []
        self._payload: list[dict[str, Any] | None] = []
        self._key: list[str] = []
        self.counts: dict[str, int] = {}

    def add(
        self,
        kind: str,
        person: Ints,
        when: Floats,
        keys: list[str],
        *,
        payload: list[dict[str, Any] | None] | None = None,
        channel: str | list[str] = "",
        actor: str | list[str] = "",
        account: Ints | None = None,
        order: Ints | None = None,
    ) -> None:
        n = len(person)
        if not n:
            return
        assert len(when) == n and len(keys) == n
        self._person.append(np.asarray(person, dtype=np.int64))
        self._when.append(np.asarray(when, dtype=np.float64))
        self._account.append(
            np.full(n, -1, dtype=np.int64) if account is None else account.astype(np.int64)
        )
        self._order.append(
            np.full(n, -1, dtype=np.int64) if order is None else order.astype(np.int64)
        )
        self._kind.extend([kind] * n)
        self._channel.extend([channel] * n if isinstance(channel, str) else channel)
        self._actor.extend([actor] * n if isinstance(actor, str) else actor)
        self._payload.extend([None] * n if payload is None else payload)
        self._key.extend(keys)

    def last_touch(self, n_people: int) -> Floats:
        """The latest interaction per person (``-inf`` for none), before "today"."""
        out = np.full(n_people, -np.inf)
        if self._person:
            person = np.concatenate(self._person)
            when = np.concatenate(self._when)
            ok = when < HISTORY_DAYS
            np.maximum.at(out, person[ok], when[ok])
        return out

    def first_touch(self, n_people: int) -> Floats:
        out = np.full(n_people, np.inf)
        if self._person:
            person = np.concatenate(self._person)
            when = np.concatenate(self._when)
            np.minimum.at(out, person, when)
        return out

    def frame(self, start64: np.datetime64) -> Frame:
        if not self._person:
            return Frame("interactions", {}, {})
        when = np.concatenate(self._when)
        keep = np.flatnonzero((when < HISTORY_DAYS) & (when >= 0))
        keep = keep[np.lexsort((when[keep], np.concatenate(self._person)[keep]))]
        stamps = to_datetime64(start64, when[keep])
        kinds = [self._kind[i] for i in keep.tolist()]
        self.counts = {}
        for k in kinds:
            self.counts[k] = self.counts.get(k, 0) + 1
        idx = keep.tolist()
        columns: dict[str, Any] = {
            "person_id": np.concatenate(self._person)[keep],
            "account_id": np.concatenate(self._account)[keep],
            "order_id": np.concatenate(self._order)[keep],
            "occurred_at": stamps,
            "kind": kinds,
            "channel": [self._channel[i] for i in idx],
            "actor": [self._actor[i] for i in idx],
            "payload": [self._payload[i] for i in idx],
            "source": [SOURCE] * len(idx),
            "idempotency_key": [self._key[i] for i in idx],
            "recorded_at": stamps,
        }
        refs = {"person_id": "persons", "account_id": "accounts", "order_id": "orders"}
        return Frame("interactions", columns, refs)
