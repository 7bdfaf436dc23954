"""Pure customer analytics: transaction summaries and customer-lifetime-value models.

Numerics only (NumPy, SciPy, Polars): no database, web or CLI imports. A faster, sturdier
replacement for the ``lifetimes`` package, usable in the app and standalone in a notebook::

    from goodwill.analytics import summarize, BGNBD, GammaGamma
    summary = summarize(orders, "customer_id", "ordered_at", "amount", period="W")
    model = BGNBD().fit_summary(summary)
    model.params, model.standard_errors, model.diagnostics.warnings
    model.p_alive(summary), model.conditional_expected_purchases(12, summary)
"""

from goodwill.analytics.bgbb import BGBB
from goodwill.analytics.bgnbd import BGNBD
from goodwill.analytics.errors import AnalyticsError, NotFittedError
from goodwill.analytics.fitting import FitDiagnostics
from goodwill.analytics.gammagamma import GammaGamma
from goodwill.analytics.mbgnbd import MBGNBD
from goodwill.analytics.paretonbd import ParetoNBD
from goodwill.analytics.summary import summarize
from goodwill.analytics.value import discounted_purchases, score

__all__ = [
    "BGBB",
    "BGNBD",
    "MBGNBD",
    "AnalyticsError",
    "FitDiagnostics",
    "GammaGamma",
    "NotFittedError",
    "ParetoNBD",
    "discounted_purchases",
    "score",
    "summarize",
]
