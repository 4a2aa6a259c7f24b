from odoo import api, fields, models

from ..tools import compat


class ResPartner(models.Model):
    _inherit = "res.partner"

    business_plan_count = fields.Integer(
        compute="_compute_business_plan_count", groups="msp_business_planning.group_user"
    )
    deal_registration_count = fields.Integer(
        string="Deal Registrations",
        compute="_compute_deal_registration_count",
        groups="sales_team.group_sale_salesman",
        help="Deals the company (or one of its contacts) registered, among those you can "
        "see in the CRM.",
    )

    @api.depends_context("uid")
    def _compute_business_plan_count(self):
        # Within the user's access (own plans or all): the count depends on who asks.
        counts = dict(
            self.env["msp.business.plan"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.business_plan_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("uid")
    def _compute_deal_registration_count(self):
        # One aggregate for all partners, within the user's CRM access (record rules).
        counts = dict(
            self.env["crm.lead"]._read_group(
                self._get_deal_registration_domain(),
                ["registered_commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.deal_registration_count = counts.get(partner.commercial_partner_id, 0)

    def _get_deal_registration_domain(self):
        # The registrations the partner itself sees on its portal: lost deals too,
        # not those archived otherwise (e.g. duplicates).
        return [
            ("registered_commercial_partner_id", "in", self.commercial_partner_id.ids),
            ("registration_state", "!=", False),
            "|",
            ("active", "=", True),
            ("probability", "=", 0),
        ]

    def action_view_business_plans(self):
        self.ensure_one()
        self.env["msp.business.plan"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.msp_business_plan_action"
        )
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_deal_registrations(self):
        """The company's registrations, the ones the button counts: every status."""
        self.ensure_one()
        # The screen of those who may read the count (CRM users), not of partners.
        compat.check_field_access(self, "read", ["deal_registration_count"])
        self.env["crm.lead"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.crm_lead_registration_action"
        )
        action["domain"] = self._get_deal_registration_domain()
        action["context"] = {"create": False}
        return action
