"""The tracking engine (tools/tracking_engine.py): its pure parts (doctests), its rows,
its aggregate shape, and its extension point."""

import doctest
from datetime import date, datetime
from unittest.mock import patch

from odoo.tools import SQL

from ..tools import compat, tracking_engine
from ..tools.tracking_engine import (
    PERIOD_END,
    PERIOD_ID,
    PERIOD_OBJECTIVE,
    PERIOD_START,
    ObjectiveRow,
    TrackingEngine,
)
from .common import MspPlanningCase


class TestTrackingEngine(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.Objective = cls.env["msp.business.plan.objective"]

    def _engine(self, objectives, cut=None):
        return TrackingEngine.for_condition(
            self.Objective, SQL("target.objective_id = ANY(%s)", objectives.ids), cut=cut
        )

    def test_doctests(self):
        result = doctest.testmod(tracking_engine)
        self.assertFalse(result.failed)
        self.assertGreaterEqual(result.attempted, 4)

    def test_rows_are_named_after_what_they_hold(self):
        revenue = self._create_objective(
            self.plan,
            objective_type="deal_registration",
            measure="sum",
            lead_domain="[('probability', '>', 10)]",
            periodicity="monthly",
        )
        engine = self._engine(revenue)
        row = engine.objectives[revenue.id]
        self.assertIsInstance(row, ObjectiveRow)
        self.assertEqual(
            (row.plan_id, row.kind, row.measure, row.measured, row.lead_domain),
            (
                self.plan.id,
                "deal_registration",
                "sum",
                "expected_revenue",
                "[('probability', '>', 10)]",
            ),
        )
        self.assertEqual(
            (row.currency_id, row.company_id, row.company_currency_id),
            (
                self.plan.currency_id.id,
                self.plan.company_id.id,
                self.plan.company_id.currency_id.id,
            ),
        )
        self.assertEqual(len(engine.periods), 12)
        first = engine.periods[0]
        self.assertEqual(first[PERIOD_OBJECTIVE], revenue.id)
        self.assertEqual(
            (first[PERIOD_START], first[PERIOD_END]), (date(2026, 1, 1), date(2026, 1, 31))
        )

    def test_objectives_measuring_the_same_deals_share_their_ranges(self):
        objectives = self.Objective
        for measure in ("count", "sum", "count"):
            objectives |= self._create_objective(
                self.plan, objective_type="deal_registration", measure=measure
            )
        objectives |= self._create_objective(
            self.plan, objective_type="deal_registration", periodicity="monthly"
        )
        engine = self._engine(objectives)
        spans, span_of = engine.spans([row[PERIOD_ID] for row in engine.periods])
        self.assertEqual(len(engine.periods), 3 * 4 + 12)
        self.assertEqual(len(spans), 4 + 12, "each distinct range once")
        self.assertEqual(len(set(span_of.values())), 16)
        # Cut on a day: the ranges end there, those starting later are left out.
        engine.cut = date(2026, 2, 10)
        spans, _span_of = engine.spans([row[PERIOD_ID] for row in engine.periods])
        self.assertEqual(
            sorted((span.date_start, span.date_end) for span in spans),
            [
                (date(2026, 1, 1), date(2026, 1, 31)),
                (date(2026, 1, 1), date(2026, 2, 10)),
                (date(2026, 2, 1), date(2026, 2, 10)),
            ],
        )

    def test_periods_not_whole_months_count_by_day(self):
        """Deals are grouped by month only when every range is whole months: a plan
        starting mid-month groups them by day, so that a deal of that month before the
        plan starts does not count."""
        plan = self._create_plan(date_start=date(2026, 1, 15), name="Mid-month")
        monthly = self._create_objective(
            plan, objective_type="deal_registration", periodicity="monthly"
        )
        self._create_registration(self.partner_a, day=date(2026, 1, 10))
        self._create_registration(self.partner_a, day=date(2026, 1, 15))
        self._create_registration(self.partner_a, day=date(2026, 2, 28))
        self.assertEqual(
            {t.date_start: t.actual_value for t in monthly.target_ids if t.actual_value},
            {date(2026, 1, 15): 1, date(2026, 2, 1): 1},
        )
        self.assertEqual(monthly.actual_value, 2)

    def test_one_aggregate_query_per_population(self):
        """Five objectives, one of them filtered, two kinds: three populations, three
        aggregate queries (one deal scan each), whatever the number of objectives."""
        objectives = self.Objective
        for kind, measure, domain in (
            ("deal_registration", "count", "[]"),
            ("deal_registration", "sum", "[]"),
            ("qualified_deal_registration", "count", "[]"),
            ("qualified_deal_registration", "sum", "[]"),
            ("deal_registration", "count", "[('expected_revenue', '>', 500)]"),
        ):
            objectives |= self._create_objective(
                self.plan, objective_type=kind, measure=measure, lead_domain=domain
            )
        self._create_registration(self.partner_a, expected_revenue=100)
        self._create_registration(self.partner_a, state="approved", expected_revenue=1000)
        engine = self._engine(objectives)
        self.env.flush_all()
        with self.assertQueryCount(__system__=3):
            actuals = engine.actuals()
        totals = {}
        for row in engine.periods:
            totals[row[PERIOD_OBJECTIVE]] = totals.get(row[PERIOD_OBJECTIVE], 0) + actuals[row[0]]
        self.assertEqual([totals[objective.id] for objective in objectives], [2, 1100, 1, 1000, 1])

    def test_won_deals_closed_late_on_a_quarter_end_count_in_that_quarter(self):
        won = self._create_objective(self.plan, objective_type="won_deal")
        stage = self._won_stage()
        for closed in (datetime(2026, 3, 31, 23, 30), datetime(2026, 4, 1, 0, 10)):
            lead = self._create_registration(self.partner_a, state="approved")
            lead.write({"stage_id": stage.id})
            lead.write({"date_closed": closed})
        self.assertEqual(
            {t.name: t.actual_value for t in won.target_ids if t.actual_value},
            {"Q1 2026": 1, "Q2 2026": 1},
        )

    def test_extension_point_gives_an_aggregate_per_kind(self):
        objective = self._create_objective(self.plan, objective_type="deal_registration")
        self._create_registration(self.partner_a)
        engine = self._engine(objective)
        computers = self.Objective._get_actual_computers(engine=engine)
        self.assertTrue({"manual", "deal_registration", "won_deal"} <= set(computers))
        targets = objective.target_ids
        with_engine = computers["deal_registration"](targets)
        without = self.Objective._get_actual_computers()["deal_registration"](targets)
        self.assertEqual(with_engine, without)
        self.assertEqual(sum(with_engine.values()), 1)
        # With a cut before the deal's day, nothing is counted yet.
        cut = computers["deal_registration"](targets, cut=date(2026, 1, 31))
        self.assertEqual(sum(cut.values()), 0)

    def test_big_batches_compute_as_small_ones(self):
        """The computes read a big batch of objectives (more than PREFETCH_MAX, as when
        the periods of a thousand objectives are rebuilt) with one grouped query:
        they find what the ORM finds record by record, and what the engine wrote."""
        objectives = self._create_objective(self.plan, objective_type="deal_registration")
        objectives |= self._create_objective(self.plan, periodicity="monthly")
        objectives |= self._create_objective(self.plan, periodicity="annual", target_value=7)
        self._create_registration(self.partner_a, day=date(2026, 5, 2))
        self._add_update(objectives[1], 4, date(2026, 1, 10))
        self._add_update(objectives[2], 3, date(2026, 8, 10))
        names = ["actual_value", "progress", "expected_progress", "pacing_status"]
        written = objectives.read(names)
        self.assertEqual([row["actual_value"] for row in written], [1, 4, 3])
        for batch_max in (1, 1000):  # big batches, then small ones (one by one)
            self.env.cr.execute(
                "UPDATE msp_business_plan_objective SET actual_value = 999,"
                " expected_progress = 999, pacing_status = NULL WHERE id = ANY(%s)",
                [objectives.ids],
            )
            self.env.invalidate_all()
            with patch.object(compat, "PREFETCH_MAX", batch_max):
                for name in names:
                    self.env.add_to_compute(objectives._fields[name], objectives)
                objectives.flush_recordset()
            self.env.invalidate_all()
            self.assertEqual(objectives.read(names), written, f"batches of {batch_max}")
