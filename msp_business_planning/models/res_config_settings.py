from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import deal_tracking


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    msp_registration_protection_days = fields.Integer(
        string="Registration Protection (days)",
        config_parameter="msp_business_planning.registration_protection_days",
        default=deal_tracking.DEFAULT_PROTECTION_DAYS,
        help="How long an approved deal registration protects the partner on the deal. "
        "Past it, a registration that is not won expires; it can be extended once by "
        "the same number of days.",
    )
    msp_registration_approver_id = fields.Many2one(
        related="company_id.msp_registration_approver_id", readonly=False
    )
    msp_registration_team_id = fields.Many2one(
        related="company_id.msp_registration_team_id", readonly=False
    )

    @api.constrains("msp_registration_protection_days")
    def _check_msp_registration_protection_days(self):
        for settings in self:
            if settings.msp_registration_protection_days < 1:
                raise ValidationError(
                    _("The protection period of deal registrations must be at least one day.")
                )
