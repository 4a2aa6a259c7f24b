"""The CHECK and UNIQUE constraints of the addon exist in the database, on every Odoo
version: 19.0 ignores ``_sql_constraints`` (tools/compat.py declares them both ways)."""

import psycopg2

from odoo.tests import TransactionCase
from odoo.tools import mute_logger

from ..tools import compat

# Every constraint of the addon, by its name in the database (<table>_<name>), and its kind.
EXPECTED = {
    "crm_lead_registration_submission_key_unique": "u",
    "msp_business_plan_date_check": "c",
    "msp_business_plan_initiative_budget_positive": "c",
    "msp_business_plan_objective_weight_range": "c",
    "msp_business_plan_objective_target_positive": "c",
    "msp_business_plan_objective_target_target_positive": "c",
    "msp_business_plan_objective_target_date_check": "c",
    "msp_business_plan_objective_update_portal_submission_key_unique": "u",
    "msp_business_review_period_check": "c",
    "msp_business_review_feedback_rating_range": "c",
    "msp_business_review_score_score_range": "c",
    "msp_business_review_score_target_score_range": "c",
    "msp_business_review_score_weight_positive": "c",
    "msp_business_review_score_topic_unique": "u",
    "msp_business_review_topic_weight_range": "c",
}


class TestDatabaseConstraints(TransactionCase):
    def _constraints_in_database(self, names):
        self.env.cr.execute(
            "SELECT conname, contype FROM pg_constraint WHERE conname = ANY(%s)", [list(names)]
        )
        return dict(self.env.cr.fetchall())

    def test_every_constraint_of_the_addon_is_in_the_database(self):
        self.assertEqual(self._constraints_in_database(EXPECTED), EXPECTED)

    def test_every_declared_constraint_is_in_the_database(self):
        """Also those of models added later, and the host's on the models we extend."""
        declared = {}
        for model_name in ["crm.lead", *(name for name in self.env if name.startswith("msp."))]:
            model = self.env[model_name]
            if model._auto and not model._abstract:
                declared.update(compat.declared_constraints(model))
        self.assertTrue(set(EXPECTED) <= set(declared), "a constraint is no longer declared")
        self.assertEqual(set(self._constraints_in_database(declared)), set(declared))

    def test_check_constraint_refuses_a_row(self):
        plan = self.env["msp.business.plan"].search([], limit=1) or self.env[
            "msp.business.plan"
        ].create(
            {
                "name": "Constraint plan",
                "partner_id": self.env["res.partner"].create({"name": "P", "is_company": True}).id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
            }
        )
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "UPDATE msp_business_plan SET date_end = date_start - 1 WHERE id = %s", [plan.id]
            )
