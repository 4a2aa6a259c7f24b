"""The migration scripts of the addon, run on records as an upgrade finds them."""

import importlib.util
from datetime import date
from pathlib import Path

from freezegun import freeze_time

from odoo.tests import tagged

from .common import MspPlanningCase

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def load_migration(version, name):
    path = MIGRATIONS / version / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"msp_migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigration1_10_0(MspPlanningCase):
    def test_snapshot_lines_take_their_objectives_kind_of_figure(self):
        plan = self._create_plan(state="in_progress")
        self._create_objective(plan, name="Manual")
        self._create_objective(plan, name="Registered", objective_type="deal_registration")
        self._create_objective(
            plan, name="Won", objective_type="won_deal", measure="sum", periodicity="annual"
        )
        review = self._create_review(
            plan, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
        )
        review.action_done()
        lines = review.snapshot_ids
        expected = {line.name: line.figure_kind for line in lines}
        self.assertEqual(expected, {"Manual": "number", "Registered": "count", "Won": "amount"})
        # As lines frozen before 1.10.0 are after the column was added: all "number".
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE msp_business_review_snapshot SET figure_kind = 'number' WHERE id = ANY(%s)",
            (lines.ids,),
        )
        lines.invalidate_recordset(["figure_kind"])
        load_migration("1.10.0", "post-migrate").migrate(self.env.cr, "18.0.1.9.0")
        self.assertEqual({line.name: line.figure_kind for line in lines}, expected)


@tagged("post_install", "-at_install")
class TestMigration1_12_0(MspPlanningCase):
    @freeze_time("2026-05-16 10:00:00")
    def test_forecasts_computed_on_upgrade(self):
        plan = self._create_plan(state="in_progress")
        won = self._create_objective(plan, name="Won", objective_type="won_deal", target_value=2)
        open_stage = self.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        self._create_registration(
            self.partner_a,
            state="approved",
            probability=50,
            date_deadline=date(2026, 8, 1),
            stage_id=open_stage.id,
        )
        self.assertEqual(won.forecast_value, 0.5)
        # As the upgrade finds them: new, empty columns.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE msp_business_plan_objective_target SET forecast_value = NULL"
            " WHERE plan_id = %s",
            (plan.id,),
        )
        self.env.cr.execute(
            "UPDATE msp_business_plan_objective SET forecast_value = 0 WHERE plan_id = %s",
            (plan.id,),
        )
        self.env.cr.execute(
            "UPDATE msp_business_plan SET forecast_progress = 0 WHERE id = %s", (plan.id,)
        )
        self.env.invalidate_all()
        load_migration("1.12.0", "post-migrate").migrate(self.env.cr, "18.0.1.11.0")
        self.assertEqual(won.forecast_value, 0.5)
        self.assertEqual(plan.forecast_progress, 25.0)
