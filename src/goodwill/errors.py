"""The one error base class.

Every error a user can act on is a :class:`GoodwillError` with a stable ``code``; the CLI,
the API and the web pages render it with one handler each, never as a traceback.

Hierarchy (each context adds its own subclasses in ``<context>/errors.py``)::

    GoodwillError
    ├── NotFound            (404)
    ├── Conflict            (409)
    ├── InvalidInput        (422)
    └── settings / import / journey / analytics specific errors
"""

from __future__ import annotations


class GoodwillError(Exception):
    """Base for every error meant for a user.  ``code`` is stable across releases."""

    code: str = "goodwill.error"
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status

    def __str__(self) -> str:
        return self.message


class NotFound(GoodwillError):
    code = "not_found"
    http_status = 404


class Conflict(GoodwillError):
    code = "conflict"
    http_status = 409


class InvalidInput(GoodwillError):
    code = "invalid_input"
    http_status = 422
