"""Resolving a workspace name to the scope every repository is built with."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection

from goodwill.errors import InvalidInput, NotFound
from goodwill.workspaces.repository import WorkspaceRepository

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


@dataclass(frozen=True, slots=True)
class Workspace:
    """The scope of every business query: repositories are constructed with one."""

    id: int
    name: str


class UnknownWorkspace(NotFound):
    code = "workspaces.not_found"


def validate_name(name: str) -> str:
    value = name.strip().lower()
    if not _NAME.match(value):
        raise InvalidInput(
            f"workspace name {name!r} is not valid: use 1-100 lowercase letters, digits, '-', '_' or '.'",
            code="workspaces.invalid_name",
        )
    return value


def get_or_create(conn: Connection, name: str) -> Workspace:
    value = validate_name(name)
    repo = WorkspaceRepository(conn)
    found = repo.find_id(value)
    if found is not None:
        return Workspace(found, value)
    return Workspace(repo.create(value), value)


def get_existing(conn: Connection, name: str) -> Workspace:
    value = validate_name(name)
    found = WorkspaceRepository(conn).find_id(value)
    if found is None:
        raise UnknownWorkspace(
            f"workspace {value!r} does not exist (it is created by `goodwill init` or an import)"
        )
    return Workspace(found, value)
