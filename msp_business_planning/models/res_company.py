from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import compat


class ResCompany(models.Model):
    _inherit = "res.company"

    # Per company: sales teams and users belong to companies, and a registration is
    # reviewed in the company it was made in (see crm.lead._get_registration_approvers).
    msp_registration_approver_id = fields.Many2one(
        "res.users",
        string="Registration Approver",
        groups="base.group_user",
        domain=lambda self: [
            ("share", "=", False),
            (compat.GROUPS_FIELD, "in", self.env.ref("msp_business_planning.group_user").ids),
        ],
        help="Reviews the deal registrations of partners that have no running business "
        "plan (otherwise the plan's channel manager does).",
    )
    msp_registration_team_id = fields.Many2one(
        "crm.team",
        string="Registration Team",
        groups="base.group_user",
        help="Sales team given the deal registrations partners submit; its leader reviews "
        "them when the partner has no running plan and no approver is set.",
    )

    # Business reviews as calendar meetings (see msp.business.review._sync_meetings).
    msp_review_meeting_duration = fields.Float(
        string="Review Meeting Duration",
        default=1.0,
        groups="base.group_user",
        help="How long the calendar meeting of a new business review lasts, in hours.",
    )
    msp_review_videocall = fields.Boolean(
        string="Review Video Calls",
        default=True,
        groups="base.group_user",
        help="Business review meetings get an Odoo Discuss video-call link.",
    )

    @api.constrains("msp_review_meeting_duration")
    def _check_msp_review_meeting_duration(self):
        for company in self:
            if not 0 < company.msp_review_meeting_duration <= 24:
                raise ValidationError(
                    _("A review meeting lasts more than zero and at most 24 hours.")
                )

    @api.constrains("msp_registration_approver_id", "msp_registration_team_id")
    def _check_msp_registration_approvers(self):
        for company in self:
            approver = company.msp_registration_approver_id
            if approver and (
                approver.share
                or company not in approver.company_ids
                or not approver.has_group("msp_business_planning.group_user")
            ):
                raise ValidationError(
                    _(
                        "%(user)s cannot review the deal registrations of %(company)s: the "
                        "approver must be a Business Planning user of that company.",
                        user=approver.name,
                        company=company.name,
                    )
                )
            team = company.msp_registration_team_id
            if team.company_id and team.company_id != company:
                raise ValidationError(
                    _(
                        "The sales team %(team)s belongs to %(other)s, not to %(company)s.",
                        team=team.name,
                        other=team.company_id.name,
                        company=company.name,
                    )
                )
