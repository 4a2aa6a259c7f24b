"""Numbers as people read them: one rounding rule, whole counts, amounts with their
currency, weights that are not added up across plans, and the deals behind a deal
objective's figures."""

import io
from datetime import date, datetime

import openpyxl
from lxml import html as lxml_html

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import compat, figures
from .common import MspDoctestCase, MspPlanningCase, MspPlanningHttpCase


def _text(content):
    """Visible text, whitespace (no-break spaces included) collapsed."""
    return " ".join(lxml_html.fromstring(content).text_content().split())


class TestFigureRules(MspDoctestCase):
    def test_doctests(self):
        self.assertDoctests(figures, at_least=11)

    def test_halves_round_up_as_the_web_client_does(self):
        # Python's round() and format() give 12 here; the back office's progress bars 13.
        self.assertEqual((round(12.5), f"{12.5:.0f}"), (12, "12"))
        self.assertEqual(figures.format_percent(12.5), "13%")
        self.assertEqual(figures.format_score(72.5), "73")


class FiguresMixin:
    """A running plan with one objective of each kind of figure."""

    @classmethod
    def _setup_figures(cls):
        cls.usd = cls.env.ref("base.USD")
        cls.plan = cls._create_plan(name="Alpha 2026 plan", currency_id=cls.usd.id)
        # 1 of 8: 12.5 %, the half that Python rounds down and people round up.
        cls.manual = cls._create_objective(
            cls.plan, name="Workshops", target_value=8, weight=40, periodicity="annual"
        )
        cls.registrations = cls._create_objective(
            cls.plan,
            name="Registrations",
            objective_type="deal_registration",
            target_value=24,
            weight=30,
        )
        cls.revenue = cls._create_objective(
            cls.plan,
            name="Won revenue",
            objective_type="won_deal",
            measure="sum",
            periodicity="annual",
            target_value=240000,
            weight=20,
        )
        cls._add_update(cls.manual, 1, date(2026, 2, 1))
        for day in range(1, 6):
            cls._create_registration(cls.partner_a, day=date(2026, 2, day))
        cls.plan.action_share_with_partner()
        cls.plan.action_start()
        cls.env.flush_all()


class FiguresCase(FiguresMixin, MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_figures()


class TestFiguresRead(FiguresCase):
    def test_kinds(self):
        self.assertEqual(
            (self.manual | self.registrations | self.revenue).mapped("figure_kind"),
            ["number", "count", "amount"],
        )

    def test_counts_are_whole_and_amounts_carry_their_symbol(self):
        self.assertEqual(self.registrations._format_figure(5.0), "5")
        self.assertEqual(self.registrations._format_figure(24.0), "24")
        self.assertEqual(self.revenue._format_figure(240000), "$\N{NO-BREAK SPACE}240,000.00")
        self.assertEqual(self.manual._format_figure(2.5), "2.50")
        self.assertEqual(self.manual._format_figure(3.0), "3")

    def test_plan_pdf(self):
        content, _type = self.env["ir.actions.report"]._render_qweb_html(
            "msp_business_planning.action_report_business_plan", self.plan.ids
        )
        text = _text(content)
        self.assertIn("Registrations Deal Registrations 30 24 5 21%", text)
        self.assertIn("Won revenue Won Deals 20 $ 240,000.00 $ 0.00 0%", text)
        self.assertNotIn("24.00", text)
        self.assertIn("Workshops Manual 40 8 1 13%", text)

    def test_review_pdf(self):
        review = self._create_review(
            self.plan, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
        )
        self.env["msp.business.review.score"].create(
            [
                {"review_id": review.id, "topic_id": topic.id, "score": score}
                for topic, score in zip(self._review_topics()[:2], (70, 75), strict=True)
            ]
        )
        review.action_done()
        content, _type = self.env["ir.actions.report"]._render_qweb_html(
            "msp_business_planning.action_report_business_review", review.ids
        )
        text = _text(content)
        # The QBR PDF printed "240000" and "24.0"-like figures: now as everywhere else.
        self.assertIn("Won revenue $ 240,000.00 $ 59,178.08 $ 0.00 0%", text)
        self.assertIn("Registrations 24 6 5 83%", text)
        self.assertIn("Excellence score 73", text)

    def test_workbook(self):
        workbook = openpyxl.load_workbook(io.BytesIO(self.plan.export_xlsx()))
        sheet = workbook["Objectives"]
        header = [cell.value for cell in sheet[1]]
        rows = {row[2].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)}
        workshops, registrations = rows["Workshops"], rows["Registrations"]
        self.assertEqual(workshops["Progress"].value, 0.13)
        self.assertEqual(workshops["Progress"].number_format, "0%")
        self.assertEqual(registrations["Actual"].value, 5)
        self.assertEqual(registrations["Target"].number_format, "#,##0")
        self.assertIn("$", rows["Won revenue"]["Target"].number_format)


class TestWeights(FiguresCase):
    def test_plan_shows_its_total_weight(self):
        self.assertEqual(self.plan.objective_weight_total, 90)
        # A warning, not a block: weights off 100 are saved.
        self._create_objective(self.plan, name="Certifications", weight=25)
        self.assertEqual(self.plan.objective_weight_total, 115)
        arch = self.env.ref("msp_business_planning.msp_business_plan_view_form").arch
        self.assertIn("o_msp_weight_warning", arch)
        self.assertIn('invisible="not objective_ids or objective_weight_total == 100"', arch)

    def test_reporting_never_adds_weights_across_plans(self):
        plan_b = self._create_plan(name="Beta 2026", partner_id=self.partner_b.id)
        self._create_objective(plan_b, weight=100)
        Objective = self.env["msp.business.plan.objective"]
        self.assertFalse(Objective.fields_get(["weight"])["weight"]["aggregator"])
        groups = compat.read_group(
            Objective, [("plan_id", "in", (self.plan | plan_b).ids)], ["objective_type"], ["weight"]
        )
        self.assertTrue(groups)
        self.assertTrue(all("weight" not in group for group in groups))
        arch = self.env.ref("msp_business_planning.msp_business_plan_objective_view_list").arch
        self.assertNotIn("Total weight", arch)


class TestDealsCounted(FiguresCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Another partner's deal and a vendor lead: never this objective's.
        cls._create_registration(cls.partner_b, day=date(2026, 2, 3))
        cls._create_lead(name="Vendor lead", expected_revenue=5)
        cls.late = cls._create_registration(cls.partner_a, day=date(2026, 5, 4), expected_revenue=9)

    def test_preview_counts_this_partner_s_registrations(self):
        self.assertEqual(
            self.registrations.deal_filter_preview, "6 deals of Alpha Managed Services match"
        )
        self.assertEqual(self.registrations.deal_count, 6)
        self.registrations.lead_domain = "[('expected_revenue', '>', 5)]"
        self.assertEqual(
            self.registrations.deal_filter_preview, "1 deal of Alpha Managed Services matches"
        )
        self.registrations.lead_domain = "[('expected_revenue', '>', 50)]"
        self.assertEqual(
            self.registrations.deal_filter_preview, "No deal of Alpha Managed Services matches yet"
        )
        self.assertFalse(self.manual.deal_filter_preview)

    def test_previews_of_a_plan_s_objectives_in_constant_queries(self):
        """A plan form shows every objective's preview: one query per kind and deal
        filter (the actuals' queries), never one per objective."""
        queries = {}
        for count in (2, 6):
            plan = self._create_plan(name=f"Preview {count}", state="in_progress")
            objectives = self.env["msp.business.plan.objective"]
            for index in range(count):
                objectives |= self._create_objective(
                    plan,
                    name=f"Registrations {index}",
                    objective_type="deal_registration",
                    lead_domain=f"[('expected_revenue', '>', {index % 2})]",
                )
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            objectives.mapped("deal_filter_preview")
            queries[count] = self.env.cr.sql_log_count - before
        self.assertEqual(queries[2], queries[6])

    def test_preview_follows_the_filter_being_edited(self):
        with self.env.cr.savepoint():
            form_values = self.registrations.new(
                {"lead_domain": "[('expected_revenue', '>', 5)]"}, origin=self.registrations
            )
            self.assertEqual(
                form_values.deal_filter_preview, "1 deal of Alpha Managed Services matches"
            )
            # The smart button counts what the saved objective counts, until saved.
            self.assertEqual(form_values.deal_count, 6)

    def test_smart_button_lists_exactly_the_deals_counted(self):
        counted = self.env["crm.lead"].search([("registered_partner_id", "=", self.partner_a.id)])
        action = self.registrations.with_user(self.user_own).action_view_deals()
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertEqual(sorted(action["domain"][0][2]), sorted(counted.ids))
        self.assertEqual(len(counted), self.registrations.actual_value)
        q1, q2 = self.registrations.target_ids.sorted("date_start")[:2]
        self.assertEqual((q1.deal_count, q2.deal_count), (5, 1))
        self.assertEqual(q2.action_view_deals()["domain"], [("id", "in", self.late.ids)])

    def test_won_deals_by_closing_day(self):
        won = self._create_registration(self.partner_a, state="approved", expected_revenue=100)
        won.write({"stage_id": self._won_stage().id})
        won.write({"date_closed": datetime(2026, 3, 3, 12, 0)})
        action = self.revenue.action_view_deals()
        self.assertEqual(action["domain"], [("id", "in", won.ids)])
        self.assertEqual(self.revenue.actual_value, 100)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_partner_never_gets_the_deals_behind_the_figures(self):
        objective = self.registrations.with_user(self.portal_a)
        self.assertEqual(objective.name, "Registrations")  # its own plan's objective
        with self.assertRaises(AccessError):
            objective.action_view_deals()
        with self.assertRaises(AccessError):
            objective.read(["deal_filter_preview"])
        with self.assertRaises(AccessError):
            objective.read(["deal_count"])
        with self.assertRaises(AccessError):
            objective.target_ids[:1].action_view_deals()


@tagged("post_install", "-at_install")
class TestPortalFigures(FiguresMixin, MspPlanningHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_figures()

    def test_portal_reads_like_the_back_office(self):
        self.authenticate(self.portal_a.login, self.portal_a.login)
        response = self.url_open(f"/my/business-plans/{self.plan.id}")
        self.assertEqual(response.status_code, 200)
        text = _text(response.content)
        self.assertIn("5 / 24 (21%)", text)
        self.assertIn("1 / 8 (13%)", text)
        self.assertIn("$ 0.00 / $ 240,000.00 (0%)", text)


# Waits for the form's figures, then checks how they read; fails on an error dialog.
FORM_CHECK_JS = """
const deadline = Date.now() + 30000;
const texts = (selector) =>
    [...document.querySelectorAll(selector)].map((node) => node.textContent.trim());
const check = () => {
    if (document.querySelector(".o_error_dialog")) {
        console.error("An error dialog opened");
        return;
    }
    const result = (%s)();
    if (result === true) {
        console.log("test successful");
        return;
    }
    if (Date.now() > deadline) {
        console.error("Timeout: " + JSON.stringify(result));
        return;
    }
    setTimeout(check, 200);
};
check();
"""


@tagged("post_install", "-at_install")
class TestFiguresInTheWebClient(FiguresMixin, MspPlanningHttpCase):
    """The back office's lists and forms read figures as the portal and PDF do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_figures()

    def _check(self, path, condition):
        self.browser_js(path, FORM_CHECK_JS % condition, login="admin", timeout=60)

    def test_plan_form_total_weight_counts_and_amounts(self):
        self._check(
            f"/odoo/action-msp_business_planning.msp_business_plan_action/{self.plan.id}",
            """() => {
                const list = ".o_field_widget[name='objective_ids'] ";
                const targets = texts(list + "td[name='target_value']");
                const actuals = texts(list + "td[name='actual_value']");
                const warning = texts(".o_msp_weight_warning").join(" ");
                const ok = targets.includes("24") && actuals.includes("5")
                    && targets.some((t) => t.includes("$") && t.includes("240,000.00"))
                    && warning.includes("90");
                return ok || [targets, actuals, warning];
            }""",
        )

    def test_objective_form_previews_the_partner_s_deals(self):
        self._check(
            "/odoo/action-msp_business_planning.msp_business_plan_objective_action/"
            f"{self.registrations.id}",
            """() => {
                const preview = texts(".o_msp_deal_filter_preview").join(" ");
                const button = texts("button[name='action_view_deals']").join(" ");
                const crmCount = document.querySelector(
                    ".o_msp_deal_filter .o_domain_show_selection_button");
                const ok = preview.includes("5 deals of Alpha Managed Services match")
                    && button.includes("5") && (!crmCount || !crmCount.offsetParent);
                return ok || [preview, button];
            }""",
        )
