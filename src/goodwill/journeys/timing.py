"""Durations, local times of day and important dates, as the journey language spells them.

Durations are written compactly: ``90m``, ``12h``, ``14d``, ``2w``, or combined ``1d12h``; an
offset may carry a sign (``-7d`` is seven days before).  Times of day are ``"HH:MM"`` in the
*person's* timezone.  Storage and the engine's clock are UTC; a local time only decides when a
wait ends, following the rule that local time is used for when to act, never for what is stored.

Everything here is pure: no clock is read, ``now`` is always an argument.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from goodwill.kit.clock import is_valid_zone, zone

#: Longer durations are refused when a definition loads (and ignored when read from data).
LONGEST_WAIT = timedelta(days=3660)
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1)}
_UNITS |= {"m": timedelta(minutes=1), "s": timedelta(seconds=1)}
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_LOCAL_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_duration(raw: object, *, signed: bool = False) -> timedelta:
    """``"1d12h"`` -> ``timedelta(days=1, hours=12)``.  Raises ``ValueError`` with the accepted form."""
    if isinstance(raw, timedelta):
        return raw
    if not isinstance(raw, str):
        raise ValueError(f"{raw!r} is not a duration; write it like 30m, 12h, 14d or 2w")
    text = raw.strip().replace(" ", "")
    sign = 1
    if signed and text[:1] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    match = _DURATION.match(text)
    if not text or match is None or not any(match.groups()):
        hint = " (a leading - means before)" if signed else ""
        raise ValueError(f"{raw!r} is not a duration; write it like 30m, 12h, 14d or 2w{hint}")
    total = timedelta()
    try:
        for amount, unit in zip(match.groups(), "wdhms", strict=True):
            if amount:
                total += int(amount) * _UNITS[unit]
    except OverflowError:
        total = timedelta.max
    if total > LONGEST_WAIT:
        raise ValueError(
            f"{raw!r} is longer than {LONGEST_WAIT.days // 365} years; no journey waits that long"
        )
    return sign * total


def format_duration(value: timedelta) -> str:
    """Inverse of :func:`parse_duration` (largest units first, ``0s`` for zero)."""
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + ("".join(parts) or "0s")


def parse_local_time(raw: object) -> time:
    """``"10:00"`` -> ``time(10, 0)``.

    YAML 1.1 reads an unquoted ``10:00`` as the base-60 integer 600; that integer is accepted and
    read back as 10:00 so authors are not punished for a missing pair of quotes.
    """
    if isinstance(raw, time):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 24 * 60:
        return time(raw // 60, raw % 60)
    if isinstance(raw, str):
        match = _LOCAL_TIME.match(raw.strip())
        if match:
            return time(int(match.group(1)), int(match.group(2)))
    raise ValueError(f'{raw!r} is not a time of day; write it as "HH:MM" (24-hour clock)')


def format_local_time(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


@lru_cache(maxsize=2048)
def _known_zone(name: str) -> tzinfo | None:
    return zone(name) if is_valid_zone(name) else None


def person_zone(name: str | None, fallback: str) -> tuple[tzinfo, str]:
    """The zone to act in and its display name; unknown names fall back (never fail at run time)."""
    tz = _known_zone(name) if name else None
    if tz is None or name is None:
        return _known_zone(fallback) or UTC, fallback
    return tz, name


def next_local_time(after: datetime, at: time, tz: tzinfo) -> datetime:
    """The earliest instant ``>= after`` whose wall-clock time in ``tz`` is ``at`` (UTC result).

    Across a spring-forward gap the nominal time does not exist; Python's zone rules map it to the
    instant just after the gap, which is what a person would expect ("the first 02:30 there is").
    """
    local = after.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tzinfo=tz).astimezone(UTC)
    if candidate < after:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=tz)
        candidate = candidate.astimezone(UTC)
    return candidate


def format_local(instant: datetime, tz: tzinfo, zone_name: str) -> str:
    """``2026-03-05 10:00 Europe/Lisbon``: how explanations show an instant to a person."""
    local = instant.astimezone(tz)
    if local.year < 1000:  # strftime does not pad the year; keep its spelling
        return f"{local:%Y-%m-%d %H:%M} {zone_name}"
    # the same text as strftime("%Y-%m-%d %H:%M"), at half the cost (the engine's hot path)
    return f"{local.isoformat(' ', 'minutes')[:16]} {zone_name}"


def anniversary_in_year(month: int, day: int, year: int) -> date:
    """The date a yearly (month, day) falls on in ``year``; 29 February becomes 28 February."""
    if month == 2 and day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, month, day)
