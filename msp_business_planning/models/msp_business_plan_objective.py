import ast
import functools
import logging
import math
from collections import defaultdict

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, mute_logger

from ..tools import deal_tracking, planning, values
from ..tools.portal_input import MAX_ABS_VALUE

_logger = logging.getLogger(__name__)

AUTOMATIC_TYPES = ("deal_registration", "qualified_deal_registration", "won_deal")
NUMERIC_FIELD_TYPES = ("integer", "float", "monetary")


class MspBusinessPlanObjective(models.Model):
    _name = "msp.business.plan.objective"
    _description = "Business Plan Objective"
    _order = "plan_id, sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    def _default_sum_field_id(self):
        return self.env["ir.model.fields"]._get("crm.lead", "expected_revenue")

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    plan_id = fields.Many2one(
        "msp.business.plan", required=True, ondelete="cascade", index=True, check_company=True
    )
    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(help="How the objective is measured, in the partner's words.")
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True, index=True)
    commercial_partner_id = fields.Many2one(
        related="plan_id.commercial_partner_id", store=True, index=True
    )
    user_id = fields.Many2one(related="plan_id.user_id", store=True, string="Channel Manager")
    plan_state = fields.Selection(related="plan_id.state", store=True, string="Plan Status")
    date_start = fields.Date(related="plan_id.date_start", store=True)
    date_end = fields.Date(related="plan_id.date_end", store=True)
    objective_type = fields.Selection(
        [
            ("manual", "Manual"),
            ("deal_registration", "Deal Registrations"),
            ("qualified_deal_registration", "Qualified Deal Registrations"),
            ("won_deal", "Won Deals"),
            ("course_completion", "Course Completions"),
        ],
        string="Kind",
        required=True,
        default="manual",
        help="Manual: progress is reported by the channel manager or the partner. "
        "Deal registrations: deals registered by the partner (by registration date). "
        "Qualified: registered deals approved and turned into opportunities. "
        "Won deals: registered deals won (by closing date). "
        "Course completions: partner contacts who completed given eLearning courses.",
    )
    measure = fields.Selection(
        [("count", "Count"), ("sum", "Sum")],
        required=True,
        default="count",
        help="Count the matching deals, or add up one of their numeric fields.",
    )
    sum_field_id = fields.Many2one(
        "ir.model.fields",
        string="Summed Field",
        default=_default_sum_field_id,
        ondelete="set null",
        domain=[
            ("model", "=", "crm.lead"),
            ("ttype", "in", NUMERIC_FIELD_TYPES),
            ("store", "=", True),
        ],
        help="Numeric field of the deals added up when the measure is Sum, e.g. "
        "Expected Revenue. Monetary amounts are converted to the plan currency.",
    )
    lead_domain = fields.Char(
        string="Deal Filter",
        default="[]",
        # The vendor's own pipeline criteria (customers, teams, salespeople).
        groups="base.group_user",
        help="Only deals matching this filter count toward the objective.",
    )
    weight = fields.Integer(
        default=10,
        required=True,
        aggregator="sum",
        help="Relative importance (1 to 100) of the objective in the plan's progress.",
    )
    periodicity = fields.Selection(
        [("annual", "Annual"), ("quarterly", "Quarterly"), ("monthly", "Monthly")],
        required=True,
        default="quarterly",
        help="How the target is split over the plan: one period, calendar quarters or "
        "calendar months (clipped to the plan dates).",
    )
    target_ids = fields.One2many(
        "msp.business.plan.objective.target", "objective_id", string="Period Targets"
    )
    update_ids = fields.One2many(
        "msp.business.plan.objective.update", "objective_id", string="Progress Updates"
    )
    target_value = fields.Float(
        string="Target",
        compute="_compute_target_value",
        inverse="_inverse_target_value",
        store=True,
        readonly=False,
        aggregator="sum",
        help="Target for the whole plan; setting it spreads it evenly over the periods. "
        "Editing a period target updates this total.",
    )
    actual_value = fields.Float(
        string="Actual",
        compute="_compute_actual_value",
        store=True,
        aggregator="sum",
        help="Sum of the period actuals.",
    )
    progress = fields.Float(
        compute="_compute_progress",
        store=True,
        aggregator="avg",
        help="Actual over target, in percent; may exceed 100.",
    )
    expected_progress = fields.Float(
        compute="_compute_pacing",
        store=True,
        aggregator="avg",
        help="Progress an even pace would have reached by today, period by period.",
    )
    pacing_status = fields.Selection(
        [("on_track", "On Track"), ("at_risk", "At Risk"), ("off_track", "Off Track")],
        compute="_compute_pacing",
        store=True,
    )

    _sql_constraints = [
        (
            "weight_range",
            "CHECK (weight BETWEEN 1 AND 100)",
            "The weight of an objective must be between 1 and 100.",
        ),
        (
            "target_positive",
            "CHECK (target_value >= 0)",
            "The target of an objective cannot be negative.",
        ),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("target_ids.target_value")
    def _compute_target_value(self):
        for objective in self:
            objective.target_value = sum(objective.target_ids.mapped("target_value"))

    def _inverse_target_value(self):
        for objective in self:
            targets = objective.target_ids.sorted("date_start")
            if not targets:
                continue
            shares = planning.spread_target(objective.target_value, targets.mapped("weight"))
            for target, share in zip(targets, shares, strict=True):
                target.target_value = share

    @api.depends("target_ids.actual_value")
    def _compute_actual_value(self):
        for objective in self:
            objective.actual_value = sum(objective.target_ids.mapped("actual_value"))

    @api.depends("actual_value", "target_value")
    def _compute_progress(self):
        for objective in self:
            objective.progress = planning.progress_percent(
                objective.actual_value, objective.target_value
            )

    @api.depends("progress", "target_ids.target_value", "target_ids.date_start", "plan_state")
    def _compute_pacing(self):
        today = self._pacing_today()
        for objective in self:
            periods = [(t.date_start, t.date_end, t.target_value) for t in objective.target_ids]
            objective.expected_progress = planning.expected_progress(periods, today)
            objective.pacing_status = (
                planning.pacing_status(objective.progress, objective.expected_progress)
                if objective.plan_state in ("in_progress", "completed") and periods
                else False
            )

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("weight")
    def _check_weight(self):
        for objective in self:
            if not 1 <= objective.weight <= 100:
                raise ValidationError(
                    _(
                        "The weight of “%(objective)s” must be between 1 and 100 (got "
                        "%(weight)s).",
                        objective=objective.name,
                        weight=objective.weight,
                    )
                )

    @api.constrains("target_value")
    def _check_target_value(self):
        for objective in self:
            if objective.target_value < 0 or not math.isfinite(objective.target_value):
                raise ValidationError(
                    _(
                        "The target of “%(objective)s” must be a positive number.",
                        objective=objective.name,
                    )
                )

    @api.constrains("measure", "sum_field_id")
    def _check_sum_field(self):
        for objective in self.filtered(lambda o: o.measure == "sum"):
            # sudo: field definitions are metadata that internal users may not read.
            field = objective.sum_field_id.sudo()
            if not field:
                raise ValidationError(
                    _(
                        "Choose the deal field to add up for “%(objective)s”.",
                        objective=objective.name,
                    )
                )
            if (
                field.model != "crm.lead"
                or field.ttype not in NUMERIC_FIELD_TYPES
                or not field.store
            ):
                raise ValidationError(
                    _(
                        "“%(field)s” cannot be added up: choose a numeric field of the "
                        "deals (integer, decimal or monetary).",
                        field=field.field_description,
                    )
                )

    @api.constrains("lead_domain")
    def _check_lead_domain(self):
        for objective in self:
            objective._get_lead_domain()

    @api.constrains("objective_type")
    def _check_objective_type_tracked(self):
        computers = self._get_actual_computers()
        for objective in self:
            if objective.objective_type not in computers:
                raise ValidationError(
                    _(
                        "“%(objective)s” cannot be tracked: install the module that measures "
                        "this kind of objective (eLearning for course completions).",
                        objective=objective.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model
    def _pacing_today(self):
        """Today in UTC: stored pacing is the same whoever triggers its computation,
        whatever their timezone (as registration days are)."""
        return deal_tracking.utc_day(fields.Datetime.now())

    @api.model
    def _precheck_values(self, vals):
        """Weight and target are refused with a ValidationError before the database
        check constraints would abort the transaction with a bare integrity error."""
        if "weight" in vals and values.number_issue(vals["weight"], 1, 100):
            raise ValidationError(
                _(
                    "The weight of an objective must be between 1 and 100 (got %(weight)s).",
                    weight=vals["weight"],
                )
            )
        if vals.get("target_value") is not None:
            self._precheck_amount(
                vals["target_value"], _("The target of an objective must be a positive number.")
            )

    @api.model
    def _precheck_amount(self, value, negative_message):
        """A target or reported value the ORM can store: a number, finite, not
        absurdly large, and positive when ``negative_message`` says so."""
        issue = values.number_issue(value, minimum=0 if negative_message else None)
        if issue == "not_a_number":
            raise ValidationError(_("“%(value)s” is not a number.", value=value))
        if issue == "too_large":
            raise ValidationError(
                _("%(value)s is too large for a target or a result.", value=value)
            )
        if issue:
            raise ValidationError(negative_message or _("The value must be a finite number."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._precheck_values(vals)
        objectives = super(
            MspBusinessPlanObjective, self.with_context(msp_skip_target_generation=True)
        ).create(vals_list)
        objectives = objectives.with_env(self.env)
        # Objectives created with their own period lines keep them; the others get
        # periods generated from their periodicity, with the target spread over them.
        objectives.filtered(lambda o: not o.target_ids)._generate_targets(
            totals={
                o.id: vals.get("target_value", 0.0)
                for o, vals in zip(objectives, vals_list, strict=True)
            }
        )
        return objectives

    def write(self, vals):
        self._precheck_values(vals)
        res = super().write(vals)
        if "periodicity" in vals:
            self._generate_targets()
        elif vals.keys() & self._get_tracking_definition_fields():
            self.action_refresh_actuals()
        return res

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_lead_domain(self):
        """The deal filter as a domain, parsed as a literal (never evaluated) and
        checked against crm.lead; a ValidationError says what is wrong."""
        self.ensure_one()
        text = (self.lead_domain or "").strip() or "[]"
        try:
            domain = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise ValidationError(
                _(
                    "The deal filter of “%(objective)s” is not a valid filter: use the "
                    "filter editor (values must be plain texts, numbers or lists).",
                    objective=self.name,
                )
            ) from None
        if not isinstance(domain, list | tuple):
            raise ValidationError(
                _(
                    "The deal filter of “%(objective)s” must be a list of conditions.",
                    objective=self.name,
                )
            )
        try:
            domain = expression.normalize_domain(list(domain))
            self.env["crm.lead"].sudo()._where_calc(domain)
        except (ValueError, TypeError, AssertionError, KeyError) as error:
            raise ValidationError(
                _(
                    "The deal filter of “%(objective)s” cannot be used on deals: %(error)s",
                    objective=self.name,
                    error=error,
                )
            ) from None
        return domain

    def _filter_monetary(self):
        """The objectives whose target and actual are amounts in the plan currency:
        deal objectives adding up a monetary field."""
        summing = self.filtered(lambda o: o.objective_type != "manual" and o.measure == "sum")
        # Field definitions are metadata, not plan data, and internal users may not
        # read ir.model.fields; the objectives pointing to them were read with the
        # user's own rights.
        monetary_fields = summing.sum_field_id.sudo().filtered(lambda f: f.ttype == "monetary")
        return summing.filtered(lambda o: o.sum_field_id.id in monetary_fields.ids)

    def _generate_targets(self, totals=None):
        """(Re)build the period lines from the periodicity and the plan dates, keeping
        each objective's total target (or the one given in ``totals``), then recompute
        the actuals of the new periods."""
        if self.env.context.get("msp_skip_target_generation"):
            return
        # Read the totals before the old lines go: the total is their sum.
        totals = {objective.id: objective.target_value for objective in self} | (totals or {})
        Target = self.env["msp.business.plan.objective.target"]
        self.target_ids.unlink()
        create_vals = []
        for objective in self:
            periods = planning.split_periods(
                objective.plan_id.date_start, objective.plan_id.date_end, objective.periodicity
            )
            total = totals[objective.id] or 0.0
            shares = planning.spread_target(total, [p["weight"] for p in periods])
            create_vals += [
                {
                    "objective_id": objective.id,
                    "name": period["name"],
                    "date_start": period["date_start"],
                    "date_end": period["date_end"],
                    "weight": period["weight"],
                    "target_value": share,
                }
                for period, share in zip(periods, shares, strict=True)
            ]
        Target.create(create_vals)
        self.action_refresh_actuals()

    def action_refresh_actuals(self):
        """Recompute the period actuals of these objectives in batch: one aggregate
        query per kind of objective, and writes only where a value changed."""
        # Whoever may not change these objectives may not make the system do it
        # (internal callers acting for someone else, e.g. on a CRM change, are sudo).
        if not self.env.su:
            self.check_access("write")
        targets = self.target_ids
        new_values = {}
        for objective_type, computer in self._get_actual_computers().items():
            typed = targets.filtered(lambda t, k=objective_type: t.objective_type == k)
            if typed:
                new_values.update(computer(typed))
        for target in targets:
            value = new_values.get(target.id, 0.0)
            if target.actual_value != value:
                target.actual_value = value
        return True

    def _get_actual_computers(self):
        """Objective kind -> function(period targets) -> {target id: actual}. Other
        modules add their kinds here."""
        return {
            "manual": self._compute_manual_actuals,
            **{
                kind: functools.partial(self._compute_deal_actuals, kind)
                for kind in deal_tracking.TRACKED_KINDS
            },
        }

    @api.model
    def _get_tracking_definition_fields(self):
        """Fields defining what an objective measures: changing one recomputes it."""
        return {"objective_type", "measure", "sum_field_id", "lead_domain"}

    def _compute_manual_actuals(self, targets):
        """Sum of the progress updates dated inside each period, in one query."""
        self.env["msp.business.plan.objective.update"].flush_model(
            ["objective_id", "date", "value"]
        )
        targets.flush_recordset(["objective_id", "date_start", "date_end"])
        self.env.cr.execute(
            """
            SELECT target.id, SUM(upd.value)
              FROM msp_business_plan_objective_target target
              JOIN msp_business_plan_objective_update upd
                ON upd.objective_id = target.objective_id
               AND upd.date BETWEEN target.date_start AND target.date_end
             WHERE target.id = ANY(%s)
          GROUP BY target.id
            """,
            [targets.ids],
        )
        return dict(self.env.cr.fetchall())

    def _recompute_pacing(self):
        """Expected progress moves with the calendar: recompute it (and what depends
        on it) for these objectives."""
        targets = self.target_ids
        for field_name in ("expected_progress", "pacing_status"):
            self.env.add_to_compute(self._fields[field_name], self)
            self.env.add_to_compute(targets._fields[field_name], targets)
        plans = self.plan_id
        for field_name in ("progress", "expected_progress", "pacing_status"):
            self.env.add_to_compute(plans._fields[field_name], plans)
        targets.flush_recordset()
        self.flush_recordset()
        plans.flush_recordset()

    # ------------------------------------------------------------
    # PORTAL
    # ------------------------------------------------------------

    def _portal_report_progress(self, value, day, note=False, submission_key=False):
        """Progress reported by the partner on the portal, authored by the current
        user's partner. The portal controller calls it (as superuser, keeping the
        user) once it checked the user's access to the plan.

        Returns the new update, or an empty recordset when ``submission_key`` was
        already used: the same form submitted twice records one update.
        """
        self.ensure_one()
        plan = self.plan_id
        if self.objective_type != "manual":
            raise UserError(
                _(
                    "Progress on “%(objective)s” is tracked automatically; it cannot be "
                    "reported by hand.",
                    objective=self.name,
                )
            )
        plan._check_state(["in_progress"], _("report progress on"))
        if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
            raise ValidationError(_("The reported value is too large."))
        if not plan.date_start <= day <= plan.date_end:
            raise ValidationError(
                _(
                    "The date must be within the plan, from %(start)s to %(end)s.",
                    start=plan.date_start,
                    end=plan.date_end,
                )
            )
        Update = self.env["msp.business.plan.objective.update"]
        if submission_key and Update.sudo().search_count(
            [("portal_submission_key", "=", submission_key)], limit=1
        ):
            return Update
        try:
            # A concurrent twin of this submission may commit first: the unique key
            # then refuses this insert, which is rolled back alone.
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                return Update.create(
                    {
                        "objective_id": self.id,
                        "date": day,
                        "value": value,
                        "note": note or False,
                        "author_id": self.env.user.partner_id.id,
                        "portal_submission_key": submission_key or False,
                    }
                )
        except psycopg2.errors.UniqueViolation:
            return Update

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_refresh_actuals(self):
        """Daily safety net: actuals follow CRM changes as they happen, but also things
        no deal write announces (currency rates, a stage turned into a won stage, a
        contact moved to another company)."""
        self.search(
            [("plan_state", "=", "in_progress"), ("objective_type", "!=", "manual")]
        ).action_refresh_actuals()

    # ------------------------------------------------------------
    # DEAL TRACKING
    # ------------------------------------------------------------

    def _get_deal_groups(self, targets):
        """Group period targets by what their objectives measure (measure, summed
        field, deal filter): each group is aggregated with one query, whatever the
        number of objectives in it.

        Returns ``({(measure, field name, domain text): targets}, {domain text: domain},
        targets whose deal filter can no longer be used)``.
        """
        groups = defaultdict(lambda: targets.browse())
        domains = {}
        broken = targets.browse()
        for target in targets:
            objective = target.objective_id
            try:
                domain = objective._get_lead_domain()
            except ValidationError as error:
                # A filter made invalid later (e.g. a field removed with its module)
                # must not block the CRM: keep the last actuals and say why.
                _logger.warning("Objective %s not refreshed: %s", objective.id, error)
                broken |= target
                continue
            # sudo: the summed field's name is metadata internal users may not read.
            field = objective.sum_field_id.sudo()
            field_name = field.name if objective.measure == "sum" else None
            key = (objective.measure, field_name, repr(domain))
            domains[key[2]] = domain
            groups[key] |= target
        return groups, domains, broken

    def _compute_deal_actuals(self, kind, targets):
        """Actuals of period targets of one automatic kind: one query per group of
        objectives measuring the same thing, plus one for currency rates when needed."""
        groups, domains, broken = self._get_deal_groups(targets)
        actuals = {target.id: target.actual_value for target in broken}
        Lead = self.env["crm.lead"]
        monetary_rows = []
        for (_measure, field_name, domain_key), group in groups.items():
            field = Lead._fields[field_name] if field_name else None
            if field and field.type == "monetary":
                monetary_rows += self._query_deal_rows(
                    kind, group, domains[domain_key], field_name, by_currency=True
                )
                continue
            rows = self._query_deal_rows(kind, group, domains[domain_key], field_name)
            actuals.update({target_id: value or 0.0 for target_id, value in rows})
        if monetary_rows:
            actuals.update(self._convert_deal_rows(targets, monetary_rows))
        return actuals

    def _query_deal_rows(self, kind, targets, domain, field_name=None, by_currency=False):
        """Aggregate the deals of ``kind`` into each period target of ``targets`` in one
        query. Rows are ``(target id, count or sum)``, or ``(target id, currency id, day,
        sum)`` with ``by_currency`` for monetary sums still to be converted."""
        value = SQL("COUNT(lead.id)")
        if field_name:
            self.env["crm.lead"].flush_model([field_name])
            value = SQL("SUM(%s)", SQL.identifier("lead", field_name))
        select = [SQL("target.id")]
        if by_currency:
            select += [self._get_deal_currency_sql(field_name), SQL("lead_day.day")]
        columns = SQL(", ").join(select)
        return self._query_deals(
            kind,
            targets,
            domain,
            SQL("%s, %s", columns, value),
            group_by=columns,
        )

    def _query_deals(self, kind, targets, domain, select, group_by=None):
        """The one query behind deal tracking: the deals of ``kind`` joined to the period
        targets that count them. A deal counts for a target when it belongs to the
        target's partner company (any contact of it), is active, is in the plan's
        company (or has no company), matches ``domain`` and its day (UTC) lies inside
        the period. The deal's day is ``lead_day.day`` in ``select`` and ``group_by``."""
        spec = deal_tracking.TRACKED_KINDS[kind]
        Lead = self.env["crm.lead"]
        date_field = spec["date_field"]
        Lead.flush_model(
            [
                "registered_commercial_partner_id",
                "registration_state",
                "active",
                "company_id",
                "stage_id",
                date_field,
            ]
        )
        self.env["msp.business.plan.objective.target"].flush_model(
            ["objective_id", "commercial_partner_id", "company_id", "date_start", "date_end"]
        )
        self.env["crm.stage"].flush_model(["is_won"])
        self.env["res.company"].flush_model(["currency_id"])

        lead_date = SQL.identifier("lead", date_field)
        if Lead._fields[date_field].type == "datetime":
            # Stored in UTC: the period's days are taken in UTC too.
            in_period = SQL(
                "%s >= target.date_start AND %s < target.date_end + 1", lead_date, lead_date
            )
            day = SQL("(%s)::date", lead_date)
        else:
            in_period = SQL("%s BETWEEN target.date_start AND target.date_end", lead_date)
            day = lead_date
        conditions = [
            SQL("target.id = ANY(%s)", targets.ids),
            SQL("lead.active"),
            SQL("lead.registration_state IN %s", spec["states"]),
            SQL("(lead.company_id IS NULL OR lead.company_id = target.company_id)"),
        ]
        if spec["won"]:
            conditions.append(
                SQL("EXISTS(SELECT 1 FROM crm_stage WHERE id = lead.stage_id AND is_won)")
            )
        if domain:
            # sudo: actuals are the same whoever triggers the refresh, so the deal filter
            # is applied without anyone's record rules.
            lead_query = Lead.sudo().with_context(active_test=False)._search(domain)
            conditions.append(SQL("lead.id IN %s", lead_query.subselect()))
        query = SQL(
            """
            SELECT %(select)s
              FROM msp_business_plan_objective_target target
              JOIN crm_lead lead
                ON lead.registered_commercial_partner_id = target.commercial_partner_id
               AND %(in_period)s
              JOIN res_company plan_company ON plan_company.id = target.company_id
         LEFT JOIN res_company lead_company ON lead_company.id = lead.company_id
             CROSS JOIN LATERAL (SELECT %(day)s AS day) lead_day
             WHERE %(where)s
            """,
            select=select,
            in_period=in_period,
            day=day,
            where=SQL(" AND ").join(conditions),
        )
        if group_by:
            query = SQL("%s GROUP BY %s", query, group_by)
        return self.env.execute_query(query)

    @api.model
    def _get_deal_currency_sql(self, field_name):
        """Currency of a monetary deal field: its own stored currency field when it has
        one, else the deal's company currency (crm's revenues), the plan company's for a
        deal without company."""
        Lead = self.env["crm.lead"]
        currency_field = Lead._fields[field_name].get_currency_field(Lead)
        column = Lead._fields.get(currency_field)
        if column is not None and column.store and column.type == "many2one":
            Lead.flush_model([currency_field])
            return SQL(
                "COALESCE(%s, lead_company.currency_id, plan_company.currency_id)",
                SQL.identifier("lead", currency_field),
            )
        return SQL("COALESCE(lead_company.currency_id, plan_company.currency_id)")

    def _convert_deal_rows(self, targets, rows):
        """Convert ``(target id, currency id, day, amount)`` rows into each target's plan
        currency at the rates of each day: one query for all the rates needed."""
        targets = targets.browse({row[0] for row in rows})
        target_currencies = {t.id: (t.currency_id.id, t.company_id.id) for t in targets}
        currency_ids = {row[1] for row in rows} | {cur for cur, _co in target_currencies.values()}
        roots = {company: company.root_id.id for company in targets.company_id}
        self.env["res.currency.rate"].flush_model(["currency_id", "company_id", "name", "rate"])
        rates = self.env.execute_query(
            SQL(
                """
                SELECT currency_id, name, rate, company_id
                  FROM res_currency_rate
                 WHERE currency_id = ANY(%s)
                   AND (company_id IS NULL OR company_id = ANY(%s))
                """,
                list(currency_ids),
                list(set(roots.values())),
            )
        )
        tables = {
            company.id: deal_tracking.RateTable(
                (currency_id, day, rate, company_id is not None)
                for currency_id, day, rate, company_id in rates
                if company_id in (None, root_id)
            )
            for company, root_id in roots.items()
        }
        totals = deal_tracking.sum_converted(rows, target_currencies, tables)
        return {
            target.id: target.currency_id.round(totals.get(target.id, 0.0)) for target in targets
        }

    def _get_contributions(self, leads):
        """{lead id: ids of the objectives of ``self`` the lead counts toward}, computed by
        the same queries as the actuals, restricted to ``leads``."""
        contributions = defaultdict(set)
        targets = self.target_ids
        for kind in deal_tracking.TRACKED_KINDS:
            typed = targets.filtered(lambda t, k=kind: t.objective_type == k)
            groups, domains, _broken = self._get_deal_groups(typed)
            for (_measure, _field, domain_key), group in groups.items():
                domain = expression.AND([domains[domain_key], [("id", "in", leads.ids)]])
                rows = self._query_deals(
                    kind, group, domain, SQL("DISTINCT lead.id, target.objective_id")
                )
                for lead_id, objective_id in rows:
                    contributions[lead_id].add(objective_id)
        return contributions
