"""Counting what an import did, per kind, without holding the customer base in memory."""

from __future__ import annotations

from goodwill.ingest.models import KINDS, Tally


class IdSet:
    """A set of positive integer ids as a bitmap (one bit per id): a million ids fit in 125 KB."""

    __slots__ = ("_bits",)

    def __init__(self) -> None:
        self._bits = bytearray()

    def add(self, value: int) -> None:
        byte = value >> 3
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits) // 2)))
        self._bits[byte] |= 1 << (value & 7)

    def __contains__(self, value: int) -> bool:
        byte = value >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (value & 7)))

    def __len__(self) -> int:
        return int.from_bytes(self._bits, "little").bit_count()


class RunTally:
    """Counts for one import run.  People, identities and products can appear in many batches;
    they are counted once each: created when this run made them, updated when it changed them,
    unchanged when it only found them."""

    def __init__(self) -> None:
        self.counts: dict[str, Tally] = {k: Tally() for k in KINDS}
        self.seen: dict[str, IdSet] = {k: IdSet() for k in ("people", "identities", "products")}
        self.created: dict[str, IdSet] = {k: IdSet() for k in ("people", "identities", "products")}
        self.changed: dict[str, IdSet] = {k: IdSet() for k in ("people", "identities", "products")}

    def created_ids(self, kind: str, ids: list[int]) -> None:
        seen, created = self.seen[kind], self.created[kind]
        for i in ids:
            seen.add(i)
            created.add(i)

    def seen_ids(self, kind: str, ids: list[int]) -> None:
        seen = self.seen[kind]
        for i in ids:
            seen.add(i)

    def changed_ids(self, kind: str, ids: list[int]) -> None:
        for i in ids:
            if i not in self.created[kind]:
                self.changed[kind].add(i)
                self.seen[kind].add(i)

    def totals(self) -> dict[str, Tally]:
        out = {
            k: Tally(t.created, t.updated, t.unchanged, t.rejected) for k, t in self.counts.items()
        }
        for kind in self.seen:
            created, changed = len(self.created[kind]), len(self.changed[kind])
            out[kind].created += created
            out[kind].updated += changed
            out[kind].unchanged += len(self.seen[kind]) - created - changed
        return out
