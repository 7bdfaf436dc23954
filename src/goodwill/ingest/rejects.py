"""The rejects file: one CSV row per problem (line, column, value, reason), written only when
there is something to write."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from goodwill.ingest.errors import ImportFileError
from goodwill.ingest.models import Reject

HEADER = ("line", "column", "value", "reason")


def default_path(source: Path) -> Path:
    """``orders.csv`` -> ``orders.csv.rejects.csv`` beside it."""
    return source.with_name(source.name + ".rejects.csv")


class RejectsFile:
    def __init__(self, path: Path) -> None:
        if not path.parent.is_dir():
            raise ImportFileError(
                f"cannot write the rejects file {path}: no directory {path.parent}"
            )
        self.path = path
        self.count = 0
        self._fh: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None
        self._discard_stale()

    def _discard_stale(self) -> None:
        """A rejects file left by an earlier run would now be wrong: remove it (only if it is
        one of ours, recognised by its header)."""
        try:
            with self.path.open(encoding="utf-8") as fh:
                ours = fh.readline().strip() == ",".join(HEADER)
        except (OSError, UnicodeDecodeError):
            return
        if ours:
            self.path.unlink(missing_ok=True)

    def write(self, rejects: list[Reject]) -> None:
        if not rejects:
            return
        if self._fh is None:
            try:
                self._fh = self.path.open("w", encoding="utf-8", newline="")
            except OSError as exc:
                raise ImportFileError(
                    f"cannot write the rejects file {self.path}: {exc.strerror or exc}"
                ) from None
            self._writer = csv.DictWriter(self._fh, fieldnames=HEADER, lineterminator="\n")
            self._writer.writeheader()
        assert self._writer is not None
        for r in sorted(rejects, key=lambda r: r.line):
            self._writer.writerow(
                {"line": r.line, "column": r.column, "value": r.value, "reason": r.reason}
            )
        self.count += len(rejects)
        self._fh.flush()

    @property
    def written(self) -> bool:
        return self._fh is not None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
