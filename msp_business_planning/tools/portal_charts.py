"""The figures behind the charts of the partner's plan page, as plain data.

No ORM here: the plan hands over its stored figures (period targets and actuals,
progress, done reviews and their scores) and gets back what each chart draws, in
the same shape as the tables printed beside the charts. The page embeds the result
in its render, so a chart never asks the server for anything.

Days are counted from the plan's start (``x`` = 0 on its first day, the number of
days of the plan at its end), so every chart of a plan shares one time axis.
"""

from datetime import timedelta

from . import figures, planning


def _day(date_start, day):
    return (day - date_start).days


def period_chart(periods, round_value):
    """Target against actual per period. ``periods`` are dicts with ``label``,
    ``target`` and ``actual``, in date order; ``round_value`` rounds a figure as the
    tables show it (whole counts, currency decimals).

    >>> rows = [
    ...     {"label": "Q1", "target": 2.5, "actual": 3},
    ...     {"label": "Q2", "target": 2.5, "actual": 0},
    ... ]
    >>> period_chart(rows, lambda v: figures.round_figure(v, 1))
    {'labels': ['Q1', 'Q2'], 'target': [2.5, 2.5], 'actual': [3.0, 0.0]}
    """
    return {
        "labels": [p["label"] for p in periods],
        "target": [round_value(p["target"]) for p in periods],
        "actual": [round_value(p["actual"]) for p in periods],
    }


def burnup_chart(periods, date_start, date_end, today, round_value):
    """Cumulative target against cumulative actual over the plan, today marked.

    ``periods`` are dicts with ``label``, ``date_start``, ``date_end``, ``target`` and
    ``actual``, in date order. The target line rises to each period's end; the actual
    line follows the periods already over, then stops at today with what the periods
    begun so far achieved (a period's actual is only known as a total, so nothing is
    drawn inside a period). ``today`` is ``None`` outside the plan.

    >>> from datetime import date
    >>> h1, h2 = (date(2026, 1, 1), date(2026, 6, 30)), (date(2026, 7, 1), date(2026, 12, 31))
    >>> rows = [
    ...     {"label": "H1", "date_start": h1[0], "date_end": h1[1], "target": 10, "actual": 4},
    ...     {"label": "H2", "date_start": h2[0], "date_end": h2[1], "target": 10, "actual": 1},
    ... ]
    >>> chart = burnup_chart(rows, h1[0], h2[1], date(2026, 8, 1), round)
    >>> chart["target"]
    [{'x': 0, 'y': 0}, {'x': 181, 'y': 10}, {'x': 365, 'y': 20}]
    >>> chart["actual"]
    [{'x': 0, 'y': 0}, {'x': 181, 'y': 4}, {'x': 212, 'y': 5}]
    >>> chart["rows"]
    [{'label': 'H1', 'target': 10, 'actual': 4}, {'label': 'H2', 'target': 20, 'actual': None}]
    >>> chart["today"], chart["target_to_date"], chart["actual_to_date"]
    ({'x': 212}, 12, 5)
    """
    target_points, actual_points = [{"x": 0, "y": 0}], [{"x": 0, "y": 0}]
    cumulative_target = cumulative_actual = 0.0
    started = []
    for period in periods:
        end_x = _day(date_start, period["date_end"]) + 1
        cumulative_target += period["target"]
        target_points.append({"x": end_x, "y": round_value(cumulative_target)})
        if today is None or period["date_start"] <= today:
            started.append(period)
        if today is None or period["date_end"] < today:
            cumulative_actual += period["actual"]
            actual_points.append({"x": end_x, "y": round_value(cumulative_actual)})
    actual_to_date = sum(p["actual"] for p in started)
    # The same figures as a table (the chart's text alternative): cumulative target
    # and actual at the end of each period, the actual left empty until it is over.
    actual_at = {point["x"]: point["y"] for point in actual_points}
    rows = [
        {"label": period["label"], "target": point["y"], "actual": actual_at.get(point["x"])}
        for period, point in zip(periods, target_points[1:], strict=True)
    ]
    chart = {
        "ticks": [{"x": _day(date_start, p["date_end"]) + 1, "label": p["label"]} for p in periods],
        "max_x": _day(date_start, date_end) + 1,
        "target": target_points,
        "actual": actual_points,
        "rows": rows,
        "today": None,
        "target_to_date": None,
        "actual_to_date": round_value(actual_to_date),
    }
    if today is not None:
        today_x = _day(date_start, today)
        if actual_points[-1]["x"] != today_x:
            actual_points.append({"x": today_x, "y": round_value(actual_to_date)})
        chart["today"] = {"x": today_x}
        chart["target_to_date"] = round_value(
            planning.target_to_date(
                [(p["date_start"], p["date_end"], p["target"]) for p in periods],
                today - timedelta(days=1),
            )
        )
    return chart


def month_ends(date_start, date_end):
    """The last day of each calendar month the span touches, clipped to its end.

    >>> from datetime import date
    >>> month_ends(date(2026, 11, 15), date(2027, 1, 10))
    [datetime.date(2026, 11, 30), datetime.date(2026, 12, 31), datetime.date(2027, 1, 10)]
    """
    ends = []
    day = date_start
    while day <= date_end:
        next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        ends.append(min(next_month - timedelta(days=1), date_end))
        day = next_month
    return ends


def plan_progress_chart(
    objectives, reviews, progress, expected_today, date_start, date_end, today, label_of
):
    """Plan progress against the expected progress over the plan, in percent.

    ``objectives`` are dicts with ``weight`` and ``periods`` (``(date_start,
    date_end, target)`` triples); the expected line is the plan's own rule
    (:func:`..planning.expected_progress` per objective, their weighted mean) at the
    end of each month. The progress line is what is on record: the attainment of
    each done review as of the end of its period, then today's ``progress`` against
    ``expected_today`` (the plan's stored figures; ``today`` is ``None`` outside the
    plan). ``reviews`` are dicts with
    ``period_end`` and ``progress``; ``label_of`` writes a date.

    >>> from datetime import date
    >>> objs = [{"weight": 1, "periods": [(date(2026, 1, 1), date(2026, 12, 31), 12)]}]
    >>> year = (date(2026, 1, 1), date(2026, 12, 31))
    >>> chart = plan_progress_chart(objs, [], 40, 50, *year, date(2026, 7, 1), str)
    >>> chart["expected"][0], chart["expected"][-1], chart["today"]
    ({'x': 0, 'y': 0}, {'x': 365, 'y': 100}, {'x': 181})
    >>> chart["progress"]
    [{'x': 181, 'y': 40, 'label': '2026-07-01', 'expected': 50}]
    """
    counted = [o for o in objectives if sum(p[2] for p in o["periods"]) > 0]

    def expected_on(day):
        return planning.weighted_progress(
            [(planning.expected_progress(o["periods"], day), o["weight"]) for o in counted]
        )

    expected = [{"x": 0, "y": 0}]
    ticks = []
    for end in month_ends(date_start, date_end):
        x = _day(date_start, end) + 1
        expected.append({"x": x, "y": figures.percent(expected_on(end + timedelta(days=1)))})
        ticks.append({"x": x, "label": label_of(end)})
    # Each recorded point also reads as a row of the chart's table: its date, the
    # progress then and the progress expected then.
    points = [
        {
            "x": _day(date_start, r["period_end"]) + 1,
            "y": figures.percent(r["progress"]),
            "label": label_of(r["period_end"]),
            "expected": figures.percent(expected_on(r["period_end"] + timedelta(days=1))),
        }
        for r in sorted(reviews, key=lambda r: r["period_end"])
        if date_start <= r["period_end"] <= date_end
    ]
    chart = {"ticks": ticks, "max_x": _day(date_start, date_end) + 1, "today": None}
    if today is not None:
        today_x = _day(date_start, today)
        points = [p for p in points if p["x"] < today_x]
        points.append(
            {
                "x": today_x,
                "y": figures.percent(progress),
                "label": label_of(today),
                "expected": figures.percent(expected_today),
            }
        )
        chart["today"] = {"x": today_x}
    chart.update({"expected": expected, "progress": points})
    return chart


def scorecard_chart(reviews, topics):
    """The scorecard per topic across done reviews: one line per topic (never
    stacked nor added up), a point per review that scored it, 0-100.

    ``reviews`` are dicts with ``label`` and ``scores`` (topic id -> score), in date
    order; ``topics`` are ``(id, name)`` pairs in display order. A topic no review
    scored gets no line; a review that did not score a topic leaves a gap.

    >>> chart = scorecard_chart(
    ...     [{"label": "Mar", "scores": {1: 40}}, {"label": "Jun", "scores": {1: 55, 2: 70}}],
    ...     [(1, "Cloud"), (2, "Security"), (3, "Strategy")],
    ... )
    >>> chart["labels"]
    ['Mar', 'Jun']
    >>> chart["series"]
    [{'topic': 'Cloud', 'scores': [40, 55]}, {'topic': 'Security', 'scores': [None, 70]}]
    """
    series = []
    for topic_id, name in topics:
        scores = [r["scores"].get(topic_id) for r in reviews]
        if any(score is not None for score in scores):
            series.append(
                {
                    "topic": name,
                    "scores": [None if s is None else figures.score(s) for s in scores],
                }
            )
    return {"labels": [r["label"] for r in reviews], "series": series}
