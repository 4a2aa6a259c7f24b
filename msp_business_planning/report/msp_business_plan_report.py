from odoo import api, models


class ReportBusinessPlan(models.AbstractModel):
    _name = "report.msp_business_planning.report_business_plan"
    _description = "Business Plan Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        plans = self.env["msp.business.plan"].browse(docids)
        plans.check_access("read")
        return {
            "doc_ids": docids,
            "doc_model": "msp.business.plan",
            "docs": plans,
            "monetary_objectives": plans.objective_ids._filter_monetary(),
            # Target accounts are end customers a portal user may not read as partner
            # records; their names are part of the plan, whose read access was checked.
            "target_accounts": {plan.id: plan.sudo().target_account_ids for plan in plans},
        }
