"""The tracking engine (tools/tracking_engine.py): its pure parts (doctests), its rows,
its aggregate shape, and its extension point."""

import doctest
from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tools import SQL

from ..tools import compat, planning, tracking_engine
from ..tools import forecast as forecast_rules
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
        spans, runs = engine.spans([row[PERIOD_ID] for row in engine.periods])
        self.assertEqual(len(engine.periods), 3 * 4 + 12)
        self.assertEqual(len(spans), 4 + 12, "each distinct range once")
        self.assertEqual(
            {index for _objective, _run, found in runs for index in found}, set(range(16))
        )
        # Each period's span is its own range.
        for _objective, run, found in runs:
            for period_id, index in zip(run, found, strict=True):
                period = engine.period(period_id)
                self.assertEqual(
                    (spans[index].date_start, spans[index].date_end),
                    (period[PERIOD_START], period[PERIOD_END]),
                )
        # Cut on a day: the ranges end there, those starting later are left out.
        engine.cut = date(2026, 2, 10)
        spans, runs = engine.spans([row[PERIOD_ID] for row in engine.periods])
        self.assertEqual(
            sorted((span.date_start, span.date_end) for span in spans),
            [
                (date(2026, 1, 1), date(2026, 1, 31)),
                (date(2026, 1, 1), date(2026, 2, 10)),
                (date(2026, 2, 1), date(2026, 2, 10)),
            ],
        )
        # The periods starting after the cut have no span (-1): nothing counted.
        for _objective, run, found in runs:
            for period_id, index in zip(run, found, strict=True):
                started = engine.period(period_id)[PERIOD_START] <= engine.cut
                self.assertEqual(index >= 0, started)

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


BIG_DEALS = "[('expected_revenue', '>', 500)]"


@freeze_time("2026-11-10 09:00:00")
class TestRefreshComparesInTheDatabase(MspPlanningCase):
    """A refresh lets the database compare the stored period actuals with the deals
    (``TrackingEngine.for_refresh``): only the objectives whose actuals or forecasts
    changed, or whose figures were computed on another day, are read and recomputed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.Objective = cls.env["msp.business.plan.objective"]
        won_stage = cls._won_stage()
        open_stage = cls.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        cls.objectives = {}
        for name, kind, measure, domain, periodicity in (
            ("count", "deal_registration", "count", "[]", "quarterly"),
            ("sum", "deal_registration", "sum", "[]", "monthly"),
            ("qualified", "qualified_deal_registration", "count", "[]", "quarterly"),
            (
                "filtered",
                "deal_registration",
                "count",
                "[('expected_revenue', '>', 500)]",
                "monthly",
            ),
            ("won", "won_deal", "sum", "[]", "quarterly"),
        ):
            cls.objectives[name] = cls._create_objective(
                cls.plan,
                name=name,
                objective_type=kind,
                measure=measure,
                lead_domain=domain,
                periodicity=periodicity,
            )
        cls.all = cls.Objective.browse([o.id for o in cls.objectives.values()])
        # Probability 0: not in the pipeline (only the fourth deal is).
        cls.small = cls._create_registration(cls.partner_a, expected_revenue=100, probability=0)
        cls._create_registration(
            cls.partner_a,
            state="approved",
            expected_revenue=1000,
            day=date(2026, 5, 3),
            probability=0,
        )
        won = cls._create_registration(
            cls.partner_a, state="approved", expected_revenue=800, day=date(2026, 9, 1)
        )
        won.write({"stage_id": won_stage.id})
        won.write({"date_closed": datetime(2026, 10, 5, 12, 0)})
        cls._create_registration(
            cls.partner_a,
            state="approved",
            expected_revenue=500,
            probability=40,
            date_deadline=date(2026, 12, 20),
            stage_id=open_stage.id,
            day=date(2026, 10, 1),
        )
        cls.all.action_refresh_actuals()
        cls.env.flush_all()

    def _for_refresh(self, objectives, actuals=True):
        return TrackingEngine.for_refresh(
            self.Objective, SQL("objective.id = ANY(%s)", objectives.ids), actuals=actuals
        )

    def _period_objectives(self, engine):
        return {row[PERIOD_OBJECTIVE] for row in engine.periods}

    def test_the_database_finds_what_the_python_aggregate_finds(self):
        """With every stored figure wrong, every period is returned, with the actual and
        the weighted pipeline that the aggregate in Python (``actuals()``) finds."""
        expected_engine = TrackingEngine.for_condition(
            self.Objective, SQL("target.objective_id = ANY(%s)", self.all.ids)
        )
        expected = expected_engine.actuals()
        self.assertEqual(
            [self.objectives[name].actual_value for name in ("count", "sum", "qualified")],
            [4, 2400, 3],
        )
        self.assertEqual(self.objectives["filtered"].actual_value, 2)
        self.assertEqual(self.objectives["won"].actual_value, 800)
        self.assertEqual(self.objectives["won"].forecast_value, 1000, "800 + 40% of 500")
        self.env.cr.execute(
            "UPDATE msp_business_plan_objective_target SET actual_value = -1, forecast_value = -1"
            " WHERE objective_id = ANY(%s)",
            [self.all.ids],
        )
        self.env.invalidate_all()
        engine, values = self._for_refresh(self.all)
        self.assertEqual(len(engine.periods), len(expected_engine.periods))
        self.assertEqual(values, expected)
        self.assertEqual(engine.pipeline, expected_engine.pipeline)
        self.assertEqual(sum(engine.pipeline.values()), 200)

    def test_few_objectives_read_whole_at_once_give_the_same_refresh(self):
        """Few objectives (one partner's) are read with every objective of their plans
        in the first query: the refresh reads one query less, and holds the same
        periods, actuals and objectives as the light read followed by the plans'
        objectives; a plan with nothing to recompute is left out."""
        other = self._create_plan(state="in_progress", name="Nothing changed")
        steady = self._create_objective(other, objective_type="deal_registration")
        steady.action_refresh_actuals()
        # Two stale objectives, one of them not asked for.
        won = self.objectives["won"]
        self.env.cr.execute(
            "UPDATE msp_business_plan_objective_target SET actual_value = -1"
            " WHERE objective_id IN %s",
            [(self.objectives["sum"].id, won.id)],
        )
        self.env.invalidate_all()
        refreshes = {}
        # Light: what they measure, the comparison, the plans' objectives, the
        # periods. Few: the plans' objectives, the comparison reading the periods.
        for few, queries in ((False, 4), (True, 2)):
            condition = SQL("objective.id = ANY(%s)", (self.all - won | steady).ids)
            with self.assertQueryCount(__system__=queries):
                refreshes[few] = TrackingEngine.for_refresh(self.Objective, condition, few=few)
        (light, light_values), (whole, whole_values) = refreshes[False], refreshes[True]
        self.assertEqual(self._period_objectives(whole), {self.objectives["sum"].id})
        self.assertEqual(whole.periods, light.periods)
        self.assertEqual(whole_values, light_values)
        self.assertEqual(list(whole.objectives), list(light.objectives))
        self.assertEqual(set(whole.objectives), set(self.plan.objective_ids.ids))

        def written(figures):
            return [
                (model._name, names, columns.ids, columns.columns, columns.changed_columns())
                for model, names, columns in figures
            ]

        self.assertEqual(written(whole.figures(whole_values)), written(light.figures(light_values)))

    def test_a_second_refresh_on_the_same_day_reads_no_period(self):
        # One query for what the objectives measure, one statement comparing every
        # kind of deal (the registrations' two deal filters share one scan), none for
        # the periods.
        with self.assertQueryCount(__system__=2):
            engine, values = self._for_refresh(self.all)
        self.assertIsNone(engine)
        self.assertIsNone(values)
        self.assertTrue(all(o.figures_date == date(2026, 11, 10) for o in self.all))

    def test_only_what_changed_behind_the_orms_back_is_recomputed(self):
        """A deal's amount changed in SQL (no hook ran): the objective adding it up is
        recomputed, the others are not read."""
        self.env.cr.execute(
            "UPDATE crm_lead SET expected_revenue = 300 WHERE id = %s", [self.small.id]
        )
        self.env.invalidate_all()
        engine, _values = self._for_refresh(self.all)
        self.assertEqual(self._period_objectives(engine), {self.objectives["sum"].id})
        self.all.action_refresh_actuals()
        self.assertEqual(self.objectives["sum"].actual_value, 2600)
        # A period's actual set wrong in SQL is found and put right the same day.
        period = self.objectives["count"].target_ids[0]
        self.env.cr.execute(
            "UPDATE msp_business_plan_objective_target SET actual_value = 42 WHERE id = %s",
            [period.id],
        )
        self.env.invalidate_all()
        self.all.action_refresh_actuals()
        self.assertEqual(period.actual_value, 1)
        self.assertEqual(self.objectives["count"].actual_value, 4)

    def test_one_scan_of_a_kind_serves_all_its_deal_filters(self):
        """Two objectives of one kind, each with its own deal filter (a deal may pass
        both, one or none): one query compares both, and with every stored figure
        wrong it finds what the aggregate in Python finds, filter by filter."""
        under = self._create_objective(
            self.plan,
            name="under 900",
            objective_type="deal_registration",
            measure="sum",
            lead_domain="[('expected_revenue', '<', 900)]",
            periodicity="quarterly",
        )
        both = self.objectives["filtered"] | under
        both.action_refresh_actuals()
        # 1000 (> 500), 800 (both), 500 and 100 (< 900): 2 over 500, 1400 under 900.
        self.assertEqual((self.objectives["filtered"].actual_value, under.actual_value), (2, 1400))
        expected = TrackingEngine.for_condition(
            self.Objective, SQL("target.objective_id = ANY(%s)", both.ids)
        ).actuals()
        self.env.cr.execute(
            "UPDATE msp_business_plan_objective_target SET actual_value = -1, forecast_value = -1"
            " WHERE objective_id = ANY(%s)",
            [both.ids],
        )
        self.env.invalidate_all()
        engine = TrackingEngine(
            self.Objective,
            [],
            TrackingEngine.read_measured(self.Objective, SQL("objective.id = ANY(%s)", both.ids)),
        )
        populations, elsewhere = engine.compared_populations(both.ids)
        self.assertEqual((list(populations), elsewhere), (["deal_registration"], set()))
        self.assertEqual(len(populations["deal_registration"]), 2)
        with self.assertQueryCount(__system__=4):  # measured, compared, objectives, periods
            engine, values = self._for_refresh(both)
        self.assertEqual(values, expected)
        self.assertEqual(set(values), set(both.target_ids.ids))

    def test_progress_updates_are_compared_in_the_database_too(self):
        """A manual objective's periods are compared with the sum of its progress
        updates: a second refresh the same day reads nothing; an update changed in SQL
        (no hook ran), or a period actual set wrong, is found and put right."""
        manual = self._create_objective(self.plan, name="manual", periodicity="quarterly")
        self._add_update(manual, 2.5, date(2026, 2, 10))
        update = self._add_update(manual, 4, date(2026, 5, 3))
        manual.action_refresh_actuals()
        self.env.flush_all()
        self.assertEqual(manual.target_ids.mapped("actual_value"), [2.5, 4, 0, 0])
        with self.assertQueryCount(__system__=2):  # what it measures, its comparison
            engine, _values = self._for_refresh(manual)
        self.assertIsNone(engine)
        self.env.cr.execute(
            "UPDATE msp_business_plan_objective_update SET value = 6 WHERE id = %s", [update.id]
        )
        self.env.cr.execute(
            "UPDATE msp_business_plan_objective_target SET actual_value = 9 WHERE id = %s",
            [manual.target_ids[3].id],
        )
        self.env.invalidate_all()
        engine, values = self._for_refresh(manual | self.all)
        self.assertEqual(self._period_objectives(engine), {manual.id})
        self.assertEqual([values[target.id] for target in manual.target_ids], [2.5, 6, 0, 0])
        (manual | self.all).action_refresh_actuals()
        self.assertEqual(manual.target_ids.mapped("actual_value"), [2.5, 6, 0, 0])
        self.assertEqual(manual.actual_value, 8.5)

    def test_another_day_recomputes_the_pacing_without_any_deal_change(self):
        count = self.objectives["count"]
        quarter = count.target_ids.filtered(lambda t: t.date_start == date(2026, 10, 1))
        before = quarter.expected_progress
        with freeze_time("2026-11-20 09:00:00"):
            engine, _values = self._for_refresh(count)
            self.assertEqual(self._period_objectives(engine), {count.id})
            count.action_refresh_actuals()
            self.env.invalidate_all()
            self.assertGreater(quarter.expected_progress, before)
            self.assertEqual(
                quarter.expected_progress,
                planning.period_expected(quarter.date_start, quarter.date_end, date(2026, 11, 20)),
            )
            self.assertEqual(count.figures_date, date(2026, 11, 20))

    def test_a_forecast_changed_is_found_alone(self):
        """The open deal's probability changed in SQL: only the won-deal objective is
        recomputed, its actual unchanged, its forecast following the rule."""
        self.env.cr.execute(
            "UPDATE crm_lead SET probability = 90 WHERE probability = 40 AND id > %s",
            [self.small.id],
        )
        self.env.invalidate_all()
        won = self.objectives["won"]
        engine, _values = self._for_refresh(self.all)
        self.assertEqual(self._period_objectives(engine), {won.id})
        self.all.action_refresh_actuals()
        self.assertEqual((won.actual_value, won.forecast_value), (800, 1250))

    def test_the_databases_forecast_is_the_rule(self):
        for actual, pipeline in ((3.0, 1.5), (0.1, 0.2), (2900.0, None), (None, 0.3)):
            self.env.cr.execute(
                SQL(
                    "SELECT %s",
                    forecast_rules.period_forecast_sql(
                        SQL("%s::float8", actual), SQL("%s::float8", pipeline)
                    ),
                )
            )
            self.assertEqual(
                self.env.cr.fetchone()[0], forecast_rules.period_forecast(actual, pipeline)
            )

    def _for_pacing(self, objectives, force=False):
        return TrackingEngine.for_refresh(
            self.Objective,
            SQL("objective.id = ANY(%s)", objectives.ids),
            actuals=False,
            force=force,
        )

    def test_pacing_only_skips_what_was_computed_today_unless_forced(self):
        """The daily pacing job after the daily refresh of actuals: nothing to redo.
        Forced (the thresholds changed), every objective is recomputed, from its
        stored actuals."""
        with self.assertQueryCount(__system__=1):
            engine, _values = self._for_pacing(self.all)
        self.assertIsNone(engine)
        engine, values = self._for_pacing(self.all, force=True)
        self.assertEqual(self._period_objectives(engine), set(self.all.ids))
        self.assertEqual(values, engine.stored_actuals())
        with freeze_time("2026-11-11 09:00:00"):
            engine, _values = self._for_pacing(self.all)
            self.assertEqual(self._period_objectives(engine), set(self.all.ids))
