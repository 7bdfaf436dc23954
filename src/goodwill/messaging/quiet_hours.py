"""Quiet hours: a daily local-time window in which non-urgent messages wait.

Pure and timezone-correct: the window is read in the person's own zone, may wrap midnight
(21:00-08:00) and survives DST changes (an end time that does not exist on a spring-forward day
resolves to the first existing instant after it; on a fall-back day the later occurrence of a
repeated hour is used when the earlier one is already past).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from goodwill.kit.clock import as_utc


@dataclass(frozen=True, slots=True)
class QuietHours:
    """``start`` inclusive, ``end`` exclusive, both local wall-clock times; ``start == end``
    means no quiet hours."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local wall-clock times; give them without tzinfo")

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"21:00-08:00"`` -> QuietHours; ``""`` or ``"off"`` -> no quiet hours."""
        cleaned = text.strip().lower()
        if cleaned in {"", "off", "none"}:
            return cls(time(0, 0), time(0, 0))
        try:
            first, second = (time.fromisoformat(p.strip()) for p in cleaned.split("-"))
        except ValueError:
            raise ValueError(f"quiet hours {text!r} should look like 21:00-08:00") from None
        return cls(first, second)

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: datetime, tz: tzinfo) -> bool:
        """Is ``moment`` (aware, any zone) inside quiet hours in zone ``tz``?"""
        if not self.enabled:
            return False
        tod = as_utc(moment).astimezone(tz).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= tod < self.end
        return tod >= self.start or tod < self.end

    def next_open(self, moment: datetime, tz: tzinfo) -> datetime:
        """The earliest instant at or after ``moment`` outside quiet hours (UTC)."""
        current = as_utc(moment)
        if not self.contains(current, tz):
            return current
        local = current.astimezone(tz)
        day = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            day += timedelta(days=1)
        for fold in (0, 1):
            candidate = datetime.combine(day, self.end, tzinfo=tz).replace(fold=fold)
            candidate = candidate.astimezone(UTC)
            if candidate > current and not self.contains(candidate, tz):
                return candidate
        # Only reachable around unusual zone transitions: walk forward minute by minute.
        candidate = current.replace(second=0, microsecond=0)
        for _ in range(3 * 24 * 60):
            candidate += timedelta(minutes=1)
            if not self.contains(candidate, tz):
                return candidate
        raise AssertionError("quiet hours never end")  # pragma: no cover
