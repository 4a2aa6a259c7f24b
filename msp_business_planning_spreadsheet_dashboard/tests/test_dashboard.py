"""The Business Planning dashboard: for planning users only, built on fields that
exist (on each version), filtered by year, channel manager and company, each figure
with the records behind it one click away, and its figures the ORM's in a browser."""

import json
import re
from datetime import date

from odoo import Command
from odoo.addons.msp_business_planning.tests.common import (
    MspPlanningCase,
    MspPlanningHttpCase,
)
from odoo.exceptions import AccessError
from odoo.tests import tagged

DASHBOARD = "msp_business_planning_spreadsheet_dashboard.spreadsheet_dashboard_business_planning"
LINK = re.compile(r"^\[(?P<label>[^\]]+)\]\(odoo://(?P<kind>view|ir_menu_xml_id)/(?P<target>.+)\)$")


class TestDashboardAccess(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref(DASHBOARD)
        cls.plan = cls._create_plan(state="in_progress")

    def test_planning_users_see_the_dashboard(self):
        for user in (self.user_own, self.user_all, self.user_manager):
            with self.subTest(user=user.login):
                Dashboard = self.env["spreadsheet.dashboard"].with_user(user)
                self.assertIn(self.dashboard, Dashboard.search([]))
                self.assertTrue(self.dashboard.with_user(user).spreadsheet_data)

    def test_other_internal_users_do_not(self):
        Dashboard = self.env["spreadsheet.dashboard"].with_user(self.user_internal)
        self.assertNotIn(self.dashboard, Dashboard.search([]))
        self.assertEqual(Dashboard.search_count([("id", "=", self.dashboard.id)]), 0)
        with self.assertRaises(AccessError):
            self.dashboard.with_user(self.user_internal).read(["name"])

    def test_portal_users_do_not(self):
        with self.assertRaises(AccessError):
            self.env["spreadsheet.dashboard"].with_user(self.portal_a).search([])
        with self.assertRaises(AccessError):
            self.dashboard.with_user(self.portal_a).read(["spreadsheet_data"])

    def test_the_partners_plans_field_is_staff_only(self):
        self.assertEqual(self.partner_a.msp_business_plan_ids, self.plan)
        for user in (self.portal_a, self.user_internal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.partner_a.with_user(user).read(["msp_business_plan_ids"])
        # Nor through a search: refused (19.0), or limited by the plans' own rules.
        plan_b = self._create_plan(
            name="Beta Secret Plan", partner_id=self.partner_b.id, state="in_progress"
        )
        Partner = self.env["res.partner"].with_user(self.portal_a)
        try:
            found = Partner.search([("msp_business_plan_ids.name", "=", plan_b.name)])
        except AccessError:
            found = Partner
        self.assertFalse(found)


class TestDashboardDefinition(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = json.loads(cls.env.ref(DASHBOARD).spreadsheet_data)
        cls.filters = {f["label"]: f["id"] for f in cls.data["globalFilters"]}
        cls.sheet = cls.data["sheets"][0]
        cls.charts = [
            f["data"] for f in cls.sheet["figures"] if f["data"]["type"].startswith("odoo_")
        ]

    def _sources(self):
        """Every (kind, model, domain, fields, fieldMatching) the dashboard reads."""
        for pivot in self.data["pivots"].values():
            fields = [m["fieldName"] for m in pivot["measures"]] + [
                r["fieldName"] for r in pivot["rows"]
            ]
            yield "pivot", pivot["model"], pivot["domain"], fields, pivot["fieldMatching"]
        for list_ in self.data["lists"].values():
            fields = list_["columns"] + [o["name"] for o in list_["orderBy"]]
            yield "list", list_["model"], list_["domain"], fields, list_["fieldMatching"]
        for chart in self.charts:
            meta = chart["metaData"]
            yield (
                "chart",
                meta["resModel"],
                chart["searchParams"]["domain"],
                [
                    meta["measure"],
                    *meta["groupBy"],
                ],
                chart["fieldMatching"],
            )

    def test_every_model_field_and_domain_exists(self):
        sources = list(self._sources())
        self.assertEqual(len(sources), 4 + 1 + 3)
        for kind, model, domain, fields, matching in sources:
            with self.subTest(kind=kind, model=model):
                Model = self.env[model]
                Model.search_count(domain)
                for name in fields:
                    if name != "__count":
                        self.assertIn(name.split(":")[0], Model._fields)
                for rule in matching.values():
                    Model.search_count([(rule["chain"], "!=", False)])

    def test_filters_are_year_channel_manager_and_company(self):
        self.assertEqual(set(self.filters), {"Year", "Channel Manager", "Company"})
        for kind, model, _domain, _fields, matching in self._sources():
            with self.subTest(kind=kind, model=model):
                self.assertIn(self.filters["Company"], matching)
                self.assertIn(self.filters["Channel Manager"], matching)
                self.assertTrue(
                    matching[self.filters["Channel Manager"]]["chain"].endswith("user_id")
                )

    def test_every_chart_and_section_opens_the_records_behind_it(self):
        links = {}
        for cell in self.sheet["cells"].values():
            match = LINK.match(cell.get("content", ""))
            if match and match["kind"] == "view":
                action = json.loads(match["target"])["action"]
                links[match["label"]] = (action["modelName"], action["domain"])
        for chart in self.charts:
            with self.subTest(chart=chart["metaData"]):
                self.assertIn(
                    (chart["metaData"]["resModel"], chart["searchParams"]["domain"]), links.values()
                )
        # The list of partners behind pace has its section link too.
        list_ = self.data["lists"]["1"]
        self.assertIn((list_["model"], list_["domain"]), links.values())

    def test_menus_it_opens_exist(self):
        targets = list(self.data["chartOdooMenusReferences"].values())
        for cell in self.sheet["cells"].values():
            match = LINK.match(cell.get("content", ""))
            if match and match["kind"] == "ir_menu_xml_id":
                targets.append(match["target"])
        self.assertIn(
            "msp_business_planning.msp_business_plan_objective_target_menu_heatmap", targets
        )
        for xml_id in targets:
            self.assertEqual(self.env.ref(xml_id)._name, "ir.ui.menu")

    def test_percentages_are_never_stacked_nor_added_up(self):
        for chart in self.charts:
            if chart["metaData"]["measure"] in (
                "progress",
                "expected_progress",
                "forecast_progress",
            ):
                self.assertFalse(chart.get("stacked"))
        for pivot in self.data["pivots"].values():
            Model = self.env[pivot["model"]]
            for measure in pivot["measures"]:
                name = measure["fieldName"]
                if name in (
                    "progress",
                    "expected_progress",
                    "forecast_progress",
                    "excellence_score",
                ):
                    self.assertEqual(Model._fields[name].aggregator, "avg")


@tagged("post_install", "-at_install")
class TestDashboardTour(MspPlanningHttpCase):
    def test_dashboard_tour(self):
        today = date.today()
        year = {"date_start": date(today.year, 1, 1), "date_end": date(today.year, 12, 31)}
        topics = self._review_topics()
        for partner, value in ((self.partner_a, 30), (self.partner_b, 75)):
            plan = self._create_plan(partner_id=partner.id, state="in_progress", **year)
            objective = self._create_objective(plan, target_value=100)
            self._add_update(objective, value, date(today.year, 1, 1))
            review = self._create_review(
                plan,
                draft_agenda=False,
                date=today,
                period_start=plan.date_start,
                period_end=today,
                score_ids=[
                    Command.create({"topic_id": topics[0].id, "score": value}),
                    Command.create({"topic_id": topics[1].id, "score": 50}),
                ],
            )
            review.action_done()
            if partner == self.partner_a:
                # An open deal in the pipeline: the forecast is above the progress.
                self._create_objective(
                    plan, name="Won deals", objective_type="won_deal", target_value=4
                )
                self._create_registration(
                    partner, day=today, state="approved", probability=50, date_deadline=False
                )
        self._create_registration(self.partner_a, day=today)
        self.start_tour("/odoo/dashboards", "msp_dashboard_tour", login=self.user_all.login)
