from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import deal_tracking, planning
from ..tools.tracking_engine import PARAM_AT_RISK, PARAM_ON_TRACK
from .msp_business_plan import PARAM_REVIEW_CADENCE, REVIEW_CADENCES


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
    msp_review_meeting_duration = fields.Float(
        related="company_id.msp_review_meeting_duration", readonly=False
    )
    msp_review_videocall = fields.Boolean(related="company_id.msp_review_videocall", readonly=False)
    msp_on_track_threshold = fields.Integer(
        string="On Track From (%)",
        config_parameter=PARAM_ON_TRACK,
        default=round(planning.DEFAULT_THRESHOLDS.on_track * 100),
        help="An objective or plan is on track when its progress reaches at least this "
        "share of the progress expected by today.",
    )
    msp_at_risk_threshold = fields.Integer(
        string="At Risk From (%)",
        config_parameter=PARAM_AT_RISK,
        default=round(planning.DEFAULT_THRESHOLDS.at_risk * 100),
        help="Below the on-track threshold, an objective or plan is at risk from this "
        "share of the expected progress, and off track below it.",
    )
    msp_default_review_cadence = fields.Selection(
        REVIEW_CADENCES,
        string="Default Review Cadence",
        config_parameter=PARAM_REVIEW_CADENCE,
        default="quarterly",
        help="The review cadence new business plans start with: how often the annual "
        "playbook schedules a business review.",
    )

    @api.constrains("msp_registration_protection_days")
    def _check_msp_registration_protection_days(self):
        for settings in self:
            if settings.msp_registration_protection_days < 1:
                raise ValidationError(
                    _("The protection period of deal registrations must be at least one day.")
                )

    @api.constrains("msp_on_track_threshold", "msp_at_risk_threshold")
    def _check_msp_pacing_thresholds(self):
        for settings in self:
            on_track, at_risk = settings.msp_on_track_threshold, settings.msp_at_risk_threshold
            if not 0 < at_risk < on_track <= 100:
                raise ValidationError(
                    _(
                        "The pacing thresholds must satisfy 0 < at risk < on track ≤ 100 "
                        "(got at risk from %(at_risk)s%%, on track from %(on_track)s%%).",
                        at_risk=at_risk,
                        on_track=on_track,
                    )
                )

    def set_values(self):
        Objective = self.env["msp.business.plan.objective"]
        before = Objective._pacing_thresholds()
        res = super().set_values()
        if Objective._pacing_thresholds() != before:
            # Statuses follow the new thresholds now, not at the next daily refresh.
            # sudo: the thresholds are the whole database's, so is the refresh; the
            # settings are for planning administrators only.
            self.env["msp.business.plan"].sudo()._cron_refresh_pacing(force=True)
        return res
