from datetime import date

from odoo.exceptions import ValidationError

from .common import MspPlanningCase


class TestInitiatives(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.Initiative = cls.env["msp.business.plan.initiative"]

    def test_plan_sums_approved_and_proposed_budget(self):
        self._create_initiative(self.plan, budget=1000, state="approved")
        self._create_initiative(self.plan, budget=500, state="done")
        self._create_initiative(self.plan, budget=300, state="proposed")
        self._create_initiative(self.plan, budget=9999, state="declined")
        self._create_initiative(self._create_plan(name="Other"), budget=7000, state="approved")
        self.assertEqual(self.plan.budget_approved, 1500)
        self.assertEqual(self.plan.budget_proposed, 300)

    def test_budget_per_quarter(self):
        self._create_initiative(self.plan, budget=1000, state="approved", date=date(2026, 2, 1))
        self._create_initiative(self.plan, budget=400, state="approved", date=date(2026, 3, 30))
        self._create_initiative(self.plan, budget=250, state="proposed", date=date(2026, 11, 2))
        initiative = self.plan.initiative_ids.sorted("date")[0]
        self.assertEqual(initiative.quarter, "Q1 2026")
        groups = self.Initiative._read_group(
            [("plan_id", "=", self.plan.id)], ["date:quarter", "state"], ["budget:sum"]
        )
        self.assertEqual(
            [(state, budget) for _quarter, state, budget in groups],
            [("approved", 1400), ("proposed", 250)],
        )
        action = self.plan.action_view_initiative_budget()
        self.assertEqual(action["views"][0][1], "pivot")
        self.assertEqual(self.Initiative.search(action["domain"]), self.plan.initiative_ids)

    def test_it_budget_guide_by_maturity(self):
        self.plan.client_annual_revenue = 2_000_000
        for maturity, guide in (("low", 100_000), ("medium", 140_000), ("high", 180_000)):
            with self.subTest(maturity=maturity):
                self.plan.it_maturity = maturity
                self.assertEqual(self.plan.it_budget_guide, guide)
        self.plan.it_maturity = False
        self.assertEqual(self.plan.it_budget_guide, 0)

    def test_bad_budget_or_date_is_refused(self):
        count = self.Initiative.search_count([])
        with self.assertRaisesRegex(ValidationError, "positive amount"):
            self._create_initiative(self.plan, budget=-10)
        with self.assertRaisesRegex(ValidationError, "outside the business plan"):
            self._create_initiative(self.plan, date=date(2027, 2, 1))
        self.assertEqual(self.Initiative.search_count([]), count)
        initiative = self._create_initiative(self.plan)
        with self.assertRaisesRegex(ValidationError, "outside the business plan"):
            initiative.date = date(2025, 6, 1)
        self.assertEqual(initiative.date, date(2026, 5, 4))

    def test_review_decisions_apply_to_linked_initiatives(self):
        review = self._create_review(self.plan)
        Item = self.env["msp.business.review.item"]
        accepted, declined, deferred = Item.create(
            [
                {"review_id": review.id, "name": "Firewalls", "decision": "accepted"},
                {"review_id": review.id, "name": "SOC", "decision": "declined", "note": "Cost"},
                {"review_id": review.id, "name": "Backups", "decision": "deferred", "note": "Q3"},
            ]
        )
        to_approve = self._create_initiative(self.plan, review_item_id=accepted.id)
        to_decline = self._create_initiative(self.plan, review_item_id=declined.id)
        waiting = self._create_initiative(self.plan, review_item_id=deferred.id)
        already_done = self._create_initiative(self.plan, review_item_id=accepted.id, state="done")
        self.assertEqual(to_approve.review_id, review)
        review.action_done()
        self.assertEqual(to_approve.state, "approved")
        self.assertEqual(to_decline.state, "declined")
        self.assertEqual(waiting.state, "proposed")
        self.assertEqual(already_done.state, "done")
        self.assertEqual(review.initiative_ids, to_approve | to_decline | waiting | already_done)

    def test_item_of_another_plan_is_refused(self):
        other_review = self._create_review(self._create_plan(name="Other"))
        item = self.env["msp.business.review.item"].create(
            {"review_id": other_review.id, "name": "Elsewhere"}
        )
        with self.assertRaisesRegex(ValidationError, "its own business plan"):
            self._create_initiative(self.plan, review_item_id=item.id)
