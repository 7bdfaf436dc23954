"""Workspaces: several businesses can share one database; every business row belongs to one."""
