from datetime import date

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import MspPlanningCase


@tagged("post_install", "-at_install")
class TestBusinessPlanWorkflow(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan()
        cls._create_objective(cls.plan)

    def test_defaults(self):
        plan = self.env["msp.business.plan"].create(
            {"name": "Defaults", "partner_id": self.partner_a.id}
        )
        year = date.today().year
        self.assertEqual(plan.state, "draft_outline")
        self.assertEqual((plan.date_start, plan.date_end), (date(year, 1, 1), date(year, 12, 31)))
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
            "completed": [
                "action_share_with_partner",
                "action_start",
                "action_complete",
                "action_cancel",
                "action_reset_to_outline",
            ],
            "cancelled": [
                "action_share_with_partner",
                "action_start",
                "action_complete",
                "action_cancel",
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
