from odoo import fields, models


class MspBusinessReviewSnapshot(models.Model):
    """An objective as it stood when its review was marked done.

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
    target_total = fields.Float(string="Target (Plan)", help="The objective's whole target.")
    target_value = fields.Float(
        string="Target to Date",
        help="The period targets due by the end of the reviewed period (the current period "
        "pro rata).",
    )
    actual_value = fields.Float(string="Actual")
    progress = fields.Float(help="Actual over target to date, in percent.")
    objective_progress = fields.Float(
        string="Progress (Plan)", help="Actual over the whole target, in percent."
    )
    expected_progress = fields.Float(
        help="Target to date over the whole target: the progress an even pace would have "
        "reached by the end of the reviewed period."
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
