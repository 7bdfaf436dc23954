"""Table definitions, one module per table group, all on one :data:`metadata`.

SQLAlchemy Core tables (not ORM classes): the import and dispatch paths are bulk paths, and the
domain types live in each context's ``models.py`` (see docs/adr/0002-core-tables-not-orm.md).
Every business table carries ``workspace_id``.
"""

from goodwill.db.tables._base import metadata
from goodwill.db.tables.commerce import order_lines, orders, products
from goodwill.db.tables.consent import consent_events
from goodwill.db.tables.journeys import (
    deliveries,
    enrolments,
    journey_cursors,
    journey_versions,
    journeys,
    outbox,
)
from goodwill.db.tables.people import (
    accounts,
    facts,
    identities,
    important_dates,
    memberships,
    merges,
    person_links,
    persons,
    preferences,
)
from goodwill.db.tables.scoring import score_runs, score_snapshots
from goodwill.db.tables.timeline import import_runs, interactions, notes, tasks
from goodwill.db.tables.workspace import workspaces

__all__ = [
    "accounts",
    "consent_events",
    "deliveries",
    "enrolments",
    "facts",
    "identities",
    "import_runs",
    "important_dates",
    "interactions",
    "journey_cursors",
    "journey_versions",
    "journeys",
    "memberships",
    "merges",
    "metadata",
    "notes",
    "order_lines",
    "orders",
    "outbox",
    "person_links",
    "persons",
    "preferences",
    "products",
    "score_runs",
    "score_snapshots",
    "tasks",
    "workspaces",
]
