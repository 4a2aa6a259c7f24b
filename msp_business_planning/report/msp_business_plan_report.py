from odoo import api, models
from odoo.exceptions import AccessError, MissingError


def check_report_access(records):
    """Read access to the records a report shows. For a portal user another partner's
    record is refused exactly like a missing one, so that the report URLs (which
    take any id) never tell which ids exist."""
    try:
        records.check_access("read")
        records.mapped("display_name")
    except (AccessError, MissingError):
        if not records.env.user.share:
            raise
        raise MissingError(records.env._("This document does not exist.")) from None


class ReportBusinessPlan(models.AbstractModel):
    _name = "report.msp_business_planning.report_business_plan"
    _description = "Business Plan Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        plans = self.env["msp.business.plan"].browse(docids)
        check_report_access(plans)
        return {
            "doc_ids": docids,
            "doc_model": "msp.business.plan",
            "docs": plans,
            # Target accounts are end customers a portal user may not read as partner
            # records; their names are part of the plan, whose read access was checked.
            "target_accounts": {plan.id: plan.sudo().target_account_ids for plan in plans},
        }


class ReportBusinessReview(models.AbstractModel):
    _name = "report.msp_business_planning.report_business_review"
    _description = "Business Review Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        reviews = self.env["msp.business.review"].browse(docids)
        check_report_access(reviews)
        return {"doc_ids": docids, "doc_model": "msp.business.review", "docs": reviews}
