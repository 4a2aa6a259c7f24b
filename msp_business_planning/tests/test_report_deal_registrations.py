"""Registered deals analysis: one row per registration, whatever became of it, for
planning users of the registration's company only."""

import ast
from datetime import date

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tools import mute_logger

from .common import MspPlanningCase

Report = "msp.deal.registration.report"


class TestDealRegistrationReport(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        won_stage = cls._won_stage()
        # Alpha: one deal in each state, one of them won, one lost; Beta: one approved,
        # registered by its contact; then a lead of the vendor's own, not registered.
        cls.submitted = cls._register(cls.partner_a, name="Submitted deal", expected_revenue=1000)
        cls.approved = cls._register(
            cls.partner_a, state="approved", name="Approved deal", expected_revenue=2000
        )
        cls.won = cls._register(
            cls.partner_a,
            state="approved",
            name="Won deal",
            expected_revenue=4000,
            user_id=cls.user_own.id,
        )
        cls.won.stage_id = won_stage
        cls.rejected = cls._register(
            cls.partner_a, state="rejected", name="Rejected deal", expected_revenue=8000
        )
        cls.expired = cls._register(
            cls.partner_a,
            state="expired",
            name="Expired deal",
            expected_revenue=16000,
            day=date(2025, 11, 3),
        )
        cls.lost = cls._register(
            cls.partner_a, state="approved", name="Lost deal", expected_revenue=32000
        )
        cls.lost.action_set_lost()
        cls.beta = cls._register(
            cls.partner_b_contact, state="approved", name="Beta deal", expected_revenue=500
        )
        cls.vendor_lead = cls._create_lead(name="Vendor lead", expected_revenue=99000)
        cls.registrations = (
            cls.submitted | cls.approved | cls.won | cls.rejected | cls.expired | cls.lost
        ) | cls.beta
        cls.env.flush_all()

    @classmethod
    def _register(cls, partner, **values):
        # Leads take their company from their salesperson or team; these may have neither.
        return cls._create_registration(partner, **{"company_id": cls.company.id, **values})

    def _rows(self, user=None, domain=()):
        Model = self.env[Report].with_user(user) if user else self.env[Report]
        return Model.search([("lead_id", "in", self._all_leads().ids), *domain])

    def _all_leads(self):
        return self.registrations | self.vendor_lead

    def test_one_row_per_registration_with_its_state(self):
        rows = self._rows()
        self.assertEqual(rows.lead_id, self.registrations)
        by_lead = {row.lead_id: row for row in rows}
        self.assertEqual(
            {lead.name: row.registration_state for lead, row in by_lead.items()},
            {
                "Submitted deal": "submitted",
                "Approved deal": "approved",
                "Won deal": "approved",
                "Rejected deal": "rejected",
                "Expired deal": "expired",
                "Lost deal": "approved",
                "Beta deal": "approved",
            },
        )
        # Registered by a contact: counted for its company.
        self.assertEqual(by_lead[self.beta].partner_id, self.partner_b)
        self.assertEqual(by_lead[self.expired].registration_date, date(2025, 11, 3))

    def test_won_lost_dates_and_revenue(self):
        by_lead = {row.lead_id: row for row in self._rows()}
        won, lost, approved = by_lead[self.won], by_lead[self.lost], by_lead[self.approved]
        self.assertTrue(won.won)
        self.assertFalse(won.lost)
        self.assertEqual(won.date_closed, self.won.date_closed.date())
        self.assertEqual(won.won_revenue, 4000)
        self.assertEqual(won.user_id, self.user_own)
        self.assertEqual(won.qualified_date, self.won.registration_qualified_date)
        self.assertTrue(won.qualified_date)
        self.assertFalse(lost.won)
        self.assertTrue(lost.lost)
        self.assertEqual(lost.won_revenue, 0)
        self.assertFalse(approved.won or approved.lost or approved.date_closed)
        self.assertFalse(by_lead[self.submitted].qualified_date)
        self.assertEqual(approved.expected_revenue, 2000)
        self.assertEqual(approved.company_id, self.company)
        self.assertEqual(approved.company_currency_id, self.company.currency_id)
        self.assertEqual(set(self._rows().mapped("registration_count")), {1})

    def test_pivot_counts_match_the_registrations(self):
        domain = [("id", "in", self._all_leads().ids)]
        expected = {
            (partner, state): (count, revenue)
            for partner, state, count, revenue in self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group(
                [*domain, ("registration_state", "!=", False)],
                ["registered_commercial_partner_id", "registration_state"],
                ["__count", "expected_revenue:sum"],
            )
        }
        cells = {
            (partner, state): (count, revenue)
            for partner, state, count, revenue in self.env[Report]._read_group(
                [("lead_id", "in", self._all_leads().ids)],
                ["partner_id", "registration_state"],
                ["registration_count:sum", "expected_revenue:sum"],
            )
        }
        self.assertEqual(cells, expected)
        self.assertEqual(
            cells,
            {
                (self.partner_a, "submitted"): (1, 1000),
                (self.partner_a, "approved"): (3, 38000),
                (self.partner_a, "rejected"): (1, 8000),
                (self.partner_a, "expired"): (1, 16000),
                (self.partner_b, "approved"): (1, 500),
            },
        )

    def test_follows_the_leads(self):
        self.approved.stage_id = self._won_stage()
        self.rejected.registered_partner_id = False
        self.env.flush_all()
        rows = self._rows()
        self.assertNotIn(self.rejected, rows.lead_id)
        self.assertTrue(rows.filtered(lambda row: row.lead_id == self.approved).won)

    def test_filters_of_the_search_view(self):
        arch = self.env[Report].get_views([(False, "search")])["views"]["search"]["arch"]
        search = etree.fromstring(arch)
        filters = {f.get("name"): f for f in search.iter("filter")}
        self.assertEqual(filters["filter_registration_date"].get("date"), "registration_date")
        self.assertEqual(filters["filter_registration_date"].get("default_period"), "year")
        self.assertIn("partner_id", {f.get("name") for f in search.iter("field")})
        for name, leads in (
            ("filter_rejected", self.rejected),
            ("filter_expired", self.expired),
            ("filter_won", self.won),
            ("filter_lost", self.lost),
        ):
            with self.subTest(name):
                domain = ast.literal_eval(filters[name].get("domain"))
                self.assertEqual(self._rows(domain=domain).lead_id, leads)

    # ------------------------------------------------------------
    # ACCESS
    # ------------------------------------------------------------

    def test_planning_users_read_it(self):
        for user in (self.user_own, self.user_all, self.user_manager):
            with self.subTest(user=user.login):
                self.assertEqual(self._rows(user).lead_id, self.registrations)

    @mute_logger("odoo.access")
    def test_portal_and_internal_users_without_planning_rights_cannot_read_it(self):
        for user in (self.portal_a, self.portal_b, self.user_internal):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.env[Report].with_user(user).search([])
                with self.assertRaises(AccessError):
                    self.env[Report].with_user(user)._read_group([], ["partner_id"], ["__count"])
                with self.assertRaises(AccessError):
                    self.env[Report].browse(self._rows()[:1].id).with_user(user).read(["name"])

    def test_other_company_registrations_stay_there(self):
        registration_2 = self._register(
            self.partner_b, name="Second company deal", company_id=self.company_2.id
        )
        no_company = self._register(self.partner_b, name="Deal of no company", company_id=False)
        self.registrations |= registration_2 | no_company
        self.env.flush_all()
        self.assertEqual(self._rows(self.user_company_2).lead_id, registration_2 | no_company)
        self.assertNotIn(registration_2, self._rows(self.user_all).lead_id)
        # Both companies allowed and active: both companies' registrations.
        self.user_all.company_ids = [Command.link(self.company_2.id)]
        both = (
            self.env[Report]
            .with_user(self.user_all)
            .with_context(allowed_company_ids=[self.company.id, self.company_2.id])
        )
        self.assertIn(
            registration_2, both.search([("lead_id", "in", self.registrations.ids)]).lead_id
        )

    def test_action_views_and_menu(self):
        action = self.env.ref("msp_business_planning.msp_deal_registration_report_action")
        self.assertEqual(action.view_mode.split(","), ["pivot", "graph", "list"])
        self.assertIn("o_view_nocontent", action.help)
        views = (
            self.env[Report]
            .with_user(self.user_own)
            .get_views([(False, "pivot"), (False, "graph"), (False, "list")])["views"]
        )
        pivot = etree.fromstring(views["pivot"]["arch"])
        self.assertEqual(
            [(f.get("name"), f.get("type")) for f in pivot.iter("field")][:2],
            [("partner_id", "row"), ("registration_state", "col")],
        )
        menu = self.env.ref("msp_business_planning.msp_deal_registration_report_menu")
        self.assertEqual(
            menu.parent_id,
            self.env.ref("msp_business_planning.msp_business_planning_menu_reporting"),
        )
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.user_own)._visible_menu_ids())
        self.assertNotIn(
            menu.id, self.env["ir.ui.menu"].with_user(self.user_internal)._visible_menu_ids()
        )
