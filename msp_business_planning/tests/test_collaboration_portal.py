"""Issue 17 on the portal: the partner's upcoming review meetings (plan page, /my),
their .ics link, the monthly progress mail switch; and that another partner reaches
none of it, nor the meeting through Odoo's calendar routes or JSON-RPC."""

import json
from datetime import timedelta

from odoo import Command, fields, http
from odoo.tools import mute_logger

from .common import MspPlanningHttpCase

PLAN_URL = "/my/business-plans"


class TestCollaborationPortal(MspPlanningHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["msp.business.plan"])
        cls.plan = cls._create_plan(
            name="Alpha Meeting Plan",
            state="in_progress",
            date_start=today - timedelta(days=60),
            date_end=today + timedelta(days=300),
        )
        cls._create_objective(cls.plan, name="Managed clients")
        cls.review = cls._create_review(
            cls.plan,
            draft_agenda=False,
            date=today + timedelta(days=14),
            name="Alpha spring review",
            attendee_partner_ids=[Command.set(cls.partner_a_contact.ids)],
        )
        cls.event = cls.review.calendar_event_id
        cls.plan_b = cls._create_plan(
            name="Beta Meeting Plan",
            partner_id=cls.partner_b.id,
            state="in_progress",
            date_start=cls.plan.date_start,
            date_end=cls.plan.date_end,
        )
        cls.review_b = cls._create_review(
            cls.plan_b,
            draft_agenda=False,
            date=today + timedelta(days=20),
            name="Beta confidential review",
            attendee_partner_ids=[Command.set(cls.partner_b_contact.ids)],
        )

    def _ics_url(self, plan, review):
        return f"{PLAN_URL}/{plan.id}/reviews/{review.id}/meeting.ics"

    def _call_kw(self, model, method, args, kwargs=None):
        self.env.flush_all()
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/web/dataset/call_kw/{model}/{method}",
                data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
                headers={"Content-Type": "application/json"},
            )
        return response.json()

    def test_partner_sees_its_meetings_with_an_ics_link(self):
        self.authenticate(self.portal_a.login, self.portal_a.login)
        page = self.url_open(self.plan.access_url).text
        self.assertIn("o_msp_review_meeting", page)
        self.assertIn(self._ics_url(self.plan, self.review), page)
        home = self.url_open("/my").text
        self.assertIn("Alpha spring review", home)
        self.assertIn(self._ics_url(self.plan, self.review), home)
        self.assertNotIn("Beta confidential review", home)
        response = self.url_open(self._ics_url(self.plan, self.review))
        self.assertEqual(response.status_code, 200)
        self.assertIn("text/calendar", response.headers["Content-Type"])
        self.assertIn(b"BEGIN:VCALENDAR", response.content)
        self.assertIn(b"Alpha spring review", response.content)
        self.assertNotIn(b"Beta", response.content)

    def test_ics_link_with_the_plan_token_for_contacts_without_portal_user(self):
        token = self.plan._portal_ensure_token()
        url = f"{self._ics_url(self.plan, self.review)}?access_token={token}"
        self.assertEqual(self.url_open(url).status_code, 200)
        wrong = f"{self._ics_url(self.plan, self.review)}?access_token=nope"
        self.assertNotEqual(self.url_open(wrong, allow_redirects=False).status_code, 200)

    def test_another_partner_reaches_no_meeting(self):
        self.authenticate(self.portal_b.login, self.portal_b.login)
        # The .ics link, by the plan, by another plan's id, with the other review's id.
        for url in (
            self._ics_url(self.plan, self.review),
            self._ics_url(self.plan_b, self.review),
            self._ics_url(self.plan, self.review)
            + f"?access_token={self.plan_b._portal_ensure_token()}",
        ):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(b"VCALENDAR", response.content)
        # JSON-RPC: by search, by count, by id, through the review.
        answer = self._call_kw(
            "calendar.event", "search_read", [[["id", "=", self.event.id]], ["name"]]
        )
        self.assertEqual(answer.get("result"), [])
        answer = self._call_kw(
            "calendar.event", "search_count", [[["res_id", "=", self.review.id]]]
        )
        self.assertEqual(answer.get("result"), 0)
        answer = self._call_kw("calendar.event", "read", [[self.event.id], ["name", "description"]])
        self.assertIn("error", answer)
        answer = self._call_kw(
            "msp.business.review", "read", [[self.review.id], ["calendar_event_id"]]
        )
        self.assertIn("error", answer)
        # Odoo's calendar routes: they need an attendee's own token.
        own = self.review_b.calendar_event_id.attendee_ids.filtered(
            lambda a: a.partner_id == self.partner_b_contact
        )
        for route in ("view", "accept", "decline"):
            # mute: Odoo's calendar routes return (not raise) their 404, which it logs.
            with self.subTest(route=route), mute_logger("odoo.http"):
                response = self.url_open(
                    f"/calendar/meeting/{route}?token={own.access_token}&id={self.event.id}"
                )
                self.assertNotIn("Alpha spring review", response.text)
        self.assertNotIn("Alpha spring review", self.url_open("/my").text)

    def test_progress_mail_switch(self):
        self.authenticate(self.portal_a.login, self.portal_a.login)
        page = self.url_open(self.plan.access_url).text
        self.assertIn("o_msp_progress_mail_toggle", page)
        url = f"{PLAN_URL}/{self.plan.id}/progress-mail"
        data = {"receive": "0", "csrf_token": http.Request.csrf_token(self)}
        response = self.url_open(url, data=data, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        self.assertTrue(self.plan.progress_mail_opt_out)
        self.assertIn("Not sent for this plan", self.url_open(self.plan.access_url).text)
        data["receive"] = "1"
        self.url_open(url, data=data, allow_redirects=False)
        self.env.invalidate_all()
        self.assertFalse(self.plan.progress_mail_opt_out)
        # Another partner cannot switch it.
        self.authenticate(self.portal_b.login, self.portal_b.login)
        data = {"receive": "0", "csrf_token": http.Request.csrf_token(self)}
        self.assertEqual(self.url_open(url, data=data, allow_redirects=False).status_code, 404)
        self.env.invalidate_all()
        self.assertFalse(self.plan.progress_mail_opt_out)
