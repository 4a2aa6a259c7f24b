"""The charts of the partner's plan page: the figures embedded in the page are the
stored figures of that plan only, the tables beside them say the same, the page
costs the same queries for 5 objectives as for 50, and a real browser draws them."""

import doctest
import json
from datetime import date

from freezegun import freeze_time
from lxml import html

from odoo import Command
from odoo.tests import BaseCase, tagged

from ..tools import portal_charts
from .common import MspPlanningHttpCase

PLAN_URL = "/my/business-plans"


class TestPortalChartsMath(BaseCase):
    def test_doctests(self):
        result = doctest.testmod(portal_charts)
        self.assertGreater(result.attempted, 15)
        self.assertEqual(result.failed, 0)


@tagged("post_install", "-at_install")
class TestPortalCharts(MspPlanningHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(name="Alpha Charted Plan", state="in_progress")
        cls.objective = cls._create_objective(cls.plan, name="Managed clients", target_value=40)
        cls._add_update(cls.objective, 7, date(2026, 2, 10))
        cls._add_update(cls.objective, 4, date(2026, 5, 3))
        cls.topics = cls._review_topics()
        # Plan B of the other partner, with figures of its own that must never show.
        cls.plan_b = cls._create_plan(
            name="Beta Secret Plan", partner_id=cls.partner_b.id, state="in_progress"
        )
        cls.objective_b = cls._create_objective(
            cls.plan_b, name="Beta hidden objective", target_value=9876
        )
        cls._add_update(cls.objective_b, 4321, date(2026, 2, 10))

    def _done_review(self, plan, day, period_end, scores):
        review = self._create_review(
            plan,
            draft_agenda=False,
            date=day,
            period_start=plan.date_start,
            period_end=period_end,
            score_ids=[
                Command.create({"topic_id": topic.id, "score": score})
                for topic, score in scores.items()
            ],
        )
        review.action_done()
        return review

    def _page(self, plan, login="msp_portal_a"):
        self.authenticate(login, login)
        response = self.url_open(f"{PLAN_URL}/{plan.id}")
        self.assertEqual(response.status_code, 200)
        return html.fromstring(response.content)

    def _charts(self, page):
        return [
            json.loads(node.get("data-msp-chart")) for node in page.xpath("//*[@data-msp-chart]")
        ]

    # ------------------------------------------------------------
    # FIGURES
    # ------------------------------------------------------------

    @freeze_time("2026-05-16")
    def test_period_and_burnup_figures_are_the_stored_period_figures(self):
        charts = self.plan._portal_chart_values()["objectives"][self.objective.id]
        targets = self.objective.target_ids.sorted("date_start")
        self.assertEqual(charts["periods"]["labels"], targets.mapped("name"))
        self.assertEqual(charts["periods"]["target"], [10, 10, 10, 10])
        self.assertEqual(charts["periods"]["actual"], [7, 4, 0, 0])
        self.assertEqual(charts["periods"]["actual_texts"], ["7", "4", "0", "0"])
        burnup = charts["burnup"]
        # Cumulative target to each quarter's end; the actual stops at today.
        self.assertEqual([p["y"] for p in burnup["target"]], [0, 10, 20, 30, 40])
        self.assertEqual([(p["x"], p["y"]) for p in burnup["actual"]], [(0, 0), (90, 7), (135, 11)])
        self.assertEqual(burnup["today"], {"x": 135})
        self.assertEqual(burnup["actual_to_date"], 11)
        # 10 for Q1 and 45 of Q2's 91 days; a number typed by hand keeps 2 decimals.
        self.assertEqual(burnup["target_to_date"], 14.95)
        self.assertEqual(
            [(r["target"], r["actual"]) for r in burnup["rows"]],
            [(10, 7), (20, None), (30, None), (40, None)],
        )

    def test_amounts_read_with_the_plan_currency(self):
        objective = self._create_objective(
            self.plan, name="Won revenue", objective_type="won_deal", measure="sum"
        )
        charts = self.plan._portal_chart_values()["objectives"][objective.id]
        self.assertEqual(objective.figure_kind, "amount")
        symbol = self.plan.currency_id.symbol
        self.assertTrue(all(symbol in text for text in charts["periods"]["target_texts"]))

    @freeze_time("2026-05-16")
    def test_plan_progress_today_is_the_stored_progress_and_pace(self):
        self._done_review(self.plan, date(2026, 4, 5), date(2026, 3, 31), {self.topics[0]: 40})
        self.plan.objective_ids.action_refresh_actuals()  # today's pace, as the daily job does
        chart = self.plan._portal_chart_values()["plan"]
        review = self.plan.review_ids
        self.assertEqual(
            chart["progress"],
            [
                {
                    "x": 90,
                    "y": round(review.snapshot_progress),
                    "label": "Mar 31",
                    "expected": 25,
                },
                {
                    "x": 135,
                    "y": self.plan._round_percent(self.plan.progress),
                    "label": "May 16",
                    "expected": self.plan._round_percent(self.plan.expected_progress),
                },
            ],
        )
        self.assertEqual(chart["expected"][-1], {"x": 365, "y": 100})
        self.assertEqual(len(chart["ticks"]), 12)

    def test_scorecard_is_one_line_per_topic_of_done_reviews(self):
        infra, cloud, security = self.topics[:3]
        self._done_review(self.plan, date(2026, 4, 5), date(2026, 3, 31), {infra: 40, cloud: 60})
        self._done_review(self.plan, date(2026, 7, 5), date(2026, 6, 30), {infra: 55, security: 80})
        # A scheduled review's scores are not on record yet.
        self._create_review(
            self.plan,
            draft_agenda=False,
            date=date(2026, 10, 5),
            score_ids=[Command.create({"topic_id": infra.id, "score": 99})],
        )
        scorecard = self.plan._portal_chart_values()["scorecard"]
        self.assertEqual(len(scorecard["labels"]), 2)
        self.assertEqual(
            scorecard["series"],
            [
                {"topic": infra.name, "scores": [40, 55]},
                {"topic": cloud.name, "scores": [60, None]},
                {"topic": security.name, "scores": [None, 80]},
            ],
        )

    # ------------------------------------------------------------
    # THE PAGE
    # ------------------------------------------------------------

    def test_page_embeds_the_figures_beside_tables_that_say_the_same(self):
        page = self._page(self.plan)
        charts = self._charts(page)
        # The plan's two charts, and the periods + burn-up of its objective.
        self.assertEqual(len(charts), 3)
        objective_chart = charts[2]
        self.assertEqual(objective_chart["periods"]["actual"], [7, 4, 0, 0])
        canvases = page.xpath("//canvas[@data-msp-draw]")
        self.assertEqual(
            sorted(c.get("data-msp-draw") for c in canvases), ["burnup", "periods", "plan_progress"]
        )
        # Every canvas is described by a table printed in the page (shown without
        # JavaScript), and stays hidden until a chart is drawn in it.
        for canvas in canvases:
            self.assertEqual(canvas.get("role"), "img")
            self.assertTrue(canvas.get("aria-label"))
            self.assertTrue(page.get_element_by_id(canvas.get("aria-describedby")).tag == "table")
            self.assertIn("d-none", canvas.getparent().get("class"))
        burnup_rows = page.xpath(f"//table[@id='msp_burnup_{self.objective.id}']/tbody/tr")
        self.assertEqual(len(burnup_rows), 4 + (1 if objective_chart["burnup"]["today"] else 0))
        # As of when.
        self.assertIn(
            "as of",
            page.xpath("//*[contains(@class, 'o_msp_objective_charts')]//figcaption")[
                0
            ].text_content(),
        )

    def test_chart_data_of_plan_a_holds_nothing_of_partner_b(self):
        page = self._page(self.plan)
        embedded = " ".join(
            node.get("data-msp-chart") for node in page.xpath("//*[@data-msp-chart]")
        )
        for secret in ("Beta", "9876", "9,876", "4321", "4,321"):
            self.assertNotIn(secret, embedded)
        self.assertNotIn("Beta hidden objective", page.text_content())
        # And B's contact gets nothing of plan A at all.
        self.authenticate("msp_portal_b", "msp_portal_b")
        response = self.url_open(f"{PLAN_URL}/{self.plan.id}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn(b"data-msp-chart", response.content)

    def test_my_home_shows_a_card_per_running_plan(self):
        draft = self._create_plan(name="Alpha Draft Plan", state="draft")
        self.authenticate("msp_portal_a", "msp_portal_a")
        page = html.fromstring(self.url_open("/my").content)
        cards = page.xpath("//a[contains(@class, 'o_msp_running_plan_card')]")
        self.assertEqual([c.get("href") for c in cards], [self.plan.access_url])
        self.assertNotIn(draft.name, page.text_content())
        self.assertNotIn("Beta Secret Plan", page.text_content())
        self.assertEqual(
            cards[0].xpath(".//*[contains(@class, 'o_msp_card_progress')]")[0].text_content(),
            self.plan._format_percent(self.plan.progress),
        )

    # ------------------------------------------------------------
    # QUERY BUDGET
    # ------------------------------------------------------------

    def _plan_with_objectives(self, count):
        plan = self._create_plan(name=f"Alpha {count} objectives", state="in_progress")
        for index in range(count):
            objective = self._create_objective(
                plan,
                name=f"Objective {index}",
                periodicity=("monthly", "quarterly", "annual")[index % 3],
            )
            self._add_update(objective, index + 1, date(2026, 2, 10))
        self._done_review(plan, date(2026, 4, 5), date(2026, 3, 31), {self.topics[0]: 40})
        self.env.flush_all()
        return plan

    def test_page_queries_do_not_grow_with_objectives(self):
        small, large = self._plan_with_objectives(5), self._plan_with_objectives(50)
        self.authenticate("msp_portal_a", "msp_portal_a")
        for plan in (small, large):  # warm the caches, give each plan its access token
            self.url_open(f"{PLAN_URL}/{plan.id}")
        with self.with_user("msp_portal_a"):
            for plan in (small, large):
                self.env.invalidate_all()
                with self.assertQueryCount(msp_portal_a=PAGE_QUERIES):
                    response = self.url_open(f"{PLAN_URL}/{plan.id}")
                self.assertEqual(response.status_code, 200)
                self.assertEqual(
                    response.content.count(b'data-msp-draw="burnup"'), len(plan.objective_ids)
                )

    # ------------------------------------------------------------
    # BROWSER
    # ------------------------------------------------------------

    def test_portal_charts_tour(self):
        year = date.today().year
        plan = self._create_plan(
            name="Alpha Tour Charts",
            state="in_progress",
            date_start=date(year, 1, 1),
            date_end=date(year, 12, 31),
        )
        objective = self._create_objective(plan, name="Charted clients", target_value=12)
        self._add_update(objective, 2, date(year, 1, 15))
        today = date.today()
        infra, cloud = self.topics[:2]
        self._done_review(plan, today, today, {infra: 45, cloud: 70})
        self.start_tour(
            f"{PLAN_URL}/{plan.id}", "msp_portal_charts_tour", login=self.portal_a.login
        )


# The plan page's queries as the portal user (the layout, the chatter, the plan and
# its objectives, periods, reviews and scores, each in a batch): the same for 5
# objectives as for 50.
PAGE_QUERIES = 35
