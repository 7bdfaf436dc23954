"""Imports every command module so each registers itself on the root app."""

from goodwill.cli import stats  # noqa: F401
