from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import compat, planning


class MspBusinessPlanObjectiveTarget(models.Model):
    _name = "msp.business.plan.objective.target"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Business Plan Period Target"
    _order = "objective_id, date_start, id"
    _check_company_auto = True

    objective_id = fields.Many2one(
        "msp.business.plan.objective", required=True, ondelete="cascade", index=True
    )
    name = fields.Char(string="Period", required=True)
    plan_id = fields.Many2one(related="objective_id.plan_id", store=True, index=True)
    company_id = fields.Many2one(related="objective_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="objective_id.currency_id")
    figure_kind = fields.Selection(related="objective_id.figure_kind")
    partner_id = fields.Many2one(related="objective_id.partner_id", store=True, index=True)
    commercial_partner_id = fields.Many2one(
        related="objective_id.commercial_partner_id", store=True, index=True
    )
    user_id = fields.Many2one(related="objective_id.user_id", store=True)
    plan_state = fields.Selection(related="objective_id.plan_state", store=True)
    objective_type = fields.Selection(related="objective_id.objective_type", store=True)
    date_start = fields.Date(required=True)
    date_end = fields.Date(required=True)
    weight = fields.Float(
        default=1.0,
        aggregator=None,  # a share of one period: never added up across periods
        help="Share of its full calendar period the plan covers (below 1 when the plan "
        "starts or ends inside the period); the target is spread in proportion.",
    )
    target_value = fields.Float(string="Target", aggregator="sum")
    actual_value = fields.Float(string="Actual", readonly=True, aggregator="sum")
    forecast_value = fields.Float(
        string="Forecast",
        readonly=True,
        aggregator="sum",
        help="The actual plus the partner's open registered deals expected to close in "
        "this period (by their expected closing date; today when they have none or it "
        "is past), each weighted by its probability. Only won-deal objectives have a "
        "pipeline: for the others the forecast is the actual. As of the last refresh "
        "(on every change of a registered deal, and daily).",
    )
    progress = fields.Float(compute="_compute_progress", store=True, aggregator="avg")
    expected_progress = fields.Float(
        compute="_compute_pacing",
        store=True,
        aggregator="avg",
        help="Progress an even pace would have reached by today within the period: "
        "0% before it starts, 100% once it is over.",
    )
    pacing_status = fields.Selection(
        [("on_track", "On Track"), ("at_risk", "At Risk"), ("off_track", "Off Track")],
        compute="_compute_pacing",
        store=True,
        help="Progress of the period compared with its expected progress: on track from "
        "90% of the expected pace, at risk from 70%, off track below. Empty for periods "
        "not started yet, periods without target and plans not running.",
    )

    _target_positive = compat.Constraint(
        "CHECK (target_value >= 0)",
        "A period target cannot be negative.",
    )
    _date_check = compat.Constraint(
        "CHECK (date_end >= date_start)",
        "A period cannot end before it starts.",
    )

    def init(self):
        # Actuals are rewritten in place at every refresh: free room in each page lets
        # PostgreSQL update the rows without touching their six indexes (HOT updates).
        self.env.cr.execute(f"ALTER TABLE {self._table} SET (fillfactor = 70)")

    deal_count = fields.Integer(
        string="Deals",
        compute="_compute_deal_count",
        groups="base.group_user",
        help="The partner's registered deals this period counts.",
    )

    def _compute_deal_count(self):
        # A form being edited counts what its saved periods count.
        counted = self._origin.objective_id._get_counted_deals()
        for target in self:
            origin = target._origin
            target.deal_count = len(counted.get(origin.objective_id.id, {}).get(origin.id, ()))

    def action_view_deals(self):
        """The deals this period counts, from the same query as its actual."""
        self.ensure_one()
        objective = self.objective_id
        objective._check_staff()
        counted = objective._get_counted_deals().get(objective.id, {})
        return objective._deals_action(
            counted.get(self.id, ()),
            _(
                "Deals counted by %(objective)s in %(period)s",
                objective=objective.name,
                period=self.name,
            ),
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._precheck_target(vals)
        self.env["msp.business.plan.objective"].browse(
            {vals["objective_id"] for vals in vals_list if vals.get("objective_id")}
        ).plan_id._check_not_on_record()
        return super().create(vals_list)

    def write(self, vals):
        self._precheck_target(vals)
        self.objective_id.plan_id._check_not_on_record()
        return super().write(vals)

    def unlink(self):
        self.objective_id.plan_id._check_not_on_record()
        return super().unlink()

    def _precheck_target(self, vals):
        """The one check of a period's target, and of its dates' shape and order, on
        the values given to create and write: refused in the user's words before the
        ORM converts them or the database's check constraints abort the transaction.
        Whether the period lies within the plan and overlaps no other is checked by
        :meth:`_check_period_dates`, once the lines are written."""
        target = vals.get("target_value")
        if target is not None:
            self.env["msp.business.plan.objective"]._precheck_target_value(
                target, _("A period target must be a positive number.")
            )
        if "date_start" in vals or "date_end" in vals:
            for period in self or [self]:
                try:
                    start = fields.Date.to_date(vals.get("date_start")) or period.date_start
                    end = fields.Date.to_date(vals.get("date_end")) or period.date_end
                except (TypeError, ValueError):
                    raise ValidationError(
                        _("The start and end of a period must be dates (YYYY-MM-DD).")
                    ) from None
                if start and end and end < start:
                    raise ValidationError(
                        _(
                            "A period cannot end (%(end)s) before it starts (%(start)s).",
                            end=end,
                            start=start,
                        )
                    )

    @api.depends("actual_value", "target_value")
    def _compute_progress(self):
        for target in self:
            target.progress = planning.progress_percent(target.actual_value, target.target_value)

    @api.depends("progress", "target_value", "date_start", "date_end", "plan_state")
    def _compute_pacing(self):
        Objective = self.env["msp.business.plan.objective"]
        today = Objective._pacing_today()
        thresholds = Objective._pacing_thresholds()
        for target in self:
            _progress, target.expected_progress, target.pacing_status = self._period_figures(
                target.actual_value,
                target.target_value,
                target.date_start,
                target.date_end,
                target.plan_state,
                today,
                thresholds,
            )

    @api.model
    def _period_figures(
        self, actual, target, date_start, date_end, plan_state, today, thresholds, expected=None
    ):
        """``(progress, expected progress, pacing status)`` of one period, by the pacing
        ``thresholds``: the rules of the computed fields above (``expected``, when
        given, is the period's expected progress computed already). The tracking
        engine's bulk refresh applies the same rules on columns
        (:func:`~..tools.planning.period_figure_columns`; a test compares them case by
        case)."""
        progress = planning.progress_percent(actual, target)
        if not (date_start and date_end):
            return progress, 0.0, False
        expected, status = planning.period_pacing(
            date_start, date_end, target, progress, today, thresholds, expected
        )
        running = plan_state in planning.RUNNING_STATES
        return progress, expected, status if running and status else False

    @api.constrains("date_start", "date_end", "objective_id")
    def _check_period_dates(self):
        for target in self:
            plan = target.plan_id
            if target.date_start < plan.date_start or target.date_end > plan.date_end:
                raise ValidationError(
                    _(
                        "The period %(period)s of “%(objective)s” must lie within the plan "
                        "dates (%(start)s to %(end)s).",
                        period=target.name,
                        objective=target.objective_id.name,
                        start=plan.date_start,
                        end=plan.date_end,
                    )
                )
        # Periods of one objective must not overlap: a deal would count twice.
        self.flush_model(["objective_id", "date_start", "date_end"])
        self.env.cr.execute(
            """
            SELECT a.id
              FROM msp_business_plan_objective_target a
              JOIN msp_business_plan_objective_target b
                ON a.objective_id = b.objective_id
               AND a.id != b.id
               AND daterange(a.date_start, a.date_end, '[]')
                   && daterange(b.date_start, b.date_end, '[]')
             WHERE a.id = ANY(%s)
             LIMIT 1
            """,
            [self.ids],
        )
        overlapping = self.env.cr.fetchone()
        if overlapping:
            target = self.browse(overlapping[0])
            raise ValidationError(
                _(
                    "The period %(period)s of “%(objective)s” overlaps another period of "
                    "the same objective.",
                    period=target.name,
                    objective=target.objective_id.name,
                )
            )
