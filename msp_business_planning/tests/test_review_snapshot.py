from datetime import date, datetime

from freezegun import freeze_time

from .common import MspPlanningCase


class TestSnapshotAsOfPeriodEnd(MspPlanningCase):
    """A review's snapshot is as of the end of its reviewed period: deals and updates
    dated up to that day, whatever the day the review is marked done."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.won_stage = cls._won_stage()
        cls.plan = cls._create_plan(state="in_progress")
        cls.won_revenue = cls._create_objective(
            cls.plan,
            name="Won revenue",
            objective_type="won_deal",
            measure="sum",
            periodicity="annual",
            target_value=240000,
            weight=50,
        )
        cls.registrations = cls._create_objective(
            cls.plan,
            name="Registrations",
            objective_type="deal_registration",
            target_value=24,
            weight=30,
        )
        cls.workshops = cls._create_objective(
            cls.plan, name="Workshops", target_value=12, periodicity="monthly", weight=20
        )
        # Reviewed period: Q1. Achieved in Q1:
        cls._won(datetime(2026, 2, 10, 12, 0), 50000)
        cls._won(datetime(2026, 3, 31, 23, 30), 10000)  # 31 March, UTC
        for day in (date(2026, 1, 15), date(2026, 3, 31)):
            cls._create_registration(cls.partner_a, day=day)
        cls._add_update(cls.workshops, 3, date(2026, 3, 31))

    @classmethod
    def _won(cls, closed, revenue):
        # Registered before the plan: these deals count as won, not as registrations.
        lead = cls._create_registration(
            cls.partner_a, day=date(2025, 12, 15), state="approved", expected_revenue=revenue
        )
        lead.write({"stage_id": cls.won_stage.id})
        lead.write({"date_closed": closed})
        return lead

    @classmethod
    def _after_q1(cls):
        """What the year brings after Q1: deals won, registered and updates reported."""
        cls._won(datetime(2026, 4, 1, 0, 15), 50000)
        cls._won(datetime(2026, 10, 5, 9, 0), 100000)
        cls._create_registration(cls.partner_a, day=date(2026, 4, 1))
        cls._create_registration(cls.partner_a, day=date(2026, 11, 2))
        cls._add_update(cls.workshops, 5, date(2026, 4, 1))

    def _q1_review(self):
        return self._create_review(
            self.plan,
            date=date(2026, 4, 10),
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
        )

    def _frozen(self, review):
        return {
            line.objective_id.name: (
                round(line.target_value, 6),
                round(line.actual_value, 6),
                round(line.progress, 6),
                round(line.objective_progress, 6),
                line.pacing_status,
            )
            for line in review.snapshot_ids
        }

    def test_review_done_late_freezes_what_one_done_on_time_does(self):
        on_time = self._q1_review()
        with freeze_time("2026-04-10 15:00:00"):
            on_time.action_done()
        frozen_on_time = self._frozen(on_time)
        self._after_q1()
        late = self._q1_review()
        with freeze_time("2026-12-01 09:00:00"):
            late.action_done()
        self.assertEqual(self._frozen(late), frozen_on_time)
        self.assertAlmostEqual(late.snapshot_progress, on_time.snapshot_progress)
        # And they are Q1's figures: today's actuals are the year's.
        self.assertEqual(self.won_revenue.actual_value, 210000)
        line = late.snapshot_ids.filtered(lambda s: s.objective_id == self.won_revenue)
        self.assertEqual(line.actual_value, 60000)

    def test_annual_objective_gets_its_actual_to_date(self):
        self._after_q1()
        review = self._q1_review()
        with freeze_time("2026-12-01 09:00:00"):
            review.action_done()
        lines = {line.objective_id: line for line in review.snapshot_ids}
        revenue = lines[self.won_revenue]
        # 90 of the year's 365 days are due; the 1 April deal is not Q1's.
        self.assertAlmostEqual(revenue.target_value, 240000 * 90 / 365)
        self.assertEqual(revenue.actual_value, 60000)
        self.assertAlmostEqual(revenue.progress, 60000 / (240000 * 90 / 365) * 100)
        self.assertAlmostEqual(revenue.objective_progress, 25)
        self.assertEqual(lines[self.registrations].actual_value, 2)
        self.assertEqual(lines[self.workshops].actual_value, 3)

    def test_pacing_is_the_reviewed_period_s_not_today_s(self):
        # Behind pace in Q1 (2 registrations of the 6 due), well ahead by December.
        self._after_q1()
        for month in range(5, 13):
            self._create_registration(self.partner_a, day=date(2026, month, 3))
        review = self._q1_review()
        with freeze_time("2026-12-01 09:00:00"):
            review.action_done()
        line = review.snapshot_ids.filtered(lambda s: s.objective_id == self.registrations)
        self.assertEqual(self.registrations.actual_value, 12)
        self.assertEqual((line.actual_value, line.target_value), (2, 6))
        self.assertAlmostEqual(line.progress, 2 / 6 * 100)
        self.assertEqual(line.pacing_status, "off_track")
        workshops = review.snapshot_ids.filtered(lambda s: s.objective_id == self.workshops)
        # 3 of the 3 due by 31 March, whatever was reported in April.
        self.assertEqual((workshops.actual_value, workshops.target_value), (3, 3))
        self.assertEqual(workshops.pacing_status, "on_track")

    def test_period_ending_mid_quarter_cuts_the_quarter(self):
        self._after_q1()
        review = self._create_review(
            self.plan,
            date=date(2026, 4, 20),
            period_start=date(2026, 1, 1),
            period_end=date(2026, 4, 1),
        )
        with freeze_time("2026-12-01 09:00:00"):
            review.action_done()
        lines = {line.objective_id: line for line in review.snapshot_ids}
        # Q1 in full and Q2's first day: the 1 April deals and update, not October's.
        self.assertEqual(lines[self.won_revenue].actual_value, 110000)
        self.assertEqual(lines[self.registrations].actual_value, 3)
        self.assertEqual(lines[self.workshops].actual_value, 8)

    def test_snapshot_reads_the_objective_s_figures(self):
        review = self._q1_review()
        review.action_done()
        kinds = {line.objective_id: line.figure_kind for line in review.snapshot_ids}
        self.assertEqual(
            kinds,
            {self.won_revenue: "amount", self.registrations: "count", self.workshops: "number"},
        )

    def test_two_reviews_done_together_each_as_of_its_own_period(self):
        self._after_q1()
        q1 = self._q1_review()
        q2 = self._create_review(
            self.plan,
            date=date(2026, 7, 10),
            period_start=date(2026, 4, 1),
            period_end=date(2026, 6, 30),
        )
        with freeze_time("2026-12-01 09:00:00"):
            (q1 | q2).action_done()
        actual = {
            review: review.snapshot_ids.filtered(
                lambda s: s.objective_id == self.won_revenue
            ).actual_value
            for review in (q1, q2)
        }
        self.assertEqual(actual, {q1: 60000, q2: 110000})
