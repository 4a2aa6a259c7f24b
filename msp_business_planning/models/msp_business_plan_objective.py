import ast
import functools
import itertools
import logging
import operator
from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, formatLang, mute_logger

from ..tools import compat, cron_batch, deal_tracking, planning, values
from ..tools import figures as figure_rules
from ..tools.figures import FIGURE_KINDS

_logger = logging.getLogger(__name__)


def _array_literal(values):
    """A PostgreSQL array literal (``'{1,2.5,NULL}'``) of numbers, or of the pacing
    keys (never user text), for one bulk UPDATE: one short string parameter instead of
    an ``ARRAY[...]`` expression of a hundred thousand values to build and parse."""
    if None in values:
        values = ("NULL" if value is None else value for value in values)
    return "{" + ",".join(map(str, values)) + "}"


class FigureColumns:
    """Figures of records, one list per figure: the new values of every record, and
    the indexes of those whose stored values differ."""

    __slots__ = ("_appends", "changed", "columns", "ids")

    def __init__(self, width):
        self.ids = []
        self.columns = [[] for _index in range(width)]
        self._appends = [column.append for column in self.columns]
        self.changed = []

    def add(self, record_id, stored, figures):
        """Add a record's new ``figures`` (a tuple), ``stored`` being what the database
        holds (a sequence of the same length)."""
        if tuple(stored) != figures:
            self.changed.append(len(self.ids))
        self.ids.append(record_id)
        for append, value in zip(self._appends, figures, strict=True):
            append(value)

    def changed_columns(self):
        """``(ids, columns)`` of the changed records only."""
        changed = self.changed
        ids = self.ids
        return [ids[index] for index in changed], [
            [column[index] for index in changed] for column in self.columns
        ]


# The figures a refresh computes and writes itself, after the actuals.
PACING_FIELDS = ("progress", "expected_progress", "pacing_status")
# Column types of the arrays of a bulk UPDATE, by field type.
BULK_COLUMN_TYPES = {"float": "float8", "integer": "int4", "selection": "varchar"}
ONE_DAY = timedelta(days=1)


class FiguresToDate(NamedTuple):
    """An objective as of a day: the target due by then and the actual achieved."""

    target: float
    actual: float


# System parameters of the pacing thresholds (percent), set in Settings.
PARAM_ON_TRACK = "msp_business_planning.on_track_threshold"
PARAM_AT_RISK = "msp_business_planning.at_risk_threshold"

AUTOMATIC_TYPES = ("deal_registration", "qualified_deal_registration", "won_deal")
NUMERIC_FIELD_TYPES = ("integer", "float", "monetary")


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
        [("annual", "Annual"), ("quarterly", "Quarterly"), ("monthly", "Monthly")],
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
    def _objective_figures(self, actual, target, periods, plan_state, today, thresholds):
        """``(progress, expected progress, pacing status)`` of one objective from its
        ``periods`` (``(date_start, date_end, target)``), by the pacing ``thresholds``:
        the rules of the computed fields above, shared with the bulk refresh."""
        progress = planning.progress_percent(actual, target)
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

    def _parse_lead_domain(self, text):
        """:meth:`_get_lead_domain` of the filter ``text`` of the objective ``self``,
        whose name is only read to say what is wrong."""
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
        progress and pacing of their periods, of themselves and of their plans: one
        query reads the periods and what their objectives measure, one aggregate query
        per kind of deal and deal filter, and one bulk UPDATE per table of the rows
        whose figures changed, whatever their number."""
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
        self.env["msp.business.plan.objective.target"].flush_model(
            ["commercial_partner_id", "objective_type", "plan_state"]
        )
        return self._refresh_actuals_where(
            SQL(
                "target.commercial_partner_id = ANY(%s) AND target.objective_type IN %s"
                " AND target.plan_state != 'cancelled'",
                partners.ids,
                tuple(kinds),
            )
        )

    def _refresh_actuals_where(self, condition, actuals=True):
        """Refresh the figures of the objectives whose periods match ``condition`` (SQL
        on the period targets, ``target``; it selects whole objectives): their
        period actuals (unless ``actuals`` is False: pacing only, which moves with the
        calendar), then the progress and pacing of the periods, the objectives and
        their plans."""
        Target = self.env["msp.business.plan.objective.target"]
        # Every pending value first, recomputed and written: the figures are read from
        # the database, and a stale value flushed after the bulk writes would undo them.
        Target.flush_model()
        self.flush_model()
        self.env["msp.business.plan"].flush_model()
        periods = self.env.execute_query(
            SQL(
                """
                SELECT target.id, target.objective_id, target.date_start, target.date_end,
                       COALESCE(target.target_value, 0), target.actual_value,
                       target.progress, target.expected_progress, target.pacing_status
                  FROM msp_business_plan_objective_target target
                 WHERE %s
              ORDER BY target.objective_id, target.date_start, target.id
                """,
                condition,
            )
        )
        if not periods:
            return True
        objectives = self._read_plan_objectives({period[1] for period in periods})
        values = {period[0]: period[5] or 0.0 for period in periods}
        if actuals:
            kinds = {row[0]: row[8] for row in objectives}
            by_kind = defaultdict(list)
            for period in periods:
                by_kind[kinds[period[1]]].append(period[0])
            computers = self._get_actual_computers(
                target_info=deal_tracking.TargetInfo(
                    periods,
                    {row[0]: (row[0], *row[9:14]) for row in objectives},
                    # Every company and plan in one currency: no deal to convert.
                    one_currency=all(row[12] == row[18] == row[19] for row in objectives),
                )
            )
            for kind, target_ids in by_kind.items():
                if kind not in computers:
                    continue  # measured by a module not installed: keep the last actuals
                computed = computers[kind](Target.browse(target_ids))
                values.update(
                    {target_id: computed.get(target_id) or 0.0 for target_id in target_ids}
                )
        self._store_target_actuals(values, periods, objectives)
        return True

    def _store_target_actuals(self, values, periods, objectives):
        """Store ``{period target id: actual}`` with the progress and pacing that follow
        from it for the periods, their objectives and their plans: the rows whose
        figures changed, in one UPDATE per table. ``periods`` are the whole periods of
        each objective refreshed, as :meth:`_refresh_actuals_where` reads them (by
        objective and date), and ``objectives`` every objective of their plans, as
        :meth:`_read_plan_objectives` does.

        The rules are the computed fields' own (the same functions); the ORM would
        apply them record by record, in minutes at channel scale. Figures are kept in
        columns (lists of numbers) rather than a tuple per period: a million small
        objects alive at once would keep Python's garbage collector busy."""
        Target = self.env["msp.business.plan.objective.target"]
        Plan = self.env["msp.business.plan"]
        today = self._pacing_today()
        # Read once for the whole refresh, by the query of the objectives (no query of
        # its own, whatever the state of the caches).
        thresholds = planning.thresholds_from_percent(*objectives[0][20:22])
        period_figures = Target._period_figures
        objective_index = {row[0]: row for row in objectives}
        targets = FigureColumns(4)
        elapsed = {}  # (start, end): expected progress of such a period today
        objective_figures = {}  # objective id: (actual, progress, expected, status)
        for objective_id, rows in itertools.groupby(periods, key=operator.itemgetter(1)):
            objective = objective_index[objective_id]
            state = objective[14]
            period_actuals, spans = [], []
            for row in rows:
                target_id, _objective_id, start, end, target = row[:5]
                actual = values[target_id]
                span = row[2:4]
                expected = elapsed.get(span)
                if expected is None:
                    expected = elapsed[span] = planning.period_expected(start, end, today)
                progress, expected, status = period_figures(
                    actual, target, start, end, state, today, thresholds, expected
                )
                targets.add(target_id, row[5:9], (actual, progress, expected, status or None))
                period_actuals.append(actual)
                spans.append((start, end, target))
            actual = sum(period_actuals)
            progress, expected, status = self._objective_figures(
                actual, objective[3], spans, state, today, thresholds
            )
            objective_figures[objective_id] = (actual, progress, expected, status or None)

        objective_columns = FigureColumns(4)
        plan_items = defaultdict(list)  # plan id: [(progress, expected, weight, target)]
        plan_stored = {}
        for row in objectives:
            objective_id, plan_id, weight, target = row[:4]
            figures = objective_figures.get(objective_id)
            if figures:
                objective_columns.add(objective_id, row[4:8], figures)
            else:
                figures = row[4:8]
            plan_items[plan_id].append((figures[1] or 0.0, figures[2] or 0.0, weight, target))
            plan_stored[plan_id] = row[14:18]
        plan_columns = FigureColumns(3)
        for plan_id, (state, *stored) in plan_stored.items():
            progress, expected, status = Plan._progress_figures(
                plan_items[plan_id], state, thresholds
            )
            plan_columns.add(plan_id, stored, (progress, expected, status or None))

        self._bulk_write_figures(
            [
                (Target, ("actual_value", *PACING_FIELDS), targets),
                (self, ("actual_value", *PACING_FIELDS), objective_columns),
                (Plan, PACING_FIELDS, plan_columns),
            ]
        )

    def _read_plan_objectives(self, objective_ids):
        """Every objective of the plans of ``objective_ids``, in the plans' order: a
        plan's figures weigh all its objectives, refreshed or not. Rows are ``(id, plan
        id, weight, target, actual, progress, expected progress, pacing status, kind,
        measure, summed field name, deal filter, plan currency id, plan company id, plan
        state, plan progress, plan expected progress, plan pacing status, lowest and
        highest currency id of the companies, on-track and at-risk thresholds set in
        Settings)``."""
        self.env["res.company"].flush_model(["currency_id"])
        self.env["ir.config_parameter"].flush_model(["key", "value"])
        return self.env.execute_query(
            SQL(
                """
                SELECT objective.id, objective.plan_id, objective.weight,
                       COALESCE(objective.target_value, 0), objective.actual_value,
                       objective.progress, objective.expected_progress,
                       objective.pacing_status, objective.objective_type, objective.measure,
                       field.name, objective.lead_domain, plan.currency_id, plan.company_id,
                       plan.state, plan.progress, plan.expected_progress, plan.pacing_status,
                       (SELECT MIN(currency_id) FROM res_company),
                       (SELECT MAX(currency_id) FROM res_company),
                       (SELECT value FROM ir_config_parameter WHERE key = %s),
                       (SELECT value FROM ir_config_parameter WHERE key = %s)
                  FROM msp_business_plan_objective objective
                  JOIN msp_business_plan plan ON plan.id = objective.plan_id
             LEFT JOIN ir_model_fields field ON field.id = objective.sum_field_id
                 WHERE objective.plan_id IN (
                       SELECT plan_id FROM msp_business_plan_objective WHERE id = ANY(%s))
              ORDER BY objective.plan_id, objective.sequence, objective.id
                """,
                PARAM_ON_TRACK,
                PARAM_AT_RISK,
                list(objective_ids),
            )
        )

    def _bulk_write_figures(self, batches):
        """Write computed figures in one UPDATE per model, for the rows whose stored
        figures differ; ``batches`` are ``(model, field names, FigureColumns)``, in the
        database's terms (no pacing status is None).

        The cache gets the new values, and the ORM recomputes nothing of what was
        written here: each figure's compute gives the value stored. Any other stored
        field depending on them (another module's) is left to the ORM as usual."""
        written = []
        for model, field_names, figures in batches:
            if figures.changed:
                self._bulk_update(model, field_names, *figures.changed_columns())
            records = model.browse(figures.ids)
            for field_name, column in zip(field_names, figures.columns, strict=True):
                self.env.cache.update(records, model._fields[field_name], column)
            written.append((records, field_names))
        handled = {
            records._fields[field_name]
            for records, field_names in written
            for field_name in field_names
        }
        cache = self.env.cache

        def depends_elsewhere(field):
            return field not in handled and (
                (field.compute and field.store) or cache.contains_field(field)
            )

        for records, field_names in written:
            fields_ = [records._fields[field_name] for field_name in field_names]
            if self.pool.get_trigger_tree(fields_, select=depends_elsewhere):
                records.modified(field_names)
        # What the ORM would have recomputed here is already stored and cached.
        for records, field_names in written:
            for field_name in field_names:
                self.env.remove_to_compute(records._fields[field_name], records)

    def _bulk_update(self, model, field_names, ids, columns):
        """``UPDATE`` of ``field_names`` on the records ``ids`` with ``columns`` (one
        list of values per field) in one statement: one array per column, passed as
        one literal each rather than an expression of a hundred thousand values to
        build and parse."""
        types = [SQL("int4")] + [
            SQL(BULK_COLUMN_TYPES[model._fields[field_name].type]) for field_name in field_names
        ]
        names = [SQL.identifier(field_name) for field_name in field_names]
        self.env.execute_query(
            SQL(
                """
                UPDATE %(table)s record
                   SET %(assignments)s, write_uid = %(uid)s, write_date = %(now)s
                  FROM unnest(%(arrays)s) AS new(id, %(names)s)
                 WHERE record.id = new.id
                """,
                table=SQL.identifier(model._table),
                assignments=SQL(", ").join(SQL("%s = new.%s", name, name) for name in names),
                uid=self.env.uid,
                now=self.env.cr.now(),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", _array_literal(column), type_)
                    for column, type_ in zip([ids, *columns], types, strict=True)
                ),
                names=SQL(", ").join(names),
            )
        )
        model.browse(ids).invalidate_recordset(["write_uid", "write_date"])

    def _get_actual_computers(self, target_info=None):
        """Objective kind -> function(period targets, cut=None) -> {target id: actual};
        with a ``cut`` (a day), what each period counted up to that day. Other
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

    def _compute_manual_actuals(self, targets, cut=None):
        """Sum of the progress updates dated inside each period (up to the day ``cut``
        when given), in one query."""
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

    def _recompute_pacing(self):
        """Expected progress moves with the calendar: recompute it, and the pacing of
        the periods, objectives and plans, from the actuals as they are."""
        if self:
            self._refresh_actuals_where(
                SQL("target.objective_id = ANY(%s)", self.ids), actuals=False
            )

    def _get_figures_to_date(self, day):
        """``{objective id: FiguresToDate}`` of these objectives as of the end of ``day``:
        the target due by then (:func:`planning.target_to_date`) and what was achieved
        up to that day: deals dated in the periods up to it, updates dated up to it,
        whatever the periodicity (an annual objective gets its actual to date, not its
        period's total). The actual refresh's engine with a date cut: one query reads
        the periods, one aggregate per kind and deal filter, none per objective. Nothing
        is written: a done review freezes these."""
        if not self:
            return {}
        Target = self.env["msp.business.plan.objective.target"]
        Target.flush_model(["objective_id", "date_start", "date_end", "target_value"])
        self.flush_model()
        periods = self.env.execute_query(
            SQL(
                """
                SELECT target.id, target.objective_id, target.date_start, target.date_end,
                       COALESCE(target.target_value, 0)
                  FROM msp_business_plan_objective_target target
                 WHERE target.objective_id = ANY(%s)
              ORDER BY target.objective_id, target.date_start, target.id
                """,
                self.ids,
            )
        )
        wanted = set(self.ids)
        objectives = {row[0]: row for row in self._read_plan_objectives(wanted) if row[0] in wanted}
        started = [period for period in periods if period[2] <= day]
        computers = self._get_actual_computers(
            target_info=deal_tracking.TargetInfo(
                started,
                {row[0]: (row[0], *row[9:14]) for row in objectives.values()},
                one_currency=all(row[12] == row[18] == row[19] for row in objectives.values()),
            )
        )
        by_kind = defaultdict(list)
        for period in started:
            by_kind[objectives[period[1]][8]].append(period[0])
        actuals = {}
        for kind, target_ids in by_kind.items():
            if kind in computers:
                actuals.update(computers[kind](Target.browse(target_ids), cut=day))
        spans = defaultdict(list)
        totals = defaultdict(float)
        for target_id, objective_id, start, end, target in periods:
            spans[objective_id].append((start, end, target))
            totals[objective_id] += actuals.get(target_id) or 0.0
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

    def _get_deal_groups(self, targets, target_info=None):
        """Group period targets by deal filter: each group is aggregated with one query
        (counting and adding up whatever its objectives measure), whatever the number
        of objectives in it. Each distinct deal filter is parsed once.

        Returns ``({domain key: targets}, {domain key: domain}, targets whose deal
        filter can no longer be used)``.
        """
        Objective = self.env["msp.business.plan.objective"]
        target_info = target_info or self._read_target_info(targets)
        parsed = {}  # filter text -> domain key, or None when it cannot be used
        group_ids = defaultdict(list)
        domains = {}
        broken_ids = []
        for target_id in targets.ids:
            objective = target_info.objective_of(target_id)
            objective_id, domain_text = objective[0], objective[3]
            if domain_text not in parsed:
                try:
                    domain = Objective.browse(objective_id)._parse_lead_domain(domain_text)
                except ValidationError as error:
                    # A filter made invalid later (e.g. a field removed with its module)
                    # must not block the CRM: keep the last actuals and say why.
                    _logger.warning("Objective %s not refreshed: %s", objective_id, error)
                    parsed[domain_text] = None
                else:
                    parsed[domain_text] = repr(domain)
                    domains[parsed[domain_text]] = domain
            key = parsed[domain_text]
            if key is None:
                broken_ids.append(target_id)
            else:
                group_ids[key].append(target_id)
        groups = {key: targets.browse(ids) for key, ids in group_ids.items()}
        return groups, domains, targets.browse(broken_ids)

    def _read_target_info(self, targets):
        """What :meth:`action_refresh_actuals` passes as ``target_info``, read in one
        query for callers that do not have it: {target id: (objective id, measure,
        summed field name, deal filter, plan currency id, plan company id, date start,
        date end)}."""
        self.env["msp.business.plan"].flush_model(["currency_id", "company_id"])
        self.env["msp.business.plan.objective"].flush_model(
            ["measure", "sum_field_id", "lead_domain"]
        )
        targets.flush_recordset(["objective_id", "date_start", "date_end"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT target.id, objective.id, target.date_start, target.date_end,
                       objective.measure, field.name, objective.lead_domain,
                       plan.currency_id, plan.company_id
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
        return deal_tracking.TargetInfo(rows, {row[1]: (row[1], *row[4:]) for row in rows})

    def _compute_deal_actuals(self, kind, targets, target_info=None, cut=None):
        """Actuals of period targets of one automatic kind: one query per deal filter
        (usually one for the kind), plus one for currency rates when some deals are
        in another currency than their plan. With a ``cut`` (a day), each period
        counts only its deals dated up to that day (see :meth:`_get_actuals_to_date`)."""
        target_info = target_info or self._read_target_info(targets)
        groups, domains, broken = self._get_deal_groups(targets, target_info)
        actuals = {target.id: target.actual_value for target in broken}
        for domain_key, group in groups.items():
            # What each period measures: the number of deals (None) or a summed field.
            measured = {}
            first = last = None
            for target_id in group.ids:
                objective = target_info.objective_of(target_id)
                period = target_info.period_of(target_id)
                measured[target_id] = objective[2] if objective[1] == "sum" else None
                if first is None or period[2] < first:
                    first = period[2]
                if last is None or period[3] > last:
                    last = period[3]
            if cut:
                last = min(last, cut)
            totals = self._sum_deals(
                kind,
                group,
                domains[domain_key],
                sorted(set(measured.values()) - {None}),
                target_info,
                window=(first, last),
                cut=cut,
            )
            actuals.update(
                {
                    target_id: totals[name].get(target_id, 0.0)
                    for target_id, name in measured.items()
                }
            )
        return actuals

    def _sum_deals(self, kind, targets, domain, field_names, target_info, window=None, cut=None):
        """``{None: {target id: number of deals}, field name: {target id: sum}}`` of the
        deals of ``kind`` matching ``domain`` that count for each period target, in one
        query (one per currency field when monetary fields disagree on it); ``window``
        and ``cut`` are passed on to :meth:`_query_deals`.

        Monetary sums are in the plan currency: the deals in it are added up exactly
        by the database; the others are grouped by currency and day, and converted at
        the rates of their day (one query for all the rates), then rounded."""
        Lead = self.env["crm.lead"]
        Lead.flush_model(field_names)
        plain = []
        monetary = defaultdict(list)  # the deals' currency field (None: company's): fields
        for field_name in field_names:
            currency_field = None
            if Lead._fields[field_name].type == "monetary":
                currency_field = self._get_deal_currency_field(field_name)
            if currency_field is None and (
                target_info.one_currency or Lead._fields[field_name].type != "monetary"
            ):
                # Amounts the database can add up as they are.
                plain.append(field_name)
            else:
                monetary[currency_field].append(field_name)
        totals = {name: defaultdict(float) for name in (None, *field_names)}
        foreign = []  # ((target id, field name), currency id, day, amount)
        for index, (currency_field, money_fields) in enumerate(
            list(monetary.items()) or [(None, [])]
        ):
            # The number of deals and the plain sums come with the first query.
            summed = [None, *plain, *money_fields] if index == 0 else money_fields
            aggregates = [
                SQL("SUM(%s)", SQL.identifier("crm_lead", name)) if name else SQL("COUNT(*)")
                for name in summed
            ]
            keys = [SQL("target.id")]
            if money_fields:
                # NULL currency and day: the deal is in the plan currency already.
                currency = self._get_deal_currency_sql(currency_field)
                keys += [
                    SQL("NULLIF(%s, plan.currency_id)", currency),
                    SQL("CASE WHEN %s != plan.currency_id THEN lead_day.day END", currency),
                ]
            key_sql = SQL(", ").join(keys)
            rows = self._query_deals(
                kind,
                targets,
                domain,
                SQL("%s, %s", key_sql, SQL(", ").join(aggregates)),
                group_by=key_sql,
                monetary=bool(money_fields),
                window=window,
                cut=cut,
            )
            columns = [(name, totals[name], name in money_fields) for name in summed]
            width = len(keys)
            for row in rows:
                target_id = row[0]
                in_other_currency = width > 1 and row[1] is not None
                for (name, total, is_money), value in zip(columns, row[width:], strict=True):
                    if is_money and in_other_currency:
                        foreign.append(((target_id, name), row[1], row[2], value))
                    else:
                        total[target_id] += value or 0
        if foreign:
            converted = self._convert_deal_rows(foreign, target_info)
            currencies = self.env["res.currency"].browse(
                {target_info[target_id][4] for target_id, _name in converted}
            )
            by_id = {currency.id: currency for currency in currencies}
            for (target_id, name), amount in converted.items():
                currency = by_id[target_info[target_id][4]]
                totals[name][target_id] = currency.round(totals[name][target_id] + amount)
        return totals

    def _query_deals(
        self, kind, targets, domain, select, group_by=None, monetary=False, window=None, cut=None
    ):
        """The one query behind deal tracking: the deals of ``kind`` joined to the period
        targets that count them. A deal counts for a target when it belongs to the
        target's partner company (any contact of it), is active, is in the plan's
        company (or has no company), matches ``domain`` and its day (UTC) lies inside
        the period. ``select`` and ``group_by`` use ``target``, ``crm_lead``, the deal's
        day ``lead_day.day`` and, when ``monetary``, ``plan``, ``plan_company`` and
        ``lead_company``. ``window`` (first day, last day), when given, spans every
        period: it lets the database skip the deals outside all of them at once.
        ``cut`` (a day), when given, ends every period on that day at the latest."""
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
            [
                "objective_id",
                "plan_id",
                "commercial_partner_id",
                "company_id",
                "date_start",
                "date_end",
            ]
        )
        self.env["crm.stage"].flush_model(["is_won"])
        lead_date = SQL.identifier("crm_lead", date_field)
        is_datetime = Lead._fields[date_field].type == "datetime"
        period_end = SQL("LEAST(target.date_end, %s)", cut) if cut else SQL("target.date_end")
        if is_datetime:
            # Stored in UTC: the period's days are taken in UTC too.
            in_period = SQL(
                "%s >= target.date_start AND %s < %s + 1", lead_date, lead_date, period_end
            )
            day = SQL("(%s)::date", lead_date)
        else:
            in_period = SQL("%s BETWEEN target.date_start AND %s", lead_date, period_end)
            day = lead_date
        conditions = [
            SQL("target.id = ANY(%s)", targets.ids),
            SQL("crm_lead.active"),
            SQL("crm_lead.registration_state IN %s", spec["states"]),
            SQL("(crm_lead.company_id IS NULL OR crm_lead.company_id = target.company_id)"),
        ]
        if window:
            first, last = window
            if is_datetime:
                conditions.append(
                    SQL("%s >= %s AND %s < %s", lead_date, first, lead_date, last + ONE_DAY)
                )
            else:
                conditions.append(SQL("%s BETWEEN %s AND %s", lead_date, first, last))
        if spec["won"]:
            conditions.append(
                SQL("EXISTS(SELECT 1 FROM crm_stage WHERE id = crm_lead.stage_id AND is_won)")
            )
        conditions += self._get_deal_domain_sql(domain)
        joins = SQL()
        if monetary:
            self.env["msp.business.plan"].flush_model(["currency_id"])
            self.env["res.company"].flush_model(["currency_id"])
            joins = SQL(
                """
                JOIN msp_business_plan plan ON plan.id = target.plan_id
                JOIN res_company plan_company ON plan_company.id = target.company_id
           LEFT JOIN res_company lead_company ON lead_company.id = crm_lead.company_id
                """
            )
        query = SQL(
            """
            SELECT %(select)s
              FROM msp_business_plan_objective_target target
              JOIN crm_lead
                ON crm_lead.registered_commercial_partner_id = target.commercial_partner_id
               AND %(in_period)s
                   %(joins)s
             CROSS JOIN LATERAL (SELECT %(day)s AS day) lead_day
             WHERE %(where)s
            """,
            select=select,
            in_period=in_period,
            joins=joins,
            day=day,
            where=SQL(" AND ").join(conditions),
        )
        if group_by:
            query = SQL("%s GROUP BY %s", query, group_by)
        return self.env.execute_query(query)

    @api.model
    def _get_deal_domain_sql(self, domain):
        """The conditions of a deal filter on ``crm_lead``, applied without anyone's
        record rules (actuals are the same whoever triggers the refresh): none for an
        empty filter, the filter's own WHERE clause when it needs no join, else a
        sub-query."""
        if compat.Domain.is_true(domain):
            return []
        query = self.env["crm.lead"].sudo().with_context(active_test=False)._search(domain)
        if query.is_empty():
            return [SQL("FALSE")]
        if list(query._tables) == ["crm_lead"] and not query._joins:
            return [query.where_clause] if query._where_clauses else []
        return [SQL("crm_lead.id IN %s", query.subselect())]

    @api.model
    def _get_deal_currency_field(self, field_name):
        """The stored currency field of a monetary deal field, or None when it has none
        (crm's revenues: they are in the deal's company currency)."""
        Lead = self.env["crm.lead"]
        currency_field = Lead._fields[field_name].get_currency_field(Lead)
        column = Lead._fields.get(currency_field)
        if column is not None and column.store and column.type == "many2one":
            return currency_field
        return None

    @api.model
    def _get_deal_currency_sql(self, currency_field):
        """Currency of a deal's amounts: its own currency field when it has one, else
        the deal's company currency, the plan company's for a deal without company."""
        if currency_field:
            self.env["crm.lead"].flush_model([currency_field])
            return SQL(
                "COALESCE(%s, lead_company.currency_id, plan_company.currency_id)",
                SQL.identifier("crm_lead", currency_field),
            )
        return SQL("COALESCE(lead_company.currency_id, plan_company.currency_id)")

    def _convert_deal_rows(self, rows, target_info):
        """Convert ``(key, currency id, day, amount)`` rows, ``key`` being ``(target id,
        field name)``, into each target's plan currency at the rates of each day: one
        query for all the rates needed. Returns ``{key: total}``, not rounded."""
        target_currencies = {row[0]: tuple(target_info[row[0][0]][4:6]) for row in rows}
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
        return deal_tracking.sum_converted(rows, target_currencies, tables)

    def _count_deals(self, kind, domain):
        """Number of distinct deals the periods of this stored objective count when it
        is of ``kind`` with the deal filter ``domain`` (the form's values, maybe not
        saved yet): the actuals' query, counting deals rather than per period."""
        self.ensure_one()
        targets = self.target_ids
        if not targets:
            return 0
        [(count,)] = self._query_deals(kind, targets, domain, SQL("COUNT(DISTINCT crm_lead.id)"))
        return count

    def _get_counted_deals(self):
        """``{objective id: {period target id: [lead ids]}}``: the deals each period of
        these objectives counts, from the same queries as the actuals (one per kind and
        deal filter), whoever reads them."""
        counted = defaultdict(lambda: defaultdict(list))
        objectives = self.filtered("id")
        targets = objectives.target_ids
        for kind in deal_tracking.TRACKED_KINDS:
            typed = targets.filtered(lambda t, k=kind: t.objective_type == k)
            if not typed:
                continue
            groups, domains, _broken = self._get_deal_groups(typed)
            for domain_key, group in groups.items():
                rows = self._query_deals(
                    kind,
                    group,
                    domains[domain_key],
                    SQL("DISTINCT target.objective_id, target.id, crm_lead.id"),
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
        """{lead id: ids of the objectives of ``self`` the lead counts toward}, computed by
        the same queries as the actuals, restricted to ``leads``."""
        contributions = defaultdict(set)
        targets = self.target_ids
        for kind in deal_tracking.TRACKED_KINDS:
            typed = targets.filtered(lambda t, k=kind: t.objective_type == k)
            groups, domains, _broken = self._get_deal_groups(typed)
            for domain_key, group in groups.items():
                domain = compat.Domain.AND([domains[domain_key], [("id", "in", leads.ids)]])
                rows = self._query_deals(
                    kind, group, domain, SQL("DISTINCT crm_lead.id, target.objective_id")
                )
                for lead_id, objective_id in rows:
                    contributions[lead_id].add(objective_id)
        return contributions
