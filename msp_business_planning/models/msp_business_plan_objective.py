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


def _array_literal(values):
    """A PostgreSQL array literal (``'{1,2.5,NULL}'``) of numbers, or of the pacing
    keys (never user text), for one bulk UPDATE: one short string parameter instead of
    an ``ARRAY[...]`` expression of a hundred thousand values to build and parse."""
    items = ",".join("NULL" if value is None else str(value) for value in values)
    return "{" + items + "}"


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
        if len(self) > models.PREFETCH_MAX and all(self._ids):
            # One grouped query for a big batch (a channel-wide refresh), rather than
            # reading its periods by batches of PREFETCH_MAX.
            Target = self.env["msp.business.plan.objective.target"]
            sums = {
                objective.id: total
                for objective, total in Target._read_group(
                    [("objective_id", "in", self.ids)], ["objective_id"], ["actual_value:sum"]
                )
            }
            for objective in self:
                objective.actual_value = sums.get(objective.id, 0.0)
            return
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
        periods_by_objective = self._get_periods_by_objective()
        for objective in self:
            periods = periods_by_objective.get(objective.id)
            if periods is None:
                periods = [(t.date_start, t.date_end, t.target_value) for t in objective.target_ids]
            objective.expected_progress = planning.expected_progress(periods, today)
            objective.pacing_status = (
                planning.pacing_status(objective.progress, objective.expected_progress)
                if objective.plan_state in ("in_progress", "completed") and periods
                else False
            )

    def _get_periods_by_objective(self):
        """{objective id: [(date_start, date_end, target)]} of a big batch of stored
        objectives, read in one query whatever their number (the ORM would read the
        periods by batches of PREFETCH_MAX); empty for a small batch, which the ORM
        reads from its cache."""
        if len(self) <= models.PREFETCH_MAX or not all(self._ids):
            return {}
        Target = self.env["msp.business.plan.objective.target"]
        Target.flush_model(["objective_id", "date_start", "date_end", "target_value"])
        periods = defaultdict(list)
        for objective_id, start, end, target in self.env.execute_query(
            SQL(
                """
                SELECT objective_id, date_start, date_end, COALESCE(target_value, 0)
                  FROM msp_business_plan_objective_target
                 WHERE objective_id = ANY(%s)
              ORDER BY date_start
                """,
                self.ids,
            )
        ):
            periods[objective_id].append((start, end, target))
        return {objective_id: periods.get(objective_id, []) for objective_id in self.ids}

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
        """Recompute the period actuals of these objectives in batch: one query reads
        the periods and what their objectives measure, one aggregate query per group of
        objectives measuring the same thing, and one bulk write of the periods whose
        value changed, whatever their number."""
        if not self:
            return True
        # Whoever may not change these objectives may not make the system do it
        # (internal callers acting for someone else, e.g. on a CRM change, are sudo).
        if not self.env.su:
            self.check_access("write")
        return self._refresh_actuals_where(SQL("target.objective_id = ANY(%s)", self.ids))

    @api.model
    def _refresh_partner_actuals(self, partners, kinds):
        """:meth:`action_refresh_actuals` on the objectives of ``kinds`` of these
        partner companies' plans that are not cancelled, selected by the same query
        that reads their periods (no search first)."""
        if not partners:
            return True
        self.flush_model(["commercial_partner_id", "plan_state"])
        return self._refresh_actuals_where(
            SQL(
                "objective.commercial_partner_id = ANY(%s) AND objective.objective_type IN %s"
                " AND objective.plan_state != 'cancelled'",
                partners.ids,
                tuple(kinds),
            )
        )

    def _refresh_actuals_where(self, condition):
        """Refresh the period actuals of the objectives whose periods match
        ``condition`` (SQL on ``target``, ``objective`` and ``plan``)."""
        self.env["msp.business.plan"].flush_model(["currency_id", "company_id"])
        self.flush_model(["objective_type", "measure", "sum_field_id", "lead_domain"])
        self.env["msp.business.plan"].flush_model(["state"])
        self.env["msp.business.plan.objective.target"].flush_model(
            ["objective_id", "actual_value", "target_value", "date_start", "date_end"]
        )
        current = {}
        periods = {}
        by_kind = defaultdict(list)
        target_info = {}
        for row in self.env.execute_query(
            SQL(
                """
                SELECT target.id, target.actual_value, objective.objective_type, objective.id,
                       objective.measure, field.name, objective.lead_domain,
                       plan.currency_id, plan.company_id, COALESCE(target.target_value, 0),
                       target.date_start, target.date_end, plan.state
                  FROM msp_business_plan_objective_target target
                  JOIN msp_business_plan_objective objective ON objective.id = target.objective_id
                  JOIN msp_business_plan plan ON plan.id = objective.plan_id
             LEFT JOIN ir_model_fields field ON field.id = objective.sum_field_id
                 WHERE %s
                """,
                condition,
            )
        ):
            target_id, actual, kind = row[:3]
            current[target_id] = actual or 0.0
            by_kind[kind].append(target_id)
            target_info[target_id] = row[3:9]
            periods[target_id] = row[9:]
        changed = {}
        computers = self._get_actual_computers(target_info=target_info)
        Target = self.env["msp.business.plan.objective.target"]
        for kind, target_ids in by_kind.items():
            if kind not in computers:
                continue  # measured by a module not installed: keep the last actuals
            values = computers[kind](Target.browse(target_ids))
            for target_id in target_ids:
                value = values.get(target_id) or 0.0
                if value != current[target_id]:
                    changed[target_id] = value
        self._store_target_actuals(changed, periods)
        return True

    def _store_target_actuals(self, values, periods):
        """Write ``{period target id: actual}`` in one UPDATE, with the periods' own
        progress and pacing (``periods``: {target id: (target, date_start, date_end,
        plan state)}), then let the ORM recompute what depends on them (objectives,
        plans). One ORM write per period would cost a write() call each and an UPDATE
        per 100 periods: minutes at channel scale."""
        if not values:
            return
        Target = self.env["msp.business.plan.objective.target"]
        # Every pending value of the periods first: a stale one flushed after the UPDATE
        # below would overwrite it.
        Target.flush_model()
        today = self._pacing_today()
        rows = []
        for target_id, actual in values.items():
            progress, expected, status = Target._period_figures(actual, *periods[target_id], today)
            rows.append((target_id, actual, progress, expected, status or None))
        ids, actuals, progresses, expecteds, statuses = (
            list(column) for column in zip(*rows, strict=True)
        )
        self.env.execute_query(
            SQL(
                """
                UPDATE msp_business_plan_objective_target target
                   SET actual_value = new.actual_value,
                       progress = new.progress,
                       expected_progress = new.expected_progress,
                       pacing_status = new.pacing_status,
                       write_uid = %s,
                       write_date = %s
                  FROM unnest(%s::int[], %s::float8[], %s::float8[], %s::float8[], %s::varchar[])
                       AS new(id, actual_value, progress, expected_progress, pacing_status)
                 WHERE target.id = new.id
                """,
                self.env.uid,
                self.env.cr.now(),
                _array_literal(ids),
                _array_literal(actuals),
                _array_literal(progresses),
                _array_literal(expecteds),
                _array_literal(statuses),
            )
        )
        targets = Target.browse(ids)
        targets.invalidate_recordset(["write_uid", "write_date"])
        # The cache gets what the database now holds, so the recomputations below read
        # it without querying again.
        for field_name, column in (
            ("actual_value", actuals),
            ("progress", progresses),
            ("expected_progress", expecteds),
            ("pacing_status", [status or False for status in statuses]),
        ):
            self.env.cache.update(targets, Target._fields[field_name], column)
        targets.modified(["actual_value"])
        # Written above already: only what depends on them (objectives, plans) is left
        # for the ORM to recompute.
        for field_name in ("progress", "expected_progress", "pacing_status"):
            self.env.remove_to_compute(Target._fields[field_name], targets)

    def _get_actual_computers(self, target_info=None):
        """Objective kind -> function(period targets) -> {target id: actual}. Other
        modules add their kinds here. ``target_info`` ({target id: (objective id,
        measure, summed field name, deal filter, plan currency id, plan company id)}),
        when the caller has it, saves the deal kinds from reading it again."""
        return {
            "manual": self._compute_manual_actuals,
            **{
                kind: functools.partial(self._compute_deal_actuals, kind, target_info=target_info)
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

    def _get_deal_groups(self, targets, target_info=None):
        """Group period targets by what their objectives measure (measure, summed
        field, deal filter): each group is aggregated with one query, whatever the
        number of objectives in it. The periods' objectives are read in one query and
        each distinct deal filter is parsed once.

        Returns ``({(measure, field name, domain text): targets}, {domain text: domain},
        targets whose deal filter can no longer be used)``.
        """
        Objective = self.env["msp.business.plan.objective"]
        target_info = target_info or self._read_target_info(targets)
        rows = [(target_id, *target_info[target_id][:4]) for target_id in targets.ids]
        parsed = {}  # filter text -> domain, or the ValidationError it raises
        group_ids = defaultdict(list)
        domains = {}
        broken_ids = []
        for target_id, objective_id, measure, field_name, domain_text in rows:
            text = (domain_text or "").strip() or "[]"
            if text not in parsed:
                try:
                    parsed[text] = Objective.browse(objective_id)._get_lead_domain()
                except ValidationError as error:
                    parsed[text] = error
            domain = parsed[text]
            if isinstance(domain, ValidationError):
                # A filter made invalid later (e.g. a field removed with its module)
                # must not block the CRM: keep the last actuals and say why.
                _logger.warning("Objective %s not refreshed: %s", objective_id, domain)
                broken_ids.append(target_id)
                continue
            key = (measure, field_name if measure == "sum" else None, repr(domain))
            domains[key[2]] = domain
            group_ids[key].append(target_id)
        groups = {key: targets.browse(ids) for key, ids in group_ids.items()}
        return groups, domains, targets.browse(broken_ids)

    def _read_target_info(self, targets):
        """What :meth:`action_refresh_actuals` passes as ``target_info``, read in one
        query for callers that do not have it."""
        self.env["msp.business.plan"].flush_model(["currency_id", "company_id"])
        self.env["msp.business.plan.objective"].flush_model(
            ["measure", "sum_field_id", "lead_domain"]
        )
        targets.flush_recordset(["objective_id"])
        return {
            row[0]: row[1:]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT target.id, objective.id, objective.measure, field.name,
                           objective.lead_domain, plan.currency_id, plan.company_id
                      FROM msp_business_plan_objective_target target
                      JOIN msp_business_plan_objective objective
                        ON objective.id = target.objective_id
                      JOIN msp_business_plan plan ON plan.id = objective.plan_id
                 LEFT JOIN ir_model_fields field ON field.id = objective.sum_field_id
                     WHERE target.id = ANY(%s)
                    """,
                    targets.ids,
                )
            )
        }

    def _compute_deal_actuals(self, kind, targets, target_info=None):
        """Actuals of period targets of one automatic kind: one query per group of
        objectives measuring the same thing, plus one for currency rates when needed."""
        target_info = target_info or self._read_target_info(targets)
        groups, domains, broken = self._get_deal_groups(targets, target_info)
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
            actuals.update(self._convert_deal_rows(monetary_rows, target_info))
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

    def _convert_deal_rows(self, rows, target_info):
        """Convert ``(target id, currency id, day, amount)`` rows into each target's plan
        currency at the rates of each day: one query for all the rates needed."""
        target_currencies = {row[0]: tuple(target_info[row[0]][4:6]) for row in rows}
        currency_ids = {row[1] for row in rows} | {cur for cur, _co in target_currencies.values()}
        companies = self.env["res.company"].browse({co for _cur, co in target_currencies.values()})
        roots = {company: company.root_id.id for company in companies}
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
        currencies = self.env["res.currency"].browse(
            {currency_id for currency_id, _company in target_currencies.values()}
        )
        by_id = {currency.id: currency for currency in currencies}
        return {
            target_id: by_id[currency_id].round(totals.get(target_id, 0.0))
            for target_id, (currency_id, _company) in target_currencies.items()
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
