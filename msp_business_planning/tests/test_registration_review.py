"""A submitted deal registration is somebody's job: who is asked to review it, what
the approver finds, what happens to the request once decided, and what the partner
never reads of it. Also the registration's e-mail rule, its outcome (Won / Lost) and
the partner form's Deal Registrations button."""

from datetime import date, timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form

from .common import MspPlanningCase

REVIEW = "msp_business_planning.mail_activity_type_registration_review"


class RegistrationReviewCase(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.review_type = cls.env.ref(REVIEW)
        cls.team_own = cls.env["crm.team"].create(
            {"name": "Olivia's Team", "member_ids": [(6, 0, cls.user_own.ids)]}
        )
        cls.team_registrations = cls.env["crm.team"].create(
            {"name": "Partner Desk", "user_id": cls.user_manager.id}
        )

    def _register(self, user=None, **values):
        values = {"name": "Portal deal", "partner_name": "Initech", **values}
        lead = self.env["crm.lead"].with_user(user or self.portal_a)
        return lead._register_deal_from_portal(values).sudo()

    def _reviews(self, lead):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "=", lead.id),
                ("activity_type_id", "=", self.review_type.id),
            ]
        )

    def _set_approvers(self, approver=None, team=None):
        self.company.write(
            {
                "msp_registration_approver_id": approver.id if approver else False,
                "msp_registration_team_id": team.id if team else False,
            }
        )


class TestWhoReviews(RegistrationReviewCase):
    def test_channel_manager_of_the_running_plan_is_asked(self):
        self._create_plan(state="in_progress", user_id=self.user_own.id)
        # Another partner's plan and a draft plan of this one do not decide.
        self._create_plan(partner_id=self.partner_b.id, user_id=self.user_all.id)
        self._set_approvers(self.user_manager, self.team_registrations)
        lead = self._register()
        review = self._reviews(lead)
        self.assertEqual(len(review), 1)
        self.assertEqual(review.user_id, self.user_own)
        self.assertEqual(review.summary, "Review deal registration")
        today = date.today()
        self.assertIn(review.date_deadline, (today + timedelta(days=1), today + timedelta(days=2)))
        # A portal registration goes to the registration team of Settings.
        self.assertEqual(lead.team_id, self.team_registrations)
        self.assertIn(self.user_own.partner_id, lead.message_partner_ids)

    def test_without_registration_team_the_approvers_team_is_given(self):
        self._create_plan(state="in_progress", user_id=self.user_own.id)
        lead = self._register()
        self.assertEqual(self._reviews(lead).user_id, self.user_own)
        self.assertEqual(lead.team_id, self.team_own)

    def test_without_running_plan_settings_decide(self):
        self._create_plan(state="draft", user_id=self.user_own.id)
        self._set_approvers(self.user_all, self.team_registrations)
        self.assertEqual(self._reviews(self._register()).user_id, self.user_all)
        # No approver set: the registration team's leader.
        self._set_approvers(team=self.team_registrations)
        self.assertEqual(self._reviews(self._register()).user_id, self.user_manager)

    def test_a_channel_manager_who_cannot_edit_the_deal_is_passed_over(self):
        # The partner's salesperson is another user and the channel manager only sees
        # its own leads (crm's "Personal Leads" rule): the activity would be a dead end.
        self.partner_a.user_id = self.user_all
        self._create_plan(state="in_progress", user_id=self.user_own.id)
        self._set_approvers(self.user_manager)
        lead = self._register()
        self.assertEqual(lead.user_id, self.user_all)
        self.assertEqual(self._reviews(lead).user_id, self.user_manager)

    def test_nobody_to_ask_is_said_in_the_chatter(self):
        lead = self._register()
        self.assertFalse(self._reviews(lead))
        note = lead.message_ids.filtered(lambda m: "Nobody was asked" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Alpha Managed Services has no running business plan", note.body)
        self.assertIn("Awaiting Approval", note.body)
        self.assertTrue(note.subtype_id.internal)

    def test_settings_refuse_an_approver_who_cannot_approve(self):
        with self.assertRaises(ValidationError):
            self._set_approvers(self.user_internal)
        with self.assertRaises(ValidationError):
            self._set_approvers(self.user_company_2)

    def test_settings_form_sets_the_company_approvers(self):
        settings = Form(self.env["res.config.settings"])
        settings.msp_registration_approver_id = self.user_all
        settings.msp_registration_team_id = self.team_registrations
        settings.save().execute()
        self.assertEqual(self.company.msp_registration_approver_id, self.user_all)
        self.assertEqual(self.company.msp_registration_team_id, self.team_registrations)

    def test_back_office_registration_and_resubmission_are_reviewed(self):
        self._create_plan(state="in_progress", user_id=self.user_own.id)
        lead = self._create_lead(name="Direct deal")
        self.assertFalse(self._reviews(lead))
        lead.registered_partner_id = self.partner_a
        self.assertEqual(self._reviews(lead).user_id, self.user_own)
        lead._reject_registration("Already ours")
        self.assertFalse(self._reviews(lead))
        lead.with_user(self.user_own).action_resubmit_registration()
        self.assertEqual(len(self._reviews(lead)), 1)
        # Written again as submitted, it keeps its one request.
        lead.registration_state = "submitted"
        self.assertEqual(len(self._reviews(lead)), 1)


class TestReviewQueue(RegistrationReviewCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_plan(state="in_progress", user_id=cls.user_own.id)

    def test_to_review_by_me_lists_the_approvers_registrations(self):
        lead = self._register()
        other = self._register(self.portal_b, name="Beta deal")
        mine = [("registration_review_mine", "=", True)]
        Lead = self.env["crm.lead"]
        self.assertEqual(Lead.with_user(self.user_own).search(mine), lead)
        self.assertTrue(lead.with_user(self.user_own).registration_review_mine)
        self.assertFalse(Lead.with_user(self.user_all).search(mine))
        self.assertIn(
            other, Lead.with_user(self.user_own).search([("registration_review_mine", "=", False)])
        )
        # The action behind "Registrations to Review" has its own domain, no default
        # filter that a pipeline's "My Pipeline" could add.
        action = self.env.ref("msp_business_planning.crm_lead_registration_review_action")
        self.assertEqual(action.domain, "[('registration_review_mine', '=', True)]")
        self.assertNotIn("search_default", action.context)
        # Decided, it leaves the queue.
        lead.with_user(self.user_own).action_approve_registration()
        self.assertFalse(Lead.with_user(self.user_own).search(mine))

    def test_approval_marks_the_review_done(self):
        lead = self._register()
        lead.with_user(self.user_own).action_approve_registration()
        self.assertFalse(self._reviews(lead))
        done = lead.message_ids.filtered(lambda m: m.mail_activity_type_id == self.review_type)
        self.assertEqual(len(done), 1)
        self.assertIn("Approved by Olivia Own", done.body)

    def test_rejection_marks_the_review_done(self):
        lead = self._register()
        wizard = (
            self.env["msp.registration.reject.wizard"]
            .with_user(self.user_own)
            .create({"lead_ids": lead.ids, "reason": "Customer already in our pipeline"})
        )
        wizard.action_reject()
        self.assertFalse(self._reviews(lead))
        done = lead.message_ids.filtered(lambda m: m.mail_activity_type_id == self.review_type)
        self.assertIn("Rejected by Olivia Own", done.body)

    def test_no_longer_a_registration_cancels_the_review(self):
        lead = self._register()
        lead.with_user(self.user_own).registered_partner_id = False
        self.assertFalse(self._reviews(lead))
        self.assertFalse(
            lead.message_ids.filtered(lambda m: m.mail_activity_type_id == self.review_type),
            "cancelled, not done",
        )

    def test_the_partner_never_reads_the_review(self):
        lead = self._register()
        review = self._reviews(lead)
        Activity = self.env["mail.activity"].with_user(self.portal_a)
        for attempt in (
            lambda: Activity.browse(review.id).read(["summary"]),
            lambda: Activity.search([("res_id", "=", lead.id)]),
            lambda: Activity.search_count([]),
            lambda: lead.with_user(self.portal_a).read(["activity_ids"]),
            lambda: lead.with_user(self.portal_a).read(["registration_review_mine"]),
            lambda: self.env["crm.lead"]
            .with_user(self.portal_a)
            .search([("activity_ids.summary", "ilike", "Review")]),
            lambda: self.env["crm.lead"]
            .with_user(self.portal_a)
            .search([("activity_user_id", "=", self.user_own.id)]),
            lambda: self.env["crm.lead"]
            .with_user(self.portal_a)
            .search_count([("registration_review_mine", "=", False)]),
            lambda: self.env["crm.lead"]
            .with_user(self.portal_a)
            ._read_group([], ["activity_user_id"], ["__count"]),
        ):
            with self.subTest(attempt=attempt), self.assertRaises(AccessError):
                attempt()
        # What the partner may read of its registration says nothing of the request.
        values = lead.with_user(self.portal_a).read(["name", "registration_outcome"])[0]
        self.assertEqual(values["registration_outcome"], "submitted")


class TestRegistrationEmail(RegistrationReviewCase):
    def test_malformed_addresses_are_refused_on_submission(self):
        for email in (
            "ana.ruiz@@bayvets",
            "Ana Ruiz <ana.ruiz@bayvets.com>",
            "ana@bayvets.com, bob@bayvets.com",
            "ana.ruiz",
        ):
            with self.subTest(email=email):
                with self.assertRaisesRegex(ValidationError, "not a valid e-mail address"):
                    self._register(email_from=email)
                lead = self._create_lead(name="Direct", email_from=email)
                with self.assertRaisesRegex(ValidationError, "not a valid e-mail address"):
                    lead.registered_partner_id = self.partner_a
        self.assertFalse(self.env["crm.lead"].search([("name", "=", "Portal deal")]))

    def test_case_is_not_a_mistake(self):
        lead = self._register(email_from="Ana.Ruiz@BayVets.com")
        self.assertEqual(lead.email_from, "Ana.Ruiz@BayVets.com", "kept as typed")

    def test_submitted_registration_keeps_a_valid_address(self):
        lead = self._create_registration(self.partner_a, email_from="ana@bayvets.com")
        with self.assertRaises(ValidationError):
            lead.email_from = "ana.ruiz@@bayvets"
        # Ordinary leads keep crm's own, looser rule.
        ordinary = self._create_lead(email_from="Ana <ana@bayvets.com>")
        self.assertEqual(ordinary.email_from, "Ana <ana@bayvets.com>")


class TestRegistrationOutcome(RegistrationReviewCase):
    def test_won_and_lost_are_what_the_partner_reads(self):
        approved = self._create_registration(self.partner_a, state="approved")
        self.assertEqual(approved.registration_outcome, "approved")
        approved.stage_id = self._won_stage()
        self.assertEqual(approved.with_user(self.portal_a).registration_outcome, "won")
        lost = self._create_registration(self.partner_a)
        lost.action_set_lost()
        self.assertEqual(lost.with_user(self.portal_a).registration_outcome, "lost")
        rejected = self._create_registration(self.partner_a, state="rejected")
        rejected.action_set_lost()
        self.assertEqual(rejected.registration_outcome, "rejected")
        # The portal filters find each under its outcome.
        Lead = self.env["crm.lead"].with_user(self.portal_a).with_context(active_test=False)
        domains = Lead._get_registration_outcome_domains()
        self.assertEqual(Lead.search(domains["won"]), approved)
        self.assertEqual(Lead.search(domains["lost"]), lost)
        self.assertFalse(Lead.search(domains["approved"]))


class TestPartnerRegistrationButton(RegistrationReviewCase):
    def test_count_and_list_of_the_companys_registrations(self):
        mine = (
            self._create_registration(self.partner_a)
            | self._create_registration(self.partner_a_contact, state="approved")
            | self._create_registration(self.partner_a, state="rejected")
        )
        lost = self._create_registration(self.partner_a)
        lost.action_set_lost()
        mine |= lost
        self._create_registration(self.partner_a).write({"active": False, "probability": 30})
        self._create_registration(self.partner_b)
        self._create_lead(name="Ordinary", partner_id=self.partner_a.id)
        for partner in (self.partner_a, self.partner_a_contact):
            with self.subTest(partner=partner.name):
                partner.invalidate_recordset()
                self.assertEqual(partner.deal_registration_count, 4)
                self.assertIsInstance(partner.deal_registration_count, int)
                action = partner.action_view_deal_registrations()
                self.assertEqual(self.env["crm.lead"].search(action["domain"]), mine)
        self.assertEqual(self.partner_b.deal_registration_count, 1)

    def test_count_is_what_the_user_may_see(self):
        self._create_registration(self.partner_a, user_id=self.user_all.id)
        self._create_registration(self.partner_a, user_id=self.user_own.id)
        self.assertEqual(self.partner_a.with_user(self.user_own).deal_registration_count, 1)
        self.assertEqual(self.partner_a.with_user(self.user_all).deal_registration_count, 2)
        # No CRM access: neither the figure nor the list.
        with self.assertRaises(AccessError):
            self.partner_a.with_user(self.user_company_2).read(["deal_registration_count"])
        with self.assertRaises(AccessError):
            self.partner_a.with_user(self.user_company_2).action_view_deal_registrations()
        view = self.env.ref("msp_business_planning.view_partner_form_inherit_msp_business_planning")
        self.assertIn('name="action_view_deal_registrations"', view.arch)
