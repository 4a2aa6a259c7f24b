from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError

from .common import MspPlanningCase


# The playbook schedules nothing in the past: the layout of a year is tested from
# its first day.
@freeze_time("2026-01-01")
class TestReviewPlaybook(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.infra, cls.cloud, cls.security, cls.strategy = cls._review_topics()

    def _qbrs(self, plan):
        return plan.review_ids.filtered(lambda r: r.review_type == "qbr").sorted("date")

    def test_calendar_year_gets_one_qbr_per_quarter_strategy_last(self):
        plan = self._create_plan(state="in_progress")
        plan.action_generate_review_schedule()
        reviews = self._qbrs(plan)
        self.assertEqual(len(reviews), 4)
        self.assertEqual(
            reviews.mapped("date"),
            [date(2026, 3, 17), date(2026, 6, 16), date(2026, 9, 16), date(2026, 12, 17)],
        )
        self.assertEqual(
            [r.topic_id for r in reviews], [self.infra, self.cloud, self.security, self.strategy]
        )
        self.assertEqual(
            [(r.period_start, r.period_end) for r in reviews],
            [
                (date(2026, 1, 1), date(2026, 3, 31)),
                (date(2026, 4, 1), date(2026, 6, 30)),
                (date(2026, 7, 1), date(2026, 9, 30)),
                (date(2026, 10, 1), date(2026, 12, 31)),
            ],
        )
        self.assertEqual(set(reviews.mapped("state")), {"scheduled"})
        # No review falls on a weekend.
        self.assertTrue(all(r.date.weekday() < 5 for r in reviews))

    def test_second_run_creates_nothing_new(self):
        plan = self._create_plan(state="in_progress")
        plan.action_generate_review_schedule()
        first = plan.review_ids
        result = plan.action_generate_review_schedule()
        self.assertEqual(plan.review_ids, first)
        self.assertEqual(result["params"]["type"], "info")

    def test_plan_not_starting_on_january_first(self):
        plan = self._create_plan(date_start=date(2026, 4, 15), date_end=date(2027, 4, 14))
        plan.action_generate_review_schedule()
        reviews = self._qbrs(plan)
        # The plan's own quarters: 15 April - 14 July, 15 July - 14 October, ...
        self.assertEqual(
            [(r.period_start, r.period_end) for r in reviews],
            [
                (date(2026, 4, 15), date(2026, 7, 14)),
                (date(2026, 7, 15), date(2026, 10, 14)),
                (date(2026, 10, 15), date(2027, 1, 14)),
                (date(2027, 1, 15), date(2027, 4, 14)),
            ],
        )
        for review in reviews:
            self.assertTrue(review.period_start <= review.date <= review.period_end)
        self.assertEqual(reviews[-1].topic_id, self.strategy)
        self.assertEqual(len(set(reviews.mapped("topic_id"))), 4)
        plan.action_generate_review_schedule()
        self.assertEqual(len(plan.review_ids), 4)

    def test_twice_a_year_for_smaller_partners(self):
        plan = self._create_plan(review_cadence="semiannual")
        plan.action_generate_review_schedule()
        reviews = self._qbrs(plan)
        self.assertEqual(len(reviews), 2)
        self.assertEqual(
            [(r.period_start, r.period_end) for r in reviews],
            [(date(2026, 1, 1), date(2026, 6, 30)), (date(2026, 7, 1), date(2026, 12, 31))],
        )
        self.assertEqual(reviews[-1].topic_id, self.strategy)
        self.assertTrue(date(2026, 1, 1) <= reviews[0].date <= date(2026, 6, 30))
        # Switching to quarterly later fills the quarters still without a QBR.
        plan.review_cadence = "quarterly"
        plan.action_generate_review_schedule()
        self.assertEqual(len(self._qbrs(plan)), 4)

    def test_quarter_with_a_qbr_is_left_alone(self):
        plan = self._create_plan()
        existing = self._create_review(plan, date=date(2026, 5, 5), topic_id=self.security.id)
        cancelled = self._create_review(plan, date=date(2026, 8, 5))
        cancelled.action_cancel()
        check_in = self._create_review(plan, date=date(2026, 2, 5), review_type="check_in")
        plan.action_generate_review_schedule()
        reviews = self._qbrs(plan)
        self.assertEqual(len(reviews), 4)
        self.assertIn(existing, reviews)
        self.assertIn(cancelled, reviews)
        self.assertNotIn(check_in, reviews)
        new = reviews - existing - cancelled
        self.assertEqual(new.mapped("date"), [date(2026, 3, 17), date(2026, 12, 17)])
        self.assertEqual([r.topic_id for r in new], [self.infra, self.strategy])

    def test_topics_added_by_a_manager_join_the_rotation(self):
        backup = (
            self.env["msp.business.review.topic"]
            .with_user(self.user_manager)
            .create({"name": "Backup & Recovery", "sequence": 35})
        )
        plan = self._create_plan()
        plan.action_generate_review_schedule()
        topics = self._qbrs(plan).mapped("topic_id")
        self.assertIn(backup, topics)
        self.assertEqual(topics[-1], self.strategy)

    def test_archived_topics_are_skipped(self):
        self.cloud.active = False
        plan = self._create_plan()
        plan.action_generate_review_schedule()
        self.assertNotIn(self.cloud, self._qbrs(plan).mapped("topic_id"))

    def test_closed_plans_get_no_schedule(self):
        for state in ("completed", "cancelled"):
            plan = self._create_plan(name=f"Closed {state}", state=state)
            with self.subTest(state=state), self.assertRaisesRegex(UserError, "You cannot"):
                plan.action_generate_review_schedule()
            self.assertFalse(plan.review_ids)

    @freeze_time("2026-05-01")
    def test_only_the_next_review_gets_an_agenda_drafted(self):
        plan = self._create_plan(state="in_progress")
        objective = self._create_objective(plan, target_value=100)
        self.assertGreater(objective.expected_progress, 0)
        plan.action_generate_review_schedule()
        # Q1 is over: no review for it; the next one (16 June) proposes the lagging
        # objective, the later ones wait for their turn.
        drafted = plan.review_ids.filtered("item_ids")
        self.assertEqual(drafted.date, date(2026, 6, 16))
        self.assertEqual(drafted.item_ids.objective_id, objective)


class TestPlanNextYear(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.env["res.partner"].create({"name": "Harbor Dental", "is_company": True})
        cls.plan = cls._create_plan(
            name="Alpha 2026 plan",
            state="in_progress",
            target_account_ids=[(6, 0, cls.account.ids)],
            partner_commitment="<p>Two certified engineers</p>",
            review_cadence="semiannual",
        )
        cls.quarterly = cls._create_objective(cls.plan, name="Customers", target_value=100)
        cls.annual = cls._create_objective(
            cls.plan, name="Certifications", target_value=3, periodicity="annual", weight=30
        )
        cls._add_update(cls.quarterly, 40, date(2026, 5, 1))
        Item = cls.env["msp.business.review.item"]
        cls.review = cls._create_review(cls.plan, date=date(2026, 6, 16))
        cls.items = Item.create(
            [
                {"review_id": cls.review.id, "name": "Accepted", "decision": "accepted"},
                {
                    "review_id": cls.review.id,
                    "name": "Declined",
                    "decision": "declined",
                    "note": "No budget",
                    "objective_id": cls.quarterly.id,
                },
                {
                    "review_id": cls.review.id,
                    "name": "Deferred",
                    "decision": "deferred",
                    "note": "Q4",
                },
            ]
        )
        cls.review.action_done()
        cls.last = cls._create_review(cls.plan, date=date(2026, 12, 10))
        Item.create({"review_id": cls.last.id, "name": "Still open"})

    def test_copies_the_plan_into_next_year(self):
        action = self.plan.action_plan_next_year()
        new = self.env["msp.business.plan"].browse(action["res_id"])
        self.assertEqual(new.name, "Alpha 2027 plan")
        self.assertEqual((new.date_start, new.date_end), (date(2027, 1, 1), date(2027, 12, 31)))
        self.assertEqual(new.state, "draft_outline")
        self.assertEqual(new.partner_id, self.plan.partner_id)
        self.assertEqual(new.target_account_ids, self.account)
        self.assertEqual(new.previous_plan_id, self.plan)
        self.assertEqual(new.review_cadence, "semiannual")
        self.assertEqual(new.objective_ids.mapped("name"), ["Customers", "Certifications"])
        customers = new.objective_ids[0]
        self.assertEqual(customers.target_value, 100)
        self.assertEqual(customers.weight, 10)
        # Targets spread again over next year's periods; no progress carried.
        self.assertEqual(
            [(t.date_start, t.target_value) for t in customers.target_ids.sorted("date_start")],
            [
                (date(2027, 1, 1), 25),
                (date(2027, 4, 1), 25),
                (date(2027, 7, 1), 25),
                (date(2027, 10, 1), 25),
            ],
        )
        self.assertEqual(customers.actual_value, 0)
        self.assertFalse(customers.update_ids)
        self.assertEqual(new.objective_ids[1].target_value, 3)
        # The original plan is untouched.
        self.assertEqual(self.plan.state, "in_progress")
        self.assertEqual(self.quarterly.actual_value, 40)

    def test_open_decisions_go_onto_a_kickoff_review(self):
        new = self.env["msp.business.plan"].browse(self.plan.action_plan_next_year()["res_id"])
        kickoff = new.review_ids
        self.assertEqual(len(kickoff), 1)
        self.assertEqual(kickoff.date, date(2027, 1, 1))
        self.assertEqual(kickoff.state, "scheduled")
        # Declined and deferred went to the December review, which is still open: its
        # copies and its own open item are the plan's undecided questions.
        self.assertEqual(
            sorted(kickoff.item_ids.mapped("name")), ["Declined", "Deferred", "Still open"]
        )
        self.assertEqual(set(kickoff.item_ids.mapped("decision")), {"open"})
        declined = kickoff.item_ids.filtered(lambda i: i.name == "Declined")
        self.assertEqual(declined.objective_id, new.objective_ids[0])
        self.assertEqual(declined.carried_from_id.carried_from_id.note, "No budget")

    def test_running_it_again_opens_the_same_plan(self):
        first = self.plan.action_plan_next_year()["res_id"]
        count = self.env["msp.business.plan"].search_count([])
        self.assertEqual(self.plan.action_plan_next_year()["res_id"], first)
        self.assertEqual(self.env["msp.business.plan"].search_count([]), count)

    def test_plan_without_open_decision_gets_no_kickoff(self):
        plan = self._create_plan(name="Quiet 2026", state="in_progress")
        self._create_objective(plan)
        plan.action_complete()
        new = self.env["msp.business.plan"].browse(plan.action_plan_next_year()["res_id"])
        self.assertFalse(new.review_ids)
        self.assertEqual(new.name, "Quiet 2027")

    def test_cancelled_plan_is_not_rolled_over(self):
        plan = self._create_plan(name="Dropped", state="cancelled")
        with self.assertRaisesRegex(UserError, "You cannot roll over"):
            plan.action_plan_next_year()
