from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import content_disposition, request

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BusinessPlanExportController(http.Controller):
    @http.route(
        "/business-planning/export/xlsx", type="http", auth="user", methods=["GET"], readonly=True
    )
    def export_business_plans_xlsx(self, plan_ids="", **kwargs):
        """Stream the Excel export of the given plans (comma-separated ids) to a user
        allowed to read every one of them; 404 for unknown ids, 403 otherwise. A portal
        user gets 404 for both: another partner's plan is as unknown as a missing one."""
        try:
            ids = [int(plan_id) for plan_id in plan_ids.split(",") if plan_id.strip()]
        except ValueError:
            raise request.not_found() from None
        plans = request.env["msp.business.plan"].browse(dict.fromkeys(ids))
        if not plans:
            raise request.not_found()
        try:
            plans.check_access("read")
            content = plans.export_xlsx()
        except MissingError:
            raise request.not_found() from None
        except AccessError:
            if request.env.user.share:
                raise request.not_found() from None
            raise Forbidden() from None
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Length", len(content)),
                ("Content-Disposition", content_disposition(plans._get_xlsx_filename())),
            ],
        )
