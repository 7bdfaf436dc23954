"""The personalisation context: what a template may know about the person it is written to.

The caller (the dispatcher) reads the record and fills :class:`PersonalisationFacts`;
:func:`build_context` turns it into the flat dictionary templates see.  The set of names it can
produce is :data:`KNOWN_VARIABLES`; shipped templates may use nothing else (checked at load), so a
typo is a load error, not a blank in an inbox.

Names from imports are messy: ``build_context`` trims them, drops values that are not names
(``n/a``, ``test``, anything with ``@`` or digits) so templates fall back to their default, and
capitalises names typed entirely in upper or lower case (``ANA`` -> ``Ana``, ``o'neil`` ->
``O'Neil``); mixed-case names are kept as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

KNOWN_VARIABLES = frozenset(
    {
        "first_name",
        "last_name",
        "display_name",
        "account_name",
        "brand",
        "signed_by",
        "last_product",
        "last_order_number",
        "remembered_fact",
        "milestone",
        "offer",
        "shop_url",
        "order_url",
        "review_url",
        "nps_url",
        "nps_scores",
        "referral_url",
        "loyalty_url",
        "unsubscribe_url",
        "preferences_url",
    }
)

_JUNK_NAMES = frozenset(
    {"n/a", "na", "none", "null", "nil", "test", "customer", "client", "unknown", "-", ".", "x"}
)
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Links:
    """Absolute URLs the message may point to; ``None`` when not applicable."""

    shop_url: str | None = None
    order_url: str | None = None
    review_url: str | None = None
    nps_url: str | None = None
    referral_url: str | None = None
    loyalty_url: str | None = None
    unsubscribe_url: str | None = None
    preferences_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalisationFacts:
    """Facts from the relationship record, already chosen by the caller.

    ``milestone`` is a phrase that reads after "your"/"our" in copy, e.g. ``"fifth order"`` or
    ``"first year with us"``; ``remembered_fact`` is one complete sentence, approved by staff
    for the customer's eyes, that templates print as is (e.g. ``"I hope the Porto half marathon
    went well!"``); ``offer`` is the incentive wording, e.g. ``"15% off their first order"``.
    """

    first_name: str | None = None
    last_name: str | None = None
    account_name: str | None = None
    brand: str
    signed_by: str | None = None
    last_product: str | None = None
    last_order_number: str | None = None
    remembered_fact: str | None = None
    milestone: str | None = None
    offer: str | None = None
    links: Links = field(default_factory=Links)


def _capitalise(text: str) -> str:
    return _WORD.sub(lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), text)


def clean_name(raw: str | None) -> str | None:
    """A name fit for a greeting, or ``None`` if ``raw`` is empty or clearly not a name."""
    if raw is None:
        return None
    return _clean_name(raw)


@lru_cache(maxsize=4096)  # first and last names repeat across a batch and across messages
def _clean_name(raw: str) -> str | None:
    text = " ".join(raw.split())
    if not text or text.lower() in _JUNK_NAMES or "@" in text:
        return None
    if any(ch.isdigit() for ch in text):
        return None
    if text.isupper() or text.islower():
        text = _capitalise(text)
    return text


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def nps_score_links(nps_url: str) -> list[dict[str, Any]]:
    """Eleven links (0..10) for a one-click NPS answer: ``nps_url`` plus ``score=<n>``."""
    return [{"score": n, "url": _with_query(nps_url, score=str(n))} for n in range(11)]


_ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
)


def ordinal(n: int) -> str:
    """1 -> "first" .. 10 -> "tenth", then "11th", "22nd", "103rd"."""
    if n < 1:
        raise ValueError("ordinals start at 1")
    if n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def anniversary_milestone(years: int | None) -> str | None:
    """The ``milestone`` phrase for the anniversary template from a journey's ``years``:
    1 -> "first year with us", 5 -> "fifth year with us"; unknown years -> None (the
    template then cannot render and the message is not sent with a blank)."""
    if years is None or years < 1:
        return None
    return f"{ordinal(years)} year with us"


def build_context(facts: PersonalisationFacts) -> dict[str, Any]:
    """The template context.  Absent values are ``None`` (templates treat them as missing)."""
    first = clean_name(facts.first_name)
    last = clean_name(facts.last_name)
    display = " ".join(n for n in (first, last) if n) or None
    links = facts.links
    return {
        "first_name": first,
        "last_name": last,
        "display_name": display,
        "account_name": facts.account_name,
        "brand": facts.brand,
        "signed_by": facts.signed_by,
        "last_product": facts.last_product,
        "last_order_number": facts.last_order_number,
        "remembered_fact": facts.remembered_fact,
        "milestone": facts.milestone,
        "offer": facts.offer,
        "shop_url": links.shop_url,
        "order_url": links.order_url,
        "review_url": links.review_url,
        "nps_url": links.nps_url,
        "nps_scores": nps_score_links(links.nps_url) if links.nps_url else None,
        "referral_url": links.referral_url,
        "loyalty_url": links.loyalty_url,
        "unsubscribe_url": links.unsubscribe_url,
        "preferences_url": links.preferences_url,
    }
