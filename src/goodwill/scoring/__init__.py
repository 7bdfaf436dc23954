"""Scoring: the glue that moves data from the store into `goodwill.analytics` and keeps dated
per-customer snapshots of the results."""
