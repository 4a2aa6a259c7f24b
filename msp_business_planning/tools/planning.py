"""Pure planning arithmetic: periods, target spreading, progress and pacing.

Nothing here touches the ORM, so the rules can be read, and tested, on their own.
Progress figures are percentages (100.0 means the target is met).
"""

import calendar
from collections import namedtuple
from datetime import date, timedelta

PERIODICITY_MONTHS = {"annual": 12, "quarterly": 3, "monthly": 1}

# Plan states in which pacing is measured.
RUNNING_STATES = ("in_progress", "completed")

# Pacing thresholds: the share of the expected-to-date progress actually reached
# from which an objective is on track, and at risk (below: off track). The channel
# sets them in Settings; these are the defaults.
PacingThresholds = namedtuple("PacingThresholds", ["on_track", "at_risk"])
DEFAULT_THRESHOLDS = PacingThresholds(on_track=0.9, at_risk=0.7)


def _calendar_period(day, months):
    """The calendar period of ``months`` months (1, 3 or 12) that contains ``day``.

    >>> _calendar_period(date(2026, 5, 17), 3)
    (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    >>> _calendar_period(date(2024, 2, 10), 1)
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    first_month = (day.month - 1) // months * months + 1
    last_month = first_month + months - 1
    last_day = calendar.monthrange(day.year, last_month)[1]
    return date(day.year, first_month, 1), date(day.year, last_month, last_day)


def _period_label(start, months):
    if months == 12:
        return str(start.year)
    if months == 3:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return start.strftime("%Y-%m")


def split_periods(date_start, date_end, periodicity):
    """Split a plan into calendar periods, clipped to the plan dates.

    Each period is a dict with ``name``, ``date_start``, ``date_end`` (inclusive) and
    ``weight``: the share of its full calendar period the plan covers (1.0 unless clipped).

    >>> [p["name"] for p in split_periods(date(2026, 1, 1), date(2026, 12, 31), "quarterly")]
    ['Q1 2026', 'Q2 2026', 'Q3 2026', 'Q4 2026']
    >>> len(split_periods(date(2026, 1, 1), date(2026, 12, 31), "monthly"))
    12
    >>> p = split_periods(date(2026, 4, 15), date(2027, 4, 14), "quarterly")
    >>> [(x["name"], str(x["date_start"]), str(x["date_end"])) for x in p[:1] + p[-1:]]
    [('Q2 2026', '2026-04-15', '2026-06-30'), ('Q2 2027', '2027-04-01', '2027-04-14')]
    """
    if periodicity not in PERIODICITY_MONTHS:
        raise ValueError(f"Unknown periodicity {periodicity!r}")
    if not date_start or not date_end or date_end < date_start:
        return []
    months = PERIODICITY_MONTHS[periodicity]
    if months == 12:
        # An annual objective has one period: the plan itself, whatever its dates.
        label = (
            str(date_start.year)
            if date_start.year == date_end.year
            else (f"{date_start.year}-{date_end.year}")
        )
        return [{"name": label, "date_start": date_start, "date_end": date_end, "weight": 1.0}]
    periods = []
    day = date_start
    while day <= date_end:
        full_start, full_end = _calendar_period(day, months)
        start, end = max(full_start, date_start), min(full_end, date_end)
        weight = ((end - start).days + 1) / ((full_end - full_start).days + 1)
        periods.append(
            {
                "name": _period_label(full_start, months),
                "date_start": start,
                "date_end": end,
                "weight": weight,
            }
        )
        day = end + timedelta(days=1)
    return periods


def spread_target(total, weights, digits=2):
    """Spread ``total`` over periods in proportion to ``weights``, rounded to
    ``digits``; the last period absorbs the rounding so the parts add up exactly.

    >>> spread_target(100, [1, 1, 1])
    [33.33, 33.33, 33.34]
    >>> spread_target(10, [0.5, 1, 1, 1, 0.5])
    [1.25, 2.5, 2.5, 2.5, 1.25]
    >>> spread_target(0, [1, 1])
    [0.0, 0.0]
    """
    if not weights:
        return []
    weight_sum = sum(weights)
    parts = [round(total * w / weight_sum, digits) for w in weights[:-1]]
    parts.append(round(total - sum(parts), digits))
    return parts


def progress_percent(actual, target):
    """Actual over target, in percent; may exceed 100. A target of zero (not set)
    gives 0 rather than a division error.

    >>> progress_percent(30, 120)
    25.0
    >>> progress_percent(150, 100)
    150.0
    >>> progress_percent(5, 0)
    0.0
    """
    if not target or target <= 0:
        return 0.0
    return actual / target * 100.0


def weighted_progress(items):
    """Weighted mean of ``(progress, weight)`` pairs, each progress capped at 100 so
    that one over-achievement cannot hide a miss. Pairs with no weight are ignored.

    >>> weighted_progress([(200.0, 1), (0.0, 1)])
    50.0
    >>> weighted_progress([(50.0, 3), (100.0, 1)])
    62.5
    >>> weighted_progress([])
    0.0
    """
    total_weight = sum(weight for _progress, weight in items if weight > 0)
    if not total_weight:
        return 0.0
    return sum(min(progress, 100.0) * weight for progress, weight in items if weight > 0) / (
        total_weight
    )


def expected_progress(periods, today):
    """Progress (percent) one would expect by ``today`` at an even pace inside each
    period: the targets of elapsed periods, plus the elapsed share of the current one.

    ``periods`` are ``(date_start, date_end, target)`` triples. When no period has a
    target, time elapsed over the whole span is used instead.

    >>> q = [(date(2026, 1, 1), date(2026, 3, 31), 10), (date(2026, 4, 1), date(2026, 6, 30), 30)]
    >>> expected_progress(q, date(2026, 4, 1))
    25.0
    >>> round(expected_progress(q, date(2026, 5, 16)), 1)
    62.1
    >>> expected_progress(q, date(2025, 12, 1)), expected_progress(q, date(2027, 1, 1))
    (0.0, 100.0)
    """
    if not periods:
        return 0.0
    total = sum(target for _start, _end, target in periods)
    if total <= 0:
        start, end = min(p[0] for p in periods), max(p[1] for p in periods)
        periods, total = [(start, end, 1.0)], 1.0
    expected = 0.0
    for start, end, target in periods:
        expected += target * _elapsed_share(start, end, today)
    return expected / total * 100.0


def _elapsed_share(start, end, today):
    """Share of the days from ``start`` to ``end`` (inclusive) already over when
    ``today`` begins."""
    if today <= start:
        return 0.0
    if today > end:
        return 1.0
    return (today - start).days / ((end - start).days + 1)


def thresholds_from_percent(on_track, at_risk):
    """:class:`PacingThresholds` from the percentages set in Settings (numbers or
    texts, as system parameters hold them); the defaults for a missing or unusable
    value, or for an "at risk" threshold that is not below the "on track" one.

    >>> thresholds_from_percent("85", "60")
    PacingThresholds(on_track=0.85, at_risk=0.6)
    >>> thresholds_from_percent(None, "60") == DEFAULT_THRESHOLDS
    True
    >>> thresholds_from_percent("70", "90") == DEFAULT_THRESHOLDS
    True
    """
    try:
        on_track, at_risk = float(on_track), float(at_risk)
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLDS
    if not 0 < at_risk < on_track <= 100:
        return DEFAULT_THRESHOLDS
    return PacingThresholds(on_track=on_track / 100, at_risk=at_risk / 100)


def pacing_status(progress, expected, thresholds):
    """``on_track``, ``at_risk`` or ``off_track`` from the progress reached and the
    progress expected by now (both percent), by the ``thresholds``
    (:class:`PacingThresholds`, shares of the expected progress).

    >>> t = DEFAULT_THRESHOLDS
    >>> pacing_status(45, 50, t), pacing_status(40, 50, t), pacing_status(20, 50, t)
    ('on_track', 'at_risk', 'off_track')
    >>> pacing_status(40, 50, PacingThresholds(0.8, 0.5))
    'on_track'
    >>> pacing_status(0, 0, t)
    'on_track'
    """
    if expected <= 0:
        return "on_track"
    ratio = min(progress, 100.0) / min(expected, 100.0)
    if ratio >= thresholds.on_track:
        return "on_track"
    if ratio >= thresholds.at_risk:
        return "at_risk"
    return "off_track"


def period_expected(date_start, date_end, today):
    """Expected progress (percent) of one period by ``today``: :func:`expected_progress`
    of this one period, whatever its target, i.e. the elapsed share of its days.

    >>> period_expected(date(2026, 4, 1), date(2026, 6, 30), date(2026, 5, 16))
    49.45054945054945
    """
    return _elapsed_share(date_start, date_end, today) * 100.0


def period_pacing(date_start, date_end, target, progress, today, thresholds, expected=None):
    """Expected progress (percent) of one period by ``today`` and its pacing status
    by the ``thresholds``; the status is None while the period has not started, or
    when it has no target. ``expected``, when given, is :func:`period_expected`
    computed already.

    >>> t = DEFAULT_THRESHOLDS
    >>> period_pacing(date(2026, 1, 1), date(2026, 3, 31), 10, 50.0, date(2026, 4, 1), t)
    (100.0, 'off_track')
    >>> period_pacing(date(2026, 4, 1), date(2026, 6, 30), 10, 45.0, date(2026, 5, 16), t)
    (49.45054945054945, 'on_track')
    >>> period_pacing(date(2026, 7, 1), date(2026, 9, 30), 10, 0.0, date(2026, 5, 16), t)
    (0.0, None)
    >>> period_pacing(date(2026, 1, 1), date(2026, 3, 31), 0, 0.0, date(2026, 4, 1), t)
    (100.0, None)
    """
    if expected is None:
        expected = period_expected(date_start, date_end, today)
    if target <= 0 or today <= date_start:
        return expected, None
    return expected, pacing_status(progress, expected, thresholds)


def period_figure_columns(actuals, targets, starts, ends, running, today, thresholds):
    """The figures of many periods at once, by the rules above: ``(progresses,
    expected progresses, pacing statuses)``, one list each, of the periods whose
    ``actuals``, ``targets``, ``starts`` and ``ends`` are given as columns (sequences
    of the same length), ``running`` saying for each whether its plan is running (else
    no status). A status is None where :func:`period_pacing` gives none.

    Period for period, the same as :func:`progress_percent` and
    :func:`period_pacing` (a test compares them on every case), without a function
    call per period: the tracking engine computes hundreds of thousands of them. The
    expected progress is computed once per distinct range.

    >>> t = DEFAULT_THRESHOLDS
    >>> q1, q2 = (date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 6, 30))
    >>> period_figure_columns(
    ...     [5, 4.5, 4.5, 0], [10, 10, 10, 0], [q1[0], q2[0], q2[0], q2[0]],
    ...     [q1[1], q2[1], q2[1], q2[1]], [True, True, False, True], date(2026, 5, 16), t)
    ([50.0, 45.0, 45.0, 0.0], [100.0, 49.45054945054945, 49.45054945054945, \
49.45054945054945], ['off_track', 'on_track', None, None])
    """
    on_track, at_risk = thresholds
    # (expected progress, the same capped at 100, whether the period has started)
    elapsed = {}
    for start, end in set(zip(starts, ends, strict=True)):
        expected = period_expected(start, end, today)
        elapsed[start, end] = (expected, min(expected, 100.0), today > start)
    ranges = [elapsed[key] for key in zip(starts, ends, strict=True)]
    progresses = [
        actual / target * 100.0 if target > 0 else 0.0
        for actual, target in zip(actuals, targets, strict=True)
    ]
    statuses = []
    status = statuses.append
    for progress, target, (expected, capped, started), is_running in zip(
        progresses, targets, ranges, running, strict=True
    ):
        if not (is_running and started and target > 0):
            status(None)
        elif expected <= 0:
            status("on_track")
        else:
            ratio = (progress if progress < 100.0 else 100.0) / capped
            status(
                "on_track" if ratio >= on_track else "at_risk" if ratio >= at_risk else "off_track"
            )
    return progresses, [expected for expected, _capped, _started in ranges], statuses


# ------------------------------------------------------------
# BUSINESS REVIEWS
# ------------------------------------------------------------

# Months between two reviews of the annual playbook, by cadence.
REVIEW_CADENCE_MONTHS = {"quarterly": 3, "semiannual": 6}

# Industry benchmark for a placeholder IT budget: share of the client's annual
# revenue by IT maturity (seed 003).
IT_BUDGET_RATES = {"low": 0.05, "medium": 0.07, "high": 0.09}


def target_to_date(periods, day):
    """What should have been achieved by the end of ``day``: the targets of the
    periods over by then, plus the elapsed share of the period containing ``day``
    (``day`` itself counted).

    ``periods`` are ``(date_start, date_end, target)`` triples.

    >>> q = [(date(2026, 1, 1), date(2026, 3, 31), 10), (date(2026, 4, 1), date(2026, 6, 30), 30)]
    >>> target_to_date(q, date(2026, 3, 31))
    10.0
    >>> round(target_to_date(q, date(2026, 5, 15)), 2)
    24.84
    >>> target_to_date(q, date(2025, 12, 31)), target_to_date(q, date(2026, 12, 31))
    (0.0, 40.0)
    """
    next_day = day + timedelta(days=1)
    return float(
        sum(target * _elapsed_share(start, end, next_day) for start, end, target in periods)
    )


def split_plan_span(date_start, date_end, months):
    """Cut a plan into consecutive blocks of ``months`` months counted from its own
    start (the plan's quarters or halves, whatever day it starts), the last one
    clipped to the plan end.

    >>> split_plan_span(date(2026, 1, 1), date(2026, 12, 31), 6)
    [(datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)), \
(datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))]
    >>> [str(s) for s, _e in split_plan_span(date(2026, 4, 15), date(2027, 4, 14), 3)]
    ['2026-04-15', '2026-07-15', '2026-10-15', '2027-01-15']
    >>> split_plan_span(date(2026, 1, 31), date(2026, 5, 31), 3)[-1]
    (datetime.date(2026, 4, 30), datetime.date(2026, 5, 31))
    """
    blocks = []
    if not date_start or not date_end or date_end < date_start:
        return blocks
    index = 0
    start = date_start
    while start <= date_end:
        # Always count from the plan start, so month ends do not drift (31 Jan,
        # 30 Apr, 31 Jul...).
        next_start = _add_months(date_start, months * (index + 1))
        blocks.append((start, min(next_start - timedelta(days=1), date_end)))
        index += 1
        start = next_start
    return blocks


def _add_months(day, months):
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_date_in_block(date_start, date_end, today=None):
    """The day the playbook schedules a review inside its block: two weeks before
    the block ends, moved back to a weekday, never before the block starts. Never
    before ``today`` either, when given: a usual day already past gives today's (or
    the next weekday in the block); a block already over gives None.

    >>> review_date_in_block(date(2026, 1, 1), date(2026, 3, 31))
    datetime.date(2026, 3, 17)
    >>> review_date_in_block(date(2026, 4, 1), date(2026, 6, 30))  # 16 June is a Tuesday
    datetime.date(2026, 6, 16)
    >>> review_date_in_block(date(2026, 10, 1), date(2026, 12, 31))  # Thu 17 Dec
    datetime.date(2026, 12, 17)
    >>> review_date_in_block(date(2026, 8, 1), date(2026, 8, 9))  # a short block
    datetime.date(2026, 8, 3)
    >>> review_date_in_block(date(2026, 10, 1), date(2026, 12, 31), date(2026, 12, 1))
    datetime.date(2026, 12, 17)
    >>> review_date_in_block(date(2026, 10, 1), date(2026, 12, 31), date(2026, 12, 19))  # Sat
    datetime.date(2026, 12, 21)
    >>> review_date_in_block(date(2026, 1, 1), date(2026, 3, 31), date(2026, 12, 1)) is None
    True
    """
    if today and today > date_end:
        return None
    day = max(date_start, date_end - timedelta(days=14))
    while day.weekday() >= 5 and day > date_start:
        day -= timedelta(days=1)
    while day.weekday() >= 5 and day < date_end:
        day += timedelta(days=1)
    if today and day < today:
        day = today
        while day.weekday() >= 5 and day < date_end:
            day += timedelta(days=1)
    return day


def rotate_topics(count, topics, closing_topics=()):
    """Focus topics for ``count`` reviews in a row: the ``topics`` in rotation and
    the ``closing_topics`` (IT Strategy) at the end of each round, so the last
    review of the year is always a closing one.

    >>> rotate_topics(4, ["infra", "cloud", "security"], ["strategy"])
    ['infra', 'cloud', 'security', 'strategy']
    >>> rotate_topics(2, ["infra", "cloud", "security"], ["strategy"])
    ['security', 'strategy']
    >>> rotate_topics(5, ["infra", "cloud", "security"], ["strategy"])
    ['strategy', 'infra', 'cloud', 'security', 'strategy']
    >>> rotate_topics(3, [], []), rotate_topics(2, ["infra"])
    ([None, None, None], ['infra', 'infra'])
    """
    cycle = list(topics) + list(closing_topics)
    if not cycle:
        return [None] * count
    # Aligned on the end: the last review takes the last topic of the cycle.
    return [cycle[(index - count) % len(cycle)] for index in range(count)]


def default_review_period(review_date, plan_start, plan_end):
    """The period a review looks back on by default: the calendar quarter before
    the review, clipped to the plan; in the plan's first quarter, the plan start
    up to the review.

    >>> default_review_period(date(2026, 4, 10), date(2026, 1, 1), date(2026, 12, 31))
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    >>> default_review_period(date(2026, 2, 20), date(2026, 1, 1), date(2026, 12, 31))
    (datetime.date(2026, 1, 1), datetime.date(2026, 2, 20))
    >>> default_review_period(date(2026, 8, 3), date(2026, 5, 15), date(2027, 5, 14))
    (datetime.date(2026, 5, 15), datetime.date(2026, 6, 30))
    """
    quarter_start, _quarter_end = _calendar_period(review_date, 3)
    previous_end = quarter_start - timedelta(days=1)
    previous_start, _end = _calendar_period(previous_end, 3)
    start, end = max(previous_start, plan_start), min(previous_end, plan_end)
    if end < start:
        return plan_start, max(plan_start, min(review_date, plan_end))
    return start, end


def weighted_mean(items):
    """Mean of ``(value, weight)`` pairs weighted by their weights (the review's
    excellence score: topic scores weighted by topic weight). Pairs without a
    positive weight are ignored; no pair gives 0.

    >>> weighted_mean([(80, 1), (60, 1)])
    70.0
    >>> weighted_mean([(80, 3), (40, 1)])
    70.0
    >>> weighted_mean([(50, 0)]), weighted_mean([])
    (0.0, 0.0)
    """
    total_weight = sum(weight for _value, weight in items if weight > 0)
    if not total_weight:
        return 0.0
    return sum(value * weight for value, weight in items if weight > 0) / total_weight


def behind_pace(items, limit=3):
    """Keys of the items furthest behind pace, worst first, at most ``limit``.

    ``items`` are ``(key, progress, expected)`` triples (percent); the gap is the
    expected progress not reached, both capped at 100. Items on or ahead of pace
    are left out.

    >>> behind_pace([("a", 50, 60), ("b", 10, 70), ("c", 90, 80), ("d", 20, 40)])
    ['b', 'd', 'a']
    >>> behind_pace([("a", 150, 100), ("b", 95, 120)], limit=1)
    ['b']
    """
    gaps = [
        (min(expected, 100.0) - min(progress, 100.0), index, key)
        for index, (key, progress, expected) in enumerate(items)
    ]
    # Worst gap first; equal gaps keep their given order.
    behind = sorted((g for g in gaps if g[0] > 0), key=lambda g: (-g[0], g[1]))
    return [key for _gap, _index, key in behind[:limit]]


def it_budget_guide(annual_revenue, maturity):
    """Placeholder annual IT budget: the client's annual revenue times an industry
    benchmark rate by IT maturity (5% low, 7% medium, 9% high).

    >>> it_budget_guide(2_000_000, "medium")
    140000.0
    >>> it_budget_guide(1_000_000, "low"), it_budget_guide(0, "high"), it_budget_guide(10, None)
    (50000.0, 0.0, 0.0)
    """
    rate = IT_BUDGET_RATES.get(maturity)
    if not rate or not annual_revenue or annual_revenue < 0:
        return 0.0
    return round(annual_revenue * rate, 2)


def quarter_label(day):
    """Calendar quarter of ``day``, as the period targets name it.

    >>> quarter_label(date(2026, 5, 17))
    'Q2 2026'
    """
    return _period_label(_calendar_period(day, 3)[0], 3)


# ------------------------------------------------------------
# CHANNEL HEATMAP
# ------------------------------------------------------------


def year_quarters(year):
    """The four calendar quarters of ``year``, as ``(start, end)`` pairs.

    >>> year_quarters(2026)[1]
    (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    """
    return [_calendar_period(date(year, month, 1), 3) for month in (1, 4, 7, 10)]


def quarter_parts(date_start, date_end, target):
    """A period cut at calendar quarter ends, so that a period longer than a quarter
    (an annual objective's) counts in every quarter it spans rather than in the one
    it starts in. Returns ``(start, end, target)`` parts, in date order, the target
    spread in proportion to the days of each part (the even pace the expected
    progress assumes). What was achieved in each part is not read from the period:
    the heatmap asks the tracking engine for it, as of each quarter end.

    >>> parts = quarter_parts(date(2026, 1, 1), date(2026, 12, 31), 365.0)
    >>> [(str(start), str(end), target) for start, end, target in parts]
    [('2026-01-01', '2026-03-31', 90.0), ('2026-04-01', '2026-06-30', 91.0), \
('2026-07-01', '2026-09-30', 92.0), ('2026-10-01', '2026-12-31', 92.0)]
    >>> quarter_parts(date(2026, 4, 1), date(2026, 6, 30), 10.0)
    [(datetime.date(2026, 4, 1), datetime.date(2026, 6, 30), 10.0)]
    >>> [str(part[0]) for part in quarter_parts(date(2026, 2, 1), date(2026, 4, 30), 3.0)]
    ['2026-02-01', '2026-04-01']
    """
    spans = []
    start = date_start
    while start <= date_end:
        end = min(_calendar_period(start, 3)[1], date_end)
        spans.append((start, end))
        start = end + timedelta(days=1)
    if len(spans) == 1:
        return [(date_start, date_end, target)]
    days = (date_end - date_start).days + 1
    return [(start, end, target * ((end - start).days + 1) / days) for start, end in spans]
