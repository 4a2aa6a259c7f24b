"""The channel heatmap's data (partners x quarters, coloured by pacing) and the charts
of percentages: never stacked nor summed."""

import ast
import json
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import compat
from .common import MspPlanningCase, MspPlanningHttpCase

Heatmap = "msp.business.plan.heatmap"


class HeatmapCommon:
    """Today is 16 May 2026 (Q2 49.45% elapsed). Alpha (Olivia's): 10 a quarter, 10 done
    in Q1 and none in Q2. Beta (Dora's): 10 a quarter, 10 in Q1 and 4 in Q2. A 2025 plan
    of Alpha and a draft."""

    @classmethod
    def _build_heatmap_plans(cls):
        cls.plan_a = cls._create_plan(user_id=cls.user_own.id)
        cls.logos_a = cls._create_objective(cls.plan_a, name="Logos", target_value=40)
        cls._add_update(cls.logos_a, 10, date(2026, 1, 20))
        cls.plan_b = cls._create_plan(
            name="Beta 2026", partner_id=cls.partner_b.id, user_id=cls.user_all.id
        )
        cls.logos_b = cls._create_objective(cls.plan_b, name="Logos", target_value=40, weight=50)
        cls._add_update(cls.logos_b, 10, date(2026, 2, 20))
        cls._add_update(cls.logos_b, 4, date(2026, 4, 20))
        cls.plan_2025 = cls._create_plan(
            name="Alpha 2025", date_start=date(2025, 1, 1), date_end=date(2025, 12, 31)
        )
        cls._create_objective(cls.plan_2025, name="Logos 2025", target_value=4)
        cls.draft = cls._create_plan(name="Alpha draft", partner_id=cls.partner_b.id)
        cls._create_objective(cls.draft, name="Draft logos", target_value=4)
        for plan in cls.plan_a | cls.plan_b | cls.plan_2025:
            plan.action_share_with_partner()
            plan.action_start()
        cls.env.flush_all()


class TestChannelHeatmapData(HeatmapCommon, MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-05-16"):
            cls._build_heatmap_plans()
        cls.ours = (cls.plan_a | cls.plan_b | cls.plan_2025 | cls.draft).ids

    def _data(self, user=None, **kwargs):
        with freeze_time("2026-05-16"):
            return self.env[Heatmap].with_user(user or self.user_all).get_heatmap_data(**kwargs)

    def _rows(self, data):
        """The rows of the test's plans (the demo data may have others)."""
        return {row["plan_id"]: row for row in data["rows"] if row["plan_id"] in self.ours}

    def test_grid_of_running_plans_by_quarter(self):
        data = self._data()
        self.assertEqual(data["year"], 2026)
        labels = [quarter["label"] for quarter in data["quarters"]]
        self.assertEqual(labels, ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"])
        rows = self._rows(data)
        self.assertEqual(set(rows), {self.plan_a.id, self.plan_b.id})  # no draft, no 2025
        cells = rows[self.plan_a.id]["cells"]
        self.assertEqual(
            [(c["progress_display"], c["expected_display"], c["status"]) for c in cells],
            [
                (100, 100, "on_track"),
                (0, 49, "off_track"),
                (0, 0, "not_started"),
                (0, 0, "not_started"),
            ],
        )
        self.assertEqual(rows[self.plan_a.id]["partner_name"], "Alpha Managed Services")
        self.assertEqual((data["on_track_percent"], data["at_risk_percent"]), (90, 70))
        # The plan column is the plan's own figures, to date.
        self.assertEqual(
            rows[self.plan_a.id]["plan"]["progress_display"], round(self.plan_a.progress)
        )

    def test_pacing_colour_of_each_cell(self):
        cells = self._rows(self._data())[self.plan_b.id]["cells"]
        # 4 of 10 done, 49.45% of the quarter elapsed: 81% of the pace, at risk.
        self.assertEqual(cells[1]["status"], "at_risk")
        self.assertAlmostEqual(cells[1]["progress"], 40.0)

    def test_cells_and_legend_follow_the_pacing_thresholds_of_settings(self):
        # Plan B's Q2 reaches 81% of its pace: at risk from 70%, on track from 80%.
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("msp_business_planning.on_track_threshold", "80")
        params.set_param("msp_business_planning.at_risk_threshold", "60")
        data = self._data()
        self.assertEqual((data["on_track_percent"], data["at_risk_percent"]), (80, 60))
        self.assertEqual(self._rows(data)[self.plan_b.id]["cells"][1]["status"], "on_track")

    def test_annual_objective_spread_over_its_quarters(self):
        annual = self._create_objective(
            self.plan_b, name="Certified", periodicity="annual", target_value=365, weight=50
        )
        self._add_update(annual, 100, date(2026, 3, 1))
        self._add_update(annual, 20, date(2026, 4, 20))
        self.env.flush_all()
        cells = self._rows(self._data())[self.plan_b.id]["cells"]
        # Q1: Logos 100%, the annual objective's 90 days of target met by its 100 done.
        self.assertAlmostEqual(cells[0]["progress"], 100.0)
        # Q2: Logos 40%, annual 20 done in Q2 over its 91 days of target, 50/50 weights:
        # what Q1 achieved beyond its share does not count in Q2.
        self.assertAlmostEqual(cells[1]["progress"], (40.0 + 20 / 91 * 100) / 2)
        self.assertAlmostEqual(cells[1]["expected"], 45 / 91 * 100)
        self.assertEqual(cells[1]["objective_count"], 2)
        # Q3 and Q4 count it too, not Q1 only: their targets, nothing achieved yet.
        self.assertEqual([cell["objective_count"] for cell in cells[2:]], [2, 2])
        self.assertEqual([cell["progress"] for cell in cells[2:]], [0.0, 0.0])

    def _deal_plan(self, name, date_start, target_value):
        """A running plan of a new partner, with one annual objective counting its
        registered deals over ``target_value``."""
        partner = self.env["res.partner"].create({"name": name, "is_company": True})
        plan = self._create_plan(
            name=f"{name} plan",
            partner_id=partner.id,
            user_id=self.user_all.id,
            date_start=date_start,
            date_end=date(2026, 12, 31),
        )
        self._create_objective(
            plan,
            name="Registrations",
            objective_type="deal_registration",
            periodicity="annual",
            target_value=target_value,
        )
        plan.action_share_with_partner()
        plan.action_start()
        self.ours.append(plan.id)
        return partner, plan

    def test_annual_objective_counts_each_quarter_what_it_achieved(self):
        """An annual objective's deals all registered in Q3: Q1 and Q2 achieved nothing
        (0%, off track, whatever the year's total), Q3 shows them."""
        with freeze_time("2026-11-16"):
            partner, plan = self._deal_plan("Gamma Cloud", date(2026, 1, 1), 12)
            for day in (date(2026, 8, 3), date(2026, 8, 20), date(2026, 9, 15)):
                self._create_registration(partner, day=day)
            self._create_registration(partner, day=date(2025, 11, 3))  # before the plan
            self.env.flush_all()
            data = self.env[Heatmap].with_user(self.user_all).get_heatmap_data()
        cells = self._rows(data)[plan.id]["cells"]
        self.assertEqual(
            [(c["progress_display"], c["expected_display"], c["status"]) for c in cells],
            [
                (0, 100, "off_track"),
                (0, 100, "off_track"),
                (99, 100, "on_track"),  # 3 of 12 x 92 / 365 days
                (0, 50, "off_track"),  # 3 deals so far, all counted in Q3
            ],
        )
        self.assertAlmostEqual(cells[2]["progress"], 3 / (12 * 92 / 365) * 100)

    def test_quarters_not_started_have_their_targets_only(self):
        with freeze_time("2026-05-16"):
            partner, plan = self._deal_plan("Delta Networks", date(2026, 1, 1), 12)
            self._create_registration(partner, day=date(2026, 2, 3))
            # Dated ahead (a registration date typed wrong): no quarter ahead shows it.
            self._create_registration(partner, day=date(2026, 8, 3))
            self.env.flush_all()
            data = self.env[Heatmap].with_user(self.user_all).get_heatmap_data()
        cells = self._rows(data)[plan.id]["cells"]
        self.assertAlmostEqual(cells[0]["progress"], 1 / (12 * 90 / 365) * 100)
        self.assertEqual(
            [(c["progress"], c["status"], c["objective_count"]) for c in cells[2:]],
            [(0.0, "not_started", 1), (0.0, "not_started", 1)],
        )

    def test_objective_over_several_years_counts_this_year_only(self):
        """A plan from mid-2025, one period of 18 months: its deals of 2025 are not
        counted in Q1 2026."""
        with freeze_time("2026-05-16"):
            partner, plan = self._deal_plan("Epsilon IT", date(2025, 7, 1), 12)
            self._create_registration(partner, day=date(2025, 9, 3))
            self._create_registration(partner, day=date(2025, 12, 30))
            self._create_registration(partner, day=date(2026, 4, 3))
            self.env.flush_all()
            data = self.env[Heatmap].with_user(self.user_all).get_heatmap_data()
        period = plan.objective_ids.target_ids
        self.assertEqual(
            (str(period.date_start), str(period.date_end)), ("2025-07-01", "2026-12-31")
        )
        self.assertEqual(period.actual_value, 3)
        cells = self._rows(data)[plan.id]["cells"]
        self.assertEqual(cells[0]["progress"], 0.0)
        q2_target = period.target_value * 91 / ((period.date_end - period.date_start).days + 1)
        self.assertAlmostEqual(cells[1]["progress"], 1 / q2_target * 100)

    def test_year_filter_and_years_offered(self):
        data = self._data(year=2025)
        self.assertEqual(list(self._rows(data)), [self.plan_2025.id])
        self.assertEqual(data["quarters"][0]["date_start"], "2025-01-01")
        self.assertLessEqual({2025, 2026}, set(data["years"]))
        self.assertEqual(self._data(year=2031)["rows"], [])
        self.assertEqual(self._data(year=2031)["years"], [2025, 2026, 2031])

    def test_mine_keeps_the_plans_the_user_manages(self):
        self.assertEqual(list(self._rows(self._data(mine=True))), [self.plan_b.id])

    def test_channel_manager_sees_his_partners_only(self):
        self.assertEqual(list(self._rows(self._data(self.user_own))), [self.plan_a.id])
        self.assertEqual(self._data(self.user_company_2)["rows"], [])
        for user in (self.portal_a, self.user_internal):
            with self.assertRaises(AccessError):
                self._data(user)

    def test_one_query_budget_whatever_the_number_of_plans(self):
        # Annual objectives: their quarters' actuals come from the tracking engine, in
        # one batch per quarter end (the eve of the year, Q1 and Q2 by 16 May).
        self._create_objective(self.plan_b, periodicity="annual")
        self._create_objective(
            self.plan_b, periodicity="annual", objective_type="deal_registration"
        )
        self.env.flush_all()
        self._data()  # warm the caches of rules and groups
        self.env.invalidate_all()
        with freeze_time("2026-05-16"), self.assertQueryCount(__system__=16):
            self.env[Heatmap].with_user(self.user_all).get_heatmap_data()
        for index in range(4):
            plan = self._create_plan(
                name=f"More {index}",
                partner_id=self.env["res.partner"].create({"name": f"Partner {index}"}).id,
                user_id=self.user_all.id,
            )
            self._create_objective(plan, periodicity="monthly")
            self._create_objective(plan, periodicity="annual")
            self._create_objective(plan, periodicity="annual", objective_type="deal_registration")
            self.ours.append(plan.id)
            plan.action_share_with_partner()
            plan.action_start()
        self.env.flush_all()
        self.env.invalidate_all()
        with freeze_time("2026-05-16"), self.assertQueryCount(__system__=16):
            data = self.env[Heatmap].with_user(self.user_all).get_heatmap_data()
        self.assertEqual(len(self._rows(data)), 6)


class TestChartsOfPercentages(MspPlanningCase):
    """Percentages are averaged (or not aggregated), never summed, and the graphs that
    show them are never stacked."""

    def _percent_fields(self):
        names = self.env["ir.model"].search([("model", "like", "msp.business.%")]).mapped("model")
        for name in names:
            model = self.env.get(name)
            if model is None:
                continue
            for field in model._fields.values():
                if field.type in ("float", "integer") and (
                    "progress" in field.name or "score" in field.name
                ):
                    yield field

    def test_percentages_are_never_summed(self):
        fields = list(self._percent_fields())
        self.assertGreater(len(fields), 10)
        summed = [str(field) for field in fields if field.aggregator == "sum"]
        self.assertEqual(summed, [])

    def test_graphs_of_percentages_are_not_stacked(self):
        views = self.env["ir.ui.view"].search(
            [("type", "=", "graph"), ("model", "like", "msp.business.%")]
        )
        self.assertGreaterEqual(len(views), 4)
        for view in views:
            arch = etree.fromstring(view.arch)
            model = self.env[view.model]
            measures = [
                model._fields[node.get("name")]
                for node in arch.iter("field")
                if node.get("type") == "measure"
            ]
            if any(field.aggregator == "avg" for field in measures):
                self.assertIn(arch.get("stacked"), ("0", "False"), view.xml_id)
                for node in arch.iter("field"):
                    if node.get("type") == "measure" and "progress" in node.get("name"):
                        self.assertIn("%", node.get("string", ""), view.xml_id)

    def test_pivots_label_percentages(self):
        views = self.env["ir.ui.view"].search(
            [("type", "=", "pivot"), ("model", "like", "msp.business.%")]
        )
        labelled = 0
        for view in views:
            for node in etree.fromstring(view.arch).iter("field"):
                if node.get("type") == "measure" and "progress" in node.get("name"):
                    self.assertIn("%", node.get("string", ""), view.xml_id)
                    labelled += 1
        self.assertGreaterEqual(labelled, 3)

    def test_score_trend_is_one_line_per_topic_at_review_dates(self):
        action = self.env.ref("msp_business_planning.msp_business_review_score_action")
        view = self.env.ref("msp_business_planning.msp_business_review_score_view_graph")
        arch = etree.fromstring(view.arch)
        self.assertEqual((arch.get("type"), arch.get("stacked")), ("line", "0"))
        groupbys = [
            (node.get("name"), node.get("interval"))
            for node in arch.iter("field")
            if node.get("type") != "measure"
        ]
        self.assertEqual(groupbys, [("review_date", "day"), ("topic_id", None)])
        context = ast.literal_eval(action.context)
        self.assertIs(context.get("fill_temporal"), False)
        self.assertEqual(ast.literal_eval(action.domain), [("review_state", "=", "done")])

    def test_score_trend_groups_have_no_empty_period_nor_none_series(self):
        plan = self._create_plan(state="in_progress")
        infra, cloud = self._review_topics()[:2]
        for day, scores in ((date(2026, 2, 10), (40, 60)), (date(2026, 6, 10), (55, 70))):
            review = self._create_review(plan, date=day)
            for topic, score in zip((infra, cloud), scores, strict=True):
                self.env["msp.business.review.score"].create(
                    {"review_id": review.id, "topic_id": topic.id, "score": score}
                )
            review.action_done()
        self._create_review(plan, date=date(2026, 9, 10))  # scheduled: no score yet
        action = self.env.ref("msp_business_planning.msp_business_review_score_action")
        # As the graph view asks (fill_temporal on, then the action's context over it).
        Score = (
            self.env["msp.business.review.score"]
            .with_context(fill_temporal=True)
            .with_context(**ast.literal_eval(action.context))
        )
        groups = compat.read_group(
            Score,
            [*ast.literal_eval(action.domain), ("plan_id", "=", plan.id)],
            ["review_date:day", "topic_id"],
            ["score:avg"],
        )

        def label(value):
            # A day group reads "10 Feb 2026" (18.0) or (range, "10 Feb 2026") (19.0).
            return value[1] if isinstance(value, list | tuple) else value

        self.assertEqual(
            [
                (label(group["review_date:day"]), group["topic_id"][1], group["score:avg"])
                for group in groups
            ],
            [
                ("10 Feb 2026", infra.name, 40),
                ("10 Feb 2026", cloud.name, 60),
                ("10 Jun 2026", infra.name, 55),
                ("10 Jun 2026", cloud.name, 70),
            ],
        )


@tagged("post_install", "-at_install")
class TestChartTours(MspPlanningHttpCase):
    """The heatmap and the score trend in the web client. Last year's plans: every
    quarter is over, so the colours do not depend on the day the test runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.year = date.today().year - 1
        year_dates = {"date_start": date(cls.year, 1, 1), "date_end": date(cls.year, 12, 31)}
        cls.plan_a = cls._create_plan(name="Alpha Tour Plan", **year_dates)
        logos = cls._create_objective(cls.plan_a, name="Logos", target_value=40)
        cls._add_update(logos, 10, date(cls.year, 1, 20))
        cls.plan_b = cls._create_plan(
            name="Beta Tour Plan",
            partner_id=cls.partner_b.id,
            user_id=cls.user_all.id,
            **year_dates,
        )
        cls._create_objective(cls.plan_b, name="Logos", target_value=40)
        for plan in cls.plan_a | cls.plan_b:
            plan.action_share_with_partner()
            plan.action_start()

    def _call_heatmap(self, user):
        self.authenticate(user.login, user.login)
        response = self.url_open(
            "/web/dataset/call_kw/msp.business.plan.heatmap/get_heatmap_data",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "msp.business.plan.heatmap",
                        "method": "get_heatmap_data",
                        "args": [],
                        "kwargs": {"year": self.year},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def test_heatmap_over_json_rpc_follows_the_rules(self):
        for user in (self.portal_a, self.portal_b, self.user_internal):
            with mute_logger("odoo.http"):
                error = self._call_heatmap(user)["error"]["data"]
            self.assertEqual(error["name"], "odoo.exceptions.AccessError", user.login)
        rows = self._call_heatmap(self.user_own)["result"]["rows"]
        self.assertEqual([row["plan_id"] for row in rows], self.plan_a.ids)
        rows = self._call_heatmap(self.user_all)["result"]["rows"]
        self.assertLessEqual({self.plan_a.id, self.plan_b.id}, {row["plan_id"] for row in rows})
        self.assertEqual(self._call_heatmap(self.user_company_2)["result"]["rows"], [])

    def test_channel_heatmap_tour(self):
        self.start_tour(
            "/odoo/action-msp_business_planning.msp_business_plan_heatmap_action",
            "msp_channel_heatmap_tour",
            login=self.user_own.login,
        )

    def test_score_trend_tour(self):
        infra, cloud = self._review_topics()[:2]
        for month, scores in ((2, (40, 60)), (6, (55, 70))):
            review = self._create_review(self.plan_a, date=date(self.year, month, 10))
            for topic, score in zip((infra, cloud), scores, strict=True):
                self.env["msp.business.review.score"].create(
                    {"review_id": review.id, "topic_id": topic.id, "score": score}
                )
            review.action_done()
        self._create_review(self.plan_a, date=date(self.year, 9, 10))  # no score yet
        self.start_tour(
            f"/odoo/action-msp_business_planning.msp_business_review_action/{review.id}",
            "msp_score_trend_tour",
            login=self.user_own.login,
        )
