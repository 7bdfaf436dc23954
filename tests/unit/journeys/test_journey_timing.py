"""Durations, local times of day across DST, and yearly dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from goodwill.journeys.timing import (
    anniversary_in_year,
    format_duration,
    format_local,
    next_local_time,
    parse_duration,
    parse_local_time,
    person_zone,
)

LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)), ("14d", timedelta(days=14)),
     ("2w", timedelta(weeks=2)), ("1d12h", timedelta(days=1, hours=12)), ("90s", timedelta(seconds=90)),
     (" 1d 2h ", timedelta(days=1, hours=2))],
)  # fmt: skip
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("bad", ["", "14", "2 days", "d", "1h1d", 14, None, "-3d"])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(bad)


def test_absurd_durations_are_refused() -> None:
    assert parse_duration("520w") == timedelta(weeks=520)
    for bad in ["3661d", "99999999999999999999w"]:
        with pytest.raises(ValueError, match="no journey waits that long"):
            parse_duration(bad)


def test_signed_offsets() -> None:
    assert parse_duration("-7d", signed=True) == timedelta(days=-7)
    assert parse_duration("+3d", signed=True) == timedelta(days=3)
    assert format_duration(timedelta(days=-7)) == "-7d"
    assert format_duration(timedelta()) == "0s"


def test_local_times() -> None:
    assert parse_local_time("10:00") == time(10, 0)
    assert parse_local_time("7:05") == time(7, 5)
    assert parse_local_time(600) == time(10, 0)  # YAML 1.1 reads unquoted 10:00 as 600
    for bad in ["24:00", "10:60", "ten", 5000, True]:
        with pytest.raises(ValueError, match="is not a time of day"):
            parse_local_time(bad)


def test_next_local_time_is_the_first_matching_instant_at_or_after() -> None:
    after = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert next_local_time(after, time(10, 0), LISBON) == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert next_local_time(after, time(9, 0), LISBON) == after
    assert next_local_time(after, time(8, 0), LISBON) == datetime(2026, 3, 6, 8, 0, tzinfo=UTC)
    # New York is UTC-5 in early March: 10:00 local is 15:00 UTC
    assert next_local_time(after, time(10, 0), NEW_YORK) == datetime(2026, 3, 5, 15, 0, tzinfo=UTC)


def test_next_local_time_across_dst_changes() -> None:
    # Lisbon springs forward on 2026-03-29 at 01:00 -> 02:00 (UTC+1 after)
    before = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert next_local_time(before, time(10, 0), LISBON) == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
    # a time inside the gap still yields a real instant after ``after``
    gap = next_local_time(before, time(1, 30), LISBON)
    assert gap > before and gap.astimezone(LISBON).date() == date(2026, 3, 29)
    # falling back on 2026-10-25: 10:00 local is UTC+0 again
    autumn = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    assert next_local_time(autumn, time(10, 0), LISBON) == datetime(2026, 10, 25, 10, 0, tzinfo=UTC)


def test_zones_and_formatting() -> None:
    assert person_zone("Europe/Lisbon", "UTC")[1] == "Europe/Lisbon"
    assert person_zone("Not/AZone", "Europe/Paris")[1] == "Europe/Paris"
    assert person_zone(None, "UTC")[1] == "UTC"
    instant = datetime(2026, 7, 5, 9, 0, tzinfo=UTC)
    assert format_local(instant, LISBON, "Europe/Lisbon") == "2026-07-05 10:00 Europe/Lisbon"


def test_leap_day_anniversaries() -> None:
    assert anniversary_in_year(2, 29, 2027) == date(2027, 2, 28)
    assert anniversary_in_year(2, 29, 2028) == date(2028, 2, 29)
    assert anniversary_in_year(12, 31, 2026) == date(2026, 12, 31)
