"""Figures do not depend on who computes them: the same deals, updates and day give
the same actuals, pacing and export whatever the timezone or language of the user
whose action triggers the computation.

The instant used is 2026-03-31 20:00 UTC, the last evening of the first quarter: it
is already 1 April in Kiritimati (UTC+14), still 31 March morning on Adak (UTC-9).
Everything the system dates itself (registrations, closings, pacing) is a UTC day;
only a date a person types is taken as typed.
"""

import io
from datetime import date, datetime

import openpyxl
from freezegun import freeze_time

from odoo.tests import new_test_user

from .common import MspPlanningCase

EDGE = datetime(2026, 3, 31, 20, 0)
TIMEZONES = ("Pacific/Kiritimati", "America/Adak", "UTC")
LANGUAGES = ("en_US", "fr_FR", "ar_001")


class TestTimezoneAndLanguage(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in LANGUAGES:
            cls.env["res.lang"]._activate_lang(lang)
        cls.plan = cls._create_plan(name="Alpha Edge Plan", state="in_progress")
        cls.manual = cls._create_objective(cls.plan, name="Edge clients", target_value=40)
        cls.deals = cls._create_objective(
            cls.plan, name="Edge deals", objective_type="deal_registration", target_value=8
        )
        cls.won = cls._create_objective(
            cls.plan, name="Edge wins", objective_type="won_deal", measure="sum", target_value=8000
        )
        cls._add_update(cls.manual, 3.5, date(2026, 3, 31))
        cls.users = {
            (tz, lang): new_test_user(
                cls.env,
                login=f"msp_edge_{tz}_{lang}",
                groups="base.group_user,sales_team.group_sale_salesman,"
                "msp_business_planning.group_user",
                tz=tz,
                lang=lang,
            )
            for tz in TIMEZONES
            for lang in LANGUAGES
        }
        # They follow the plan: "own plans" users, all of them may refresh it.
        cls.plan.message_subscribe(partner_ids=[u.partner_id.id for u in cls.users.values()])

    def _figures(self):
        """Everything computed and stored on the plan, by period."""
        self.env.invalidate_all()
        targets = self.plan.objective_ids.target_ids.sorted(lambda t: (t.objective_id.id, t.id))
        return {
            "periods": [
                (t.objective_id.name, t.name, t.actual_value, t.expected_progress, t.pacing_status)
                for t in targets
            ],
            "objectives": [
                (o.name, o.actual_value, o.progress, o.expected_progress, o.pacing_status)
                for o in self.plan.objective_ids
            ],
            "plan": (self.plan.progress, self.plan.expected_progress, self.plan.pacing_status),
        }

    def _as(self, tz, lang):
        user = self.users[(tz, lang)]
        return self.env(user=user, context={"tz": tz, "lang": lang})

    def test_registrations_closings_and_pacing_are_utc_days(self):
        """At the edge instant, a deal registered and one won count in the first
        quarter, and pacing is that of 31 March, whoever's action computes them."""
        results = {}
        with freeze_time(EDGE):
            for tz in TIMEZONES:
                with self.env.cr.savepoint(flush=True) as savepoint:
                    env = self._as(tz, "en_US")
                    registration = env["crm.lead"].create(
                        {
                            "name": f"Edge deal {tz}",
                            "registered_partner_id": self.partner_a.id,
                            "expected_revenue": 5000,
                        }
                    )
                    self.assertEqual(registration.registration_date, date(2026, 3, 31))
                    registration.sudo().write(
                        {"registration_state": "approved", "stage_id": self._won_stage().id}
                    )
                    registration.sudo().date_closed = EDGE
                    env["msp.business.plan.objective"].browse(
                        self.plan.objective_ids.ids
                    )._recompute_pacing()
                    self.plan.objective_ids.with_env(env).action_refresh_actuals()
                    results[tz] = self._figures()
                    savepoint.rollback()
        self.assertEqual(results["Pacific/Kiritimati"], results["America/Adak"])
        self.assertEqual(results["Pacific/Kiritimati"], results["UTC"])
        q1_wins = next(p for p in results["UTC"]["periods"] if p[0] == "Edge wins")
        self.assertEqual(q1_wins[2], 5000)
        # Still 31 March: the first quarter is not fully due yet (it is on 1 April).
        self.assertLess(results["UTC"]["objectives"][0][3], 25.0)

    def test_language_changes_no_figure(self):
        results = {}
        exports = {}
        with freeze_time(EDGE):
            for lang in LANGUAGES:
                with self.env.cr.savepoint(flush=True) as savepoint:
                    env = self._as("UTC", lang)
                    objectives = self.plan.objective_ids.with_env(env)
                    objectives.action_refresh_actuals()
                    objectives._recompute_pacing()
                    results[lang] = self._figures()
                    workbook = openpyxl.load_workbook(
                        io.BytesIO(self.plan.with_env(env).export_xlsx())
                    )
                    exports[lang] = [
                        [
                            cell
                            for row in sheet.iter_rows(values_only=True)
                            for cell in row
                            if isinstance(cell, int | float | datetime)
                        ]
                        for sheet in workbook
                    ]
                    savepoint.rollback()
        self.assertEqual(results["fr_FR"], results["en_US"])
        self.assertEqual(results["ar_001"], results["en_US"])
        self.assertEqual(exports["fr_FR"], exports["en_US"])
        self.assertEqual(exports["ar_001"], exports["en_US"])
        self.assertIn(3.5, exports["fr_FR"][1])
