"""Relationship depth: how many different ways a person (or an account) is tied to us.

Why: a customer who buys one product in one category through one channel is one price change
away from leaving; one who buys across categories, talks to us on several channels and reviews,
replies and visits is woven in.  Depth counts those distinct ties, independent of spend.

Person depth (:func:`person_depth`) counts per person

* ``categories`` - distinct product categories bought;
* ``products`` - distinct products bought;
* ``channels`` - distinct channels used, over purchases and interactions together (e.g. a web
  shop, a store, email, SMS);
* ``touchpoint_kinds`` - distinct kinds of interaction on the timeline, leaving out our own sends
  and bookkeeping (:data:`DEPTH_IGNORED_KINDS`: sends, bounces, notes, tasks, consent, merges,
  and the order lifecycle after ``order.placed``, so one order is one kind of touch).

Each count ``c`` becomes a 0-1 part ``min(1, log(1 + c) / log(1 + cap))`` - the first ties count
most and ``cap`` ties count fully - and ``depth = 100 * sum(weight * part) / sum(weight)``.
Defaults (:data:`DEFAULT_DEPTH_CAPS`, :data:`DEFAULT_DEPTH_WEIGHTS`): categories cap 5, weight
0.35 (breadth of need is the strongest tie); products cap 10, weight 0.20; channels cap 3, weight
0.20; touchpoint kinds cap 5, weight 0.25.

Account depth (:func:`account_depth`), for business customers, asks whether we know the account
through several people and roles: ``engaged_contacts`` (members with any counted interaction
in the last ``window_days`` up to ``as_of``) and ``roles_covered`` (distinct standard roles,
:data:`ACCOUNT_ROLES`, held by active members).  ``account_depth = 100 * (0.5 * roles_covered / 5
+ 0.5 * min(1, log(1 + engaged) / log(1 + 5)))``: all five roles and five engaged contacts make
100; one engaged decision maker alone makes about 29.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import polars as pl

from goodwill.analytics.metrics.errors import MetricsError
from goodwill.analytics.metrics.frames import (
    AsOf,
    age_in_days,
    reject_nulls,
    require_columns,
    to_polars,
)

DEPTH_DIMENSIONS: tuple[str, ...] = ("categories", "products", "channels", "touchpoint_kinds")
"""The counts :func:`person_depth` reports, in output order."""

DEFAULT_DEPTH_CAPS: Mapping[str, int] = MappingProxyType(
    {"categories": 5, "products": 10, "channels": 3, "touchpoint_kinds": 5}
)
DEFAULT_DEPTH_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"categories": 0.35, "products": 0.20, "channels": 0.20, "touchpoint_kinds": 0.25}
)

DEPTH_IGNORED_KINDS: frozenset[str] = frozenset(
    {
        "message.sent",
        "message.bounced",
        "note.added",
        "task.created",
        "task.completed",
        "consent.granted",
        "consent.withdrawn",
        "person.merged",
        "person.unmerged",
        "order.paid",
        "order.fulfilled",
        "order.delivered",
        "order.cancelled",
        "order.refunded",
        "order.returned",
    }
)
"""Interaction kinds that say nothing about the person's ties to us (see module docstring)."""

ACCOUNT_ROLES: tuple[str, ...] = ("decision_maker", "champion", "influencer", "user", "billing")
"""Standard buying-group roles; role names are compared lower-cased with spaces and hyphens as
underscores, so ``"Decision Maker"`` counts as ``decision_maker``."""

ACCOUNT_DEPTH_COLUMNS: tuple[str, ...] = (
    "contacts",
    "engaged_contacts",
    "roles_covered",
    "roles_missing",
    "account_depth",
)
"""Columns of :func:`account_depth` after the account id."""


def saturating_part(count: pl.Expr, cap: float) -> pl.Expr:
    """``min(1, log(1 + count) / log(1 + cap))``: a count turned into a 0-1 share of "enough"."""
    return (count.cast(pl.Float64).log1p() / math.log1p(cap)).clip(0.0, 1.0)


def person_depth(
    purchases: Any = None,
    interactions: Any = None,
    *,
    id_col: str = "person_id",
    product_col: str = "product_id",
    category_col: str = "category",
    channel_col: str = "channel",
    kind_col: str = "kind",
    ignore_kinds: frozenset[str] = DEPTH_IGNORED_KINDS,
    caps: Mapping[str, float] = DEFAULT_DEPTH_CAPS,
    weights: Mapping[str, float] = DEFAULT_DEPTH_WEIGHTS,
) -> pl.DataFrame:
    """Distinct ties per person and a combined 0-100 depth score.

    Inputs (at least one): ``purchases`` - order lines with ``id_col``, ``product_col``,
    ``category_col`` and optionally ``channel_col``; ``interactions`` - timeline rows with
    ``id_col``, ``kind_col`` and optionally ``channel_col``.  Pass the history you want counted
    (e.g. filtered to a snapshot date); empty or null categories, products and channels are not
    counted.

    Output, one row per person found in either input, sorted by id: ``id_col``, then
    :data:`DEPTH_DIMENSIONS` (Int64 counts) and ``depth`` (Float64, 0-100).
    """
    _check_settings(caps, weights, DEPTH_DIMENSIONS)
    if purchases is None and interactions is None:
        raise MetricsError("person depth: give purchases, interactions or both")
    ties: list[pl.DataFrame] = []
    if purchases is not None:
        what = "depth purchases"
        df = to_polars(purchases, what=what)
        require_columns(df, [id_col, product_col, category_col], what=what)
        reject_nulls(df, [id_col], what=what)
        ties += [
            _presence(df, id_col),
            _ties(df, id_col, product_col, "products"),
            _ties(df, id_col, category_col, "categories"),
        ]
        if channel_col in df.columns:
            ties.append(_ties(df, id_col, channel_col, "channels"))
    if interactions is not None:
        what = "depth interactions"
        df = to_polars(interactions, what=what)
        require_columns(df, [id_col, kind_col], what=what)
        reject_nulls(df, [id_col, kind_col], what=what)
        ties.append(_presence(df, id_col))
        counted = df.filter(~pl.col(kind_col).cast(pl.String).is_in(list(ignore_kinds)))
        ties.append(_ties(counted, id_col, kind_col, "touchpoint_kinds"))
        if channel_col in df.columns:
            ties.append(_ties(counted, id_col, channel_col, "channels"))
    every_tie = pl.concat(ties, how="diagonal_relaxed")
    counts = every_tie.group_by(id_col).agg(
        pl.col("_tie").filter(pl.col("_dimension") == name).n_unique().cast(pl.Int64).alias(name)
        for name in DEPTH_DIMENSIONS
    )
    total = sum(weights[name] for name in DEPTH_DIMENSIONS)
    depth = pl.sum_horizontal(
        weights[name] * saturating_part(pl.col(name), caps[name]) for name in DEPTH_DIMENSIONS
    )
    return counts.with_columns((100 * depth / total).alias("depth")).sort(id_col)


def account_depth(
    memberships: Any,
    interactions: Any = None,
    *,
    as_of: AsOf | None = None,
    window_days: float = 90.0,
    account_col: str = "account_id",
    id_col: str = "person_id",
    role_col: str = "role",
    time_col: str = "occurred_at",
    kind_col: str = "kind",
    ignore_kinds: frozenset[str] = DEPTH_IGNORED_KINDS,
    engaged_cap: int = 5,
) -> pl.DataFrame:
    """Engaged contacts, buying-group roles covered and a 0-100 depth per account.

    Inputs: ``memberships`` - one row per (account, person, role) with ``account_col``,
    ``id_col``, ``role_col`` and optionally a boolean ``active`` column (inactive rows are left
    out); ``interactions`` (optional) - timeline rows with ``id_col``, ``time_col`` and, if
    present, ``kind_col`` (kinds in ``ignore_kinds`` do not make a contact engaged).  A contact
    is engaged when they have an interaction in ``(as_of - window_days, as_of]``; ``as_of``
    defaults to the latest interaction.

    Output, one row per account in ``memberships`` (also those with no active member), sorted:
    ``account_col``, ``contacts`` (distinct active members), ``engaged_contacts``, ``roles_covered`` (Int64, 0-5), ``roles_missing``
    (list of standard role names, in :data:`ACCOUNT_ROLES` order) and ``account_depth``.
    """
    what = "account memberships"
    if not (math.isfinite(window_days) and window_days > 0):
        raise MetricsError(f"account depth: window_days must be positive, got {window_days!r}")
    if engaged_cap < 1:
        raise MetricsError(f"account depth: engaged_cap must be at least 1, got {engaged_cap!r}")
    members = to_polars(memberships, what=what)
    require_columns(members, [account_col, id_col, role_col], what=what)
    reject_nulls(members, [account_col, id_col], what=what)
    every_account = members.select(account_col).unique()
    if "active" in members.columns:
        members = members.filter(pl.col("active").fill_null(False))
    role = (
        pl.col(role_col).cast(pl.String).str.strip_chars().str.to_lowercase()
        .str.replace_all(r"[\s\-]+", "_")
    )  # fmt: skip
    members = members.with_columns(role.alias("_role"))
    engaged = _engaged_people(
        interactions, members, as_of, window_days, id_col, time_col, kind_col, ignore_kinds
    )
    held = {name: (pl.col("_role") == name).any().alias(name) for name in ACCOUNT_ROLES}
    accounts = members.group_by(account_col).agg(
        pl.col(id_col).n_unique().cast(pl.Int64).alias("contacts"),
        pl.col(id_col)
        .filter(pl.col(id_col).is_in(engaged.implode()))
        .n_unique()
        .cast(pl.Int64)
        .alias("engaged_contacts"),
        *held.values(),
    )
    accounts = every_account.join(accounts, on=account_col, how="left").with_columns(
        pl.col("contacts", "engaged_contacts").fill_null(0),
        pl.col(*ACCOUNT_ROLES).fill_null(False),
    )
    covered = pl.sum_horizontal(pl.col(name).cast(pl.Int64) for name in ACCOUNT_ROLES)
    missing = pl.concat_list(
        pl.when(~pl.col(name)).then(pl.lit(name)) for name in ACCOUNT_ROLES
    ).list.drop_nulls()
    engaged_part = saturating_part(pl.col("engaged_contacts"), engaged_cap)
    depth = 0.5 * covered / len(ACCOUNT_ROLES) + 0.5 * engaged_part
    return (
        accounts.with_columns(
            covered.cast(pl.Int64).alias("roles_covered"),
            missing.alias("roles_missing"),
            (100 * depth).alias("account_depth"),
        )
        .select(account_col, *ACCOUNT_DEPTH_COLUMNS)
        .sort(account_col)
    )


def _engaged_people(
    interactions: Any,
    members: pl.DataFrame,
    as_of: AsOf | None,
    window_days: float,
    id_col: str,
    time_col: str,
    kind_col: str,
    ignore_kinds: frozenset[str],
) -> pl.Series:
    """Ids of people with a counted interaction in the window (typed like the members' ids)."""
    none = members.get_column(id_col).clear()
    if interactions is None:
        return none
    what = "account interactions"
    df = to_polars(interactions, what=what)
    require_columns(df, [id_col, time_col], what=what)
    reject_nulls(df, [id_col], what=what)
    if df.height == 0:
        return none
    aged, _ = age_in_days(df, time_col, as_of, out="_age", what=what)
    if kind_col in aged.columns:
        aged = aged.filter(~pl.col(kind_col).cast(pl.String).is_in(list(ignore_kinds)))
    recent = aged.filter(pl.col("_age") < window_days).get_column(id_col).unique()
    return recent.cast(none.dtype, strict=False).drop_nulls()


def _presence(df: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """One tie-less row per person, so people with nothing countable still get a row of zeros."""
    return df.select(id_col).unique().with_columns(pl.lit(None, pl.String).alias("_tie"))


def _ties(df: pl.DataFrame, id_col: str, column: str, dimension: str) -> pl.DataFrame:
    tie = pl.col(column).cast(pl.String)
    return (
        df.select(id_col, tie.alias("_tie"))
        .filter(pl.col("_tie").is_not_null() & (pl.col("_tie").str.strip_chars() != ""))
        .with_columns(pl.lit(dimension).alias("_dimension"))
    )


def _check_settings(
    caps: Mapping[str, float], weights: Mapping[str, float], names: Sequence[str]
) -> None:
    for label, mapping in (("caps", caps), ("weights", weights)):
        unknown = set(mapping) - set(names)
        missing = [n for n in names if n not in mapping]
        if unknown or missing:
            raise MetricsError(
                f"depth {label}: need exactly {', '.join(names)}"
                f" (missing: {', '.join(missing) or 'none'}; unknown: {', '.join(sorted(unknown)) or 'none'})"
            )
    for name in names:
        if not (math.isfinite(caps[name]) and caps[name] > 0):
            raise MetricsError(f"depth caps: {name} must be positive, got {caps[name]!r}")
        if not (math.isfinite(weights[name]) and weights[name] >= 0):
            raise MetricsError(f"depth weights: {name} must be >= 0, got {weights[name]!r}")
    if sum(weights[n] for n in names) <= 0:
        raise MetricsError("depth weights: at least one weight must be positive")
