import ast
import functools
from collections import defaultdict
from typing import NamedTuple

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, formatLang, mute_logger

from ..tools import compat, cron_batch, deal_tracking, planning, tracking_engine, values
from ..tools import figures as figure_rules
from ..tools import forecast as forecast_rules
from ..tools.figures import FIGURE_KINDS
from ..tools.tracking_engine import (
    PARAM_AT_RISK,
    PARAM_ON_TRACK,
    PERIOD_END,
    PERIOD_ID,
    PERIOD_OBJECTIVE,
    PERIOD_START,
    PERIOD_TARGET,
    TrackingEngine,
)


class FiguresToDate(NamedTuple):
    """An objective as of a day: the target due by then and the actual achieved."""

    target: float
    actual: float


AUTOMATIC_TYPES = ("deal_registration", "qualified_deal_registration", "won_deal")
NUMERIC_FIELD_TYPES = ("integer", "float", "monetary")
# The deal fields an objective (or a template line) may add up.
SUM_FIELD_DOMAIN = [
    ("model", "=", "crm.lead"),
    ("ttype", "in", NUMERIC_FIELD_TYPES),
    ("store", "=", True),
]
# What an objective measures and how its target is split; templates offer the same.
MEASURES = [("count", "Count"), ("sum", "Sum")]
PERIODICITIES = [("annual", "Annual"), ("quarterly", "Quarterly"), ("monthly", "Monthly")]


class MspBusinessPlanObjective(models.Model):
    _name = "msp.business.plan.objective"
    _inherit = ["msp.partner.isolation.mixin"]
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
        ],
        string="Kind",
        required=True,
        default="manual",
        help="Manual: progress is reported by the channel manager or the partner. "
        "Deal registrations: deals registered by the partner (by registration date). "
        "Qualified: registered deals approved and turned into opportunities. "
        "Won deals: registered deals won (by closing date).",
    )
    measure = fields.Selection(
        MEASURES,
        required=True,
        default="count",
        help="Count the matching deals, or add up one of their numeric fields.",
    )
    sum_field_id = fields.Many2one(
        "ir.model.fields",
        string="Summed Field",
        default=_default_sum_field_id,
        ondelete="set null",
        domain=SUM_FIELD_DOMAIN,
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
    deal_filter_preview = fields.Char(
        compute="_compute_deal_filter_preview",
        groups="base.group_user",
        help="How many of this partner's registered deals the objective counts with this "
        "filter, over the whole plan (not the whole CRM).",
    )
    deal_count = fields.Integer(
        string="Deals Counted",
        compute="_compute_deal_count",
        groups="base.group_user",
        help="The partner's registered deals this objective counts, in all its periods.",
    )
    weight = fields.Integer(
        default=10,
        required=True,
        # A weight is a share within its plan: added up across plans it means nothing.
        aggregator=False,
        help="Relative importance (1 to 100) of the objective in the plan's progress.",
    )
    periodicity = fields.Selection(
        PERIODICITIES,
        required=True,
        default="quarterly",
        help="How the target is split over the plan: one period, calendar quarters or "
        "calendar months (clipped to the plan dates).",
    )
    figure_kind = fields.Selection(
        FIGURE_KINDS,
        compute="_compute_figure_kind",
        help="How the target and actual read: an amount in the plan currency, a whole "
        "number of deals or completions, or a number reported by hand.",
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
    forecast_value = fields.Float(
        string="Forecast",
        compute="_compute_forecast",
        store=True,
        aggregator="sum",
        help="Sum of the period forecasts: the actual plus the partner's open registered "
        "deals expected to close within the plan, weighted by their probability (won-deal "
        "objectives; for the others the forecast is the actual). As of the last refresh.",
    )
    forecast_to_miss = fields.Boolean(
        string="Forecast to Miss",
        compute="_compute_forecast",
        store=True,
        help="The plan is running and not over, and the forecast (actual plus weighted "
        "open pipeline) is below the target.",
    )
    figures_date = fields.Date(
        string="Figures Computed On",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="The day (UTC) the tracking engine last computed this objective's progress and "
        "pacing. Expected progress moves with the calendar: a refresh on that same day "
        "recomputes only the objectives whose actuals or forecasts changed.",
    )

    template_line_id = fields.Many2one(
        "msp.business.plan.template.line",
        string="Template Objective",
        copy=False,
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        groups="base.group_user",
        help="The objective of the plan template this objective was generated from: the "
        "peer benchmark compares it with the same objective of the other partners.",
    )

    _weight_range = compat.Constraint(
        "CHECK (weight BETWEEN 1 AND 100)",
        "The weight of an objective must be between 1 and 100.",
    )
    _target_positive = compat.Constraint(
        "CHECK (target_value >= 0)",
        "The target of an objective cannot be negative.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("objective_type", "measure", "sum_field_id")
    def _compute_figure_kind(self):
        monetary = self._filter_monetary()
        for objective in self:
            if objective in monetary:
                objective.figure_kind = "amount"
            elif objective.objective_type != "manual" and objective.measure == "count":
                objective.figure_kind = "count"
            else:
                objective.figure_kind = "number"

    @api.depends("objective_type", "lead_domain", "partner_id")
    def _compute_deal_filter_preview(self):
        tracked = self.filtered(
            lambda o: o.objective_type in deal_tracking.TRACKED_KINDS and o._origin.id
        )
        counts = {}
        previews = {}
        edited = []
        for objective in tracked:
            try:
                domain = objective._get_lead_domain()
            except ValidationError as error:
                previews[objective] = error.args[0]
                continue
            if objective.id:
                continue  # saved as shown: counted with the others below
            edited.append((objective, domain))
        # Saved objectives (a plan form lists them all): the actuals' queries, one per
        # kind and deal filter, whatever the number of objectives.
        saved = tracked.filtered(lambda o: o.id and o not in previews)
        counted = saved._get_counted_deals() if saved else {}
        for objective in saved:
            deals = counted.get(objective.id, {})
            counts[objective] = len({lead_id for ids in deals.values() for lead_id in ids})
        # An objective being edited in its form: its filter as it stands, not yet saved.
        for objective, domain in edited:
            counts[objective] = objective._origin._count_deals(objective.objective_type, domain)
        for objective in self:
            partner = objective.commercial_partner_id.name or objective.partner_id.name
            if objective in previews:
                objective.deal_filter_preview = previews[objective]
            elif objective not in counts:
                objective.deal_filter_preview = False
            elif counts[objective] == 1:
                objective.deal_filter_preview = _("1 deal of %(partner)s matches", partner=partner)
            elif counts[objective]:
                objective.deal_filter_preview = _(
                    "%(count)s deals of %(partner)s match", count=counts[objective], partner=partner
                )
            else:
                objective.deal_filter_preview = _(
                    "No deal of %(partner)s matches yet", partner=partner
                )

    def _compute_deal_count(self):
        # A form being edited counts what its saved objective counts.
        counted = self._origin._get_counted_deals()
        for objective in self:
            deals = counted.get(objective._origin.id, {})
            objective.deal_count = len({lead_id for ids in deals.values() for lead_id in ids})

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
        if len(self) > compat.PREFETCH_MAX and all(self._ids):
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

    @api.depends("target_ids.forecast_value", "target_value", "plan_state", "date_end")
    def _compute_forecast(self):
        today = self._pacing_today()
        for objective in self:
            objective.forecast_value = sum(objective.target_ids.mapped("forecast_value"))
            objective.forecast_to_miss = forecast_rules.objective_to_miss(
                objective.forecast_value,
                objective.target_value,
                objective.date_end,
                objective.plan_state,
                today,
                pipeline=objective._has_pipeline(),
            )

    @api.depends("progress", "target_ids.target_value", "target_ids.date_start", "plan_state")
    def _compute_pacing(self):
        today = self._pacing_today()
        thresholds = self._pacing_thresholds()
        periods_by_objective = self._get_periods_by_objective()
        for objective in self:
            periods = periods_by_objective.get(objective.id)
            if periods is None:
                periods = [(t.date_start, t.date_end, t.target_value) for t in objective.target_ids]
            _progress, objective.expected_progress, objective.pacing_status = (
                self._objective_figures(
                    objective.actual_value,
                    objective.target_value,
                    periods,
                    objective.plan_state,
                    today,
                    thresholds,
                )
            )

    @api.model
    def _objective_figures(
        self, actual, target, periods, plan_state, today, thresholds, expected=None
    ):
        """``(progress, expected progress, pacing status)`` of one objective from its
        ``periods`` (``(date_start, date_end, target)``), by the pacing ``thresholds``:
        the rules of the computed fields above, shared with the bulk refresh, which
        passes the ``expected`` progress of such periods when it has it already."""
        progress = planning.progress_percent(actual, target)
        if expected is None:
            expected = planning.expected_progress(periods, today)
        running = plan_state in planning.RUNNING_STATES and periods
        status = planning.pacing_status(progress, expected, thresholds) if running else False
        return progress, expected, status

    def _get_periods_by_objective(self):
        """{objective id: [(date_start, date_end, target)]} of a big batch of stored
        objectives, read in one query whatever their number (the ORM would read the
        periods by batches of PREFETCH_MAX); empty for a small batch, which the ORM
        reads from its cache."""
        if len(self) <= compat.PREFETCH_MAX or not all(self._ids):
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
                        "this kind of objective.",
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
    def _pacing_thresholds(self):
        """The pacing thresholds set in Settings (percent of the expected progress),
        as :class:`~..tools.planning.PacingThresholds` shares; read once per
        computation, never per record."""
        # sudo: configuration values, not business data; everyone's pacing uses them.
        params = self.env["ir.config_parameter"].sudo()
        return planning.thresholds_from_percent(
            params.get_param(PARAM_ON_TRACK), params.get_param(PARAM_AT_RISK)
        )

    @api.model
    def _precheck_values(self, vals):
        """The one check of an objective's weight and target, on the values given to
        create and write: the only ways in (an objective's target is otherwise the sum
        of its period targets, each checked by the period's own precheck). A wrong
        value is refused with a ValidationError in the user's words, before the ORM
        converts it (a text, None) or the database's check constraints abort the
        transaction with an integrity error (out of range, negative)."""
        if "weight" in vals and values.number_issue(vals["weight"], 1, 100):
            raise ValidationError(
                _(
                    "The weight of an objective must be between 1 and 100 (got %(weight)s).",
                    weight=vals["weight"],
                )
            )
        if vals.get("target_value") is not None:
            self._precheck_target_value(
                vals["target_value"], _("The target of an objective must be a positive number.")
            )

    @api.model
    def _precheck_target_value(self, value, negative_message):
        """The rule of every target, an objective's or a period's: a number, finite,
        not absurdly large, not negative (``negative_message`` says so)."""
        issue = values.number_issue(value, minimum=0)
        if issue == "not_a_number":
            raise ValidationError(_("“%(value)s” is not a number.", value=value))
        if issue == "too_large":
            raise ValidationError(_("%(value)s is too large for a target.", value=value))
        if issue:
            raise ValidationError(negative_message)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._precheck_values(vals)
        self.env["msp.business.plan"].browse(
            {vals["plan_id"] for vals in vals_list if vals.get("plan_id")}
        )._check_not_on_record()
        objectives = super().create(vals_list)
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
        plans = self.plan_id
        if vals.get("plan_id"):
            plans |= plans.browse(vals["plan_id"])
        plans._check_not_on_record()
        res = super().write(vals)
        if "periodicity" in vals:
            self._generate_targets()
        elif vals.keys() & self._get_tracking_definition_fields():
            self.action_refresh_actuals()
        return res

    def unlink(self):
        self.plan_id._check_not_on_record()
        return super().unlink()

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_lead_domain(self):
        """The deal filter as a domain, parsed as a literal (never evaluated) and
        checked against crm.lead; a ValidationError says what is wrong."""
        self.ensure_one()
        return self._parse_lead_domain(self.lead_domain)

    def _parse_lead_domain(self, text, to_sql=None):
        """:meth:`_get_lead_domain` of the filter ``text`` of the objective ``self``,
        whose name is only read to say what is wrong. The filter is checked on the
        deals by a search (not run), or by ``to_sql(domain)``, the caller's own
        conversion to SQL when it has one (the tracking engine's, kept for its
        query)."""
        text = (text or "").strip() or "[]"
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
            domain = compat.Domain.normalize(list(domain))
            if to_sql is not None:
                to_sql(domain)
            elif not compat.Domain.is_true(domain):  # (no filter: nothing to check)
                self.env["crm.lead"].sudo()._search(domain)
        except (ValueError, TypeError, AssertionError, KeyError) as error:
            raise ValidationError(
                _(
                    "The deal filter of “%(objective)s” cannot be used on deals: %(error)s",
                    objective=self.name,
                    error=error,
                )
            ) from None
        return domain

    def _format_figure(self, value, kind=None, currency=None):
        """Text of ``value``, a target or actual of this objective (or of ``kind`` in
        ``currency``, for a snapshot line whose objective may be gone), as it reads in
        every place: rounded by the one rule of :mod:`..tools.figures`, counts as
        whole numbers, amounts with the plan currency's symbol."""
        kind = kind or (self.figure_kind if self else "number")
        currency = currency if currency is not None else self.currency_id
        return figure_rules.format_figure(
            value,
            kind,
            lambda number, digits: formatLang(self.env, number, digits=digits),
            (currency.symbol, currency.position, currency.decimal_places) if currency else None,
        )

    def _format_forecast(self, value):
        """Text of a forecast (or weighted pipeline) of this objective: as its figures,
        but a count's with one decimal when it weighs open deals by probability."""
        kind = figure_rules.forecast_kind(self.figure_kind, self._has_pipeline())
        return self._format_figure(value, kind=kind)

    def _has_pipeline(self):
        """Whether this objective's forecast weighs open deals (its kind has a pipeline):
        for the others the forecast is the actual."""
        self.ensure_one()
        return deal_tracking.has_pipeline(self.objective_type)

    def _pipeline_value(self):
        """The weighted open pipeline of this objective: its forecast less its actual."""
        self.ensure_one()
        return forecast_rules.pipeline_of(self.forecast_value, self.actual_value)

    @api.model
    def _format_percent(self, value):
        """A percentage as it reads in every place (``"13%"``)."""
        return figure_rules.format_percent(value)

    @api.model
    def _round_percent(self, value):
        return figure_rules.percent(value)

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
        """Recompute the period actuals of these objectives in batch, and with them the
        progress and pacing of their periods, of themselves and of their plans: the
        database compares the stored figures with the deals, and only what may change
        is read and recomputed; one statement updates the rows whose figures changed,
        in every table, whatever their number (see ``tools/tracking_engine.py``)."""
        if not self:
            return True
        # Whoever may not change these objectives may not make the system do it
        # (internal callers acting for someone else, e.g. on a CRM change, are sudo).
        if not self.env.su:
            self.check_access("write")
        return self._refresh_actuals_where(
            # One array parameter: not an ARRAY[...] of thousands of values to parse.
            SQL("objective.id = ANY(%s::int4[])", tracking_engine.array_literal(self.ids)),
            few=len(self) <= tracking_engine.FEW_OBJECTIVES,
        )

    @api.model
    def _refresh_partner_actuals(self, partners, kinds):
        """:meth:`action_refresh_actuals` on the objectives of ``kinds`` of these
        partner companies' plans that are not cancelled, selected by the same query
        that reads their periods (no search first)."""
        if not partners:
            return True
        self.flush_model(["commercial_partner_id", "objective_type", "plan_state"])
        return self._refresh_actuals_where(
            SQL(
                "objective.commercial_partner_id = ANY(%s) AND objective.objective_type IN %s"
                " AND objective.plan_state != 'cancelled'",
                partners.ids,
                tuple(kinds),
            ),
            # A registration write refreshes its partner's few objectives.
            few=len(partners) == 1,
        )

    def _refresh_actuals_where(self, condition, actuals=True, force=False, few=False):
        """Refresh the figures of the objectives matching ``condition`` (SQL on
        ``msp_business_plan_objective objective``) with the tracking engine
        (``tools/tracking_engine.py``): their period actuals (unless ``actuals`` is
        False: pacing only, which moves with the calendar), then the progress and pacing
        of the periods, the objectives and their plans. Objectives whose figures were
        computed today already and whose actuals did not change are left as they are,
        unless ``force`` (see :meth:`TrackingEngine.for_refresh`, and for ``few``)."""
        engine, values = TrackingEngine.for_refresh(
            self, condition, actuals=actuals, force=force, few=few
        )
        if engine is not None:
            self._store_target_actuals(values, engine)
        return True

    def _store_target_actuals(self, values, engine):
        """Store ``{period target id: actual}`` (every period of ``engine``) with the
        progress and pacing that follow: the rows whose figures changed, in one
        statement."""
        tracking_engine.write_figures(self.env, engine.figures(values))

    def _get_actual_computers(self, engine=None):
        """The tracking engine's extension point: ``{objective kind: aggregate}``, an
        aggregate being ``function(period targets, cut=None) -> {target id: actual}``
        (with a ``cut``, a day, what each period counted up to that day), computing
        all the periods given in a constant number of queries. A module adding an
        objective kind adds its aggregate here (see ``docs/tracking_engine.md``).
        ``engine`` (a :class:`TrackingEngine`), when the caller has one, holds what
        the periods measure, read once for every kind."""
        return {
            "manual": self._manual_actuals,
            **{
                kind: functools.partial(self._deal_actuals, kind, engine)
                for kind in deal_tracking.TRACKED_KINDS
            },
        }

    def _deal_actuals(self, kind, engine, targets, cut=None):
        """The aggregate of the deal kinds: :meth:`TrackingEngine.deal_actuals`."""
        if engine is None or engine.cut != cut:
            engine = TrackingEngine.for_targets(targets, cut=cut)
        return engine.deal_actuals(kind, targets.ids)

    @api.model
    def _get_tracking_definition_fields(self):
        """Fields defining what an objective measures: changing one recomputes it."""
        return {"objective_type", "measure", "sum_field_id", "lead_domain"}

    def _manual_actuals(self, targets, cut=None):
        """The aggregate of the manual kind: the sum of the progress updates dated
        inside each period (up to the day ``cut`` when given), in one query."""
        self.env["msp.business.plan.objective.update"].flush_model(
            ["objective_id", "date", "value"]
        )
        targets.flush_recordset(["objective_id", "date_start", "date_end"])
        # LEAST ignores a NULL cut: the whole period.
        self.env.cr.execute(
            """
            SELECT target.id, SUM(upd.value)
              FROM msp_business_plan_objective_target target
              JOIN msp_business_plan_objective_update upd
                ON upd.objective_id = target.objective_id
               AND upd.date BETWEEN target.date_start AND LEAST(target.date_end, %s::date)
             WHERE target.id = ANY(%s)
          GROUP BY target.id
            """,
            [cut or None, targets.ids],
        )
        return dict(self.env.cr.fetchall())

    def _recompute_pacing(self, force=False):
        """Expected progress moves with the calendar: recompute it, and the pacing of
        the periods, objectives and plans, from the actuals as they are. Objectives
        computed today already (by the daily refresh of actuals, or a deal's change)
        are left out, unless ``force`` (the pacing thresholds changed)."""
        if self:
            self._refresh_actuals_where(
                SQL("objective.id = ANY(%s)", self.ids), actuals=False, force=force
            )

    def _get_figures_to_date(self, day):
        """``{objective id: FiguresToDate}`` of these objectives as of the end of ``day``:
        the target due by then (:func:`planning.target_to_date`) and what was achieved
        up to that day: deals dated in the periods up to it, updates dated up to it,
        whatever the periodicity (an annual objective gets its actual to date, not its
        period's total). The refresh's engine with a date cut: one query reads the
        periods, one the objectives, one aggregate per kind and deal filter, none per
        objective. Nothing is written: a done review freezes these."""
        if not self:
            return {}
        engine = TrackingEngine.for_condition(
            self, SQL("target.objective_id = ANY(%s)", self.ids), day
        )
        periods = engine.periods if engine else []
        actuals = {}
        if engine:
            actuals = engine.actuals(
                [row[PERIOD_ID] for row in periods if row[PERIOD_START] <= day]
            )
        spans = defaultdict(list)
        totals = defaultdict(float)
        for row in periods:
            objective_id = row[PERIOD_OBJECTIVE]
            spans[objective_id].append((row[PERIOD_START], row[PERIOD_END], row[PERIOD_TARGET]))
            totals[objective_id] += actuals.get(row[PERIOD_ID]) or 0.0
        return {
            objective_id: FiguresToDate(
                target=planning.target_to_date(spans[objective_id], day),
                actual=totals[objective_id],
            )
            for objective_id in self.ids
        }

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
        # The value and the date are checked where they enter the model, by the update.
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
        contact moved to another company). Partner company by partner company, in
        batches committed one by one that resume after a crash (``tools/cron_batch``);
        objectives that fell off track become an activity of their channel manager."""
        domain = [("plan_state", "=", "in_progress"), ("objective_type", "!=", "manual")]

        def refresh(partner_ids):
            objectives = self.search([*domain, ("commercial_partner_id", "in", partner_ids)])
            objectives.action_refresh_actuals()
            # The news the refresh brings: objectives fallen off track (or back on it).
            objectives._sync_off_track_activities()

        return cron_batch.run(self, "refresh_actuals", domain, "commercial_partner_id", refresh)

    # ------------------------------------------------------------
    # DEAL TRACKING
    # ------------------------------------------------------------

    def _query_deals(self, kind, targets, domain, select):
        """The deals each of the period ``targets`` counts, for listing them:
        :func:`tracking_engine.period_deals_query` run."""
        return self.env.execute_query(
            tracking_engine.period_deals_query(self.env, kind, targets.ids, domain, select)
        )

    def _deal_populations(self, targets):
        """``[(kind, domain, targets)]``: the period ``targets`` of deal kinds by
        population (kind and deal filter), as the actuals aggregate them."""
        if not targets:
            return []
        engine = TrackingEngine.for_targets(targets)
        by_kind = defaultdict(list)
        for row in engine.periods:
            by_kind[engine.objectives[row[PERIOD_OBJECTIVE]].kind].append(row[PERIOD_ID])
        populations = []
        for kind in deal_tracking.TRACKED_KINDS:
            if kind in by_kind:
                groups, _broken = engine.populations(kind, by_kind[kind])
                populations += [
                    (kind, domain, targets.browse(ids)) for domain, ids in groups.values()
                ]
        return populations

    def _count_deals(self, kind, domain):
        """Number of distinct deals the periods of this stored objective count when it
        is of ``kind`` with the deal filter ``domain`` (the form's values, maybe not
        saved yet): the actuals' conditions, counting deals rather than per period."""
        self.ensure_one()
        targets = self.target_ids
        if not targets:
            return 0
        [(count,)] = self._query_deals(kind, targets, domain, SQL("COUNT(DISTINCT crm_lead.id)"))
        return count

    def _get_counted_deals(self):
        """``{objective id: {period target id: [lead ids]}}``: the deals each period of
        these objectives counts, one query per kind and deal filter, whoever reads them."""
        counted = defaultdict(lambda: defaultdict(list))
        objectives = self.filtered("id")
        for kind, domain, group in self._deal_populations(objectives.target_ids):
            rows = self._query_deals(
                kind, group, domain, SQL("DISTINCT target.objective_id, target.id, crm_lead.id")
            )
            for objective_id, target_id, lead_id in rows:
                counted[objective_id][target_id].append(lead_id)
        return counted

    def action_view_deals(self):
        """The deals this objective counts, in every period: the reverse of the
        lead's Objectives button."""
        self.ensure_one()
        self._check_staff()
        counted = self._get_counted_deals().get(self.id, {})
        return self._deals_action(
            {lead_id for ids in counted.values() for lead_id in ids},
            _("Deals counted by %(objective)s", objective=self.name),
        )

    def _check_staff(self):
        """The deals behind the figures are the vendor's pipeline: staff only."""
        if not self.env.user.has_group("base.group_user"):
            raise AccessError(_("Only the channel team can list the deals behind an objective."))

    def _deals_action(self, lead_ids, name):
        """A CRM window on ``lead_ids`` (read with the user's own rights)."""
        action = self.env["ir.actions.act_window"]._for_xml_id("crm.crm_lead_all_leads")
        action.update(
            {
                "name": name,
                "domain": [("id", "in", sorted(lead_ids))],
                "context": {"active_test": False, "create": False},
                "view_mode": "list,kanban,form",
                "views": [(False, "list"), (False, "kanban"), (False, "form")],
                "help": _(
                    "<p class='o_view_nocontent_empty_folder'>No deal counted yet</p>"
                    "<p>The partner's registered deals appear here once they count toward "
                    "this objective: of its kind, matching its deal filter, dated in one of "
                    "its periods.</p>"
                ),
            }
        )
        return action

    def _get_contributions(self, leads):
        """{lead id: ids of the objectives of ``self`` the lead counts toward}, by the
        same conditions as the actuals, restricted to ``leads``."""
        contributions = defaultdict(set)
        for kind, domain, group in self._deal_populations(self.target_ids):
            domain = compat.Domain.AND([domain, [("id", "in", leads.ids)]])
            rows = self._query_deals(
                kind, group, domain, SQL("DISTINCT crm_lead.id, target.objective_id")
            )
            for lead_id, objective_id in rows:
                contributions[lead_id].add(objective_id)
        return contributions
