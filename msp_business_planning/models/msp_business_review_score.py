from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import compat, values


class MspBusinessReviewScore(models.Model):
    _name = "msp.business.review.score"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Business Review Score"
    _order = "review_id, sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    review_id = fields.Many2one(
        "msp.business.review", string="Review", required=True, ondelete="cascade", index=True
    )
    topic_id = fields.Many2one(
        "msp.business.review.topic",
        string="Topic",
        required=True,
        ondelete="restrict",
        check_company=True,
    )
    sequence = fields.Integer(related="topic_id.sequence", store=True)
    score = fields.Integer(
        aggregator="avg", help="Audit score of the topic at this review, from 0 to 100."
    )
    target_score = fields.Integer(
        string="Target", aggregator="avg", help="Score aimed at for the topic, from 0 to 100."
    )
    weight = fields.Integer(
        compute="_compute_weight",
        store=True,
        readonly=False,
        precompute=True,
        aggregator=None,
        help="Weight of the topic in the excellence score, taken from the topic when the "
        "line is created, so later changes to the topic leave past reviews alone.",
    )
    note = fields.Text(help="Audit findings behind the score.")
    plan_id = fields.Many2one(related="review_id.plan_id", store=True, index=True)
    company_id = fields.Many2one(related="review_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="review_id.partner_id", store=True, index=True)
    commercial_partner_id = fields.Many2one(
        related="review_id.commercial_partner_id", store=True, index=True
    )
    review_date = fields.Date(related="review_id.date", store=True, string="Review Date")
    review_state = fields.Selection(related="review_id.state", store=True, string="Review Status")
    plan_state = fields.Selection(related="review_id.plan_state", store=True)

    _score_range = compat.Constraint(
        "CHECK (score BETWEEN 0 AND 100)",
        "A score goes from 0 to 100.",
    )
    _target_score_range = compat.Constraint(
        "CHECK (target_score BETWEEN 0 AND 100)",
        "A target score goes from 0 to 100.",
    )
    _weight_positive = compat.Constraint(
        "CHECK (weight >= 0)",
        "A topic weight cannot be negative.",
    )
    _topic_unique = compat.Constraint(
        "UNIQUE (review_id, topic_id)",
        "A review has one score per topic.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("topic_id")
    def _compute_weight(self):
        for line in self:
            line.weight = line.topic_id.weight

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("score", "target_score", "weight")
    def _check_ranges(self):
        for line in self:
            self._precheck_values(
                {"score": line.score, "target_score": line.target_score, "weight": line.weight}
            )

    @api.model
    def _precheck_values(self, vals):
        """The one check of a line's score, target score (0 to 100) and weight (not
        negative): a value that is no number or out of range is refused with a
        ValidationError, before the ORM converts it or the database check constraints
        abort the transaction. Run on the values given to create and write, and by
        :meth:`_check_ranges` on what is stored (the weight is copied from the topic by
        a compute, not written)."""
        labels = {"score": _("score"), "target_score": _("target score")}
        for field_name, label in labels.items():
            value = vals.get(field_name)
            if value not in (None, False) and values.number_issue(value, 0, 100):
                raise ValidationError(
                    _(
                        "A %(label)s goes from 0 to 100 (got %(value)s).",
                        label=label,
                        value=value,
                    )
                )
        weight = vals.get("weight")
        if weight not in (None, False) and values.number_issue(weight, minimum=0):
            raise ValidationError(_("A topic weight cannot be negative."))

    def _precheck_duplicates(self, pairs):
        """``pairs`` are the (review id, topic id) the lines will have; refuse two
        lines for one topic on one review, among them or with the lines in place."""
        seen = set()
        for pair in pairs:
            if pair in seen:
                self._raise_duplicate(*pair)
            seen.add(pair)
        review_ids = {review_id for review_id, _topic_id in pairs}
        existing = self.search([("review_id", "in", list(review_ids)), ("id", "not in", self.ids)])
        for line in existing:
            if (line.review_id.id, line.topic_id.id) in seen:
                self._raise_duplicate(line.review_id.id, line.topic_id.id)

    def _raise_duplicate(self, review_id, topic_id):
        raise ValidationError(
            _(
                "The review “%(review)s” already has a score for %(topic)s: one line per " "topic.",
                review=self.env["msp.business.review"].browse(review_id).display_name,
                topic=self.env["msp.business.review.topic"].browse(topic_id).name,
            )
        )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _check_review_open(self, reviews, operation):
        # Access rights first: whoever may not change the lines learns nothing more.
        self.check_access(operation)
        reviews._check_lines_editable(_("scorecard"))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._precheck_values(vals)
        self._check_review_open(
            self.env["msp.business.review"].browse(
                {v["review_id"] for v in vals_list if v.get("review_id")}
            ),
            "create",
        )
        self._precheck_duplicates([(v.get("review_id"), v.get("topic_id")) for v in vals_list])
        return super().create(vals_list)

    def write(self, vals):
        self._precheck_values(vals)
        reviews = self.review_id
        if vals.get("review_id"):
            reviews |= self.env["msp.business.review"].browse(vals["review_id"])
        self._check_review_open(reviews, "write")
        if "review_id" in vals or "topic_id" in vals:
            self._precheck_duplicates(
                [
                    (
                        vals.get("review_id", line.review_id.id),
                        vals.get("topic_id", line.topic_id.id),
                    )
                    for line in self
                ]
            )
        return super().write(vals)

    def unlink(self):
        self._check_review_open(self.review_id, "unlink")
        return super().unlink()
