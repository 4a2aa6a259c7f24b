from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import mute_logger

from ..tools import compat
from .common import MspPlanningCase

REVIEW_MODELS = (
    "msp.business.review",
    "msp.business.review.item",
    "msp.business.review.score",
    "msp.business.review.snapshot",
    "msp.business.plan.initiative",
)


class ReviewAccessCase(MspPlanningCase):
    @classmethod
    def _populate(cls, plan, day=date(2026, 4, 10), done=True):
        """A review with one item, one score, a snapshot (when done) and an initiative."""
        if not plan.objective_ids:
            cls._create_objective(plan)
        review = cls._create_review(
            plan,
            date=day,
            summary="<p>Shared summary</p>",
            internal_note="<p>Secret channel note</p>",
        )
        cls.env["msp.business.review.item"].create({"review_id": review.id, "name": "Item"})
        cls.env["msp.business.review.score"].create(
            {"review_id": review.id, "topic_id": cls._review_topics()[0].id, "score": 50}
        )
        cls._create_initiative(plan)
        if done:
            review.action_done()
        return review


class TestReviewInternalAccess(ReviewAccessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_plan = cls._create_plan(name="Olivia's", user_id=cls.user_own.id)
        cls.other_plan = cls._create_plan(name="Dora's", user_id=cls.user_all.id)
        cls.own_review = cls._populate(cls.own_plan)
        cls.other_review = cls._populate(cls.other_plan)
        cls.company_2_plan = cls._create_plan(
            name="Second company plan",
            company_id=cls.company_2.id,
            user_id=cls.user_company_2.id,
            partner_id=cls.env["res.partner"].create({"name": "Gamma", "company_id": False}).id,
        )
        cls.company_2_review = cls._populate(cls.company_2_plan)

    def _visible_plans(self, user, model):
        return self.env[model].with_user(user).search([]).mapped("plan_id")

    def test_own_plans_user_sees_the_reviews_of_its_plans_only(self):
        for model in REVIEW_MODELS:
            with self.subTest(model=model):
                plans = self._visible_plans(self.user_own, model)
                self.assertIn(self.own_plan, plans)
                self.assertNotIn(self.other_plan, plans)
        with self.assertRaises(AccessError):
            self.other_review.with_user(self.user_own).read(["summary"])
        with self.assertRaises(AccessError):
            self.other_review.item_ids.with_user(self.user_own).write({"decision": "accepted"})

    def test_all_plans_user_sees_every_review_of_its_companies(self):
        for model in REVIEW_MODELS:
            with self.subTest(model=model):
                plans = self._visible_plans(self.user_all, model)
                self.assertLessEqual(self.own_plan | self.other_plan, plans)
                self.assertNotIn(self.company_2_plan, plans)

    def test_second_company_user_sees_its_company_only(self):
        for model in REVIEW_MODELS:
            with self.subTest(model=model):
                self.assertEqual(
                    self._visible_plans(self.user_company_2, model), self.company_2_plan
                )

    @mute_logger("odoo.access")
    def test_internal_user_without_planning_rights_reads_nothing(self):
        for model in (*REVIEW_MODELS, "msp.business.review.topic"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.user_internal).search([])

    def test_planning_users_read_the_internal_note(self):
        self.assertIn(
            "Secret channel note",
            self.own_review.with_user(self.user_own).read(["internal_note"])[0]["internal_note"],
        )

    @mute_logger("odoo.access")
    def test_topics_are_configured_by_managers_only(self):
        topic = self._review_topics()[0]
        self.assertTrue(topic.with_user(self.user_own).read(["name"]))
        with self.assertRaises(AccessError):
            topic.with_user(self.user_own).write({"weight": 90})
        with self.assertRaises(AccessError):
            self.env["msp.business.review.topic"].with_user(self.user_all).create({"name": "Mine"})
        new = (
            self.env["msp.business.review.topic"]
            .with_user(self.user_manager)
            .create({"name": "Backup & Recovery", "weight": 10})
        )
        self.assertTrue(new.active)
        with self.assertRaisesRegex(ValidationError, "between 1 and 100"):
            new.with_user(self.user_manager).write({"weight": 0})

    @mute_logger("odoo.access")
    def test_only_managers_delete_reviews(self):
        with self.assertRaises(AccessError):
            self.own_review.with_user(self.user_own).unlink()
        self.other_review.with_user(self.user_manager).unlink()
        self.assertFalse(self.other_review.exists())


class TestReviewPortalAccess(ReviewAccessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A completed plan is on record: it is filled while running, then completed.
        cls.plans = {
            state: cls._create_plan(
                name=f"Alpha {state}", state="in_progress" if state == "completed" else state
            )
            for state in ("draft_outline", "draft", "in_progress", "completed", "cancelled")
        }
        cls.reviews = {state: cls._populate(plan) for state, plan in cls.plans.items()}
        cls.plans["completed"].action_complete()
        running = cls.plans["in_progress"]
        cls.scheduled = cls._populate(running, day=date(2026, 9, 10), done=False)
        cls.cancelled = cls._create_review(running, date=date(2026, 10, 10))
        cls.cancelled.action_cancel()
        cls.plan_b = cls._create_plan(
            name="Beta plan", partner_id=cls.partner_b.id, state="in_progress"
        )
        cls.review_b = cls._populate(cls.plan_b)

    def _visible(self, model, user=None):
        return self.env[model].with_user(user or self.portal_a).search([])

    def test_portal_sees_reviews_of_its_visible_plans_only(self):
        expected = (
            self.reviews["draft"]
            | self.reviews["in_progress"]
            | self.reviews["completed"]
            | self.scheduled
        )
        self.assertEqual(self._visible("msp.business.review"), expected)
        for model in REVIEW_MODELS[1:4]:
            with self.subTest(model=model):
                self.assertEqual(self._visible(model).review_id, expected & self._with(model))
        initiatives = self._visible("msp.business.plan.initiative")
        self.assertEqual(
            initiatives.plan_id,
            self.plans["draft"] | self.plans["in_progress"] | self.plans["completed"],
        )
        self.assertEqual(self._visible("msp.business.review", self.portal_b), self.review_b)

    def _with(self, model):
        """Reviews that have lines of ``model`` (snapshots exist on done reviews only)."""
        return self.env[model].search([]).review_id

    @mute_logger("odoo.access")
    def test_portal_cannot_open_hidden_or_foreign_reviews(self):
        hidden = (
            self.reviews["draft_outline"],
            self.reviews["cancelled"],
            self.cancelled,
            self.review_b,
        )
        for review in hidden:
            with self.subTest(review=review.plan_id.name), self.assertRaises(AccessError):
                review.with_user(self.portal_a).read(["summary"])
            for lines in (review.item_ids, review.score_ids, review.snapshot_ids):
                if lines:
                    with self.assertRaises(AccessError):
                        lines.with_user(self.portal_a).read(["review_id"])

    @mute_logger("odoo.access")
    def test_portal_never_reads_searches_or_groups_the_internal_note(self):
        review = self.reviews["in_progress"].with_user(self.portal_a)
        self.assertEqual(review.read(["summary"])[0]["summary"], "<p>Shared summary</p>")
        self.assertNotIn("internal_note", review.fields_get())
        with self.assertRaises(AccessError):
            review.read(["internal_note"])
        with self.assertRaises(AccessError):
            review.mapped("internal_note")
        Review = self.env["msp.business.review"].with_user(self.portal_a)
        with self.assertRaises(AccessError):
            Review.search([("internal_note", "ilike", "Secret")])
        with self.assertRaises(AccessError):
            compat.read_group(Review, [], ["internal_note"])
        self.assertNotIn("Secret", str(Review.search_read([], [])))

    @mute_logger("odoo.access")
    def test_portal_cannot_write(self):
        review = self.reviews["in_progress"]
        with self.assertRaises(AccessError):
            review.with_user(self.portal_a).write({"summary": "<p>Changed</p>"})
        with self.assertRaises(AccessError):
            review.item_ids.with_user(self.portal_a).write({"decision": "accepted"})
        with self.assertRaises(AccessError):
            self.plans["in_progress"].initiative_ids.with_user(self.portal_a).write({"budget": 1})


class TestPartnerFeedback(ReviewAccessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(name="Alpha running", state="in_progress")
        cls.review = cls._populate(cls.plan)
        cls.scheduled = cls._populate(cls.plan, day=date(2026, 9, 10), done=False)

    def test_partner_rates_a_done_review(self):
        self.review.with_user(self.portal_a).action_submit_feedback("4", "  Useful audit.  ")
        self.assertEqual(self.review.feedback_rating, 4)
        self.assertEqual(self.review.feedback_comment, "Useful audit.")
        self.assertEqual(self.review.feedback_partner_id, self.partner_a_contact)
        self.assertTrue(self.review.feedback_date)
        message = self.review.message_ids[0]
        self.assertEqual(message.author_id, self.partner_a_contact)
        self.assertIn("4/5", message.body)
        self.assertIn(self.user_own.partner_id, message.partner_ids)
        # A second submission replaces the first.
        self.review.with_user(self.portal_a).action_submit_feedback(5, "")
        self.assertEqual((self.review.feedback_rating, self.review.feedback_comment), (5, False))

    def test_comment_is_stored_as_plain_text(self):
        self.review.with_user(self.portal_a).action_submit_feedback(3, "<b>bold</b>\x00 & more")
        self.assertEqual(self.review.feedback_comment, "<b>bold</b> & more")
        # ...and posted escaped, never as markup.
        self.assertIn("&lt;b&gt;bold&lt;/b&gt;", self.review.message_ids[0].body)

    def test_bad_feedback_is_refused_and_nothing_written(self):
        review = self.review.with_user(self.portal_a)
        for rating in (0, 6, -1, "abc", "4.5", 4.5, None, True, ""):
            with self.subTest(rating=rating), self.assertRaisesRegex(ValidationError, "1 to 5"):
                review.action_submit_feedback(rating, "ok")
        with self.assertRaisesRegex(ValidationError, "too long"):
            review.action_submit_feedback(4, "x" * 5000)
        with self.assertRaisesRegex(ValidationError, "must be text"):
            review.action_submit_feedback(4, ["not", "text"])
        with self.assertRaisesRegex(UserError, "once the review has taken place"):
            self.scheduled.with_user(self.portal_a).action_submit_feedback(4, "Early")
        self.assertFalse(self.review.feedback_rating)
        self.assertFalse(self.review.feedback_date)
        self.assertFalse(self.scheduled.feedback_rating)

    def test_rating_out_of_range_is_refused_at_the_orm(self):
        with self.assertRaisesRegex(ValidationError, "1 to 5"):
            self.review.write({"feedback_rating": 9})
        self.assertFalse(self.review.feedback_rating)

    @mute_logger("odoo.access")
    def test_another_partner_cannot_give_feedback(self):
        with self.assertRaises(AccessError):
            self.review.with_user(self.portal_b).action_submit_feedback(1, "Sabotage")
        self.assertFalse(self.review.feedback_rating)
