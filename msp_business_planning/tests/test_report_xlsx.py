"""The Excel export, read back with openpyxl: sheets, values and their types, formats,
formula-like text, access rights and the query count."""

import io
from datetime import date, datetime

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import users, warmup
from odoo.tools import mute_logger

from ..report import xlsx_builder
from ..tools.figures import percent
from .common import MspDoctestCase, MspPlanningCase

SHEETS = ["Summary", "Objectives", "Periods", "Reviews"]


def read_workbook(content):
    return openpyxl.load_workbook(io.BytesIO(content))


def sheet_rows(worksheet):
    """The data rows of a sheet as {header: cell}."""
    headers = [cell.value for cell in worksheet[1]]
    return [dict(zip(headers, row, strict=True)) for row in worksheet.iter_rows(min_row=2)]


class TestXlsxBuilder(MspDoctestCase):
    def test_doctests(self):
        self.assertDoctests(xlsx_builder, at_least=6)

    def test_row_of_the_wrong_length_is_refused(self):
        sheet = xlsx_builder.Sheet("S", [xlsx_builder.Column("A"), xlsx_builder.Column("B")])
        with self.assertRaises(ValueError):
            sheet.add_row(["only one"])


class TestBusinessPlanXlsx(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.usd = cls.env.ref("base.USD")
        with freeze_time("2026-05-16"):
            cls.plan_a = cls._create_plan(
                name='=HYPERLINK("http://evil.test","Alpha")',
                currency_id=cls.eur.id,
                user_id=cls.user_own.id,
            )
            cls.manual = cls._create_objective(
                cls.plan_a, name="+31 new logos", weight=60, target_value=100
            )
            cls.revenue = cls._create_objective(
                cls.plan_a,
                name="-Registered revenue",
                objective_type="deal_registration",
                measure="sum",
                weight=40,
                target_value=40000,
                periodicity="annual",
            )
            cls._add_update(cls.manual, 30, date(2026, 2, 1))
            cls.plan_a.action_share_with_partner()
            cls.plan_a.action_start()
            cls.plan_b = cls._create_plan(
                name="Beta 2026",
                partner_id=cls.partner_b.id,
                user_id=cls.user_all.id,
                currency_id=cls.usd.id,
            )
            cls.formula_objective = cls._create_objective(
                cls.plan_b, name="@SUM(A1:A9)", periodicity="annual", target_value=12
            )
            cls._create_plan_reviews()
            # Pacing is computed lazily: compute it while the date is frozen.
            cls.env.flush_all()
        cls.plans = cls.plan_a | cls.plan_b

    @classmethod
    def _create_plan_reviews(cls):
        """Alpha: a done QBR with a scorecard, decisions and the partner's rating, an
        earlier check-in still scheduled and a cancelled review; Beta: one review."""
        infra, _cloud, security, _strategy = cls._review_topics()
        # No agenda drafted from pacing: only the items created here.
        plan_a = cls.plan_a
        # Dated before the QBR, so nothing is carried over to it when the QBR is done.
        cls.review_check_in = cls._create_review(
            plan_a, draft_agenda=False, review_type="check_in", date=date(2026, 2, 10)
        )
        cls.review_qbr = cls._create_review(
            plan_a,
            draft_agenda=False,
            date=date(2026, 3, 20),
            topic_id=infra.id,
            internal_note="<p>Secret: their margin is thin</p>",
        )
        Item = cls.env["msp.business.review.item"]
        Item.create(
            [
                {"review_id": cls.review_check_in.id, "name": "Call the CFO"},
                {"review_id": cls.review_qbr.id, "name": "Certify", "decision": "accepted"},
                {"review_id": cls.review_qbr.id, "name": "Webinar", "decision": "accepted"},
                {
                    "review_id": cls.review_qbr.id,
                    "name": "SOC add-on",
                    "decision": "declined",
                    "note": "No budget",
                },
                {
                    "review_id": cls.review_qbr.id,
                    "name": "Backup offer",
                    "decision": "deferred",
                    "note": "After the migration",
                },
            ]
        )
        cls.env["msp.business.review.score"].create(
            [
                {
                    "review_id": cls.review_qbr.id,
                    "topic_id": infra.id,
                    "score": 62,
                    "target_score": 75,
                },
                {
                    "review_id": cls.review_qbr.id,
                    "topic_id": security.id,
                    "score": 48,
                    "target_score": 70,
                },
            ]
        )
        cls.review_qbr.action_done()
        cls.review_qbr.feedback_rating = 4
        cls.review_cancelled = cls._create_review(
            plan_a,
            draft_agenda=False,
            name="@Cancelled roadmap",
            review_type="roadmap",
            date=date(2026, 9, 20),
            internal_note="<p>Secret: cancelled for a reason</p>",
        )
        cls.review_cancelled.action_cancel()
        cls.review_b = cls._create_review(cls.plan_b, draft_agenda=False, date=date(2026, 6, 1))

    def _export(self, plans=None, user=None):
        plans = self.plans if plans is None else plans
        if user:
            plans = plans.with_user(user)
        return read_workbook(plans.export_xlsx())

    # ------------------------------------------------------------
    # CONTENT
    # ------------------------------------------------------------

    def test_two_plans_in_one_workbook(self):
        workbook = self._export()
        self.assertEqual(workbook.sheetnames, SHEETS)
        summary = sheet_rows(workbook["Summary"])
        self.assertEqual(
            [row["Business Plan"].value for row in summary],
            ['=HYPERLINK("http://evil.test","Alpha")', "Beta 2026"],
        )
        alpha, beta = summary
        self.assertEqual(alpha["Partner"].value, "Alpha Managed Services")
        self.assertEqual(alpha["Channel Manager"].value, "Olivia Own")
        self.assertEqual(beta["Channel Manager"].value, "Dora Director")
        # Selection values as labels, not keys.
        self.assertEqual(alpha["Status"].value, "In Progress")
        self.assertEqual(beta["Status"].value, "Draft Outline")
        # 18% done where about 37% was expected by mid-May.
        self.assertEqual(alpha["Pacing"].value, "Off Track")
        self.assertIsNone(beta["Pacing"].value)
        self.assertEqual(alpha["Currency"].value, "EUR")
        self.assertEqual(beta["Currency"].value, "USD")
        self.assertEqual(alpha["Objectives"].value, 2)
        self.assertEqual(beta["Objectives"].value, 1)

    def test_selection_labels_in_the_user_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        in_progress = self.env["ir.model.fields.selection"].search(
            [
                ("field_id.model", "=", "msp.business.plan"),
                ("field_id.name", "=", "state"),
                ("value", "=", "in_progress"),
            ]
        )
        in_progress.with_context(lang="fr_FR").name = "En cours"
        self.env.registry.clear_cache()  # selection labels are cached per language
        french = self.plans.with_context(lang="fr_FR")
        summary = sheet_rows(read_workbook(french.export_xlsx())["Summary"])
        self.assertEqual(summary[0]["Status"].value, "En cours")
        self.assertEqual(sheet_rows(self._export()["Summary"])[0]["Status"].value, "In Progress")

    def test_numbers_dates_and_percentages_keep_their_types(self):
        alpha = sheet_rows(self._export()["Summary"])[0]
        self.assertIsInstance(alpha["Start Date"].value, datetime)
        self.assertEqual(alpha["Start Date"].value.date(), date(2026, 1, 1))
        self.assertEqual(alpha["End Date"].value.date(), date(2026, 12, 31))
        self.assertEqual(alpha["Start Date"].number_format, "yyyy-mm-dd")
        self.assertEqual(alpha["Objectives"].data_type, "n")
        # 30% of the manual objective (weight 60), nothing yet on revenue (weight 40).
        self.assertAlmostEqual(alpha["Progress"].value, 0.18)
        self.assertAlmostEqual(alpha["Progress"].value * 100, self.plan_a.progress)
        # Whole percentages, rounded as everywhere else (issue 13: one rounding rule).
        self.assertEqual(alpha["Progress"].number_format, "0%")
        self.assertAlmostEqual(
            alpha["Expected Progress"].value * 100, percent(self.plan_a.expected_progress)
        )

    def test_objectives_sheet_with_the_plan_currency(self):
        rows = sheet_rows(self._export()["Objectives"])
        by_name = {row["Objective"].value: row for row in rows}
        self.assertEqual(list(by_name), ["+31 new logos", "-Registered revenue", "@SUM(A1:A9)"])
        manual, revenue = by_name["+31 new logos"], by_name["-Registered revenue"]
        self.assertEqual(manual["Business Plan"].value, self.plan_a.name)
        self.assertEqual(manual["Kind"].value, "Manual")
        self.assertIsNone(manual["Measure"].value)
        self.assertEqual(manual["Periodicity"].value, "Quarterly")
        self.assertEqual(manual["Weight"].value, 60)
        self.assertEqual(manual["Target"].value, 100)
        self.assertEqual(manual["Actual"].value, 30)
        self.assertEqual(manual["Target"].number_format, "#,##0.00")
        self.assertAlmostEqual(manual["Progress"].value, 0.3)
        self.assertEqual(manual["Pacing"].value, "At Risk")
        # Amounts of a monetary objective are formatted in the plan's currency.
        self.assertEqual(revenue["Kind"].value, "Deal Registrations")
        self.assertEqual(revenue["Measure"].value, "Sum")
        self.assertEqual(revenue["Target"].value, 40000)
        self.assertIn("€", revenue["Target"].number_format)
        self.assertIn("€", revenue["Actual"].number_format)

    def test_currency_format_follows_each_plan(self):
        self.plan_b.currency_id = self.usd
        self._create_objective(
            self.plan_b,
            name="US revenue",
            objective_type="won_deal",
            measure="sum",
            target_value=5000,
            periodicity="annual",
        )
        rows = {row["Objective"].value: row for row in sheet_rows(self._export()["Objectives"])}
        self.assertIn("$", rows["US revenue"]["Target"].number_format)
        self.assertNotIn("$", rows["-Registered revenue"]["Target"].number_format)

    def test_forecast_columns(self):
        won = self._create_objective(
            self.plan_a, name="Won deals", objective_type="won_deal", target_value=4
        )
        won_revenue = self._create_objective(
            self.plan_a,
            name="Won revenue",
            objective_type="won_deal",
            measure="sum",
            target_value=10000,
            periodicity="annual",
        )
        open_stage = self.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        with freeze_time("2026-05-16"):
            self._create_registration(
                self.partner_a,
                state="approved",
                probability=35,
                date_deadline=date(2026, 8, 1),
                expected_revenue=1000,
                stage_id=open_stage.id,
            )
            workbook = self._export()
        rows = {row["Objective"].value: row for row in sheet_rows(workbook["Objectives"])}
        # A weighted count: one decimal, not a whole number of deals.
        self.assertEqual(rows["Won deals"]["Forecast"].value, 0.4)
        self.assertEqual(rows["Won deals"]["Forecast"].number_format, "#,##0.0")
        self.assertEqual(rows["Won deals"]["Target"].number_format, "#,##0")
        self.assertEqual(rows["Won deals"]["Forecast to Miss"].value, "Yes")
        # 35% of 1 000 (company currency), in the plan's euros at the expected day.
        in_euros = self.usd._convert(350, self.eur, self.plan_a.company_id, date(2026, 8, 1))
        self.assertEqual(rows["Won revenue"]["Forecast"].value, in_euros)
        self.assertIn("€", rows["Won revenue"]["Forecast"].number_format)
        self.assertEqual(rows["+31 new logos"]["Forecast"].value, 30, "manual: the actual")
        periods = [
            row for row in sheet_rows(workbook["Periods"]) if row["Objective"].value == won.name
        ]
        self.assertEqual([row["Forecast"].value for row in periods], [0, 0, 0.4, 0])
        alpha = sheet_rows(workbook["Summary"])[0]
        self.assertAlmostEqual(
            alpha["Forecast Progress"].value * 100, percent(self.plan_a.forecast_progress)
        )
        self.assertEqual(alpha["Forecast to Miss"].value, "Yes")
        self.assertEqual(won_revenue.forecast_value, in_euros)

    def test_periods_sheet_has_one_row_per_period_target(self):
        rows = sheet_rows(self._export()["Periods"])
        self.assertEqual(len(rows), len(self.plans.target_ids))
        manual_rows = [row for row in rows if row["Objective"].value == "+31 new logos"]
        self.assertEqual(
            [row["Period"].value for row in manual_rows],
            ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"],
        )
        q1, q2, q3, _q4 = manual_rows
        self.assertEqual(q1["Start Date"].value, datetime(2026, 1, 1))
        self.assertEqual(q1["End Date"].value, datetime(2026, 3, 31))
        self.assertEqual(q1["Target"].value, 25)
        self.assertEqual(q1["Actual"].value, 30)
        self.assertAlmostEqual(q1["Progress"].value, 1.2)
        self.assertEqual(q1["Pacing"].value, "On Track")
        self.assertEqual(q2["Pacing"].value, "Off Track")  # nothing yet, half-way through
        self.assertIsNone(q3["Pacing"].value)  # not started on 16 May
        revenue_rows = [row for row in rows if row["Objective"].value == "-Registered revenue"]
        self.assertEqual(len(revenue_rows), 1)
        self.assertIn("€", revenue_rows[0]["Target"].number_format)

    def test_reviews_sheet_one_row_per_review(self):
        rows = sheet_rows(self._export()["Reviews"])
        self.assertEqual(
            [(row["Business Plan"].value, row["Review"].value) for row in rows],
            [
                (self.plan_a.name, self.review_check_in.display_name),
                (self.plan_a.name, self.review_qbr.display_name),
                (self.plan_a.name, "@Cancelled roadmap"),
                ("Beta 2026", self.review_b.display_name),
            ],
        )
        check_in, qbr, cancelled, beta = rows
        self.assertEqual(qbr["Partner"].value, "Alpha Managed Services")
        self.assertEqual(beta["Partner"].value, "Beta IT Partners")
        self.assertEqual(qbr["Date"].value, datetime(2026, 3, 20))
        self.assertEqual(qbr["Date"].number_format, "yyyy-mm-dd")
        self.assertEqual(qbr["Type"].value, "Quarterly Business Review")
        self.assertEqual(check_in["Type"].value, "Check-in")
        self.assertEqual(qbr["Focus Topic"].value, "IT Infrastructure")
        self.assertIsNone(check_in["Focus Topic"].value)
        self.assertEqual(
            [row["Status"].value for row in rows], ["Scheduled", "Done", "Cancelled", "Scheduled"]
        )
        # Equal topic weights: (62 + 48) / 2 and (75 + 70) / 2, as numbers, whole as
        # everywhere else (issue 13: 72.5 reads 73).
        self.assertEqual(qbr["Excellence Score"].value, 55)
        self.assertEqual(qbr["Excellence Target"].value, 73)
        self.assertEqual(qbr["Excellence Score"].data_type, "n")
        # No scorecard: no score rather than a zero.
        self.assertIsNone(check_in["Excellence Score"].value)
        self.assertIsNone(check_in["Excellence Target"].value)
        decisions = ["Items Accepted", "Items Declined", "Items Deferred", "Items Open"]
        self.assertEqual([qbr[header].value for header in decisions], [2, 1, 1, 0])
        self.assertEqual([check_in[header].value for header in decisions], [0, 0, 0, 1])
        self.assertEqual([beta[header].value for header in decisions], [0, 0, 0, 0])
        self.assertEqual(qbr["Partner Rating"].value, 4)
        self.assertIsNone(check_in["Partner Rating"].value)
        self.assertEqual(cancelled["Review"].data_type, "s")

    def test_reviews_sheet_never_shows_the_internal_note(self):
        for user in (None, self.user_own, self.portal_a):
            plans = self.plan_a if user else self.plans
            workbook = self._export(plans, user)
            with self.subTest(user=user and user.login):
                self.assertTrue(sheet_rows(workbook["Reviews"]))
                for worksheet in workbook.worksheets:
                    for row in worksheet.iter_rows(values_only=True):
                        for value in row:
                            self.assertNotIn("Secret", str(value))

    def test_reviews_sheet_for_the_partner_hides_cancelled_reviews(self):
        expected = [self.review_check_in.display_name, self.review_qbr.display_name]
        # The portal user reads through its record rules, the portal download runs in
        # superuser mode for the portal user: both leave cancelled out.
        for label, plan in (
            ("portal user", self.plan_a.with_user(self.portal_a)),
            ("portal download", self.plan_a.with_user(self.portal_a).sudo()),
            ("token holder", self.plan_a.with_user(self.env.ref("base.public_user")).sudo()),
        ):
            with self.subTest(label):
                rows = sheet_rows(read_workbook(plan.export_xlsx())["Reviews"])
                self.assertEqual([row["Review"].value for row in rows], expected)
        # The channel team sees every review of its plans, cancelled included.
        rows = sheet_rows(self._export(self.plan_a, self.user_own)["Reviews"])
        self.assertIn("@Cancelled roadmap", [row["Review"].value for row in rows])

    def test_formula_like_text_stays_text(self):
        self.partner_b.name = "=cmd|' /C calc'!A0"
        workbook = self._export()
        tricky = {
            self.plan_a.name,
            "+31 new logos",
            "-Registered revenue",
            "@SUM(A1:A9)",
            "=cmd|' /C calc'!A0",
            "@Cancelled roadmap",
        }
        found = set()
        for worksheet in workbook.worksheets:
            for row in worksheet.iter_rows():
                for cell in row:
                    self.assertNotEqual(cell.data_type, "f", f"{cell.coordinate}: {cell.value}")
                    if cell.value in tricky:
                        self.assertEqual(cell.data_type, "s")
                        found.add(cell.value)
        self.assertEqual(found, tricky)

    def test_layout_frozen_header_autofilter_and_widths(self):
        workbook = self._export()
        for worksheet in workbook.worksheets:
            self.assertEqual(worksheet.freeze_panes, "A2")
            self.assertTrue(worksheet[1][0].font.b)
            last_column = openpyxl.utils.get_column_letter(worksheet.max_column)
            self.assertEqual(worksheet.auto_filter.ref, f"A1:{last_column}{worksheet.max_row}")
        summary = workbook["Summary"]
        # The plan column fits its longest name, within bounds.
        self.assertGreaterEqual(summary.column_dimensions["A"].width, len(self.plan_a.name))
        self.assertLessEqual(summary.column_dimensions["A"].width, xlsx_builder.MAX_WIDTH + 1)

    def test_no_plan_gives_headers_only(self):
        workbook = self._export(self.env["msp.business.plan"])
        self.assertEqual(workbook.sheetnames, SHEETS)
        self.assertEqual([ws.max_row for ws in workbook.worksheets], [1, 1, 1, 1])

    def test_filename(self):
        self.plan_b.name = 'Beta: "2026" / EMEA'
        self.assertEqual(self.plan_b._get_xlsx_filename(), "Business Plan - Beta 2026 EMEA.xlsx")
        with freeze_time("2026-05-16"):
            self.assertEqual(self.plans._get_xlsx_filename(), "Business Plans - 2026-05-16.xlsx")

    # ------------------------------------------------------------
    # ACCESS
    # ------------------------------------------------------------

    def test_director_exports_every_plan(self):
        rows = sheet_rows(self._export(user=self.user_all)["Summary"])
        self.assertEqual(len(rows), 2)

    @mute_logger("odoo.access")
    def test_user_without_planning_rights_cannot_export(self):
        with self.assertRaises(AccessError):
            self.plans.with_user(self.user_internal).export_xlsx()

    @mute_logger("odoo.access")
    def test_own_plans_user_cannot_export_a_plan_it_does_not_follow(self):
        self.assertTrue(self._export(self.plan_a, self.user_own))
        with self.assertRaises(AccessError):
            self.plans.with_user(self.user_own).export_xlsx()

    @mute_logger("odoo.access")
    def test_other_company_user_cannot_export(self):
        with self.assertRaises(AccessError):
            self.plan_a.with_user(self.user_company_2).export_xlsx()

    @mute_logger("odoo.access")
    def test_portal_user_exports_its_own_shared_plan_only(self):
        workbook = self._export(self.plan_a, self.portal_a)
        self.assertEqual(
            [row["Business Plan"].value for row in sheet_rows(workbook["Summary"])],
            [self.plan_a.name],
        )
        self.assertEqual(len(sheet_rows(workbook["Objectives"])), 2)
        self.assertEqual(sheet_rows(workbook["Summary"])[0]["Channel Manager"].value, "Olivia Own")
        for plan, user in [
            (self.plan_a, self.portal_b),  # another partner's plan
            (self.plans, self.portal_a),  # its own plan along with another one
        ]:
            with self.subTest(plan=plan.ids, user=user.login), self.assertRaises(AccessError):
                plan.with_user(user).export_xlsx()

    @mute_logger("odoo.access")
    def test_portal_user_cannot_export_a_plan_still_in_outline(self):
        outline = self._create_plan(name="Alpha outline")
        self._create_objective(outline)
        with self.assertRaises(AccessError):
            outline.with_user(self.portal_a).export_xlsx()


class TestBusinessPlanXlsxQueries(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Plan = cls.env["msp.business.plan"]
        topics = cls._review_topics()
        cls.plans_by_size = {}
        for size in (2, 20):
            plans = Plan
            for index in range(size):
                plan = cls._create_plan(
                    name=f"Plan {size}-{index}",
                    partner_id=(cls.partner_a if index % 2 else cls.partner_b).id,
                    user_id=(cls.user_own if index % 2 else cls.user_all).id,
                )
                cls._create_objective(plan, name="Manual")
                cls._create_objective(plan, name="Monthly", periodicity="monthly")
                cls._create_objective(
                    plan,
                    name="Revenue",
                    objective_type="won_deal",
                    measure="sum",
                    periodicity="annual",
                )
                cls._create_plan_reviews(plan, topics[index % 4], topics[(index + 1) % 4])
                plans |= plan
            cls.plans_by_size[size] = plans

    @classmethod
    def _create_plan_reviews(cls, plan, topic, other_topic):
        """Two reviews, each with a scorecard and decided agenda items."""
        reviews = cls.env["msp.business.review"]._create_reviews(
            [
                {"plan_id": plan.id, "date": date(2026, 3, 20), "topic_id": topic.id},
                {"plan_id": plan.id, "date": date(2026, 6, 20), "topic_id": other_topic.id},
            ],
            draft_agenda=False,
        )
        cls.env["msp.business.review.item"].create(
            [
                {"review_id": review.id, "name": name, "decision": decision, "note": "Why"}
                for review in reviews
                for name, decision in (("A", "accepted"), ("B", "declined"), ("C", "open"))
            ]
        )
        cls.env["msp.business.review.score"].create(
            [
                {"review_id": review.id, "topic_id": review.topic_id.id, "score": 50}
                for review in reviews
            ]
        )

    def _export_queries(self, plans):
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        content = plans.with_env(self.env).export_xlsx()
        workbook = read_workbook(content)
        self.assertEqual(len(sheet_rows(workbook["Summary"])), len(plans), "all plans exported")
        reviews = sheet_rows(workbook["Reviews"])
        self.assertEqual(len(reviews), 2 * len(plans), "all reviews exported")
        self.assertEqual({row["Items Accepted"].value for row in reviews}, {1})
        return self.cr.sql_log_count - start

    @users("msp_all")
    @warmup
    def test_query_count_does_not_grow_with_the_number_of_plans(self):
        for size, plans in self.plans_by_size.items():
            self.env.invalidate_all()
            with self.subTest(plans=size), self.assertQueryCount(msp_all=13):
                plans.with_env(self.env).export_xlsx()
        self.assertEqual(
            self._export_queries(self.plans_by_size[2]),
            self._export_queries(self.plans_by_size[20]),
        )
