"""Business reviews as calendar meetings: the arithmetic of their times.

Plain functions (no ORM) between a review's day and its meeting's UTC start: a
review has a date, its meeting a moment. A new meeting starts at a fixed hour of
the organizer's day; a moved review keeps the hour its meeting had.

>>> from datetime import date, datetime
>>> meeting_start(date(2027, 3, 10), "Europe/Brussels")
datetime.datetime(2027, 3, 10, 9, 0)
>>> meeting_start(date(2027, 3, 17), "Europe/Brussels", datetime(2027, 3, 10, 13, 30))
datetime.datetime(2027, 3, 17, 13, 30)
>>> meeting_day(datetime(2027, 3, 10, 23, 30), "Europe/Brussels")
datetime.date(2027, 3, 11)
"""

from datetime import datetime, time, timedelta

import pytz

# When a new review meeting starts, in the organizer's timezone.
DEFAULT_START_TIME = time(10, 0)


def _zone(tz_name):
    try:
        return pytz.timezone(tz_name or "UTC")
    except pytz.UnknownTimeZoneError:
        return pytz.utc


def meeting_start(day, tz_name, current_start=None):
    """The naive UTC start of a meeting on ``day`` (a date) in timezone ``tz_name``:
    at the local time of ``current_start`` (naive UTC) when the meeting exists, at
    :data:`DEFAULT_START_TIME` otherwise."""
    zone = _zone(tz_name)
    at = DEFAULT_START_TIME
    if current_start:
        at = pytz.utc.localize(current_start).astimezone(zone).time()
    local = zone.localize(datetime.combine(day, at))
    return local.astimezone(pytz.utc).replace(tzinfo=None)


def meeting_stop(start, hours):
    """The end of a meeting starting at ``start`` and lasting ``hours``."""
    return start + timedelta(hours=hours)


def meeting_day(start, tz_name):
    """The day (in timezone ``tz_name``) of a meeting starting at ``start``
    (naive UTC): the date of the review it stands for."""
    return pytz.utc.localize(start).astimezone(_zone(tz_name)).date()


def meeting_hours(start, stop):
    """How long a meeting lasts, in hours."""
    return round((stop - start).total_seconds() / 3600.0, 4)
