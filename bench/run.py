"""The benchmark behind `make bench`: objective tracking at channel scale.

Seeds a fresh database with SQL (see seed.py), then measures, each figure the median
of ``--runs`` runs, and writes the table to bench/RESULTS.md. Odoo runs in this
process; query counts come from Odoo's own SQL counter.
"""

import argparse
import inspect
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import psycopg2  # noqa: E402
import results  # noqa: E402

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api, sql_db  # noqa: E402
from odoo.tools import SQL  # noqa: E402

SERIES = odoo.release.series

SIZES = {
    "small": {"partners": 100, "leads": 50_000, "shape_partners": 50, "shape_leads": (20_000,)},
    "medium": {
        "partners": 500,
        "leads": 250_000,
        "shape_partners": 200,
        "shape_leads": (100_000,),
    },
    "default": {
        "partners": 2_000,
        "leads": 1_000_000,
        "shape_partners": 200,
        "shape_leads": (100_000, 1_000_000),
    },
}
# The deal filters of the seeded objectives, hand-written for the SQL floor.
FILTER_SQL = {
    "[('expected_revenue', '>', 50000)]": "lead.expected_revenue > 50000",
    "[('probability', '>=', 50)]": "lead.probability >= 50",
}
PERIOD_UNITS = {"monthly": "month", "quarterly": "quarter", "annual": "year"}
TRACKING_INDEXES = (
    "crm_lead_registered_partner_registration_date_index",
    "crm_lead_registered_partner_qualified_date_index",
    "crm_lead_registered_partner_date_closed_index",
)


# ----------------------------------------------------------------------------
# measuring
# ----------------------------------------------------------------------------


class Measure:
    """Wall time and number of SQL queries of a block."""

    def __init__(self):
        self.seconds = self.queries = 0

    @contextmanager
    def run(self):
        queries, start = sql_db.sql_counter, time.perf_counter()
        yield self
        self.seconds = time.perf_counter() - start
        self.queries = sql_db.sql_counter - queries


def median_of(runs, block):
    """Run ``block(measure)`` ``runs`` times; the median seconds and queries."""
    seconds, queries = [], []
    for _ in range(runs):
        measure = Measure()
        block(measure)
        seconds.append(measure.seconds)
        queries.append(measure.queries)
    return statistics.median(seconds), int(statistics.median(queries))


def percentile(values, share):
    """The ``share`` (0-1) percentile of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def rows_updated(cr, table):
    """Rows this transaction updated in ``table`` so far (PostgreSQL's own count)."""
    cr.execute(
        "SELECT COALESCE(SUM(n_tup_upd), 0) FROM pg_stat_xact_user_tables WHERE relname = %s",
        [table],
    )
    return cr.fetchone()[0]


# ----------------------------------------------------------------------------
# set-up
# ----------------------------------------------------------------------------


def create_database(args):
    """A fresh database with the addon, without demo data."""
    env = dict(os.environ, PGPASSWORD="msp")
    port = _conf_value(args.config, "db_port") or "5432"
    psql = ["psql", "-h", "localhost", "-p", port, "-U", "msp", "-d", "postgres", "-qc"]
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{args.database}"'], check=True, env=env)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            args.config,
            f"--addons-path={args.addons_path}",
            "-d",
            args.database,
            "-i",
            "msp_business_planning",
            # no demo data: the Makefile's option for this Odoo version (none on 19.0)
            *os.environ.get("WITHOUT_DEMO", "--without-demo=all").split(),
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
    )


def _conf_value(path, key):
    for line in Path(path).read_text().splitlines():
        if line.startswith(f"{key} ="):
            return line.split("=", 1)[1].strip()
    return None


def load_odoo(args):
    odoo.tools.config.parse_config(
        [
            "-c",
            args.config,
            f"--addons-path={args.addons_path}",
            "-d",
            args.database,
            "--log-level=warn",
            f"--db-filter=^{args.database}$",
        ]
    )
    odoo.modules.module.initialize_sys_path()
    return odoo.modules.registry.Registry(args.database)


# ----------------------------------------------------------------------------
# the figures
# ----------------------------------------------------------------------------


FIGURE_TABLES = (
    "msp_business_plan_objective_target",
    "msp_business_plan_objective",
    "msp_business_plan",
)


def vacuum(dbname, tables=FIGURE_TABLES):
    """VACUUM ANALYZE ``tables`` (all of them when empty), as autovacuum keeps them in
    a running database: without it, runs made back to back in one benchmark would
    measure the dead rows the previous runs left, and the first one the hint bits of
    a million freshly inserted leads."""
    _uri, info = sql_db.connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
    finally:
        connection.close()


def reset_actuals(env):
    """Every actual back to 0, committed and vacuumed: the next refresh has every
    period to write again."""
    env.cr.execute("UPDATE msp_business_plan_objective_target SET actual_value = 0")
    env.cr.execute("UPDATE msp_business_plan_objective SET actual_value = 0")
    env.cr.commit()
    vacuum(env.cr.dbname)
    env.invalidate_all()


def bench_full_refresh(env, runs, plans=None):
    Objective = env["msp.business.plan.objective"]
    domain = [("plan_id", "in", plans.ids)] if plans else []

    def block(measure):
        reset_actuals(env)
        objectives = Objective.search(domain)
        with measure.run():
            objectives.action_refresh_actuals()
            env.flush_all()
        env.invalidate_all()

    return median_of(runs, block)


def bench_second_refresh(env, runs):
    """A refresh right after a refresh: it must write nothing."""
    Objective = env["msp.business.plan.objective"]
    Objective.search([]).action_refresh_actuals()
    env.flush_all()
    before = rows_updated(env.cr, "msp_business_plan_objective_target")

    def block(measure):
        env.invalidate_all()
        objectives = Objective.search([])
        with measure.run():
            objectives.action_refresh_actuals()
            env.flush_all()

    seconds, queries = median_of(runs, block)
    return seconds, queries, rows_updated(env.cr, "msp_business_plan_objective_target") - before


def naive_actuals(env, targets):
    """The goal-by-goal way (gamification's non-batch goals): one _read_group per
    objective and period over the deals."""
    from odoo.addons.msp_business_planning.tools import deal_tracking

    Lead = env["crm.lead"]
    values = {}
    for target in targets:
        objective = target.objective_id
        spec = deal_tracking.TRACKED_KINDS[objective.objective_type]
        date_field = spec["date_field"]
        domain = [
            ("registered_commercial_partner_id", "=", target.commercial_partner_id.id),
            ("registration_state", "in", list(spec["states"])),
            (date_field, ">=", target.date_start),
            (date_field, "<=", target.date_end),
            *objective._get_lead_domain(),
        ]
        if spec["won"]:
            domain.append(("stage_id.is_won", "=", True))
        aggregate = (
            f"{objective.sum_field_id.name}:sum" if objective.measure == "sum" else "__count"
        )
        [[value]] = Lead._read_group(domain, [], [aggregate])
        values[target.id] = value or 0.0
    return values


def bench_naive(env, runs, sample):
    """Naive and ours on the same sample of automatic objectives, so the two compare
    directly; the naive time for everything is extrapolated from the sample."""
    Objective = env["msp.business.plan.objective"]
    objectives = Objective.search([("objective_type", "!=", "manual")], limit=sample)
    targets = objectives.target_ids

    def naive(measure):
        env.invalidate_all()
        with measure.run():
            naive_actuals(env, targets)

    def ours(measure):
        reset_actuals(env)
        with measure.run():
            objectives.action_refresh_actuals()
            env.flush_all()

    naive_seconds, naive_queries = median_of(runs, naive)
    ours_seconds, ours_queries = median_of(runs, ours)
    total_targets = env["msp.business.plan.objective.target"].search_count(
        [("objective_type", "!=", "manual")]
    )
    return {
        "sample_targets": len(targets),
        "naive": (naive_seconds, naive_queries),
        "ours": (ours_seconds, ours_queries),
        "naive_extrapolated": naive_seconds * total_targets / max(len(targets), 1),
        "naive_queries_extrapolated": int(naive_queries * total_targets / max(len(targets), 1)),
    }


FLOOR_SQL = """
    SELECT lead.registered_commercial_partner_id,
           date_trunc(%(unit)s, lead.{date_field})::date, COUNT(*), SUM(lead.expected_revenue)
      FROM crm_lead lead
     WHERE lead.registered_commercial_partner_id = ANY(%(partners)s)
       AND lead.active
       AND lead.registration_state IN %(states)s
       AND lead.{date_field} >= %(first)s AND lead.{date_field} < %(last)s::date + 1
       {won} {filter}
  GROUP BY 1, 2
"""


def floor_populations(env, plan_ids=None):
    """``{(kind, deal filter): finest periodicity}`` of the automatic objectives (of
    ``plan_ids``): the populations of deals they measure."""
    env.cr.execute(
        """
        SELECT DISTINCT objective_type, lead_domain, periodicity
          FROM msp_business_plan_objective
         WHERE objective_type != 'manual' AND (%s IS NULL OR plan_id = ANY(%s))
        """,
        [plan_ids and list(plan_ids), plan_ids and list(plan_ids)],
    )
    finest = {}
    order = list(PERIOD_UNITS)
    for kind, domain, periodicity in env.cr.fetchall():
        key = (kind, domain or "[]")
        if key not in finest or order.index(periodicity) < order.index(finest[key]):
            finest[key] = periodicity
    return finest


def bench_sql_floor(env, runs, plan_ids=None):
    """The floor: one hand-written ``GROUP BY partner, period`` per population of deals
    the objectives measure (kind and deal filter, counted and summed at once), over
    their partners and year, by the finest period any of its objectives uses."""
    from odoo.addons.msp_business_planning.tools import deal_tracking

    populations = floor_populations(env, plan_ids)
    env.cr.execute(
        "SELECT array_agg(DISTINCT commercial_partner_id), MIN(date_start), MAX(date_end)"
        " FROM msp_business_plan WHERE %s IS NULL OR id = ANY(%s)",
        [plan_ids and list(plan_ids), plan_ids and list(plan_ids)],
    )
    partners, first, last = env.cr.fetchone()

    def block(measure):
        with measure.run():
            for (kind, domain), periodicity in populations.items():
                spec = deal_tracking.TRACKED_KINDS[kind]
                won = (
                    "AND EXISTS (SELECT 1 FROM crm_stage s WHERE s.id = lead.stage_id AND s.is_won)"
                    if spec["won"]
                    else ""
                )
                extra = f"AND {FILTER_SQL[domain]}" if domain != "[]" else ""
                query = FLOOR_SQL.format(date_field=spec["date_field"], won=won, filter=extra)
                env.cr.execute(
                    query,
                    {
                        "unit": PERIOD_UNITS[periodicity],
                        "partners": partners,
                        "states": tuple(spec["states"]),
                        "first": first,
                        "last": last,
                    },
                )
                env.cr.fetchall()

    return (*median_of(runs, block), len(populations))


def _write_queries(env, lead, vals, base=False):
    """Queries of one lead write and its flush; ``base`` skips this addon's override
    (the write as crm alone does it)."""
    env.invalidate_all()
    lead = lead.with_env(env)
    lead.read(["name", "registered_commercial_partner_id", "registration_state"])
    measure = Measure()
    with measure.run():
        if base:
            crm_class = next(
                cls
                for cls in type(lead).__mro__
                if cls.__module__ == "odoo.addons.crm.models.crm_lead"
            )
            crm_class.write(lead, vals)
        else:
            lead.write(vals)
        env.flush_all()
    return measure


def bench_plain_lead_write(env, runs):
    lead = env["crm.lead"].search([("registered_partner_id", "=", False)], limit=1)
    extra_queries, extra_seconds = [], []
    for run in range(runs):
        ours = _write_queries(env, lead, {"description": f"note {run}"})
        base = _write_queries(env, lead, {"description": f"base note {run}"}, base=True)
        extra_queries.append(ours.queries - base.queries)
        extra_seconds.append(ours.seconds - base.seconds)
    return statistics.median(extra_seconds), int(statistics.median(extra_queries))


def _partner_with_objectives(env, count):
    """A partner with ``count`` objectives (running plans of 5 or 10 objectives)."""
    from odoo.addons.msp_business_planning.tools import deal_tracking

    partner = env["res.partner"].create({"name": f"Bench partner {count}", "is_company": True})
    kinds = list(deal_tracking.TRACKED_KINDS)
    per_plan = min(count, 10)
    for number in range(count // per_plan):
        plan = env["msp.business.plan"].create(
            {
                "name": f"Plan {number}",
                "partner_id": partner.id,
                "date_start": date(date.today().year, 1, 1),
                "date_end": date(date.today().year, 12, 31),
                "state": "in_progress",
            }
        )
        env["msp.business.plan.objective"].create(
            [
                {
                    "plan_id": plan.id,
                    "name": f"Objective {i}",
                    "objective_type": kinds[i % len(kinds)],
                    "measure": "sum" if i % 2 else "count",
                    "periodicity": "monthly" if i % 3 else "quarterly",
                    "target_value": 100,
                }
                for i in range(per_plan)
            ]
        )
    lead = env["crm.lead"].create(
        {
            "name": f"Registered deal {count}",
            "type": "opportunity",
            "registered_partner_id": partner.id,
            "expected_revenue": 1000,
        }
    )
    env.flush_all()
    return partner, lead


def _plan_with_objectives(env, count):
    """A partner and one plan of it holding ``count`` objectives."""
    partner, _lead = _partner_with_objectives(env, count)
    plan = env["msp.business.plan"].search([("partner_id", "=", partner.id)], limit=1)
    env["msp.business.plan.objective"].search(
        [("commercial_partner_id", "=", partner.id), ("plan_id", "!=", plan.id)]
    ).write({"plan_id": plan.id})
    env.flush_all()
    return partner, plan


def bench_registration_write(env, runs, counts=(5, 500)):
    result = {}
    for count in counts:
        _partner, lead = _partner_with_objectives(env, count)
        extra = []
        for run in range(runs):
            ours = _write_queries(env, lead, {"expected_revenue": 2000 + run})
            base = _write_queries(env, lead, {"expected_revenue": 5000 + run}, base=True)
            extra.append(ours.queries - base.queries)
        result[count] = int(statistics.median(extra))
    return result


def bench_backoffice_form(env, runs, counts=(5, 50)):
    # Odoo's Form opens a record as the web client's form view does (onchange +
    # web_read of the view's fields). Importing the test utilities outside a test run
    # makes Odoo log a warning meant for business code: silenced, it does not apply.
    logging.getLogger("odoo.tests.common").setLevel(logging.CRITICAL)
    from odoo.tests import Form

    result = {}
    for count in counts:
        _partner, plan = _plan_with_objectives(env, count)

        def block(measure, plan=plan):
            env.invalidate_all()
            with measure.run():
                Form(plan)

        result[count] = median_of(runs, block)[1]
    return result


def bench_portal_page(env, registry, runs, counts=(5, 50)):
    """Queries of a portal user's GET of its plan page, in-process through Odoo's WSGI
    application (no network)."""
    from werkzeug.test import Client

    from odoo.addons.msp_business_planning.tools import compat
    from odoo.service import security

    result = {}
    for count in counts:
        partner, plan = _plan_with_objectives(env, count)
        contact = env["res.partner"].create({"name": f"Contact {count}", "parent_id": partner.id})
        user = env["res.users"].create(
            {
                "name": contact.name,
                "login": f"bench.portal.{count}.{time.time_ns()}",
                "partner_id": contact.id,
                compat.GROUPS_FIELD: [(6, 0, [env.ref("base.group_portal").id])],
            }
        )
        env.cr.commit()
        session = odoo.http.root.session_store.new()
        session.update(odoo.http.get_default_session(), db=env.cr.dbname)
        session.uid, session.login = user.id, user.login
        session.session_token = security.compute_session_token(session, user.with_user(user).env)
        session.context = dict(user.with_user(user).context_get())
        odoo.http.root.session_store.save(session)
        client = Client(odoo.http.root)
        # Werkzeug 2.2 (Odoo 18 on Python 3.11) and 3.x name the arguments differently.
        if "server_name" in inspect.signature(client.set_cookie).parameters:
            client.set_cookie("localhost", "session_id", session.sid)
        else:
            client.set_cookie("session_id", session.sid)
        client.get(plan.access_url)  # warm the caches (assets, views)

        def block(measure, url=plan.access_url, client=client):
            with measure.run():
                response = client.get(url)
            assert response.status_code == 200, response.status

        result[count] = median_of(runs, block)[1]
    return result


def bench_xlsx(env, runs, plans=200):
    records = env["msp.business.plan"].search([], limit=plans)

    def block(measure):
        env.invalidate_all()
        with measure.run():
            records.export_xlsx()

    return (len(records), *median_of(runs, block))


def bench_partner_refresh(env, runs, partners=None, sample=20):
    """What a registration write runs: the refresh of one partner's objectives after
    one of its deals changed, on ``sample`` partners (of ``partners``, default those
    of the plans), each ``runs`` times; returns the median (p50) and p95 seconds, and
    the median queries.

    The partners' figures are brought up to date first; then, before each measured
    refresh, the amount of one of the partner's registrations of this year is
    changed (in SQL: the write itself is not measured), so that the refresh finds
    what a registration write leaves it: a few periods, their objectives and plans
    to write, every other figure current."""
    from odoo.addons.msp_business_planning.tools import deal_tracking

    if partners is None:
        partners = env["msp.business.plan"].search([], limit=sample).commercial_partner_id
    partners = partners[:sample]
    Objective = env["msp.business.plan.objective"]
    kinds = list(deal_tracking.TRACKED_KINDS)
    Objective._refresh_partner_actuals(partners, kinds)  # figures current, caches warm
    env.flush_all()
    seconds, queries = [], []
    for partner in partners:
        for _run in range(runs):
            env.cr.execute(
                """
                UPDATE crm_lead SET expected_revenue = expected_revenue + 1
                 WHERE id = (SELECT id FROM crm_lead
                              WHERE registered_commercial_partner_id = %s AND active
                                AND registration_state = 'approved'
                                AND registration_date >= date_trunc('year', now())
                           ORDER BY id LIMIT 1)
                """,
                [partner.id],
            )
            env.invalidate_all()
            measure = Measure()
            with measure.run():
                Objective._refresh_partner_actuals(partner, kinds)
                env.flush_all()
            seconds.append(measure.seconds)
            queries.append(measure.queries)
    env.cr.rollback()  # the deals as they were
    return statistics.median(seconds), percentile(seconds, 0.95), int(statistics.median(queries))


def bench_indexes(env, runs):
    """The full refresh and one partner's refresh without the addon's tracking
    indexes, then with them back."""
    env.cr.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
        [list(TRACKING_INDEXES)],
    )
    definitions = env.cr.fetchall()
    for name, _definition in definitions:
        env.cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
    env.cr.execute("ANALYZE crm_lead")
    without = bench_full_refresh(env, runs), bench_partner_refresh(env, 1)
    for _name, definition in definitions:
        env.cr.execute(definition)
    env.cr.execute("ANALYZE crm_lead")
    env.cr.commit()
    return without


def bench_shapes(env, sizes, runs, year):
    """The channel shapes (seed.SHAPES) on their own leads: the database's plans and
    leads are emptied first, then each lead count is seeded in turn (adding to the
    previous) and every shape measured: its full refresh against its SQL floor, and
    one partner's refresh (all the shapes' plans of that partner)."""
    import seed

    env.cr.execute("TRUNCATE msp_business_plan, crm_lead CASCADE")
    env.cr.commit()
    partner_ids, plans = seed.seed_shapes(env.cr, sizes["shape_partners"], year)
    company_id = seed.basics(env.cr)[0]
    env.cr.commit()
    Objective = env["msp.business.plan.objective"]
    results = []
    seeded = 0
    for leads in sizes["shape_leads"]:
        print(f"Channel shapes at {leads} leads...", flush=True)
        seed.seed_leads(env.cr, partner_ids, leads - seeded, year, company_id)
        seeded = leads
        env.cr.commit()
        vacuum(env.cr.dbname, ())
        env.invalidate_all()
        for shape, plan_ids in plans.items():
            plans_ = env["msp.business.plan"].browse(plan_ids)
            bench_full_refresh(env, 1, plans_)  # warm-up
            full = bench_full_refresh(env, runs, plans_)
            current = bench_current_refresh(env, runs, plans_)
            new_day = bench_new_day_refresh(env, runs, plans_)
            aggregates = bench_aggregates(env, runs, plan_ids)
            floor = bench_sql_floor(env, runs, plan_ids)
            reads = bench_stored_reads(env, runs, plan_ids)
            periods = env["msp.business.plan.objective.target"].search_count(
                [("plan_id", "in", plan_ids)]
            )
            results.append(
                (
                    leads,
                    shape,
                    len(plan_ids),
                    periods,
                    (full, current, aggregates, new_day),
                    floor,
                    reads,
                )
            )
            print("\n".join(shape_table(results[-1:])[2:3]), flush=True)
        partner = bench_partner_refresh(
            env, 1, env["res.partner"].browse(partner_ids), sample=min(20, len(partner_ids))
        )
        objectives = Objective.search_count([("commercial_partner_id", "=", partner_ids[0])])
        results.append((leads, None, objectives, None, partner, None, None))
        print(shape_table(results[-1:])[-1], flush=True)
    return results


def bench_current_refresh(env, runs, plans):
    """The full refresh of these plans' objectives when their figures are current
    already, on the day they were computed (what a manual refresh or a write that
    changes no actual runs): the database compares, nothing is read or written."""
    objectives = env["msp.business.plan.objective"].search([("plan_id", "in", plans.ids)])
    objectives.action_refresh_actuals()
    env.flush_all()

    def block(measure):
        env.invalidate_all()
        with measure.run():
            objectives.action_refresh_actuals()
            env.flush_all()

    return median_of(runs, block)


def bench_new_day_refresh(env, runs, plans):
    """The full refresh of these plans' objectives on a new day, no deal changed (what
    the daily job runs): every objective's figures are recomputed, their periods read.
    The figures date is set back a day first; the running periods' expected progress,
    which a real new day moves, is the same here, so only that date is written."""
    objectives = env["msp.business.plan.objective"].search([("plan_id", "in", plans.ids)])
    objectives.action_refresh_actuals()
    env.flush_all()

    def block(measure):
        env.cr.execute(
            "UPDATE msp_business_plan_objective SET figures_date = figures_date - 1"
            " WHERE plan_id = ANY(%s)",
            [plans.ids],
        )
        env.invalidate_all()
        with measure.run():
            objectives.action_refresh_actuals()
            env.flush_all()

    return median_of(runs, block)


def bench_stored_reads(env, runs, plan_ids):
    """What a refresh that compares the stored figures with the deals must read besides
    the deals, at the least: the definitions of the plans' objectives (what each
    measures) and the stored figures of their periods, added up in the database so that
    nothing is sent back. The floor plus this is the least such a refresh can take."""

    def block(measure):
        with measure.run():
            env.cr.execute(
                """
                SELECT COUNT(*), COUNT(DISTINCT (objective_type, measure, sum_field_id,
                       lead_domain, figures_date))
                  FROM msp_business_plan_objective WHERE plan_id = ANY(%s)
                """,
                [list(plan_ids)],
            )
            env.cr.fetchall()
            env.cr.execute(
                """
                SELECT COUNT(*), SUM(actual_value), SUM(forecast_value), MAX(date_start),
                       MAX(date_end), MAX(company_id), MAX(commercial_partner_id)
                  FROM msp_business_plan_objective_target WHERE plan_id = ANY(%s)
                """,
                [list(plan_ids)],
            )
            env.cr.fetchall()

    return median_of(runs, block)


def bench_aggregates(env, runs, plan_ids):
    """The engine's aggregates alone (``TrackingEngine.actuals``: the queries over the
    deals and the bucketing into periods), the periods read beforehand."""
    from odoo.addons.msp_business_planning.tools.tracking_engine import TrackingEngine

    Objective = env["msp.business.plan.objective"]
    engine = TrackingEngine.for_condition(
        Objective, SQL("target.plan_id = ANY(%s)", list(plan_ids))
    )

    def block(measure):
        with measure.run():
            engine.actuals()

    return median_of(runs, block)


def _ratio(seconds, floor):
    return f"{seconds * 1000:.0f} ms: **{seconds / max(floor, 1e-9):.2f}×**"


def shape_table(results):
    table = [
        "| leads | shape (one plan per partner) | periods | SQL floor (populations) | "
        "floor + stored reads | aggregates alone | refresh, figures current | "
        "refresh, a new day | refresh writing every period |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for leads, shape, plans, periods, figures, floor, reads in results:
        if shape is None:
            continue
        full, current, aggregates, new_day = figures
        table.append(
            f"| {leads} | {plans} partners × {shape} | {periods} | "
            f"{floor[0] * 1000:.0f} ms ({floor[2]}) | {_ratio(floor[0] + reads[0], floor[0])} | "
            f"{_ratio(aggregates[0], floor[0])} | "
            f"{_ratio(current[0], floor[0])}, {current[1]} queries | "
            f"{_ratio(new_day[0], floor[0])}, {new_day[1]} queries | "
            f"{_ratio(full[0], floor[0])} |"
        )
    table.append("")
    for leads, shape, objectives, _periods, partner, _floor, _reads in results:
        if shape is None:
            table.append(
                f"One partner's refresh at {leads} leads (its {objectives} objectives in "
                f"every shape's plan; what a registration write runs), 20 partners: "
                f"p50 {partner[0] * 1000:.1f} ms, p95 {partner[1] * 1000:.1f} ms, "
                f"{partner[2]} queries (goal: under 20 ms)."
            )
    return table


# ----------------------------------------------------------------------------
# plan templates: Generate Plans
# ----------------------------------------------------------------------------


class _Rollback(Exception):
    """Undo a measured generation, so that every run creates the same plans."""


def _bench_template(env):
    """A template of 10 objectives of every kind and periodicity, half of them with
    the growth rule (last year's actuals read), as a vendor's Gold tier has."""
    kinds = ("deal_registration", "qualified_deal_registration", "won_deal", "manual")
    revenue = env["ir.model.fields"]._get("crm.lead", "expected_revenue")
    return env["msp.business.plan.template"].create(
        {
            "name": "Bench template",
            "line_ids": [
                (
                    0,
                    0,
                    {
                        "sequence": index,
                        "name": f"Objective {index}",
                        "objective_type": kinds[index % 4],
                        "measure": "sum" if index % 3 == 0 and index % 4 != 3 else "count",
                        "sum_field_id": revenue.id,
                        "periodicity": ("annual", "quarterly", "monthly")[index % 3],
                        "weight": 10,
                        "target_rule": "growth" if index % 2 else "fixed",
                        "growth_percent": 10,
                        "target_floor": 2,
                        "target_value": 5,
                    },
                )
                for index in range(10)
            ],
        }
    )


def bench_generate_plans(env, runs, counts=(50, 500)):
    """``{partners: (seconds, queries, plans created)}`` of Generate Plans for next
    year, from the template above, for the first partners of this year's plans."""
    template = _bench_template(env)
    partners = env["msp.business.plan"].search([]).partner_id
    year = date.today().year + 1
    results = {}
    for count in counts:
        chosen = partners[:count]
        created = []

        def block(measure, chosen=chosen, created=created):
            env.invalidate_all()
            with measure.run():
                try:
                    with env.cr.savepoint():
                        created.append(len(template.generate_plans(chosen, year)))
                        env.flush_all()
                        raise _Rollback
                except _Rollback:
                    pass
            env.invalidate_all()

        results[count] = (*median_of(runs, block), created[-1])
    return results


# ----------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, Python {platform.python_version()}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--size", default="default", help="small, medium or default")
    parser.add_argument("--partners", type=int)
    parser.add_argument("--leads", type=int)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--database", default="msp_bench")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    parser.add_argument(
        "--shapes-only", action="store_true", help="only the channel shapes (no main shape)"
    )
    args = parser.parse_args()
    load_before = _load_average()

    sizes = dict(SIZES[args.size])
    sizes["partners"] = args.partners or sizes["partners"]
    sizes["leads"] = args.leads or sizes["leads"]
    print(f"Creating database {args.database}...", flush=True)
    create_database(args)
    registry = load_odoo(args)
    import seed

    year = date.today().year
    rows = {}
    if args.shapes_only:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            shapes = bench_shapes(env, sizes, args.runs, year)
        report = "\n".join(
            [
                f"### Odoo {SERIES}: channel shapes (`bench/run.py --shapes-only`, "
                f"size `{args.size}`)",
                "",
                f"Machine: {machine()}. PostgreSQL: {_pg_version(registry)}. "
                f"Load average before / after: {load_before} / {_load_average()}. "
                f"Each figure is the median of {args.runs} runs.",
                "",
                *shape_table(shapes),
            ]
        )
        results.write_section(
            args.output, f"bench/run.py --shapes-only {SERIES}", report, before="## "
        )
        print(report)
        return
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        print(f"Seeding {sizes}...", flush=True)
        start = time.perf_counter()
        counts = seed.seed(cr, sizes["partners"], sizes["leads"], year)
        cr.commit()
        seeding = time.perf_counter() - start
        print(f"Seeded {counts} in {seeding:.0f} s", flush=True)

        vacuum(cr.dbname, ())
        runs = args.runs
        print("Full refresh...", flush=True)
        bench_full_refresh(env, 1)  # warm-up: caches filled, as in a running database
        full = bench_full_refresh(env, runs)
        half_plans = env["msp.business.plan"].search([], limit=max(sizes["partners"] // 2, 1))
        half = bench_full_refresh(env, runs, half_plans)
        print("Without the tracking indexes...", flush=True)
        partner = bench_partner_refresh(env, 1)
        no_index, partner_no_index = bench_indexes(env, 1)
        print("Naive...", flush=True)
        naive = bench_naive(env, runs, args.naive_sample)
        print("SQL floor...", flush=True)
        floor = bench_sql_floor(env, runs)
        print("Second refresh...", flush=True)
        second = bench_second_refresh(env, runs)
        all_plans = env["msp.business.plan"].search([])
        new_day = bench_new_day_refresh(env, runs, all_plans)
        cr.commit()
        print("Lead writes...", flush=True)
        plain = bench_plain_lead_write(env, runs)
        registration = bench_registration_write(env, runs)
        print("Back-office form...", flush=True)
        form = bench_backoffice_form(env, runs)
        cr.commit()
        print("Portal page...", flush=True)
        portal = bench_portal_page(env, registry, runs)
        print("XLSX export...", flush=True)
        xlsx = bench_xlsx(env, runs)
        print("Generate Plans...", flush=True)
        generate = bench_generate_plans(env, runs)
        cr.rollback()
        shapes = bench_shapes(env, sizes, runs, year)

    ratio_naive = naive["naive"][0] / max(naive["ours"][0], 1e-9)
    ratio_naive_full = naive["naive_extrapolated"] / max(full[0], 1e-9)
    rows = [
        (
            "full refresh of all objectives (`action_refresh_actuals` on everything)",
            f"{full[0]:.2f} s, {full[1]} queries ({half[1]} queries for half the plans)",
            "≤ 10 s; queries independent of the number of plans",
        ),
        (
            "the same without the addon's tracking indexes on crm_lead; one partner's "
            "refresh (what a registration write runs) with and without them",
            f"{no_index[0]:.2f} s; one partner (20 partners, p50 / p95): "
            f"{partner[0] * 1000:.1f} / {partner[1] * 1000:.1f} ms with, "
            f"{partner_no_index[0] * 1000:.1f} / {partner_no_index[1] * 1000:.1f} ms without "
            f"({partner[2]} queries)",
            "indexes pay for themselves",
        ),
        (
            f"naive refresh, one `_read_group` per objective and period, measured on a "
            f"sample of {naive['sample_targets']} periods",
            f"{naive['naive'][0]:.2f} s, {naive['naive'][1]} queries vs ours on the same sample "
            f"{naive['ours'][0]:.3f} s, {naive['ours'][1]} queries: **{ratio_naive:.0f}× "
            f"faster**; naive for everything ≈ {naive['naive_extrapolated']:.0f} s, "
            f"{naive['naive_queries_extrapolated']} queries, vs ours {full[0]:.2f} s: "
            f"**{ratio_naive_full:.0f}× faster**",
            "ours ≥ 10× faster",
        ),
        (
            f"SQL floor: one hand-written `GROUP BY partner, period` per population of deals "
            f"measured ({floor[2]}: kind and deal filter), over the same leads",
            f"{floor[0]:.2f} s (ours: **{full[0] / max(floor[0], 1e-9):.2f}×** the floor; "
            f"with figures current, second refresh below: "
            f"**{second[0] / max(floor[0], 1e-9):.2f}×**; a new day, nothing changed: "
            f"**{new_day[0] / max(floor[0], 1e-9):.2f}×**)",
            "ours within 2× of it",
        ),
        (
            "second refresh with nothing changed, the same day; the next day (every "
            "objective's pacing recomputed, as by the daily job)",
            f"{second[0]:.2f} s, {second[1]} queries, {second[2]} period rows written; "
            f"next day {new_day[0]:.2f} s, {new_day[1]} queries",
            "writes nothing",
        ),
        (
            "extra on a write of a lead that is not a registration",
            f"{plain[1]} queries, {plain[0] * 1000:+.2f} ms",
            "0 queries",
        ),
        (
            "extra queries on a registration write, 5 vs 500 objectives on its partner",
            f"{registration[5]} vs {registration[500]}",
            "the same small constant",
        ),
        (
            "queries to render the portal plan page, 5 vs 50 objectives",
            f"{portal[5]} vs {portal[50]}",
            "the same",
        ),
        (
            "queries to open the back-office plan form, 5 vs 50 objectives",
            f"{form[5]} vs {form[50]}",
            "the same",
        ),
        (
            f"XLSX export of {xlsx[0]} plans",
            f"{xlsx[1]:.2f} s, {xlsx[2]} queries",
            "seconds, constant queries",
        ),
        (
            "Generate Plans from a template of 10 objectives (last year's actuals read), "
            + " vs ".join(f"{count} partners" for count in generate),
            " vs ".join(
                f"{seconds:.2f} s, {queries} queries ({plans} plans)"
                for seconds, queries, plans in generate.values()
            ),
            "no query per partner: the ORM's statements of 100 rows only grow",
        ),
    ]
    table = ["| figure | measured | goal |", "|---|---|---|"]
    table += [f"| {figure} | {value} | {goal} |" for figure, value, goal in rows]
    report = "\n".join(
        [
            f"### Odoo {SERIES}: `make bench` (size `{args.size}`)",
            "",
            f"Load average before / after: {load_before} / {_load_average()}.",
            "",
            f"Machine: {machine()}. PostgreSQL: {_pg_version(registry)}.",
            f"Size `{args.size}`: {counts['partners']} partners, {counts['plans']} running plans, "
            f"{counts['objectives']} objectives, {counts['period targets']} period targets, "
            f"{counts['leads']} leads of which {counts['registrations']} registrations "
            f"(seeded in {seeding:.0f} s). Each figure is the median of {args.runs} runs.",
            "",
            *table,
            "",
            "#### Channel shapes",
            "",
            "Ratios are to the SQL floor of the same row. *Aggregates alone* is "
            "`TrackingEngine.actuals()` (the aggregate in Python, used for snapshots and "
            "amounts to convert: the queries over the deals and their bucketing into "
            "periods); the refreshes are `action_refresh_actuals()` on every objective of "
            "the shape: with figures current on the day they were computed (the database "
            "compares, nothing read or written), on a new day with no deal changed (every "
            "objective's figures recomputed, the daily job's case), or with the actuals "
            "reset first (every period written). *Floor + stored reads* adds to the floor "
            "what any refresh comparing the stored figures with the deals must read too: "
            "the objectives' definitions and their periods' stored figures, added up in "
            "the database (nothing sent back): the least such a refresh can take.",
            "",
            f"The database emptied of plans and leads, then {sizes['shape_partners']} partners, "
            f"each with one running plan per shape, on leads seeded as above (40% "
            f"registrations), first {sizes['shape_leads'][0]}, then more up to each count. "
            "The floor is one hand-written `GROUP BY partner, period` per population of "
            "deals the shape measures (kind and deal filter; counted and summed at once); "
            "the full refresh writes every period (actuals reset first).",
            "",
            *shape_table(shapes),
        ]
    )
    results.write_section(args.output, f"bench/run.py {SERIES}", report, before="## ")
    print()
    print(report)


def _load_average():
    """The machine's load average over the last minute (it is shared: the figures
    depend on it)."""
    return f"{os.getloadavg()[0]:.1f}"


def _pg_version(registry):
    with registry.cursor() as cr:
        cr.execute("SHOW server_version")
        return cr.fetchone()[0]


if __name__ == "__main__":
    main()
