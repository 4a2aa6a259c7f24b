"""How figures read: one rounding rule for every number the addon shows.

The back office, the portal, the PDF reports and the workbook all round with
:func:`round_figure`, so that the same plan never reads 13 % in one place and 12 % in
another (Python's ``round`` and ``'%.0f'`` round half to even, the web client's
``Math.round`` half up). No ORM here; :func:`format_figure` only formats the rounded
number in the reader's language.
"""

from decimal import ROUND_HALF_UP, Decimal

# How an objective's target and actual read.
FIGURE_KINDS = [
    ("amount", "Amount"),  # an amount in the plan currency, with its symbol
    ("count", "Count"),  # a whole number of deals or completions
    ("number", "Number"),  # a number reported by hand, decimals when it has some
]

# Decimals shown for a number reported by hand, when it is not a whole number.
NUMBER_DIGITS = 2
# Decimals shown for a weighted count (a forecast: deals times their probability is
# not a whole number of deals), whole or not, so that it never reads as a count.
WEIGHTED_DIGITS = 1


def round_figure(value, digits=0):
    """``value`` rounded to ``digits`` decimals, halves away from zero, as people
    round (and as the web client's progress bars do); a whole number (``int``) when
    ``digits`` is 0. The decimal written (``repr``) is rounded, not its binary
    approximation: 2.675 gives 2.68.

    >>> round_figure(12.5), round_figure(13.5), round_figure(12.49), round_figure(-12.5)
    (13, 14, 12, -13)
    >>> round_figure(2.675, 2), round_figure(0.125, 2), round_figure(None)
    (2.68, 0.13, 0)
    """
    exponent = Decimal(1).scaleb(-digits)
    rounded = Decimal(repr(float(value or 0.0))).quantize(exponent, rounding=ROUND_HALF_UP)
    return int(rounded) if digits <= 0 else float(rounded)


def percent(value):
    """A percentage (progress, pacing, attainment) as shown: a whole number.

    >>> percent(12.5), percent(183.33), percent(0)
    (13, 183, 0)
    """
    return round_figure(value)


def score(value):
    """An excellence score (0-100) as shown everywhere: a whole number out of 100.

    >>> score(72.5), score(71.49)
    (73, 71)
    """
    return round_figure(value)


def figure_digits(kind, value=0.0, currency_digits=2):
    """Decimals shown for a target or actual of ``kind``: none for a count, the
    currency's for an amount, and for a number reported by hand none when it is
    whole (at the decimals shown), else two.

    >>> figure_digits("count", 4.6), figure_digits("amount", 1.5, 0), figure_digits("amount", 1)
    (0, 0, 2)
    >>> figure_digits("number", 12.0), figure_digits("number", 12.5), figure_digits("number", 3.001)
    (0, 2, 0)
    >>> figure_digits("weighted", 4.0)
    1
    """
    if kind == "count":
        return 0
    if kind == "weighted":
        return WEIGHTED_DIGITS
    if kind == "amount":
        return currency_digits
    rounded = round_figure(value, NUMBER_DIGITS)
    return 0 if rounded == int(rounded) else NUMBER_DIGITS


def figure_value(value, kind, currency_digits=2):
    """A target or actual rounded as it is shown (:func:`figure_digits`): an ``int``
    for a count or a whole number.

    >>> figure_value(5.0, "count"), figure_value(240000, "amount"), figure_value(2.5, "number")
    (5, 240000.0, 2.5)
    """
    digits = figure_digits(kind, value, currency_digits)
    return round_figure(value, digits)


def forecast_kind(kind, pipeline=True):
    """How a forecast of an objective of ``kind`` reads: a count's is weighted (one
    decimal, :data:`WEIGHTED_DIGITS`) when the objective has a pipeline (otherwise its
    forecast is its actual, a count); an amount or a number reads as its actual.

    >>> forecast_kind("count"), forecast_kind("amount"), forecast_kind("number")
    ('weighted', 'amount', 'number')
    >>> forecast_kind("count", pipeline=False)
    'count'
    >>> figure_value(2.25, forecast_kind("count")), figure_value(3.0, forecast_kind("count"))
    (2.3, 3.0)
    """
    return "weighted" if kind == "count" and pipeline else kind


def format_figure(value, kind, lang_format, currency=None):
    """Text of a target or actual of ``kind``: rounded by :func:`figure_value`, grouped
    by ``lang_format`` (a function ``(number, digits) -> text`` such as Odoo's
    ``formatLang``), and for an amount the ``currency``'s symbol
    (``(symbol, position, digits)``) before or after it.

    >>> fmt = lambda number, digits: f"{number:,.{digits}f}"
    >>> format_figure(240000, "amount", fmt, ("€", "after", 2))
    '240,000.00\\xa0€'
    >>> format_figure(1234.5, "amount", fmt, ("$", "before", 2))
    '$\\xa01,234.50'
    >>> format_figure(5.0, "count", fmt), format_figure(2.5, "number", fmt)
    ('5', '2.50')
    """
    currency_digits = currency[2] if currency else 2
    digits = figure_digits(kind, value, currency_digits)
    text = lang_format(round_figure(value, digits), digits)
    if kind != "amount" or not currency or not currency[0]:
        return text
    symbol, position = currency[0], currency[1]
    return (
        f"{symbol}\N{NO-BREAK SPACE}{text}"
        if position == "before"
        else (f"{text}\N{NO-BREAK SPACE}{symbol}")
    )


def format_percent(value):
    """A percentage as shown: ``"13%"``.

    >>> format_percent(12.5), format_percent(100)
    ('13%', '100%')
    """
    return f"{percent(value)}%"


def format_score(value):
    """An excellence score as shown: the whole number, as its topics' scores read.

    >>> format_score(72.5), format_score(71.49)
    ('73', '71')
    """
    return str(score(value))
