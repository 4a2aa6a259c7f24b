"""The forecast: the actual plus the open registered pipeline weighted by probability."""

from datetime import date, datetime

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import forecast
from .common import MspDoctestCase, MspPlanningCase, MspPlanningHttpCase


class TestForecastRules(MspDoctestCase):
    def test_doctests(self):
        self.assertDoctests(forecast, at_least=16)


# Each test class is frozen on 16 May 2026 (freeze_time on the class itself: a frozen
# base class would leave the clock frozen for the classes run after it).
FROZEN_DAY = "2026-05-16 10:00:00"


class ForecastCase(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.won_stage = cls._won_stage()
        cls.open_stage = cls.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        cls.plan = cls._create_plan(state="in_progress")
        cls.won_count = cls._create_objective(
            cls.plan, name="Won deals", objective_type="won_deal", target_value=8, weight=50
        )
        cls.won_revenue = cls._create_objective(
            cls.plan,
            name="Won revenue",
            objective_type="won_deal",
            measure="sum",
            target_value=100000,
            weight=50,
        )

    def _open(self, probability, deadline=None, state="approved", revenue=10000, **values):
        """An open registered deal of partner A: ``probability`` percent, expected to
        close on ``deadline``."""
        return self._create_registration(
            self.partner_a,
            state=state,
            probability=probability,
            date_deadline=deadline or False,
            expected_revenue=revenue,
            stage_id=self.open_stage.id,
            **values,
        )

    def _won(self, closed, revenue=10000):
        lead = self._create_registration(self.partner_a, state="approved", expected_revenue=revenue)
        lead.write({"stage_id": self.won_stage.id})
        lead.write({"date_closed": closed})
        return lead

    def _forecasts(self, objective):
        return {t.name: round(t.forecast_value, 6) for t in objective.target_ids}


@freeze_time(FROZEN_DAY)
class TestForecastArithmetic(ForecastCase):
    def test_count_and_sum_weighted_by_probability_in_the_period_expected(self):
        self._won(datetime(2026, 2, 10, 9, 0), revenue=20000)
        self._open(30, date(2026, 8, 10), revenue=10000)
        self._open(50, date(2026, 9, 30), state="submitted", revenue=4000)
        self._open(25, date(2026, 11, 2), revenue=8000)
        self.assertEqual(
            self._forecasts(self.won_count),
            {"Q1 2026": 1.0, "Q2 2026": 0.0, "Q3 2026": 0.8, "Q4 2026": 0.25},
        )
        self.assertEqual(
            self._forecasts(self.won_revenue),
            {"Q1 2026": 20000.0, "Q2 2026": 0.0, "Q3 2026": 5000.0, "Q4 2026": 2000.0},
        )
        self.assertAlmostEqual(self.won_count.forecast_value, 2.05)
        self.assertEqual(self.won_revenue.forecast_value, 27000.0)
        # The actuals are the won deals only.
        self.assertEqual((self.won_count.actual_value, self.won_revenue.actual_value), (1, 20000))

    def test_without_deadline_or_past_it_a_deal_is_expected_today(self):
        self._open(40)
        self._open(60, date(2026, 2, 1))  # overdue: still open, expected now
        self.assertEqual(self._forecasts(self.won_count)["Q2 2026"], 1.0)
        self.assertEqual(self._forecasts(self.won_revenue)["Q2 2026"], 10000.0)

    def test_what_does_not_count(self):
        self._open(50, date(2027, 2, 1))  # expected after the plan
        self._open(0, date(2026, 8, 1))  # no chance
        self._open(50, date(2026, 8, 1), state="rejected")
        self._open(50, date(2026, 8, 1), state="expired")
        self._open(50, date(2026, 8, 1)).action_archive()
        self._open(50, date(2026, 8, 1)).action_set_lost()
        self._create_registration(
            self.partner_b, state="approved", probability=50, date_deadline=date(2026, 8, 1)
        )
        self._create_lead(partner_name=self.partner_a.name, probability=90)
        self.assertEqual(self.won_count.forecast_value, 0.0)
        self.assertEqual(self.won_revenue.forecast_value, 0.0)
        self.assertTrue(self.won_count.forecast_to_miss)

    def test_another_currency_converted_at_the_expected_day(self):
        currency = self.env["res.currency"].create(
            {"name": "MSF", "symbol": "MF", "rounding": 0.01, "active": True}
        )
        Rate = self.env["res.currency.rate"]
        Rate.create({"currency_id": currency.id, "name": "2026-01-01", "rate": 0.5})
        Rate.create({"currency_id": currency.id, "name": "2026-07-01", "rate": 0.8})
        plan = self._create_plan(name="MSF plan", currency_id=currency.id, state="in_progress")
        revenue = self._create_objective(
            plan, name="Won revenue", objective_type="won_deal", measure="sum"
        )
        self._open(50, date(2026, 8, 1), revenue=1000)  # 500 at 0.8
        self._open(50, revenue=1000)  # today: 500 at 0.5
        self.assertEqual(
            self._forecasts(revenue),
            {"Q1 2026": 0.0, "Q2 2026": 250.0, "Q3 2026": 400.0, "Q4 2026": 0.0},
        )

    def test_registration_and_manual_kinds_forecast_their_actual(self):
        registrations = self._create_objective(
            self.plan, name="Registrations", objective_type="deal_registration"
        )
        manual = self._create_objective(self.plan, name="Workshops", target_value=10)
        self._open(50, date(2026, 8, 1))
        self._add_update(manual, 3, date(2026, 4, 2))
        self.assertEqual(registrations.actual_value, 1)
        self.assertEqual(registrations.forecast_value, 1)
        self.assertEqual((manual.actual_value, manual.forecast_value), (3, 3))
        # A forecast that weighs nothing reads as the count it is; a weighted one not.
        self.assertEqual(registrations._format_forecast(1.0), "1")
        self.assertEqual(self.won_count._format_forecast(1.0), "1.0")

    def test_kinds_without_a_pipeline_are_never_forecast_to_miss(self):
        """Their forecast is their actual so far: below the target in May says nothing
        of the rest of the year, so neither they nor their plan are flagged."""
        plan = self._create_plan(state="in_progress")
        registrations = self._create_objective(
            plan, name="Registrations", objective_type="deal_registration", target_value=10
        )
        manual = self._create_objective(plan, name="Workshops", target_value=10)
        self._add_update(manual, 3, date(2026, 4, 2))
        for objective in (registrations, manual):
            self.assertLess(objective.forecast_value, objective.target_value)
            self.assertFalse(objective.forecast_to_miss, objective.name)
        self.assertLess(plan.forecast_progress, 100)
        self.assertFalse(plan.forecast_to_miss)
        # The bulk refresh says the same as the computed fields.
        plan.objective_ids.action_refresh_actuals()
        self.assertFalse(plan.objective_ids.filtered("forecast_to_miss"))
        self.assertFalse(plan.forecast_to_miss)
        # A won-deal objective of the plan forecast to miss: the plan is.
        won = self._create_objective(plan, name="Won", objective_type="won_deal", target_value=5)
        plan.objective_ids.action_refresh_actuals()
        self.assertTrue(won.forecast_to_miss)
        self.assertTrue(plan.forecast_to_miss)


@freeze_time(FROZEN_DAY)
class TestForecastLiveUpdates(ForecastCase):
    def test_probability_stage_and_deadline_changes(self):
        lead = self._open(30, date(2026, 8, 10), revenue=10000)
        self.assertEqual(self._forecasts(self.won_revenue)["Q3 2026"], 3000.0)
        lead.probability = 80
        self.assertEqual(self._forecasts(self.won_revenue)["Q3 2026"], 8000.0)
        lead.date_deadline = date(2026, 10, 5)
        forecasts = self._forecasts(self.won_revenue)
        self.assertEqual((forecasts["Q3 2026"], forecasts["Q4 2026"]), (0.0, 8000.0))
        lead.expected_revenue = 20000
        self.assertEqual(self._forecasts(self.won_revenue)["Q4 2026"], 16000.0)
        # Won: the forecast becomes the actual, where the deal closed (today).
        lead.stage_id = self.won_stage
        self.assertEqual(self.won_revenue.actual_value, 20000.0)
        self.assertEqual(
            self._forecasts(self.won_revenue),
            {"Q1 2026": 0.0, "Q2 2026": 20000.0, "Q3 2026": 0.0, "Q4 2026": 0.0},
        )
        self.assertEqual(self.won_count.forecast_value, 1.0)

    def test_lost_and_archived_deals_leave_the_forecast(self):
        lead = self._open(50, date(2026, 8, 10))
        self.assertEqual(self.won_count.forecast_value, 0.5)
        lead.action_set_lost()
        self.assertEqual(self.won_count.forecast_value, 0.0)
        lead.action_unarchive()
        lead.probability = 40
        self.assertEqual(self.won_count.forecast_value, 0.4)
        lead.action_archive()
        self.assertEqual(self.won_count.forecast_value, 0.0)

    def test_daily_refresh_moves_deals_expected_today_with_the_calendar(self):
        self._open(50)
        self.assertEqual(self._forecasts(self.won_count)["Q2 2026"], 0.5)
        with freeze_time("2026-07-02 10:00:00"):
            self.env["msp.business.plan.objective"]._cron_refresh_actuals()
            forecasts = self._forecasts(self.won_count)
        self.assertEqual((forecasts["Q2 2026"], forecasts["Q3 2026"]), (0.0, 0.5))

    def test_pacing_refresh_keeps_the_forecast(self):
        self._open(50, date(2026, 8, 10))
        self.plan.objective_ids._recompute_pacing()
        self.assertEqual(self.won_count.forecast_value, 0.5)
        self.env["msp.business.plan"]._cron_refresh_pacing()
        self.assertEqual(self._forecasts(self.won_count)["Q3 2026"], 0.5)


@freeze_time(FROZEN_DAY)
class TestPlanForecast(ForecastCase):
    def test_weighted_and_capped_like_progress(self):
        self._won(datetime(2026, 2, 10, 9, 0), revenue=150000)  # revenue: 150% forecast
        for _index in range(4):
            self._open(50, date(2026, 9, 1), revenue=0)  # count: 1 + 2 of 8
        self.assertEqual(self.won_count.forecast_value, 3.0)
        self.assertEqual(self.won_revenue.forecast_value, 150000.0)
        # 50 × 37.5% + 50 × 100% (capped), over 100.
        self.assertAlmostEqual(self.plan.forecast_progress, 68.75)
        self.assertTrue(self.plan.forecast_to_miss)
        self.won_count.weight = 10
        self.assertAlmostEqual(self.plan.forecast_progress, (10 * 37.5 + 50 * 100) / 60)
        # The progress is measured the same way, from the actuals.
        self.assertAlmostEqual(self.plan.progress, (10 * 12.5 + 50 * 100) / 60)

    def test_forecast_to_miss_while_the_plan_runs(self):
        Objective = self.env["msp.business.plan.objective"]
        self._open(50, date(2026, 9, 1), revenue=200000)
        self.assertTrue(self.won_count.forecast_to_miss)
        self.assertFalse(self.won_revenue.forecast_to_miss, "50% of 200 000 = the target")
        self.assertIn(self.won_count, Objective.search([("forecast_to_miss", "=", True)]))
        self.assertNotIn(self.won_revenue, Objective.search([("forecast_to_miss", "=", True)]))
        self.assertTrue(self.plan.forecast_to_miss)
        self.won_count.target_value = 0.5
        self.assertFalse(self.won_count.forecast_to_miss)
        self.assertFalse(self.plan.forecast_to_miss)
        self.won_count.target_value = 8
        self.plan.action_complete()
        self.assertFalse(self.won_count.forecast_to_miss, "not running")
        self.assertFalse(self.plan.forecast_to_miss)

    def test_forecast_to_miss_ends_with_the_year(self):
        self._open(50, date(2026, 12, 1))
        self.assertTrue(self.won_count.forecast_to_miss)
        with freeze_time("2027-01-02 10:00:00"):
            self.env["msp.business.plan"]._cron_refresh_pacing()
            self.assertFalse(self.won_count.forecast_to_miss, "over: missed, not forecast to")
            self.assertFalse(self.plan.forecast_to_miss)


@tagged("post_install", "-at_install")
class TestForecastPortal(MspPlanningHttpCase):
    """The partner sees its own pipeline ("in your pipeline"); another partner reaches
    none of it, on the page or over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = date.today()
        cls.plan = cls._create_plan(
            state="in_progress",
            date_start=date(today.year, 1, 1),
            date_end=date(today.year, 12, 31),
        )
        cls.won_count = cls._create_objective(
            cls.plan, name="Won deals", objective_type="won_deal", target_value=8
        )
        cls.won_revenue = cls._create_objective(
            cls.plan,
            name="Won revenue",
            objective_type="won_deal",
            measure="sum",
            target_value=100000,
        )
        open_stage = cls.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        for probability, revenue in ((30, 12345), (45, 1000)):
            cls._create_registration(
                cls.partner_a,
                day=today,
                state="approved",
                probability=probability,
                expected_revenue=revenue,
                stage_id=open_stage.id,
            )

    def test_own_plan_page_shows_the_pipeline(self):
        self.assertAlmostEqual(self.won_count.forecast_value, 0.75)
        self.authenticate(self.portal_a.login, self.portal_a.login)
        page = self.url_open(f"/my/business-plans/{self.plan.id}").text
        self.assertIn("In your pipeline", page)
        self.assertIn(self.won_count._format_forecast(0.75), page)  # weighted, one decimal
        self.assertIn(self.won_revenue._format_forecast(4153.5), page)  # 3703.5 + 450
        self.assertIn("Forecast to miss", page)

    def test_another_partner_gets_nothing(self):
        self.authenticate(self.portal_b.login, self.portal_b.login)
        with mute_logger("odoo.http"):
            response = self.url_open(f"/my/business-plans/{self.plan.id}", allow_redirects=False)
        self.assertIn(response.status_code, (403, 404))
        self.assertNotIn("4,153", response.text)
        objective_ids = (self.won_count | self.won_revenue).ids
        for model, ids, field_name in (
            ("msp.business.plan", self.plan.ids, "forecast_progress"),
            ("msp.business.plan.objective", objective_ids, "forecast_value"),
            ("msp.business.plan.objective.target", self.won_count.target_ids.ids, "forecast_value"),
        ):
            with self.subTest(model=model), mute_logger("odoo.http", "odoo.access"):
                with self.assertRaises(Exception) as caught:
                    self._rpc(model, "read", [ids, [field_name]])
                self.assertIn("AccessError", str(caught.exception))
                domain = [(field_name, ">", 0)]
                self.assertEqual(self._rpc(model, "search", [domain]), [])
                self.assertEqual(self._rpc(model, "search_count", [domain]), 0)
                self.assertEqual(
                    self._rpc(model, "search_read", [[("id", "in", ids)], [field_name]]), []
                )

    def test_own_figures_over_json_rpc(self):
        self.authenticate(self.portal_a.login, self.portal_a.login)
        rows = self._rpc(
            "msp.business.plan.objective", "read", [self.won_count.ids, ["forecast_value"]]
        )
        self.assertAlmostEqual(rows[0]["forecast_value"], 0.75)

    def _rpc(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )
