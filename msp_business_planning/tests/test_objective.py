from datetime import date

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import MspPlanningCase


class TestObjectivePeriods(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan()

    def test_periods_generated_per_periodicity(self):
        for periodicity, count in (("annual", 1), ("quarterly", 4), ("monthly", 12)):
            with self.subTest(periodicity=periodicity):
                objective = self._create_objective(
                    self.plan, periodicity=periodicity, target_value=120
                )
                self.assertEqual(len(objective.target_ids), count)
                self.assertAlmostEqual(sum(objective.target_ids.mapped("target_value")), 120)
                self.assertEqual(objective.target_value, 120)

    def test_plan_not_starting_in_january(self):
        plan = self._create_plan(date_start=date(2026, 4, 15), date_end=date(2027, 4, 14))
        objective = self._create_objective(plan, target_value=100)
        targets = objective.target_ids.sorted("date_start")
        self.assertEqual(len(targets), 5)
        self.assertEqual(targets[0].date_start, date(2026, 4, 15))
        self.assertEqual(targets[-1].date_end, date(2027, 4, 14))
        # Clipped quarters get a share in proportion to the days covered.
        self.assertLess(targets[-1].target_value, targets[1].target_value)
        self.assertAlmostEqual(sum(targets.mapped("target_value")), 100)

    def test_regenerated_when_periodicity_changes(self):
        objective = self._create_objective(self.plan, target_value=60)
        objective.periodicity = "monthly"
        self.assertEqual(len(objective.target_ids), 12)
        self.assertAlmostEqual(objective.target_value, 60)

    def test_regenerated_when_plan_dates_change(self):
        objective = self._create_objective(self.plan, target_value=40)
        self._add_update(objective, 3, date(2026, 8, 10))
        self.plan.write({"date_start": date(2026, 7, 1)})
        targets = objective.target_ids.sorted("date_start")
        self.assertEqual(targets.mapped("name"), ["Q3 2026", "Q4 2026"])
        self.assertAlmostEqual(objective.target_value, 40)
        self.assertEqual(targets[0].actual_value, 3, "actuals are re-bucketed")

    def test_editing_a_period_target_updates_the_total(self):
        objective = self._create_objective(self.plan, target_value=100)
        objective.target_ids.sorted("date_start")[0].target_value = 55
        self.assertAlmostEqual(objective.target_value, 130)

    def test_setting_the_total_spreads_it(self):
        objective = self._create_objective(self.plan, target_value=100)
        objective.target_value = 8
        self.assertEqual(objective.target_ids.mapped("target_value"), [2.0] * 4)


class TestObjectiveProgress(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan()

    def test_updates_feed_period_actuals(self):
        objective = self._create_objective(self.plan, target_value=40)
        self._add_update(objective, 4, date(2026, 3, 31))
        self._add_update(objective, 6, date(2026, 4, 1))
        update = self._add_update(objective, 2, date(2026, 4, 20))
        by_name = {t.name: t.actual_value for t in objective.target_ids}
        self.assertEqual(by_name, {"Q1 2026": 4, "Q2 2026": 8, "Q3 2026": 0, "Q4 2026": 0})
        self.assertEqual(objective.actual_value, 12)
        self.assertAlmostEqual(objective.progress, 30.0)
        update.date = date(2026, 11, 2)
        self.assertEqual(
            objective.target_ids.filtered(lambda t: t.name == "Q4 2026").actual_value, 2
        )
        update.unlink()
        self.assertEqual(objective.actual_value, 10)

    def test_progress_may_exceed_100_but_plan_caps_it(self):
        over = self._create_objective(self.plan, name="Over", weight=50, target_value=10)
        missed = self._create_objective(self.plan, name="Missed", weight=50, target_value=10)
        self._add_update(over, 30, date(2026, 2, 1))
        self.assertEqual(over.progress, 300.0)
        self.assertEqual(missed.progress, 0.0)
        self.assertEqual(self.plan.progress, 50.0)

    def test_plan_progress_is_weighted(self):
        first = self._create_objective(self.plan, weight=30, target_value=10)
        self._create_objective(self.plan, weight=10, target_value=10)
        self._add_update(first, 10, date(2026, 2, 1))
        self.assertEqual(self.plan.progress, 75.0)

    def test_zero_target_is_left_out_of_plan_progress(self):
        done = self._create_objective(self.plan, weight=10, target_value=10)
        unset = self._create_objective(self.plan, weight=90, target_value=0)
        self._add_update(done, 5, date(2026, 2, 1))
        self._add_update(unset, 5, date(2026, 2, 1))
        self.assertEqual(unset.progress, 0.0)
        self.assertEqual(self.plan.progress, 50.0)

    @freeze_time("2026-07-01")
    def test_pacing_status_per_objective_and_plan(self):
        self.plan.state = "in_progress"
        ahead = self._create_objective(self.plan, name="Ahead", target_value=100)
        behind = self._create_objective(self.plan, name="Behind", target_value=100)
        self._add_update(ahead, 50, date(2026, 3, 1))
        self._add_update(behind, 20, date(2026, 3, 1))
        self.assertEqual(ahead.expected_progress, 50.0)
        self.assertEqual(ahead.pacing_status, "on_track")
        self.assertEqual(behind.pacing_status, "off_track")
        self.assertEqual(self.plan.pacing_status, "at_risk")  # 35% done of 50% expected

    def test_daily_cron_moves_pacing_with_the_calendar(self):
        self.plan.state = "in_progress"
        objective = self._create_objective(self.plan, target_value=100)
        self._add_update(objective, 30, date(2026, 1, 5))
        with freeze_time("2026-04-01"):
            self.env["msp.business.plan"]._cron_refresh_pacing()
            self.assertEqual(objective.pacing_status, "on_track")
        with freeze_time("2026-10-01"):
            self.env["msp.business.plan"]._cron_refresh_pacing()
            self.assertEqual(objective.expected_progress, 75.0)
            self.assertEqual(objective.pacing_status, "off_track")


class TestObjectiveBadInput(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan()
        cls.objective = cls._create_objective(cls.plan)

    def _assert_refused(self, values, message):
        count = self.env["msp.business.plan.objective"].search_count([])
        with self.assertRaisesRegex(ValidationError, message), self.cr.savepoint():
            self._create_objective(self.plan, **values)
        self.assertEqual(self.env["msp.business.plan.objective"].search_count([]), count)

    @mute_logger("odoo.sql_db")
    def test_weight_outside_1_100(self):
        for weight in (0, 101, -5):
            with self.subTest(weight=weight):
                self._assert_refused({"weight": weight}, "between 1 and 100")

    def test_negative_target(self):
        self._assert_refused({"target_value": -1}, "positive number")
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.objective.target_ids[0].target_value = -3

    def test_lead_domain_must_be_a_literal_domain_on_crm_lead(self):
        bad = {
            "[('user_id', '=', uid)": "not a valid filter",
            "__import__('os').system('true')": "not a valid filter",
            "[('user_id', '=', uid)]": "not a valid filter",
            "{'a': 1}": "list of conditions",
            "[('no_such_field', '=', 1)]": "cannot be used on deals",
            "[('name', 'no-op', 1)]": "cannot be used on deals",
        }
        for text, message in bad.items():
            with self.subTest(domain=text):
                self._assert_refused(
                    {"objective_type": "deal_registration", "lead_domain": text}, message
                )
        ok = self._create_objective(
            self.plan,
            objective_type="deal_registration",
            lead_domain="[('expected_revenue', '>', 1000)]",
        )
        self.assertEqual(ok._get_lead_domain(), [("expected_revenue", ">", 1000)])

    def test_sum_field_must_be_numeric(self):
        name_field = self.env["ir.model.fields"]._get("crm.lead", "name")
        self._assert_refused(
            {"objective_type": "won_deal", "measure": "sum", "sum_field_id": name_field.id},
            "cannot be added up",
        )
        objective = self._create_objective(self.plan, objective_type="won_deal", measure="sum")
        self.assertEqual(objective.sum_field_id.name, "expected_revenue")

    def test_update_outside_plan_or_on_automatic_objective(self):
        with self.assertRaisesRegex(ValidationError, "outside the plan"), self.cr.savepoint():
            self._add_update(self.objective, 1, date(2027, 1, 1))
        automatic = self._create_objective(self.plan, objective_type="deal_registration")
        with self.assertRaisesRegex(ValidationError, "manual objectives"), self.cr.savepoint():
            self._add_update(automatic, 1, date(2026, 2, 1))
        self.assertFalse(self.objective.update_ids)

    def test_overlapping_periods_refused(self):
        first = self.objective.target_ids.sorted("date_start")[0]
        with self.assertRaisesRegex(ValidationError, "overlaps"), self.cr.savepoint():
            first.date_end = date(2026, 5, 1)
