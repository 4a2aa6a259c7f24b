from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import compat, values


class MspBusinessReviewTopic(models.Model):
    _name = "msp.business.review.topic"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Business Review Topic"
    _order = "sequence, id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(
        translate=True, help="What the topic covers, shown to whoever prepares a review."
    )
    weight = fields.Integer(
        default=1,
        required=True,
        help="Weight of the topic's score in a review's excellence score (1 to 100).",
    )
    is_closing = fields.Boolean(
        string="Closes the Year",
        help="The annual playbook schedules this topic last (IT Strategy: plan, budget "
        "and initiatives for the year to come); the other topics rotate before it.",
    )
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the topic with every company.",
    )

    _weight_range = compat.Constraint(
        "CHECK (weight BETWEEN 1 AND 100)",
        "The weight of a review topic must be between 1 and 100.",
    )

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.model
    def _precheck_weight(self, vals):
        # The one check of a topic's weight, on the values given to create and write:
        # a text or a weight out of 1-100 gets a message, before the ORM converts it
        # or the check constraint aborts the transaction with an integrity error.
        if "weight" in vals and values.number_issue(vals["weight"], 1, 100):
            raise ValidationError(
                _(
                    "The weight of a review topic must be between 1 and 100 (got %(weight)s).",
                    weight=vals["weight"],
                )
            )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._precheck_weight(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._precheck_weight(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_scored(self):
        # Past scorecards keep their topics: a clear message rather than the
        # database's refusal.
        # sudo: whether any review, of any plan, scored the topic.
        scored = (
            self.env["msp.business.review.score"]
            .sudo()
            ._read_group([("topic_id", "in", self.ids)], ["topic_id"])
        )
        if scored:
            raise UserError(
                _(
                    "The topic “%(topic)s” is scored in business reviews and cannot be "
                    "deleted; archive it instead.",
                    topic=scored[0][0].name,
                )
            )
