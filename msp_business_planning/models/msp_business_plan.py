import json
import re
import uuid
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date, html_sanitize

from ..tools import compat, cron_batch, demo_builder, planning, portal_charts, values
from ..tools import figures as figure_rules
from ..tools import forecast as forecast_rules
from .msp_business_review import CARRIED_DECISIONS, fold_cancelled_groups

PARTNER_VISIBLE_STATES = ("draft", "in_progress", "completed")
# What a completed plan is made of: on record, as a done review is; only reopening
# it (a planning administrator) changes it again.
LOCKED_WHEN_COMPLETED = frozenset(
    {"partner_id", "company_id", "currency_id", "date_start", "date_end", "objective_ids", "state"}
)
# From this month on, a new plan is drafted for the next calendar year.
LAST_QUARTER_FIRST_MONTH = 10
# System parameter of the review cadence new plans start with, set in Settings.
PARAM_REVIEW_CADENCE = "msp_business_planning.default_review_cadence"
REVIEW_CADENCES = [("quarterly", "Quarterly"), ("semiannual", "Twice a Year")]
# Longest partner commitment (html) accepted from the portal.
PORTAL_COMMITMENT_MAX_LENGTH = 50000
# Largest file a partner's contact may attach to a message on its plan (bytes).
PORTAL_ATTACHMENT_MAX_SIZE = 10 * 1024 * 1024
# Plans mailed per batch of the monthly progress cron (each batch is committed).


class MspBusinessPlan(models.Model):
    _name = "msp.business.plan"
    _description = "Partner Business Plan"
    # The isolation mixin first: it overrides mail.thread's chatter methods.
    _inherit = [
        "msp.partner.isolation.thread.mixin",
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
    ]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    # The partner's portal contacts only read plans, yet they comment and attach files.
    _mail_post_access = "read"

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    def _default_year(self):
        """The calendar year a new plan covers: the current one, or the next one from
        the last quarter on, when plans for the coming year are drafted."""
        today = fields.Date.context_today(self)
        return today.year + 1 if today.month >= LAST_QUARTER_FIRST_MONTH else today.year

    def _default_date_start(self):
        return date(self._default_year(), 1, 1)

    def _default_date_end(self):
        return date(self._default_year(), 12, 31)

    def _default_review_cadence(self):
        # sudo: a configuration value, read by whoever creates a plan.
        cadence = self.env["ir.config_parameter"].sudo().get_param(PARAM_REVIEW_CADENCE)
        return cadence if cadence in dict(REVIEW_CADENCES) else "quarterly"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    # Staff-only: computed from the activities, which portal users cannot read (on Odoo
    # 19.0 reading these fields as a portal user would fail instead of being skipped).
    activity_exception_decoration = fields.Selection(groups="base.group_user")
    activity_exception_icon = fields.Char(groups="base.group_user")

    # portal.mixin's token, made with the plan: the plan page links its downloads with
    # it (get_portal_url), and that page is served read-only (from a replica), where
    # the first view could not write it.
    access_token = fields.Char(default=lambda self: str(uuid.uuid4()))
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
    description = fields.Html(
        string="Internal Notes",
        groups="base.group_user",
        help="For the channel team only: never shown to the partner.",
    )
    objective_ids = fields.One2many("msp.business.plan.objective", "plan_id", copy=True)
    objective_count = fields.Integer(compute="_compute_objective_count")
    objective_weight_total = fields.Integer(
        string="Total Weight",
        compute="_compute_objective_weight_total",
        help="Sum of the objectives' weights. Progress is their weighted mean whatever "
        "the total, but weights adding up to 100 read as each objective's share.",
    )
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
    forecast_progress = fields.Float(
        compute="_compute_forecast_progress",
        store=True,
        aggregator="avg",
        help="The progress the plan would reach if its open registered deals closed as "
        "their probability says: the weighted mean of each objective's forecast over its "
        "target, each capped at 100% (the rule of the progress). As of the last refresh.",
    )
    forecast_to_miss = fields.Boolean(
        string="Forecast to Miss",
        compute="_compute_forecast_progress",
        store=True,
        help="The plan is running and not over, and its forecast progress is below 100%: "
        "at least one objective is forecast below its target.",
    )
    color = fields.Integer()
    registered_deal_count = fields.Integer(
        string="Registered Deals",
        compute="_compute_registered_deal_count",
        groups="sales_team.group_sale_salesman",
        help="Deals the partner registered during the plan, whatever their status.",
    )
    # Business reviews, playbook and initiatives
    review_ids = fields.One2many("msp.business.review", "plan_id", string="Reviews")
    review_count = fields.Integer(compute="_compute_review_count")
    review_cadence = fields.Selection(
        REVIEW_CADENCES,
        default=_default_review_cadence,
        required=True,
        help="How often the annual playbook schedules a business review: every quarter of "
        "the plan, or every half for smaller partners.",
    )
    initiative_ids = fields.One2many(
        "msp.business.plan.initiative", "plan_id", string="Initiatives"
    )
    budget_approved = fields.Monetary(
        compute="_compute_budgets",
        string="Approved Budget",
        help="Budget of the approved initiatives, including those done.",
    )
    budget_proposed = fields.Monetary(
        compute="_compute_budgets",
        string="Proposed Budget",
        help="Budget of the initiatives proposed and not decided yet.",
    )
    client_annual_revenue = fields.Monetary(
        string="Annual Revenue",
        help="The partner's (or client's) annual revenue, the base of the IT budget guide.",
    )
    it_maturity = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High")],
        string="IT Maturity",
        help="Maturity of the partner's IT: the IT budget guide takes 5%, 7% or 9% of the "
        "annual revenue.",
    )
    it_budget_guide = fields.Monetary(
        compute="_compute_it_budget_guide",
        string="IT Budget Guide",
        help="A placeholder annual IT budget from an industry benchmark: annual revenue × "
        "5% (low maturity), 7% (medium) or 9% (high).",
    )
    progress_mail_opt_out = fields.Boolean(
        string="No Monthly Progress Mail",
        tracking=True,
        help="The partner's followers of a running plan get a progress mail at the start "
        "of each month (progress, pace, this period's targets, next review), unless "
        "this is set. The partner can set it from the portal too.",
    )
    progress_mail_date = fields.Date(
        string="Last Progress Mail",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="When the last monthly progress mail of the plan was sent: at most one a month.",
    )
    previous_plan_id = fields.Many2one(
        "msp.business.plan",
        string="Previous Plan",
        copy=False,
        index=True,
        check_company=True,
        help="The plan this one continues (set by Plan Next Year).",
    )
    template_id = fields.Many2one(
        "msp.business.plan.template",
        string="Template",
        copy=False,
        index=True,
        readonly=True,
        check_company=True,
        ondelete="restrict",
        # The vendor's segmentation of its partners (Gold, Silver...): staff only.
        groups="base.group_user",
        help="The plan template this plan was generated from (Generate Plans): one plan "
        "per partner, template and year.",
    )

    _date_check = compat.Constraint(
        "CHECK (date_end >= date_start)",
        "A business plan cannot end before it starts.",
    )

    def init(self):
        # One plan per partner, template and year, whoever generates it and however
        # many generations run at once (Generate Plans skips the partners that have one).
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS msp_business_plan_template_partner_year_uniq
                ON msp_business_plan (template_id, partner_id, (EXTRACT(YEAR FROM date_start)))
             WHERE template_id IS NOT NULL
            """
        )

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

    @api.depends("objective_ids.weight")
    def _compute_objective_weight_total(self):
        for plan in self:
            plan.objective_weight_total = sum(plan.objective_ids.mapped("weight"))

    @api.depends(
        "state",
        "objective_ids.weight",
        "objective_ids.progress",
        "objective_ids.expected_progress",
        "objective_ids.target_value",
    )
    def _compute_progress(self):
        thresholds = self.env["msp.business.plan.objective"]._pacing_thresholds()
        for plan in self:
            plan.progress, plan.expected_progress, plan.pacing_status = self._progress_figures(
                [
                    (o.progress, o.expected_progress, o.weight, o.target_value)
                    for o in plan.objective_ids
                ],
                plan.state,
                thresholds,
            )

    @api.depends(
        "state",
        "date_end",
        "objective_ids.weight",
        "objective_ids.forecast_value",
        "objective_ids.target_value",
        "objective_ids.forecast_to_miss",
    )
    def _compute_forecast_progress(self):
        for plan in self:
            plan.forecast_progress, plan.forecast_to_miss = forecast_rules.plan_forecast(
                [
                    (o.forecast_value, o.target_value, o.weight, o.forecast_to_miss)
                    for o in plan.objective_ids
                ]
            )

    @api.model
    def _progress_figures(self, objectives, state, thresholds):
        """``(progress, expected progress, pacing status)`` of a plan in ``state`` from
        its ``objectives`` (``(progress, expected progress, weight, target)``), by the
        pacing ``thresholds``: the rules of the computed fields above, shared with the
        objectives' bulk refresh. Objectives without a target are left out."""
        counted = [item for item in objectives if item[3] > 0]
        progress = planning.weighted_progress([(item[0], item[2]) for item in counted])
        expected = planning.weighted_progress([(item[1], item[2]) for item in counted])
        running = state in planning.RUNNING_STATES and counted
        status = planning.pacing_status(progress, expected, thresholds) if running else False
        return progress, expected, status

    def _compute_access_url(self):
        for plan in self:
            plan.access_url = f"/my/business-plans/{plan.id}"

    def _group_expand_states(self, states, domain):
        return [key for key, _label in self._fields["state"].selection]

    @api.model
    def web_read_group(self, *args, **kwargs):
        return fold_cancelled_groups(super().web_read_group(*args, **kwargs))

    @api.depends("review_ids")
    def _compute_review_count(self):
        counts = dict(
            self.env["msp.business.review"]._read_group(
                [("plan_id", "in", self.ids)], ["plan_id"], ["__count"]
            )
        )
        for plan in self:
            plan.review_count = counts.get(plan, 0)

    @api.depends("initiative_ids.budget", "initiative_ids.state")
    def _compute_budgets(self):
        sums = {
            (plan, state): budget
            for plan, state, budget in self.env["msp.business.plan.initiative"]._read_group(
                [("plan_id", "in", self.ids)], ["plan_id", "state"], ["budget:sum"]
            )
        }
        for plan in self:
            plan.budget_approved = sums.get((plan, "approved"), 0.0) + sums.get((plan, "done"), 0.0)
            plan.budget_proposed = sums.get((plan, "proposed"), 0.0)

    @api.depends("client_annual_revenue", "it_maturity")
    def _compute_it_budget_guide(self):
        for plan in self:
            plan.it_budget_guide = planning.it_budget_guide(
                plan.client_annual_revenue, plan.it_maturity
            )

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
            if values.plan_span_issue(plan.date_start, plan.date_end):
                raise ValidationError(plan._span_error(plan.date_start, plan.date_end))

    @api.model
    def _span_error(self, start, end):
        return _(
            "A business plan covers at most %(years)s years; check its dates (%(start)s to "
            "%(end)s).",
            years=values.MAX_PLAN_YEARS,
            start=start,
            end=end,
        )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _precheck_values(self, vals):
        """Refuse reversed or absurd dates and a wrong revenue with a ValidationError
        before the database check constraint (or a conversion) would abort the
        transaction with a bare error."""
        for plan in self or [self] if vals.keys() & {"date_start", "date_end"} else ():
            try:
                start = fields.Date.to_date(vals.get("date_start")) or plan.date_start
                end = fields.Date.to_date(vals.get("date_end")) or plan.date_end
            except (TypeError, ValueError):
                raise ValidationError(
                    _("The start and end of a business plan must be dates (YYYY-MM-DD).")
                ) from None
            issue = values.plan_span_issue(start, end) if start and end else None
            if issue == "reversed":
                raise ValidationError(
                    _(
                        "A business plan cannot end (%(end)s) before it starts (%(start)s).",
                        end=end,
                        start=start,
                    )
                )
            if issue:
                raise ValidationError(self._span_error(start, end))
        revenue = vals.get("client_annual_revenue")
        if revenue not in (None, False) and values.number_issue(revenue, minimum=0):
            raise ValidationError(_("The annual revenue must be a positive amount."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._precheck_values(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._precheck_values(vals)
        on_record = self.filtered(lambda plan: plan.state == "completed")
        if LOCKED_WHEN_COMPLETED & vals.keys() and vals.get("state") != "completed":
            on_record._check_not_on_record()
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
            plan._msp_log_internal_note(
                body=_("Plan started by %(user)s.", user=self.env.user.name),
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

    def action_reopen(self):
        """A completed plan is on record: only a planning administrator may reopen it
        (back to in progress), and the chatter says who did."""
        if not self.env.user.has_group("msp_business_planning.group_manager"):
            raise AccessError(_("Only a planning administrator can reopen a completed plan."))
        self._check_state(["completed"], _("reopen"))
        self._write_reopened()
        for plan in self:
            plan._msp_log_internal_note(_("Plan reopened by %(user)s.", user=self.env.user.name))
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
        self.check_access("read")
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

    def action_view_reviews(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.msp_business_review_action"
        )
        action["domain"] = [("plan_id", "=", self.id)]
        action["context"] = {"default_plan_id": self.id}
        return action

    def action_view_initiative_budget(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.msp_business_plan_initiative_action"
        )
        action["domain"] = [("plan_id", "=", self.id)]
        action["context"] = {"default_plan_id": self.id}
        action["view_mode"] = "pivot,list,form"
        action["views"] = [(False, "pivot"), (False, "list"), (False, "form")]
        return action

    def action_generate_review_schedule(self):
        """The annual playbook: one QBR per quarter of the plan (per half with the
        twice-a-year cadence), counted from the plan start, dated inside its quarter,
        each focused on another topic in rotation and the closing topic (IT Strategy)
        last. A quarter that already has a QBR is left alone, so running it again
        creates nothing new.

        Nothing is scheduled in the past: a quarter already over gets no review (a
        meeting cannot be held after the fact; its figures remain in the period
        targets), and the review of the current quarter is dated today at the
        earliest. The plan's chatter says which quarters were left out."""
        self._check_state(["draft_outline", "draft", "in_progress"], _("schedule the reviews of"))
        topics = self.env["msp.business.review.topic"].search([])
        today = fields.Date.context_today(self)
        vals_list = []
        skipped = {}  # plan: [(start, end)] of the blocks over, without a QBR
        for plan in self:
            months = planning.REVIEW_CADENCE_MONTHS[plan.review_cadence]
            blocks = planning.split_plan_span(plan.date_start, plan.date_end, months)
            plan_topics = topics.filtered(
                lambda t, p=plan: not t.company_id or t.company_id == p.company_id
            )
            rotation = planning.rotate_topics(
                len(blocks),
                plan_topics.filtered(lambda t: not t.is_closing).ids,
                plan_topics.filtered("is_closing").ids,
            )
            qbr_dates = plan.review_ids.filtered(lambda r: r.review_type == "qbr").mapped("date")
            for (start, end), topic_id in zip(blocks, rotation, strict=True):
                if any(start <= day <= end for day in qbr_dates):
                    continue
                day = planning.review_date_in_block(start, end, today)
                if not day:
                    skipped.setdefault(plan, []).append((start, end))
                    continue
                vals_list.append(
                    {
                        "plan_id": plan.id,
                        "review_type": "qbr",
                        "topic_id": topic_id or False,
                        # The channel manager runs the meeting; others are added.
                        "user_ids": [Command.set(plan.user_id.ids)],
                        "date": day,
                        "period_start": start,
                        "period_end": end,
                    }
                )
        # The agenda of a review is drafted when it comes next, with the pacing of
        # that time: here only the first one.
        reviews = self.env["msp.business.review"]._create_reviews(vals_list, draft_agenda=False)
        for plan in reviews.plan_id:
            reviews.filtered(lambda r, p=plan: r.plan_id == p).sorted("date")[:1]._draft_agenda()
        for plan, blocks in skipped.items():
            plan._msp_log_internal_note(self._skipped_reviews_message(blocks))
        messages = []
        if reviews:
            messages.append(_("%(count)s business reviews scheduled.", count=len(reviews)))
        if skipped:
            messages.append(
                _(
                    "%(count)s periods already over were not scheduled: a review is not "
                    "held after the fact.",
                    count=sum(len(blocks) for blocks in skipped.values()),
                )
            )
        if not messages:
            messages.append(_("Every quarter of the plan already has its business review."))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if reviews else "info",
                "message": " ".join(messages),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _skipped_reviews_message(self, blocks):
        periods = ", ".join(
            # env._: no _() inside a generator, which has no environment to translate with.
            self.env._("%(start)s to %(end)s", start=start, end=end)
            for start, end in blocks
        )
        return _(
            "No business review was scheduled for the periods already over (%(periods)s): "
            "a review is not held after the fact. Their figures stay in the period targets.",
            periods=periods,
        )

    def action_plan_next_year(self):
        """Roll the plan over into the next year: same partner, objectives (targets
        spread again over the new periods), target accounts and commitment, in
        draft outline; the decisions still open on its reviews go onto a kick-off
        review of the new plan. Opens the next plan if it already exists."""
        self.ensure_one()
        self._check_state(["draft_outline", "draft", "in_progress", "completed"], _("roll over"))
        next_plan = self.search([("previous_plan_id", "=", self.id)], limit=1)
        if not next_plan:
            next_plan = self._copy_into_next_year()
        return {
            "type": "ir.actions.act_window",
            "res_model": "msp.business.plan",
            "res_id": next_plan.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    # How figures read in the portal and PDF templates: the one rounding rule of
    # tools/figures.py, also the back office's and the workbook's.
    @api.model
    def _round_percent(self, value):
        return figure_rules.percent(value)

    @api.model
    def _format_percent(self, value):
        return figure_rules.format_percent(value)

    @api.model
    def _round_score(self, value):
        return figure_rules.score(value)

    @api.model
    def _format_score(self, value):
        """An excellence score as it reads everywhere: a whole number (``"73"``)."""
        return figure_rules.format_score(value)

    def _check_not_on_record(self):
        """Refuse to change what a completed plan is made of (partner, dates,
        currency, objectives, targets, progress updates): it is on record, and its
        partner's portal shows it as its history."""
        completed = self.filtered(lambda plan: plan.state == "completed")
        if completed:
            raise UserError(
                _(
                    "The business plan “%(plan)s” is completed: its partner, dates, currency, "
                    "objectives, targets and progress updates are on record. A planning "
                    "administrator can reopen it.",
                    plan=completed[0].name,
                )
            )

    def _write_reopened(self):
        # The only way out of "completed": past the lock of write(), which any
        # caller could reach with a flag; action_reopen() checked the user first.
        return super().write({"state": "in_progress"})

    def _copy_into_next_year(self):
        self.ensure_one()
        one_year = relativedelta(years=1)
        name = self.name
        for year in sorted({self.date_end.year, self.date_start.year}, reverse=True):
            name = name.replace(str(year), str(year + 1))
        if name == self.name:
            name = _("%(plan)s (next year)", plan=self.name)
        objective_vals = self.objective_ids.copy_data()
        for objective, vals in zip(self.objective_ids, objective_vals, strict=True):
            vals.pop("plan_id", None)
            vals["target_value"] = objective.target_value
        next_plan = self.copy(
            {
                "name": name,
                "date_start": self.date_start + one_year,
                "date_end": self.date_end + one_year,
                "previous_plan_id": self.id,
                "objective_ids": [Command.create(vals) for vals in objective_vals],
            }
        )
        # Untouched pace proposals are left behind: the new year has its own pace.
        items = self.review_ids.item_ids
        pending = (items - items._filter_untouched_proposals()).filtered(
            lambda i: i.review_state != "cancelled"
            and i.decision in CARRIED_DECISIONS
            and not i.carried_to_ids
        )
        if pending:
            kickoff = self.env["msp.business.review"]._create_reviews(
                [
                    {
                        "plan_id": next_plan.id,
                        "name": _("Kick-off: decisions carried from %(plan)s", plan=self.name),
                        "review_type": "roadmap",
                        "date": next_plan.date_start,
                    }
                ],
                draft_agenda=False,
            )
            objective_map = dict(zip(self.objective_ids, next_plan.objective_ids, strict=True))
            pending._carry_to(kickoff, objective_map=objective_map)
        return next_plan

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

    @api.model
    def _demo_load_story(self):
        """Called by the demo data: the demo story, dated from today."""
        demo_builder.load_story(self.env)

    @api.model
    def _ensure_access_tokens(self):
        """Give their portal token to the plans made before plans came with one (run
        by the data file at each install and upgrade; see ``access_token``)."""
        self.env.cr.execute(
            "UPDATE msp_business_plan SET access_token = gen_random_uuid()::text"
            " WHERE access_token IS NULL"
        )
        if self.env.cr.rowcount:
            self.invalidate_model(["access_token"])

    def _cron_refresh_pacing(self, force=False):
        """Daily: expected progress moves with the calendar even when nothing else
        does, so running plans are recomputed once a day, partner company by partner
        company, in batches committed one by one that resume after a crash
        (``tools/cron_batch``); objectives that fell off track become an activity of their
        channel manager. The objectives the daily refresh of actuals (or a deal's
        change) computed today already are left out, unless ``force`` (the pacing
        thresholds changed): the two daily jobs do not do each other's work."""
        domain = [("state", "=", "in_progress")]

        def refresh(partner_ids):
            plans = self.search([*domain, ("commercial_partner_id", "in", partner_ids)])
            plans.objective_ids._recompute_pacing(force=force)
            plans.objective_ids._sync_off_track_activities()

        return cron_batch.run(self, "refresh_pacing", domain, "commercial_partner_id", refresh)

    # ------------------------------------------------------------
    # MONTHLY PROGRESS MAIL
    # ------------------------------------------------------------

    def _progress_mail_domain(self, today):
        month_start = today.replace(day=1)
        return [
            ("state", "=", "in_progress"),
            ("progress_mail_opt_out", "=", False),
            "|",
            ("progress_mail_date", "=", False),
            ("progress_mail_date", "<", month_start),
        ]

    @api.model
    def _cron_send_progress_mails(self):
        """Monthly: each running plan that did not opt out mails its progress to the
        partner's followers, once a month (a plan mailed this month is skipped, so
        running it again sends nothing twice), partner company by partner company in
        the daily jobs' committed, resumable batches (:mod:`..tools.cron_batch`)."""
        today = fields.Date.context_today(self)
        domain = self._progress_mail_domain(today)

        def send(partner_ids):
            self.search(
                [*domain, ("commercial_partner_id", "in", partner_ids)]
            )._send_progress_mail(today)

        return cron_batch.run(self, "progress_mails", domain, "commercial_partner_id", send)

    def _get_progress_mail_recipients(self):
        """The partner's own followers of the plan (its contacts), never the vendor's
        staff nor anyone of another company."""
        self.ensure_one()
        # sudo: followers are staff-only; only the partner's contacts leave here.
        followers = self.sudo().message_partner_ids
        return followers.filtered(
            lambda partner: partner.commercial_partner_id == self.commercial_partner_id
            and not any(user._is_internal() for user in partner.user_ids)
        )

    def _send_progress_mail(self, today):
        """Post the monthly progress mail on each plan, to the partner's followers
        (a subtype nobody follows by default, so only they are mailed), and record
        the month as done, mailed or not."""
        subtype = self.env.ref("msp_business_planning.mt_business_plan_progress")
        for plan in self:
            recipients = plan._get_progress_mail_recipients()
            if recipients:
                plan.message_post_with_source(
                    "msp_business_planning.mail_template_business_plan_progress",
                    message_type="comment",
                    subtype_id=subtype.id,
                    partner_ids=recipients.ids,
                )
        # super: a system stamp, past the lock of completed plans and the tracking.
        return super().write({"progress_mail_date": today})

    def _progress_mail_lines(self):
        """What the monthly mail says of each objective: its progress and pace for
        the plan, and the target and actual of the period running today."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        pace_labels = dict(
            self.env["msp.business.plan.objective"]
            ._fields["pacing_status"]
            ._description_selection(self.env)
        )
        lines = []
        for objective in self.objective_ids:
            period = objective.target_ids.filtered(lambda t: t.date_start <= today <= t.date_end)[
                :1
            ]
            lines.append(
                {
                    "name": objective.name,
                    "progress": objective._format_percent(objective.progress),
                    "pace": pace_labels.get(objective.pacing_status, ""),
                    "period": period.name or "",
                    "period_target": objective._format_figure(period.target_value)
                    if period
                    else "",
                    "period_actual": objective._format_figure(period.actual_value)
                    if period
                    else "",
                }
            )
        return lines

    def _progress_mail_next_review(self):
        """The plan's next scheduled review from today, if any."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return self.review_ids.filtered(
            lambda r: r.state == "scheduled" and r.date >= today
        ).sorted(lambda r: (r.date, r.id))[:1]

    def _portal_set_progress_mail(self, receive):
        """The partner's choice on the portal: receive the monthly progress mail or
        not. The portal route checked the user may act on the plan."""
        self.ensure_one()
        # sudo: portal users cannot write plans; only this flag is written, and the
        # change is tracked in the chatter.
        self.sudo().write({"progress_mail_opt_out": not receive})

    # ------------------------------------------------------------
    # REPORTS
    # ------------------------------------------------------------

    def export_xlsx(self):
        """Bytes of an Excel workbook (.xlsx) on these plans: summary, objectives,
        period targets and reviews. Needs read access on every plan (AccessError otherwise); what
        the sheets show is read with the current user's rights, in a constant number
        of queries whatever the number of plans."""
        self.check_access("read")
        return self.env["msp.business.plan.xlsx"]._build_workbook(self)

    def _export_xlsx_for_partner(self):
        """:meth:`export_xlsx` as the partner sees it, whoever opens the portal page
        (e.g. no cancelled review); the portal route checked the access first."""
        return self.env["msp.business.plan.xlsx"]._build_workbook(self, for_partner=True)

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
    def _get_thread_with_access(self, thread_id, *args, **kwargs):
        """A shared link (access token or signed hash) must not outlive the sharing:
        once a plan is back to outline or cancelled, its chatter is closed to
        everyone outside the company, token or not."""
        thread = super()._get_thread_with_access(thread_id, *args, **kwargs)
        if (
            thread
            and not self.env.user._is_internal()
            and thread.sudo().state not in PARTNER_VISIBLE_STATES
        ):
            return self.browse()
        return thread

    def _process_attachments_for_post(self, attachments, attachment_ids, message_values):
        """Files a partner's contact attaches to a message stay within a size the
        channel team can handle: a larger one refuses the message, which is not
        posted."""
        if self.env.user.share:
            sizes = [(attachment[0], len(attachment[1] or b"")) for attachment in attachments or ()]
            # Only the user's own pending files (the ones Odoo links to its message): a
            # file of anyone else is neither read nor named.
            uploaded = self._msp_own_pending_attachments(attachment_ids or ())
            sizes += [(attachment.name, attachment.file_size) for attachment in uploaded]
            too_large = [name for name, size in sizes if size > PORTAL_ATTACHMENT_MAX_SIZE]
            if too_large:
                raise UserError(
                    _(
                        "“%(file)s” is too large to attach (%(max)s MB at most); nothing was "
                        "posted.",
                        file=too_large[0],
                        max=PORTAL_ATTACHMENT_MAX_SIZE // (1024 * 1024),
                    )
                )
        return super()._process_attachments_for_post(attachments, attachment_ids, message_values)

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
        self._msp_log_internal_note(
            body=_(
                "Partner commitment updated by %(partner)s.",
                partner=self.env.user.partner_id.display_name,
            ),
            author_id=self.env.user.partner_id.id,
        )
        return True

    def _portal_chart_values(self):
        """The figures the charts of the plan's portal page draw, from the stored
        fields only (period targets and actuals, progress, done reviews and their
        scores): ``{"as_of", "objectives": {id: {"periods", "burnup", "json"}},
        "plan", "scorecard", "plan_json", "scorecard_json"}``. Embedded in the page
        (JSON in ``data-*`` attributes), beside tables of the same figures; nothing
        but these figures, all of this plan. Called on a plan whose access was
        checked; the same few queries whatever the number of objectives."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        in_plan = today if self.date_start <= today <= self.date_end else None

        def label_of(day):
            return format_date(self.env, day, date_format="MMM d")

        # The charts' words, translated here: the page's script draws before the
        # portal's translations may have loaded.
        texts = {
            "target": _("Target"),
            "actual": _("Actual"),
            "cumulative_target": _("Cumulative target"),
            "cumulative_actual": _("Cumulative actual"),
            "expected": _("Expected"),
            "progress": _("Progress"),
            "today": _("Today"),
        }
        objectives = {}
        objective_periods = []
        for objective in self.objective_ids:
            kind = objective.figure_kind
            digits = self.currency_id.decimal_places

            def round_value(value, kind=kind, digits=digits):
                return figure_rules.figure_value(value, kind, digits)

            periods = [
                {
                    "label": target.name,
                    "date_start": target.date_start,
                    "date_end": target.date_end,
                    "target": target.target_value,
                    "actual": target.actual_value,
                }
                for target in objective.target_ids.sorted(lambda t: (t.date_start, t.id))
            ]
            objective_periods.append(
                {
                    "weight": objective.weight,
                    "periods": [(p["date_start"], p["date_end"], p["target"]) for p in periods],
                }
            )
            charts = {
                "texts": texts,
                "kind": kind,
                "periods": portal_charts.period_chart(periods, round_value),
                "burnup": portal_charts.burnup_chart(
                    periods, self.date_start, self.date_end, in_plan, round_value
                ),
            }
            # How each figure reads, for the tooltips: the tables' own texts.
            period_chart, burnup = charts["periods"], charts["burnup"]
            for key in ("target", "actual"):
                period_chart[f"{key}_texts"] = [
                    objective._format_figure(v) for v in period_chart[key]
                ]
                for point in burnup[key]:
                    point["text"] = objective._format_figure(point["y"])
            for key in ("target_to_date", "actual_to_date"):
                if burnup[key] is not None:
                    burnup[f"{key}_text"] = objective._format_figure(burnup[key])
            objectives[objective.id] = charts | {"json": json.dumps(charts)}

        done_reviews = self.review_ids.filtered(lambda r: r.state == "done").sorted(
            lambda r: (r.date, r.id)
        )
        plan_chart = portal_charts.plan_progress_chart(
            objective_periods,
            [{"period_end": r.period_end, "progress": r.snapshot_progress} for r in done_reviews],
            self.progress,
            self.expected_progress,
            self.date_start,
            self.date_end,
            in_plan,
            label_of,
        )
        topics = done_reviews.score_ids.topic_id.sorted()
        scorecard = portal_charts.scorecard_chart(
            [
                {
                    "label": format_date(self.env, r.date),
                    "scores": {s.topic_id.id: s.score for s in r.score_ids},
                }
                for r in done_reviews
            ],
            [(topic.id, topic.name) for topic in topics],
        )
        plan_chart["texts"] = scorecard["texts"] = texts
        return {
            "as_of": format_date(self.env, today),
            "objectives": objectives,
            "plan": plan_chart,
            "plan_json": json.dumps(plan_chart),
            "scorecard": scorecard,
            "scorecard_json": json.dumps(scorecard),
        }

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
