"""Pure customer analytics: transaction summaries and customer-lifetime-value models.

Numerics only (NumPy, SciPy, Polars): no database, web or CLI imports. A faster, sturdier
replacement for the ``lifetimes`` package, usable in the app and standalone in a notebook::

    from goodwill.analytics import summarize, BGNBD, GammaGamma
    summary = summarize(orders, "customer_id", "ordered_at", "amount", period="W")
    model = BGNBD().fit_summary(summary)
    model.params, model.standard_errors, model.diagnostics.warnings
    model.p_alive(summary), model.conditional_expected_purchases(12, summary)

Units: recency, T and forecast horizons share the summary's ``period`` (weeks above);
``frequency`` counts repeat purchases. See each model's docstring for its parameters.
"""

from goodwill.analytics.bgbb import BGBB
from goodwill.analytics.bgnbd import BGNBD
from goodwill.analytics.checking import HoldoutCheck, choose_best_model, holdout_check
from goodwill.analytics.errors import AnalyticsError, NotFittedError
from goodwill.analytics.fitting import FitDiagnostics
from goodwill.analytics.gammagamma import GammaGamma
from goodwill.analytics.mbgnbd import MBGNBD
from goodwill.analytics.paretonbd import ParetoNBD
from goodwill.analytics.purchase_model import PurchaseModel
from goodwill.analytics.simulate import (
    simulate_bgbb,
    simulate_bgnbd,
    simulate_gammagamma,
    simulate_mbgnbd,
    simulate_paretonbd,
)
from goodwill.analytics.summary import summarize
from goodwill.analytics.value import discounted_purchases, score

__all__ = [
    "BGBB",
    "BGNBD",
    "MBGNBD",
    "AnalyticsError",
    "FitDiagnostics",
    "GammaGamma",
    "HoldoutCheck",
    "NotFittedError",
    "ParetoNBD",
    "PurchaseModel",
    "choose_best_model",
    "discounted_purchases",
    "holdout_check",
    "score",
    "simulate_bgbb",
    "simulate_bgnbd",
    "simulate_gammagamma",
    "simulate_mbgnbd",
    "simulate_paretonbd",
    "summarize",
]
