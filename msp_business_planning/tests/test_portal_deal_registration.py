"""Deal registration on the partner portal over HTTP: what each partner's contacts get
from /my and /my/deal-registrations, what the registration form accepts, and what it
never reveals."""

import re
import secrets
from datetime import date, timedelta
from unittest.mock import patch

from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.misc import format_date

from .common import MspPlanningHttpCase

DEAL_URL = "/my/deal-registrations"


class DealRegistrationHttpCase(MspPlanningHttpCase):
    """Helpers shared by the HTTP tests and the tour."""

    def _login(self, user):
        self.authenticate(user.login, user.login)
        self.foreign = self.foreign_to_a if user == self.portal_a else self.foreign_to_b

    def _assert_nothing_foreign(self, response):
        for name in getattr(self, "foreign", []):
            self.assertNotIn(name, response.text, f"{name!r} leaked in {response.url}")

    def _get(self, url, follow=False):
        self.env.flush_all()
        response = self.url_open(url, allow_redirects=follow)
        self._assert_nothing_foreign(response)
        return response

    def _post(self, url, data=None, csrf=True):
        self.env.flush_all()
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        response = self.url_open(url, data=data, allow_redirects=False)
        self._assert_nothing_foreign(response)
        self.env.invalidate_all()
        return response

    def assertIn(self, member, container, msg=None):
        # Pages are long: say what was looked for, not the whole page.
        if isinstance(container, str) and len(container) > 500 and member not in container:
            self.fail(msg or f"{member!r} not found in the page")
        return super().assertIn(member, container, msg)

    def assertNotIn(self, member, container, msg=None):
        if isinstance(container, str) and len(container) > 500 and member in container:
            at = container.index(member)
            self.fail(msg or f"{member!r} found in the page: …{container[at - 200 : at + 200]}…")
        return super().assertNotIn(member, container, msg)


@tagged("post_install", "-at_install")
class TestPortalDealRegistration(DealRegistrationHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.won_stage = cls._won_stage()
        cls.other_team = cls.env["crm.team"].create({"name": "Hostile Team"})
        cls.lead_submitted = cls._create_registration(
            cls.partner_a,
            name="Alpha Firewall Refresh",
            partner_name="Harbor Dental Group",
            day=date(2026, 3, 1),
        )
        cls.lead_approved = cls._create_registration(
            cls.partner_a_contact,
            state="approved",
            name="Alpha Backup Rollout",
            registration_expiry_date=date(2026, 5, 31),
            day=date(2026, 2, 1),
        )
        cls.lead_rejected = cls._create_registration(
            cls.partner_a,
            state="rejected",
            name="Alpha Cloud Migration",
            registration_reject_reason="The customer is a named account of our direct team.",
            day=date(2026, 1, 15),
        )
        cls.lead_expired = cls._create_registration(
            cls.partner_a,
            state="expired",
            name="Alpha Printer Fleet",
            registration_expiry_date=date(2025, 12, 31),
            day=date(2025, 9, 1),
        )
        cls.lead_b = cls._create_registration(
            cls.partner_b,
            name="Beta Confidential Deal",
            partner_name="Beta Customer Corporation",
            email_from="cio@sharedcustomer.test",
        )
        cls.vendor_lead = cls._create_lead(
            name="Vendor Direct Opportunity",
            email_from="ceo@sharedcustomer.test",
            user_id=cls.user_all.id,
        )
        # A registration of A's for a customer that B and the vendor already follow:
        # flagged as a conflict, with staff-only notes and a salesperson.
        cls.lead_conflict = cls._create_registration(
            cls.partner_a,
            name="Alpha Shared Customer Deal",
            email_from="it@sharedcustomer.test",
            user_id=cls.user_all.id,
            registration_internal_note="Approver note: Beta was first on this one.",
            day=date(2026, 3, 2),
        )
        cls.leads_a = (
            cls.lead_submitted
            | cls.lead_approved
            | cls.lead_rejected
            | cls.lead_expired
            | cls.lead_conflict
        )
        cls.foreign_to_a = [
            cls.partner_b.name,
            cls.partner_b_contact.name,
            cls.lead_b.name,
            cls.lead_b.partner_name,
            cls.vendor_lead.name,
            cls.user_all.name,  # salesperson
            "Approver note",
        ]
        cls.foreign_to_b = [
            cls.partner_a.name,
            cls.partner_a_contact.name,
            cls.vendor_lead.name,
            *cls.leads_a.mapped("name"),
        ]

    def _missing_lead_id(self):
        Lead = self.env["crm.lead"].with_context(active_test=False)
        return Lead.search([], order="id desc", limit=1).id + 1000

    def _registration_count(self):
        self.env.invalidate_all()
        return (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search_count([("registered_partner_id", "!=", False)])
        )

    def _deal(self, form_key=None, **values):
        return {
            "name": "Managed SOC for Initech",
            "partner_name": "Initech",
            "contact_name": "Bill Lumbergh",
            "email_from": "bill@initech.test",
            "phone": "+1 555 0100",
            "expected_revenue": "15000.50",
            "date_deadline": (date.today() + timedelta(days=60)).isoformat(),
            "description": "Fifty seats, decision in Q3.",
            "form_key": form_key or secrets.token_urlsafe(24),
            **values,
        }

    def _register(self, **values):
        return self._post(f"{DEAL_URL}/new", self._deal(**values))

    def _lead_from(self, response):
        self.assertEqual(response.status_code, 303, response.text[:500])
        match = re.search(rf"{DEAL_URL}/(\d+)\?message=(\w+)$", response.headers["Location"])
        self.assertTrue(match, response.headers["Location"])
        return self.env["crm.lead"].browse(int(match.group(1))), match.group(2)

    def _assert_missing(self, response):
        self.assertEqual(response.status_code, 404, response.headers)

    # ------------------------------------------------------------
    # HOME, LIST
    # ------------------------------------------------------------

    def test_home_counter_counts_own_company_registrations(self):
        self._login(self.portal_a)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["deal_registration_count"]}
        )
        self.assertEqual(counters["deal_registration_count"], len(self.leads_a))
        home = self._get("/my", follow=True).text
        self.assertIn('href="/my/deal-registrations"', home)
        self.assertIn('href="/my/deal-registrations/new"', home)

        self._login(self.portal_b)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["deal_registration_count"]}
        )
        self.assertEqual(counters["deal_registration_count"], 1)
        # Nothing left for B: the counter is zero, so the card stays hidden.
        self.lead_b.active = False
        self.env.flush_all()
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["deal_registration_count"]}
        )
        self.assertEqual(counters["deal_registration_count"], 0)

    def test_list_shows_own_registrations_only(self):
        self._login(self.portal_a)
        response = self._get(DEAL_URL)
        self.assertEqual(response.status_code, 200)
        text = response.text
        for lead in self.leads_a:
            self.assertIn(lead.name, text)
            self.assertIn(f'href="{DEAL_URL}/{lead.id}"', text)
        self.assertIn(self.lead_submitted.partner_name, text)
        self.assertIn(format_date(self.env, date(2026, 5, 31)), text)  # approved: until
        self.assertIn(f'href="{DEAL_URL}/new"', text)

        self._login(self.portal_b)
        text = self._get(DEAL_URL).text
        self.assertIn(self.lead_b.name, text)

    def test_list_filters_and_sorts(self):
        self._login(self.portal_a)
        for state, leads in (
            ("submitted", self.lead_submitted | self.lead_conflict),
            ("approved", self.lead_approved),
            ("rejected", self.lead_rejected),
            ("expired", self.lead_expired),
        ):
            with self.subTest(state=state):
                text = self._get(f"{DEAL_URL}?filterby={state}").text
                for lead in self.leads_a:
                    if lead in leads:
                        self.assertIn(lead.name, text)
                    else:
                        self.assertNotIn(lead.name, text)

        def order(sortby):
            text = self._get(f"{DEAL_URL}?sortby={sortby}").text
            return sorted(self.leads_a, key=lambda lead: text.index(lead.name))

        by_date = [
            self.lead_conflict,
            self.lead_submitted,
            self.lead_approved,
            self.lead_rejected,
            self.lead_expired,
        ]
        self.assertEqual(order("date"), by_date)
        self.assertEqual(order("name"), sorted(self.leads_a, key=lambda lead: lead.name))
        # Unknown options fall back to the defaults instead of failing.
        self.assertEqual(order("'; drop table"), by_date)
        bogus = self._get(f"{DEAL_URL}?filterby=bogus")
        self.assertEqual(bogus.status_code, 200)
        for lead in self.leads_a:
            self.assertIn(lead.name, bogus.text)

    def test_list_is_paged(self):
        self._login(self.portal_a)
        with patch.object(CustomerPortal, "_items_per_page", 2):
            first = self._get(f"{DEAL_URL}?sortby=name").text
            third = self._get(f"{DEAL_URL}/page/3?sortby=name").text
        names = sorted(self.leads_a.mapped("name"))
        for name in names[:2]:
            self.assertIn(name, first)
        for name in names[2:]:
            self.assertNotIn(name, first)
        self.assertIn(f"{DEAL_URL}/page/2", first)
        self.assertIn(names[4], third)
        self.assertNotIn(names[0], third)

    # ------------------------------------------------------------
    # REGISTRATION PAGE
    # ------------------------------------------------------------

    def test_page_of_each_state(self):
        self._login(self.portal_a)
        cases = (
            (self.lead_submitted, ["Submitted", "waiting for", "o_msp_conflict_no"]),
            (
                self.lead_approved,
                ["Approved", "protected", format_date(self.env, date(2026, 5, 31))],
            ),
            (self.lead_rejected, ["Rejected", "named account of our direct team"]),
            (self.lead_expired, ["Expired", format_date(self.env, date(2025, 12, 31))]),
        )
        for lead, expected in cases:
            with self.subTest(state=lead.registration_state):
                response = self._get(f"{DEAL_URL}/{lead.id}")
                self.assertEqual(response.status_code, 200)
                self.assertIn(lead.name, response.text)
                for text in expected:
                    self.assertIn(text, response.text)
                if lead.registration_state != "submitted":
                    self.assertNotIn("o_msp_conflict_flag", response.text)

    def test_conflict_is_a_flag_only(self):
        self.assertEqual(
            self.lead_conflict.registration_conflict_lead_ids, self.lead_b | self.vendor_lead
        )
        self._login(self.portal_a)
        # _get checks that neither B, its deal, the vendor's lead, the salesperson nor
        # the internal note appears.
        text = self._get(f"{DEAL_URL}/{self.lead_conflict.id}").text
        self.assertIn("Conflict under review", text)
        self.assertIn("o_msp_conflict_yes", text)
        self.assertNotIn("o_msp_conflict_no", text)
        for lead in self.lead_b | self.vendor_lead:
            self.assertNotIn(f"{DEAL_URL}/{lead.id}", text)
        # Once decided, no conflict is under review any more.
        self.lead_conflict.sudo().write(
            {"registration_state": "rejected", "registration_reject_reason": "Beta first."}
        )
        text = self._get(f"{DEAL_URL}/{self.lead_conflict.id}").text
        self.assertNotIn("o_msp_conflict_yes", text)

    def test_foreign_unknown_and_ordinary_leads_answer_alike(self):
        def page(lead_id):
            response = self._get(f"{DEAL_URL}/{lead_id}")
            self._assert_missing(response)
            # The page embeds the session's CSRF token, which varies; nothing else may.
            return re.sub(r'csrf_token: "\w+"', "", response.text)

        self._login(self.portal_b)
        missing = page(self._missing_lead_id())
        for lead in self.leads_a | self.vendor_lead:
            with self.subTest(lead=lead.name):
                self.assertEqual(page(lead.id), missing)
        # Ids beyond the database's integers are just as unknown.
        for lead_id in (2**31, 10**30):
            with self.subTest(lead_id=lead_id):
                self.assertEqual(page(lead_id), missing)
        self.assertNotIn(self.lead_submitted.name, self._get(DEAL_URL).text)

        self._login(self.portal_a)
        missing = page(self._missing_lead_id())
        for lead in self.lead_b | self.vendor_lead:
            with self.subTest(lead=lead.name):
                self.assertEqual(page(lead.id), missing)
        listing = self._get(DEAL_URL).text
        self.assertNotIn(self.vendor_lead.name, listing)
        # An archived registration leaves the portal too.
        self.lead_expired.active = False
        self.assertEqual(page(self.lead_expired.id), missing)

    def test_internal_user_sees_no_partner_registration(self):
        # A vendor's salesperson may read every lead in the back office; on the portal
        # pages it is not a partner and sees no partner's registration.
        self.authenticate(self.user_all.login, self.user_all.login)
        self.foreign = [lead.name for lead in self.leads_a | self.lead_b]
        for lead in self.lead_submitted | self.lead_b | self.vendor_lead:
            self._assert_missing(self._get(f"{DEAL_URL}/{lead.id}"))
        listing = self._get(DEAL_URL)
        self.assertEqual(listing.status_code, 200)
        self.assertNotIn(f'href="{DEAL_URL}/new"', listing.text)
        self._assert_missing(self._get(f"{DEAL_URL}/new"))
        count = self._registration_count()
        self._assert_missing(self._register())
        self.assertEqual(self._registration_count(), count)

    def test_anonymous_visitor_is_asked_to_log_in(self):
        self.authenticate(None, None)
        self.foreign = [*self.foreign_to_b, *self.foreign_to_a]
        for url in (DEAL_URL, f"{DEAL_URL}/{self.lead_submitted.id}", f"{DEAL_URL}/new"):
            with self.subTest(url=url):
                response = self._get(url)
                self.assertEqual(response.status_code, 303)
                self.assertIn("/web/login?redirect=", response.headers["Location"])

    # ------------------------------------------------------------
    # NEW REGISTRATION
    # ------------------------------------------------------------

    def test_form_has_the_contract_inputs_and_fresh_keys(self):
        self._login(self.portal_a)
        text = self._get(f"{DEAL_URL}/new").text
        for name in (
            "name",
            "partner_name",
            "contact_name",
            "email_from",
            "phone",
            "expected_revenue",
            "date_deadline",
            "description",
            "csrf_token",
            "form_key",
        ):
            self.assertIn(f'name="{name}"', text)
        pattern = r'name="form_key" value="([\w-]+)"'
        first = re.findall(pattern, text)
        second = re.findall(pattern, self._get(f"{DEAL_URL}/new").text)
        self.assertEqual(len(first), 1)
        self.assertNotEqual(first, second)

    def test_register_a_deal_with_hostile_extra_fields(self):
        self._login(self.portal_a)
        response = self._register(
            # Not whitelisted: all ignored.
            user_id=str(self.user_all.id),
            team_id=str(self.other_team.id),
            stage_id=str(self.won_stage.id),
            company_id=str(self.company_2.id),
            probability="100",
            registered_partner_id=str(self.partner_b.id),
            registration_state="approved",
            registration_expiry_date="2030-01-01",
            registration_submission_key="forged",
            registration_internal_note="Injected",
            priority="3",
        )
        lead, message = self._lead_from(response)
        self.assertEqual(message, "registered")
        lead = lead.sudo()
        self.assertEqual(lead.name, "Managed SOC for Initech")
        self.assertEqual(lead.partner_name, "Initech")
        self.assertEqual(lead.contact_name, "Bill Lumbergh")
        self.assertEqual(lead.email_from, "bill@initech.test")
        self.assertEqual(lead.phone, "+1 555 0100")
        self.assertEqual(lead.expected_revenue, 15000.5)
        self.assertEqual(lead.date_deadline, date.today() + timedelta(days=60))
        self.assertIn("Fifty seats, decision in Q3.", lead.registration_description)
        self.assertFalse(lead.description, "crm's Internal Notes are the staff's")
        self.assertEqual(lead.registered_partner_id, self.partner_a)
        self.assertEqual(lead.registration_contact_id, self.partner_a_contact)
        self.assertEqual(lead.registration_state, "submitted")
        self.assertEqual(lead.registration_date, self.env["crm.lead"]._registration_today())
        self.assertFalse(lead.registration_expiry_date)
        self.assertFalse(lead.user_id)
        self.assertNotEqual(lead.team_id, self.other_team)
        self.assertNotEqual(lead.stage_id, self.won_stage)
        self.assertEqual(lead.company_id, self.company)
        self.assertLess(lead.probability, 100)
        self.assertNotEqual(lead.registration_submission_key, "forged")
        self.assertFalse(lead.registration_internal_note)
        self.assertEqual(lead.priority, "0")

        page = self._get(response.headers["Location"]).text
        self.assertIn("your deal is registered", page)
        self.assertIn("Submitted", page)
        self.assertIn("Initech", page)
        self.assertIn(f'href="{DEAL_URL}/{lead.id}"', self._get(DEAL_URL).text)

    def test_text_is_stored_as_text_and_shown_escaped(self):
        self._login(self.portal_a)
        response = self._register(
            name="<script>alert('name')</script> Deal",
            partner_name='<img src=x onerror="alert(1)">',
            description="<script>alert('description')</script>\n<b>bold?</b>",
        )
        lead, _message = self._lead_from(response)
        lead = lead.sudo()
        self.assertEqual(lead.name, "<script>alert('name')</script> Deal")
        self.assertIn("&lt;script&gt;alert(", lead.registration_description)
        self.assertNotIn("<script", lead.registration_description)
        for url in (f"{DEAL_URL}/{lead.id}", DEAL_URL):
            with self.subTest(url=url):
                text = self._get(url).text
                self.assertIn("&lt;script&gt;alert(", text)
                self.assertNotIn("<script>alert(", text)
                self.assertNotIn("<img src=x", text)
                self.assertNotIn("<b>bold?</b>", text)

    def test_bad_input_is_shown_again_and_writes_nothing(self):
        self._login(self.portal_a)
        today = date.today()
        cases = [
            ({"expected_revenue": "abc"}, "must be an amount"),
            ({"expected_revenue": "nan"}, "must be an amount"),
            ({"expected_revenue": "inf"}, "must be an amount"),
            ({"expected_revenue": "1e3"}, "must be an amount"),
            ({"expected_revenue": "12,000.50"}, "must be an amount"),
            ({"expected_revenue": "-5"}, "cannot be negative"),
            ({"expected_revenue": "9" * 400}, "too large"),
            ({"expected_revenue": "1000000000001"}, "too large"),
            ({"date_deadline": "2026-02-30"}, "date is not valid"),
            ({"date_deadline": "31/12/2026"}, "date is not valid"),
            ({"date_deadline": "tomorrow"}, "date is not valid"),
            ({"date_deadline": (today - timedelta(days=30)).isoformat()}, "must be between"),
            ({"date_deadline": f"{today.year + 50}-01-01"}, "must be between"),
            ({"email_from": "not an e-mail"}, "valid e-mail address"),
            ({"email_from": "a@one.test, b@two.test"}, "valid e-mail address"),
            ({"phone": "call me maybe"}, "phone number"),
            ({"name": ""}, "Give the deal a name"),
            ({"name": "x" * 201}, "under 200 characters"),
            ({"partner_name": "x" * 201}, "under 200 characters"),
            ({"description": "x" * 5001}, "description is too long"),
            ({"form_key": "short"}, "form has expired"),
        ]
        count = self._registration_count()
        for values, message in cases:
            with self.subTest(values={k: v[:20] for k, v in values.items()}):
                data = self._deal(**values)
                response = self._post(f"{DEAL_URL}/new", data)
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, response.text)
                self.assertIn("o_msp_deal_form", response.text)
                # What was typed is shown again.
                for name in ("name", "partner_name", "expected_revenue", "date_deadline"):
                    if data[name] and len(data[name]) < 100:
                        self.assertIn(f'value="{data[name]}"', response.text)
                self.assertIn(data["description"][:100], response.text)
        self.assertEqual(self._registration_count(), count)

    def test_double_submission_registers_once(self):
        self._login(self.portal_a)
        count = self._registration_count()
        first = self._register(form_key="K" * 32)
        second = self._register(form_key="K" * 32)
        lead, message = self._lead_from(first)
        self.assertEqual(message, "registered")
        self.assertEqual(self._lead_from(second), (lead, "duplicate"))
        self.assertIn("already registered", self._get(second.headers["Location"]).text)
        self.assertEqual(self._registration_count(), count + 1)
        # A new form (new key) registers again, even with the same values.
        self._lead_from(self._register(form_key="L" * 32))
        self.assertEqual(self._registration_count(), count + 2)

    def test_key_used_by_another_partner_reveals_nothing(self):
        self._login(self.portal_b)
        lead_b, _message = self._lead_from(self._register(form_key="S" * 32, name="Beta only"))
        self._login(self.portal_a)
        count = self._registration_count()
        response = self._register(form_key="S" * 32)
        # Nothing registered, and no way to B's registration.
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(f"{DEAL_URL}?message=duplicate"))
        self.assertEqual(self._registration_count(), count)
        self.assertNotIn("Beta only", self._get(response.headers["Location"]).text)
        self.assertEqual(lead_b.sudo().registered_partner_id, self.partner_b)

    def test_csrf_token_required(self):
        self._login(self.portal_a)
        count = self._registration_count()
        with mute_logger("odoo.http"):
            missing = self._post(f"{DEAL_URL}/new", self._deal(), csrf=False)
            forged = self._post(f"{DEAL_URL}/new", self._deal(csrf_token="forged"), csrf=False)
        self.assertEqual(missing.status_code, 400)
        self.assertEqual(forged.status_code, 400)
        self.assertEqual(self._registration_count(), count)
        # The same request with the token goes through.
        self._lead_from(self._register())
        self.assertEqual(self._registration_count(), count + 1)

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @mute_logger("odoo.access")
    def test_portal_user_reads_no_staff_field_at_the_orm(self):
        Lead = self.env["crm.lead"].with_user(self.portal_a)
        lead = Lead.browse(self.lead_conflict.id)
        self.assertEqual(lead.read(["registration_state"])[0]["registration_state"], "submitted")
        for field in (
            "registration_submission_key",
            "registration_conflict",
            "registration_conflict_lead_ids",
            "registration_conflict_acknowledged",
            "registration_internal_note",
            "duplicate_lead_ids",
        ):
            with self.subTest(field=field), self.assertRaises(AccessError):
                lead.read([field])
        with self.assertRaises(AccessError):
            Lead.search([("registration_submission_key", "!=", False)])
        with self.assertRaises(AccessError):
            Lead.create({"name": "Direct", "registered_partner_id": self.partner_a.id})
        with self.assertRaises(AccessError):
            lead.write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            Lead.browse(self.lead_b.id).read(["name"])


@tagged("post_install", "-at_install")
class TestPortalDealRegistrationTour(DealRegistrationHttpCase):
    def test_partner_registers_a_deal(self):
        # One earlier registration, so the home card shows its counter.
        self._create_registration(self.partner_a, name="Earlier Alpha Deal")
        deadline = date(date.today().year + 1, 6, 30)
        self.start_tour("/my", "msp_deal_registration_portal_tour", login=self.portal_a.login)
        # What the tour did is in the database: it really ran.
        self.env.invalidate_all()
        lead = self.env["crm.lead"].search([("name", "=", "Tour: managed backup for Globex")])
        self.assertEqual(len(lead), 1)
        self.assertEqual(lead.registered_partner_id, self.partner_a)
        self.assertEqual(lead.registration_contact_id, self.partner_a_contact)
        self.assertEqual(lead.registration_state, "submitted")
        self.assertEqual(lead.partner_name, "Globex")
        self.assertEqual(lead.email_from, "hank@globex.test")
        self.assertEqual(lead.expected_revenue, 24000)
        self.assertEqual(lead.date_deadline, deadline)
