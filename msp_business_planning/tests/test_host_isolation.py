"""Installing the addon does not widen what portal users could see in standard Odoo.

Standard Odoo gives portal users no access to leads and only their own commercial
entity's partners. The addon grants exactly one thing on the host's models: reading
the leads their own company registered. Everything else stays as it was.
"""

from odoo.exceptions import AccessError
from odoo.tools import mute_logger

from ..tools import compat
from .common import MspPlanningCase

ADDON = "msp_business_planning"


class TestHostIsolation(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registration_a = cls._create_registration(cls.partner_a_contact, partner_name="Acme")
        cls.registration_b = cls._create_registration(cls.partner_b, partner_name="Acme")
        # Leads about partner A, or even with its contact as the customer, that it did
        # not register: standard Odoo hides them from the portal, so must the addon.
        cls.lead_about_a = cls._create_lead(name="Upsell Alpha", partner_id=cls.partner_a.id)
        cls.lead_for_contact = cls._create_lead(
            name="Ann's own request", partner_id=cls.partner_a_contact.id
        )
        cls.lost_registration_a = cls._create_registration(cls.partner_a, name="Lost one")
        cls.lost_registration_a.action_archive()

    def _own_definitions(self, model):
        """Records of ``model`` the addon defines (by xml id)."""
        data = self.env["ir.model.data"].search([("module", "=", ADDON), ("model", "=", model)])
        return self.env[model].browse(data.mapped("res_id"))

    def test_the_only_grant_on_host_models_is_reading_own_registrations(self):
        own_models = {
            name for name, model in self.env.registry.items() if model._original_module == ADDON
        }
        accesses = self._own_definitions("ir.model.access").filtered(
            lambda a: a.model_id.model not in own_models
        )
        self.assertEqual(
            [
                (
                    a.model_id.model,
                    a.group_id,
                    a.perm_read,
                    a.perm_write,
                    a.perm_create,
                    a.perm_unlink,
                )
                for a in accesses
            ],
            [("crm.lead", self.env.ref("base.group_portal"), True, False, False, False)],
        )
        rules = self._own_definitions("ir.rule").filtered(
            lambda r: r.model_id.model not in own_models
        )
        self.assertEqual(len(rules), 1)
        self.assertEqual(rules.model_id.model, "crm.lead")
        self.assertEqual(rules.groups, self.env.ref("base.group_portal"))
        self.assertEqual(
            (rules.perm_read, rules.perm_write, rules.perm_create, rules.perm_unlink),
            (True, False, False, False),
        )
        # No group of the addon hands out a host group to portal users.
        portal_groups = compat.implied_groups(self.env.ref("base.group_portal"))
        self.assertFalse(
            portal_groups.filtered(lambda g: g.get_external_id()[g.id].startswith(ADDON))
        )

    def test_portal_user_reads_no_lead_but_its_companys_registrations(self):
        Lead = self.env["crm.lead"].with_user(self.portal_a).with_context(active_test=False)
        visible = Lead.search([])
        self.assertEqual(visible, self.registration_a | self.lost_registration_a)
        self.assertEqual(
            Lead.search_count([("registered_commercial_partner_id", "!=", self.partner_a.id)]), 0
        )
        for lead in (self.registration_b, self.lead_about_a, self.lead_for_contact):
            with (
                self.subTest(lead=lead.name),
                mute_logger("odoo.access"),
                self.assertRaises(AccessError),
            ):
                lead.with_user(self.portal_a).read(["name"])
        self.assertFalse(
            self.env["crm.lead"]
            .with_user(self.portal_b)
            .search([("id", "=", self.registration_a.id)])
        )

    def test_portal_user_reads_no_partner_standard_odoo_hides(self):
        """Its own commercial entity only, as the host's rule says, however the addon's
        records point to others (customers of its deals, target accounts, B)."""
        Partner = self.env["res.partner"].with_user(self.portal_a)
        own_entity = self.env["res.partner"].search(
            [("id", "child_of", self.partner_a.commercial_partner_id.id)]
        )
        self.assertLessEqual(Partner.search([]), own_entity)
        customer = self.env["res.partner"].create({"name": "Acme Customer", "is_company": True})
        self.registration_a.partner_id = customer
        plan = self._create_plan(state="in_progress", target_account_ids=[(6, 0, customer.ids)])
        self.assertNotIn(customer, Partner.search([]))
        for partner in (customer, self.partner_b, self.partner_b_contact):
            with (
                self.subTest(partner=partner.name),
                mute_logger("odoo.access"),
                self.assertRaises(AccessError),
            ):
                partner.with_user(self.portal_a).read(["name", "email"])
        # Through its own plan neither: a many2many read keeps the records the user may
        # read (the portal page shows the accounts' names, read in superuser mode).
        accounts = plan.with_user(self.portal_a).read(["target_account_ids"])[0]
        self.assertEqual(accounts["target_account_ids"], [])

    def test_portal_user_reads_no_internal_note_of_its_records(self):
        """The staff's notes on a registration or a plan (e.g. the conflicts reviewed,
        naming the other partner's deal) stay out of the portal user's chatter."""
        self.registration_a.message_post(
            body=f"Conflicts acknowledged: {self.registration_b.name} of {self.partner_b.name}",
            subtype_xmlid="mail.mt_note",
        )
        plan = self._create_plan(state="in_progress")
        plan.message_post(body="Internal: Beta is cheaper", subtype_xmlid="mail.mt_note")
        plan.message_post(
            body="Shared with Alpha", subtype_xmlid="mail.mt_comment", message_type="comment"
        )
        Message = self.env["mail.message"].with_user(self.portal_a)
        bodies = " ".join(
            Message.search(
                [
                    "|",
                    "&",
                    ("model", "=", "crm.lead"),
                    ("res_id", "=", self.registration_a.id),
                    "&",
                    ("model", "=", "msp.business.plan"),
                    ("res_id", "=", plan.id),
                ]
            ).mapped("body")
        )
        self.assertIn("Shared with Alpha", bodies)
        self.assertNotIn(self.partner_b.name, bodies)
        self.assertNotIn("Beta is cheaper", bodies)
