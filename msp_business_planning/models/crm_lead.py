import logging
from datetime import date, timedelta

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import email_normalize, escape_psql, mute_logger, plaintext2html

from ..tools import compat, cron_batch, deal_tracking, portal_input
from ..tools.values import number_issue

_logger = logging.getLogger(__name__)

# Only planning users (or the system) decide on registrations.
REGISTRATION_MANAGED_FIELDS = frozenset(
    {
        "registered_partner_id",
        "registration_contact_id",
        "registration_state",
        "registration_expiry_date",
        "registration_reject_reason",
        "registration_extended",
        "registration_expiry_notified",
        "registration_conflict_lead_ids",
        "registration_conflict_acknowledged",
        "registration_qualified_date",
    }
)
# What a partner may fill in when it registers a deal from the portal; anything else
# it sends is ignored. The form's "description" is the partner's own text: it is kept
# in registration_description, never in crm's Internal Notes (description).
PORTAL_REGISTRATION_FIELDS = (
    "name",
    "partner_name",
    "contact_name",
    "email_from",
    "phone",
    "expected_revenue",
    "date_deadline",
    "description",
)
# How each of those fields is read and checked (the others are plain texts).
PORTAL_REGISTRATION_READERS = {
    "name": "_read_registration_line",
    "partner_name": "_read_registration_line",
    "contact_name": "_read_registration_line",
    "phone": "_read_registration_phone",
    "expected_revenue": "_read_registration_revenue",
    "date_deadline": "_read_registration_deadline",
    "description": "_read_registration_description",
}
# The fields also given as values (a number, a date) rather than as typed texts.
PORTAL_REGISTRATION_TYPED_FIELDS = ("expected_revenue", "date_deadline")
# The expected closing date of a deal registered from the portal: at most this many
# years ahead.
DEADLINE_MAX_YEARS = 5
# Longest description accepted from a partner registering a deal.
MAX_DESCRIPTION_LENGTH = 5000
PROTECTION_DAYS_PARAM = "msp_business_planning.registration_protection_days"
REVIEW_ACTIVITY_TYPE = "msp_business_planning.mail_activity_type_registration_review"
# Deal tracking joins a partner's registrations on each of these days; the indexes only
# hold registrations, a small part of the pipeline.
TRACKING_INDEXES = {
    "crm_lead_registered_partner_registration_date_index": "registration_date",
    "crm_lead_registered_partner_qualified_date_index": "registration_qualified_date",
    "crm_lead_registered_partner_date_closed_index": "date_closed",
}


class CrmLead(models.Model):
    # Partners read their registrations: searches through staff-only fields (the
    # conflicting leads, crm's duplicates) and the chatter are refused to them.
    _name = "crm.lead"
    # The mixin first: it overrides mail.thread's chatter methods.
    _inherit = ["msp.partner.isolation.thread.mixin", "crm.lead"]

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    registered_partner_id = fields.Many2one(
        "res.partner",
        string="Registered By",
        index=True,
        tracking=True,
        copy=False,
        help="The partner (MSP) that registered this deal. Its registrations count "
        "toward the objectives of its business plans.",
    )
    registered_commercial_partner_id = fields.Many2one(
        "res.partner",
        related="registered_partner_id.commercial_partner_id",
        string="Registering Company",
        store=True,
        index=True,
    )
    registration_contact_id = fields.Many2one(
        "res.partner",
        string="Registration Contact",
        copy=False,
        help="The partner's contact who registered the deal; registration e-mails go to "
        "this contact (to the registering partner when empty).",
    )
    registration_state = fields.Selection(
        [
            ("submitted", "Submitted"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("expired", "Expired"),
        ],
        string="Registration Status",
        index=True,
        tracking=True,
        copy=False,
        help="Submitted: waiting for approval. Approved: the partner is protected on the "
        "deal until the expiry date. Rejected and expired registrations stop counting "
        "toward the partner's objectives. Empty for ordinary leads.",
    )
    registration_date = fields.Date(
        index=True,
        copy=False,
        tracking=True,
        help="Day the deal was registered (UTC); dates the deal in Deal Registrations "
        "objectives. Planning administrators may correct it.",
    )
    registration_expiry_date = fields.Date(
        string="Protection Until",
        copy=False,
        tracking=True,
        help="Last day of the partner's protection on the deal. Past it, an approved "
        "registration that is not won expires.",
    )
    registration_qualified_date = fields.Date(
        string="Qualification Date",
        copy=False,
        readonly=True,
        help="Day (UTC) the registration became an approved opportunity; dates the deal in "
        "Qualified Deal Registrations objectives.",
    )
    registration_reject_reason = fields.Text(
        string="Rejection Reason", copy=False, help="Told to the partner by e-mail."
    )
    registration_extended = fields.Boolean(
        string="Protection Extended",
        copy=False,
        help="The protection period can be extended once per registration.",
    )
    registration_expiry_notified = fields.Boolean(copy=False, groups="base.group_user")
    registration_conflict_lead_ids = fields.Many2many(
        "crm.lead",
        "msp_crm_lead_registration_conflict_rel",
        "lead_id",
        "conflict_lead_id",
        string="Conflicting Leads",
        copy=False,
        groups="base.group_user",
        help="Open leads of another partner, or of no partner, for the same customer "
        "(company name, e-mail domain, VAT, phone), found when the deal was submitted.",
    )
    registration_conflict = fields.Boolean(
        compute="_compute_registration_conflict",
        store=True,
        groups="base.group_user",
    )
    registration_conflict_acknowledged = fields.Boolean(
        string="Conflicts Acknowledged",
        copy=False,
        groups="base.group_user",
        help="The approver has reviewed the conflicting leads.",
    )
    registration_description = fields.Html(
        string="Partner's description",
        copy=False,
        sanitize=True,
        help="What the partner wrote about the deal when it registered it; shown to the "
        "partner. The lead's Internal Notes stay the channel team's own.",
    )
    # crm's Internal Notes are the vendor's: a partner reading its registration does
    # not read them (what it typed is in registration_description).
    description = fields.Html(groups="base.group_user")
    registration_internal_note = fields.Text(
        string="Registration Notes",
        copy=False,
        groups="base.group_user",
        help="Internal notes on the registration, never shown to the partner.",
    )
    registration_submission_key = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="One-time key of the portal form the registration came from: the same form "
        "submitted twice (double click, resent request) registers one deal only.",
    )
    registration_outcome = fields.Selection(
        [
            ("submitted", "Submitted"),
            ("approved", "Approved"),
            ("won", "Won"),
            ("lost", "Lost"),
            ("rejected", "Rejected"),
            ("expired", "Expired"),
        ],
        compute="_compute_registration_outcome",
        help="Where the registration stands as the partner sees it: its status, or Won "
        "once the approved deal is won and Lost once the deal is marked lost.",
    )
    registration_review_mine = fields.Boolean(
        string="To Review by Me",
        compute="_compute_registration_review_mine",
        search="_search_registration_review_mine",
        groups="base.group_user",
        help="A submitted registration with a “Review deal registration” activity "
        "assigned to you.",
    )
    registration_objective_count = fields.Integer(
        string="Objectives",
        compute="_compute_registration_objective_count",
        groups="msp_business_planning.group_user",
    )
    # crm's duplicate finder is staff information: a partner reading its own
    # registration must not learn about other leads.
    duplicate_lead_ids = fields.Many2many(groups="base.group_user")
    duplicate_lead_count = fields.Integer(groups="base.group_user")

    _registration_submission_key_unique = compat.Constraint(
        "UNIQUE (registration_submission_key)",
        "This deal was already registered.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("registration_conflict_lead_ids")
    def _compute_registration_conflict(self):
        for lead in self:
            lead.registration_conflict = bool(lead.registration_conflict_lead_ids)

    @api.depends("registration_state", "active", "probability", "stage_id.is_won")
    def _compute_registration_outcome(self):
        # sudo: partners read their registrations but not the CRM stages; only whether
        # the stage is a won one is used.
        won = {lead.id for lead in self.sudo() if lead.stage_id.is_won}
        for lead in self:
            state = lead.registration_state
            if state == "approved" and lead.active and lead.id in won:
                lead.registration_outcome = "won"
            elif state in ("submitted", "approved") and not lead.active and not lead.probability:
                # crm's "lost": archived with no chance left (action_set_lost).
                lead.registration_outcome = "lost"
            else:
                lead.registration_outcome = state

    @api.depends_context("uid")
    def _compute_registration_review_mine(self):
        mine = set(
            self.search(
                compat.Domain.AND(
                    [[("id", "in", self.ids)], self._search_registration_review_mine("=", True)]
                )
            ).ids
        )
        for lead in self:
            lead.registration_review_mine = lead.id in mine

    def _search_registration_review_mine(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on “To Review by Me”."))
        activity_type = self.env.ref(REVIEW_ACTIVITY_TYPE, raise_if_not_found=False)
        domain = [
            ("registration_state", "=", "submitted"),
            (
                "activity_ids",
                "any",
                [
                    ("activity_type_id", "=", activity_type.id if activity_type else False),
                    ("user_id", "=", self.env.uid),
                ],
            ),
        ]
        return domain if (operator == "=") == value else ["!", *compat.Domain.AND([domain])]

    def _compute_registration_objective_count(self):
        counted = self._get_counted_objectives()
        for lead in self:
            lead.registration_objective_count = len(counted.get(lead.id, ()))

    @api.depends("partner_name", "partner_id.commercial_partner_id.vat")
    def _compute_potential_lead_duplicates(self):
        """Also match crm's duplicates on the customer's company name and VAT number, so
        deal registration conflicts cover every criterion of the partner programme."""
        res = super()._compute_potential_lead_duplicates()
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        for lead in self:
            lead_id = lead._origin.id or 0
            criteria = []
            if (lead.partner_name or "").strip():
                criteria.append(("partner_name", "=ilike", escape_psql(lead.partner_name.strip())))
            vat = lead.partner_id.commercial_partner_id.vat
            if vat:
                criteria.append(("partner_id.commercial_partner_id.vat", "=", vat))
            extra = Lead.browse()
            for criterion in criteria:
                found = Lead.search([("id", "!=", lead_id), criterion], limit=21)
                # Like crm: a criterion matching too many leads says nothing.
                if len(found) < 21:
                    extra |= found
            if extra - lead.duplicate_lead_ids:
                lead.duplicate_lead_ids |= extra
                lead.duplicate_lead_count = len(lead.duplicate_lead_ids - lead)
        return res

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("email_from", "registration_state")
    def _check_registration_email(self):
        """A submitted registration's e-mail is one plain address: one that Odoo's
        ``email_normalize`` gives back unchanged, but for case (it lowercases it, as
        mail servers treat addresses), so "Ana.Ruiz@BayVets.com" is kept as typed while
        "ana.ruiz@@bayvets", "Ana <ana@bayvets.com>" or two addresses are refused."""
        for lead in self:
            email = lead.email_from
            if lead.registration_state != "submitted" or not email:
                continue
            normalized = email_normalize(email)
            if not normalized or normalized.casefold() != email.casefold():
                raise ValidationError(
                    _(
                        "“%(email)s” is not a valid e-mail address. Enter one address only, "
                        "such as jane@customer.com, with no name or other text around it.",
                        email=email,
                    )
                )

    @api.constrains("registered_partner_id", "registration_state", "registration_date")
    def _check_registration(self):
        for lead in self:
            if lead.registered_partner_id and not lead.registration_state:
                raise ValidationError(
                    _("The registration of “%(lead)s” needs a status.", lead=lead.name)
                )
            if lead.registration_state and not lead.registered_partner_id:
                raise ValidationError(
                    _(
                        "“%(lead)s” has a registration status but no registering partner.",
                        lead=lead.name,
                    )
                )
            if lead.registration_state and not lead.registration_date:
                raise ValidationError(
                    _("The registration of “%(lead)s” needs a registration date.", lead=lead.name)
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _auto_init(self):
        res = super()._auto_init()
        for index_name, date_column in TRACKING_INDEXES.items():
            tools.create_index(
                self.env.cr,
                index_name,
                self._table,
                ["registered_commercial_partner_id", date_column],
                where="registered_commercial_partner_id IS NOT NULL",
            )
        return res

    @api.model_create_multi
    def create(self, vals_list):
        # Only values actually set count: a form also sends the empty ones.
        for vals in vals_list:
            self._check_registration_write_access(
                {name: value for name, value in vals.items() if value}
            )
        today = self._registration_today()
        for vals in vals_list:
            if vals.get("registered_partner_id"):
                vals.setdefault("registration_state", "submitted")
                vals.setdefault("registration_date", today)
        leads = super().create(vals_list)
        registrations = leads.filtered("registered_partner_id")
        if registrations:
            registrations._sync_registration_qualification()
            submitted = registrations.filtered(lambda lead: lead.registration_state == "submitted")
            submitted._detect_registration_conflicts()
            submitted._recheck_registration_conflicts_after_commit()
            submitted._schedule_registration_review()
            registrations._refresh_registration_objectives(
                registrations.registered_commercial_partner_id
            )
        return leads

    def write(self, vals):
        self._check_registration_write_access(vals)
        if vals.get("registered_partner_id") and "registration_state" not in vals:
            # Setting the registering partner on an ordinary lead registers it.
            fresh = self.filtered(lambda lead: not lead.registration_state)
            if fresh and fresh != self:
                return (self - fresh).write(vals) and fresh.write(vals)
            if fresh:
                vals = {
                    "registration_state": "submitted",
                    "registration_date": self._registration_today(),
                    **vals,
                }
        elif "registered_partner_id" in vals and not vals["registered_partner_id"]:
            vals = {
                **vals,
                **self._get_registration_reset_values(),
                "registration_state": False,
                "registration_date": False,
            }
        # From the cache: a lead that is not and was not a registration costs nothing more.
        partners = self.registered_commercial_partner_id
        was_submitted = self.browse()
        if partners and vals.keys() & {"registration_state", "registered_partner_id"}:
            was_submitted = self.filtered(lambda lead: lead.registration_state == "submitted")
        res = super().write(vals)
        if "registered_partner_id" in vals:
            partners |= self.registered_commercial_partner_id
        if partners:
            registrations = self.filtered("registered_partner_id")
            if vals.keys() & {"registration_state", "type", "registered_partner_id"}:
                registrations._sync_registration_qualification()
            if vals.get("registration_state") == "submitted":
                registrations._detect_registration_conflicts()
                registrations._recheck_registration_conflicts_after_commit()
                (registrations - was_submitted)._schedule_registration_review()
            was_submitted.filtered(
                lambda lead: lead.registration_state != "submitted"
            )._close_registration_review()
            self._refresh_registration_objectives(partners)
        return res

    def unlink(self):
        partners = self.registered_commercial_partner_id
        res = super().unlink()
        if partners:
            self.env["crm.lead"]._refresh_registration_objectives(partners)
        return res

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_approve_registration(self):
        """Approve submitted registrations: the partner is protected on the deal for the
        configured number of days and told so by e-mail."""
        self._check_registration_approver()
        self._check_registration_states(("submitted",), _("approve"))
        for lead in self:
            if lead.registration_conflict and not lead.registration_conflict_acknowledged:
                raise UserError(
                    _(
                        "The registration “%(lead)s” conflicts with open leads for the same "
                        "customer (%(leads)s). Review them and acknowledge the conflict "
                        "before approving.",
                        lead=lead.name,
                        leads=", ".join(lead.registration_conflict_lead_ids.mapped("name")),
                    )
                )
        expiry = deal_tracking.expiry_date(
            self._registration_today(), self._get_registration_protection_days()
        )
        self.write(
            {
                "registration_state": "approved",
                "registration_expiry_date": expiry,
                "registration_expiry_notified": False,
            }
        )
        self._notify_registration_partner(
            "msp_business_planning.mail_template_registration_approved"
        )
        return True

    def action_reject_registration(self):
        """Ask the reason of the rejection, then reject (see the wizard)."""
        self._check_registration_approver()
        self._check_registration_states(("submitted", "approved"), _("reject"))
        return {
            "type": "ir.actions.act_window",
            "name": _("Reject Deal Registration"),
            "res_model": "msp.registration.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_ids": self.ids},
        }

    def action_extend_registration(self):
        """Extend the protection period of approved registrations by the configured
        number of days, once per registration."""
        self._check_registration_approver()
        self._check_registration_states(("approved",), _("extend"))
        extended = self.filtered("registration_extended")
        if extended:
            raise UserError(
                _(
                    "The protection of “%(lead)s” has already been extended once; it cannot "
                    "be extended again.",
                    lead=extended[0].name,
                )
            )
        days = self._get_registration_protection_days()
        today = self._registration_today()
        for lead in self:
            start = max(lead.registration_expiry_date or today, today)
            lead.write(
                {
                    "registration_expiry_date": deal_tracking.expiry_date(start, days),
                    "registration_extended": True,
                    "registration_expiry_notified": False,
                }
            )
            lead._msp_log_internal_note(
                body=_(
                    "Protection period extended by %(user)s until %(date)s.",
                    user=self.env.user.name,
                    date=lead.registration_expiry_date,
                ),
            )
        return True

    def action_acknowledge_registration_conflicts(self):
        self._check_registration_approver()
        self._check_registration_states(("submitted",), _("acknowledge the conflicts of"))
        for lead in self.filtered("registration_conflict"):
            lead.registration_conflict_acknowledged = True
            lead._msp_log_internal_note(
                body=_(
                    "Conflicts acknowledged by %(user)s: %(leads)s.",
                    user=self.env.user.name,
                    leads=", ".join(lead.registration_conflict_lead_ids.mapped("display_name")),
                ),
            )
        return True

    def action_resubmit_registration(self):
        """Register a rejected or expired deal again: it is submitted anew, dated today,
        and goes through conflict detection and approval again."""
        self._check_registration_approver()
        self._check_registration_states(("rejected", "expired"), _("submit again"))
        self.write(
            {
                **self._get_registration_reset_values(),
                "registration_state": "submitted",
                "registration_date": self._registration_today(),
            }
        )
        return True

    def action_view_registration_objectives(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.msp_business_plan_objective_action"
        )
        objectives = self._get_counted_objectives().get(self.id, [])
        action["domain"] = [("id", "in", list(objectives))]
        action["context"] = {}
        return action

    def action_view_registration_conflicts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm.crm_lead_all_leads")
        action["domain"] = [("id", "in", self.registration_conflict_lead_ids.ids)]
        action["context"] = {"active_test": False, "create": False}
        action["name"] = _("Conflicting Leads")
        return action

    # ------------------------------------------------------------
    # REGISTRATION
    # ------------------------------------------------------------

    @api.model
    def _registration_today(self):
        """Today in UTC: registration dates do not depend on anyone's timezone."""
        return deal_tracking.utc_day(fields.Datetime.now())

    @api.model
    def _get_registration_protection_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(PROTECTION_DAYS_PARAM)
        try:
            days = int(value)
        except (TypeError, ValueError):
            return deal_tracking.DEFAULT_PROTECTION_DAYS
        return days if days > 0 else deal_tracking.DEFAULT_PROTECTION_DAYS

    @api.model
    def _get_registration_reset_values(self):
        return {
            "registration_expiry_date": False,
            "registration_reject_reason": False,
            "registration_extended": False,
            "registration_expiry_notified": False,
            "registration_conflict_lead_ids": [(5, 0, 0)],
            "registration_conflict_acknowledged": False,
            "registration_qualified_date": False,
        }

    def _check_registration_write_access(self, values):
        """Planning users decide on registrations; only planning administrators move a
        registration date, other than to today when (re)submitting."""
        if self.env.su or not (REGISTRATION_MANAGED_FIELDS | {"registration_date"}) & set(values):
            return
        if REGISTRATION_MANAGED_FIELDS & set(values):
            self._check_registration_approver()
        submitting_today = (
            values.get("registration_state") == "submitted"
            and fields.Date.to_date(values.get("registration_date")) == self._registration_today()
        )
        if (
            "registration_date" in values
            and not submitting_today
            and not self.env.user.has_group("msp_business_planning.group_manager")
        ):
            raise AccessError(
                _("Only planning administrators can change the registration date of a deal.")
            )

    def _check_registration_approver(self):
        if not self.env.su and not self.env.user.has_group("msp_business_planning.group_user"):
            raise AccessError(
                _(
                    "Only business planning users can register, approve or reject deal "
                    "registrations."
                )
            )

    def _check_registration_states(self, allowed, action_label):
        labels = dict(self._fields["registration_state"]._description_selection(self.env))
        for lead in self:
            if lead.registration_state not in allowed:
                raise UserError(
                    _(
                        "You cannot %(action)s the registration of “%(lead)s”: it is "
                        "%(state)s; this is only possible for %(allowed)s registrations.",
                        action=action_label,
                        lead=lead.name,
                        state=labels.get(lead.registration_state, _("not a registration")),
                        allowed=", ".join(labels[state] for state in allowed),
                    )
                )

    def _reject_registration(self, reason):
        """Reject with the reason given to the partner; called by the rejection wizard."""
        self._check_registration_approver()
        self._check_registration_states(("submitted", "approved"), _("reject"))
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Tell the partner why its registration is rejected."))
        self.write(
            {
                "registration_state": "rejected",
                "registration_reject_reason": reason,
                "registration_expiry_date": False,
            }
        )
        self._notify_registration_partner(
            "msp_business_planning.mail_template_registration_rejected"
        )
        return True

    def _sync_registration_qualification(self):
        """Date the qualification: the day a registration is both approved and an
        opportunity. It is cleared when it stops being so, and dated again if it becomes
        so again."""
        today = self._registration_today()
        qualified = self.filtered(
            lambda lead: lead.registration_state == "approved" and lead.type == "opportunity"
        )
        to_date = qualified.filtered(lambda lead: not lead.registration_qualified_date)
        to_clear = (self - qualified).filtered("registration_qualified_date")
        if to_date:
            super(CrmLead, to_date).write({"registration_qualified_date": today})
        if to_clear:
            super(CrmLead, to_clear).write({"registration_qualified_date": False})
        return True

    def _detect_registration_conflicts(self):
        """Flag submitted registrations that match an open lead of another partner, or of
        no partner: crm's own duplicate finder (e-mail domain, phone, customer entity,
        extended with company name and VAT) filtered to the open leads of others."""
        # sudo: the registrant (often a portal user) cannot see the leads it conflicts
        # with, yet the approver must.
        for lead in self.sudo():
            conflicts = lead.duplicate_lead_ids.filtered(
                lambda other, lead=lead: other != lead
                and other.active
                and not other.stage_id.is_won
                and other.registered_commercial_partner_id != lead.registered_commercial_partner_id
            )
            if conflicts != lead.registration_conflict_lead_ids:
                super(CrmLead, lead).write(
                    {
                        "registration_conflict_lead_ids": [(6, 0, conflicts.ids)],
                        "registration_conflict_acknowledged": False,
                    }
                )
        return True

    def _recheck_registration_conflicts_after_commit(self):
        """Two partners registering the same customer at the same moment each look
        for conflicts before the other's deal is committed, and find none. Once this
        transaction is committed, look again from a new one: whichever of the two
        commits last then sees the other, so at least one is flagged."""
        if not self:
            return
        cr = self.env.cr
        pending = cr.postcommit.data.setdefault("msp_registration_conflict_ids", set())
        if not pending:
            registry = self.env.registry

            @cr.postcommit.add
            def recheck():
                try:
                    with registry.cursor() as new_cr:
                        leads = api.Environment(new_cr, SUPERUSER_ID, {})["crm.lead"]
                        leads.browse(sorted(pending)).exists().filtered(
                            lambda lead: lead.registration_state == "submitted"
                        )._detect_registration_conflicts()
                except psycopg2.Error:
                    # The registration changed meanwhile: that change ran the
                    # detection again already.
                    _logger.info("Registration conflicts not rechecked", exc_info=True)

        pending.update(self.ids)

    def _refresh_registration_objectives(self, partners):
        """Bring the objectives of these partner companies up to date in a batched
        refresh whose cost does not grow with the number of objectives."""
        # sudo: whoever edits a lead updates figures of plans it may not be allowed to
        # read; the actuals are derived data, the same for everyone.
        self.env["msp.business.plan.objective"].sudo()._refresh_partner_actuals(
            partners, deal_tracking.TRACKED_KINDS
        )

    def _get_counted_objectives(self):
        """{lead id: ids of the objectives it counts toward}, among the objectives the
        current user can read."""
        leads = self.filtered(lambda lead: lead.id and lead.registered_commercial_partner_id)
        if not leads or not self.env.user.has_group("msp_business_planning.group_user"):
            return {}
        objectives = self.env["msp.business.plan.objective"].search(
            [
                ("commercial_partner_id", "in", leads.registered_commercial_partner_id.ids),
                ("objective_type", "in", list(deal_tracking.TRACKED_KINDS)),
                ("plan_state", "!=", "cancelled"),
            ]
        )
        return objectives._get_contributions(leads)

    def _notify_registration_partner(self, template_xmlid):
        """E-mail the partner's registration contact (posted in the chatter too)."""
        for lead in self:
            recipient = lead.registration_contact_id or lead.registered_partner_id
            lead.message_post_with_source(
                template_xmlid,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=recipient.ids,
            )

    def _get_registration_approver(self):
        """(approver, sales team, why nobody) for each submitted registration, in
        ``{lead: (user, team, reason)}``.

        The approver is the first who can act on the deal (a Business Planning user of
        the lead's company allowed to edit it) among: the channel manager of the
        partner's running plan (the latest started), the approver set in Settings, the
        leader of the registration team set in Settings. The team is the registration
        team of Settings, else the approver's own sales team. ``reason`` says why
        nobody was found, when nobody was.
        """
        # sudo: the registering user (often a portal user) cannot read the plans,
        # teams and users that decide who reviews; only the chosen user leaves here.
        leads = self.sudo()
        plans = (
            self.env["msp.business.plan"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "in", leads.registered_commercial_partner_id.ids),
                    ("state", "=", "in_progress"),
                ],
                order="date_start desc, id desc",
            )
        )
        Team = self.env["crm.team"].sudo()
        # A batch of registrations mostly shares its approvers: one team look-up each.
        approver_teams = {}
        result = {}
        for lead in leads:
            company = lead.company_id or self.env.company
            managers = plans.filtered(
                lambda plan, lead=lead, company=company: plan.commercial_partner_id
                == lead.registered_commercial_partner_id
                and plan.company_id == company
            ).user_id
            team = company.msp_registration_team_id
            candidates = [
                *managers,
                company.msp_registration_approver_id,
                team.user_id,
            ]
            approver = next(
                (
                    user
                    for user in candidates
                    if user and lead._is_registration_reviewer(user, company)
                ),
                self.env["res.users"],
            )
            if approver and not team:
                key = (approver.id, company.id)
                if key not in approver_teams:
                    approver_teams[key] = Team.search(
                        [
                            ("company_id", "in", (False, company.id)),
                            "|",
                            ("user_id", "=", approver.id),
                            ("member_ids", "in", approver.ids),
                        ],
                        limit=1,
                    )
                team = approver_teams[key]
            reason = False
            if not approver:
                reason = _(
                    "%(partner)s has no running business plan whose channel manager can "
                    "review it, and no registration approver or registration team leader "
                    "who can is set in the Business Planning settings of %(company)s",
                    partner=lead.registered_commercial_partner_id.name,
                    company=company.name,
                )
            result[lead] = (approver, team, reason)
        return result

    def _is_registration_reviewer(self, user, company):
        """Whether ``user`` can approve this registration: an active Business Planning
        user of the lead's company who may edit the lead (CRM record rules)."""
        self.ensure_one()
        return (
            user.active
            and not user.share
            and company in user.company_ids
            and user.has_group("msp_business_planning.group_user")
            and self.with_user(user)
            .with_context(allowed_company_ids=company.ids)
            .has_access("write")
        )

    def _schedule_registration_review(self):
        """Give each newly submitted registration to its approver: a "Review deal
        registration" activity, and the sales team when the lead has none. With
        nobody to ask, the chatter says so and the registration waits under Deal
        Registrations → Awaiting Approval."""
        leads = self.sudo().filtered(lambda lead: lead.registration_state == "submitted")
        if not leads:
            return
        activity_type = self.env.ref(REVIEW_ACTIVITY_TYPE, raise_if_not_found=False)
        if not activity_type:
            return
        # A registration already waiting for review keeps its activity.
        pending = set(
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", leads.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
            .mapped("res_id")
        )
        leads = leads.filtered(lambda lead: lead.id not in pending)
        for lead, (approver, team, reason) in leads._get_registration_approver().items():
            if team and not lead.team_id:
                # super: no refresh here; the create or write that submitted the
                # registration refreshes its partner's objectives right after.
                super(CrmLead, lead).write({"team_id": team.id})
            if not approver:
                lead._msp_log_internal_note(
                    _(
                        "Nobody was asked to review this deal registration: %(reason)s. "
                        "It waits under Business Planning → Deal Registrations → "
                        "Awaiting Approval.",
                        reason=reason,
                    )
                )
                continue
            lead.activity_schedule(
                REVIEW_ACTIVITY_TYPE,
                # The approver's today, as if the approver had scheduled it.
                date_deadline=activity_type.with_context(tz=approver.tz)._get_date_deadline(),
                user_id=approver.id,
            )

    def _close_registration_review(self):
        """The review activity of registrations that are no longer submitted: done,
        with the decision, once approved or rejected; cancelled otherwise (e.g. the
        deal is no longer a registration)."""
        if not self:
            return
        activity_type = self.env.ref(REVIEW_ACTIVITY_TYPE, raise_if_not_found=False)
        if not activity_type:
            return
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        if not activities:
            return
        leads = {lead.id: lead for lead in self}
        labels = dict(self._fields["registration_state"]._description_selection(self.env))
        to_cancel = self.env["mail.activity"]
        for activity in activities:
            lead = leads[activity.res_id]
            if lead.registration_state in ("approved", "rejected"):
                activity.action_feedback(
                    feedback=_(
                        "%(decision)s by %(user)s.",
                        decision=labels[lead.registration_state],
                        user=self.env.user.name,
                    )
                )
            else:
                to_cancel |= activity
        to_cancel.unlink()

    @api.model
    def _cron_expire_registrations(self):
        """Daily: approved registrations past their protection period and not won
        expire (and stop counting); a week before, the partner is warned. Registering
        company by registering company, in batches committed one by one that resume
        after a crash (``tools/cron_batch``)."""
        today = self._registration_today()
        domain = [
            ("registration_state", "=", "approved"),
            (
                "registration_expiry_date",
                "<=",
                today + timedelta(days=deal_tracking.EXPIRY_NOTICE_DAYS),
            ),
            ("stage_id.is_won", "=", False),
        ]

        def expire(partner_ids):
            self.search(
                [*domain, ("registered_commercial_partner_id", "in", partner_ids)]
            )._expire_registrations(today)

        return cron_batch.run(
            self, "expire_registrations", domain, "registered_commercial_partner_id", expire
        )

    def _expire_registrations(self, today):
        """Expire these candidate registrations that are past their protection period
        on ``today``, and warn the partners of those about to be."""
        candidates = self
        expired = candidates.filtered(
            lambda lead: deal_tracking.is_expired(lead.registration_expiry_date, today)
        )
        to_warn = (candidates - expired).filtered(
            lambda lead: not lead.registration_expiry_notified
            and deal_tracking.expiry_notice_due(lead.registration_expiry_date, today)
        )
        if expired:
            expired.write({"registration_state": "expired"})
            expired._notify_registration_partner(
                "msp_business_planning.mail_template_registration_expired"
            )
        if to_warn:
            to_warn._notify_registration_partner(
                "msp_business_planning.mail_template_registration_expiry_notice"
            )
            to_warn.write({"registration_expiry_notified": True})

    # ------------------------------------------------------------
    # PORTAL
    # ------------------------------------------------------------

    @api.model
    def _register_deal_from_portal(self, values, submission_key=False):
        """Register a deal for the current portal user's company.

        Only the fields of ``PORTAL_REGISTRATION_FIELDS`` are taken from ``values``
        (anything else is ignored); the registering partner is the user's commercial
        partner, the status is submitted, and salesperson, team, stage, company and
        probability are decided here, never by the input. Returns the new lead in the
        user's environment (the portal record rule lets the user read it).

        ``submission_key`` is the one-time key of the portal form: when a deal was
        already registered with it, nothing is created and an empty recordset is
        returned (the same form submitted twice registers one deal).
        """
        user = self.env.user
        if not user._is_portal():
            raise AccessError(_("Deals are registered from the portal by partner contacts."))
        lead_values = self._prepare_portal_registration_values(values)
        # sudo: the key is staff-only; only whether it was used leaves this line.
        if submission_key and self.sudo().with_context(active_test=False).search_count(
            [("registration_submission_key", "=", submission_key)], limit=1
        ):
            return self.browse()
        partner = user.partner_id
        company = self.env.company
        salesperson = partner.commercial_partner_id.user_id
        if salesperson.share or company not in salesperson.company_ids:
            salesperson = self.env["res.users"]
        # sudo: the portal user cannot read the company's settings; without a
        # registration team set, crm's own rule (the salesperson's team) applies, and
        # a lead left without a team gets the approver's (_schedule_registration_review).
        registration_team = company.sudo().msp_registration_team_id
        if registration_team:
            lead_values["team_id"] = registration_team.id
        lead_values.update(
            {
                "registered_partner_id": partner.commercial_partner_id.id,
                "registration_contact_id": partner.id,
                "registration_state": "submitted",
                "registration_date": self._registration_today(),
                "user_id": salesperson.id,
                "company_id": company.id,
                "type": self._get_portal_registration_type(),
                "registration_submission_key": submission_key or False,
            }
        )
        try:
            # A concurrent twin of this submission may commit first: the unique key then
            # refuses this insert, which is rolled back alone.
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                # sudo: portal users cannot create leads; the values were whitelisted and
                # checked above, and the registering partner is forced to the user's own
                # company.
                lead = self.sudo().create(lead_values)
        except psycopg2.errors.UniqueViolation:
            return self.browse()
        lead._msp_log_internal_note(
            body=_("Deal registered from the portal by %(partner)s.", partner=partner.name),
        )
        lead._notify_registration_partner(
            "msp_business_planning.mail_template_registration_received"
        )
        return lead.with_env(self.env)

    @api.model
    def _get_portal_registration_by_key(self, submission_key):
        """The registration made with this portal form key by the current user's
        company, in the user's environment; empty when none."""
        if not submission_key:
            return self.browse()
        # sudo: the key is staff-only; the search is limited to the user's own company,
        # whose registrations the user may read.
        lead = self.sudo().search(
            [
                ("registration_submission_key", "=", submission_key),
                ("registered_commercial_partner_id", "=", self.env.user.commercial_partner_id.id),
            ],
            limit=1,
        )
        return self.browse(lead.ids)

    @api.model
    def _prepare_portal_registration_values(self, values):
        """Whitelisted, cleaned and checked lead values from a portal form; a
        UserError names every mistake (see :meth:`_check_portal_registration_values`)."""
        lead_values, errors = self._check_portal_registration_values(values)
        if errors:
            raise UserError("\n".join(errors.values()))
        return lead_values

    @api.model
    def _check_portal_registration_values(self, values):
        """``(lead values, {field: message})`` from what a partner sends to register a
        deal: the one place its values are read and checked, whether they come as the
        portal form's texts (the controller hands them over as typed) or as values.
        Every field is checked, so the partner sees all its mistakes at once; only the
        fields of ``PORTAL_REGISTRATION_FIELDS`` are read, and the form's description
        becomes ``registration_description``. The e-mail is checked by
        :meth:`_check_registration_email`, as for every submitted registration."""
        cleaned, errors = {}, {}
        for name in PORTAL_REGISTRATION_FIELDS:
            value = values.get(name)
            if value in (None, False, ""):
                continue
            if not isinstance(value, str) and name not in PORTAL_REGISTRATION_TYPED_FIELDS:
                errors[name] = _("The field “%(field)s” must be a text.", field=name)
                continue
            reader = PORTAL_REGISTRATION_READERS.get(name)
            try:
                value = getattr(self, reader)(value) if reader else value.strip()
            except ValidationError as error:
                errors[name] = error.args[0]
                continue
            if value in (None, ""):
                continue
            if name == "description":
                cleaned["registration_description"] = plaintext2html(value)
            else:
                cleaned[name] = value
        if "name" not in errors and not cleaned.get("name"):
            errors["name"] = _("Give the deal a name.")
        return cleaned, errors

    def _read_registration_line(self, value):
        try:
            return portal_input.clean_line(value)
        except portal_input.InputError:
            raise ValidationError(
                _("Keep it under %(max)s characters.", max=portal_input.MAX_LINE_LENGTH)
            ) from None

    def _read_registration_phone(self, value):
        try:
            return portal_input.clean_phone(value)
        except portal_input.InputError:
            raise ValidationError(
                _("Enter a phone number with digits, spaces and + ( ) - . / only.")
            ) from None

    def _read_registration_revenue(self, value):
        if isinstance(value, str):
            try:
                value = portal_input.parse_number(value)
            except portal_input.InputError as error:
                if error.kind == "missing":
                    return None
                value = None
        issue = number_issue(value, minimum=0)
        if issue == "too_small":
            raise ValidationError(_("The expected revenue cannot be negative."))
        if issue in ("too_large", "not_finite") and value == value:  # NaN is no amount
            raise ValidationError(_("The expected revenue is too large."))
        if issue:
            raise ValidationError(
                _(
                    "The expected revenue must be an amount, such as 12000 or 12000.50 "
                    "(no currency sign or thousands separators)."
                )
            )
        return float(value)

    def _read_registration_deadline(self, value):
        try:
            if isinstance(value, str):
                value = portal_input.parse_iso_date(value)
            elif not isinstance(value, date):
                raise portal_input.InputError("invalid")
        except portal_input.InputError:
            raise ValidationError(
                _("The expected closing date is not valid; use the date picker (YYYY-MM-DD).")
            ) from None
        first, last = self._get_registration_deadline_range()
        if not first <= value <= last:
            raise ValidationError(
                _(
                    "The expected closing date must be between %(first)s and %(last)s.",
                    first=first,
                    last=last,
                )
            )
        return value

    def _read_registration_description(self, value):
        try:
            return portal_input.clean_text(value, max_length=MAX_DESCRIPTION_LENGTH)
        except portal_input.InputError:
            raise ValidationError(
                _(
                    "The description is too long (more than %(max)s characters).",
                    max=MAX_DESCRIPTION_LENGTH,
                )
            ) from None

    @api.model
    def _get_registration_deadline_range(self):
        """First and last expected closing dates a partner may give a new deal: not
        in the past (a day of slack for the partner's timezone), and not beyond
        ``DEADLINE_MAX_YEARS``."""
        today = fields.Date.context_today(self.env.user)
        return today - timedelta(days=1), today + relativedelta(years=DEADLINE_MAX_YEARS)

    @api.model
    def _get_registration_outcome_domains(self):
        """{outcome: domain} of the registrations with each ``registration_outcome``,
        among the active ones and the lost ones (what the portal lists)."""
        # sudo: which stages are won is configuration, not data of anyone; the domains
        # then compare stage ids only, which a partner may do.
        won_stages = self.env["crm.stage"].sudo().search([("is_won", "=", True)]).ids
        return {
            "submitted": [("registration_state", "=", "submitted"), ("active", "=", True)],
            "approved": [
                ("registration_state", "=", "approved"),
                ("active", "=", True),
                ("stage_id", "not in", won_stages),
            ],
            "won": [
                ("registration_state", "=", "approved"),
                ("active", "=", True),
                ("stage_id", "in", won_stages),
            ],
            "lost": [
                ("registration_state", "in", ("submitted", "approved")),
                ("active", "=", False),
                ("probability", "=", 0),
            ],
            "rejected": [("registration_state", "=", "rejected")],
            "expired": [("registration_state", "=", "expired")],
        }

    @api.model
    def _get_portal_registration_type(self):
        """A lead when the vendor qualifies leads first (CRM "Leads" setting), else an
        opportunity, as a salesperson would create it."""
        # sudo: reading the group configuration, not any user's data.
        employee_group = self.env.ref("base.group_user").sudo()
        uses_leads = self.env.ref("crm.group_use_lead") in compat.implied_groups(employee_group)
        return "lead" if uses_leads else "opportunity"
