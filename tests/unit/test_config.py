from __future__ import annotations

import pytest

from goodwill.config import InvalidSettings, load_settings


def test_defaults_to_sqlite_file_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOODWILL_DATABASE_URL", raising=False)
    assert load_settings().database_url == "sqlite:///goodwill.db"


def test_postgresql_urls_use_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOODWILL_DATABASE_URL", "postgresql://u@h/db")
    assert load_settings().database_url == "postgresql+psycopg://u@h/db"


def test_invalid_settings_fail_fast_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOODWILL_DATABASE_URL", "mysql://x")
    monkeypatch.setenv("GOODWILL_SIGNING_KEY", "short")
    with pytest.raises(InvalidSettings) as err:
        load_settings()
    assert "GOODWILL_DATABASE_URL" in str(err.value) and "GOODWILL_SIGNING_KEY" in str(err.value)
