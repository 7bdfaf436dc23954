"""Relationship metrics: pure functions over Polars (or pandas) frames.

RFM segments, NPS with honest intervals, retention cohorts, engagement, relationship depth,
relationship health and relationship capital.  Everything here is pure numerics: no database, no
web, no CLI; the scoring glue moves data between the store and these functions.  Model outputs
(P(alive), CLV) come in as columns, so this package does not depend on the CLV models.

A typical scoring run::

    engagement = engagement_scores(interactions, as_of=day)        # person_id, engagement, ...
    depth = person_depth(order_lines, interactions)                # person_id, depth, categories
    latest = latest_nps_answers(answers)                           # person_id, nps_answer
    people = model_scores.join(engagement, ...).join(depth, ...)   # + p_alive, clv from the model
    health = relationship_health(people)                           # health, components, reasons
    capital = relationship_capital(health, as_of=day)

Time columns follow one convention (see :mod:`.frames`): UTC, ``as_of`` inclusive, later rows
ignored.  Bad input raises :class:`MetricsError` (code ``analytics.invalid_input``) naming what
to fix.
"""

from goodwill.analytics.metrics.capital import (
    CAPITAL_COLUMNS,
    RelationshipCapital,
    relationship_capital,
    relationship_capital_over_time,
)
from goodwill.analytics.metrics.cohorts import COHORT_COLUMNS, retention_cohorts, retention_matrix
from goodwill.analytics.metrics.depth import (
    ACCOUNT_DEPTH_COLUMNS,
    ACCOUNT_ROLES,
    DEFAULT_DEPTH_CAPS,
    DEFAULT_DEPTH_WEIGHTS,
    DEPTH_DIMENSIONS,
    DEPTH_IGNORED_KINDS,
    account_depth,
    person_depth,
    saturating_part,
)
from goodwill.analytics.metrics.engagement import (
    DEFAULT_ENGAGEMENT_WEIGHTS,
    ENGAGEMENT_COLUMNS,
    engagement_scores,
    scale_engagement,
)
from goodwill.analytics.metrics.errors import MetricsError
from goodwill.analytics.metrics.frames import AsOf, Period
from goodwill.analytics.metrics.health import (
    HEALTH_COMPONENTS,
    NPS_ANSWER_VALUE,
    HealthWeights,
    relationship_health,
)
from goodwill.analytics.metrics.nps import (
    NPS_COLUMNS,
    IntervalMethod,
    NpsResult,
    latest_nps_answers,
    nps,
    nps_by,
    nps_class,
    nps_from_counts,
    nps_over_time,
)
from goodwill.analytics.metrics.rfm import (
    DEFAULT_RFM_SEGMENTS,
    UNMATCHED_SEGMENT,
    RfmSegmentRule,
    quintile_score,
    rfm,
    rfm_summary,
    score_rfm,
)

__all__ = [
    "ACCOUNT_DEPTH_COLUMNS",
    "ACCOUNT_ROLES",
    "CAPITAL_COLUMNS",
    "COHORT_COLUMNS",
    "DEFAULT_DEPTH_CAPS",
    "DEFAULT_DEPTH_WEIGHTS",
    "DEFAULT_ENGAGEMENT_WEIGHTS",
    "DEFAULT_RFM_SEGMENTS",
    "DEPTH_DIMENSIONS",
    "DEPTH_IGNORED_KINDS",
    "ENGAGEMENT_COLUMNS",
    "HEALTH_COMPONENTS",
    "NPS_ANSWER_VALUE",
    "NPS_COLUMNS",
    "UNMATCHED_SEGMENT",
    "AsOf",
    "HealthWeights",
    "IntervalMethod",
    "MetricsError",
    "NpsResult",
    "Period",
    "RelationshipCapital",
    "RfmSegmentRule",
    "account_depth",
    "engagement_scores",
    "latest_nps_answers",
    "nps",
    "nps_by",
    "nps_class",
    "nps_from_counts",
    "nps_over_time",
    "person_depth",
    "quintile_score",
    "relationship_capital",
    "relationship_capital_over_time",
    "relationship_health",
    "retention_cohorts",
    "retention_matrix",
    "rfm",
    "rfm_summary",
    "saturating_part",
    "scale_engagement",
    "score_rfm",
]
