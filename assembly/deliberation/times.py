"""Times as people type and read them: in the assembly's time zone, stored in UTC.

Officers type a local date and time ("2027-03-14T18:00", what `<input type=datetime-local>`
sends, or with a space); members read it in words ("Friday 14 March at 6pm"). A time that does
not exist because the clocks go forward is refused; one that happens twice because they go back
is taken as the first.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_ZONE = "Europe/London"
_LOCAL = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?")


@functools.lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The zone called `name`; the default for a name this machine does not know (a row
    written before its zone data was removed should still show, not fail)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


@functools.lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_problem(name: str) -> str | None:
    """Why `name` is not a time zone we can use, or None."""
    if not name:
        return "Enter a time zone, for example Europe/London."
    if name not in zone_names():
        return (f"{name[:60]!r} is not a time zone name. Use a name like Europe/London, "
                "Europe/Dublin or America/New_York.")
    return None


def parse_local(text: str, zone_name: str) -> datetime:
    """A date and time typed in the assembly's zone, as an aware UTC datetime.

    Raises ValueError with a message that says what to type."""
    text = text.strip()
    match = _LOCAL.fullmatch(text)
    if not match:
        raise ValueError("Enter a date and time, for example 2027-03-14 18:00.")
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        naive = datetime(year, month, day, hour, minute)
    except ValueError:
        raise ValueError(f"{text[:20]} is not a real date and time. Check the day, month and "
                         "hour (00-23).") from None
    if not 2000 <= year <= 2200:
        raise ValueError("Enter a year between 2000 and 2200.")
    tz = zone(zone_name)
    local = naive.replace(tzinfo=tz)
    moment = local.astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != naive:
        raise ValueError(f"{naive:%H:%M} on {naive:%-d %B %Y} does not exist in {zone_name}: "
                         "the clocks go forward then. Choose a time an hour later.")
    return moment


def local_input(moment: datetime | None, zone_name: str) -> str:
    """The value for a `datetime-local` field."""
    if moment is None:
        return ""
    return moment.astimezone(zone(zone_name)).strftime("%Y-%m-%dT%H:%M")


def clock_in_words(local: datetime) -> str:
    """6pm, 6:30pm, midday."""
    if local.hour == 12 and local.minute == 0:
        return "midday"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def in_words(moment: datetime, zone_name: str, now: datetime | None = None) -> str:
    """"Friday 14 March at 6pm" in the assembly's zone; with the year when it is not this
    year's. Midnight is told as the end of the day before ("Thursday 13 March at midnight"),
    which is how people read a deadline."""
    tz = zone(zone_name)
    local = moment.astimezone(tz)
    if local.hour == 0 and local.minute == 0:
        day, clock = local - timedelta(minutes=1), "midnight"
    else:
        day, clock = local, clock_in_words(local)
    this_year = (now or moment).astimezone(tz).year
    year = "" if day.year == this_year else f" {day.year}"
    return f"{day:%A} {day.day} {day:%B}{year} at {clock}"


def date_in_words(moment: datetime, zone_name: str, now: datetime | None = None) -> str:
    """"Friday 14 March" (with the year when it is not this year's)."""
    tz = zone(zone_name)
    local = moment.astimezone(tz)
    this_year = (now or moment).astimezone(tz).year
    year = "" if local.year == this_year else f" {local.year}"
    return f"{local:%A} {local.day} {local:%B}{year}"


def span_in_words(start: datetime, end: datetime, zone_name: str,
                  now: datetime | None = None) -> str:
    """"Saturday 6 March, 10am to 4pm", or across days "... to Sunday 7 March at 1pm"."""
    tz = zone(zone_name)
    first, last = start.astimezone(tz), end.astimezone(tz)
    if first.date() == last.date():
        return (f"{date_in_words(start, zone_name, now)}, {clock_in_words(first)} to "
                f"{clock_in_words(last)}")
    return f"{in_words(start, zone_name, now)} to {in_words(end, zone_name, now)}"
