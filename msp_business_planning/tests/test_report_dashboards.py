"""Dashboards: pacing of each period target (the heatmap's colour) and the channel
heatmap itself, partners x quarters x objectives."""

import ast
from datetime import date

from freezegun import freeze_time
from lxml import etree

from .common import MspPlanningCase

Target = "msp.business.plan.objective.target"


class TestPeriodTargetPacing(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-05-16"):
            cls.plan = cls._create_plan()
            cls.objective = cls._create_objective(cls.plan, target_value=100)
            cls._add_update(cls.objective, 30, date(2026, 2, 1))
            cls.plan.action_share_with_partner()
            cls.plan.action_start()
            cls.env.flush_all()
        cls.q1, cls.q2, cls.q3, cls.q4 = cls.objective.target_ids.sorted("date_start")

    def test_pacing_of_each_period(self):
        self.assertEqual(self.q1.expected_progress, 100.0)
        self.assertEqual(self.q1.pacing_status, "on_track")  # 30 done of 25
        self.assertAlmostEqual(self.q2.expected_progress, 45 / 91 * 100)
        self.assertEqual(self.q2.pacing_status, "off_track")  # nothing yet, half-way
        self.assertEqual(self.q3.expected_progress, 0.0)
        self.assertFalse(self.q3.pacing_status)  # not started

    @freeze_time("2026-05-16")
    def test_no_pacing_before_the_plan_runs_or_without_target(self):
        draft = self._create_plan(name="Still a draft")
        objective = self._create_objective(draft, target_value=100)
        self.assertEqual(set(objective.target_ids.mapped("pacing_status")), {False})
        self.q2.target_value = 0
        self.assertFalse(self.q2.pacing_status)

    @freeze_time("2026-05-16")
    def test_pacing_follows_the_actuals(self):
        self._add_update(self.objective, 22, date(2026, 5, 2))
        self.assertEqual(self.q2.pacing_status, "on_track")

    def test_daily_cron_moves_period_pacing_with_the_calendar(self):
        with freeze_time("2026-08-16"):
            self.env["msp.business.plan"]._cron_refresh_pacing()
            self.assertEqual(self.q2.expected_progress, 100.0)
            self.assertEqual(self.q3.pacing_status, "off_track")
            self.assertFalse(self.q4.pacing_status)

    def test_pacing_filter_finds_periods_behind(self):
        behind = self.env[Target].search(
            [("plan_id", "=", self.plan.id), ("pacing_status", "=", "off_track")]
        )
        self.assertEqual(behind, self.q2)


class TestChannelHeatmap(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-05-16"):
            cls.plan_a = cls._create_plan()
            cls.plan_b = cls._create_plan(name="Beta 2026", partner_id=cls.partner_b.id)
            cls.logos_a = cls._create_objective(cls.plan_a, name="Logos", target_value=40)
            cls.logos_b = cls._create_objective(cls.plan_b, name="Logos", target_value=40)
            cls._add_update(cls.logos_a, 10, date(2026, 1, 20))
            cls._add_update(cls.logos_b, 2, date(2026, 2, 20))
            cls.env.flush_all()

    def test_partner_by_quarter_by_objective(self):
        groups = self.env[Target]._read_group(
            [("plan_id", "in", (self.plan_a | self.plan_b).ids)],
            ["partner_id", "date_start:quarter", "objective_id"],
            ["progress:avg", "target_value:sum", "actual_value:sum"],
        )
        cells = {
            (partner, quarter.month, objective): (progress, target, actual)
            for partner, quarter, objective, progress, target, actual in groups
        }
        self.assertEqual(len(cells), 8)  # 2 partners x 4 quarters x 1 objective each
        self.assertEqual(cells[self.partner_a, 1, self.logos_a], (100.0, 10.0, 10.0))
        self.assertEqual(cells[self.partner_b, 1, self.logos_b], (20.0, 10.0, 2.0))
        self.assertEqual(cells[self.partner_b, 4, self.logos_b], (0.0, 10.0, 0.0))

    def test_heatmap_views_and_menu(self):
        action = self.env.ref(
            "msp_business_planning.msp_business_plan_objective_target_action_heatmap"
        )
        self.assertEqual(action.view_mode.split(",")[0], "pivot")
        context = ast.literal_eval(action.context)
        self.assertEqual(context["pivot_row_groupby"], ["partner_id", "objective_id"])
        self.assertEqual(context["pivot_column_groupby"], ["date_start:quarter"])
        views = (
            self.env[Target]
            .with_user(self.user_own)
            .get_views([(False, "pivot"), (False, "graph"), (False, "search")])["views"]
        )
        pivot = etree.fromstring(views["pivot"]["arch"])
        self.assertEqual(
            [(f.get("name"), f.get("type")) for f in pivot.iter("field")],
            [
                ("partner_id", "row"),
                ("objective_id", "row"),
                ("date_start", "col"),
                ("progress", "measure"),
            ],
        )
        search = etree.fromstring(views["search"]["arch"])
        filters = {f.get("name") for f in search.iter("filter")}
        self.assertLessEqual(
            {"filter_on_track", "filter_at_risk", "filter_off_track", "filter_manual"}, filters
        )
        fields = {f.get("name") for f in search.iter("field")}
        self.assertLessEqual({"user_id", "objective_type", "pacing_status"}, fields)
        menu = self.env.ref("msp_business_planning.msp_business_plan_objective_target_menu_heatmap")
        visible = self.env["ir.ui.menu"].with_user(self.user_own)._visible_menu_ids()
        self.assertIn(menu.id, visible)
