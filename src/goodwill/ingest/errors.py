"""Errors of the import context: one clear line each, never a traceback."""

from __future__ import annotations

from goodwill.errors import InvalidInput


class ImportFileError(InvalidInput):
    """The file as a whole cannot be imported: missing, unreadable, or not the chosen format."""

    code = "ingest.file"


class InvalidMapping(InvalidInput):
    """A ``--map column=field`` option that names no known field or no column of the file."""

    code = "ingest.mapping"


class StrictRejected(InvalidInput):
    """``--strict`` and at least one row is bad: nothing was imported."""

    code = "ingest.strict_rejected"
