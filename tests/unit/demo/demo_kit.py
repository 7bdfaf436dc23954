"""Helpers for the demo generator tests: run the pure generator, gather a table across batches."""

from __future__ import annotations

from typing import Any

import numpy as np

from goodwill.demo.generator import batches, catalog_for
from goodwill.demo.models import BATCH_SIZE, Batch, DemoSpec


def generate(spec: DemoSpec) -> list[Batch]:
    """All batches of a run, with product ids 1..n as a fresh database would give them."""
    product_ids = list(range(1, len(catalog_for(spec)) + 1))
    return list(batches(spec, product_ids))


def column(shop: list[Batch], table: str, name: str) -> list[Any]:
    out: list[Any] = []
    for batch in shop:
        values = batch.frame(table).columns.get(name, [])
        out.extend(values.tolist() if isinstance(values, np.ndarray) else values)
    return out


def global_person(shop: list[Batch], table: str, name: str = "person_id") -> np.ndarray:
    """Batch-local person references as run-wide customer indices."""
    parts = [
        np.asarray(b.frame(table).columns[name], dtype=np.int64) + b.index * BATCH_SIZE
        for b in shop
    ]
    return np.concatenate(parts)


def frames_equal(a: list[Batch], b: list[Batch]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if [f.table for f in x.frames] != [f.table for f in y.frames]:
            return False
        for fx, fy in zip(x.frames, y.frames, strict=True):
            if fx.columns.keys() != fy.columns.keys() or fx.refs != fy.refs:
                return False
            for name in fx.columns:
                cx, cy = fx.columns[name], fy.columns[name]
                if isinstance(cx, np.ndarray):
                    if cx.dtype.kind == "M":  # NaT never equals NaT; compare the raw values
                        cx, cy = cx.view(np.int64), cy.view(np.int64)
                    if not np.array_equal(cx, cy, equal_nan=cx.dtype.kind == "f"):
                        return False
                elif list(cx) != list(cy):
                    return False
    return True
