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
