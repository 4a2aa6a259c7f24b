from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import compat, planning, values


class MspBusinessPlanInitiative(models.Model):
    _name = "msp.business.plan.initiative"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Business Plan Initiative"
    _order = "plan_id, date, sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    plan_id = fields.Many2one(
        "msp.business.plan",
        string="Business Plan",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    description = fields.Text()
    topic_id = fields.Many2one("msp.business.review.topic", string="Topic", check_company=True)
    date = fields.Date(
        string="Planned Date",
        help="When the initiative is planned; it counts in the budget of that quarter.",
    )
    quarter = fields.Char(
        compute="_compute_quarter",
        store=True,
        help="Calendar quarter of the planned date.",
    )
    budget = fields.Monetary(
        currency_field="currency_id",
        aggregator="sum",
        help="Budget in the plan's currency.",
    )
    currency_id = fields.Many2one(related="plan_id.currency_id")
    state = fields.Selection(
        [
            ("proposed", "Proposed"),
            ("approved", "Approved"),
            ("declined", "Declined"),
            ("done", "Done"),
        ],
        string="Status",
        required=True,
        default="proposed",
        index=True,
        help="Follows the decision on its review item when the review is done: accepted "
        "approves it, declined declines it.",
    )
    user_id = fields.Many2one(
        "res.users", string="Owner", domain="[('share', '=', False)]", check_company=True
    )
    review_item_id = fields.Many2one(
        "msp.business.review.item",
        string="Decided By",
        ondelete="set null",
        index=True,
        domain="[('plan_id', '=', plan_id)]",
        help="The review agenda item where the initiative was decided.",
    )
    review_id = fields.Many2one(
        related="review_item_id.review_id", store=True, index=True, string="Review"
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True, index=True)
    commercial_partner_id = fields.Many2one(
        related="plan_id.commercial_partner_id", store=True, index=True
    )
    plan_state = fields.Selection(related="plan_id.state", store=True, string="Plan Status")

    _budget_positive = compat.Constraint("CHECK (budget >= 0)", "A budget cannot be negative.")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("date")
    def _compute_quarter(self):
        for initiative in self:
            initiative.quarter = (
                planning.quarter_label(initiative.date) if initiative.date else False
            )

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("date", "plan_id")
    def _check_date_in_plan(self):
        for initiative in self:
            initiative._check_date_within(initiative.name, initiative.date, initiative.plan_id)

    @api.model
    def _check_date_within(self, name, day, plan):
        if day and plan and not plan.date_start <= day <= plan.date_end:
            raise ValidationError(
                _(
                    "The initiative “%(initiative)s” is planned on %(date)s, outside the "
                    "business plan (%(start)s to %(end)s).",
                    initiative=name,
                    date=day,
                    start=plan.date_start,
                    end=plan.date_end,
                )
            )

    @api.constrains("review_item_id", "plan_id")
    def _check_review_item_plan(self):
        for initiative in self.filtered("review_item_id"):
            if initiative.review_item_id.plan_id != initiative.plan_id:
                raise ValidationError(
                    _(
                        "The initiative “%(initiative)s” can only be linked to an agenda item "
                        "of its own business plan.",
                        initiative=initiative.name,
                    )
                )

    def _precheck_values(self, vals):
        """A negative budget or a date outside the plan is refused before anything is
        written: the user gets a message rather than an integrity error."""
        if "date" in vals or "plan_id" in vals:
            Plan = self.env["msp.business.plan"]
            for initiative in self or [self]:
                plan = Plan.browse(vals["plan_id"]) if vals.get("plan_id") else initiative.plan_id
                day = vals.get("date", initiative.date)
                name = vals.get("name", initiative.name)
                self._check_date_within(name, fields.Date.to_date(day), plan)
        budget = vals.get("budget")
        issue = values.number_issue(budget, minimum=0) if budget not in (None, False) else None
        if issue == "too_large":
            raise ValidationError(_("The budget of an initiative is too large."))
        if issue:
            raise ValidationError(_("The budget of an initiative must be a positive amount."))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._precheck_values(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._precheck_values(vals)
        return super().write(vals)
