from odoo import models

# A moved meeting moves its review (see msp.business.review._follow_meetings).
TIME_FIELDS = frozenset({"start", "stop", "start_date", "stop_date", "allday", "duration"})


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    def write(self, vals):
        res = super().write(vals)
        if TIME_FIELDS & vals.keys():
            self._get_msp_reviews()._follow_meetings()
        return res

    def unlink(self):
        # Reviews whose meeting is deleted in the Calendar app (a review cancelling
        # its own meeting unlinks it from the review first).
        reviews = self._get_msp_reviews()
        res = super().unlink()
        reviews._notify_meeting_deleted()
        return res

    def _get_msp_reviews(self):
        """The business reviews these meetings stand for. sudo: whoever may move or
        delete a meeting changes its review's date or leaves it without one; the
        reviews are only read and updated by the addon's own methods."""
        if not self.ids:
            return self.env["msp.business.review"]
        return (
            self.env["msp.business.review"].sudo().search([("calendar_event_id", "in", self.ids)])
        )
