"""Peer benchmarks on the partner's plan page: quartiles of the partners on the same
template and year, from 5 partners on, never another partner's name or figure."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tools import mute_logger

from .common import MspPlanningHttpCase

YEAR = 2026
# Reported by the peers on the manual objective, of target 100: their progress (%).
PEER_VALUES = (11, 23, 37, 44, 61, 68, 93)
# Partner A's, and partner B's (B is a peer of A's like the others).
VALUE_A, VALUE_B = 52, 79
# Progress of the 9 partners: 11 23 37 44 52 61 68 79 93.
QUARTILES = (37.0, 52.0, 68.0)


class TestPeerBenchmark(MspPlanningHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env["msp.business.plan.template"].create(
            {
                "name": "Gold plan",
                "line_ids": [
                    Command.create(
                        {
                            "name": "Customer QBRs",
                            "objective_type": "manual",
                            "periodicity": "annual",
                            "weight": 50,
                            "target_rule": "fixed",
                            "target_value": 100,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Registered deals",
                            "objective_type": "deal_registration",
                            "weight": 50,
                            "target_rule": "fixed",
                            "target_value": 4,
                        }
                    ),
                ],
            }
        )
        cls.peers = cls.env["res.partner"].create(
            [
                {"name": f"Peer Partner {index}", "is_company": True}
                for index in range(len(PEER_VALUES))
            ]
        )
        plans = cls.template.generate_plans(cls.partner_a | cls.partner_b | cls.peers, YEAR)
        plans.write({"state": "in_progress"})
        cls.plans = {plan.partner_id: plan for plan in plans}
        cls.plan_a = cls.plans[cls.partner_a]
        for partner, value in zip(cls.peers, PEER_VALUES, strict=True):
            cls._report(cls.plans[partner], value)
        cls._report(cls.plan_a, VALUE_A)
        cls._report(cls.plans[cls.partner_b], VALUE_B)
        cls.qbr_a = cls._qbr(cls.plan_a)

    @classmethod
    def _peers(cls):
        return [
            *zip(cls.peers, PEER_VALUES, strict=True),
            (cls.partner_b, VALUE_B),
        ]

    @classmethod
    def _qbr(cls, plan):
        return plan.objective_ids.filtered(lambda o: o.objective_type == "manual")

    @classmethod
    def _report(cls, plan, value):
        cls._add_update(cls._qbr(plan), value, date(YEAR, 3, 1))

    def _benchmarks(self, plan=None):
        return self.env["msp.business.plan.template"]._get_peer_benchmarks(plan or self.plan_a)

    # ------------------------------------------------------------
    # FIGURES
    # ------------------------------------------------------------

    def _quartiles(self, benchmark):
        return (benchmark["first_quartile"], benchmark["median"], benchmark["third_quartile"])

    def test_quartiles_of_the_segment(self):
        self.assertEqual(self.qbr_a.progress, 52.0)
        benchmarks = self._benchmarks()
        deals = self.plan_a.objective_ids - self.qbr_a
        self.assertEqual(set(benchmarks), set(self.plan_a.objective_ids.ids))
        benchmark = benchmarks[self.qbr_a.id]
        self.assertEqual(benchmark["partner_count"], 9)
        self.assertEqual(self._quartiles(benchmark), QUARTILES)
        self.assertEqual(benchmark["position"], "at_median")
        # No registration yet: everyone at 0, A with them.
        self.assertEqual(self._quartiles(benchmarks[deals.id]), (0.0, 0.0, 0.0))
        self.assertEqual(benchmarks[deals.id]["position"], "at_median")
        # B's plan: its own progress against the same quartiles.
        plan_b = self.plans[self.partner_b]
        benchmark_b = self._benchmarks(plan_b)[self._qbr(plan_b).id]
        self.assertEqual(self._quartiles(benchmark_b), QUARTILES)
        self.assertEqual(benchmark_b["position"], "top_quarter")

    def test_one_grouped_query(self):
        """The plan's template, then one grouped query for all its objectives."""
        self.env.invalidate_all()
        self.plan_a.objective_ids.mapped("progress")
        with self.assertQueryCount(__system__=2):
            self._benchmarks()

    def test_fewer_than_five_partners_show_nothing(self):
        # Four of the nine plans stay; the others leave the segment one way or another.
        self.plans[self.peers[0]].action_cancel()
        self.plans[self.peers[1]].state = "draft_outline"
        self.plans[self.peers[2]].active = False
        self.plans[self.peers[3]].write(
            {"date_start": date(YEAR + 1, 1, 1), "date_end": date(YEAR + 1, 12, 31)}
        )
        self.assertEqual(self._benchmarks()[self.qbr_a.id]["partner_count"], 5)
        self.plans[self.peers[4]].action_cancel()
        self.assertEqual(self._benchmarks(), {})
        self._login_a()
        page = self.url_open(f"/my/business-plans/{self.plan_a.id}").text
        self.assertIn("Customer QBRs", page)
        self.assertNotIn("o_msp_peer_benchmark", page)

    def test_plan_not_from_a_template_has_no_benchmark(self):
        plan = self._create_plan(name="By hand", state="in_progress")
        self._create_objective(plan)
        self.assertEqual(self._benchmarks(plan), {})

    # ------------------------------------------------------------
    # PORTAL
    # ------------------------------------------------------------

    def _login_a(self):
        self.env.flush_all()
        self.authenticate(self.portal_a.login, self.portal_a.login)

    def test_page_shows_position_never_a_peer(self):
        self._login_a()
        response = self.url_open(f"/my/business-plans/{self.plan_a.id}")
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("o_msp_peer_benchmark", page)
        self.assertIn("Among the 9 partners on the same plan this year", page)
        self.assertIn("at the median", page)
        self.assertIn("median 52%", page)
        self.assertIn("middle half 37%", page)
        self.assertIn("to 68%", page)
        for partner, value in self._peers():
            with self.subTest(partner=partner.name):
                self.assertNotIn(partner.name, page)
                # Quartiles aside, no peer's own progress or reported value is shown.
                if value not in QUARTILES:
                    self.assertNotIn(f"{value}%", page)
                    self.assertNotIn(f">{value}<", page)
        self.assertNotIn("Gold plan", page)  # the vendor's segmentation: staff only

    def test_rpc_answers_hold_no_peer(self):
        self._login_a()
        names = [partner.name for partner, _value in self._peers()]

        def call(model, method, args, kwargs=None):
            return self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            )

        objectives = call(
            "msp.business.plan.objective",
            "search_read",
            [[]],
            {"fields": ["name", "progress", "actual_value", "partner_id"]},
        )
        self.assertEqual({o["id"] for o in objectives}, set(self.plan_a.objective_ids.ids))
        for name in names:
            self.assertNotIn(name, str(objectives))
        refused = [
            ("msp.business.plan.template", "search_read", [[]]),
            ("msp.business.plan.template.line", "search_read", [[]]),
            ("msp.business.plan.template", "_get_peer_benchmarks", [self.plan_a.id]),
            ("msp.business.plan", "read", [self.plan_a.ids, ["template_id"]]),
            ("msp.business.plan", "search_count", [[("template_id", "!=", False)]]),
            (
                "msp.business.plan.objective",
                "search_read",
                [[("template_line_id.template_id.plan_ids.partner_id.name", "ilike", "Peer")]],
            ),
            (
                "msp.business.plan.objective",
                "read",
                [self.qbr_a.ids, ["template_line_id"]],
            ),
        ]
        for model, method, args in refused:
            with (
                self.subTest(model=model, method=method),
                mute_logger("odoo.http"),
                self.assertRaises(Exception),  # noqa: B017 (an RPC error, whichever)
            ):
                call(model, method, args)

    def test_templates_closed_to_partners_in_python(self):
        Template = self.env["msp.business.plan.template"].with_user(self.portal_a)
        with self.assertRaises(AccessError):
            Template.search([])
        with self.assertRaises(AccessError):
            self.plan_a.with_user(self.portal_a).template_id  # noqa: B018

    def test_page_query_budget_with_benchmarks(self):
        """The benchmark adds one query to the page, whatever the number of peers."""
        self._login_a()
        url = f"/my/business-plans/{self.plan_a.id}"
        self.url_open(url)  # caches warm
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        self.url_open(url)
        with_benchmark = self.env.cr.sql_log_count - before
        self.assertGreater(with_benchmark, 10)  # the page's queries are counted
        # Two more peers: the same number of queries.
        more = self.env["res.partner"].create(
            [{"name": f"Late Peer {index}", "is_company": True} for index in range(2)]
        )
        late = self.template.generate_plans(more, YEAR)
        late.write({"state": "in_progress"})
        for plan in late:
            self._report(plan, 10)
        self.env.flush_all()
        self.url_open(url)
        before = self.env.cr.sql_log_count
        response = self.url_open(url)
        self.assertEqual(self.env.cr.sql_log_count - before, with_benchmark)
        self.assertIn("Among the 11 partners", response.text)
