from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    business_plan_count = fields.Integer(
        compute="_compute_business_plan_count", groups="msp_business_planning.group_user"
    )

    def _compute_business_plan_count(self):
        counts = dict(
            self.env["msp.business.plan"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.business_plan_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_business_plans(self):
        self.ensure_one()
        self.env["msp.business.plan"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.msp_business_plan_action"
        )
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
