from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import mute_logger

from .common import MspPlanningCase


class TestReviewBasics(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.infra, cls.cloud, cls.security, cls.strategy = cls._review_topics()

    def test_default_period_is_the_quarter_before(self):
        review = self._create_review(self.plan, date=date(2026, 7, 8))
        self.assertEqual(review.state, "scheduled")
        self.assertEqual(
            (review.period_start, review.period_end), (date(2026, 4, 1), date(2026, 6, 30))
        )
        # In the plan's first quarter there is no quarter before: the plan start to the review.
        first = self._create_review(self.plan, date=date(2026, 2, 20))
        self.assertEqual(
            (first.period_start, first.period_end), (date(2026, 1, 1), date(2026, 2, 20))
        )

    def test_display_name_from_type_quarter_and_topic(self):
        review = self._create_review(self.plan, date=date(2026, 5, 5), topic_id=self.cloud.id)
        self.assertEqual(review.display_name, "Quarterly Business Review Q2 2026 — Cloud Services")
        review.name = "Spring review"
        self.assertEqual(review.display_name, "Spring review")

    def test_review_dated_outside_its_plan_is_refused(self):
        Review = self.env["msp.business.review"]
        count = Review.search_count([])
        with self.assertRaisesRegex(ValidationError, "outside the business plan"):
            self._create_review(self.plan, date=date(2027, 1, 5))
        review = self._create_review(self.plan)
        with self.assertRaisesRegex(ValidationError, "outside the business plan"):
            review.date = date(2025, 12, 31)
        self.assertEqual(Review.search_count([]), count + 1)

    def test_period_ending_before_it_starts_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot end .* before it starts"):
            self._create_review(
                self.plan, period_start=date(2026, 3, 31), period_end=date(2026, 1, 1)
            )
        review = self._create_review(self.plan)
        with self.assertRaisesRegex(ValidationError, "cannot end .* before it starts"):
            review.period_end = date(2025, 12, 1)
        self.assertEqual(review.period_end, date(2026, 3, 31))

    def test_status_written_directly_goes_through_the_actions(self):
        self._create_objective(self.plan)
        review = self._create_review(self.plan)
        review.write({"state": "done", "summary": "<p>Held</p>"})
        self.assertEqual(review.state, "done")
        self.assertEqual(len(review.snapshot_ids), 1)
        with self.assertRaises(AccessError):
            review.with_user(self.user_own).write({"state": "scheduled"})
        review.with_user(self.user_manager).write({"state": "scheduled"})
        self.assertEqual(review.state, "scheduled")
        review.state = "cancelled"
        with self.assertRaisesRegex(UserError, "only a scheduled review"):
            review.state = "done"
        self.assertEqual(review.state, "cancelled")
        # Created done: the snapshot is taken just the same.
        done = self._create_review(self.plan, date=date(2026, 5, 2), state="done")
        self.assertEqual(done.state, "done")
        self.assertEqual(len(done.snapshot_ids), 1)
        self.assertFalse(done.item_ids)

    def test_marking_a_cancelled_review_done_is_refused(self):
        review = self._create_review(self.plan)
        self._create_objective(self.plan)
        review.action_cancel()
        with self.assertRaisesRegex(UserError, "cancelled: only a scheduled review"):
            review.action_done()
        self.assertEqual(review.state, "cancelled")
        self.assertFalse(review.snapshot_ids)

    def test_declined_item_needs_its_reason(self):
        review = self._create_review(self.plan)
        self.env["msp.business.review.item"].create(
            {"review_id": review.id, "name": "Managed SOC", "decision": "declined"}
        )
        with self.assertRaisesRegex(UserError, "reason"):
            review.action_done()
        self.assertEqual(review.state, "scheduled")

    def test_review_count_on_plan(self):
        self._create_review(self.plan)
        self._create_review(self.plan, date=date(2026, 9, 1))
        self.assertEqual(self.plan.review_count, 2)
        action = self.plan.action_view_reviews()
        self.assertEqual(self.env["msp.business.review"].search_count(action["domain"]), 2)


class TestScorecard(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.infra, cls.cloud, cls.security, cls.strategy = cls._review_topics()
        cls.Score = cls.env["msp.business.review.score"]

    def _score(self, review, topic, score, target=80, **values):
        return self.Score.create(
            {
                "review_id": review.id,
                "topic_id": topic.id,
                "score": score,
                "target_score": target,
                **values,
            }
        )

    def test_excellence_is_the_mean_weighted_by_topic(self):
        review = self._create_review(self.plan)
        self.infra.weight = 30
        self.security.weight = 10
        self._score(review, self.infra, 80, target=90)
        self._score(review, self.security, 40, target=70)
        self.assertAlmostEqual(review.excellence_score, (80 * 30 + 40 * 10) / 40)
        self.assertAlmostEqual(review.excellence_target, (90 * 30 + 70 * 10) / 40)

    def test_equal_weights_give_the_plain_mean(self):
        review = self._create_review(self.plan)
        for topic, score in zip(self._review_topics(), (62, 55, 48, 40), strict=True):
            self._score(review, topic, score)
        self.assertAlmostEqual(review.excellence_score, 51.25)

    def test_later_topic_weight_change_leaves_past_reviews_alone(self):
        review = self._create_review(self.plan)
        self._score(review, self.infra, 80)
        self._score(review, self.cloud, 40)
        self.assertAlmostEqual(review.excellence_score, 60)
        self.infra.weight = 75
        self.assertAlmostEqual(review.excellence_score, 60)

    def test_scores_out_of_range_are_refused(self):
        review = self._create_review(self.plan)
        for values in ({"score": 101}, {"score": -1}, {"target_score": 150}):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, "0 to 100"):
                self.Score.create({"review_id": review.id, "topic_id": self.infra.id, **values})
        self.assertFalse(review.score_ids)
        line = self._score(review, self.infra, 50)
        with self.assertRaisesRegex(ValidationError, "0 to 100"):
            line.score = 120
        self.assertEqual(line.score, 50)

    def test_one_score_line_per_topic(self):
        review = self._create_review(self.plan)
        with self.assertRaisesRegex(ValidationError, "one line per topic"):
            self.Score.create(
                [
                    {"review_id": review.id, "topic_id": self.infra.id, "score": 10},
                    {"review_id": review.id, "topic_id": self.infra.id, "score": 20},
                ]
            )
        self.assertFalse(review.score_ids)
        self._score(review, self.infra, 50)
        with self.assertRaisesRegex(ValidationError, "one line per topic"):
            self._score(review, self.infra, 60)
        other = self._score(review, self.cloud, 70)
        with self.assertRaisesRegex(ValidationError, "one line per topic"):
            other.topic_id = self.infra
        # The same topic on another review is fine.
        self._score(self._create_review(self.plan, date=date(2026, 8, 1)), self.infra, 55)

    def test_load_scorecard_starts_from_the_previous_review(self):
        first = self._create_review(self.plan, date=date(2026, 3, 10))
        self._score(first, self.infra, 62, target=75)
        first.action_done()
        second = self._create_review(self.plan, date=date(2026, 6, 10))
        second.action_load_scorecard()
        self.assertEqual(
            second.score_ids.topic_id, self.infra | self.cloud | self.security | self.strategy
        )
        infra_line = second.score_ids.filtered(lambda s: s.topic_id == self.infra)
        self.assertEqual((infra_line.score, infra_line.target_score), (62, 75))
        # Running it again adds nothing.
        second.action_load_scorecard()
        self.assertEqual(len(second.score_ids), 4)

    def test_score_trend_groups_scores_by_topic_and_review_date(self):
        for day, score in ((date(2026, 3, 10), 40), (date(2026, 6, 10), 55)):
            review = self._create_review(self.plan, date=day)
            self._score(review, self.infra, score)
            review.action_done()
        groups = self.Score._read_group(
            [("plan_id", "=", self.plan.id), ("review_state", "=", "done")],
            ["topic_id", "review_date:quarter"],
            ["score:avg"],
        )
        self.assertEqual([g[2] for g in groups], [40, 55])
        action = review.action_view_score_trend()
        self.assertEqual(action["res_model"], "msp.business.review.score")
        self.assertEqual(self.Score.search(action["domain"]).review_id.plan_id, self.plan)


class TestSnapshot(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.quarterly = cls._create_objective(
            cls.plan, name="Customers", target_value=100, weight=60
        )
        cls.annual = cls._create_objective(
            cls.plan, name="Certifications", target_value=365, periodicity="annual", weight=40
        )
        cls._add_update(cls.quarterly, 20, date(2026, 2, 1))
        cls._add_update(cls.annual, 50, date(2026, 3, 1))

    def _snapshot_line(self, review, objective):
        return review.snapshot_ids.filtered(lambda s: s.objective_id == objective)

    def test_done_freezes_target_to_date_actual_and_progress(self):
        review = self._create_review(
            self.plan, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
        )
        self.assertFalse(review.snapshot_ids)
        review.action_done()
        self.assertEqual(review.state, "done")
        self.assertTrue(review.date_done)
        self.assertEqual(len(review.snapshot_ids), 2)
        quarterly = self._snapshot_line(review, self.quarterly)
        self.assertAlmostEqual(quarterly.target_value, 25)  # Q1's target
        self.assertAlmostEqual(quarterly.actual_value, 20)
        self.assertAlmostEqual(quarterly.progress, 80)
        self.assertAlmostEqual(quarterly.target_total, 100)
        self.assertEqual(quarterly.pacing_status, "at_risk")
        annual = self._snapshot_line(review, self.annual)
        self.assertAlmostEqual(annual.target_value, 90)  # 90 days of 365
        self.assertAlmostEqual(annual.actual_value, 50)
        self.assertAlmostEqual(annual.progress, 50 / 90 * 100)
        self.assertEqual(annual.name, "Certifications")
        self.assertAlmostEqual(review.snapshot_progress, (80 * 60 + 50 / 90 * 100 * 40) / 100)

    def test_current_period_counts_pro_rata(self):
        review = self._create_review(
            self.plan,
            date=date(2026, 5, 20),
            period_start=date(2026, 4, 1),
            period_end=date(2026, 5, 15),
        )
        review.action_done()
        # Q1 in full, plus 45 of Q2's 91 days.
        self.assertAlmostEqual(
            self._snapshot_line(review, self.quarterly).target_value, 25 + 25 * 45 / 91
        )

    def test_later_changes_never_alter_a_done_review(self):
        review = self._create_review(self.plan)
        review.action_done()
        fields = ["target_value", "actual_value", "progress", "pacing_status"]
        frozen = review.snapshot_ids.read(fields)
        frozen_progress = review.snapshot_progress
        # New progress, a new target and a renamed objective after the review...
        self._add_update(self.quarterly, 70, date(2026, 3, 20))
        self.quarterly.target_value = 400
        self.annual.name = "Renamed"
        self.assertAlmostEqual(self.quarterly.actual_value, 90)
        # ...leave the snapshot as it was.
        review.invalidate_recordset()
        self.assertEqual(review.snapshot_ids.read(fields), frozen)
        self.assertEqual(review.snapshot_ids.objective_id, self.quarterly | self.annual)
        self.assertEqual(review.snapshot_progress, frozen_progress)
        self.assertEqual(self._snapshot_line(review, self.annual).name, "Certifications")

    def test_deleted_objective_keeps_its_snapshot_line(self):
        review = self._create_review(self.plan)
        review.action_done()
        self.annual.unlink()
        self.assertEqual(len(review.snapshot_ids), 2)
        self.assertIn("Certifications", review.snapshot_ids.mapped("name"))

    def test_done_review_is_locked(self):
        review = self._create_review(self.plan)
        topic = self._review_topics()[0]
        line = self.env["msp.business.review.score"].create(
            {"review_id": review.id, "topic_id": topic.id, "score": 50}
        )
        item = self.env["msp.business.review.item"].create({"review_id": review.id, "name": "MFA"})
        review.action_done()
        with self.assertRaisesRegex(UserError, "is done"):
            line.score = 90
        with self.assertRaisesRegex(UserError, "is done"):
            item.decision = "accepted"
        with self.assertRaisesRegex(UserError, "is done"):
            review.date = date(2026, 4, 20)
        with self.assertRaisesRegex(UserError, "is done"):
            self.env["msp.business.review.item"].create({"review_id": review.id, "name": "Late"})
        # The summary can still be completed after the meeting.
        review.summary = "<p>Minutes</p>"
        self.assertEqual(line.score, 50)

    @mute_logger("odoo.access")
    def test_snapshot_lines_cannot_be_forged(self):
        review = self._create_review(self.plan)
        with self.assertRaises(AccessError):
            self.env["msp.business.review.snapshot"].with_user(self.user_own).create(
                {"review_id": review.id, "name": "Forged", "actual_value": 1000}
            )
        review.with_user(self.user_own).action_done()
        with self.assertRaises(AccessError):
            review.snapshot_ids[0].with_user(self.user_own).write({"actual_value": 1000})

    def test_only_a_manager_reopens_a_done_review(self):
        review = self._create_review(self.plan)
        review.action_done()
        for user in (self.user_own, self.user_all):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                review.with_user(user).action_reopen()
        self.assertEqual(review.state, "done")
        review.with_user(self.user_manager).action_reopen()
        self.assertEqual(review.state, "scheduled")
        self.assertFalse(review.date_done)
        # Done again: the snapshot is taken again, with today's figures.
        self._add_update(self.quarterly, 5, date(2026, 3, 5))
        review.action_done()
        self.assertEqual(len(review.snapshot_ids), 2)
        self.assertAlmostEqual(
            review.snapshot_ids.filtered(lambda s: s.objective_id == self.quarterly).actual_value,
            25,
        )


class TestFollowUps(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress", user_id=cls.user_all.id)
        cls.Item = cls.env["msp.business.review.item"]

    def _item(self, review, name, decision="open", **values):
        return self.Item.create(
            {"review_id": review.id, "name": name, "decision": decision, **values}
        )

    def test_accepted_items_with_an_owner_become_activities(self):
        review = self._create_review(self.plan)
        accepted = self._item(
            review,
            "Certify a second engineer",
            "accepted",
            user_id=self.user_own.id,
            due_date=date(2026, 5, 31),
            note="Bootcamp in May",
        )
        self._item(review, "Nobody owns this", "accepted")
        self._item(review, "Managed SOC", "declined", user_id=self.user_own.id, note="No budget")
        self._item(review, "Phishing tests", "deferred", user_id=self.user_own.id, note="Later")
        self.assertFalse(review.activity_ids)
        review.action_done()
        activity = review.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_own)
        self.assertEqual(activity.summary, "Certify a second engineer")
        self.assertEqual(activity.date_deadline, date(2026, 5, 31))
        self.assertIn("Bootcamp in May", activity.note)
        self.assertTrue(accepted.activity_created)
        # The owner follows the review, so it can open it although the plan is not its own.
        self.assertEqual(review.with_user(self.user_own).read(["state"])[0]["state"], "done")

    def test_two_items_for_one_owner_and_no_duplicate_after_reopening(self):
        review = self._create_review(self.plan)
        self._item(review, "First", "accepted", user_id=self.user_own.id)
        self._item(review, "Second", "accepted", user_id=self.user_own.id)
        review.action_done()
        self.assertEqual(len(review.activity_ids), 2)
        review.with_user(self.user_manager).action_reopen()
        review.action_done()
        self.assertEqual(len(review.activity_ids), 2)


class TestCarryOver(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.Item = cls.env["msp.business.review.item"]

    def _review_with_decisions(self):
        review = self._create_review(self.plan, date=date(2026, 3, 17))
        values = [
            ("Accepted item", "accepted", False),
            ("Declined item", "declined", "No budget before H2"),
            ("Deferred item", "deferred", "After the M365 migration"),
            ("Open item", "open", False),
        ]
        self.Item.create(
            [
                {"review_id": review.id, "name": name, "decision": decision, "note": note}
                for name, decision, note in values
            ]
        )
        return review

    def test_undecided_items_go_to_the_next_scheduled_review(self):
        review = self._review_with_decisions()
        later = self._create_review(self.plan, date=date(2026, 9, 15))
        following = self._create_review(self.plan, date=date(2026, 6, 16))
        review.action_done()
        carried = following.item_ids.filtered(lambda i: i.origin == "carried")
        self.assertEqual(
            sorted(carried.mapped("name")), ["Declined item", "Deferred item", "Open item"]
        )
        self.assertEqual(set(carried.mapped("decision")), {"open"})
        declined = review.item_ids.filtered(lambda i: i.name == "Declined item")
        copy = carried.filtered(lambda i: i.carried_from_id == declined)
        self.assertEqual(copy.previous_decision, "declined")
        self.assertEqual(copy.previous_note, "No budget before H2")
        # The original stays on record with its decision and reason.
        self.assertEqual((declined.decision, declined.note), ("declined", "No budget before H2"))
        self.assertFalse(later.item_ids.filtered(lambda i: i.origin == "carried"))

    def test_a_review_scheduled_later_takes_them_over(self):
        review = self._review_with_decisions()
        review.action_done()
        following = self._create_review(self.plan, date=date(2026, 6, 16))
        self.assertEqual(len(following.item_ids.filtered(lambda i: i.origin == "carried")), 3)
        # Carried once only.
        another = self._create_review(self.plan, date=date(2026, 7, 1))
        self.assertFalse(another.item_ids.filtered(lambda i: i.origin == "carried"))

    def test_deferred_again_comes_back_again(self):
        review = self._review_with_decisions()
        second = self._create_review(self.plan, date=date(2026, 6, 16))
        third = self._create_review(self.plan, date=date(2026, 9, 15))
        review.action_done()
        carried = second.item_ids.filtered(lambda i: i.origin == "carried")
        carried.write({"decision": "accepted"})
        carried.filtered(lambda i: i.name == "Deferred item").write(
            {"decision": "deferred", "note": "Still waiting"}
        )
        second.action_done()
        self.assertEqual(
            third.item_ids.filtered(lambda i: i.origin == "carried").mapped("name"),
            ["Deferred item"],
        )

    def test_other_plans_items_are_not_carried(self):
        review = self._review_with_decisions()
        review.action_done()
        other_plan = self._create_plan(name="Other", state="in_progress")
        other = self._create_review(other_plan, date=date(2026, 6, 16))
        self.assertFalse(other.item_ids)


# On 1 July, an even pace has reached half of a quarterly-spread target.
@freeze_time("2026-07-01")
class TestAgendaDrafting(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.objectives = {}
        for name, achieved in (("A", 0), ("B", 15), ("C", 30), ("D", 45), ("E", 80)):
            objective = cls._create_objective(cls.plan, name=name, target_value=100)
            if achieved:
                cls._add_update(objective, achieved, date(2026, 2, 1))
            cls.objectives[name] = objective

    def test_new_review_proposes_the_objectives_furthest_behind(self):
        self.assertAlmostEqual(self.objectives["A"].expected_progress, 50)
        review = self._create_review(self.plan, date=date(2026, 7, 10))
        proposed = review.item_ids.filtered(lambda i: i.origin == "pace").sorted("sequence")
        self.assertEqual(
            proposed.objective_id,
            self.objectives["A"] | self.objectives["B"] | self.objectives["C"],
        )
        self.assertEqual(proposed[0].objective_id, self.objectives["A"])
        self.assertIn("A", proposed[0].name)
        self.assertIn("50%", proposed[0].name)

    def test_on_pace_objectives_give_no_proposal(self):
        plan = self._create_plan(name="On pace", state="in_progress")
        objective = self._create_objective(plan, target_value=100)
        self._add_update(objective, 60, date(2026, 2, 1))
        review = self._create_review(plan, date=date(2026, 7, 10))
        self.assertFalse(review.item_ids)

    def test_redrafting_keeps_what_people_touched(self):
        review = self._create_review(self.plan, date=date(2026, 7, 10))
        proposals = review.item_ids.sorted("sequence")
        kept = proposals[0]
        kept.write({"user_id": self.user_own.id})
        # A catches up; the redraft proposes the next ones behind, keeps A (touched).
        self._add_update(self.objectives["A"], 49, date(2026, 3, 1))
        review.action_draft_agenda()
        self.assertIn(kept, review.item_ids)
        self.assertEqual(
            review.item_ids.objective_id,
            self.objectives["A"]
            | self.objectives["B"]
            | self.objectives["C"]
            | self.objectives["D"],
        )
        self.assertEqual(len(review.item_ids), 4)

    def test_done_review_drafts_the_next_one(self):
        review = self._create_review(self.plan, date=date(2026, 7, 10))
        following = self.env["msp.business.review"]._create_reviews(
            [{"plan_id": self.plan.id, "date": date(2026, 9, 15)}], draft_agenda=False
        )
        self.assertFalse(following.item_ids)
        review.item_ids.write({"decision": "accepted"})
        review.action_done()
        self.assertEqual(len(following.item_ids.filtered(lambda i: i.origin == "pace")), 3)

    def test_draft_agenda_only_while_scheduled(self):
        review = self._create_review(self.plan, date=date(2026, 7, 10))
        review.item_ids.write({"decision": "accepted"})
        review.action_done()
        with self.assertRaisesRegex(UserError, "only be drafted while it is scheduled"):
            review.action_draft_agenda()
