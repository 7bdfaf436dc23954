"""People, their identities, accounts with roles, links between people, preferences, facts, dates."""

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from goodwill.db.tables._base import Id, Json, id_column, metadata, ref, ts, workspace_column

persons = Table(
    "persons",
    metadata,
    id_column(),
    workspace_column(),
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("timezone", String(64)),
    Column("locale", String(35)),
    Column("owner", String(200)),
    Column("tags", Json),
    ts("first_seen_at"),
    ts("created_at", nullable=False),
    ts("updated_at", nullable=False),
    Column("merged_into_id", Id, nullable=True),
)

identities = Table(
    "identities",
    metadata,
    id_column(),
    workspace_column(),
    ref("person_id", "persons", nullable=False),
    Column("kind", String(16), nullable=False),  # email | phone | external
    Column("value", String(320), nullable=False),
    Column("source", String(64), nullable=False, default=""),
    ts("created_at", nullable=False),
    UniqueConstraint("workspace_id", "kind", "value"),
)

accounts = Table(
    "accounts",
    metadata,
    id_column(),
    workspace_column(),
    Column("name", String(300), nullable=False),
    Column("domain", String(255)),
    Column("external_key", String(300), nullable=False),
    Column("owner", String(200)),
    ts("created_at", nullable=False),
    UniqueConstraint("workspace_id", "external_key"),
)

memberships = Table(
    "memberships",
    metadata,
    id_column(),
    workspace_column(),
    ref("account_id", "accounts", nullable=False),
    ref("person_id", "persons", nullable=False),
    Column("role", String(32), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    ts("created_at", nullable=False),
    UniqueConstraint("account_id", "person_id", "role"),
)

person_links = Table(
    "person_links",
    metadata,
    id_column(),
    workspace_column(),
    ref("from_person_id", "persons", nullable=False),
    ref("to_person_id", "persons", nullable=False),
    Column("kind", String(32), nullable=False),  # referred_by | household | knows
    Column("source", String(64), nullable=False, default=""),
    ts("created_at", nullable=False),
    UniqueConstraint("workspace_id", "from_person_id", "to_person_id", "kind"),
)

preferences = Table(
    "preferences",
    metadata,
    id_column(),
    workspace_column(),
    ref("person_id", "persons", nullable=False),
    Column("channels", Json),  # preferred channels, most preferred first
    Column("max_per_week", SmallInteger),  # how often they want to hear from us
    Column("interests", Json),
    ts("updated_at", nullable=False),
    UniqueConstraint("person_id"),
)

facts = Table(
    "facts",
    metadata,
    id_column(),
    workspace_column(),
    ref("person_id", "persons", nullable=False),
    Column("text", Text, nullable=False),
    Column("noted_by", String(200), nullable=False),
    ts("noted_at", nullable=False),
    Column("source", String(64), nullable=False, default=""),
)

important_dates = Table(
    "important_dates",
    metadata,
    id_column(),
    workspace_column(),
    ref("person_id", "persons", nullable=False),
    Column("kind", String(32), nullable=False),  # birthday | anniversary | milestone
    Column("label", String(200), nullable=False, default=""),
    Column("month", SmallInteger, nullable=False),
    Column("day", SmallInteger, nullable=False),
    Column("year", Integer),  # optional: a birthday may be known without the year
    Column("recurrence", String(16), nullable=False, default="yearly"),  # yearly | once
    UniqueConstraint("person_id", "kind", "label"),
)

merges = Table(
    "merges",
    metadata,
    id_column(),
    workspace_column(),
    Column("winner_id", Id, nullable=False),
    Column("loser_id", Id, nullable=False),
    Column("moved", Json, nullable=False),  # {table: [row ids]} moved from loser to winner
    Column("loser_snapshot", Json, nullable=False),
    Column("reason", String(300), nullable=False, default=""),
    ts("created_at", nullable=False),
    ts("undone_at"),
)

Index("ix_persons_ws_merged", persons.c.workspace_id, persons.c.merged_into_id)
