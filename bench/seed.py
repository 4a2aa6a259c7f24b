"""Seed a benchmark database with SQL: partners, running plans with mixed objectives and
their period targets, and leads of which a share are deal registrations.

Plain SQL (INSERT ... SELECT generate_series) rather than the ORM, so that a million
leads take seconds, not hours. Stored values the ORM would compute (progress, pacing)
are left at their defaults: the benchmark recomputes the actuals itself.
"""

import random
from datetime import date

from psycopg2.extras import Json

from odoo.addons.msp_business_planning.tools import planning

REGISTRATION_SHARE = 0.4

# Ten objectives per plan, mixing kinds, measures and periodicities.
OBJECTIVE_MIX = [
    ("deal_registration", "count", "monthly", "[]"),
    ("deal_registration", "sum", "quarterly", "[]"),
    ("deal_registration", "count", "monthly", "[('expected_revenue', '>', 50000)]"),
    ("qualified_deal_registration", "count", "monthly", "[]"),
    ("qualified_deal_registration", "sum", "quarterly", "[]"),
    ("won_deal", "count", "monthly", "[]"),
    ("won_deal", "sum", "monthly", "[]"),
    ("won_deal", "sum", "quarterly", "[('expected_revenue', '>', 50000)]"),
    ("manual", "count", "annual", "[]"),
    ("manual", "count", "monthly", "[]"),
]


# The channel shapes (issue 15): a few hundred partners, each with objectives of one
# population or a few, on the same leads; each shape is one plan per partner.
FILTERS = ("[('expected_revenue', '>', 50000)]", "[('probability', '>=', 50)]")


def _one_kind(periodicity, filtered):
    """Ten registration objectives counting and adding up, the last six filtered
    (two filters) when ``filtered``."""
    return [
        (
            "deal_registration",
            "sum" if index % 2 else "count",
            periodicity,
            FILTERS[index % 2] if filtered and index >= 4 else "[]",
        )
        for index in range(10)
    ]


SHAPES = {
    "5 objectives, quarterly, one filtered": [
        ("deal_registration", "count", "quarterly", "[]"),
        ("deal_registration", "sum", "quarterly", "[]"),
        ("qualified_deal_registration", "count", "quarterly", "[]"),
        ("qualified_deal_registration", "sum", "quarterly", "[]"),
        ("deal_registration", "count", "quarterly", FILTERS[0]),
    ],
    "10 registration objectives, quarterly": _one_kind("quarterly", False),
    "10 registration objectives, monthly": _one_kind("monthly", False),
    "10 registration objectives, quarterly, filtered": _one_kind("quarterly", True),
    "10 registration objectives, monthly, filtered": _one_kind("monthly", True),
}


def seed_shapes(cr, partners, year):
    """The partners of the channel shapes and one plan per partner and shape; returns
    ``(partner ids, {shape: plan ids})``."""
    company_id, currency_id, sum_field_id = basics(cr)
    partner_ids = seed_partners(cr, partners, "Channel MSP")
    plans = {
        shape: [
            plan_id
            for plan_id, _partner in seed_plans(
                cr, partner_ids, mix, year, company_id, currency_id, sum_field_id, shape
            )
        ]
        for shape, mix in SHAPES.items()
    }
    return partner_ids, plans


def seed(cr, partners, leads, year):
    """Insert everything; returns a dict of row counts."""
    company_id, currency_id, sum_field_id = basics(cr)

    partner_ids = seed_partners(cr, partners)
    plans = seed_plans(cr, partner_ids, OBJECTIVE_MIX, year, company_id, currency_id, sum_field_id)
    objective_rows = len(plans) * len(OBJECTIVE_MIX)
    cr.execute("SELECT count(*) FROM msp_business_plan_objective_target")
    target_rows = cr.fetchone()[0]
    lead_rows = seed_leads(cr, partner_ids, leads, year, company_id)
    cr.execute("ANALYZE")
    return {
        "partners": len(partner_ids),
        "plans": len(plans),
        "objectives": objective_rows,
        "period targets": target_rows,
        "leads": lead_rows,
        "registrations": int(lead_rows * REGISTRATION_SHARE),
    }


def basics(cr):
    """``(company id, its currency id, id of the expected revenue field)``."""
    cr.execute("SELECT id, currency_id FROM res_company ORDER BY id LIMIT 1")
    company_id, currency_id = cr.fetchone()
    cr.execute(
        "SELECT id FROM ir_model_fields WHERE model = 'crm.lead' AND name = 'expected_revenue'"
    )
    return company_id, currency_id, cr.fetchone()[0]


def seed_partners(cr, count, label="Bench MSP"):
    """``count`` partner companies; returns their ids."""
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, is_company, active, type, create_date,
                                 write_date)
        SELECT %s || n, %s || n, true, true, 'contact', now(), now()
          FROM generate_series(1, %s) n
        RETURNING id
        """,
        [f"{label} ", f"{label} ", count],
    )
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [partner_ids]
    )

    return partner_ids


def seed_plans(
    cr, partner_ids, mix, year, company_id, currency_id, sum_field_id, label="Bench plan"
):
    """One running plan of ``year`` per partner holding the objectives of ``mix`` (kind,
    measure, periodicity, deal filter) and their period targets; returns the plans'
    ``(id, partner id)``."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    cr.execute(
        """
        INSERT INTO msp_business_plan (name, partner_id, commercial_partner_id, user_id,
                                       company_id, currency_id, date_start, date_end, state,
                                       review_cadence, active, access_token, create_date,
                                       write_date)
        SELECT %s || p.id, p.id, p.id, 2, %s, %s, %s, %s, 'in_progress',
               'quarterly', true, gen_random_uuid()::text, now(), now()
          FROM unnest(%s::int[]) AS p(id)
        RETURNING id, partner_id
        """,
        [f"{label} ", company_id, currency_id, start, end, partner_ids],
    )
    plans = cr.fetchall()

    for sequence, (kind, measure, periodicity, domain) in enumerate(mix):
        cr.execute(
            """
            INSERT INTO msp_business_plan_objective (
                plan_id, name, sequence, company_id, partner_id, commercial_partner_id,
                user_id, plan_state, date_start, date_end, objective_type, measure,
                sum_field_id, lead_domain, weight, periodicity, target_value, actual_value,
                progress, create_date, write_date)
            SELECT plan.id, %s, %s, plan.company_id, plan.partner_id, plan.partner_id,
                   plan.user_id, plan.state, plan.date_start, plan.date_end, %s, %s, %s, %s,
                   10, %s, %s, 0, 0, now(), now()
              FROM msp_business_plan plan
             WHERE plan.id = ANY(%s)
            """,
            [
                f"{kind} {measure} {periodicity}",
                sequence,
                kind,
                measure,
                sum_field_id,
                domain,
                periodicity,
                1_000_000.0 if measure == "sum" else 120.0,
                [plan_id for plan_id, _partner in plans],
            ],
        )
        periods = planning.split_periods(start, end, periodicity)
        shares = planning.spread_target(
            1_000_000.0 if measure == "sum" else 120.0, [p["weight"] for p in periods]
        )
        for period, share in zip(periods, shares, strict=True):
            cr.execute(
                """
                INSERT INTO msp_business_plan_objective_target (
                    objective_id, name, plan_id, company_id, partner_id,
                    commercial_partner_id, user_id, plan_state, objective_type, date_start,
                    date_end, weight, target_value, actual_value, progress, create_date,
                    write_date)
                SELECT o.id, %s, o.plan_id, o.company_id, o.partner_id,
                       o.commercial_partner_id, o.user_id, o.plan_state, o.objective_type,
                       %s, %s, 1.0, %s, 0, 0, now(), now()
                  FROM msp_business_plan_objective o
                 WHERE o.sequence = %s AND o.plan_id = ANY(%s)
                """,
                [
                    period["name"],
                    period["date_start"],
                    period["date_end"],
                    share,
                    sequence,
                    [plan_id for plan_id, _partner in plans],
                ],
            )
    return plans


def seed_leads(cr, partner_ids, count, year, company_id):
    """``count`` leads over three years (``year`` - 2 to ``year``); the first 40% are
    registrations by random partners, in every registration state."""
    won_stage = _stage(cr, won=True)
    open_stage = _stage(cr, won=False)
    rng = random.Random(42)
    registrations = int(count * REGISTRATION_SHARE)
    # Partner per registration, drawn in Python so the run is reproducible.
    partners = [rng.choice(partner_ids) for _ in range(registrations)]
    cr.execute(
        """
        INSERT INTO crm_lead (name, type, active, company_id, stage_id, expected_revenue,
                              probability, date_open, date_closed, registered_partner_id,
                              registered_commercial_partner_id, registration_state,
                              registration_date, registration_qualified_date, create_date,
                              write_date)
        SELECT 'Bench deal ' || n,
               CASE WHEN n %% 3 = 0 THEN 'lead' ELSE 'opportunity' END,
               n %% 50 != 0,
               %(company)s,
               CASE WHEN n %% 4 = 0 THEN %(won)s ELSE %(open)s END,
               (n %% 200) * 1000,
               CASE WHEN n %% 4 = 0 THEN 100 ELSE 20 END,
               day, CASE WHEN n %% 4 = 0 THEN day + interval '20 days' END,
               partner.id,
               partner.id,
               CASE WHEN partner.id IS NULL THEN NULL
                    WHEN n %% 10 = 1 THEN 'rejected'
                    WHEN n %% 10 = 2 THEN 'expired'
                    WHEN n %% 10 IN (3, 4) THEN 'submitted'
                    ELSE 'approved' END,
               CASE WHEN partner.id IS NOT NULL THEN day::date END,
               CASE WHEN partner.id IS NOT NULL AND n %% 10 >= 5 AND n %% 3 != 0
                    THEN (day + interval '5 days')::date END,
               day, day
          FROM generate_series(1, %(count)s) n
          CROSS JOIN LATERAL (
              SELECT make_date(%(first_year)s, 1, 1)
                     + (n::bigint * 7919 %% 1095)::int * interval '1 day'
          ) d(day)
          LEFT JOIN unnest(%(partners)s::int[]) WITH ORDINALITY AS partner(id, nr)
            ON partner.nr = n
        """,
        {
            "company": company_id,
            "won": won_stage,
            "open": open_stage,
            "count": count,
            "first_year": year - 2,
            "partners": partners,
        },
    )
    return count


def _stage(cr, won):
    """A pipeline stage (won or not); a database without demo data may have none."""
    cr.execute("SELECT id FROM crm_stage WHERE is_won = %s ORDER BY sequence LIMIT 1", [won])
    row = cr.fetchone()
    if row:
        return row[0]
    cr.execute(
        "INSERT INTO crm_stage (name, sequence, is_won, fold) VALUES (%s, %s, %s, false) "
        "RETURNING id",
        [Json({"en_US": "Won" if won else "New"}), 70 if won else 1, won],
    )
    return cr.fetchone()[0]
