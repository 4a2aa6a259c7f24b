from datetime import date

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
