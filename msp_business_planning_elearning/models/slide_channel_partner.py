from odoo import api, fields, models


class SlideChannelPartner(models.Model):
    _inherit = "slide.channel.partner"

    msp_completed_date = fields.Date(
        string="Completed On",
        copy=False,
        readonly=True,
        index=True,
        help="Day (UTC) the attendee finished the course; dates the completion in "
        "Course Completions objectives.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        today = fields.Datetime.now().date()
        for vals in vals_list:
            if vals.get("member_status") == "completed":
                vals.setdefault("msp_completed_date", today)
        members = super().create(vals_list)
        members.filtered(lambda m: m.member_status == "completed")._refresh_course_objectives()
        return members

    def write(self, vals):
        # Only a membership that finishes, stops being finished, or moves while finished
        # changes an objective.
        moved = status_changed = self.browse()
        if "member_status" in vals:
            finished = vals["member_status"] == "completed"
            status_changed = self.filtered(lambda m: (m.member_status == "completed") != finished)
            moved |= status_changed
        if vals.keys() & {"active", "partner_id", "channel_id"}:
            moved |= self.filtered(lambda m: m.member_status == "completed")
        partners = moved.partner_id.commercial_partner_id
        res = super().write(vals)
        if status_changed:
            super(SlideChannelPartner, status_changed).write(
                {"msp_completed_date": fields.Datetime.now().date() if finished else False}
            )
        if moved:
            moved._refresh_course_objectives(partners)
        return res

    def unlink(self):
        partners = self.filtered(
            lambda m: m.member_status == "completed"
        ).partner_id.commercial_partner_id
        res = super().unlink()
        if partners:
            self.browse()._refresh_course_objectives(partners)
        return res

    def _refresh_course_objectives(self, partners=None):
        """Refresh the course objectives of these members' partner companies in batch."""
        partners = (partners or self.env["res.partner"]) | self.partner_id.commercial_partner_id
        if not partners:
            return
        # sudo: an attendee finishing a course updates plans it may not read; actuals are
        # derived data, the same for everyone.
        self.env["msp.business.plan.objective"].sudo().search(
            [
                ("commercial_partner_id", "in", partners.ids),
                ("objective_type", "=", "course_completion"),
                ("plan_state", "!=", "cancelled"),
            ]
        ).action_refresh_actuals()
