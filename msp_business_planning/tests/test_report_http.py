"""The back-office Excel download: the export action, the button's URL and the thin
controller that checks access and streams the workbook."""

import io
from datetime import date

import openpyxl
from werkzeug.http import parse_options_header

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import MspPlanningCommon

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_URL = "/business-planning/export/xlsx"


@tagged("post_install", "-at_install")
class TestExportDownload(MspPlanningCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_msp_data()
        cls.plan = cls._create_plan(name="Alpha / 2026", user_id=cls.user_own.id)
        cls._create_objective(cls.plan, name="New customers")
        cls.plan_b = cls._create_plan(
            name="Beta 2026", partner_id=cls.partner_b.id, user_id=cls.user_all.id
        )
        cls._create_objective(cls.plan_b, name="Beta customers")

    def _download(self, login, plan_ids):
        if login:
            self.authenticate(login, login)
        return self.url_open(f"{EXPORT_URL}?plan_ids={plan_ids}", allow_redirects=False)

    def _filename(self, response):
        disposition, options = parse_options_header(response.headers["Content-Disposition"])
        self.assertEqual(disposition, "attachment")
        return options["filename"]

    def _summary_names(self, response):
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        return [row[0] for row in workbook["Summary"].iter_rows(min_row=2, values_only=True)]

    def test_action_and_button_point_to_the_download(self):
        plans = (self.plan | self.plan_b).with_user(self.user_all)
        action = plans.action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["target"], "download")
        self.assertEqual(action["url"], f"{EXPORT_URL}?plan_ids={self.plan.id},{self.plan_b.id}")
        server_action = self.env.ref("msp_business_planning.msp_business_plan_action_export_xlsx")
        self.assertEqual(server_action.binding_model_id.model, "msp.business.plan")
        result = (
            server_action.with_user(self.user_all)
            .with_context(
                active_model="msp.business.plan", active_ids=plans.ids, active_id=plans[0].id
            )
            .run()
        )
        self.assertEqual(result["url"], action["url"])

    def test_planning_user_downloads_its_plan(self):
        response = self._download("msp_own", self.plan.id)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], XLSX_MIMETYPE)
        self.assertEqual(self._filename(response), "Business Plan - Alpha 2026.xlsx")
        self.assertEqual(self._summary_names(response), ["Alpha / 2026"])

    def test_director_downloads_several_plans(self):
        response = self._download("msp_all", f"{self.plan.id},{self.plan_b.id}")
        self.assertEqual(response.status_code, 200)
        self.assertRegex(self._filename(response), r"^Business Plans - \d{4}-\d{2}-\d{2}\.xlsx$")
        self.assertEqual(self._summary_names(response), ["Alpha / 2026", "Beta 2026"])

    @mute_logger("odoo.access", "odoo.http")
    def test_user_without_planning_rights_is_refused(self):
        response = self._download("msp_internal", self.plan.id)
        self.assertEqual(response.status_code, 403)
        self.assertNotIn(b"Alpha / 2026", response.content)

    @mute_logger("odoo.access", "odoo.http")
    def test_plan_of_someone_else_is_refused(self):
        response = self._download("msp_own", f"{self.plan.id},{self.plan_b.id}")
        self.assertEqual(response.status_code, 403)
        self.assertNotIn(b"Beta 2026", response.content)

    @mute_logger("odoo.access", "odoo.http")
    def test_portal_user_of_another_partner_is_refused(self):
        self.plan.action_share_with_partner()
        response = self._download("msp_portal_b", self.plan.id)
        # Like an unknown plan: a partner learns nothing of which ids exist.
        self.assertEqual(response.status_code, 404)

    @mute_logger("odoo.http")
    def test_unknown_or_malformed_ids(self):
        self.authenticate("msp_all", "msp_all")
        for plan_ids in ("999999999", "abc", "", "1;DROP"):
            with self.subTest(plan_ids=plan_ids):
                response = self.url_open(f"{EXPORT_URL}?plan_ids={plan_ids}")
                self.assertEqual(response.status_code, 404)

    def test_anonymous_visitor_is_sent_to_login(self):
        response = self._download(None, self.plan.id)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])


@tagged("post_install", "-at_install")
class TestReviewsSheetDownload(MspPlanningCommon, HttpCase):
    """The Reviews sheet downloaded from the portal shows what the plan page shows:
    no cancelled review, never an internal note; the back office sees them all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_msp_data()
        cls.plan = cls._create_plan(name="Alpha reviewed", state="in_progress")
        plan = cls.plan
        cls.review_done = cls._create_review(
            plan, draft_agenda=False, name="Spring QBR", internal_note="<p>Secret: thin margin</p>"
        )
        cls.review_done.action_done()
        cls.review_scheduled = cls._create_review(
            plan, draft_agenda=False, name="Summer QBR", date=date(2026, 7, 1)
        )
        cls.review_cancelled = cls._create_review(
            plan,
            draft_agenda=False,
            name="Cancelled QBR",
            date=date(2026, 9, 1),
            internal_note="<p>Secret</p>",
        )
        cls.review_cancelled.action_cancel()

    def _reviews(self, response):
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], XLSX_MIMETYPE)
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        cells = [
            str(value)
            for ws in workbook.worksheets
            for row in ws.iter_rows(values_only=True)
            for value in row
        ]
        self.assertFalse([cell for cell in cells if "Secret" in cell], "no internal note")
        return [row[2] for row in workbook["Reviews"].iter_rows(min_row=2, values_only=True)]

    def test_partner_download_leaves_cancelled_reviews_out(self):
        self.authenticate("msp_portal_a", "msp_portal_a")
        response = self.url_open(f"{self.plan.access_url}/download/xlsx")
        self.assertEqual(self._reviews(response), ["Spring QBR", "Summer QBR"])

    def test_token_holder_download_leaves_cancelled_reviews_out(self):
        token = self.plan._portal_ensure_token()
        response = self.url_open(f"{self.plan.access_url}/download/xlsx?access_token={token}")
        self.assertEqual(self._reviews(response), ["Spring QBR", "Summer QBR"])

    def test_channel_manager_download_keeps_cancelled_reviews(self):
        self.authenticate("msp_own", "msp_own")
        response = self.url_open(f"{EXPORT_URL}?plan_ids={self.plan.id}")
        self.assertEqual(self._reviews(response), ["Spring QBR", "Summer QBR", "Cancelled QBR"])
        # The plan's portal page is the partner's view, whoever opens it.
        response = self.url_open(f"{self.plan.access_url}/download/xlsx")
        self.assertEqual(self._reviews(response), ["Spring QBR", "Summer QBR"])
