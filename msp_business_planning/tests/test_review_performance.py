from datetime import date, datetime

from .common import MspPlanningCase


class TestReviewQueries(MspPlanningCase):
    """Marking a review done costs the same number of queries whatever the number of
    objectives and agenda items: nothing is done one record at a time. (Each follow-up
    activity notifies its owner, one mail each: Odoo's own cost, kept constant here.)"""

    def _done_review_queries(self, size):
        plan = self._create_plan(name=f"Plan of {size}", state="in_progress")
        for index in range(size):
            objective = self._create_objective(plan, name=f"Objective {index}")
            self._add_update(objective, index, date(2026, 2, 1))
        review = self._create_review(plan)
        self.env["msp.business.review.item"].create(
            [
                {
                    "review_id": review.id,
                    "name": f"Item {index}",
                    "decision": "accepted" if index == 0 else ("declined", "deferred")[index % 2],
                    "note": "Reason",
                    "user_id": self.user_own.id,
                }
                for index in range(size)
            ]
        )
        self._create_review(plan, date=date(2026, 9, 1))
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        review.action_done()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before, review

    def test_done_review_queries_do_not_grow_with_its_size(self):
        self._done_review_queries(2)  # warm the caches (models, templates, subtypes)
        small, small_review = self._done_review_queries(3)
        large, large_review = self._done_review_queries(12)
        self.assertEqual(len(small_review.snapshot_ids), 3)
        self.assertEqual(len(large_review.snapshot_ids), 12)
        self.assertEqual(len(large_review.activity_ids), 1)
        self.assertEqual(large, small)


class TestReviewSnapshotQueries(MspPlanningCase):
    """The snapshot as of the reviewed period comes from the tracking engine with a
    date cut: one aggregate per kind of objective and deal filter, none per objective
    nor per review."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.won_stage = cls._won_stage()
        for index in range(3):
            lead = cls._create_registration(
                cls.partner_a, day=date(2026, 2, index + 1), state="approved"
            )
            lead.write({"stage_id": cls.won_stage.id, "expected_revenue": 1000 * (index + 1)})
            lead.write({"date_closed": datetime(2026, 3, index + 1, 12, 0)})

    def _reviews(self, plans, objectives_per_kind):
        """Q1 reviews of ``plans`` new plans, each with ``objectives_per_kind``
        objectives of every kind (two deal filters among the won deals)."""
        reviews = self.env["msp.business.review"]
        for index in range(plans):
            plan = self._create_plan(
                name=f"Plan {objectives_per_kind}/{index}", state="in_progress"
            )
            for number in range(objectives_per_kind):
                self._create_objective(plan, name=f"Manual {number}")
                self._create_objective(
                    plan, name=f"Registered {number}", objective_type="deal_registration"
                )
                self._create_objective(
                    plan,
                    name=f"Won {number}",
                    objective_type="won_deal",
                    measure="sum",
                    periodicity="annual",
                    lead_domain=f"[('expected_revenue', '>', {number % 2 * 1000})]",
                )
            reviews |= self._create_review(
                plan, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
            )
        self.env.flush_all()
        self.env.invalidate_all()
        return reviews

    def test_snapshot_queries_do_not_grow_with_objectives_or_reviews(self):
        self._reviews(1, 2).action_done()  # warm the caches
        reviews = self._reviews(1, 2)
        # 21 for the snapshot and follow-ups, 2 for what Mark as Done checks first
        # (attendees, agenda items): the same for 1 review as for 3. Without the mail
        # to the partner, one a review (rendered with its PDF), which Mark as Done
        # sends after all this (issue 17).
        with self.assertQueryCount(23):
            reviews._mark_done(notify_partner=False)
            self.env.flush_all()
        reviews = self._reviews(3, 6)
        with self.assertQueryCount(23):
            reviews._mark_done(notify_partner=False)
            self.env.flush_all()
        self.assertEqual(len(reviews.snapshot_ids), 3 * 18)
        won = reviews.snapshot_ids.filtered(lambda s: s.name == "Won 1")
        self.assertEqual(won.mapped("actual_value"), [5000.0] * 3)

    def test_snapshot_queries_as_own_plans_user(self):
        """The same as the channel manager of the plans, who creates and closes the
        reviews: access checks and record rules add to the superuser's count, but it
        still does not grow with the reviews nor their objectives."""
        reviews = self._reviews(1, 2).with_user(self.user_own)
        reviews._mark_done(notify_partner=False)  # warm the caches
        for size in ((1, 2), (3, 6)):
            reviews = self._reviews(*size)
            # Without the mail to the partner, as above (one a review, with its PDF).
            with self.with_user(self.user_own.login), self.assertQueryCount(msp_own=26):
                reviews.with_env(self.env)._mark_done(notify_partner=False)
                self.env.flush_all()
        self.assertEqual(reviews.mapped("state"), ["done"] * 3)
        self.assertEqual(len(reviews.snapshot_ids), 3 * 18)
