"""Pure rules of the forecast: the actual plus the open pipeline weighted by probability.

Nothing here touches the ORM. The tracking engine adds up the open deals in its
aggregate query (the same weighting, in SQL) and applies :func:`period_forecast`,
:func:`objective_to_miss` and :func:`plan_forecast` to what it read; the computed
fields apply them record by record. ``docs/forecast.md`` says what counts.
"""

from odoo.tools import SQL

from . import planning

# Registration states of the open deals a forecast weighs: a submitted registration
# is awaiting the vendor's review, an approved one protected; rejected, expired or
# withdrawn ones never count.
OPEN_STATES = ("submitted", "approved")
# The plan state in which a forecast can still miss: a running plan.
FORECAST_STATES = ("in_progress",)


def weighted(value, probability):
    """What an open deal weighs in a forecast: ``value`` (1 for a count, the summed
    field for a sum) times its probability (percent). A deal without a positive
    probability weighs nothing.

    >>> weighted(1, 30), weighted(20000.0, 75), weighted(5000, 0), weighted(1, None)
    (0.3, 15000.0, 0.0, 0.0)
    """
    if not probability or probability <= 0:
        return 0.0
    return (value or 0) * probability / 100.0


def expected_day(deadline, today):
    """The day an open deal is expected to close, which dates it into a period: its
    expected closing date, or today when it has none or it is already past (an open
    deal is expected *now*, not in a period that is over).

    >>> from datetime import date
    >>> today = date(2026, 5, 16)
    >>> expected_day(date(2026, 9, 30), today), expected_day(None, today)
    (datetime.date(2026, 9, 30), datetime.date(2026, 5, 16))
    >>> expected_day(date(2026, 1, 31), today)
    datetime.date(2026, 5, 16)
    """
    return max(deadline, today) if deadline else today


def period_forecast(actual, pipeline):
    """A period's forecast: its actual plus its weighted open pipeline (none for the
    kinds without a pipeline: their forecast is their actual).

    >>> period_forecast(3.0, 1.5), period_forecast(3.0, None)
    (4.5, 3.0)
    """
    return (actual or 0.0) + (pipeline or 0.0)


def period_forecast_sql(actual, pipeline):
    """:func:`period_forecast` in SQL, for the database to compare the stored forecasts
    itself (``actual`` and ``pipeline``: SQL of float8 values, maybe NULL); the same
    sum of the same floats, so the same value.

    >>> period_forecast_sql(SQL("a"), SQL("p")).code
    '(COALESCE(a, 0) + COALESCE(p, 0))'
    """
    return SQL("(COALESCE(%s, 0) + COALESCE(%s, 0))", actual, pipeline)


def objective_to_miss(forecast, target, date_end, plan_state, today, pipeline=True):
    """Whether an objective is *forecast to miss*: it has a pipeline (its forecast
    projects open deals; for the other kinds the forecast is only the actual so far,
    which says nothing of what the rest of the year brings), it has a target, its plan
    runs and is not over, and its forecast is below the target.

    >>> from datetime import date
    >>> end = date(2026, 12, 31)
    >>> objective_to_miss(8.0, 10.0, end, "in_progress", date(2026, 5, 16))
    True
    >>> objective_to_miss(10.0, 10.0, end, "in_progress", date(2026, 5, 16))
    False
    >>> objective_to_miss(8.0, 10.0, end, "in_progress", date(2027, 1, 1))  # over: missed
    False
    >>> objective_to_miss(8.0, 0.0, end, "in_progress", date(2026, 5, 16))  # no target
    False
    >>> objective_to_miss(8.0, 10.0, end, "draft", date(2026, 5, 16))
    False
    >>> objective_to_miss(8.0, 10.0, end, "in_progress", date(2026, 5, 16), pipeline=False)
    False
    """
    return bool(
        pipeline
        and target
        and target > 0
        and plan_state in FORECAST_STATES
        and date_end
        and today <= date_end
        and (forecast or 0.0) < target
    )


def plan_forecast(objectives):
    """``(forecast progress, forecast to miss)`` of a plan from its ``objectives``
    (``(forecast, target, weight, forecast to miss)``): the weighted mean of each
    objective's forecast over its target, capped at 100 (the rule of the plan's
    progress), objectives without a target left out; to miss when one of its objectives
    is (the others' forecast is their actual so far: a plan is not forecast to miss
    because the year is not over).

    >>> items = [(12.0, 10.0, 50, False), (5.0, 10.0, 50, True), (3.0, 0.0, 20, False)]
    >>> plan_forecast(items)
    (75.0, True)
    >>> plan_forecast([(10.0, 10.0, 1, False), (2.0, 4.0, 1, False)])
    (75.0, False)
    >>> plan_forecast([])
    (0.0, False)
    """
    counted = [item for item in objectives if item[1] > 0]
    progress = planning.weighted_progress(
        [
            (planning.progress_percent(forecast, target), weight)
            for forecast, target, weight, _to_miss in counted
        ]
    )
    return progress, any(to_miss for *_figures, to_miss in objectives)


def pipeline_of(forecast, actual):
    """The weighted open pipeline behind a forecast, as shown ("in your pipeline"):
    the forecast less the actual, never below zero.

    >>> pipeline_of(4.5, 3.0), pipeline_of(3.0, 3.0), pipeline_of(2.9999999, 3.0)
    (1.5, 0.0, 0.0)
    """
    return max((forecast or 0.0) - (actual or 0.0), 0.0)
