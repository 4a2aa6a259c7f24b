from odoo import _, fields, models
from odoo.exceptions import AccessError


class DigestDigest(models.Model):
    """Business Planning KPIs in Odoo's periodic digest, per company of the digest
    (or the current company), for the users who may see business plans."""

    _inherit = "digest.digest"

    kpi_msp_registrations_received = fields.Boolean("Deal Registrations Received")
    kpi_msp_registrations_received_value = fields.Integer(
        compute="_compute_kpi_msp_registrations_received_value"
    )
    kpi_msp_registrations_approved = fields.Boolean("Deal Registrations Approved")
    kpi_msp_registrations_approved_value = fields.Integer(
        compute="_compute_kpi_msp_registrations_approved_value"
    )
    kpi_msp_plans_off_track = fields.Boolean("Business Plans Off Track")
    kpi_msp_plans_off_track_value = fields.Integer(compute="_compute_kpi_msp_plans_off_track_value")
    kpi_msp_reviews_done = fields.Boolean("Business Reviews Done")
    kpi_msp_reviews_done_value = fields.Integer(compute="_compute_kpi_msp_reviews_done_value")
    kpi_msp_excellence_score = fields.Boolean("Average Excellence Score")
    kpi_msp_excellence_score_value = fields.Float(compute="_compute_kpi_msp_excellence_score_value")

    def _check_msp_planning_user(self, model="msp.business.plan"):
        # The digest skips a KPI its recipient may not see (AccessError), as crm's do.
        if not self.env.user.has_group("msp_business_planning.group_user") or not self.env[
            model
        ].has_access("read"):
            raise AccessError(_("Do not have access, skip this data for user's digest email"))

    def _compute_kpi_msp_registrations_received_value(self):
        self._check_msp_planning_user("crm.lead")
        self._calculate_company_based_kpi(
            "crm.lead",
            "kpi_msp_registrations_received_value",
            additional_domain=[("registered_partner_id", "!=", False)],
        )

    def _compute_kpi_msp_registrations_approved_value(self):
        """Registrations approved in the period: qualified on a day of it (the
        approval date of a registration)."""
        self._check_msp_planning_user("crm.lead")
        start, end, companies = self._get_kpi_compute_parameters()
        counts = dict(
            self.env["crm.lead"]._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("registered_partner_id", "!=", False),
                    ("registration_state", "in", ("approved", "expired")),
                    ("registration_qualified_date", ">=", fields.Date.to_date(start)),
                    ("registration_qualified_date", "<", fields.Date.to_date(end)),
                ],
                ["company_id"],
                ["__count"],
            )
        )
        for digest in self:
            company = digest.company_id or self.env.company
            digest.kpi_msp_registrations_approved_value = counts.get(company, 0)

    def _compute_kpi_msp_plans_off_track_value(self):
        """Running plans off track now (a state, not a count of the period)."""
        self._check_msp_planning_user()
        _start, _end, companies = self._get_kpi_compute_parameters()
        counts = dict(
            self.env["msp.business.plan"]._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("state", "=", "in_progress"),
                    ("pacing_status", "=", "off_track"),
                ],
                ["company_id"],
                ["__count"],
            )
        )
        for digest in self:
            company = digest.company_id or self.env.company
            digest.kpi_msp_plans_off_track_value = counts.get(company, 0)

    def _compute_kpi_msp_reviews_done_value(self):
        self._check_msp_planning_user()
        self._calculate_company_based_kpi(
            "msp.business.review",
            "kpi_msp_reviews_done_value",
            date_field="date_done",
            additional_domain=[("state", "=", "done")],
        )

    def _compute_kpi_msp_excellence_score_value(self):
        """Mean excellence score of the reviews done in the period that have a
        scorecard (0–100, one decimal)."""
        self._check_msp_planning_user()
        start, end, companies = self._get_kpi_compute_parameters()
        means = dict(
            self.env["msp.business.review"]._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("state", "=", "done"),
                    ("date_done", ">=", start),
                    ("date_done", "<", end),
                    ("score_ids", "!=", False),
                ],
                ["company_id"],
                ["excellence_score:avg"],
            )
        )
        for digest in self:
            company = digest.company_id or self.env.company
            digest.kpi_msp_excellence_score_value = round(means.get(company) or 0.0, 1)

    def _compute_kpis_actions(self, company, user):
        res = super()._compute_kpis_actions(company, user)
        menu = self.env.ref("msp_business_planning.msp_business_planning_menu_root").id
        actions = {
            "kpi_msp_registrations_received": "crm_lead_registration_action",
            "kpi_msp_registrations_approved": "crm_lead_registration_action",
            "kpi_msp_plans_off_track": "msp_business_plan_action",
            "kpi_msp_reviews_done": "msp_business_review_action",
            "kpi_msp_excellence_score": "msp_business_review_action",
        }
        res.update(
            {
                kpi: f"msp_business_planning.{action}?menu_id={menu}"
                for kpi, action in actions.items()
            }
        )
        return res
