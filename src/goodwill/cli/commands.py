"""Imports every command module so each registers itself on the root app."""

from goodwill.cli import people, record, stats, tasks  # noqa: F401
