"""Handwritten-style postal notes, written as batches for a print-and-mail vendor.

Each UTC day gets a directory ``<root>/postal-YYYY-MM-DD/`` holding:

* ``notes.csv``: one row per note: ``idempotency_key, recipient_name, address_line_1 ..
  address_line_6, message, template, workspace_id, person_id`` (UTF-8, header row; cells that
  start with ``= + - @`` get a leading ``'`` so spreadsheets do not run them as formulas);
* ``notes.html``: one printable page per note (A5 portrait, print CSS, a handwriting-like
  *local* font stack; nothing is fetched from the network).  The file is append-only; its
  closing ``</body></html>`` tags are omitted, which HTML allows, so it is valid at all times.

A note is written (and fsynced) before ``send`` returns ``batched`` with the CSV path.  A key
already written to any batch under ``root`` is not written again (resends after a crash are
safe); ``<root>/index.tsv`` records key -> batch for that.  Several processes may share
``root``: writes are serialised with an advisory file lock (POSIX).
"""

from __future__ import annotations

import csv
import html
import io
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from goodwill.channels.base import DeliveryResult, OutboundMessage
from goodwill.kit.clock import as_utc, utcnow
from goodwill.messaging.vocabulary import ChannelKind

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: in-process locking only
    fcntl = None  # type: ignore[assignment]

_POSTAL = ChannelKind.POSTAL
MAX_ADDRESS_LINES = 6
CSV_COLUMNS = [
    "idempotency_key",
    "recipient_name",
    *(f"address_line_{i}" for i in range(1, MAX_ADDRESS_LINES + 1)),
    "message",
    "template",
    "workspace_id",
    "person_id",
]
HANDWRITING_FONTS = (
    '"Segoe Print", "Bradley Hand", "Bradley Hand ITC", "Noteworthy", "Ink Free", '
    '"Patrick Hand", "Kalam", "Caveat", "Comic Neue", "Chalkboard SE", cursive'
)
_PAGE_HEAD = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Goodwill notes</title>
<style>
@page {{ size: A5 portrait; margin: 16mm; }}
html {{ background: #fff; }}
body {{ margin: 0; color: #1d2a4d; }}
.note {{ break-after: page; page-break-after: always; min-height: 170mm; padding: 4mm 2mm;
  box-sizing: border-box; font-family: {HANDWRITING_FONTS}; font-size: 15pt; line-height: 1.6; }}
.note .message {{ white-space: pre-wrap; }}
.note .for {{ margin-top: 10mm; font-family: Arial, Helvetica, sans-serif; font-size: 7pt;
  color: #999; }}
@media screen {{ .note {{ max-width: 148mm; margin: 8mm auto; border: 1px solid #ddd; }} }}
</style>
</head>
<body>
"""


def _cell(value: str) -> str:
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


class PostalBatchChannel:
    """Appends notes to today's batch under ``root``."""

    def __init__(self, root: Path, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._root = Path(root)
        self._clock = clock
        self._lock = threading.Lock()
        self._index: dict[str, str] = {}
        self._index_offset = 0

    @property
    def kind(self) -> ChannelKind:
        return _POSTAL

    @property
    def root(self) -> Path:
        return self._root

    def batch_dir(self, moment: datetime) -> Path:
        return self._root / f"postal-{as_utc(moment):%Y-%m-%d}"

    def close(self) -> None:
        return None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            self._root.mkdir(parents=True, exist_ok=True)
            with open(self._root / ".lock", "a+b") as handle:
                if fcntl is not None:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    if fcntl is not None:
                        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _refresh_index(self) -> None:
        path = self._root / "index.tsv"
        if not path.exists():
            return
        with open(path, "rb") as handle:
            handle.seek(self._index_offset)
            chunk = handle.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._index_offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            key, _, where = line.partition("\t")
            if key:
                self._index[key] = where

    def send(self, message: OutboundMessage) -> DeliveryResult:
        if message.channel != _POSTAL:
            raise ValueError(f"a {message.channel} message was given to the postal channel")
        lines = [" ".join(line.split()) for line in message.address_lines if line.strip()]
        name = " ".join(message.to_name.split())
        if not name or not lines:
            return DeliveryResult.permanent(_POSTAL, "a postal note needs a name and an address")
        if len(lines) > MAX_ADDRESS_LINES:
            return DeliveryResult.permanent(
                _POSTAL, f"the address has {len(lines)} lines; at most {MAX_ADDRESS_LINES} fit"
            )
        if not message.text.strip():
            return DeliveryResult.permanent(_POSTAL, "the note has no message")
        key = message.idempotency_key.replace("\t", " ").replace("\n", " ")
        try:
            with self._locked():
                self._refresh_index()
                if key in self._index:
                    where = self._index[key]
                    return DeliveryResult.batched(_POSTAL, where, f"already in batch {where}")
                batch = self.batch_dir(self._clock())
                csv_path = self._write(batch, key, name, lines, message)
                with open(self._root / "index.tsv", "a", encoding="utf-8") as index:
                    index.write(f"{key}\t{csv_path}\n")
                    index.flush()
                    os.fsync(index.fileno())
        except OSError as exc:
            return DeliveryResult.transient(_POSTAL, f"cannot write the postal batch: {exc}")
        return DeliveryResult.batched(_POSTAL, str(csv_path))

    def _write(
        self, batch: Path, key: str, name: str, lines: list[str], message: OutboundMessage
    ) -> Path:
        batch.mkdir(parents=True, exist_ok=True)
        csv_path, html_path = batch / "notes.csv", batch / "notes.html"
        padded = lines + [""] * (MAX_ADDRESS_LINES - len(lines))
        row = [key, name, *padded, message.text.strip(), message.template]
        row += [message.workspace_id, message.person_id]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if not csv_path.exists() or csv_path.stat().st_size == 0:
            writer.writerow(CSV_COLUMNS)
        writer.writerow([_cell(v) for v in row])
        page = (
            '<section class="note">\n'
            f'<div class="message">{html.escape(message.text.strip())}</div>\n'
            f'<div class="for">{html.escape(name)} &middot; {html.escape(key)}</div>\n'
            "</section>\n"
        )
        if not html_path.exists() or html_path.stat().st_size == 0:
            page = _PAGE_HEAD + page
        for path, text in ((csv_path, buffer.getvalue()), (html_path, page)):
            with open(path, "a", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        return csv_path
