"""Counts of what a workspace holds."""
