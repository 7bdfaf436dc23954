"""From what an export says about an order to Goodwill's order lifecycle (pure).

Lifecycle: placed -> paid -> fulfilled -> delivered, with cancelled, refunded and returned as the
ways out.  ``orders.status`` is the furthest stage reached, in the precedence
returned > refunded > cancelled > delivered > fulfilled > paid > placed.

Shopify vocabulary:

* ``Financial Status`` pending, authorized, partially_paid: placed (not yet paid); paid: paid;
  partially_refunded: paid, with a refund (``order.refunded``) but the status stays; refunded:
  refunded; voided: cancelled.
* ``Fulfillment Status`` fulfilled: fulfilled; unfulfilled, partial: not (yet) fulfilled;
  restocked: returned when the order was also refunded (items came back), otherwise nothing.

When an export says a stage was reached but gives no time for it (Shopify has no "Refunded at"),
the time used is the latest time the row does give for the order (a lower bound), and the stage
is listed in :attr:`Lifecycle.approximate` so the interaction can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

STATUSES = ("placed", "paid", "fulfilled", "delivered", "cancelled", "refunded", "returned")
FINANCIAL = (
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
)
FULFILLMENT = ("fulfilled", "unfulfilled", "partial", "restocked")
_PAID = frozenset({"paid", "partially_refunded", "refunded"})


@dataclass(slots=True)
class Stages:
    """Timestamps an export gives (None when absent) and its status words (lower case)."""

    placed_at: datetime
    paid_at: datetime | None = None
    fulfilled_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    refunded_at: datetime | None = None
    returned_at: datetime | None = None
    financial_status: str = ""
    fulfillment_status: str = ""
    status: str = ""
    refunded_minor: int = 0
    total_minor: int = 0


@dataclass(slots=True)
class Lifecycle:
    status: str
    paid_at: datetime | None
    fulfilled_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    refunded_at: datetime | None
    returned_at: datetime | None
    approximate: frozenset[str]

    def events(self, placed_at: datetime) -> list[tuple[str, datetime]]:
        """Reached stages in lifecycle order, each with its time: ("placed", t), ("paid", t)..."""
        out = [("placed", placed_at)]
        for name in ("paid", "fulfilled", "delivered", "cancelled", "refunded", "returned"):
            at: datetime | None = getattr(self, f"{name}_at")
            if at is not None:
                out.append((name, at))
        return out


_IMPLY = {
    "paid": frozenset({"paid", "fulfilled", "delivered", "refunded", "returned"}),
    "fulfilled": frozenset({"fulfilled", "delivered", "returned"}),
    "refunded": frozenset({"refunded", "returned"}),
}


def _latest(s: Stages) -> datetime:
    """The latest time the export gives for the order (a lower bound for untimed stages)."""
    return max(
        t
        for t in (s.placed_at, s.paid_at, s.fulfilled_at, s.delivered_at, s.cancelled_at)
        if t is not None
    )


def derive(s: Stages) -> Lifecycle:
    """The lifecycle an order has reached, from its export columns (see the module docstring)."""
    fin, ful, explicit = s.financial_status, s.fulfillment_status, s.status
    approx: list[str] = []
    paid, fulfilled, delivered = s.paid_at, s.fulfilled_at, s.delivered_at
    cancelled, refunded, returned = s.cancelled_at, s.refunded_at, s.returned_at
    if paid is None and (fin in _PAID or explicit in _IMPLY["paid"]):
        paid = _latest(s)
        approx.append("paid")
    if fulfilled is None and (ful == "fulfilled" or explicit in _IMPLY["fulfilled"]):
        fulfilled = _latest(s)
        approx.append("fulfilled")
    if delivered is None and explicit == "delivered":
        delivered = _latest(s)
        approx.append("delivered")
    if cancelled is None and (fin == "voided" or explicit == "cancelled"):
        cancelled = _latest(s)
        approx.append("cancelled")
    refund_seen = fin in ("refunded", "partially_refunded") or s.refunded_minor > 0
    if refunded is None and (refund_seen or explicit in _IMPLY["refunded"]):
        refunded = _latest(s)
        approx.append("refunded")
    if returned is None and (
        (ful == "restocked" and refunded is not None) or explicit == "returned"
    ):
        returned = _latest(s)
        approx.append("returned")
    full_refund = refunded is not None and (
        fin == "refunded"
        or explicit == "refunded"
        or (not fin and (s.refunded_minor == 0 or s.refunded_minor >= s.total_minor))
    )
    if returned is not None:
        status = "returned"
    elif full_refund:
        status = "refunded"
    elif cancelled is not None:
        status = "cancelled"
    elif delivered is not None:
        status = "delivered"
    elif fulfilled is not None:
        status = "fulfilled"
    elif paid is not None:
        status = "paid"
    else:
        status = "placed"
    return Lifecycle(
        status, paid, fulfilled, delivered, cancelled, refunded, returned, frozenset(approx)
    )
