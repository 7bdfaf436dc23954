"""A deterministic synthetic shop: `goodwill demo generate` and `goodwill demo overview`.

The generator is pure (a seeded NumPy ``Generator`` per batch, plain columnar records out); the
repository turns batch-local references into database ids and writes through the bulk paths.
"""
