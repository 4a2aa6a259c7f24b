"""The pure planning arithmetic, tested without the ORM (plus its doctests)."""

from datetime import date
from itertools import pairwise

from ..tools import planning
from .common import MspDoctestCase


class TestPlanningMath(MspDoctestCase):
    def test_doctests(self):
        self.assertDoctests(planning, at_least=11)

    def test_quarters_of_a_calendar_year(self):
        periods = planning.split_periods(date(2026, 1, 1), date(2026, 12, 31), "quarterly")
        self.assertEqual(
            [(p["date_start"], p["date_end"]) for p in periods],
            [
                (date(2026, 1, 1), date(2026, 3, 31)),
                (date(2026, 4, 1), date(2026, 6, 30)),
                (date(2026, 7, 1), date(2026, 9, 30)),
                (date(2026, 10, 1), date(2026, 12, 31)),
            ],
        )
        self.assertEqual({p["weight"] for p in periods}, {1.0})

    def test_months_of_a_leap_year(self):
        periods = planning.split_periods(date(2024, 1, 1), date(2024, 12, 31), "monthly")
        self.assertEqual(len(periods), 12)
        self.assertEqual(periods[1]["date_end"], date(2024, 2, 29))
        self.assertEqual(periods[1]["name"], "2024-02")
        # Contiguous, no gap, no overlap.
        for previous, current in pairwise(periods):
            self.assertEqual((current["date_start"] - previous["date_end"]).days, 1)

    def test_plan_not_starting_january_first_is_clipped(self):
        periods = planning.split_periods(date(2026, 4, 15), date(2027, 4, 14), "quarterly")
        self.assertEqual(len(periods), 5)
        self.assertEqual(periods[0]["date_start"], date(2026, 4, 15))
        self.assertEqual(periods[-1]["date_end"], date(2027, 4, 14))
        self.assertAlmostEqual(periods[0]["weight"], 77 / 91)
        self.assertAlmostEqual(periods[-1]["weight"], 14 / 91)

    def test_annual_is_one_period_over_the_plan(self):
        periods = planning.split_periods(date(2026, 7, 1), date(2027, 6, 30), "annual")
        self.assertEqual(len(periods), 1)
        self.assertEqual(periods[0]["name"], "2026-2027")

    def test_empty_or_reversed_span_has_no_period(self):
        self.assertEqual(planning.split_periods(date(2026, 5, 1), date(2026, 4, 1), "monthly"), [])

    def test_spread_adds_up_exactly(self):
        parts = planning.spread_target(1000, [1] * 12)
        self.assertAlmostEqual(sum(parts), 1000, places=6)
        self.assertEqual(parts[0], 83.33)

    def test_progress_capped_in_weighted_mean(self):
        # One objective at 300% cannot hide a missed one.
        self.assertEqual(planning.weighted_progress([(300.0, 50), (0.0, 50)]), 50.0)
        self.assertEqual(planning.weighted_progress([(80.0, 1), (40.0, 3)]), 50.0)

    def test_zero_target_never_divides_by_zero(self):
        self.assertEqual(planning.progress_percent(12, 0), 0.0)
        self.assertEqual(
            planning.expected_progress(
                [(date(2026, 1, 1), date(2026, 12, 31), 0)], date(2026, 7, 2)
            ),
            planning.expected_progress(
                [(date(2026, 1, 1), date(2026, 12, 31), 5)], date(2026, 7, 2)
            ),
        )

    def test_expected_progress_follows_period_targets(self):
        # A back-loaded plan expects little early in the year.
        periods = [
            (date(2026, 1, 1), date(2026, 6, 30), 10),
            (date(2026, 7, 1), date(2026, 12, 31), 90),
        ]
        self.assertEqual(planning.expected_progress(periods, date(2026, 7, 1)), 10.0)

    def test_pacing_thresholds(self):
        defaults = planning.DEFAULT_THRESHOLDS
        self.assertEqual(planning.pacing_status(90, 100, defaults), "on_track")
        self.assertEqual(planning.pacing_status(89.9, 100, defaults), "at_risk")
        self.assertEqual(planning.pacing_status(70, 100, defaults), "at_risk")
        self.assertEqual(planning.pacing_status(69.9, 100, defaults), "off_track")
        self.assertEqual(planning.pacing_status(250, 100, defaults), "on_track")

    def test_pacing_thresholds_are_parameters(self):
        strict = planning.PacingThresholds(on_track=0.95, at_risk=0.8)
        self.assertEqual(planning.pacing_status(92, 100, strict), "at_risk")
        self.assertEqual(planning.pacing_status(79, 100, strict), "off_track")
        lenient = planning.PacingThresholds(on_track=0.75, at_risk=0.5)
        self.assertEqual(planning.pacing_status(76, 100, lenient), "on_track")
        self.assertEqual(planning.pacing_status(55, 100, lenient), "at_risk")
        self.assertEqual(
            planning.period_pacing(
                date(2026, 1, 1), date(2026, 3, 31), 10, 80.0, date(2026, 4, 1), lenient
            ),
            (100.0, "on_track"),
        )

    def test_period_figure_columns_are_the_period_rules(self):
        """The tracking engine's column form of the period rules gives, period for
        period, what the period's computed fields give (progress_percent and
        period_pacing, as the period model applies them), on every case: before,
        inside, on the last day of and after a period; no target, a target met,
        exceeded, nearly or far from met; running or not; default and custom
        thresholds; the exact thresholds themselves."""
        today = date(2026, 5, 16)
        ranges = [
            (date(2026, 1, 1), date(2026, 3, 31)),  # over
            (date(2026, 4, 1), date(2026, 6, 30)),  # running
            (date(2026, 5, 16), date(2026, 5, 31)),  # starts today
            (date(2026, 5, 1), date(2026, 5, 15)),  # ended yesterday
            (date(2026, 5, 15), date(2026, 5, 15)),  # one day, yesterday
            (date(2026, 7, 1), date(2026, 9, 30)),  # not started
        ]
        pairs = [(0.0, 0.0), (5.0, 0.0), (0.0, 10.0), (10.0, 10.0), (25.0, 10.0)]
        # Actuals right at and around the thresholds of the running quarter.
        expected = planning.period_expected(*ranges[1], today)
        for share in (0.9, 0.7, 0.5):
            for nudge in (-1e-9, 0.0, 1e-9):
                pairs.append((expected * share / 100.0 * 200.0 * (1 + nudge), 200.0))
        pairs += [(1.0, 3.0), (2.0, 3.0), (7.0, 9.0), (99.99, 100.0), (0.01, 1e-3)]
        for thresholds in (planning.DEFAULT_THRESHOLDS, planning.PacingThresholds(0.8, 0.5)):
            rows = [
                (actual, target, start, end, running)
                for start, end in ranges
                for actual, target in pairs
                for running in (True, False)
            ]
            actuals, targets, starts, ends, running = map(list, zip(*rows, strict=True))
            columns = planning.period_figure_columns(
                actuals, targets, starts, ends, running, today, thresholds
            )
            reference = []
            for actual, target, start, end, is_running in rows:
                progress = planning.progress_percent(actual, target)
                expected, status = planning.period_pacing(
                    start, end, target, progress, today, thresholds
                )
                reference.append((progress, expected, status if is_running else None))
            self.assertEqual(list(zip(*columns, strict=True)), reference)
            statuses = {status for _p, _e, status in reference}
            self.assertEqual(statuses, {None, "on_track", "at_risk", "off_track"})
