from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodwill.analytics import AnalyticsError
from goodwill.analytics.uplift import proportion_difference, uplift

AS_OF = datetime(2026, 6, 1)
E = {"person_id": pl.Int64, "entered_at": pl.Datetime("us"), "holdout": pl.Boolean}
P = {"person_id": pl.Int64, "ordered_at": pl.Datetime("us"), "amount": pl.Float64}


def _frames(
    treated_buyers: int, treated: int, control_buyers: int, control: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    start = AS_OF - timedelta(days=120)
    enrol = [(i, start, i >= treated) for i in range(treated + control)]
    buys = [(i, start + timedelta(days=70), 50.0) for i in range(treated_buyers)]
    buys += [(treated + i, start + timedelta(days=10), 20.0) for i in range(control_buyers)]
    return pl.DataFrame(enrol, schema=E, orient="row"), pl.DataFrame(buys, schema=P, orient="row")


def test_treated_vs_holdout_rates_revenue_and_retention() -> None:
    enrolments, purchases = _frames(40, 100, 10, 100)
    rep = uplift(enrolments, purchases, window_days=90, as_of=AS_OF)
    rate, revenue, retention = rep.metrics
    assert (rep.treated, rep.holdout, rep.pending) == (100, 100, 0)
    assert rate.treated == pytest.approx(0.4) and rate.holdout == pytest.approx(0.1)
    assert (
        rate.difference == pytest.approx(0.3)
        and rate.ci_low is not None
        and 0 < rate.ci_low < 0.3 < rate.ci_high
    )
    assert revenue.treated == pytest.approx(20.0) and revenue.holdout == pytest.approx(2.0)
    assert revenue.ci_low is not None and revenue.ci_low > 0
    # treated bought on day 70 (second half of the window), holdout on day 10
    assert retention.treated == pytest.approx(0.4) and retention.holdout == pytest.approx(0.0)


def test_purchases_outside_the_window_and_unfinished_windows_do_not_count() -> None:
    enrolments, purchases = _frames(5, 10, 5, 10)
    late = pl.DataFrame([(0, AS_OF, 999.0)], schema=P, orient="row")
    fresh = pl.DataFrame([(99, AS_OF - timedelta(days=5), False)], schema=E, orient="row")
    rep = uplift(
        pl.concat([enrolments, fresh]), pl.concat([purchases, late]), window_days=90, as_of=AS_OF
    )
    assert rep.pending == 1 and rep.metrics[1].treated == pytest.approx(25.0)


def test_no_holdout_gives_unknown_difference_not_nan() -> None:
    enrolments, purchases = _frames(5, 10, 0, 0)
    rep = uplift(enrolments, purchases, window_days=90, as_of=AS_OF)
    assert all(m.difference is None and m.holdout is None for m in rep.metrics)


def test_bad_window_is_an_error() -> None:
    enrolments, purchases = _frames(1, 2, 1, 2)
    with pytest.raises(AnalyticsError):
        uplift(enrolments, purchases, window_days=0, as_of=AS_OF)


@given(st.integers(0, 50), st.integers(1, 50), st.integers(0, 50), st.integers(1, 50))
def test_newcombe_interval_contains_the_difference_and_stays_in_bounds(
    k1: int, n1: int, k0: int, n0: int
) -> None:
    k1, k0 = min(k1, n1), min(k0, n0)
    d, low, high = proportion_difference(k1, n1, k0, n0)
    assert -1.0 <= low <= d <= high <= 1.0
    assert np.isfinite([d, low, high]).all()
