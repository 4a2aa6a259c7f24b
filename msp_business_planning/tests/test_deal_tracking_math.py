"""The pure deal tracking rules, tested without the ORM (plus their doctests)."""

from datetime import date, datetime

from ..tools import deal_tracking
from .common import MspDoctestCase


class TestDealTrackingMath(MspDoctestCase):
    def test_doctests(self):
        self.assertDoctests(deal_tracking, at_least=11)

    def test_utc_day_of_late_evening_closings(self):
        self.assertEqual(
            deal_tracking.utc_day(datetime(2026, 12, 31, 23, 59, 59)), date(2026, 12, 31)
        )
        self.assertEqual(deal_tracking.utc_day(datetime(2027, 1, 1, 0, 0)), date(2027, 1, 1))

    def test_company_rates_win_over_shared_ones(self):
        table = deal_tracking.RateTable(
            [
                (7, date(2026, 1, 1), 2.0, False),
                (7, date(2026, 3, 1), 3.0, False),
                (7, date(2026, 2, 1), 4.0, True),
            ]
        )
        # As res.currency._get_rates: a company rate on or before the day first.
        self.assertEqual(table.rate(7, date(2026, 1, 15)), 2.0)
        self.assertEqual(table.rate(7, date(2026, 3, 15)), 4.0)

    def test_sum_converted_per_target_currency(self):
        tables = {
            1: deal_tracking.RateTable([(2, date(2026, 1, 1), 0.5, False)]),
            9: deal_tracking.RateTable([(2, date(2026, 1, 1), 2.0, False)]),
        }
        rows = [(10, 1, date(2026, 5, 1), 100.0), (11, 1, date(2026, 5, 1), 100.0)]
        self.assertEqual(
            deal_tracking.sum_converted(rows, {10: (2, 1), 11: (2, 9)}, tables),
            {10: 50.0, 11: 200.0},
        )

    def test_expiry_and_notice(self):
        expiry = deal_tracking.expiry_date(date(2026, 12, 1), 90)
        self.assertEqual(expiry, date(2027, 3, 1))
        self.assertFalse(deal_tracking.expiry_notice_due(expiry, date(2027, 2, 21)))
        self.assertTrue(deal_tracking.expiry_notice_due(expiry, date(2027, 2, 22)))
        self.assertFalse(deal_tracking.is_expired(expiry, expiry))
        self.assertTrue(deal_tracking.is_expired(expiry, date(2027, 3, 2)))
