import ast
import math

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import mute_logger

from ..tools import planning
from ..tools.portal_input import MAX_ABS_VALUE

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
        domain=[("model", "=", "crm.lead"), ("ttype", "in", NUMERIC_FIELD_TYPES)],
        help="Numeric field of the deals added up when the measure is Sum, e.g. "
        "Expected Revenue. Monetary amounts are converted to the plan currency.",
    )
    lead_domain = fields.Char(
        string="Deal Filter",
        default="[]",
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
        today = fields.Date.context_today(self)
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
            field = objective.sum_field_id
            if not field:
                raise ValidationError(
                    _(
                        "Choose the deal field to add up for “%(objective)s”.",
                        objective=objective.name,
                    )
                )
            if field.model != "crm.lead" or field.ttype not in NUMERIC_FIELD_TYPES:
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

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model
    def _precheck_values(self, vals):
        """Weight and target are refused with a ValidationError before the database
        check constraints would abort the transaction with a bare integrity error."""
        if "weight" in vals and not 1 <= (vals["weight"] or 0) <= 100:
            raise ValidationError(
                _(
                    "The weight of an objective must be between 1 and 100 (got %(weight)s).",
                    weight=vals["weight"],
                )
            )
        target = vals.get("target_value")
        if target is not None and (not math.isfinite(target) or target < 0):
            raise ValidationError(_("The target of an objective must be a positive number."))

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
        return {"manual": self._compute_manual_actuals}

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
