"""Plan templates: the target rule of a template's objective lines and where a partner
stands among its peers. No ORM here; the template and plan models call these.
"""

from .figures import round_figure

# A growth rate (percent) outside this range is a typo: -100 % wipes the target out,
# +1000 % multiplies it by eleven.
GROWTH_MIN = -100
GROWTH_MAX = 1000
# Fewest partners on the same template and year for a peer benchmark to be shown:
# below, the quartiles would come too close to single partners' figures.
BENCHMARK_MIN_PARTNERS = 5


def line_target(rule, fixed, last_actual, growth_percent, floor, whole=False):
    """The target a template line gives a new plan's objective.

    ``rule`` ``"fixed"``: the ``fixed`` target. ``"growth"``: last year's actual
    × (1 + ``growth_percent`` / 100), never below ``floor``; the ``floor`` when there
    is no actual of last year (``last_actual`` None). ``whole`` for counts: rounded
    to a whole number (halves up, the one rounding rule), else to cents.

    >>> line_target("fixed", 12, 30, 10, 0)
    12.0
    >>> line_target("growth", 0, 20, 10, 5, whole=True)
    22.0
    >>> line_target("growth", 0, 13, 10, 0, whole=True)  # 14.3
    14.0
    >>> line_target("growth", 0, 15, 10, 0, whole=True)  # 16.5, a half: up
    17.0
    >>> line_target("growth", 0, 1000.0, -20, 900.0)  # 800, below the floor
    900.0
    >>> line_target("growth", 0, None, 10, 8)  # no plan last year: the floor
    8.0
    >>> line_target("growth", 0, 1234.567, 0, 0)
    1234.57
    """
    if rule == "fixed":
        value = fixed or 0.0
    elif last_actual is None:
        value = floor or 0.0
    else:
        value = max(last_actual * (1 + (growth_percent or 0.0) / 100), floor or 0.0)
    return float(round_figure(value, 0 if whole else 2))


def benchmark_position(progress, first_quartile, median, third_quartile):
    """Where a progress (percent) stands among its peers': ``"top_quarter"`` (above
    the third quartile), ``"above_median"``, ``"at_median"``, ``"below_median"`` or
    ``"bottom_quarter"`` (below the first quartile). When everyone is level, everyone
    is at the median.

    >>> [benchmark_position(p, 20, 40, 60) for p in (75, 60, 45, 40, 30, 20, 10)]
    ['top_quarter', 'above_median', 'above_median', 'at_median', 'below_median', \
'below_median', 'bottom_quarter']
    >>> benchmark_position(0, 0, 0, 0)
    'at_median'
    """
    if progress > third_quartile:
        return "top_quarter"
    if progress < first_quartile:
        return "bottom_quarter"
    if progress > median:
        return "above_median"
    if progress < median:
        return "below_median"
    return "at_median"


def benchmark_bar(progress, first_quartile, median, third_quartile):
    """Positions (percent of the bar's width) of a benchmark bar: the middle half of
    the peers (first to third quartile), their median and the partner's own
    progress, on a scale from 0 to 100 % or to the highest of these figures.

    >>> benchmark_bar(50, 20, 40, 60)
    {'band_left': 20.0, 'band_width': 40.0, 'median': 40.0, 'own': 50.0}
    >>> benchmark_bar(150, 20, 40, 60)["own"], benchmark_bar(150, 20, 40, 60)["median"]
    (100.0, 26.67)
    """
    scale = max(100.0, progress, third_quartile) / 100

    def place(value):
        return round(max(value, 0.0) / scale, 2)

    return {
        "band_left": place(first_quartile),
        "band_width": round(place(third_quartile) - place(first_quartile), 2),
        "median": place(median),
        "own": place(progress),
    }
