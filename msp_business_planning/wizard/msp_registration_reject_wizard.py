from odoo import api, fields, models


class MspRegistrationRejectWizard(models.TransientModel):
    _name = "msp.registration.reject.wizard"
    _description = "Reject Deal Registrations"

    lead_ids = fields.Many2many("crm.lead", string="Registrations", required=True)
    reason = fields.Text(
        required=True,
        help="Why the registration is rejected; sent to the partner by e-mail.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # Only registrations one can read (Odoo 19.0 checks every link it is given,
        # 18.0 does not): the same answer on both.
        wizards.lead_ids.check_access("read")
        return wizards

    def action_reject(self):
        self.ensure_one()
        self.lead_ids._reject_registration(self.reason)
        return {"type": "ir.actions.act_window_close"}
