"""Opening an import file and streaming its records with the line each starts on.

CSV goes through the standard ``csv`` module (C, streaming); a record's line is the physical line
where it starts (the header is line 1), so a Notes field holding newlines does not shift the
numbers.  A UTF-8 byte-order mark is dropped.  Parquet (``.parquet``) is read in row batches with
pyarrow; its "line" is the row number (first row 1).  Whitespace-separated text (CDNOW) is read
line by line.  Problems with the file as a whole raise :class:`ImportFileError` (one line).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol, TextIO

from goodwill.ingest.errors import ImportFileError
from goodwill.ingest.models import SourceFile

_SNIFF = 65536
_MAGIC = {
    b"PK\x03\x04": "a zip archive or spreadsheet (.xlsx); export it as CSV",
    b"\x1f\x8b": "gzip-compressed; decompress it first",
    b"PAR1": "a Parquet file; give it a .parquet extension",
    b"\xd0\xcf\x11\xe0": "an old Excel spreadsheet (.xls); export it as CSV",
}


class RecordSource(Protocol):
    header: list[str]
    total: int  # bytes (text) or rows (Parquet), for progress

    def records(self) -> Iterator[tuple[int, list[str]]]: ...

    @property
    def position(self) -> int: ...

    def close(self) -> None: ...


def describe(path: Path) -> SourceFile:
    """Check the file can be read and fingerprint it (SHA-256, the consent evidence)."""
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    if not path.is_file():
        raise ImportFileError(f"{path}: not a file")
    try:
        with path.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        stat = path.stat()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return SourceFile(
        path=str(path),
        name=path.name,
        sha256=digest,
        size=stat.st_size,
        modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
    )


def check_text(path: Path) -> None:
    """Refuse binary files and non-UTF-8 text up front, with what the file seems to be."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF)
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise ImportFileError(f"{path.name} is {what}")
    if b"\x00" in head:
        raise ImportFileError(f"{path.name} is not a text file (it contains NUL bytes)")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
        ) from None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvSource:
    """CSV records with the physical line each starts on; ``delimiter=None`` guesses it from the
    header line (comma, semicolon, tab or pipe)."""

    def __init__(self, path: Path, *, delimiter: str | None = ",") -> None:
        check_text(path)
        self.path = path
        self.total = path.stat().st_size
        self._fh: TextIO = path.open(encoding="utf-8-sig", newline="")
        if delimiter is None:
            delimiter = _delimiter(self._fh.readline())
            self._fh.seek(0)
        self._reader = csv.reader(self._fh, delimiter=delimiter)
        self._line = 0
        self.header = self._read_header()

    def _read_header(self) -> list[str]:
        for _line, row in self._rows():
            if any(cell.strip() for cell in row):
                return [cell.strip() for cell in row]
        raise ImportFileError(f"{self.path.name} is empty (no header line)")

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        prev = reader.line_num
        try:
            for row in reader:
                yield prev + 1, row
                prev = reader.line_num
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{self.path.name} is not UTF-8 text after line {prev}; save it as UTF-8 CSV "
                "(rows before it were imported; re-running the import is safe)"
            ) from None
        except csv.Error as exc:
            raise ImportFileError(
                f"{self.path.name} line {prev + 1}: {exc} (an unclosed quote?); rows before it "
                "were imported; re-running the import is safe"
            ) from None

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Data records (blank lines skipped)."""
        for line, row in self._rows():
            if row:
                yield line, row

    @property
    def position(self) -> int:
        return int(self._fh.buffer.tell())

    def close(self) -> None:
        self._fh.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if value == value else ""
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class ParquetSource:
    """Parquet rows as strings (numbers and times written the way a CSV would hold them)."""

    def __init__(self, path: Path, *, batch_rows: int = 10_000) -> None:
        import pyarrow.parquet as pq

        try:
            self._file = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
            raise ImportFileError(f"{path.name} is not a readable Parquet file ({exc})") from None
        self.path = path
        self.header = [str(n).strip() for n in self._file.schema_arrow.names]
        self.total = int(self._file.metadata.num_rows)
        self._batch_rows = batch_rows
        self._done = 0

    def records(self) -> Iterator[tuple[int, list[str]]]:
        for batch in self._file.iter_batches(batch_size=self._batch_rows):
            columns = [col.to_pylist() for col in batch.columns]
            for j in range(batch.num_rows):
                self._done += 1
                yield self._done, [_cell(col[j]) for col in columns]

    @property
    def position(self) -> int:
        return self._done

    def close(self) -> None:
        self._file.close()


class WhitespaceSource:
    """Whitespace-separated columns, one record per line (CDNOW).  A first line that does not
    start with a digit is the header."""

    def __init__(self, path: Path) -> None:
        check_text(path)
        self.path = path
        self.total = path.stat().st_size
        self._fh: IO[bytes] = path.open("rb")
        first = self._fh.readline().decode("utf-8-sig", "replace").split()
        self._has_header = bool(first) and not first[0][:1].isdigit()
        self.header = first if self._has_header else []
        self._fh.seek(0)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        for n, raw in enumerate(self._fh, start=1):
            if n == 1 and self._has_header:
                continue
            try:
                fields = raw.decode("utf-8-sig" if n == 1 else "utf-8").split()
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"{self.path.name} line {n} is not UTF-8 text; rows before it were imported"
                ) from None
            if fields:
                yield n, fields

    @property
    def position(self) -> int:
        return self._fh.tell()

    def close(self) -> None:
        self._fh.close()


def open_source(path: Path, *, kind: str) -> RecordSource:
    """``kind``: ``csv`` (comma), ``csv-any`` (guess the delimiter; Parquet by extension) or
    ``whitespace``."""
    if kind == "whitespace":
        return WhitespaceSource(path)
    if kind == "csv-any" and path.suffix.lower() in (".parquet", ".parq", ".pq"):
        return ParquetSource(path)
    return CsvSource(path, delimiter=None if kind == "csv-any" else ",")
