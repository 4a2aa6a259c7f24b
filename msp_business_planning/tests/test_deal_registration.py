from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import mute_logger

from .common import MspPlanningCase


class RegistrationCase(MspPlanningCase):
    def _registration_messages(self, lead, subject):
        """Messages sent to the partner about ``lead`` whose subject contains ``subject``."""
        return self.env["mail.message"].search(
            [
                ("model", "=", "crm.lead"),
                ("res_id", "=", lead.id),
                ("message_type", "=", "comment"),
                ("subject", "ilike", subject),
            ]
        )

    def _assert_partner_mailed(self, lead, subject, partner):
        messages = self._registration_messages(lead, subject)
        self.assertEqual(len(messages), 1, f"one “{subject}” message")
        self.assertIn(partner, messages.partner_ids)
        self.assertIn(partner, messages.notification_ids.res_partner_id)
        return messages


class TestRegistrationFlow(RegistrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls._create_registration(
            cls.partner_a,
            registration_contact_id=cls.partner_a_contact.id,
            name="Acme firewall",
        )

    def test_registration_defaults(self):
        with freeze_time("2026-06-15 23:59:00"):
            lead = self.env["crm.lead"].create(
                {"name": "Deal", "registered_partner_id": self.partner_a_contact.id}
            )
        self.assertEqual(lead.registration_state, "submitted")
        self.assertEqual(lead.registration_date, date(2026, 6, 15))
        self.assertEqual(lead.registered_commercial_partner_id, self.partner_a)
        ordinary = self._create_lead()
        self.assertFalse(ordinary.registration_state)
        self.assertFalse(ordinary.registration_date)

    def test_approve_sets_protection_and_mails_the_partner(self):
        self.env["ir.config_parameter"].set_param(
            "msp_business_planning.registration_protection_days", "30"
        )
        with freeze_time("2026-03-01 10:00:00"):
            self.lead.with_user(self.user_own).action_approve_registration()
        self.assertEqual(self.lead.registration_state, "approved")
        self.assertEqual(self.lead.registration_expiry_date, date(2026, 3, 31))
        self._assert_partner_mailed(self.lead, "approved", self.partner_a_contact)

    def test_default_protection_is_ninety_days(self):
        self.env["ir.config_parameter"].set_param(
            "msp_business_planning.registration_protection_days", ""
        )
        with freeze_time("2026-01-10"):
            self.lead.action_approve_registration()
        self.assertEqual(self.lead.registration_expiry_date, date(2026, 4, 10))

    def test_protection_days_from_settings(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.msp_registration_protection_days, 90)
        settings.msp_registration_protection_days = 45
        settings.execute()
        with freeze_time("2026-01-01"):
            self.lead.action_approve_registration()
        self.assertEqual(self.lead.registration_expiry_date, date(2026, 2, 15))
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.env["res.config.settings"].create({"msp_registration_protection_days": 0})

    def test_reject_through_the_wizard_with_a_reason(self):
        action = self.lead.with_user(self.user_own).action_reject_registration()
        self.assertEqual(action["res_model"], "msp.registration.reject.wizard")
        wizard = (
            self.env["msp.registration.reject.wizard"]
            .with_user(self.user_own)
            .with_context(**action["context"])
            .create({"reason": "The customer is a named account of our direct team."})
        )
        wizard.action_reject()
        self.assertEqual(self.lead.registration_state, "rejected")
        self.assertIn("named account", self.lead.registration_reject_reason)
        message = self._assert_partner_mailed(self.lead, "rejected", self.partner_a_contact)
        self.assertIn("named account", message.body)

    def test_reject_needs_a_reason(self):
        with self.assertRaisesRegex(UserError, "why"):
            self.lead._reject_registration("   ")
        self.assertEqual(self.lead.registration_state, "submitted")

    def test_illegal_transitions(self):
        rejected = self._create_registration(self.partner_a, state="rejected")
        expired = self._create_registration(self.partner_a, state="expired")
        approved = self._create_registration(self.partner_a, state="approved")
        ordinary = self._create_lead()
        for lead in (rejected, expired, approved, ordinary):
            with self.subTest(lead=lead.registration_state), self.assertRaises(UserError):
                lead.action_approve_registration()
        with self.assertRaisesRegex(UserError, "Rejected"):
            rejected.action_reject_registration()
        with self.assertRaises(UserError):
            self.lead.action_extend_registration()
        with self.assertRaises(UserError):
            approved.action_resubmit_registration()
        self.assertEqual(rejected.registration_state, "rejected")
        self.assertEqual(expired.registration_state, "expired")

    def test_extension_once(self):
        with freeze_time("2026-01-01"):
            self.lead.action_approve_registration()
        self.assertEqual(self.lead.registration_expiry_date, date(2026, 4, 1))
        with freeze_time("2026-03-28"):
            self.lead.with_user(self.user_own).action_extend_registration()
        self.assertEqual(self.lead.registration_expiry_date, date(2026, 6, 30))
        self.assertTrue(self.lead.registration_extended)
        with self.assertRaisesRegex(UserError, "already been extended"):
            self.lead.with_user(self.user_own).action_extend_registration()
        self.assertEqual(self.lead.registration_expiry_date, date(2026, 6, 30))


class TestRegistrationExpiry(RegistrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.objective = cls._create_objective(cls.plan, objective_type="deal_registration")
        with freeze_time("2026-01-01"):
            cls.lead = cls._create_registration(cls.partner_a_contact, day=date(2026, 1, 1))
            cls.lead.action_approve_registration()
            cls.won = cls._create_registration(cls.partner_a, day=date(2026, 1, 1))
            cls.won.action_approve_registration()
            cls.won.action_set_won()

    def _cron(self, day):
        with freeze_time(day):
            self.env["crm.lead"]._cron_expire_registrations()

    def test_notice_a_week_before_then_expiry(self):
        self.assertEqual(self.lead.registration_expiry_date, date(2026, 4, 1))
        self._cron("2026-03-24")
        self.assertFalse(self._registration_messages(self.lead, "expires soon"))
        self._cron("2026-03-25")
        self._assert_partner_mailed(self.lead, "expires soon", self.partner_a_contact)
        self._cron("2026-03-26")
        self._cron("2026-04-01")
        self.assertEqual(len(self._registration_messages(self.lead, "expires soon")), 1)
        self.assertEqual(self.lead.registration_state, "approved")
        self.assertEqual(self.objective.actual_value, 2)
        self._cron("2026-04-02")
        self.assertEqual(self.lead.registration_state, "expired")
        self._assert_partner_mailed(self.lead, "expired", self.partner_a_contact)
        self.assertEqual(self.objective.actual_value, 1, "expired deals stop counting")

    def test_won_deals_never_expire(self):
        self._cron("2026-12-31")
        self.assertEqual(self.won.registration_state, "approved")
        self.assertFalse(self._registration_messages(self.won, "expire"))

    def test_extension_postpones_expiry_and_warns_again(self):
        self._cron("2026-03-30")
        with freeze_time("2026-03-30"):
            self.lead.action_extend_registration()
        self.assertEqual(self.lead.registration_expiry_date, date(2026, 6, 30))
        self._cron("2026-04-02")
        self.assertEqual(self.lead.registration_state, "approved")
        self._cron("2026-06-25")
        self.assertEqual(len(self._registration_messages(self.lead, "expires soon")), 2)

    def test_missed_notice_days_still_expire(self):
        self._cron("2026-05-01")
        self.assertEqual(self.lead.registration_state, "expired")
        self.assertFalse(self._registration_messages(self.lead, "expires soon"))


class TestConflicts(RegistrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor_lead = cls._create_lead(
            name="Direct deal", partner_name="Globex Corp", email_from="cio@globex.test"
        )

    def _register(self, partner=None, **values):
        return self._create_registration(partner or self.partner_a, **values)

    def test_same_email_domain_is_a_conflict(self):
        lead = self._register(email_from="buyer@globex.test")
        self.assertTrue(lead.registration_conflict)
        self.assertEqual(lead.registration_conflict_lead_ids, self.vendor_lead)

    def test_same_company_name_phone_and_vat(self):
        by_name = self._register(partner_name="GLOBEX corp")
        self.assertEqual(by_name.registration_conflict_lead_ids, self.vendor_lead)
        phoned = self._create_lead(name="Phoned", phone="+32 2 555 12 12")
        by_phone = self._register(phone="+32 2 555 12 12")
        self.assertEqual(by_phone.registration_conflict_lead_ids, phoned)
        customer = self.env["res.partner"].create(
            {"name": "Initech", "is_company": True, "vat": "BE0477472701"}
        )
        twin = self.env["res.partner"].create({"name": "Initech SA", "vat": "BE0477472701"})
        existing = self._create_lead(name="Initech renewal", partner_id=customer.id)
        by_vat = self._register(partner_id=twin.id)
        self.assertIn(existing, by_vat.registration_conflict_lead_ids)

    def test_own_partner_won_and_lost_leads_are_not_conflicts(self):
        self._register(email_from="a@initrode.test")
        self._register(self.partner_a_contact, email_from="b@initrode.test")
        won = self._create_lead(name="Won", email_from="c@initrode.test")
        won.action_set_won()
        lost = self._create_lead(name="Lost", email_from="d@initrode.test")
        lost.action_set_lost()
        other = self._register(self.partner_b, email_from="e@initrode.test")
        self.assertEqual(len(other.registration_conflict_lead_ids), 2)
        own = self._register(email_from="f@initrode.test")
        self.assertEqual(own.registration_conflict_lead_ids.registered_partner_id, self.partner_b)

    def test_approval_needs_acknowledgement(self):
        lead = self._register(email_from="buyer@globex.test")
        approver = lead.with_user(self.user_own)
        with self.assertRaisesRegex(UserError, "acknowledge"):
            approver.action_approve_registration()
        approver.action_acknowledge_registration_conflicts()
        self.assertTrue(lead.registration_conflict_acknowledged)
        approver.action_approve_registration()
        self.assertEqual(lead.registration_state, "approved")

    def test_conflicts_found_again_on_resubmission(self):
        lead = self._register(email_from="buyer@globex.test")
        lead.action_acknowledge_registration_conflicts()
        lead._reject_registration("Direct deal")
        lead.action_resubmit_registration()
        self.assertTrue(lead.registration_conflict)
        self.assertFalse(lead.registration_conflict_acknowledged)

    def test_no_conflict_without_match(self):
        lead = self._register(email_from="someone@unique-customer.test", partner_name="Unique")
        self.assertFalse(lead.registration_conflict)
        self.assertEqual(lead.with_user(self.user_own).action_approve_registration(), True)


class TestRegistrationAccess(RegistrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls._create_registration(cls.partner_a, expected_revenue=100)

    @mute_logger("odoo.access")
    def test_sales_user_without_planning_rights(self):
        lead = self.lead.with_user(self.user_internal)
        for method in (
            "action_approve_registration",
            "action_reject_registration",
            "action_extend_registration",
            "action_acknowledge_registration_conflicts",
        ):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(lead, method)()
        for values in (
            {"registration_state": "approved"},
            {"registered_partner_id": self.partner_b.id},
            {"registration_expiry_date": "2030-01-01"},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                lead.write(values)
        with self.assertRaises(AccessError):
            self.env["crm.lead"].with_user(self.user_internal).create(
                {"name": "Sneaky", "registered_partner_id": self.partner_b.id}
            )
        with self.assertRaises(AccessError):
            self.env["msp.registration.reject.wizard"].with_user(self.user_internal).create(
                {"lead_ids": self.lead.ids, "reason": "no"}
            )
        # Handling a registered deal like any lead is fine, and keeps objectives current.
        plan = self._create_plan()
        objective = self._create_objective(plan, objective_type="deal_registration", measure="sum")
        lead.write({"expected_revenue": 300, "priority": "2"})
        self.assertEqual(objective.actual_value, 300)

    def test_only_planning_administrators_move_registration_dates(self):
        with self.assertRaises(AccessError):
            self.lead.with_user(self.user_own).write({"registration_date": date(2026, 5, 1)})
        self.lead.with_user(self.user_manager).write({"registration_date": date(2026, 5, 1)})
        self.assertEqual(self.lead.registration_date, date(2026, 5, 1))

    def test_planning_user_registers_for_a_partner(self):
        lead = self._create_lead().with_user(self.user_own)
        lead.registered_partner_id = self.partner_b_contact
        self.assertEqual(lead.registration_state, "submitted")
        self.assertEqual(lead.registered_commercial_partner_id, self.partner_b)
        self.assertEqual(
            lead.registration_date, self.env["crm.lead"]._registration_today(), "dated today"
        )


class TestPortalRegistration(RegistrationCase):
    def _register(self, user, **values):
        return self.env["crm.lead"].with_user(user)._register_deal_from_portal(values)

    def test_whitelisted_values_for_the_users_company(self):
        other_team = self.env["crm.team"].create({"name": "Other team"})
        won_stage = self._won_stage()
        with freeze_time("2026-02-03 12:00:00"):
            lead = self._register(
                self.portal_a,
                name="  Firewall refresh ",
                partner_name="Globex",
                contact_name="Hank",
                email_from="hank@globex.test",
                phone="+1 555 0100",
                expected_revenue="12500.50",
                date_deadline="2026-06-30",
                description="Needs <b>50</b> seats\nby June",
                # Everything else is ignored.
                user_id=self.user_all.id,
                team_id=other_team.id,
                stage_id=won_stage.id,
                company_id=self.company_2.id,
                probability=100,
                registered_partner_id=self.partner_b.id,
                registration_state="approved",
                registration_internal_note="x",
                priority="3",
            )
        self.assertEqual(lead.env.user, self.portal_a, "returned in the portal user's env")
        lead = lead.sudo()
        self.assertEqual(lead.name, "Firewall refresh")
        self.assertEqual(lead.registered_partner_id, self.partner_a)
        self.assertEqual(lead.registration_contact_id, self.partner_a_contact)
        self.assertEqual(lead.registration_state, "submitted")
        self.assertEqual(lead.registration_date, date(2026, 2, 3))
        self.assertEqual(lead.expected_revenue, 12500.5)
        self.assertEqual(lead.date_deadline, date(2026, 6, 30))
        # The partner's text is its own field; crm's Internal Notes stay the staff's.
        self.assertIn("&lt;b&gt;50&lt;/b&gt;", lead.registration_description)
        self.assertFalse(lead.description)
        self.assertFalse(lead.user_id)
        self.assertNotEqual(lead.team_id, other_team)
        self.assertNotEqual(lead.stage_id, won_stage)
        self.assertEqual(lead.company_id, self.company)
        self.assertLess(lead.probability, 100)
        self.assertFalse(lead.registration_internal_note)
        self.assertEqual(lead.priority, "0")

    def test_bad_values_are_refused(self):
        count = self.env["crm.lead"].search_count([])
        for values, message in (
            ({}, "name"),
            ({"name": "Deal", "expected_revenue": "lots"}, "must be an amount"),
            ({"name": "Deal", "expected_revenue": "-5"}, "cannot be negative"),
            ({"name": "Deal", "expected_revenue": "nan"}, "must be an amount"),
            ({"name": "Deal", "expected_revenue": float("nan")}, "must be an amount"),
            ({"name": "Deal", "expected_revenue": 1e13}, "too large"),
            ({"name": "Deal", "date_deadline": "2999-01-01"}, "must be between"),
            ({"name": "Deal", "description": "x" * 5001}, "too long"),
            ({"name": "Deal", "date_deadline": "30/06/2026"}, "date"),
            ({"name": "Deal", "email_from": "not an email"}, "e-mail"),
            ({"name": ["Deal"]}, "text"),
        ):
            with self.subTest(values=values), self.assertRaisesRegex(UserError, message):
                self._register(self.portal_a, **values)
        self.assertEqual(self.env["crm.lead"].search_count([]), count)

    def test_every_mistake_is_named_at_once(self):
        """The model reads the portal form's texts, field by field: the form shows all
        the partner's mistakes at once, with the messages the model gives itself."""
        Lead = self.env["crm.lead"].with_user(self.portal_a)
        lead_values, errors = Lead._check_portal_registration_values(
            {
                "name": "",
                "phone": "call me",
                "expected_revenue": "-5",
                "date_deadline": "2999-01-01",
                "contact_name": "x" * 201,
                "partner_name": " Globex ",
            }
        )
        self.assertEqual(
            set(errors), {"name", "phone", "expected_revenue", "date_deadline", "contact_name"}
        )
        self.assertIn("cannot be negative", errors["expected_revenue"])
        self.assertEqual(lead_values, {"partner_name": "Globex"})

    def test_only_portal_users_register_from_the_portal(self):
        with self.assertRaises(AccessError):
            self._register(self.user_own, name="Deal")

    def test_salesperson_is_the_partners_when_internal(self):
        self.partner_a.user_id = self.user_all
        lead = self._register(self.portal_a, name="Deal").sudo()
        self.assertEqual(lead.user_id, self.user_all)

    def test_counts_toward_the_partners_objectives(self):
        plan = self._create_plan(state="in_progress")
        objective = self._create_objective(plan, objective_type="deal_registration")
        with freeze_time("2026-02-03"):
            self._register(self.portal_a, name="Deal")
        self.assertEqual(objective.actual_value, 1)


class TestPortalRegistrationAccess(RegistrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_a = cls._create_registration(cls.partner_a, name="Alpha deal")
        cls.lead_a_contact = cls._create_registration(cls.partner_a_contact, name="Alpha 2")
        cls.lead_b = cls._create_registration(cls.partner_b, name="Beta deal")
        cls.vendor_lead = cls._create_lead(name="Vendor only")

    def test_portal_user_reads_its_companys_registrations_only(self):
        Lead = self.env["crm.lead"].with_user(self.portal_a)
        self.assertEqual(Lead.search([]), self.lead_a | self.lead_a_contact)
        values = Lead.browse(self.lead_a.id).read(
            ["name", "registration_state", "registration_date", "registered_partner_id"]
        )
        self.assertEqual(values[0]["registration_state"], "submitted")
        self.assertEqual(self.env["crm.lead"].with_user(self.portal_b).search([]), self.lead_b)

    @mute_logger("odoo.access")
    def test_portal_user_cannot_read_foreign_or_staff_data(self):
        Lead = self.env["crm.lead"].with_user(self.portal_a)
        for lead in (self.lead_b, self.vendor_lead):
            with self.subTest(lead=lead.name), self.assertRaises(AccessError):
                Lead.browse(lead.id).read(["name"])
        for field in (
            "registration_conflict_lead_ids",
            "registration_conflict",
            "registration_internal_note",
            "duplicate_lead_ids",
            "registration_objective_count",
        ):
            with self.subTest(field=field), self.assertRaises(AccessError):
                Lead.browse(self.lead_a.id).read([field])
        with self.assertRaises(AccessError):
            Lead.search([("registration_conflict", "=", True)])

    @mute_logger("odoo.access")
    def test_portal_user_cannot_change_registrations(self):
        lead = self.lead_a.with_user(self.portal_a)
        with self.assertRaises(AccessError):
            lead.write({"registration_state": "approved"})
        with self.assertRaises(AccessError):
            lead.write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            lead.unlink()
        with self.assertRaises(AccessError):
            lead.action_approve_registration()


class TestCrmViews(RegistrationCase):
    def _form_arch(self, user):
        views = self.env["crm.lead"].with_user(user).get_views([(False, "form"), (False, "search")])
        return views["views"]["form"]["arch"], views["views"]["search"]["arch"]

    def test_registration_block_for_planning_users(self):
        form, search = self._form_arch(self.user_own)
        self.assertIn('name="deal_registration_manage"', form)
        self.assertIn('name="action_approve_registration"', form)
        self.assertIn('name="action_view_registration_objectives"', form)
        for name in (
            "filter_deal_registrations",
            "filter_registration_to_approve",
            "filter_registration_conflicts",
            "group_registered_partner",
        ):
            self.assertIn(f'name="{name}"', search)

    def test_read_only_block_for_other_sales_users(self):
        form, search = self._form_arch(self.user_internal)
        self.assertIn('name="deal_registration"', form)
        self.assertNotIn('name="deal_registration_manage"', form)
        self.assertNotIn('name="action_approve_registration"', form)
        self.assertIn('name="filter_registration_to_approve"', search)

    def test_settings_and_plan_views(self):
        settings = self.env["res.config.settings"].get_views([(False, "form")])
        self.assertIn("msp_registration_protection_days", settings["views"]["form"]["arch"])
        plan = self.env["msp.business.plan"].with_user(self.user_own).get_views([(False, "form")])
        self.assertIn("action_view_registered_deals", plan["views"]["form"]["arch"])
