from datetime import date, timedelta

from odoo import http
from odoo.tools import mute_logger

from .common import MspPlanningHttpCase

PLAN_URL = "/my/business-plans"


class TestPortalBusinessReviews(MspPlanningHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        year = date.today().year
        cls.plan = cls._create_plan(
            name="Alpha Reviewed Plan",
            state="in_progress",
            date_start=date(year, 1, 1),
            date_end=date(year, 12, 31),
        )
        cls._create_objective(cls.plan, name="Managed clients", target_value=12)
        cls.review_done = cls._create_review(
            cls.plan,
            date=date(year, 3, 20),
            summary="<p>Quarter one went well</p>",
            internal_note="<p>Secret: partner margin is thin</p>",
        )
        cls.review_done.action_done()
        cls.review_scheduled = cls._create_review(cls.plan, date=date(year, 6, 20))
        cls.review_cancelled = cls._create_review(
            cls.plan, date=date(year, 9, 20), summary="<p>Cancelled review summary</p>"
        )
        cls.review_cancelled.action_cancel()
        cls.plan_b = cls._create_plan(
            name="Beta Reviewed Plan", partner_id=cls.partner_b.id, state="in_progress"
        )
        cls.review_b = cls._create_review(cls.plan_b, summary="<p>Beta confidential</p>")
        cls.review_b.action_done()

    def _feedback_url(self, plan, review):
        return f"{PLAN_URL}/{plan.id}/reviews/{review.id}/feedback"

    def _post(self, url, data, csrf=True):
        self.env.flush_all()
        data = dict(data)
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        return self.url_open(url, data=data, allow_redirects=False)

    def test_plan_page_shows_reviews_without_internal_note(self):
        self.authenticate("msp_portal_a", "msp_portal_a")
        page = self.url_open(self.plan.access_url).text
        self.assertIn("Quarter one went well", page)
        self.assertIn(f"review-{self.review_scheduled.id}", page)
        self.assertNotIn(f"review-{self.review_cancelled.id}", page)
        self.assertNotIn("Cancelled review summary", page)
        self.assertNotIn("partner margin is thin", page)
        self.assertNotIn("Beta confidential", page)
        self.assertIn("o_msp_review_feedback", page)

    def test_partner_gives_feedback_on_done_review(self):
        self.authenticate("msp_portal_a", "msp_portal_a")
        response = self._post(
            self._feedback_url(self.plan, self.review_done),
            {"rating": "4", "comment": "<b>Good</b>"},
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("message=feedback_saved", response.headers["Location"])
        self.review_done.invalidate_recordset()
        self.assertEqual(self.review_done.feedback_rating, 4)
        self.assertEqual(self.review_done.feedback_comment, "<b>Good</b>")
        self.assertEqual(self.review_done.feedback_partner_id, self.partner_a_contact)
        page = self.url_open(self.plan.access_url).text
        self.assertNotIn("<b>Good</b>", page, "the comment is rendered escaped")

    def test_bad_feedback_is_refused_and_writes_nothing(self):
        self.authenticate("msp_portal_a", "msp_portal_a")
        for review, data in (
            (self.review_done, {"rating": "9"}),
            (self.review_done, {"rating": "four"}),
            (self.review_done, {"rating": "3", "comment": "x" * 5000}),
            (self.review_scheduled, {"rating": "5"}),
        ):
            with self.subTest(review=review.display_name, data=str(data)[:40]):
                response = self._post(self._feedback_url(self.plan, review), data)
                self.assertEqual(response.status_code, 200)
                self.assertIn("o_msp_error", response.text)
                review.invalidate_recordset()
                self.assertFalse(review.feedback_rating)

    @mute_logger("odoo.http")
    def test_feedback_refused_to_others(self):
        self.authenticate("msp_portal_b", "msp_portal_b")
        response = self._post(self._feedback_url(self.plan, self.review_done), {"rating": "1"})
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Alpha Reviewed Plan", response.text)
        # A review of another plan through one's own plan id.
        self.authenticate("msp_portal_a", "msp_portal_a")
        response = self._post(self._feedback_url(self.plan, self.review_b), {"rating": "1"})
        self.assertEqual(response.status_code, 404)
        response = self._post(
            self._feedback_url(self.plan, self.review_done), {"rating": "2"}, csrf=False
        )
        self.assertNotIn(response.status_code, (200, 303))
        self.review_done.invalidate_recordset()
        self.review_b.invalidate_recordset()
        self.assertFalse(self.review_done.feedback_rating)
        self.assertFalse(self.review_b.feedback_rating)

    def test_review_document_download(self):
        self.authenticate("msp_portal_a", "msp_portal_a")
        url = f"{PLAN_URL}/{self.plan.id}/reviews/{self.review_done.id}/report"
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        scheduled = f"{PLAN_URL}/{self.plan.id}/reviews/{self.review_scheduled.id}/report"
        self.assertEqual(self.url_open(scheduled).status_code, 404)
        foreign = f"{PLAN_URL}/{self.plan.id}/reviews/{self.review_b.id}/report"
        self.assertEqual(self.url_open(foreign).status_code, 404)
        self.authenticate("msp_portal_b", "msp_portal_b")
        self.assertEqual(self.url_open(url).status_code, 404)

    def test_overdue_review_is_not_shown_as_planned_on_a_past_date(self):
        today = date.today()
        plan = self._create_plan(
            name="Alpha Rolling Plan",
            state="in_progress",
            date_start=today - timedelta(days=100),
            date_end=today + timedelta(days=100),
        )
        overdue = self._create_review(plan, date=today - timedelta(days=30))
        ahead = self._create_review(plan, date=today + timedelta(days=30))
        self.authenticate("msp_portal_a", "msp_portal_a")
        page = self.url_open(plan.access_url).text
        self.assertIn(f"review-{overdue.id}", page)
        self.assertNotIn(overdue.date.strftime("%m/%d/%Y"), page)
        self.assertIn("a new date will be proposed by your channel manager", page)
        self.assertIn("To be rescheduled", page)
        self.assertIn(ahead.date.strftime("%m/%d/%Y"), page)
        self.assertEqual(page.count("planned on"), 1)
