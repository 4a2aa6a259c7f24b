"""Reviews as history and as plans: nothing scheduled in the past, overdue ones
shown as such, a review marked done only once it took place."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools import compat
from .common import MspPlanningCase


@tagged("post_install", "-at_install")
class TestScheduleInThePast(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.infra, cls.cloud, cls.security, cls.strategy = cls._review_topics()

    def _qbrs(self, plan):
        return plan.review_ids.filtered(lambda r: r.review_type == "qbr").sorted("date")

    @freeze_time("2026-12-01")
    def test_quarters_already_over_get_no_review(self):
        plan = self._create_plan(state="in_progress")
        action = plan.action_generate_review_schedule()
        reviews = self._qbrs(plan)
        self.assertEqual(reviews.mapped("date"), [date(2026, 12, 17)])
        self.assertEqual(reviews.topic_id, self.strategy)
        self.assertEqual(reviews.user_ids, plan.user_id)
        self.assertEqual(
            (reviews.period_start, reviews.period_end), (date(2026, 10, 1), date(2026, 12, 31))
        )
        self.assertIn("3 periods already over were not scheduled", action["params"]["message"])
        note = plan.message_ids.filtered(lambda m: "periods already over" in (m.body or ""))
        self.assertIn("2026-01-01 to 2026-03-31", note.body)
        self.assertIn("2026-07-01 to 2026-09-30", note.body)
        # Running it again creates nothing and says the same.
        plan.action_generate_review_schedule()
        self.assertEqual(self._qbrs(plan), reviews)

    @freeze_time("2026-12-19")
    def test_review_of_the_current_quarter_is_never_dated_in_the_past(self):
        # 17 December is gone: the review is dated on the next working day.
        plan = self._create_plan(state="in_progress")
        plan.action_generate_review_schedule()
        self.assertEqual(self._qbrs(plan).mapped("date"), [date(2026, 12, 21)])
        self.assertFalse(self._qbrs(plan).is_overdue)

    @freeze_time("2027-01-05")
    def test_plan_over_gets_nothing_scheduled(self):
        plan = self._create_plan(state="in_progress")
        action = plan.action_generate_review_schedule()
        self.assertFalse(plan.review_ids)
        self.assertEqual(action["params"]["type"], "info")


@tagged("post_install", "-at_install")
class TestOverdueReviews(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.past = cls._create_review(cls.plan, date=date(2026, 3, 17))
        cls.ahead = cls._create_review(cls.plan, date=date(2026, 12, 17))
        cls.done = cls._create_review(cls.plan, date=date(2026, 6, 16))
        cls.done.action_done()
        cls.cancelled = cls._create_review(cls.plan, date=date(2026, 9, 16))
        cls.cancelled.action_cancel()

    @freeze_time("2026-12-01")
    def test_scheduled_review_past_its_date_is_overdue(self):
        reviews = self.past | self.ahead | self.done | self.cancelled
        self.assertEqual(reviews.filtered("is_overdue"), self.past)
        Review = self.env["msp.business.review"].with_user(self.user_own)
        domain = [("plan_id", "=", self.plan.id)]
        self.assertEqual(Review.search([*domain, ("is_overdue", "=", True)]), self.past)
        self.assertEqual(
            Review.search([*domain, ("is_overdue", "=", False)]),
            self.ahead | self.done | self.cancelled,
        )
        self.assertEqual(Review.search_count([*domain, ("is_overdue", "!=", True)]), 3)

    @freeze_time("2026-03-01")
    def test_nothing_is_overdue_before_its_day(self):
        self.assertFalse((self.past | self.ahead).filtered("is_overdue"))

    def test_reviews_sort_soonest_first(self):
        reviews = self.env["msp.business.review"].search([("plan_id", "=", self.plan.id)])
        self.assertEqual(reviews.mapped("date"), sorted(reviews.mapped("date")))

    def test_cancelled_column_is_folded_in_the_kanban(self):
        groups = compat.web_read_group(
            self.env["msp.business.review"], [("plan_id", "=", self.plan.id)], "state"
        )
        folded = {group["state"]: group.get("__fold", False) for group in groups}
        self.assertEqual(folded, {"scheduled": False, "done": False, "cancelled": True})


@tagged("post_install", "-at_install")
class TestMarkAsDone(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")

    def test_review_without_attendee_is_refused(self):
        review = self._create_review(self.plan, user_ids=[Command.clear()])
        with self.assertRaisesRegex(UserError, "add who attended it"):
            review.action_done()
        self.assertEqual(review.state, "scheduled")
        self.assertFalse(review.snapshot_ids)
        review.attendee_partner_ids = self.partner_a_contact
        review.action_done()
        self.assertEqual(review.state, "done")

    def test_review_with_nothing_concluded_is_refused(self):
        review = self._create_review(self.plan, summary=False)
        item = self.env["msp.business.review.item"].create(
            {"review_id": review.id, "name": "Firewall refresh"}
        )
        with self.assertRaisesRegex(UserError, "record a decision .* or write the summary"):
            review.action_done()
        # Through a plain write of the status too.
        with self.assertRaisesRegex(UserError, "record a decision"):
            review.write({"state": "done"})
        self.assertEqual(review.state, "scheduled")
        item.decision = "accepted"
        review.action_done()
        self.assertEqual(review.state, "done")

    def test_both_missing_are_named_together(self):
        review = self._create_review(self.plan, summary="<p><br></p>", user_ids=[])
        with self.assertRaisesRegex(UserError, "attended it .*; record a decision"):
            review.action_done()

    def test_summary_alone_is_enough(self):
        review = self._create_review(self.plan, summary="<p>We met and agreed on Q3.</p>")
        review.action_done()
        self.assertEqual(review.state, "done")

    def test_form_asks_confirmation_and_shows_the_review_name(self):
        arch = self.env["msp.business.review"].get_view(view_type="form")["arch"]
        self.assertRegex(arch, r'name="action_done"[^>]*confirm="Mark this review as done\?')
        self.assertIn('<h1><field name="display_name"', arch)
        review = self._create_review(self.plan, topic_id=self._review_topics()[2].id)
        self.assertEqual(review.display_name, "Quarterly Business Review Q2 2026 — Cybersecurity")
