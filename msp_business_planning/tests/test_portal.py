"""The partner portal over HTTP: what each partner's contacts, a token holder and an
anonymous visitor get from /my and /my/business-plans, and what the forms accept."""

import io
import re
import secrets
from datetime import date
from unittest.mock import patch

import openpyxl

from odoo import Command, http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import portal_input
from .common import MspDoctestCase, MspPlanningHttpCase

PLAN_URL = "/my/business-plans"


class TestPortalInput(MspDoctestCase):
    def test_doctests(self):
        self.assertDoctests(portal_input, at_least=9)


@tagged("post_install", "-at_install")
class TestPortalBusinessPlans(MspPlanningHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        year = date.today().year
        this_year = {"date_start": date(year, 1, 1), "date_end": date(year, 12, 31)}
        cls.target_account = cls.env["res.partner"].create(
            {"name": "Harbor Dental Group", "is_company": True, "city": "Oakland"}
        )
        cls.plan_running = cls._create_plan(
            name="Alpha Running Plan",
            state="in_progress",
            target_account_ids=[Command.set(cls.target_account.ids)],
            partner_commitment="<p>Two certified engineers</p>",
            **this_year,
        )
        cls.objective = cls._create_objective(
            cls.plan_running, name="Managed clients", target_value=20
        )
        cls.objective_auto = cls._create_objective(
            cls.plan_running, name="Registered deals", objective_type="deal_registration"
        )
        cls._add_update(cls.objective, 5, date(year, 1, 1), note="First clients")
        cls.plan_draft = cls._create_plan(
            name="Alpha Draft Plan",
            state="draft",
            date_start=date(year + 1, 1, 1),
            date_end=date(year + 1, 12, 31),
        )
        cls.objective_draft = cls._create_objective(cls.plan_draft, name="Next year clients")
        cls.plan_completed = cls._create_plan(
            name="Alpha Completed Plan",
            state="in_progress",
            date_start=date(year - 1, 1, 1),
            date_end=date(year - 1, 12, 31),
        )
        cls._add_update(
            cls._create_objective(cls.plan_completed, name="Last year clients", target_value=10),
            10,
            date(year - 1, 6, 1),
        )
        # Filled while running: a completed plan is on record.
        cls.plan_completed.action_complete()
        cls.plan_outline = cls._create_plan(
            name="Alpha Outline Secret", state="draft_outline", **this_year
        )
        cls._create_objective(cls.plan_outline, name="Outline objective")
        cls.plan_cancelled = cls._create_plan(
            name="Alpha Cancelled Secret", state="cancelled", **this_year
        )
        cls._create_objective(cls.plan_cancelled, name="Cancelled objective")
        cls.plan_b = cls._create_plan(
            name="Beta Confidential Plan",
            partner_id=cls.partner_b.id,
            state="in_progress",
            **this_year,
        )
        cls.objective_b = cls._create_objective(cls.plan_b, name="Beta Secret Objective")
        cls.foreign_to_a = [
            cls.partner_b.name,
            cls.partner_b_contact.name,
            cls.plan_b.name,
            cls.objective_b.name,
            cls.plan_outline.name,
            cls.plan_cancelled.name,
        ]
        cls.foreign_to_b = [
            cls.partner_a.name,
            cls.partner_a_contact.name,
            *(p.name for p in cls._plans_a()),
            cls.objective.name,
            cls.target_account.name,
        ]

    @classmethod
    def _plans_a(cls):
        return (
            cls.plan_running
            | cls.plan_draft
            | cls.plan_completed
            | cls.plan_outline
            | cls.plan_cancelled
        )

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

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

    def _assert_refused(self, response):
        """The answer for any plan the user may not see: 404 once logged in, the
        login page for an anonymous visitor."""
        if self.session.uid:
            self.assertEqual(response.status_code, 404, response.headers)
        else:
            self.assertEqual(response.status_code, 303, response.headers)
            self.assertIn("/web/login?redirect=", response.headers["Location"])

    def _missing_plan_id(self):
        return self.env["msp.business.plan"].search([], order="id desc", limit=1).id + 1000

    def _update_url(self, plan, objective):
        return f"{PLAN_URL}/{plan.id}/objectives/{objective.id}/update"

    def _progress(self, value="3", note="Three more", day=None, form_key=None, **extra):
        return {
            "value": value,
            "note": note,
            "date": day or date.today().isoformat(),
            "form_key": form_key or secrets.token_urlsafe(24),
            **extra,
        }

    # ------------------------------------------------------------
    # HOME, LIST
    # ------------------------------------------------------------

    def test_home_counter_counts_visible_plans_only(self):
        self._login(self.portal_a)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["business_plan_count"]})
        self.assertEqual(counters["business_plan_count"], 3)  # draft, running, completed
        home = self._get("/my", follow=True)
        self.assertIn('href="/my/business-plans"', home.text)

        self._login(self.portal_b)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["business_plan_count"]})
        self.assertEqual(counters["business_plan_count"], 1)

        # Outline and cancelled plans are never counted: only they are left for B.
        self.plan_b.state = "draft_outline"
        self.env.flush_all()
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["business_plan_count"]})
        self.assertEqual(counters["business_plan_count"], 0)

    def test_list_shows_own_visible_plans(self):
        self._login(self.portal_a)
        response = self._get(PLAN_URL)
        self.assertEqual(response.status_code, 200)
        for plan in self.plan_running | self.plan_draft | self.plan_completed:
            self.assertIn(plan.name, response.text)
        self.assertIn("Business Plans", response.text)

    def test_list_filters_and_sorts(self):
        self._login(self.portal_a)
        running = self._get(f"{PLAN_URL}?filterby=running").text
        self.assertIn(self.plan_running.name, running)
        self.assertNotIn(self.plan_draft.name, running)
        self.assertNotIn(self.plan_completed.name, running)
        completed = self._get(f"{PLAN_URL}?filterby=completed").text
        self.assertIn(self.plan_completed.name, completed)
        self.assertNotIn(self.plan_running.name, completed)

        def order(sortby):
            text = self._get(f"{PLAN_URL}?sortby={sortby}").text
            plans = self.plan_running | self.plan_draft | self.plan_completed
            return sorted(plans, key=lambda p: text.index(p.name))

        draft, running, completed = self.plan_draft, self.plan_running, self.plan_completed
        self.assertEqual(order("date"), [draft, running, completed])
        self.assertEqual(order("name"), [completed, draft, running])
        self.assertEqual(order("progress"), [completed, running, draft])
        # Unknown options fall back to the defaults instead of failing.
        self.assertEqual(order("'; drop table"), [draft, running, completed])
        self.assertEqual(self._get(f"{PLAN_URL}?filterby=bogus").status_code, 200)

    def test_list_is_paged(self):
        self._login(self.portal_a)
        with patch.object(CustomerPortal, "_items_per_page", 2):
            first = self._get(f"{PLAN_URL}?sortby=name").text
            second = self._get(f"{PLAN_URL}/page/2?sortby=name").text
        self.assertIn(self.plan_completed.name, first)
        self.assertIn(self.plan_draft.name, first)
        self.assertNotIn(self.plan_running.name, first)
        self.assertIn(f"{PLAN_URL}/page/2", first)
        self.assertIn(self.plan_running.name, second)
        self.assertNotIn(self.plan_completed.name, second)

    # ------------------------------------------------------------
    # PLAN PAGE
    # ------------------------------------------------------------

    def test_plan_page_content(self):
        self._login(self.portal_a)
        response = self._get(self.plan_running.access_url)
        self.assertEqual(response.status_code, 200)
        text = response.text
        for expected in (
            self.plan_running.name,
            self.user_own.name,  # channel manager
            "In Progress",
            self.objective.name,
            self.objective_auto.name,
            self.target_account.name,
            "Two certified engineers",
            "First clients",  # latest progress report
            'id="plan_reviews"',
            'id="plan_download_buttons"',
            "o_portal_chatter",
            'class="progress"',
        ):
            self.assertIn(expected, text)
        # Period table: the four quarters of the objective with their targets.
        for target in self.objective.target_ids:
            self.assertIn(target.name, text)
        # One progress form, for the manual objective only; commitment editable.
        self.assertEqual(text.count("o_msp_progress_form"), 1)
        self.assertIn(self._update_url(self.plan_running, self.objective), text)
        self.assertNotIn(self._update_url(self.plan_running, self.objective_auto), text)
        self.assertIn(f"{PLAN_URL}/{self.plan_running.id}/commitment", text)
        # No acceptance for a running plan.
        self.assertNotIn("/accept", text)

    def test_draft_plan_page_offers_acceptance_not_progress(self):
        self._login(self.portal_a)
        text = self._get(self.plan_draft.access_url).text
        self.assertIn(f"{PLAN_URL}/{self.plan_draft.id}/accept", text)
        self.assertNotIn("o_msp_progress_form", text)

    def test_completed_plan_is_read_only(self):
        self._login(self.portal_a)
        text = self._get(self.plan_completed.access_url).text
        self.assertNotIn("o_msp_progress_form", text)
        self.assertNotIn("o_msp_commitment_form", text)
        self.assertNotIn("/accept", text)

    # ------------------------------------------------------------
    # ISOLATION
    # ------------------------------------------------------------

    def _assert_same_answer_as_missing(self, plans):
        def page(url):
            # The page embeds the session's CSRF token, which varies; nothing else may.
            response = self._get(url)
            self._assert_refused(response)
            return response.status_code, re.sub(r'csrf_token: "\w+"', "", response.text)

        missing = page(f"{PLAN_URL}/{self._missing_plan_id()}")
        for plan in plans:
            with self.subTest(plan=plan.name):
                self.assertEqual(page(plan.access_url), missing)
                self.assertEqual(page(f"{plan.access_url}?access_token=guess"), missing)

    def test_foreign_unknown_outline_cancelled_plans_answer_alike(self):
        self._login(self.portal_b)
        self._assert_same_answer_as_missing(self._plans_a())
        self.assertNotIn(self.plan_running.name, self._get(PLAN_URL).text)

        self._login(self.portal_a)
        self._assert_same_answer_as_missing(self.plan_outline | self.plan_cancelled | self.plan_b)
        listing = self._get(PLAN_URL).text
        for name in (self.plan_outline.name, self.plan_cancelled.name, self.plan_b.name):
            self.assertNotIn(name, listing)

    def test_foreign_plans_refuse_every_action(self):
        self._login(self.portal_b)
        for url, data in (
            (f"{PLAN_URL}/{self.plan_draft.id}/accept", {}),
            (self._update_url(self.plan_running, self.objective), self._progress()),
            (f"{PLAN_URL}/{self.plan_running.id}/commitment", {"partner_commitment": "Hacked"}),
            (f"{PLAN_URL}/{self.plan_outline.id}/accept", {}),
            (f"{PLAN_URL}/{self._missing_plan_id()}/accept", {}),
        ):
            with self.subTest(url=url):
                self._assert_refused(self._post(url, data))
        self.assertEqual(self.plan_draft.state, "draft")
        self.assertEqual(self.objective.update_ids.mapped("value"), [5])
        self.assertIn("Two certified engineers", self.plan_running.partner_commitment)

    def test_objective_of_another_plan_is_refused(self):
        self._login(self.portal_a)
        # B's objective and A's draft-plan objective, through A's running plan URL.
        for objective in (self.objective_b, self.objective_draft):
            with self.subTest(objective=objective.name):
                response = self._post(
                    self._update_url(self.plan_running, objective), self._progress()
                )
                self._assert_refused(response)
                self.assertFalse(objective.update_ids)

    def test_access_token(self):
        self.authenticate(None, None)
        self.foreign = [self.plan_b.name, self.partner_b.name]
        plan = self.plan_running
        token = plan._portal_ensure_token()
        right = self._get(f"{plan.access_url}?access_token={token}")
        self.assertEqual(right.status_code, 200)
        self.assertIn(plan.name, right.text)
        self.assertIn("Sign in", right.text)
        # A token holder reads; it does not act.
        self.assertNotIn("o_msp_progress_form", right.text)
        self.assertNotIn("o_msp_commitment_form", right.text)

        for url in (
            f"{plan.access_url}?access_token={token[:-1]}x",
            f"{plan.access_url}?access_token=",
            plan.access_url,
            f"{self.plan_b.access_url}?access_token={token}",
        ):
            with self.subTest(url=url):
                response = self._get(url)
                self._assert_refused(response)
                self.assertNotIn(plan.name, response.text)

        # A token does not outlive the sharing: outline and cancelled plans vanish.
        for state in ("draft_outline", "cancelled"):
            with self.subTest(state=state):
                plan.state = state
                response = self._get(f"{plan.access_url}?access_token={token}")
                self._assert_refused(response)

    def test_partner_downloads_own_plan_only(self):
        self._login(self.portal_a)
        xlsx = self._get(f"{self.plan_running.access_url}/download/xlsx")
        self.assertEqual(xlsx.status_code, 200)
        self.assertIn("spreadsheetml", xlsx.headers["Content-Type"])
        self.assertIn(".xlsx", xlsx.headers["Content-Disposition"])
        workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        summary = [cell.value for row in workbook["Summary"].iter_rows() for cell in row]
        self.assertIn(self.plan_running.name, summary)
        pdf = self._get(f"{self.plan_running.access_url}/download/pdf")
        self.assertEqual(pdf.status_code, 200)
        self.assertIn("attachment", pdf.headers["Content-Disposition"])
        for plan in self.plan_outline | self.plan_cancelled | self.plan_b:
            for file_format in ("xlsx", "pdf"):
                with self.subTest(plan=plan.name, file_format=file_format):
                    self._assert_refused(self._get(f"{plan.access_url}/download/{file_format}"))
        self._assert_refused(self._get(f"{self.plan_running.access_url}/download/csv"))
        self._login(self.portal_b)
        self._assert_refused(self._get(f"{self.plan_running.access_url}/download/xlsx"))

    def test_token_holder_downloads_with_token_only(self):
        self.authenticate(None, None)
        plan = self.plan_running
        token = plan._portal_ensure_token()
        response = self._get(f"{plan.access_url}/download/xlsx?access_token={token}")
        self.assertEqual(response.status_code, 200)
        self._assert_refused(self._get(f"{plan.access_url}/download/xlsx?access_token=x{token}"))

    def test_token_holder_of_another_partner_cannot_act(self):
        token = self.plan_draft._portal_ensure_token()
        self._login(self.portal_b)
        self.foreign = []  # B holds a link to A's plan: reading it is the point.
        page = self._get(f"{self.plan_draft.access_url}?access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("/accept", page.text)
        response = self._post(
            f"{PLAN_URL}/{self.plan_draft.id}/accept?access_token={token}",
            {"access_token": token},
        )
        self._assert_refused(response)
        self.assertEqual(self.plan_draft.state, "draft")

    def test_chatter_closed_to_outsiders(self):
        Plan = self.env["msp.business.plan"]
        public = self.env.ref("base.public_user")
        token = self.plan_draft._portal_ensure_token()
        self.assertEqual(
            Plan.with_user(public)._get_thread_with_access(self.plan_draft.id, token=token),
            self.plan_draft,
        )
        self.plan_draft.state = "draft_outline"
        self.assertFalse(
            Plan.with_user(public)._get_thread_with_access(self.plan_draft.id, token=token)
        )
        self.assertFalse(
            Plan.with_user(self.portal_b)._get_thread_with_access(self.plan_running.id)
        )

    def test_partner_posts_in_chatter_other_partner_cannot(self):
        params = {
            "thread_model": "msp.business.plan",
            "thread_id": self.plan_running.id,
            "post_data": {"body": "Hello from Alpha", "message_type": "comment"},
        }
        self._login(self.portal_a)
        self.env.flush_all()
        self.make_jsonrpc_request("/mail/message/post", params)
        message = self.plan_running.message_ids[:1]
        self.assertIn("Hello from Alpha", message.body)
        self.assertEqual(message.author_id, self.partner_a_contact)

        self._login(self.portal_b)
        params["post_data"]["body"] = "Hello from Beta"
        with mute_logger("odoo.http"), self.assertRaises(Exception):  # noqa: B017
            self.make_jsonrpc_request("/mail/message/post", params)
        self.env.invalidate_all()
        self.assertNotIn("Hello from Beta", "".join(self.plan_running.message_ids.mapped("body")))

    # ------------------------------------------------------------
    # ACCEPTANCE
    # ------------------------------------------------------------

    def test_accept_draft_plan(self):
        self._login(self.portal_a)
        response = self._post(f"{PLAN_URL}/{self.plan_draft.id}/accept")
        self.assertEqual(response.status_code, 303)
        self.assertIn(
            f"{self.plan_draft.access_url}?message=accepted", response.headers["Location"]
        )
        self.assertEqual(self.plan_draft.state, "in_progress")
        message = self.plan_draft.message_ids.filtered(lambda m: "accepted by" in (m.body or ""))
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.partner_a_contact)
        self.assertIn(self.partner_a_contact.name, message.body)
        self.assertIn(self.user_own.partner_id, message.partner_ids)  # manager notified
        page = self._get(response.headers["Location"]).text
        self.assertIn("the plan is accepted", page)

    def test_accept_refused_unless_draft(self):
        self._login(self.portal_a)
        for plan in self.plan_running | self.plan_completed:
            with self.subTest(plan=plan.name):
                state = plan.state
                response = self._post(f"{PLAN_URL}/{plan.id}/accept")
                self.assertEqual(response.status_code, 200)
                self.assertIn("Only a draft plan waiting for you can be accepted.", response.text)
                self.assertEqual(plan.state, state)

    def test_csrf_token_required(self):
        self._login(self.portal_a)
        with mute_logger("odoo.http"):
            responses = [
                self._post(f"{PLAN_URL}/{self.plan_draft.id}/accept", {"x": "1"}, csrf=False),
                self._post(
                    self._update_url(self.plan_running, self.objective),
                    self._progress(),
                    csrf=False,
                ),
                self._post(
                    f"{PLAN_URL}/{self.plan_running.id}/commitment",
                    {"partner_commitment": "<p>Changed</p>"},
                    csrf=False,
                ),
                self._post(
                    f"{PLAN_URL}/{self.plan_draft.id}/accept",
                    {"csrf_token": "forged"},
                    csrf=False,
                ),
            ]
        for response in responses:
            self.assertEqual(response.status_code, 400)
        self.assertEqual(self.plan_draft.state, "draft")
        self.assertEqual(self.objective.update_ids.mapped("value"), [5])
        self.assertNotIn("Changed", self.plan_running.partner_commitment)

    # ------------------------------------------------------------
    # PROGRESS UPDATES
    # ------------------------------------------------------------

    def test_report_progress(self):
        self._login(self.portal_a)
        response = self._post(
            self._update_url(self.plan_running, self.objective),
            self._progress(
                value=" 3,5 ",
                note="<script>alert('x')</script> two clients",
                # Not whitelisted: ignored.
                author_id=str(self.partner_b_contact.id),
                objective_id=str(self.objective_b.id),
                plan_id=str(self.plan_b.id),
            ),
        )
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("?message=progress_saved"))
        update = self.objective.update_ids.filtered(lambda u: u.value == 3.5)
        self.assertEqual(len(update), 1)
        self.assertEqual(update.author_id, self.partner_a_contact)
        self.assertEqual(update.date, date.today())
        self.assertEqual(update.note, "<script>alert('x')</script> two clients")  # plain text
        self.assertEqual(self.objective.actual_value, 8.5)
        self.assertFalse(self.objective_b.update_ids)
        page = self._get(response.headers["Location"]).text
        self.assertIn("Your progress report is recorded.", page)
        self.assertIn("&lt;script&gt;alert(", page)
        self.assertNotIn("<script>alert(", page)

    def test_report_progress_with_value_and_note_only(self):
        # The contract names value and note: the date defaults to today and, without
        # the page's one-time key, nothing is deduplicated.
        self._login(self.portal_a)
        url = self._update_url(self.plan_running, self.objective)
        for _attempt in range(2):
            response = self._post(url, {"value": "4", "note": "Scripted report"})
            self.assertTrue(response.headers["Location"].endswith("message=progress_saved"))
        updates = self.objective.update_ids.filtered(lambda u: u.note == "Scripted report")
        self.assertEqual(updates.mapped("value"), [4, 4])
        self.assertEqual(set(updates.mapped("date")), {date.today()})
        self.assertEqual(updates.author_id, self.partner_a_contact)

    def test_report_progress_bad_input_writes_nothing(self):
        self._login(self.portal_a)
        year = self.plan_running.date_start.year
        url = self._update_url(self.plan_running, self.objective)
        cases = [
            ({"value": "abc"}, "must be a number"),
            ({"value": "nan"}, "must be a number"),
            ({"value": "inf"}, "must be a number"),
            ({"value": "1e309"}, "must be a number"),
            ({"value": "12.5.3"}, "must be a number"),
            ({"value": "9" * 400}, "too large"),
            ({"value": "1000000000001"}, "too large"),
            ({"value": ""}, "Enter the value"),
            ({"date": "2026-02-30"}, "date is not valid"),
            ({"date": "31/12/2026"}, "date is not valid"),
            ({"date": f"{year + 1}-01-05"}, "within the plan"),
            ({"note": "x" * 2001}, "note is too long"),
            ({"form_key": "short"}, "form has expired"),
        ]
        for values, message in cases:
            with self.subTest(values={k: v[:20] for k, v in values.items()}):
                data = self._progress(**values)
                response = self._post(url, data)
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, response.text)
                # What was typed is shown again.
                if values.get("value"):
                    self.assertIn(f'value="{values["value"]}"', response.text)
                self.assertIn(f'value="{data["note"]}"', response.text)
        self.assertEqual(self.objective.update_ids.mapped("value"), [5])
        self.assertEqual(self.objective.actual_value, 5)

    def test_report_progress_refused_on_automatic_objective_and_idle_plans(self):
        self._login(self.portal_a)
        response = self._post(
            self._update_url(self.plan_running, self.objective_auto), self._progress()
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("tracked automatically", response.text)
        self.assertFalse(self.objective_auto.update_ids)

        year = self.plan_draft.date_start.year
        response = self._post(
            self._update_url(self.plan_draft, self.objective_draft),
            self._progress(day=f"{year}-03-01"),
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("report progress on", response.text)
        self.assertFalse(self.objective_draft.update_ids)

    def test_double_submission_records_once(self):
        self._login(self.portal_a)
        url = self._update_url(self.plan_running, self.objective)
        data = self._progress(value="2", form_key="A" * 32)
        first = self._post(url, data)
        second = self._post(url, data)
        self.assertTrue(first.headers["Location"].endswith("message=progress_saved"))
        self.assertTrue(second.headers["Location"].endswith("message=progress_duplicate"))
        self.assertEqual(sorted(self.objective.update_ids.mapped("value")), [2, 5])
        # A new form (new key) records again.
        self._post(url, self._progress(value="2", form_key="B" * 32))
        self.assertEqual(sorted(self.objective.update_ids.mapped("value")), [2, 2, 5])

    def test_each_page_gives_fresh_form_keys(self):
        self._login(self.portal_a)
        pattern = r'name="form_key" value="([\w-]+)"'
        first = re.findall(pattern, self._get(self.plan_running.access_url).text)
        second = re.findall(pattern, self._get(self.plan_running.access_url).text)
        self.assertEqual(len(first), 1)
        self.assertNotEqual(first, second)

    # ------------------------------------------------------------
    # COMMITMENT
    # ------------------------------------------------------------

    def test_commitment_is_sanitized(self):
        self._login(self.portal_a)
        response = self._post(
            f"{PLAN_URL}/{self.plan_running.id}/commitment",
            {
                "partner_commitment": "<p>We <b>commit</b></p><script>alert('x')</script>"
                '<img src="x" onerror="alert(1)"><a href="javascript:alert(2)">link</a>',
                "name": "Renamed by the partner",
                "state": "completed",
            },
        )
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("message=commitment_saved"))
        commitment = self.plan_running.partner_commitment
        self.assertIn("<b>commit</b>", commitment)
        for forbidden in ("<script", "alert(", "onerror", "javascript:"):
            self.assertNotIn(forbidden, commitment)
        self.assertEqual(self.plan_running.name, "Alpha Running Plan")
        self.assertEqual(self.plan_running.state, "in_progress")
        page = self._get(response.headers["Location"]).text
        self.assertIn("Your commitment is saved.", page)
        self.assertNotIn("<script>alert(", page)

    def test_commitment_refused_on_completed_plan(self):
        self._login(self.portal_a)
        response = self._post(
            f"{PLAN_URL}/{self.plan_completed.id}/commitment", {"partner_commitment": "<p>Late</p>"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("edit the commitment of", response.text)
        self.assertFalse(self.plan_completed.partner_commitment)


@tagged("post_install", "-at_install")
class TestPortalTour(MspPlanningHttpCase):
    def test_partner_accepts_plan_reports_progress_and_commits(self):
        year = date.today().year
        plan = self._create_plan(
            name="Tour Plan",
            state="draft",
            date_start=date(year, 1, 1),
            date_end=date(year, 12, 31),
        )
        objective = self._create_objective(plan, name="Managed clients", target_value=40)
        self.start_tour("/my", "msp_business_plan_portal_tour", login=self.portal_a.login)
        # What the tour did is in the database: it really ran.
        self.env.invalidate_all()
        self.assertEqual(plan.state, "in_progress")
        self.assertEqual(objective.update_ids.mapped("value"), [7.0])
        self.assertEqual(objective.update_ids.author_id, self.partner_a_contact)
        self.assertEqual(objective.update_ids.note, "Seven new managed clients")
        self.assertIn("<b>certified</b>", plan.partner_commitment)
