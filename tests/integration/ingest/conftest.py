"""Fixtures for import tests (helpers live in ``support``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.integration.ingest.support import Run, run_import

from goodwill.ingest.models import Reject, Summary


@pytest.fixture
def run(engine: Engine) -> Run:
    """Import a file into the test database the way the CLI does."""

    def go(kind: str, fmt: str, path: Path, **options: Any) -> tuple[Summary, list[Reject]]:
        return run_import(engine, kind, fmt, path, **options)

    return go
