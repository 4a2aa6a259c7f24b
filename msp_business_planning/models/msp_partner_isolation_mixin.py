from odoo import api, models

from ..tools import partner_isolation


class MspPartnerIsolationMixin(models.AbstractModel):
    """Every model of the addon, and ``crm.lead``, inherit it: for a partner's user
    (portal or public), a domain, an order or a group-by that goes through the
    vendor's chatter records or through a field the user may not read is refused
    with an AccessError, wherever the path goes (see ``tools/partner_isolation``).
    Odoo checks field groups on the column a condition compares, not on the
    relations it goes through, and applies no record rule on auto-joined relations
    such as ``message_ids`` or ``activity_ids``."""

    _name = "msp.partner.isolation.mixin"
    _description = "Partner Isolation"

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        if partner_isolation.is_partner_user(self.env):
            partner_isolation.check_domain(self, domain)
            partner_isolation.check_order(self, order)
        return super()._search(domain, offset=offset, limit=limit, order=order, **kwargs)

    @api.model
    def _read_group(
        self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None
    ):
        if partner_isolation.is_partner_user(self.env):
            # Grouping by a relation also shows the names of its records.
            partner_isolation.check_domain(self, domain)
            partner_isolation.check_domain(self, having)
            partner_isolation.check_specs(self, groupby)
            partner_isolation.check_specs(self, aggregates)
            partner_isolation.check_order(self, order)
        return super()._read_group(
            domain,
            groupby,
            aggregates,
            having=having,
            offset=offset,
            limit=limit,
            order=order,
        )
