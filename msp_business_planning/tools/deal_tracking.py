"""Pure rules behind deal registrations and the objectives tracked from them.

Nothing here touches the ORM. Days are ``datetime.date`` values taken in UTC, so a
result never depends on the timezone of whoever computes it.
"""

import bisect
from collections import defaultdict
from datetime import timedelta

# An approved registration is protected for this many days unless configured otherwise.
DEFAULT_PROTECTION_DAYS = 90
# The partner is warned this many days before its protection period ends.
EXPIRY_NOTICE_DAYS = 7

# What each automatic objective kind counts among a partner's registered deals (always
# active ones), and the day that dates a deal into a period:
# - deal registrations: submitted or approved, by registration day;
# - qualified: approved registrations turned opportunities, by the day that became true;
# - won deals: approved registrations in a won stage, by the UTC day of closing.
# ``pipeline``: whether the kind's forecast adds the open deals weighted by their
# probability (``tools/forecast.py``). Only won deals have a pipeline: a registration
# counts the day it is registered, a qualified one the day it is qualified, so every
# open deal those kinds will count is counted already (their forecast is the actual).
TRACKED_KINDS = {
    "deal_registration": {
        "states": ("submitted", "approved"),
        "date_field": "registration_date",
        "won": False,
        "pipeline": False,
    },
    "qualified_deal_registration": {
        "states": ("approved",),
        "date_field": "registration_qualified_date",
        "won": False,
        "pipeline": False,
    },
    "won_deal": {
        "states": ("approved",),
        "date_field": "date_closed",
        "won": True,
        "pipeline": True,
    },
}


def has_pipeline(kind):
    """Whether objectives of ``kind`` forecast open deals (weighted by probability):
    for the other kinds, manual and other modules' included, the forecast is the actual.

    >>> has_pipeline("won_deal"), has_pipeline("deal_registration"), has_pipeline("manual")
    (True, False, False)
    """
    return bool(TRACKED_KINDS.get(kind, {}).get("pipeline"))


def utc_day(value):
    """The UTC calendar day of a naive UTC datetime (as Odoo stores them) or of a date.

    >>> from datetime import date, datetime
    >>> utc_day(datetime(2026, 3, 31, 23, 30))
    datetime.date(2026, 3, 31)
    >>> utc_day(date(2026, 4, 1)), utc_day(False)
    (datetime.date(2026, 4, 1), False)
    """
    if not value:
        return False
    return value.date() if hasattr(value, "date") else value


def expiry_date(approval_day, protection_days):
    """Last protected day of a registration approved on ``approval_day``.

    >>> from datetime import date
    >>> expiry_date(date(2026, 1, 1), 90)
    datetime.date(2026, 4, 1)
    """
    return approval_day + timedelta(days=protection_days)


def expiry_notice_due(expiry, today, notice_days=EXPIRY_NOTICE_DAYS):
    """Whether the partner must now be told that its protection ends on ``expiry``:
    from ``notice_days`` before it, until the day itself.

    >>> from datetime import date
    >>> [expiry_notice_due(date(2026, 3, 10), date(2026, 3, d)) for d in (2, 3, 10, 11)]
    [False, True, True, False]
    """
    return bool(expiry) and expiry - timedelta(days=notice_days) <= today <= expiry


def is_expired(expiry, today):
    """An approved registration expires the day after its last protected day.

    >>> from datetime import date
    >>> expiry = date(2026, 3, 10)
    >>> is_expired(expiry, date(2026, 3, 10)), is_expired(expiry, date(2026, 3, 11))
    (False, True)
    """
    return bool(expiry) and today > expiry


class RateTable:
    """Currency rates of one company, answering as ``res.currency._get_rates`` does:
    the company's own rate, else a shared one, of the latest day on or before the
    day asked; failing that the earliest rate known; failing that 1.0.

    ``rates`` are ``(currency_id, day, rate, company_specific)`` tuples.

    >>> from datetime import date
    >>> table = RateTable([
    ...     (2, date(2026, 1, 1), 1.10, False),
    ...     (2, date(2026, 4, 1), 1.20, False),
    ...     (2, date(2026, 5, 1), 1.50, True),
    ... ])
    >>> [table.rate(2, date(2026, month, 30)) for month in (3, 4, 6)]
    [1.1, 1.2, 1.5]
    >>> table.rate(2, date(2025, 6, 1)), table.rate(3, date(2026, 6, 1))
    (1.5, 1.0)
    """

    def __init__(self, rates):
        by_kind = defaultdict(list)
        for currency_id, day, rate, company_specific in rates:
            by_kind[currency_id, bool(company_specific)].append((day, rate))
        self._days = {}
        self._rates = {}
        for key, values in by_kind.items():
            values.sort()
            self._days[key] = [day for day, _rate in values]
            self._rates[key] = [rate for _day, rate in values]

    def _latest(self, key, day):
        days = self._days.get(key)
        if not days:
            return None
        index = bisect.bisect_right(days, day)
        return self._rates[key][index - 1] if index else None

    def _earliest(self, key):
        rates = self._rates.get(key)
        return rates[0] if rates else None

    def rate(self, currency_id, day):
        for candidate in (
            self._latest((currency_id, True), day),
            self._latest((currency_id, False), day),
            self._earliest((currency_id, True)),
            self._earliest((currency_id, False)),
        ):
            if candidate is not None:
                return candidate
        return 1.0

    def convert(self, amount, from_currency_id, to_currency_id, day):
        """``amount`` of ``from_currency_id`` in ``to_currency_id`` at the rates of ``day``.

        >>> from datetime import date
        >>> table = RateTable([(2, date(2026, 1, 1), 0.5, False)])
        >>> day = date(2026, 2, 1)
        >>> table.convert(100.0, 1, 2, day), table.convert(100.0, 2, 1, day)
        (50.0, 200.0)
        >>> table.convert(100.0, 2, 2, date(2026, 2, 1))
        100.0
        """
        if from_currency_id == to_currency_id or not amount:
            return amount
        return amount * self.rate(to_currency_id, day) / self.rate(from_currency_id, day)


def sum_converted(rows, target_currencies, rate_tables):
    """Add up dated amounts per period target, each converted into its target's currency.

    ``rows`` are ``(target_id, currency_id, day, amount)``; ``target_currencies`` maps a
    target to ``(currency_id, company_id)``; ``rate_tables`` maps a company to its
    :class:`RateTable`.

    >>> from datetime import date
    >>> rates = [(2, date(2026, 1, 1), 2.0, False), (2, date(2026, 7, 1), 4.0, False)]
    >>> tables = {1: RateTable(rates)}
    >>> rows = [
    ...     (10, 1, date(2026, 2, 1), 100.0),
    ...     (10, 1, date(2026, 8, 1), 100.0),
    ...     (11, 2, date(2026, 8, 1), 8.0),
    ... ]
    >>> sum_converted(rows, {10: (2, 1), 11: (2, 1)}, tables)
    {10: 600.0, 11: 8.0}
    """
    totals = defaultdict(float)
    for target_id, currency_id, day, amount in rows:
        to_currency_id, company_id = target_currencies[target_id]
        totals[target_id] += rate_tables[company_id].convert(
            amount or 0.0, currency_id, to_currency_id, day
        )
    return dict(totals)
