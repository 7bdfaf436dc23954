"""Typed settings read from the environment (prefix ``GOODWILL_``).

Invalid settings fail fast with one clear message naming the variable; nothing else in
Goodwill reads the environment directly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from goodwill.errors import GoodwillError

_SUPPORTED_SCHEMES = ("sqlite", "postgresql")


class Settings(BaseSettings):
    """Everything Goodwill can be told from outside."""

    model_config = SettingsConfigDict(env_prefix="GOODWILL_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///goodwill.db",
        description="SQLAlchemy URL: sqlite:///path.db (default goodwill.db here) or postgresql://...",
    )
    workspace: str = Field(default="default", description="Default workspace name")
    smtp_url: str | None = Field(
        default=None, description="smtp://user:pass@host:587?starttls=true"
    )
    sms_url: str | None = Field(default=None, description="HTTP endpoint of the SMS provider")
    sender_email: str = Field(default="hello@example.com")
    sender_name: str = Field(default="Goodwill")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL for links")
    signing_key: str = Field(default="change-me-in-production", min_length=8)
    webhook_secret: str = Field(default="change-me-in-production", min_length=8)
    postal_dir: Path | None = Field(default=None, description="Directory for postal batches")
    weekly_budget: int = Field(
        default=3, ge=0, description="Non-urgent messages per person per 7 days (0: no budget)"
    )
    quiet_hours: str = Field(default="21:00-08:00", description="Local quiet hours, or off")
    default_timezone: str = Field(default="UTC", description="For people without a timezone")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in _SUPPORTED_SCHEMES:
            raise ValueError(
                f"unsupported database {scheme!r}; use sqlite:///file.db or postgresql://user@host/db"
            )
        if scheme == "postgresql" and "+" not in value.split(":", 1)[0]:
            value = "postgresql+psycopg" + value[len("postgresql") :]
        return value


class InvalidSettings(GoodwillError):
    code = "settings.invalid"


def load_settings() -> Settings:
    """Read settings, turning pydantic's report into one actionable line per problem."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"GOODWILL_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidSettings(f"invalid settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
