"""The business plan PDF report, checked on its HTML rendering (wkhtmltopdf may be
missing where the tests run)."""

from datetime import date

from freezegun import freeze_time
from lxml import html

from odoo.exceptions import AccessError, MissingError
from odoo.tools import mute_logger

from .common import MspPlanningCase

REPORT = "msp_business_planning.action_report_business_plan"


class TestBusinessPlanReport(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.env["res.partner"].create(
            {"name": "Contoso Dental Clinics", "is_company": True, "city": "Utrecht"}
        )
        with freeze_time("2026-05-16"):
            cls.plan = cls._create_plan(
                name="Alpha 2026 plan",
                currency_id=cls.env.ref("base.EUR").id,
                target_account_ids=[(6, 0, cls.account.ids)],
                partner_commitment="<p>Two certified engineers by June</p>",
            )
            cls.manual = cls._create_objective(
                cls.plan, name="Managed-security logos", weight=60, target_value=100
            )
            cls.revenue = cls._create_objective(
                cls.plan,
                name="Registered revenue",
                objective_type="deal_registration",
                measure="sum",
                weight=40,
                target_value=40000,
                periodicity="annual",
            )
            cls._add_update(cls.manual, 30, date(2026, 2, 1))
            cls.plan.action_share_with_partner()
            cls.plan.action_start()
            cls.env.flush_all()

    def _render(self, plans, user=None):
        Report = self.env["ir.actions.report"]
        if user:
            Report = Report.with_user(user)
        content, report_type = Report._render_qweb_html(REPORT, plans.ids)
        self.assertEqual(report_type, "html")
        return html.fromstring(content)

    def _text(self, node):
        return " ".join(node.text_content().split())

    def test_report_action(self):
        report = self.env.ref(REPORT)
        self.assertEqual(report.model, "msp.business.plan")
        self.assertEqual(report.report_type, "qweb-pdf")
        self.assertEqual(report.binding_model_id.model, "msp.business.plan")

    def test_plan_header_progress_and_pacing(self):
        page = self._text(self._render(self.plan))
        for expected in (
            "Alpha 2026 plan",
            "Alpha Managed Services",
            "Olivia Own",
            "In Progress",
            "Off Track",  # 18% done, about 37% expected by mid-May
        ):
            self.assertIn(expected, page)
        progress = self._text(self._render(self.plan).get_element_by_id("plan_progress"))
        self.assertIn("18%", progress)
        self.assertIn("37%", progress)

    def test_objectives_with_their_period_tables(self):
        document = self._render(self.plan)
        objectives = self._text(document.xpath("//table[@name='objectives']")[0])
        self.assertIn("Managed-security logos", objectives)
        self.assertIn("Manual", objectives)
        self.assertIn("Registered revenue", objectives)
        self.assertIn("Deal Registrations", objectives)
        # Monetary objectives in the plan currency, counts as plain numbers.
        self.assertIn("40,000.00 €", objectives.replace("\xa0", " "))
        periods = self._text(document.xpath(f"//table[@name='periods_{self.manual.id}']")[0])
        for quarter in ("Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"):
            self.assertIn(quarter, periods)
        self.assertIn("120%", periods)  # Q1: 30 done of 25
        annual = self._text(document.xpath(f"//table[@name='periods_{self.revenue.id}']")[0])
        self.assertIn("2026", annual)

    def test_target_accounts_and_partner_commitment(self):
        document = self._render(self.plan)
        accounts = self._text(document.xpath("//div[@name='target_accounts']")[0])
        self.assertIn("Contoso Dental Clinics", accounts)
        self.assertIn("Utrecht", accounts)
        commitment = self._text(document.xpath("//div[@name='partner_commitment']")[0])
        self.assertIn("Two certified engineers by June", commitment)

    def test_several_plans_in_one_report(self):
        other = self._create_plan(name="Beta 2026 plan", partner_id=self.partner_b.id)
        page = self._text(self._render(self.plan | other))
        self.assertIn("Alpha 2026 plan", page)
        self.assertIn("Beta 2026 plan", page)
        self.assertIn("No objectives yet.", page)
        self.assertIn("The partner has not described its commitment yet.", page)

    def test_portal_user_prints_its_own_plan_with_its_target_accounts(self):
        page = self._text(self._render(self.plan, self.portal_a))
        self.assertIn("Alpha 2026 plan", page)
        self.assertIn("Contoso Dental Clinics", page)

    @mute_logger("odoo.access")
    def test_report_refused_without_access(self):
        for user in (self.user_internal, self.user_company_2):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._render(self.plan, user)
        # A portal user is told what it would be told for a missing plan.
        with self.assertRaisesRegex(MissingError, "does not exist"):
            self._render(self.plan, self.portal_b)
