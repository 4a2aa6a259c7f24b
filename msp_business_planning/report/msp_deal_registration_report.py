from odoo import fields, models
from odoo.tools import SQL

# The keys and labels of crm.lead's registration_state.
REGISTRATION_STATES = [
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("expired", "Expired"),
]


class MspDealRegistrationReport(models.Model):
    """Registered deals analysis: one read-only row per deal registration (won, lost,
    rejected and expired ones included), to compare partners by registration state,
    outcome and revenue in pivot and graph views."""

    _name = "msp.deal.registration.report"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Registered Deals Analysis"
    _auto = False
    _order = "registration_date desc, id desc"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    name = fields.Char(string="Deal Name", readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Registered By",
        readonly=True,
        help="The partner company that registered the deal.",
    )
    registration_state = fields.Selection(
        REGISTRATION_STATES, string="Registration Status", readonly=True
    )
    registration_date = fields.Date(readonly=True)
    qualified_date = fields.Date(
        string="Qualification Date",
        readonly=True,
        help="Day the registration became an approved opportunity.",
    )
    date_closed = fields.Date(
        string="Closing Date", readonly=True, help="Day the deal was won or lost (UTC)."
    )
    won = fields.Boolean(readonly=True, help="The deal reached a won stage.")
    lost = fields.Boolean(readonly=True, help="The deal was archived as lost.")
    stage_id = fields.Many2one("crm.stage", string="Stage", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    company_currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    expected_revenue = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        help="Expected revenue of the deal, in its company's currency.",
    )
    won_revenue = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        help="Expected revenue of the won deals; zero for the others.",
    )
    registration_count = fields.Integer(string="Registrations", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)

    _depends = {
        "crm.lead": [
            "name",
            "active",
            "company_id",
            "date_closed",
            "expected_revenue",
            "registered_commercial_partner_id",
            "registration_date",
            "registration_qualified_date",
            "registration_state",
            "stage_id",
            "team_id",
            "user_id",
        ],
        "crm.stage": ["is_won"],
        "res.company": ["currency_id"],
    }

    @property
    def _table_query(self):
        # Leads of no company are valued in the current company's currency, as
        # crm.lead's own company_currency does.
        return SQL(
            """
            SELECT
                lead.id AS id,
                lead.id AS lead_id,
                lead.name AS name,
                lead.registered_commercial_partner_id AS partner_id,
                lead.registration_state AS registration_state,
                lead.registration_date AS registration_date,
                lead.registration_qualified_date AS qualified_date,
                lead.date_closed::date AS date_closed,
                COALESCE(stage.is_won, FALSE) AS won,
                (lead.active IS NOT TRUE AND COALESCE(stage.is_won, FALSE) IS FALSE) AS lost,
                lead.stage_id AS stage_id,
                lead.company_id AS company_id,
                COALESCE(company.currency_id, %(currency_id)s) AS company_currency_id,
                COALESCE(lead.expected_revenue, 0) AS expected_revenue,
                CASE WHEN stage.is_won THEN COALESCE(lead.expected_revenue, 0) ELSE 0 END
                    AS won_revenue,
                1 AS registration_count,
                lead.user_id AS user_id,
                lead.team_id AS team_id
            FROM crm_lead lead
            LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
            LEFT JOIN res_company company ON company.id = lead.company_id
            WHERE lead.registered_partner_id IS NOT NULL
              AND lead.registration_state IS NOT NULL
            """,
            currency_id=self.env.company.currency_id.id,
        )
