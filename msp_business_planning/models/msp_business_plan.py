import re
from datetime import date

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import html_sanitize

from ..tools import planning

PARTNER_VISIBLE_STATES = ("draft", "in_progress", "completed")
# Longest partner commitment (html) accepted from the portal.
PORTAL_COMMITMENT_MAX_LENGTH = 50000


class MspBusinessPlan(models.Model):
    _name = "msp.business.plan"
    _description = "Partner Business Plan"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    # The partner's portal contacts only read plans, yet they comment and attach files.
    _mail_post_access = "read"

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    def _default_date_start(self):
        return date(fields.Date.context_today(self).year, 1, 1)

    def _default_date_end(self):
        return date(fields.Date.context_today(self).year, 12, 31)

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Partner",
        required=True,
        tracking=True,
        check_company=True,
        index=True,
        help="The partner company (MSP) the plan is agreed with. Its contacts with "
        "portal access see the plan once it is shared.",
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Channel Manager",
        default=lambda self: self.env.user,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        help="Currency of the plan: monetary objectives are expressed and converted in it.",
    )
    date_start = fields.Date(
        string="Start Date", required=True, default=_default_date_start, tracking=True
    )
    date_end = fields.Date(
        string="End Date", required=True, default=_default_date_end, tracking=True
    )
    state = fields.Selection(
        [
            ("draft_outline", "Draft Outline"),
            ("draft", "Draft"),
            ("in_progress", "In Progress"),
            ("completed", "Completed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft_outline",
        required=True,
        tracking=True,
        copy=False,
        index=True,
        group_expand="_group_expand_states",
        help="Draft Outline: internal preparation, invisible to the partner. "
        "Draft: shared, the partner reviews it. In Progress: accepted and tracked. "
        "Completed: the plan period is over.",
    )
    target_account_ids = fields.Many2many(
        "res.partner",
        "msp_business_plan_target_account_rel",
        "plan_id",
        "partner_id",
        string="Target Accounts",
        check_company=True,
        help="End-customer accounts the partner and the vendor focus on during the plan.",
    )
    partner_commitment = fields.Html(
        sanitize=True,
        help="What the partner commits to (resources, certifications, marketing...). "
        "The partner can edit it from the portal.",
    )
    description = fields.Html(string="Internal Notes")
    objective_ids = fields.One2many("msp.business.plan.objective", "plan_id", copy=True)
    objective_count = fields.Integer(compute="_compute_objective_count")
    target_ids = fields.One2many(
        "msp.business.plan.objective.target", "plan_id", string="Period Targets"
    )
    progress = fields.Float(
        compute="_compute_progress",
        store=True,
        aggregator="avg",
        help="Weighted mean of the objectives' progress, each capped at 100% so one "
        "over-achievement cannot hide a miss. Objectives without a target are left out.",
    )
    expected_progress = fields.Float(
        compute="_compute_progress",
        store=True,
        aggregator="avg",
        help="Progress an even pace would have reached by today.",
    )
    pacing_status = fields.Selection(
        [("on_track", "On Track"), ("at_risk", "At Risk"), ("off_track", "Off Track")],
        compute="_compute_progress",
        store=True,
        help="Progress compared with the expected progress: on track from 90% of the "
        "expected pace, at risk from 70%, off track below.",
    )
    color = fields.Integer()
    registered_deal_count = fields.Integer(
        string="Registered Deals",
        compute="_compute_registered_deal_count",
        groups="sales_team.group_sale_salesman",
        help="Deals the partner registered during the plan, whatever their status.",
    )

    _sql_constraints = [
        (
            "date_check",
            "CHECK (date_end >= date_start)",
            "A business plan cannot end before it starts.",
        ),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("objective_ids")
    def _compute_objective_count(self):
        counts = dict(
            self.env["msp.business.plan.objective"]._read_group(
                [("plan_id", "in", self.ids)], ["plan_id"], ["__count"]
            )
        )
        for plan in self:
            plan.objective_count = counts.get(plan, 0)

    @api.depends(
        "state",
        "objective_ids.weight",
        "objective_ids.progress",
        "objective_ids.expected_progress",
        "objective_ids.target_value",
    )
    def _compute_progress(self):
        for plan in self:
            counted = plan.objective_ids.filtered(lambda o: o.target_value > 0)
            plan.progress = planning.weighted_progress([(o.progress, o.weight) for o in counted])
            plan.expected_progress = planning.weighted_progress(
                [(o.expected_progress, o.weight) for o in counted]
            )
            plan.pacing_status = (
                planning.pacing_status(plan.progress, plan.expected_progress)
                if plan.state in ("in_progress", "completed") and counted
                else False
            )

    def _compute_access_url(self):
        for plan in self:
            plan.access_url = f"/my/business-plans/{plan.id}"

    def _group_expand_states(self, states, domain):
        return [key for key, _label in self._fields["state"].selection]

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for plan in self:
            if plan.date_end < plan.date_start:
                raise ValidationError(
                    _(
                        "The business plan %(plan)s cannot end (%(end)s) before it starts "
                        "(%(start)s).",
                        plan=plan.name,
                        end=plan.date_end,
                        start=plan.date_start,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _precheck_dates(self, vals):
        """Refuse reversed dates with a ValidationError before the database check
        constraint would abort the transaction with a bare integrity error."""
        for plan in self or [self]:
            start = fields.Date.to_date(vals.get("date_start")) or plan.date_start
            end = fields.Date.to_date(vals.get("date_end")) or plan.date_end
            if start and end and end < start:
                raise ValidationError(
                    _(
                        "A business plan cannot end (%(end)s) before it starts (%(start)s).",
                        end=end,
                        start=start,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._precheck_dates(vals)
        return super().create(vals_list)

    def write(self, vals):
        if "date_start" in vals or "date_end" in vals:
            self._precheck_dates(vals)
        # Deal actuals follow the partner, company and currency, and stay frozen while
        # a plan is cancelled.
        refresh = self.browse()
        if vals.keys() & {"partner_id", "company_id", "currency_id"}:
            refresh = self
        elif vals.get("state", "cancelled") != "cancelled":
            refresh = self.filtered(lambda plan: plan.state == "cancelled")
        res = super().write(vals)
        if "date_start" in vals or "date_end" in vals:
            # Period targets follow the plan dates; actuals are re-bucketed after.
            self.objective_ids._generate_targets()
        elif refresh:
            refresh.objective_ids.action_refresh_actuals()
        return res

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def _check_state(self, allowed, action_label):
        state_labels = dict(self._fields["state"]._description_selection(self.env))
        for plan in self:
            if plan.state not in allowed:
                raise UserError(
                    _(
                        "You cannot %(action)s the business plan “%(plan)s” because it is "
                        "%(state)s; this is only possible from: %(allowed)s.",
                        action=action_label,
                        plan=plan.name,
                        state=state_labels[plan.state],
                        allowed=", ".join(state_labels[s] for s in allowed),
                    )
                )

    def action_share_with_partner(self):
        self._check_state(["draft_outline"], _("share"))
        for plan in self:
            if not plan.objective_ids:
                raise UserError(
                    _(
                        "Add at least one objective to “%(plan)s” before sharing it with "
                        "the partner.",
                        plan=plan.name,
                    )
                )
        self.write({"state": "draft"})
        self._notify_partner_shared()
        return True

    def action_start(self):
        self._check_state(["draft"], _("start"))
        self.write({"state": "in_progress"})
        for plan in self:
            plan.message_post(
                body=_("Plan started by %(user)s.", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_accept_by_partner(self):
        """Acceptance of a draft plan by the current (portal) user; starts the plan
        and records who accepted it, and when, in the chatter."""
        self._check_state(["draft"], _("accept"))
        author = self.env.user.partner_id
        self.write({"state": "in_progress"})
        for plan in self:
            plan.message_post(
                body=_(
                    "Plan accepted by %(partner)s on %(date)s.",
                    partner=author.display_name,
                    date=fields.Datetime.now().strftime("%Y-%m-%d %H:%M UTC"),
                ),
                author_id=author.id,
                subtype_xmlid="mail.mt_comment",
                partner_ids=plan.user_id.partner_id.ids,
            )
        return True

    def action_complete(self):
        self._check_state(["in_progress"], _("complete"))
        self.write({"state": "completed"})
        return True

    def action_cancel(self):
        self._check_state(["draft_outline", "draft", "in_progress"], _("cancel"))
        self.write({"state": "cancelled"})
        return True

    def action_reset_to_outline(self):
        self._check_state(["draft", "cancelled"], _("reset to draft outline"))
        self.write({"state": "draft_outline"})
        return True

    def action_preview_portal(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "target": "self", "url": self.get_portal_url()}

    def action_view_objectives(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.msp_business_plan_objective_action"
        )
        action["domain"] = [("plan_id", "=", self.id)]
        action["context"] = {"default_plan_id": self.id}
        return action

    def action_export_xlsx(self):
        """Download these plans as an Excel workbook, through the export controller
        (which checks access again: the URL can be replayed by anyone)."""
        if not self:
            raise UserError(_("Select at least one business plan to export."))
        self.check_access("read")
        return {
            "type": "ir.actions.act_url",
            "url": f"/business-planning/export/xlsx?plan_ids={','.join(map(str, self.ids))}",
            "target": "download",
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_partner_portal_contacts(self):
        """Contacts of the plan's partner company that can log in to the portal; the
        partner itself when none can."""
        self.ensure_one()
        users = (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", self.commercial_partner_id.id),
                    ("share", "=", True),
                ]
            )
        )
        return users.partner_id or self.partner_id

    def _notify_partner_shared(self):
        for plan in self:
            contacts = plan._get_partner_portal_contacts()
            plan.message_subscribe(partner_ids=contacts.ids)
            plan.message_post_with_source(
                "msp_business_planning.mail_template_business_plan_shared",
                subtype_xmlid="mail.mt_comment",
                partner_ids=contacts.ids,
            )

    def _cron_refresh_pacing(self):
        """Daily: expected progress moves with the calendar even when nothing else
        does, so running plans are recomputed once a day."""
        plans = self.search([("state", "=", "in_progress")])
        plans.objective_ids._recompute_pacing()

    # ------------------------------------------------------------
    # REPORTS
    # ------------------------------------------------------------

    def export_xlsx(self):
        """Bytes of an Excel workbook (.xlsx) on these plans: summary, objectives and
        period targets. Needs read access on every plan (AccessError otherwise); what
        the sheets show is read with the current user's rights, in a constant number
        of queries whatever the number of plans."""
        self.check_access("read")
        return self.env["msp.business.plan.xlsx"]._build_workbook(self)

    def _get_report_base_filename(self):
        """Base name of the plan's PDF, as the portal's report download expects."""
        self.ensure_one()
        return _("Business Plan - %(plan)s", plan=self.name)

    def _get_xlsx_filename(self):
        """Download name of :meth:`export_xlsx`: the plan's name for one plan."""
        if len(self) == 1:
            name = _("Business Plan - %(plan)s", plan=self.name)
        else:
            name = _("Business Plans - %(date)s", date=fields.Date.context_today(self))
        # No path separators nor characters Windows refuses in file names.
        return re.sub(r'[\\/:*?"<>|\s]+', " ", name).strip() + ".xlsx"

    # ------------------------------------------------------------
    # PORTAL
    # ------------------------------------------------------------

    @api.model
    def _get_thread_with_access(self, thread_id, mode="read", **kwargs):
        """A shared link (access token or signed hash) must not outlive the sharing:
        once a plan is back to outline or cancelled, its chatter is closed to
        everyone outside the company, token or not."""
        thread = super()._get_thread_with_access(thread_id, mode, **kwargs)
        if (
            thread
            and not self.env.user._is_internal()
            and thread.sudo().state not in PARTNER_VISIBLE_STATES
        ):
            return self.browse()
        return thread

    def _portal_update_partner_commitment(self, commitment):
        """The partner's commitment as edited on the portal: sanitized html, only
        while the plan is a draft or running. The portal controller calls it once
        it checked the user's access to the plan."""
        self.ensure_one()
        self._check_state(["draft", "in_progress"], _("edit the commitment of"))
        if len(commitment or "") > PORTAL_COMMITMENT_MAX_LENGTH:
            raise ValidationError(
                _(
                    "The commitment is too long (more than %(max)s characters); please "
                    "shorten it.",
                    max=PORTAL_COMMITMENT_MAX_LENGTH,
                )
            )
        # The field sanitizes too; sanitizing here keeps the rule even if the field's
        # options change.
        self.partner_commitment = html_sanitize(
            commitment or "", sanitize_attributes=True, sanitize_style=True
        )
        self.message_post(
            body=_(
                "Partner commitment updated by %(partner)s.",
                partner=self.env.user.partner_id.display_name,
            ),
            author_id=self.env.user.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )
        return True

    # ------------------------------------------------------------
    # DEAL REGISTRATIONS
    # ------------------------------------------------------------

    def _compute_registered_deal_count(self):
        """Registrations of the plan's partner company dated within the plan, in one
        grouped query for all the plans."""
        plans = self.filtered(lambda plan: plan.id and plan.date_start and plan.date_end)
        counts = []
        if plans:
            counts = self.env["crm.lead"]._read_group(
                [
                    ("registered_commercial_partner_id", "in", plans.commercial_partner_id.ids),
                    ("registration_date", ">=", min(plans.mapped("date_start"))),
                    ("registration_date", "<=", max(plans.mapped("date_end"))),
                ],
                ["registered_commercial_partner_id", "registration_date:day"],
                ["__count"],
            )
        for plan in self:
            plan.registered_deal_count = sum(
                count
                for partner, day, count in counts
                if partner == plan.commercial_partner_id and plan.date_start <= day <= plan.date_end
            )

    def action_view_registered_deals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.crm_lead_registration_action"
        )
        action["domain"] = [
            ("registered_commercial_partner_id", "=", self.commercial_partner_id.id),
            ("registration_date", ">=", self.date_start),
            ("registration_date", "<=", self.date_end),
        ]
        action["context"] = {"search_default_group_registration_state": 1, "create": False}
        return action
