"""Imports: Shopify, CDNOW and generic CSV/Parquet files into the relationship record.

Reading and parsing are pure and stream in batches (``reader``, ``formats``, ``batches``); the
service applies one batch inside the caller's transaction; all queries live in ``repository``.
"""
