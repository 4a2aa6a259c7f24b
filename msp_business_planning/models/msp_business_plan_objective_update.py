import math

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import compat
from ..tools.values import number_issue


class MspBusinessPlanObjectiveUpdate(models.Model):
    _name = "msp.business.plan.objective.update"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Business Plan Objective Progress Update"
    _order = "date desc, id desc"
    _check_company_auto = True

    objective_id = fields.Many2one(
        "msp.business.plan.objective",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("objective_type", "=", "manual")],
    )
    plan_id = fields.Many2one(related="objective_id.plan_id", store=True, index=True)
    company_id = fields.Many2one(related="objective_id.company_id", store=True, index=True)
    commercial_partner_id = fields.Many2one(
        related="objective_id.commercial_partner_id", store=True, index=True
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    value = fields.Float(
        required=True,
        help="What was achieved since the previous update (use a negative value to "
        "correct an earlier report). It counts in the period of its date.",
    )
    note = fields.Text()
    author_id = fields.Many2one(
        "res.partner",
        string="Author",
        default=lambda self: self.env.user.partner_id,
        required=True,
        ondelete="restrict",
    )
    portal_submission_key = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="One-time key of the portal form the update came from: the same form "
        "submitted twice (double click, resent request) records one update only.",
    )

    _portal_submission_key_unique = compat.Constraint(
        "UNIQUE (portal_submission_key)",
        "This progress report was already recorded.",
    )

    @api.constrains("objective_id", "date", "value")
    def _check_update(self):
        for update in self:
            objective = update.objective_id
            if objective.objective_type != "manual":
                raise ValidationError(
                    _(
                        "Progress can only be reported on manual objectives; “%(objective)s” "
                        "is tracked automatically.",
                        objective=objective.name,
                    )
                )
            plan = objective.plan_id
            if not plan.date_start <= update.date <= plan.date_end:
                raise ValidationError(
                    _(
                        "The update date %(date)s is outside the plan: report progress "
                        "within the plan, from %(start)s to %(end)s.",
                        date=update.date,
                        start=plan.date_start,
                        end=plan.date_end,
                    )
                )

    @api.model
    def _precheck_value(self, vals):
        """The one check of a reported value, on the values given to create and write,
        its only ways in (the portal form hands over the number it parsed): a number,
        finite and not absurdly large, refused in the user's words before the float
        field would store NaN or infinity and spoil every sum. Negative values are
        accepted: they correct earlier reports."""
        if "value" not in vals:
            return
        value = vals["value"]
        issue = number_issue(value)
        if issue == "not_finite" and math.isnan(float(value)):
            issue = "not_a_number"
        if issue == "not_a_number":
            raise ValidationError(
                _("The reported value must be a number (got “%(value)s”).", value=value)
            )
        if issue:
            raise ValidationError(_("The reported value is too large."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._precheck_value(vals)
        self.env["msp.business.plan.objective"].browse(
            {vals["objective_id"] for vals in vals_list if vals.get("objective_id")}
        ).plan_id._check_not_on_record()
        updates = super().create(vals_list)
        updates.objective_id.action_refresh_actuals()
        return updates

    def write(self, vals):
        self._precheck_value(vals)
        objectives = self.objective_id
        if vals.get("objective_id"):
            objectives |= objectives.browse(vals["objective_id"])
        objectives.plan_id._check_not_on_record()
        res = super().write(vals)
        (objectives | self.objective_id).action_refresh_actuals()
        return res

    def unlink(self):
        objectives = self.objective_id
        objectives.plan_id._check_not_on_record()
        res = super().unlink()
        objectives.exists().action_refresh_actuals()
        return res
