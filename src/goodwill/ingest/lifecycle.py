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
_PRECEDENCE = ("returned", "refunded", "cancelled", "delivered", "fulfilled", "paid")


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


def derive(s: Stages) -> Lifecycle:
    """The lifecycle an order has reached, from its export columns (see the module docstring)."""
    known = [
        t
        for t in (s.placed_at, s.paid_at, s.fulfilled_at, s.delivered_at, s.cancelled_at)
        if t is not None
    ]
    latest = max(known)
    approx: set[str] = set()
    fin, ful, explicit = s.financial_status, s.fulfillment_status, s.status

    def stage(given: datetime | None, reached: bool, name: str) -> datetime | None:
        if given is not None:
            return given
        if reached:
            approx.add(name)
            return latest
        return None

    paid = stage(
        s.paid_at,
        fin in _PAID or explicit in ("paid", "fulfilled", "delivered", "refunded", "returned"),
        "paid",
    )
    fulfilled = stage(
        s.fulfilled_at,
        ful == "fulfilled" or explicit in ("fulfilled", "delivered", "returned"),
        "fulfilled",
    )
    delivered = stage(s.delivered_at, explicit == "delivered", "delivered")
    cancelled = stage(s.cancelled_at, fin == "voided" or explicit == "cancelled", "cancelled")
    refund_seen = fin in ("refunded", "partially_refunded") or s.refunded_minor > 0
    refunded = stage(s.refunded_at, refund_seen or explicit in ("refunded", "returned"), "refunded")
    returned = stage(
        s.returned_at,
        (ful == "restocked" and refunded is not None) or explicit == "returned",
        "returned",
    )
    full_refund = (
        fin == "refunded"
        or explicit == "refunded"
        or (
            not fin
            and refunded is not None
            and (s.refunded_minor == 0 or s.refunded_minor >= s.total_minor)
        )
    )
    reached = {
        "paid": paid,
        "fulfilled": fulfilled,
        "delivered": delivered,
        "cancelled": cancelled,
        "refunded": refunded if full_refund else None,
        "returned": returned,
    }
    status = next((name for name in _PRECEDENCE if reached[name] is not None), "placed")
    return Lifecycle(
        status=status,
        paid_at=paid,
        fulfilled_at=fulfilled,
        delivered_at=delivered,
        cancelled_at=cancelled,
        refunded_at=refunded,
        returned_at=returned,
        approximate=frozenset(approx),
    )
