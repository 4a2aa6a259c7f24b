"""Query budgets of the CRM hot path: what deal tracking costs on lead writes."""

import gc
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.msp_business_planning.models.crm_lead import CrmLead
from odoo.addons.msp_business_planning.tools import tracking_engine
from odoo.tools import SQL

from .common import MspPlanningCase, MspPlanningHttpCase


def without_module(records):
    """``records`` as seen by the crm.lead class just below this module's override:
    calling a method on it runs the whole chain but this module."""
    return super(CrmLead, records)


# (kind, measure) of the objectives of the benchmark plans.
OBJECTIVE_KINDS = [
    ("deal_registration", "count"),
    ("deal_registration", "sum"),
    ("qualified_deal_registration", "count"),
    ("won_deal", "count"),
    ("won_deal", "sum"),
]


class TestLeadWriteQueries(MspPlanningCase):
    """What this module adds to crm's own cost of a lead write.

    The module's override is measured against the rest of the chain: both calls skip
    any override loaded after this module, so the difference is this module alone.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_c = cls.env["res.partner"].create({"name": "Gamma", "is_company": True})
        cls.partner_d = cls.env["res.partner"].create({"name": "Delta", "is_company": True})
        cls.partner_warm = cls.env["res.partner"].create({"name": "Warm", "is_company": True})
        cls._create_objectives(cls.partner_warm, plans=1, per_plan=5)
        cls.warm_registration = cls._create_registration(
            cls.partner_warm, state="approved", expected_revenue=10
        )
        cls._create_objectives(cls.partner_a, plans=1, per_plan=5)
        cls._create_objectives(cls.partner_b, plans=1, per_plan=50)
        cls._create_objectives(cls.partner_c, plans=4, per_plan=10)
        cls._create_objectives(cls.partner_d, plans=8, per_plan=10)
        cls.registrations = {
            partner: cls._create_registration(partner, state="approved", expected_revenue=10)
            for partner in (cls.partner_a, cls.partner_b, cls.partner_c, cls.partner_d)
        }
        cls.plain_leads = [cls._create_lead(name=f"Plain {i}") for i in range(4)]

    @classmethod
    def _create_objectives(cls, partner, plans, per_plan):
        for plan_index in range(plans):
            plan = cls._create_plan(
                name=f"{partner.name} {plan_index}", partner_id=partner.id, state="in_progress"
            )
            for index in range(per_plan):
                kind, measure = OBJECTIVE_KINDS[index % len(OBJECTIVE_KINDS)]
                cls._create_objective(
                    plan, objective_type=kind, measure=measure, name=f"{kind} {index}"
                )

    def _count_queries(self, func):
        """Queries run by ``func`` on a cold cache, including the final flush, for
        records as a new request finds them: pending tracking of records created by
        the test set-up is dropped."""
        self.env.flush_all()
        self.env.invalidate_all()
        self.env.cr.precommit.clear()
        # The environments the ORM derives while writing (e.g. without prefetching)
        # live until Python's garbage collector frees them, and each one reads the
        # user's company once: collected now, every measure starts from the same state.
        gc.collect()
        start = self.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.cr.sql_log_count - start

    def _write_cost(self, lead, vals, warm, with_module):
        def write():
            if warm:
                lead.mapped("name")  # loaded by the ORM, as a screen or a compute would
            if with_module:
                CrmLead.write(lead, dict(vals))
            else:
                without_module(lead).write(dict(vals))

        return self._count_queries(write)

    def _objectives(self, partner):
        return self.env["msp.business.plan.objective"].search(
            [("commercial_partner_id", "=", partner.id)]
        )

    def _registration_write_costs(self, vals_list):
        """Queries of each write of ``vals_list`` on each partner's registration, once
        the caches they share (ormcaches, stage searches...) are warm."""
        for vals in vals_list:
            self.warm_registration.write(dict(vals))
        counts = {}
        for partner, lead in self.registrations.items():
            counts[partner] = [
                self._count_queries(lambda lead=lead, vals=vals: lead.write(dict(vals)))
                for vals in vals_list
            ]
        return counts

    def test_objective_counts(self):
        self.assertEqual(len(self._objectives(self.partner_a)), 5)
        self.assertEqual(len(self._objectives(self.partner_b)), 50)
        self.assertEqual(len(self._objectives(self.partner_d)), 80)

    def test_ordinary_lead_write_costs_nothing_more(self):
        # With mail tracking (the CRM screens), and without it on a record the ORM has
        # already loaded. (Without tracking, a record never loaded costs one prefetch.)
        for tracking_disable, warm in ((False, False), (True, True)):
            for vals in (
                {"name": "Renamed"},
                {"expected_revenue": 1234.0},
                {"stage_id": self._won_stage().id},
                {"active": False},
            ):
                with self.subTest(tracking_disable=tracking_disable, vals=vals):
                    leads = [
                        self._create_lead(name=f"Plain {index}").with_context(
                            tracking_disable=tracking_disable
                        )
                        for index in range(4)
                    ]
                    # Warm the caches both writes share (ormcaches, stage search...).
                    leads[2].write(dict(vals))
                    without_module(leads[3]).write(dict(vals))

                    crm_only = self._write_cost(leads[0], vals, warm, with_module=False)
                    with_module = self._write_cost(leads[1], vals, warm, with_module=True)
                    self.assertEqual(with_module, crm_only)

    def test_ordinary_lead_create_and_unlink_cost_nothing_more(self):
        Lead = self.env["crm.lead"]
        vals = {"name": "New", "type": "opportunity", "user_id": False}
        Lead.create(dict(vals))
        without_module(Lead).create([dict(vals)])
        crm_only = self._count_queries(lambda: without_module(Lead).create([dict(vals)]))
        self.assertEqual(self._count_queries(lambda: CrmLead.create(Lead, [dict(vals)])), crm_only)
        first, second, third = self.plain_leads[1:4]
        without_module(third).unlink()
        crm_only = self._count_queries(lambda: without_module(first).unlink())
        # Deleting reads the registering partner first: one prefetch of the record when
        # nothing loaded it yet, whatever the number of objectives.
        self.assertEqual(self._count_queries(lambda: CrmLead.unlink(second)), crm_only + 1)

    def test_registration_change_cost_does_not_grow_with_objectives(self):
        vals_list = [
            {"expected_revenue": 20},
            {"registration_state": "expired"},
            {"registration_state": "approved"},
            {"active": False},
        ]
        counts = self._registration_write_costs(vals_list)
        self.assertEqual(counts[self.partner_a], counts[self.partner_b], "5 vs 50")
        self.assertEqual(counts[self.partner_c], counts[self.partner_d], "40 vs 80")
        for partner in self.registrations:
            self.assertEqual(
                set(self._objectives(partner).mapped("actual_value")), {0.0}, "archived: 0"
            )
        self.registrations[self.partner_d].write({"active": True})
        # Warm cache: the lead's own write, then the refresh: the objectives of the
        # partner's plans (read whole: they are few), one statement comparing every
        # kind of deal and reading the periods of the objectives that changed, the
        # transaction's time, one statement updating the periods, objectives and plans.
        with self.assertQueryCount(__system__=7):
            self.registrations[self.partner_d].write({"expected_revenue": 30})
        sums = self._objectives(self.partner_d).filtered(
            lambda o: o.objective_type == "deal_registration" and o.measure == "sum"
        )
        self.assertEqual(set(sums.mapped("actual_value")), {30.0})

    def test_refresh_of_many_objectives_is_batched(self):
        few = self._objectives(self.partner_a)
        many = self._objectives(self.partner_b)
        self.assertEqual(
            self._count_queries(few.action_refresh_actuals),
            self._count_queries(many.action_refresh_actuals),
        )
        # Nothing changed: nothing read but what the objectives measure (from the
        # database, not the cache, so that the count stays the same for a million
        # objectives), nothing written; one statement compares every kind of deal
        # and the manual updates with the stored periods.
        self.env.flush_all()
        self.cr.execute(
            "SELECT COALESCE(SUM(n_tup_upd), 0) FROM pg_stat_xact_user_tables "
            "WHERE relname LIKE 'msp_business_plan%%'"
        )
        updated_before = self.cr.fetchone()[0]
        with self.assertQueryCount(__system__=2):
            many.action_refresh_actuals()
            self.env.flush_all()
        self.cr.execute(
            "SELECT COALESCE(SUM(n_tup_upd), 0) FROM pg_stat_xact_user_tables "
            "WHERE relname LIKE 'msp_business_plan%%'"
        )
        self.assertEqual(self.cr.fetchone()[0], updated_before, "no row written")

    def test_registration_dates_are_indexed(self):
        self.cr.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'crm_lead' AND indexdef LIKE %s",
            ["%(registered_commercial_partner_id, %"],
        )
        self.assertEqual(
            {name for (name,) in self.cr.fetchall()},
            {
                "crm_lead_registered_partner_registration_date_index",
                "crm_lead_registered_partner_qualified_date_index",
                "crm_lead_registered_partner_date_closed_index",
            },
        )

    def test_period_targets_leave_room_for_in_place_updates(self):
        self.cr.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'msp_business_plan_objective_target'"
        )
        self.assertIn("fillfactor=70", self.cr.fetchone()[0] or [])


# Every figure a refresh writes itself, by model.
FIGURES = {
    "msp.business.plan.objective.target": (
        "actual_value",
        "progress",
        "expected_progress",
        "forecast_value",
        "pacing_status",
    ),
    "msp.business.plan.objective": (
        "actual_value",
        "progress",
        "expected_progress",
        "forecast_value",
        "forecast_to_miss",
        "pacing_status",
    ),
    "msp.business.plan": (
        "progress",
        "expected_progress",
        "forecast_progress",
        "forecast_to_miss",
        "pacing_status",
    ),
}


@freeze_time("2026-05-16 10:00:00")
class TestBulkRefresh(MspPlanningCase):
    """A refresh writes the figures of the periods, objectives and plans itself, in
    one UPDATE per table: they must be exactly what the computed fields give, and its
    cost must not grow with the number of plans."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_c = cls.env["res.partner"].create({"name": "Gamma", "is_company": True})
        kinds = [
            ("deal_registration", "count", "monthly", 0.0, 10),
            ("deal_registration", "sum", "quarterly", 50000.0, 30),
            ("qualified_deal_registration", "count", "annual", 4.0, 20),
            ("won_deal", "sum", "quarterly", 20000.0, 25),
            ("manual", "count", "monthly", 12.0, 15),
        ]
        cls.plans = {}
        for partner, count in ((cls.partner_a, 1), (cls.partner_c, 4)):
            plans = cls.env["msp.business.plan"]
            for index in range(count):
                plan = cls._create_plan(
                    name=f"{partner.name} {index}",
                    partner_id=partner.id,
                    state="in_progress" if index else "draft",
                )
                for kind, measure, periodicity, target, weight in kinds:
                    cls._create_objective(
                        plan,
                        name=f"{kind} {measure}",
                        objective_type=kind,
                        measure=measure,
                        periodicity=periodicity,
                        target_value=target,
                        weight=weight,
                    )
                plans |= plan
            cls.plans[partner] = plans
            for day, state, revenue in (
                (date(2026, 1, 20), "approved", 12000),
                (date(2026, 3, 31), "submitted", 7000.5),
                (date(2026, 5, 2), "approved", 30000),
            ):
                cls._create_registration(
                    partner, day=day, state=state, expected_revenue=revenue
                ).write({"stage_id": cls._won_stage().id})
            # The open pipeline of the forecast: one expected in Q3, one today (Q2).
            open_stage = cls.env["crm.stage"].search([("is_won", "=", False)], limit=1)
            for deadline, state, probability, revenue in (
                (date(2026, 8, 20), "approved", 40, 5000),
                (False, "submitted", 60, 2500.5),
            ):
                cls._create_registration(
                    partner,
                    day=date(2026, 4, 2),
                    state=state,
                    probability=probability,
                    date_deadline=deadline,
                    expected_revenue=revenue,
                    stage_id=open_stage.id,
                )
            cls.env["msp.business.plan.objective.update"].create(
                [
                    {"objective_id": objective.id, "date": date(2026, 2, 10), "value": 3.0}
                    for objective in plans.objective_ids
                    if objective.objective_type == "manual"
                ]
            )

    def _stale(self, plans):
        """Wrong figures everywhere in ``plans``, written behind the ORM's back."""
        self.env.flush_all()
        for table in ("msp_business_plan_objective_target", "msp_business_plan_objective"):
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET actual_value = 999, progress = NULL, expected_progress = NULL,"
                    " pacing_status = NULL, forecast_value = 999 WHERE plan_id = ANY(%s)",
                    SQL.identifier(table),
                    plans.ids,
                )
            )
        self.env.cr.execute(
            "UPDATE msp_business_plan_objective SET forecast_to_miss = NULL"
            " WHERE plan_id = ANY(%s)",
            [plans.ids],
        )
        self.env.cr.execute(
            "UPDATE msp_business_plan SET progress = NULL, expected_progress = NULL, "
            "pacing_status = NULL, forecast_progress = NULL, forecast_to_miss = NULL "
            "WHERE id = ANY(%s)",
            [plans.ids],
        )
        self.env.invalidate_all()

    def _stored(self, plans):
        """The figures stored in the database, by model and record."""
        self.env.flush_all()
        stored = {}
        for model, field_names in FIGURES.items():
            records = self.env[model].search(
                [("id" if model == "msp.business.plan" else "plan_id", "in", plans.ids)]
            )
            self.env.cr.execute(
                SQL(
                    "SELECT id, %s FROM %s WHERE id = ANY(%s) ORDER BY id",
                    SQL(", ").join(SQL.identifier(name) for name in field_names),
                    SQL.identifier(records._table),
                    records.ids,
                )
            )
            stored[model] = self.env.cr.fetchall()
        return stored

    def test_figures_are_the_computed_fields_own(self):
        plans = self.plans[self.partner_a] | self.plans[self.partner_c]
        self._stale(plans)
        plans.objective_ids.action_refresh_actuals()
        pending = {
            field.name
            for field in self.env.transaction.tocompute
            if field.model_name in FIGURES and field.name in FIGURES[field.model_name]
        }
        self.assertFalse(pending, "nothing left for the ORM to recompute")
        refreshed = self._stored(plans)
        self.assertNotIn(999.0, [row[1] for row in refreshed["msp.business.plan.objective"]])
        self.assertTrue(
            [row for row in refreshed["msp.business.plan.objective"] if row[4] > row[1]],
            "an open pipeline is forecast",
        )
        self.assertTrue(
            {"on_track", "at_risk", "off_track"}
            & {row[-1] for rows in refreshed.values() for row in rows},
            "pacing is measured",
        )
        # What the ORM computes, record by record, from the same actuals.
        for model, field_names in FIGURES.items():
            records = self.env[model].search(
                [("id" if model == "msp.business.plan" else "plan_id", "in", plans.ids)]
            )
            for field_name in field_names:
                if records._fields[field_name].compute:
                    self.env.add_to_compute(records._fields[field_name], records)
        self.assertEqual(self._stored(plans), refreshed)
        # And the cache held what the database holds.
        objectives = plans.objective_ids
        self.assertEqual(
            [(o.id, o.actual_value, o.progress) for o in objectives.sorted("id")],
            [row[:3] for row in refreshed["msp.business.plan.objective"]],
        )

    def test_query_count_does_not_grow_with_plans(self):
        counts = []
        for partner in (self.partner_a, self.partner_c):
            objectives = self.plans[partner].objective_ids
            self._stale(self.plans[partner])
            start = self.cr.sql_log_count
            objectives.action_refresh_actuals()
            self.env.flush_all()
            counts.append(self.cr.sql_log_count - start)
        self.assertEqual(counts[0], counts[1], "1 plan vs 4 plans")
        # Few objectives: every objective of their plans, read whole; one statement
        # comparing every kind of deal and the manual updates and reading the periods
        # to recompute, the transaction's time (write_date), one statement updating
        # every table.
        self._stale(self.plans[self.partner_c])
        with self.assertQueryCount(__system__=4):
            self.plans[self.partner_c].objective_ids.action_refresh_actuals()
            self.env.flush_all()
        # Many: what the objectives measure first (a light read), the comparison,
        # then every objective of the plans to recompute and their periods.
        self._stale(self.plans[self.partner_c])
        with (
            patch.object(tracking_engine, "FEW_OBJECTIVES", 0),
            self.assertQueryCount(__system__=6),
        ):
            self.plans[self.partner_c].objective_ids.action_refresh_actuals()
            self.env.flush_all()
        self.env.invalidate_all()
        repaired = self.plans[self.partner_c].objective_ids
        self.assertNotIn(
            999, repaired.mapped("actual_value") + repaired.target_ids.mapped("actual_value")
        )


class TestRealUserQueries(MspPlanningHttpCase):
    """The key budgets as the users who pay them: a partner's contact on the portal,
    a channel manager who sees only the plans they manage (record rules, field groups
    and access checks included, which the superuser skips). Each page costs the same
    whatever the number of objectives or plans on it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Every kind of objective in each plan: one aggregate query per kind and deal
        # filter is the engine's cost, the same for 6 objectives as for 18.
        cls.plans = {size: cls._plan_of(cls.partner_a, size) for size in (6, 18)}
        for _index in range(4):
            cls._plan_of(cls.partner_a, 6)
        cls.plan_b = cls._plan_of(cls.partner_b, 6)
        for partner in (cls.partner_a, cls.partner_b):
            cls._create_registration(partner, state="approved", expected_revenue=500)

    @classmethod
    def _plan_of(cls, partner, size):
        plan = cls._create_plan(
            name=f"{partner.name} {size}", partner_id=partner.id, state="in_progress"
        )
        for index in range(size):
            kind, measure = (("manual", "count"), *OBJECTIVE_KINDS)[index % 6]
            objective = cls._create_objective(
                plan, name=f"{kind} {index}", objective_type=kind, measure=measure
            )
            if kind == "manual":
                cls._add_update(objective, index + 1, date(2026, 2, 1))
        return plan

    def _page_queries(self, user, url):
        """Queries of the page at ``url`` served to ``user``, once the caches it shares
        with other pages are warm (the same page served before)."""
        self.authenticate(user.login, user.login)
        self.url_open(url)
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return self.cr.sql_log_count - start

    def test_portal_plan_page_as_portal_user(self):
        """The plan page: session, plan, objectives, periods and progress reports are
        read for all objectives at once."""
        counts = [
            self._page_queries(self.portal_a, self.plans[size].access_url) for size in (6, 18)
        ]
        self.assertEqual(counts[0], counts[1], "6 vs 18 objectives")
        # 30 on Odoo 18.0, 27 on 19.0 (the portal layout's own reads differ).
        with self.with_user(self.portal_a.login), self.assertQueryCount(msp_portal_a=30):
            self.url_open(self.plans[18].access_url)

    def test_portal_plan_list_as_portal_user(self):
        counts = [
            self._page_queries(self.portal_b, "/my/business-plans"),
            self._page_queries(self.portal_a, "/my/business-plans"),
        ]
        self.assertEqual(counts[0], counts[1], "1 vs 6 plans")
        with self.with_user(self.portal_a.login), self.assertQueryCount(msp_portal_a=19):
            self.url_open("/my/business-plans")

    def _form_spec(self):
        """What the web client reads to open a plan's form: every field of the form
        view, with the lines of its lists (the fields of their views)."""
        models = (
            self.env["msp.business.plan"]
            .with_user(self.user_own)
            .get_views([(False, "form")])["models"]
        )

        def spec(field):
            if field.type in ("one2many", "many2many") and field.comodel_name in models:
                return {"fields": {name: {} for name in models[field.comodel_name]["fields"]}}
            return {"fields": {"display_name": {}}} if field.type == "many2one" else {}

        fields = self.env["msp.business.plan"]._fields
        return {name: spec(fields[name]) for name in models["msp.business.plan"]["fields"]}

    def _form_queries(self, plan, spec):
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        plan.with_user(self.user_own).web_read(spec)
        return self.cr.sql_log_count - start

    def test_plan_form_as_own_plans_user(self):
        """A channel manager opens one of their plans: record rules and staff-only
        fields included, the objectives and their figures are read in batch."""
        spec = self._form_spec()
        self._form_queries(self.plans[6], spec)  # warm
        counts = [self._form_queries(self.plans[size], spec) for size in (6, 18)]
        self.assertEqual(counts[0], counts[1], "6 vs 18 objectives")
        self.env.invalidate_all()
        with self.with_user(self.user_own.login), self.assertQueryCount(msp_own=18):
            self.plans[18].with_env(self.env).web_read(spec)

    def _write_queries(self, lead, vals):
        self.env.flush_all()
        self.env.invalidate_all()
        self.env.cr.precommit.clear()
        gc.collect()
        start = self.cr.sql_log_count
        lead.with_user(self.user_own).write(vals)
        self.env.flush_all()
        return self.cr.sql_log_count - start

    def test_registration_write_as_own_plans_user(self):
        """A channel manager edits a registration: its partner's objectives are
        brought up to date for the same cost with 1 plan as with 6."""
        lead_a, lead_b = (
            self._create_registration(partner, state="approved", expected_revenue=100)
            for partner in (self.partner_a, self.partner_b)
        )
        self._write_queries(lead_b, {"expected_revenue": 150})  # warm
        counts = [self._write_queries(lead, {"expected_revenue": 200}) for lead in (lead_b, lead_a)]
        self.assertEqual(counts[0], counts[1], "1 vs 6 plans")
        # The lead's own write and its access checks, then the refresh of the
        # partner's objectives (the objectives of its plans, read whole: they are few;
        # one statement comparing every kind of deal and reading the periods of those
        # that changed; one statement updating every table).
        with self.with_user(self.user_own.login), self.assertQueryCount(msp_own=5):
            lead_a.with_env(self.env).write({"expected_revenue": 300})
        self.assertEqual(
            set(
                self.plans[6]
                .objective_ids.filtered(
                    lambda o: o.objective_type == "deal_registration" and o.measure == "sum"
                )
                .mapped("actual_value")
            ),
            {800.0},
        )

    def test_refresh_as_own_plans_user(self):
        """Refresh actuals, as a channel manager on one of their plans."""
        objectives = self.plans[18].objective_ids.with_user(self.user_own)
        objectives.action_refresh_actuals()
        counts = []
        for size in (6, 18):
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            self.plans[size].objective_ids.with_user(self.user_own).action_refresh_actuals()
            self.env.flush_all()
            counts.append(self.cr.sql_log_count - start)
        self.assertEqual(counts[0], counts[1], "6 vs 18 objectives")
        # The write access check (record rules) first, then the refresh.
        self.env.invalidate_all()
        with self.with_user(self.user_own.login), self.assertQueryCount(msp_own=6):
            self.plans[18].objective_ids.with_env(self.env).action_refresh_actuals()
