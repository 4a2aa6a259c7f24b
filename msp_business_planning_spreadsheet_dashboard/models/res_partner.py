from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The way from a deal registration to the channel managers of its partner's plans,
    # for the dashboard's "Channel Manager" filter on registrations
    # (registered_commercial_partner_id.msp_business_plan_ids.user_id). Staff-only:
    # a partner's contacts read their plans on the portal, not through their partner.
    msp_business_plan_ids = fields.One2many(
        "msp.business.plan",
        "commercial_partner_id",
        string="Business Plans",
        groups="msp_business_planning.group_user",
    )
