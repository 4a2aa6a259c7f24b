from odoo import api, models

from ..tools import compat


class Base(models.AbstractModel):
    _inherit = "base"

    @api.model
    def _msp_compat_load(self, xml_id, values):
        """For data files: create (or update) the record ``xml_id`` of this model
        from ``values`` written with Odoo 18.0's field names (tools/compat.py ports
        them), where a field was renamed in 19.0 and XML cannot say it both ways."""
        return self._load_records(
            [{"xml_id": xml_id, "values": compat.port_vals(self._name, values), "noupdate": True}]
        )

    @api.model
    def _msp_compat_write(self, ids, values):
        """For data files: write ``values``, written with Odoo 18.0's field names, on
        the records ``ids`` of this model (see ``_msp_compat_load``)."""
        self.browse(ids).write(compat.port_vals(self._name, values))


class ResGroups(models.Model):
    _inherit = "res.groups"

    @api.model
    def _msp_compat_set_privilege(self, category_xmlid, privilege_name, group_xmlids):
        """For data files: our groups under one heading of the user form, a category
        on 18.0, a privilege on 19.0 (tools/compat.py)."""
        compat.set_group_privilege(
            self.env, "msp_business_planning", category_xmlid, privilege_name, group_xmlids
        )
