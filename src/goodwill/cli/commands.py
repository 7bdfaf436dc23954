"""Imports every command module so each registers itself on the root app."""

from goodwill.cli import people, stats  # noqa: F401
