from odoo import _, models
from odoo.exceptions import AccessError

from ..tools import partner_isolation


class MspPartnerIsolationThreadMixin(models.AbstractModel):
    """The addon's records with a chatter (plans, reviews, registered leads): the
    one way the addon logs a note for the vendor's staff, and what a partner's user
    may get from the chatter, whether logged in or holding a share link: public
    messages and their files, nothing of notes, activities, followers or internal
    files; posting only to the record's followers, with files of its own."""

    _name = "msp.partner.isolation.thread.mixin"
    # Listed first by the models that use it, before mail.thread, whose methods it
    # extends without inheriting it (a second path to mail.thread breaks the MRO).
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Partner Isolation (Chatter)"

    def _msp_log_internal_note(self, body, **kwargs):
        """Log ``body`` as an internal note for the vendor's staff. A comment with the
        note subtype is what Odoo hides from portal and public users, by id as in a
        search (a "notification" with the note subtype is readable by id). A message
        meant for the partner is posted with ``mail.mt_comment``, never through here."""
        self.ensure_one()
        return self.message_post(
            body=body, message_type="comment", subtype_xmlid="mail.mt_note", **kwargs
        )

    def _process_attachments_for_post(self, attachments, attachment_ids, message_values):
        # The step of message_post (Odoo 18 and 19) that receives both the files and
        # the recipients, before anything is read, created or sent. The chatter route
        # posts in superuser mode after its own checks (followers only, uploaded files
        # with their tokens); a direct call (RPC) is checked here.
        if partner_isolation.is_partner_user(self.env):
            self._msp_check_partner_post(message_values.get("partner_ids"), attachment_ids)
        return super()._process_attachments_for_post(attachments, attachment_ids, message_values)

    def _msp_check_partner_post(self, partner_ids, attachment_ids):
        """A partner's user addresses only the record's followers (never, say, a
        competitor's contact the vendor's Odoo would e-mail) and links only files it
        uploaded itself; anyone else's file is refused before it is read or named."""
        self.ensure_one()
        # sudo: the followers and the files are checked, not shown; only whether
        # they qualify leaves this method.
        followers = self.sudo().message_partner_ids
        if set(partner_ids or ()) - set(followers.ids):
            raise AccessError(
                _("You can only address the followers of “%(record)s”.", record=self.display_name)
            )
        if attachment_ids and len(self._msp_own_pending_attachments(attachment_ids)) != len(
            set(attachment_ids)
        ):
            raise AccessError(_("You can only attach files you have just uploaded."))

    def _msp_own_pending_attachments(self, attachment_ids):
        """Among ``attachment_ids``, the files the current user uploaded and has not
        posted yet: the only ones Odoo links to a partner's message. Sudo records
        (the user cannot read pending files); only the ids are compared."""
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("id", "in", list(attachment_ids)),
                    ("create_uid", "=", self.env.uid),
                    ("res_model", "in", ("mail.compose.message", "mail.scheduled.message")),
                ]
            )
        )

    def _thread_to_store(self, store, *args, request_list=None, **kwargs):
        # A share link's visitor gets the thread in superuser mode: the real user
        # (public or portal) decides what it may ask for.
        if request_list and not self.env.user._is_internal():
            request_list = [
                name for name in request_list if name in partner_isolation.PARTNER_THREAD_REQUESTS
            ]
        return super()._thread_to_store(store, *args, request_list=request_list, **kwargs)

    def _get_mail_thread_data_attachments(self):
        if self.env.user._is_internal():
            return super()._get_mail_thread_data_attachments()
        # sudo: reached with a share link too, and portal users cannot search files;
        # the thread's access was checked by the route, and only the files of the
        # messages the partner reads are kept.
        thread = self.sudo()
        public = thread.env["mail.message"].search(
            [
                ("model", "=", self._name),
                ("res_id", "=", self.id),
                *partner_isolation.PUBLIC_MESSAGE_DOMAIN,
            ]
        )
        attachments = super(MspPartnerIsolationThreadMixin, thread)
        return attachments._get_mail_thread_data_attachments() & public.attachment_ids
