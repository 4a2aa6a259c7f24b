from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..tools import compat
from .common import MspPlanningCase


@tagged("post_install", "-at_install")
class TestBusinessPlanWorkflow(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan()
        cls._create_objective(cls.plan)

    @freeze_time("2026-06-15")
    def test_defaults(self):
        plan = self.env["msp.business.plan"].create(
            {"name": "Defaults", "partner_id": self.partner_a.id}
        )
        self.assertEqual(plan.state, "draft_outline")
        self.assertEqual((plan.date_start, plan.date_end), (date(2026, 1, 1), date(2026, 12, 31)))
        self.assertEqual(plan.user_id, self.env.user)
        self.assertEqual(plan.currency_id, self.env.company.currency_id)
        self.assertEqual(plan.access_url, f"/my/business-plans/{plan.id}")

    def test_full_lifecycle(self):
        plan = self.plan
        plan.action_share_with_partner()
        self.assertEqual(plan.state, "draft")
        plan.action_start()
        self.assertEqual(plan.state, "in_progress")
        plan.action_complete()
        self.assertEqual(plan.state, "completed")

    def test_share_notifies_portal_contacts_by_email(self):
        plan = self.plan.with_context(tracking_disable=False)
        plan.action_share_with_partner()
        message = plan.message_ids.filtered(lambda m: self.partner_a_contact in m.partner_ids)
        self.assertTrue(message, "the partner's portal contact is notified")
        self.assertIn(plan.get_portal_url().split("?")[0], message[0].body)
        self.assertIn(self.partner_a_contact, plan.message_partner_ids)
        mail = self.env["mail.mail"].search([("mail_message_id", "in", message.ids)])
        self.assertIn(self.partner_a_contact, mail.recipient_ids)
        self.assertNotIn(self.partner_b_contact, plan.message_partner_ids)

    def test_share_without_objective_is_refused(self):
        plan = self._create_plan(name="Empty")
        with self.assertRaisesRegex(UserError, "at least one objective"):
            plan.action_share_with_partner()
        self.assertEqual(plan.state, "draft_outline")

    def test_illegal_transitions_say_why(self):
        illegal = {
            "draft_outline": ["action_start", "action_complete", "action_reset_to_outline"],
            "draft": ["action_share_with_partner", "action_complete"],
            "in_progress": ["action_share_with_partner", "action_start", "action_reset_to_outline"],
            "cancelled": [
                "action_share_with_partner",
                "action_start",
                "action_complete",
                "action_cancel",
            ],
            # Last: a completed plan is left only by reopening it.
            "completed": [
                "action_share_with_partner",
                "action_start",
                "action_complete",
                "action_cancel",
                "action_reset_to_outline",
            ],
        }
        for state, methods in illegal.items():
            for method in methods:
                with self.subTest(state=state, method=method):
                    self.plan.state = state
                    with self.assertRaisesRegex(UserError, "You cannot .* because it is"):
                        getattr(self.plan, method)()
                    self.assertEqual(self.plan.state, state)

    def test_cancel_and_reset(self):
        self.plan.action_share_with_partner()
        self.plan.action_cancel()
        self.assertEqual(self.plan.state, "cancelled")
        self.plan.action_reset_to_outline()
        self.assertEqual(self.plan.state, "draft_outline")

    def test_partner_acceptance_is_recorded(self):
        self.plan.action_share_with_partner()
        self.plan.with_user(self.portal_a).sudo().action_accept_by_partner()
        self.assertEqual(self.plan.state, "in_progress")
        accepted = self.plan.message_ids.filtered(lambda m: "accepted by" in (m.body or ""))
        self.assertEqual(accepted.author_id, self.partner_a_contact)
        self.assertIn(self.user_own.partner_id, accepted.partner_ids)

    def test_plan_cannot_end_before_it_starts(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self._create_plan(date_start=date(2026, 6, 1), date_end=date(2026, 5, 31))
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.plan.write({"date_end": date(2025, 12, 31)})
        self.assertEqual(self.plan.date_end, date(2026, 12, 31))

    def test_partner_smart_button_counts_company_plans(self):
        self.assertEqual(self.partner_a_contact.business_plan_count, 1)
        self.assertEqual(self.partner_b.business_plan_count, 0)
        action = self.partner_a.action_view_business_plans()
        self.assertEqual(self.env["msp.business.plan"].search(action["domain"]), self.plan)

    @freeze_time("2026-10-01")
    def test_new_plan_in_the_last_quarter_is_for_next_year(self):
        plan = self.env["msp.business.plan"].create(
            {"name": "Next year", "partner_id": self.partner_a.id}
        )
        self.assertEqual((plan.date_start, plan.date_end), (date(2027, 1, 1), date(2027, 12, 31)))

    def test_cancelled_column_is_folded_in_the_kanban(self):
        groups = compat.web_read_group(self.env["msp.business.plan"], [], "state")
        folded = {group["state"]: group.get("__fold", False) for group in groups}
        self.assertTrue(folded["cancelled"])
        self.assertFalse(folded["in_progress"])


@tagged("post_install", "-at_install")
class TestCompletedPlanOnRecord(MspPlanningCase):
    """A completed plan is history: what it is made of changes only once a planning
    administrator reopens it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.objective = cls._create_objective(cls.plan, target_value=8)
        cls.update = cls._add_update(cls.objective, 3, date(2026, 2, 1))
        cls.plan.action_complete()

    def assertOnRecord(self):
        return self.assertRaisesRegex(UserError, "is completed: .* on record")

    def test_partner_dates_and_currency_cannot_change(self):
        euro = self.env.ref("base.EUR")
        for vals in (
            {"partner_id": self.partner_b.id},
            {"date_start": date(2026, 2, 1)},
            {"date_end": date(2026, 11, 30)},
            {"currency_id": euro.id},
        ):
            with self.subTest(vals=vals), self.assertOnRecord():
                self.plan.with_user(self.user_own).write(vals)
        self.assertEqual(self.plan.partner_id, self.partner_a)
        self.assertEqual(self.plan.date_start, date(2026, 1, 1))

    def test_status_cannot_be_written_back(self):
        # Leaving "completed" is reopening: never a plain write, whoever sends it.
        for state in ("in_progress", "draft_outline", "cancelled"):
            with self.subTest(state=state), self.assertOnRecord():
                self.plan.with_user(self.user_manager).write({"state": state})
        self.assertEqual(self.plan.state, "completed")

    def test_objectives_targets_and_updates_cannot_change(self):
        Objective = self.env["msp.business.plan.objective"].with_user(self.user_own)
        checks = [
            lambda: self.objective.with_user(self.user_own).write({"target_value": 20}),
            lambda: self.objective.with_user(self.user_own).write({"name": "Renamed"}),
            lambda: Objective.create({"plan_id": self.plan.id, "name": "Late", "weight": 5}),
            lambda: self.objective.with_user(self.user_manager).unlink(),
            lambda: self.objective.target_ids[0]
            .with_user(self.user_own)
            .write({"target_value": 1}),
            lambda: self.objective.target_ids[0].with_user(self.user_manager).unlink(),
            lambda: self.update.with_user(self.user_own).write({"value": 30}),
            lambda: self.update.with_user(self.user_manager).unlink(),
            lambda: self._add_update(self.objective, 1, date(2026, 6, 1)),
        ]
        for index, check in enumerate(checks):
            with self.subTest(check=index), self.assertOnRecord():
                check()
        self.assertEqual(self.objective.target_value, 8)
        self.assertEqual(self.objective.actual_value, 3)
        self.assertEqual(len(self.objective.target_ids), 4)

    def test_reopen_is_for_planning_administrators_and_recorded(self):
        with self.assertRaises(AccessError):
            self.plan.with_user(self.user_all).action_reopen()
        self.assertEqual(self.plan.state, "completed")
        self.plan.with_user(self.user_manager).action_reopen()
        self.assertEqual(self.plan.state, "in_progress")
        note = self.plan.message_ids.filtered(lambda m: "reopened by" in (m.body or ""))
        self.assertIn(self.user_manager.name, note.body)
        self.plan.with_user(self.user_own).write({"partner_id": self.partner_b.id})
        self.assertEqual(self.plan.partner_id, self.partner_b)

    def test_no_context_key_opens_the_record(self):
        plan = self.plan.with_user(self.user_own).with_context(
            msp_review_transition=True, msp_skip_target_generation=True, active_test=False
        )
        with self.assertOnRecord():
            plan.write({"partner_id": self.partner_b.id})

    def test_only_a_completed_plan_is_reopened(self):
        running = self._create_plan(name="Running", state="in_progress")
        with self.assertRaisesRegex(UserError, "You cannot reopen"):
            running.with_user(self.user_manager).action_reopen()
