"""Dashboards: pacing of each period target and the period targets' pivot, partners x
quarters x objectives (the channel heatmap itself: test_channel_heatmap.py)."""

import ast
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.tools.safe_eval import safe_eval

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

    def test_period_target_views_and_heatmap_menu(self):
        # The heatmap was a pivot of period targets; it is now a client action of its
        # own (a pivot cannot colour its cells), the pivot stays under Period Targets.
        action = self.env.ref("msp_business_planning.msp_business_plan_objective_target_action")
        self.assertEqual(action.view_mode.split(",")[0], "pivot")
        self.assertEqual(ast.literal_eval(action.context), {"search_default_filter_running": 1})
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
        self.assertEqual(pivot.xpath("//field[@name='progress']/@string"), ["Progress (%)"])
        search = etree.fromstring(views["search"]["arch"])
        filters = {f.get("name") for f in search.iter("filter")}
        self.assertLessEqual(
            {"filter_on_track", "filter_at_risk", "filter_off_track", "filter_manual"}, filters
        )
        fields = {f.get("name") for f in search.iter("field")}
        self.assertLessEqual({"user_id", "objective_type", "pacing_status"}, fields)
        menu = self.env.ref("msp_business_planning.msp_business_plan_objective_target_menu_heatmap")
        heatmap = self.env.ref("msp_business_planning.msp_business_plan_heatmap_action")
        self.assertEqual(menu.action, heatmap)
        self.assertEqual(heatmap.tag, "msp_business_planning.channel_heatmap")
        visible = self.env["ir.ui.menu"].with_user(self.user_own)._visible_menu_ids()
        self.assertIn(menu.id, visible)


class TestHeatmapFilters(MspPlanningCase):
    """The period targets' filters (year, channel manager, objective kind, pacing)
    narrow the partner x quarter x objective cells as a director would use them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-05-16"):
            cls.plan_a = cls._create_plan(user_id=cls.user_own.id, state="in_progress")
            cls.logos_a = cls._create_objective(cls.plan_a, name="Logos", target_value=40)
            cls._add_update(cls.logos_a, 10, date(2026, 1, 20))  # Q1 on track, Q2 behind
            cls.deals_a = cls._create_objective(
                cls.plan_a,
                name="Deals",
                objective_type="deal_registration",
                periodicity="annual",
                target_value=10,
            )
            cls.plan_b = cls._create_plan(
                name="Beta 2026",
                partner_id=cls.partner_b.id,
                user_id=cls.user_all.id,
                state="in_progress",
            )
            cls.logos_b = cls._create_objective(cls.plan_b, name="Logos", target_value=40)
            cls.plan_2025 = cls._create_plan(
                name="Alpha 2025",
                user_id=cls.user_own.id,
                state="in_progress",
                date_start=date(2025, 1, 1),
                date_end=date(2025, 12, 31),
            )
            cls.logos_2025 = cls._create_objective(cls.plan_2025, name="Logos", target_value=4)
            cls.env.flush_all()
        search_view = cls.env.ref(
            "msp_business_planning.msp_business_plan_objective_target_view_search"
        )
        arch = (
            cls.env[Target]
            .with_user(cls.user_all)
            .get_views([(search_view.id, "search")])["views"]["search"]["arch"]
        )
        cls.filters = {f.get("name"): f for f in etree.fromstring(arch).iter("filter")}

    def _filter_domain(self, name, user):
        return safe_eval(self.filters[name].get("domain"), {"uid": user.id})

    def _cells(self, *domains):
        """The pivot's cells for the director, with the given filters applied."""
        plans = self.plan_a | self.plan_b | self.plan_2025
        groups = (
            self.env[Target]
            .with_user(self.user_all)
            ._read_group(
                [("plan_id", "in", plans.ids), *(leaf for domain in domains for leaf in domain)],
                ["partner_id", "date_start:quarter", "objective_id"],
                ["progress:avg"],
            )
        )
        return {(partner, quarter, objective) for partner, quarter, objective, _p in groups}

    def test_year_filter_is_a_date_filter_on_the_period(self):
        year = self.filters["filter_date_start"]
        self.assertEqual((year.get("date"), year.get("default_period")), ("date_start", "year"))

    def test_filters_combine_on_the_period_targets(self):
        year_2026 = [("date_start", ">=", "2026-01-01"), ("date_start", "<=", "2026-12-31")]
        mine = self._filter_domain("filter_mine", self.user_own)
        off_track = self._filter_domain("filter_off_track", self.user_own)
        manual = self._filter_domain("filter_manual", self.user_own)
        q2 = date(2026, 4, 1)
        self.assertEqual(
            self._cells(year_2026, mine, off_track, manual),
            {(self.partner_a, q2, self.logos_a)},
        )
        # Each filter taken away brings back what it hid.
        self.assertIn((self.partner_b, q2, self.logos_b), self._cells(year_2026, off_track, manual))
        self.assertIn(
            (self.partner_a, date(2026, 1, 1), self.deals_a),
            self._cells(year_2026, mine, off_track),
        )
        self.assertIn(
            (self.partner_a, date(2025, 10, 1), self.logos_2025),
            self._cells(mine, off_track, manual),
        )
        on_track = self._filter_domain("filter_on_track", self.user_own)
        self.assertEqual(
            self._cells(year_2026, mine, on_track, manual),
            {(self.partner_a, date(2026, 1, 1), self.logos_a)},
        )
        # The channel manager and kind are also searchable fields of the view.
        by_manager = [("user_id", "=", self.user_all.id), ("objective_type", "=", "manual")]
        self.assertEqual({cell[0] for cell in self._cells(year_2026, by_manager)}, {self.partner_b})
