"""Imports every command module so each registers itself on the root app."""

import goodwill.cli.demo  # noqa: F401
from goodwill.cli import (  # noqa: F401
    deliveries,
    journeys,
    people,
    record,
    report,
    scores,
    serve,
    stats,
    tasks,
    worker,
)
from goodwill.cli import imports as _imports  # noqa: F401
