from odoo import fields, models

from ..tools.figures import FIGURE_KINDS


class MspBusinessReviewSnapshot(models.Model):
    """An objective as of the end of its review's period, frozen when the review was
    marked done.

    Plain stored values, written once by the review and never recomputed: later
    changes to deals, progress updates or targets leave them alone.
    """

    _name = "msp.business.review.snapshot"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Business Review Objective Snapshot"
    _order = "review_id, sequence, id"
    _check_company_auto = True

    review_id = fields.Many2one(
        "msp.business.review", string="Review", required=True, ondelete="cascade", index=True
    )
    objective_id = fields.Many2one(
        "msp.business.plan.objective",
        string="Objective",
        ondelete="set null",
        index=True,
        help="Empty when the objective was deleted after the review.",
    )
    name = fields.Char(string="Objective Name", required=True)
    sequence = fields.Integer()
    weight = fields.Integer()
    figure_kind = fields.Selection(
        FIGURE_KINDS,
        default="number",
        help="How the objective's figures read when the review was done: an amount in "
        "the plan currency, a whole number or a number reported by hand.",
    )
    currency_id = fields.Many2one(related="review_id.currency_id")
    target_total = fields.Float(string="Target (Plan)", help="The objective's whole target.")
    target_value = fields.Float(
        string="Target to Date",
        help="The period targets due by the end of the reviewed period (the current period "
        "pro rata).",
    )
    actual_value = fields.Float(
        string="Actual to Date",
        help="What was achieved up to the end of the reviewed period: deals and updates "
        "dated up to that day.",
    )
    # Percentages of different objectives: never added up in a group (aggregator=None).
    progress = fields.Float(aggregator=None, help="Actual over target to date, in percent.")
    objective_progress = fields.Float(
        string="Progress (Plan)",
        aggregator=None,
        help="Actual over the whole target, in percent.",
    )
    expected_progress = fields.Float(
        aggregator=None,
        help="Target to date over the whole target: the progress an even pace would have "
        "reached by the end of the reviewed period.",
    )
    pacing_status = fields.Selection(
        [("on_track", "On Track"), ("at_risk", "At Risk"), ("off_track", "Off Track")]
    )
    plan_id = fields.Many2one(related="review_id.plan_id", store=True, index=True)
    company_id = fields.Many2one(related="review_id.company_id", store=True, index=True)
    commercial_partner_id = fields.Many2one(
        related="review_id.commercial_partner_id", store=True, index=True
    )
    review_date = fields.Date(related="review_id.date", store=True, string="Review Date")
    review_state = fields.Selection(related="review_id.state", store=True, string="Review Status")
    plan_state = fields.Selection(related="review_id.plan_state", store=True)
