"""The direct-addressed summary (integer ids in a compact range) equals the sorted one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

import goodwill.analytics.summary as summary_module
from goodwill.analytics import summarize


def _transactions(seed: int, n: int = 4000, customers: int = 500, gap: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    ids = 50_000 + gap * rng.integers(0, customers, n)  # ids with holes between them
    days = rng.integers(0, 400, n)
    days[: n // 10] = days[n // 10 : n // 5]  # plenty of same-day repeats
    ids[: n // 10] = ids[n // 10 : n // 5]
    return pl.DataFrame(
        {
            "c": ids,
            "d": pl.Series(days.astype(np.int32) + 19_000).cast(pl.Date),
            "v": np.round(rng.gamma(2.0, 10.0, n), 2),
        }
    )


def _both_ways(monkeypatch, *args, **kwargs):
    direct = summarize(*args, **kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(summary_module, "_direct_summary", lambda *a, **k: None)
        sorted_way = summarize(*args, **kwargs)
    return direct, sorted_way


def _assert_same(direct: pl.DataFrame, sorted_way: pl.DataFrame) -> None:
    assert direct.schema == sorted_way.schema
    assert direct.height == sorted_way.height
    for name in direct.columns:
        if name.startswith("monetary"):
            assert np.allclose(direct[name], sorted_way[name], rtol=1e-12, atol=0)
        else:
            assert direct[name].equals(sorted_way[name]), name


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"period": "W"},
        {"period": "D", "observation_end": dt.date(2025, 1, 1)},
        {"period": "W", "resolution": "W"},
        {"period": 3.0, "resolution": 2.0},
    ],
)
def test_direct_summary_matches_the_sorted_summary(monkeypatch, seed, kwargs):
    t = _transactions(seed)
    _assert_same(*_both_ways(monkeypatch, t, "c", "d", "v", **kwargs))
    _assert_same(*_both_ways(monkeypatch, t, "c", "d", **kwargs))  # no value column


def test_direct_summary_in_small_chunks_and_several_sort_ranges(monkeypatch):
    t = _transactions(7, n=5000)
    whole = summarize(t, "c", "d", "v", period="W")
    monkeypatch.setattr(summary_module, "_CHUNK_ROWS", 97)
    monkeypatch.setattr(summary_module, "_SORT_ROWS", 1300)
    parts = summarize(t, "c", "d", "v", period="W")
    _assert_same(parts, whole)
    assert parts["c"].is_sorted()


def test_direct_summary_inputs_lazy_datetime_numeric_and_dropped_rows(monkeypatch):
    t = _transactions(3)
    stamps = t.with_columns(
        d=pl.col("d").cast(pl.Datetime("us", "Europe/Paris")) + pl.duration(hours=13)
    )
    _assert_same(*_both_ways(monkeypatch, stamps.lazy(), "c", "d", "v", period="W"))
    numeric = t.with_columns(d=pl.col("d").cast(pl.Int32).cast(pl.Float64) + 0.25)
    _assert_same(*_both_ways(monkeypatch, numeric, "c", "d", "v"))
    end = dt.date(2052, 6, 1)
    _assert_same(*_both_ways(monkeypatch, t, "c", "d", "v", observation_end=end, after_end="drop"))
    small_ids = t.with_columns(pl.col("c").cast(pl.Int32))
    direct, sorted_way = _both_ways(monkeypatch, small_ids, "c", "d", "v")
    _assert_same(direct, sorted_way)
    assert direct.schema["c"] == pl.Int32


def test_sparse_ids_use_the_sorted_path(monkeypatch):
    t = _transactions(4).with_columns(c=pl.col("c") * 1_000_003)
    calls = []
    original = summary_module._direct_summary

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(result is None)
        return result

    monkeypatch.setattr(summary_module, "_direct_summary", spy)
    out = summarize(t, "c", "d", "v")
    assert calls == [True] and out["c"].is_sorted()
