from odoo import api, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    def _msp_filter_staff_only(self):
        """The messages of the addon's records that a partner's user must never
        reach: notes, activity reports, tracking and any subtype-less log, whatever
        their message type (Odoo hides only internal *comments* by id)."""
        thread_mixin = self.env.registry["msp.partner.isolation.thread.mixin"]
        # sudo: the type and subtype decide; nothing else is read.
        staff_only = self.sudo().filtered(
            lambda message: message.model
            and message.model in self.env
            and isinstance(self.env[message.model], thread_mixin)
            and (
                message.message_type == "user_notification"
                or message.is_internal
                or not message.subtype_id
                or message.subtype_id.internal
            )
        )
        return self.browse(staff_only.ids)

    def _get_forbidden_access(self, operation):
        # Private API of mail (Odoo 18 and 19): the per-message access check that
        # read, write and the message routes all go through.
        forbidden = super()._get_forbidden_access(operation)
        if self.env.su or self.env.user._is_internal():
            return forbidden
        return forbidden + (self - forbidden)._msp_filter_staff_only()

    @api.model
    def _get_with_access(self, message_id, *args, **kwargs):
        # The message routes (reactions, edits) fall back on the thread's access,
        # which a partner has on its own plan: not on the notes it holds.
        message = super()._get_with_access(message_id, *args, **kwargs)
        if message and not self.env.user._is_internal() and message._msp_filter_staff_only():
            return self.browse()
        return message
