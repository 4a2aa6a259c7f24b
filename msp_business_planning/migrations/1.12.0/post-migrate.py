"""1.12.0: the forecast (forecast values, forecast progress, forecast to miss).

The columns are new: the period forecasts are empty and the objectives' and plans'
were computed from them (nothing), which would read "forecast to miss" everywhere
until the daily refresh. The refresh the CRM hooks run is run once on every plan that
is not cancelled (the tracking engine: batched, whatever the number of plans).
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["msp.business.plan.objective"]._refresh_actuals_where(
        SQL("objective.plan_state != 'cancelled'")
    )
