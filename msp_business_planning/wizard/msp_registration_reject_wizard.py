from odoo import fields, models


class MspRegistrationRejectWizard(models.TransientModel):
    _name = "msp.registration.reject.wizard"
    _description = "Reject Deal Registrations"

    lead_ids = fields.Many2many("crm.lead", string="Registrations", required=True)
    reason = fields.Text(
        required=True,
        help="Why the registration is rejected; sent to the partner by e-mail.",
    )

    def action_reject(self):
        self.ensure_one()
        self.lead_ids._reject_registration(self.reason)
        return {"type": "ir.actions.act_window_close"}
