"""Checks on the values the back office and JSON-RPC callers write, before the ORM
converts or stores them: a wrong number is named, never turned into a crash.

No ORM here: the models map each problem to a message in the user's words.
"""

import math

# Beyond a trillion a value is a typo or an attack, never a real figure; it also keeps
# every accepted value far from float overflow in sums.
MAX_ABS_VALUE = 1e12
# A business plan spans at most this many years: longer is a typo (2206 for 2026),
# and would generate thousands of monthly periods per objective.
MAX_PLAN_YEARS = 10


def number_issue(value, minimum=None, maximum=None, max_abs=MAX_ABS_VALUE):
    """What is wrong with ``value`` as a number within ``minimum`` and ``maximum``
    (both included) and ``max_abs``: ``None`` when nothing, else ``"not_a_number"``,
    ``"not_finite"``, ``"too_small"`` or ``"too_large"``. Texts holding a number are
    numbers, as the ORM reads them.

    >>> [number_issue(v) for v in (12, 12.5, "12", 0, -3)]
    [None, None, None, None, None]
    >>> [number_issue(v) for v in ("ten", None, True, [1])]
    ['not_a_number', 'not_a_number', 'not_a_number', 'not_a_number']
    >>> [number_issue(v) for v in (float("nan"), "inf", 1e13)]
    ['not_finite', 'not_finite', 'too_large']
    >>> number_issue(0, minimum=1), number_issue(101, 1, 100), number_issue(-0.5, minimum=0)
    ('too_small', 'too_large', 'too_small')
    """
    if isinstance(value, bool) or value is None:
        return "not_a_number"
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return "not_a_number"
    if not isinstance(value, int | float):
        return "not_a_number"
    if not math.isfinite(value):
        return "not_finite"
    if minimum is not None and value < minimum:
        return "too_small"
    if (maximum is not None and value > maximum) or abs(value) > max_abs:
        return "too_large"
    return None


def plan_span_issue(date_start, date_end, max_years=MAX_PLAN_YEARS):
    """What is wrong with a plan running from ``date_start`` to ``date_end``:
    ``None``, ``"reversed"`` or ``"too_long"``.

    >>> from datetime import date
    >>> plan_span_issue(date(2026, 1, 1), date(2026, 12, 31))
    >>> plan_span_issue(date(2026, 12, 31), date(2026, 1, 1))
    'reversed'
    >>> plan_span_issue(date(1900, 1, 1), date(2999, 12, 31))
    'too_long'
    """
    if date_end < date_start:
        return "reversed"
    if (date_end - date_start).days > max_years * 366:
        return "too_long"
    return None
