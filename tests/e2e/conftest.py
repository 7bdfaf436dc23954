"""Drive the real `goodwill` command line in-process against a test database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from goodwill.cli.app import run
from goodwill.config import get_settings


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


Cli = Callable[..., CliResult]


@pytest.fixture
def cli(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Cli]:
    monkeypatch.setenv("GOODWILL_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args))
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    yield invoke
    get_settings.cache_clear()
