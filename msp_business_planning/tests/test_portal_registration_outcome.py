"""Over HTTP, what reaches whom when a partner registers a deal: the approver's
review request (never the partner), the e-mail rule of the form, and the outcome the
partner reads (Won, Lost, protected until)."""

import json
import re
import secrets
from datetime import date, timedelta

from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.misc import format_date

from .test_portal_deal_registration import DEAL_URL, DealRegistrationHttpCase

REVIEW = "msp_business_planning.mail_activity_type_registration_review"


@tagged("post_install", "-at_install")
class TestPortalRegistrationReachesPeople(DealRegistrationHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress", user_id=cls.user_own.id)
        cls.foreign_to_a = [cls.partner_b.name, "Review deal registration", cls.user_own.name]
        cls.foreign_to_b = [cls.partner_a.name]

    def _registration_count(self):
        self.env.invalidate_all()
        Lead = self.env["crm.lead"].with_context(active_test=False)
        return Lead.search_count([("registered_partner_id", "!=", False)])

    def _register(self, **values):
        data = {
            "name": "Managed SOC for Bay Vets",
            "partner_name": "Bay Vets",
            "email_from": "ana.ruiz@bayvets.test",
            "date_deadline": (date.today() + timedelta(days=60)).isoformat(),
            "form_key": secrets.token_urlsafe(24),
            **values,
        }
        return self._post(f"{DEAL_URL}/new", data)

    def _lead_from(self, response):
        self.assertEqual(response.status_code, 303, response.text[:500])
        match = re.search(rf"{DEAL_URL}/(\d+)\?message=(\w+)$", response.headers["Location"])
        self.assertTrue(match, response.headers["Location"])
        return self.env["crm.lead"].browse(int(match.group(1))), match.group(2)

    def _review_of(self, lead):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "=", lead.id),
                ("activity_type_id", "=", self.env.ref(REVIEW).id),
            ]
        )

    def _jsonrpc(self, model, method, args, kwargs=None):
        self.env.flush_all()
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/web/dataset/call_kw/{model}/{method}",
                data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
                headers={"Content-Type": "application/json"},
            )
        return response.json()

    def test_portal_submission_asks_the_channel_manager(self):
        self._login(self.portal_a)
        lead, message = self._lead_from(self._register(name="Bay Vets SOC"))
        self.assertEqual(message, "registered")
        review = self._review_of(lead)
        self.assertEqual(review.user_id, self.user_own)
        # The partner's page says nothing of who reviews it, nor of the request.
        self._get(f"{DEAL_URL}/{lead.id}")
        self._get(DEAL_URL)
        # Nor does JSON-RPC: by id, by search, by count, through the lead.
        for model, method, args, kwargs in (
            ("mail.activity", "read", [review.ids, ["summary", "user_id"]], {}),
            ("mail.activity", "search_read", [[("res_id", "=", lead.id)]], {}),
            ("mail.activity", "search_count", [[]], {}),
            ("crm.lead", "read", [lead.ids, ["activity_ids", "activity_user_id"]], {}),
            ("crm.lead", "search_count", [[("activity_user_id", "=", self.user_own.id)]], {}),
            ("crm.lead", "search", [[("registration_review_mine", "=", False)]], {}),
        ):
            with self.subTest(model=model, method=method, args=args):
                answer = self._jsonrpc(model, method, args, kwargs)
                self.assertNotIn("result", answer, answer)
                self.assertEqual(
                    answer["error"]["data"]["name"], "odoo.exceptions.AccessError", answer
                )

    def test_the_form_refuses_a_malformed_email(self):
        self._login(self.portal_a)
        count = self._registration_count()
        for email in ("ana.ruiz@@bayvets", "Ana Ruiz <ana.ruiz@bayvets.com>"):
            with self.subTest(email=email):
                response = self._register(email_from=email)
                self.assertEqual(response.status_code, 200)
                self.assertIn("is not a valid e-mail address", response.text)
                self.assertIn("o_msp_deal_form", response.text)
        self.assertEqual(self._registration_count(), count)
        self.assertFalse(self.env["mail.activity"].search([("user_id", "=", self.user_own.id)]))
        # Upper case is no mistake: registered, kept as typed.
        lead, _message = self._lead_from(self._register(email_from="Ana.Ruiz@BayVets.com"))
        self.assertEqual(lead.sudo().email_from, "Ana.Ruiz@BayVets.com")


@tagged("post_install", "-at_install")
class TestPortalRegistrationOutcome(DealRegistrationHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.won = cls._create_registration(
            cls.partner_a,
            state="approved",
            name="Alpha Won Deal",
            registration_expiry_date=date(2026, 9, 30),
        )
        cls.won.stage_id = cls._won_stage()
        cls.approved = cls._create_registration(
            cls.partner_a,
            state="approved",
            name="Alpha Protected Deal",
            registration_expiry_date=date(2026, 8, 31),
        )
        cls.lost = cls._create_registration(cls.partner_a, name="Alpha Lost Deal")
        cls.lost.action_set_lost()
        cls.archived = cls._create_registration(cls.partner_a, name="Alpha Archived Duplicate")
        cls.archived.write({"active": False, "probability": 40})
        cls.foreign_to_a = [cls.partner_b.name, cls.archived.name]
        cls.foreign_to_b = [cls.partner_a.name]

    def _badge(self, text, lead):
        row = text.split(f'href="{DEAL_URL}/{lead.id}"', 1)[1].split("</tr>", 1)[0]
        return row

    def test_list_shows_won_lost_and_protection_end(self):
        self._login(self.portal_a)
        text = self._get(DEAL_URL).text
        won_row = self._badge(text, self.won)
        self.assertIn('data-outcome="won"', won_row)
        self.assertIn(">Won<", won_row)
        self.assertNotIn("Approved", won_row)
        self.assertNotIn(format_date(self.env, date(2026, 9, 30)), won_row)
        lost_row = self._badge(text, self.lost)
        self.assertIn(">Lost<", lost_row)
        approved_row = self._badge(text, self.approved)
        self.assertIn(">Approved<", approved_row)
        self.assertIn(format_date(self.env, date(2026, 8, 31)), approved_row)
        self.assertIn("Protected until", text)

    def test_filters_by_outcome(self):
        self._login(self.portal_a)
        for outcome, shown, hidden in (
            ("won", self.won, self.approved | self.lost),
            ("lost", self.lost, self.won | self.approved),
            ("approved", self.approved, self.won | self.lost),
        ):
            with self.subTest(outcome=outcome):
                text = self._get(f"{DEAL_URL}?filterby={outcome}").text
                self.assertIn(shown.name, text)
                for lead in hidden:
                    self.assertNotIn(lead.name, text)

    def test_detail_pages(self):
        self._login(self.portal_a)
        text = self._get(f"{DEAL_URL}/{self.won.id}").text
        self.assertIn("o_msp_registration_won", text)
        self.assertIn("This deal was won", text)
        self.assertNotIn("o_msp_registration_protection", text)
        text = self._get(f"{DEAL_URL}/{self.lost.id}").text
        self.assertIn("This deal was lost", text)
        self.assertIn(">Lost<", text)
        self.assertNotIn("waiting for", text)
        text = self._get(f"{DEAL_URL}/{self.approved.id}").text
        self.assertIn("o_msp_registration_protection_end", text)
        self.assertEqual(text.count(format_date(self.env, date(2026, 8, 31))), 2)
        # Archived without being lost: not the partner's to see any more.
        self.assertEqual(self._get(f"{DEAL_URL}/{self.archived.id}").status_code, 404)
