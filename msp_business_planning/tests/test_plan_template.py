"""Plan templates and Generate Plans: targets from last year's actuals, one plan per
partner, template and year, access, bad input and the cost of a batch."""

import doctest
import threading
import time
from datetime import date, datetime
from functools import partial
from unittest.mock import patch

import psycopg2

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import compat, plan_templates, tracking_engine
from .common import MspCommittedCase, MspPlanningCase

YEAR = 2026


class TemplateCommon(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gold = cls.env["res.partner.category"].create({"name": "Gold (test)"})
        (cls.partner_a | cls.partner_b).category_id = [Command.link(cls.gold.id)]
        cls.revenue_field = cls.env["ir.model.fields"]._get("crm.lead", "expected_revenue")
        cls.template = cls._create_template()
        cls.line_deals, cls.line_revenue, cls.line_qbr = cls.template.line_ids.sorted("sequence")

    @classmethod
    def _create_template(cls, name="Gold plan", company=None, lines=None):
        if lines is None:
            lines = [
                {
                    "sequence": 1,
                    "name": "Registered deals",
                    "objective_type": "deal_registration",
                    "measure": "count",
                    "periodicity": "monthly",
                    "weight": 40,
                    "target_rule": "growth",
                    "growth_percent": 10,
                    "target_floor": 3,
                },
                {
                    "sequence": 2,
                    "name": "Won revenue",
                    "objective_type": "won_deal",
                    "measure": "sum",
                    "sum_field_id": cls.revenue_field.id,
                    "weight": 40,
                    "target_rule": "growth",
                    "growth_percent": -20,
                    "target_floor": 1000,
                },
                {
                    "sequence": 3,
                    "name": "QBRs held",
                    "objective_type": "manual",
                    "weight": 20,
                    "target_rule": "fixed",
                    "target_value": 8,
                },
            ]
        return cls.env["msp.business.plan.template"].create(
            {
                "name": name,
                "category_ids": [Command.set(cls.gold.ids)],
                "company_id": (company or cls.company).id,
                "line_ids": [Command.create(vals) for vals in lines],
            }
        )

    def _plans(self, template=None):
        return (
            self.env["msp.business.plan"]
            .with_context(active_test=False)
            .search([("template_id", "=", (template or self.template).id)])
        )


class TestPlanTemplate(TemplateCommon):
    def test_doctests(self):
        result = doctest.testmod(plan_templates)
        self.assertFalse(result.failed)
        self.assertGreater(result.attempted, 5)

    def test_generate_creates_draft_outlines_with_objectives_and_periods(self):
        plans = self.template.generate_plans(self.partner_a | self.partner_b, YEAR)
        self.assertEqual(plans.partner_id, self.partner_a | self.partner_b)
        self.assertEqual(set(plans.mapped("state")), {"draft_outline"})
        self.assertEqual(plans.template_id, self.template)
        plan = plans.filtered(lambda p: p.partner_id == self.partner_a)
        self.assertEqual((plan.date_start, plan.date_end), (date(YEAR, 1, 1), date(YEAR, 12, 31)))
        self.assertEqual(plan.company_id, self.company)
        # No partner salesperson: the current user manages the plans.
        self.assertEqual(plan.user_id, self.env.user)
        objectives = plan.objective_ids.sorted("sequence")
        self.assertEqual(objectives.template_line_id, self.template.line_ids)
        self.assertEqual(
            [(o.name, o.objective_type, o.measure, o.weight) for o in objectives],
            [
                ("Registered deals", "deal_registration", "count", 40),
                ("Won revenue", "won_deal", "sum", 40),
                ("QBRs held", "manual", "count", 20),
            ],
        )
        self.assertEqual(len(objectives[0].target_ids), 12)  # monthly
        self.assertEqual(len(objectives[1].target_ids), 4)  # quarterly by default
        # No plan last year: the floors, and the fixed target.
        self.assertEqual(objectives.mapped("target_value"), [3.0, 1000.0, 8.0])

    def test_salesperson_or_one_channel_manager(self):
        self.partner_b.user_id = self.user_all
        plans = self.template.generate_plans(self.partner_a | self.partner_b, YEAR)
        self.assertEqual(
            {p.partner_id: p.user_id for p in plans},
            {self.partner_a: self.env.user, self.partner_b: self.user_all},
        )
        other = self._create_template(name="Other")
        plans = other.generate_plans(self.partner_a | self.partner_b, YEAR, user=self.user_own)
        self.assertEqual(plans.user_id, self.user_own)

    def test_contacts_count_for_their_company(self):
        plans = self.template.generate_plans(self.partner_a_contact | self.partner_a, YEAR)
        self.assertEqual(plans.partner_id, self.partner_a)

    def test_targets_from_last_year_actuals(self):
        # Last year: A registered 5 deals, won 2 000 and held 6 QBRs in a plan drafted by hand.
        last = self._create_plan(
            date_start=date(YEAR - 1, 1, 1), date_end=date(YEAR - 1, 12, 31), state="in_progress"
        )
        self._create_objective(
            last, name="Deals", objective_type="deal_registration", target_value=4
        )
        self._create_objective(
            last,
            name="Revenue",
            objective_type="won_deal",
            measure="sum",
            sum_field_id=self.revenue_field.id,
            target_value=1,
        )
        # A filtered deal objective is another objective: it does not count.
        self._create_objective(
            last,
            name="Big deals",
            objective_type="deal_registration",
            lead_domain="[('expected_revenue', '>', 5000)]",
            target_value=1,
        )
        # Manual objectives are the same objective by their name only.
        self._create_objective(last, name="Partner events", target_value=3)
        self._create_objective(last, name=" qbrs HELD", target_value=8)
        for month in range(1, 6):
            self._create_registration(self.partner_a, day=date(YEAR - 1, month, 3))
        won = self._won_stage()
        for amount in (1500, 1000):
            lead = self._create_registration(
                self.partner_a,
                day=date(YEAR - 1, 6, 1),
                state="approved",
                expected_revenue=amount,
            )
            lead.write({"stage_id": won.id})
            lead.write({"date_closed": datetime(YEAR - 1, 7, 1, 12, 0)})
        last.objective_ids.action_refresh_actuals()
        manual = last.objective_ids.filtered(lambda o: o.objective_type == "manual")
        for objective, value in zip(manual.sorted("id"), (2, 6), strict=True):
            self._add_update(objective, value, date(YEAR - 1, 5, 1))
        self.assertEqual(
            last.objective_ids.sorted("id").mapped("actual_value"), [7.0, 2500.0, 0.0, 2.0, 6.0]
        )
        generation = self.template._prepare_generation(self.partner_a | self.partner_b, YEAR)
        rows = {(p, line): (actual, target) for p, line, actual, target in generation.rows}
        # 7 × 1.1 = 7.7 → 8 deals; 2 500 × 0.8 = 2 000; the QBRs are fixed, last year's
        # shown beside.
        self.assertEqual(rows[self.partner_a, self.line_deals], (7.0, 8.0))
        self.assertEqual(rows[self.partner_a, self.line_revenue], (2500.0, 2000.0))
        self.assertEqual(rows[self.partner_a, self.line_qbr], (6.0, 8.0))
        self.assertEqual(rows[self.partner_b, self.line_deals], (None, 3.0))
        plans = self.template.generate_plans(self.partner_a | self.partner_b, YEAR)
        plan_a = plans.filtered(lambda p: p.partner_id == self.partner_a)
        self.assertEqual(
            plan_a.objective_ids.sorted("sequence").mapped("target_value"), [8.0, 2000.0, 8.0]
        )

    def test_last_year_prefers_the_objective_of_the_same_template_line(self):
        last_year = self.template.generate_plans(self.partner_a, YEAR - 1)
        deals = last_year.objective_ids.filtered(lambda o: o.template_line_id == self.line_deals)
        # An objective of the same definition in a later plan of the same year, drafted
        # by hand over the first half only: not the one compared.
        half = self._create_plan(
            name="Alpha first half",
            date_start=date(YEAR - 1, 1, 1),
            date_end=date(YEAR - 1, 6, 30),
        )
        other = self._create_objective(
            half, name="Deals again", objective_type="deal_registration", target_value=1
        )
        for month in range(1, 11):
            self._create_registration(self.partner_a, day=date(YEAR - 1, month, 3))
        (deals | other).action_refresh_actuals()
        self.assertEqual((deals.actual_value, other.actual_value), (10.0, 6.0))
        generation = self.template._prepare_generation(self.partner_a, YEAR)
        rows = {line: (actual, target) for _p, line, actual, target in generation.rows}
        self.assertEqual(rows[self.line_deals], (10.0, 11.0))
        # Without the plan from the template, the latest plan of that year is the base.
        deals.template_line_id = False
        rows = {
            line: (actual, target)
            for _p, line, actual, target in self.template._prepare_generation(
                self.partner_a, YEAR
            ).rows
        }
        self.assertEqual(rows[self.line_deals], (10.0, 11.0))

    def test_cancelled_plan_of_last_year_is_no_base(self):
        last = self._create_plan(date_start=date(YEAR - 1, 1, 1), date_end=date(YEAR - 1, 12, 31))
        self._create_objective(last, name="Deals", objective_type="deal_registration")
        self._create_registration(self.partner_a, day=date(YEAR - 1, 2, 3))
        last.objective_ids.action_refresh_actuals()
        last.action_cancel()
        rows = self.template._prepare_generation(self.partner_a, YEAR).rows
        self.assertEqual(rows[0][2:], (None, 3.0))

    def test_running_twice_creates_nothing_twice(self):
        first = self.template.generate_plans(self.partner_a, YEAR)
        generation = self.template._prepare_generation(self.partner_a | self.partner_b, YEAR)
        self.assertEqual(generation.skipped, self.partner_a)
        second = self.template.generate_plans(self.partner_a | self.partner_b, YEAR)
        self.assertEqual(second.partner_id, self.partner_b)
        self.assertFalse(self.template.generate_plans(self.partner_a | self.partner_b, YEAR))
        self.assertEqual(self._plans(), first | second)
        # Archived or cancelled, a plan is still the partner's plan of that year.
        first.action_cancel()
        first.active = False
        self.assertFalse(self.template.generate_plans(self.partner_a, YEAR))
        # Another year, another template: new plans.
        self.assertTrue(self.template.generate_plans(self.partner_a, YEAR + 1))
        self.assertTrue(self._create_template(name="Other").generate_plans(self.partner_a, YEAR))

    def test_database_refuses_a_second_plan_of_a_template_and_year(self):
        plan = self.template.generate_plans(self.partner_a, YEAR)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            self._create_plan(name="Copy", template_id=self.template.id)
            self.env.flush_all()
        # A plan copied or rolled over is not generated from the template.
        self.assertFalse(plan.copy().template_id)
        self.assertFalse(plan.objective_ids[:1].copy({"plan_id": plan.id}).template_line_id)

    def test_template_year_must_be_plausible(self):
        for year in (1999, 2101, "next", 2026.5, None):
            with self.subTest(year=year), self.assertRaises(ValidationError):
                self.template.generate_plans(self.partner_a, year)
        self.assertFalse(self._plans())


class TestPlanTemplateAccess(TemplateCommon):
    def test_planning_users_read_templates_managers_edit_them(self):
        for user in (self.user_own, self.user_all, self.user_manager):
            with self.subTest(user=user.login):
                self.assertEqual(
                    self.env["msp.business.plan.template"].with_user(user).search([]),
                    self.env["msp.business.plan.template"].search([]),
                )
        for user in (self.user_own, self.user_all):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.template.with_user(user).write({"name": "Renamed"})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.line_qbr.with_user(user).write({"target_value": 1})
        self.template.with_user(self.user_manager).line_ids[:1].write({"weight": 50})

    def test_others_never_see_templates(self):
        for user in (self.user_internal, self.portal_a):
            for model in ("msp.business.plan.template", "msp.business.plan.template.line"):
                with self.subTest(user=user.login, model=model), self.assertRaises(AccessError):
                    self.env[model].with_user(user).search([])
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.template.with_user(user).read(["name"])
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.template.with_user(user).generate_plans(self.partner_a, YEAR)
        self.assertFalse(self._plans())

    def test_other_company_neither_sees_nor_generates(self):
        Template = self.env["msp.business.plan.template"].with_user(self.user_company_2)
        self.assertFalse(Template.search([("id", "=", self.template.id)]))
        self.assertFalse(Template.search_count([]))
        Line = self.env["msp.business.plan.template.line"].with_user(self.user_company_2)
        self.assertFalse(Line.search([("template_id", "=", self.template.id)]))
        with self.assertRaises(AccessError):
            self.template.with_user(self.user_company_2).generate_plans(self.partner_a, YEAR)
        self.assertFalse(self._plans())
        own = self._create_template(name="Second company plan", company=self.company_2)
        plans = own.with_user(self.user_company_2).generate_plans(self.partner_a, YEAR)
        self.assertEqual(plans.company_id, self.company_2)

    def test_own_plans_user_generates_its_own_plans_only(self):
        env = self.env(context=dict(self.env.context, tracking_disable=False))
        template = self.template.with_env(env).with_user(self.user_own)
        partners = self.partner_a | self.partner_b
        with self.assertRaisesRegex(UserError, "only generate plans you manage"):
            template.generate_plans(partners, YEAR, user=self.user_all)
        self.partner_b.user_id = self.user_all
        with self.assertRaisesRegex(UserError, "Dora Director would manage"):
            template.generate_plans(partners, YEAR)
        self.assertFalse(self._plans())
        plans = template.generate_plans(partners, YEAR, user=self.user_own)
        Plan = self.env["msp.business.plan"].with_user(self.user_own)
        self.assertEqual(Plan.search([("id", "in", plans.ids)]), plans)
        self.assertIn(self.user_own.partner_id, plans.message_partner_ids)
        for plan in plans:
            [note] = plan.message_ids
            self.assertIn("Gold plan", str(note.body))
            self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
            self.assertEqual(note.message_type, "comment")
        # A channel director assigns plans to anyone.
        other = self._create_template(name="Other").with_env(env).with_user(self.user_all)
        self.assertEqual(other.generate_plans(partners, YEAR).user_id, self.user_all)

    def test_own_plans_user_does_not_read_others_last_year(self):
        last = self._create_plan(
            date_start=date(YEAR - 1, 1, 1),
            date_end=date(YEAR - 1, 12, 31),
            user_id=self.user_all.id,
        )
        self._create_objective(last, name="Deals", objective_type="deal_registration")
        self._create_registration(self.partner_a, day=date(YEAR - 1, 2, 3))
        last.objective_ids.action_refresh_actuals()
        rows = self.template._prepare_generation(self.partner_a, YEAR).rows
        self.assertEqual(rows[0][2], 1.0)
        rows = self.template.with_user(self.user_own)._prepare_generation(self.partner_a, YEAR).rows
        self.assertEqual(rows[0][2:], (None, 3.0))

    def test_template_field_is_staff_only(self):
        plan = self.template.generate_plans(self.partner_a, YEAR)
        plan.state = "draft"
        Plan = self.env["msp.business.plan"].with_user(self.portal_a)
        self.assertEqual(Plan.search([("id", "=", plan.id)]), plan)
        with self.assertRaises(AccessError):
            plan.with_user(self.portal_a).read(["template_id"])
        with self.assertRaises(AccessError):
            Plan.search([("template_id", "=", self.template.id)])
        with self.assertRaises(AccessError):
            Plan.search([("template_id.name", "ilike", "Gold")])
        with self.assertRaises(AccessError):
            plan.objective_ids.with_user(self.portal_a).read(["template_line_id"])
        with self.assertRaises(AccessError):
            self.env["msp.business.plan.objective"].with_user(self.portal_a).search(
                [("template_line_id", "!=", False)]
            )


class TestGenerateWizard(TemplateCommon):
    def _wizard(self, **values):
        return self.env["msp.business.plan.generate.wizard"].create(
            {"template_id": self.template.id, "year": YEAR, **values}
        )

    def test_segment_preview_then_create(self):
        self.template.generate_plans(self.partner_b, YEAR)
        wizard = self._wizard()
        self.assertEqual(wizard.partner_ids, self.partner_a | self.partner_b)
        wizard.action_preview()
        self.assertEqual(wizard.state, "preview")
        self.assertEqual(wizard.plan_count, 1)
        self.assertEqual(wizard.skipped_partner_ids, self.partner_b)
        self.assertEqual(
            [(line.partner_id, line.name, line.last_actual_display) for line in wizard.line_ids],
            [
                (self.partner_a, "Registered deals", "None"),
                (self.partner_a, "Won revenue", "None"),
                (self.partner_a, "QBRs held", "None"),
            ],
        )
        self.assertEqual(wizard.line_ids[0].target_display, "3")
        self.assertIn("1,000.00", wizard.line_ids[1].target_display)
        self.assertEqual(len(self._plans()), 1)  # the preview created nothing
        action = wizard.action_generate()
        plans = self._plans()
        self.assertEqual(plans.partner_id, self.partner_a | self.partner_b)
        new = plans.filtered(lambda p: p.partner_id == self.partner_a)
        self.assertEqual(action["domain"], [("id", "in", new.ids)])
        # Once more: nothing to generate.
        again = self._wizard().action_generate()
        self.assertEqual(again["tag"], "display_notification")
        self.assertEqual(self._plans(), plans)

    def test_from_a_selection_of_partners(self):
        wizard = (
            self.env["msp.business.plan.generate.wizard"]
            .with_context(active_model="res.partner", active_ids=[self.partner_b_contact.id])
            .create({"template_id": self.template.id, "year": YEAR})
        )
        self.assertEqual(wizard.partner_source, "list")
        self.assertEqual(wizard.partner_ids, self.partner_b)
        wizard.action_generate()
        self.assertEqual(self._plans().partner_id, self.partner_b)

    def test_by_tag_and_salesperson(self):
        silver = self.env["res.partner.category"].create({"name": "Silver (test)"})
        self.partner_b.category_id = [Command.link(silver.id)]
        self.assertEqual(
            self._wizard(partner_source="tags", category_ids=silver.ids).partner_ids,
            self.partner_b,
        )
        self.partner_a.user_id = self.user_own
        wizard = self._wizard(
            partner_source="salesperson",
            salesperson_ids=self.user_own.ids,
            manager_rule="salesperson",
        )
        self.assertEqual(wizard.partner_ids, self.partner_a)
        wizard.action_generate()
        self.assertEqual(self._plans().user_id, self.user_own)

    def test_no_partner_is_refused(self):
        with self.assertRaises(UserError):
            self._wizard(partner_source="tags").action_preview()


@tagged("msp_bad_input")
class TestPlanTemplateBadInput(TemplateCommon):
    """Refused with a message in the user's words, nothing created."""

    def _assert_refused(self, call, message):
        Template = self.env["msp.business.plan.template"]
        Line = self.env["msp.business.plan.template.line"]
        counts = (Template.search_count([]), Line.search_count([]), len(self._plans()))
        with (
            self.assertRaisesRegex((ValidationError, UserError), message),
            self.env.cr.savepoint(),
        ):
            call()
            self.env.flush_all()
        self.assertEqual(
            (Template.search_count([]), Line.search_count([]), len(self._plans())), counts
        )

    def test_bad_lines(self):
        cases = [
            ({"growth_percent": "ten"}, "growth must be a number"),
            ({"growth_percent": -101}, "between -100 and \\+1000"),
            ({"growth_percent": 1000.5}, "between -100 and \\+1000"),
            ({"growth_percent": float("nan")}, "growth must be a number"),
            ({"weight": 0}, "between 1 and 100"),
            ({"weight": 101}, "between 1 and 100"),
            ({"weight": "heavy"}, "between 1 and 100"),
            ({"target_value": -1}, "must be a positive number"),
            ({"target_floor": "lots"}, "must be a positive number"),
            ({"lead_domain": "[('expected_revenue', '>'"}, "not a valid filter"),
            ({"lead_domain": "[('no_such_field', '=', 1)]"}, "cannot be used on deals"),
            ({"lead_domain": "__import__('os')"}, "not a valid filter"),
            ({"measure": "sum", "objective_type": "won_deal", "sum_field_id": False}, "Choose"),
        ]
        base = {"name": "Line", "objective_type": "deal_registration", "target_rule": "growth"}
        for vals, message in cases:
            with self.subTest(vals=vals):
                self._assert_refused(
                    lambda vals=vals: self._create_template(name="Bad", lines=[{**base, **vals}]),
                    message,
                )
                self._assert_refused(lambda vals=vals: self.line_deals.write(vals), message)

    def test_template_without_objectives(self):
        empty = self._create_template(name="Empty", lines=[])
        self._assert_refused(
            lambda: empty.generate_plans(self.partner_a, YEAR), "has no objectives"
        )
        wizard = self.env["msp.business.plan.generate.wizard"].create(
            {"template_id": empty.id, "year": YEAR}
        )
        self._assert_refused(wizard.action_preview, "has no objectives")
        self._assert_refused(wizard.action_generate, "has no objectives")

    def test_bad_year(self):
        self._assert_refused(
            lambda: self.template.generate_plans(self.partner_a, "soon"), "calendar year"
        )


class TestGenerationQueries(TemplateCommon):
    """A batch costs the same number of queries whatever its number of partners: no
    query per partner, plan or objective. The ORM writes rows by statements of at
    most ``INSERT_BATCH_SIZE`` (100) rows, an insert and an update of the stored
    related fields per table: those statements grow with the rows (one per 100
    rows), nothing else does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        kinds = ("deal_registration", "qualified_deal_registration", "won_deal", "manual")
        cls.big = cls._create_template(
            name="Ten objectives",
            lines=[
                {
                    "sequence": index,
                    "name": f"Objective {index}",
                    "objective_type": kinds[index % 4],
                    "measure": "sum" if index % 3 == 0 and index % 4 != 3 else "count",
                    "sum_field_id": cls.revenue_field.id,
                    "periodicity": ("annual", "quarterly", "monthly")[index % 3],
                    "weight": 10,
                    "target_rule": "growth" if index % 2 else "fixed",
                    "growth_percent": 10,
                    "target_floor": 2,
                    "target_value": 5,
                }
                for index in range(10)
            ],
        )
        Partner = cls.env["res.partner"]
        cls.partners = Partner.create(
            [{"name": f"Query partner {index}", "is_company": True} for index in range(105)]
        )
        # Last year's plans of some of them, for the actuals to read.
        last = cls.big.generate_plans(cls.partners[::3], YEAR - 1)
        last.objective_ids.action_refresh_actuals()

    def _generate(self, template, partners, year):
        """(queries, plans) of a generation, its pending writes flushed."""
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        plans = template.generate_plans(partners, year)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before, plans

    @staticmethod
    def _row_statements(partners):
        """Statements of at most 100 rows the ORM needs to insert, then update, the
        plans of ``partners`` partners: a plan, 10 objectives and 52 periods each."""
        rows = (partners, 10 * partners, 52 * partners)
        return sum(2 * -(-count // compat.INSERT_BATCH_SIZE) for count in rows)

    def test_query_count_does_not_grow_with_partners(self):
        as_director = self.big.with_context(tracking_disable=False).with_user(self.user_all)
        for year, template in ((YEAR, self.big), (YEAR + 10, as_director)):
            # The refresh of the new objectives reads one query less when they are few
            # (TrackingEngine.for_refresh): 5 and 50 partners compared on one path.
            with (
                self.subTest(user=template.env.user.login),
                patch.object(tracking_engine, "FEW_OBJECTIVES", 0),
            ):
                self._generate(template, self.partners[100:101], year + 1)  # caches warm
                five, plans = self._generate(template, self.partners[:5], year)
                self.assertEqual(len(plans.objective_ids), 50)
                self.assertEqual(len(plans.objective_ids.target_ids), 5 * 52)
                budget = five - self._row_statements(5) + self._row_statements(50)
                self.env.invalidate_all()
                with self.assertQueryCount(budget):
                    plans = template.generate_plans(self.partners[50:100], year)
                    self.env.flush_all()
                self.assertEqual(len(plans.objective_ids), 500)


class TestGenerateConcurrency(MspCommittedCase):
    """Two generations from the same template at once, on two committed connections:
    one plan per partner, the second generation retried and skipping them. The
    records are committed (names starting with ``MSP Generation``) and removed by a
    cleanup that runs whatever happens."""

    PREFIX = "MSP Generation"

    def _cleanup(self):
        with self._env() as env:
            self._unlink_named(env, "msp.business.plan", self.PREFIX, field="partner_id.name")
            self._unlink_named(env, "msp.business.plan.template", self.PREFIX)
            self._unlink_named(env, "res.partner", self.PREFIX)

    def setUp(self):
        super().setUp()
        with self._env() as env:
            self.partner_ids = (
                env["res.partner"]
                .create([{"name": f"{self.PREFIX} {key}", "is_company": True} for key in "AB"])
                .ids
            )
            self.template_id = (
                env["msp.business.plan.template"]
                .create(
                    {
                        "name": f"{self.PREFIX} template",
                        "line_ids": [
                            Command.create({"name": "QBRs", "target_value": 4}),
                        ],
                    }
                )
                .id
            )

    def test_two_generations_at_once_create_one_plan_per_partner(self):
        first_created = threading.Event()
        created = {}

        def generate(key, env):
            template = env["msp.business.plan.template"].browse(self.template_id)
            partners = env["res.partner"].browse(self.partner_ids)
            if key == "second":
                first_created.wait(10)
                # Its snapshot taken before the first one commits.
                env.cr.execute("SELECT 1")
            plans = template.generate_plans(partners, YEAR)
            env.flush_all()
            created[key] = len(plans)
            if key == "first":
                first_created.set()
                time.sleep(0.5)  # the second one now waits for this transaction

        attempts = self._run_in_threads(partial(generate, "first"), partial(generate, "second"))
        self.assertEqual(created, {"first": 2, "second": 0})
        self.assertGreaterEqual(attempts[1], 2, "the second generation was retried")
        with self._env() as env:
            plans = env["msp.business.plan"].search([("partner_id", "in", self.partner_ids)])
            self.assertEqual(len(plans), 2)
