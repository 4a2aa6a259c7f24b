import re
import uuid
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import is_html_empty, plaintext2html

from ..tools import compat, meetings, planning, values
from ..tools import figures as figure_rules

# Decisions revisited at the plan's next review: nothing was agreed yet (open), or
# the partner said no or not now; either way the question comes back.
CARRIED_DECISIONS = ("open", "declined", "deferred")

# What a done review is made of; it changes only after a manager reopens it.
LOCKED_WHEN_DONE = frozenset(
    {
        "plan_id",
        "review_type",
        "topic_id",
        "date",
        "period_start",
        "period_end",
        "item_ids",
        "score_ids",
        "snapshot_ids",
    }
)

# What the calendar meeting of a review is made of: a change to any of them is
# carried over to the meeting (Odoo then mails the attendees what changed).
MEETING_FIELDS = frozenset(
    {
        "name",
        "review_type",
        "topic_id",
        "date",
        "user_ids",
        "attendee_partner_ids",
        "meeting_duration",
    }
)

FEEDBACK_COMMENT_MAX_LENGTH = 4000
# Control characters other than tab and line breaks have no place in a comment.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fold_cancelled_groups(result):
    """Fold the *Cancelled* column of a kanban grouped by status (the result of
    ``web_read_group``): what was called off stays reachable, out of the way."""
    for group in result.get("groups", ()):
        if group.get("state") == "cancelled":
            group["__fold"] = True
    return result


class MspBusinessReview(models.Model):
    _name = "msp.business.review"
    _description = "Business Review"
    # The isolation mixin first: it overrides mail.thread's chatter methods.
    _inherit = ["msp.partner.isolation.thread.mixin", "mail.thread", "mail.activity.mixin"]
    # Soonest first: the next review to prepare is at the top of the scheduled ones.
    _order = "date, id"
    _check_company_auto = True
    _rec_names_search = ["name", "plan_id", "partner_id"]

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    # Staff-only: computed from the activities, which portal users cannot read (on Odoo
    # 19.0 reading these fields as a portal user would fail instead of being skipped).
    activity_exception_decoration = fields.Selection(groups="base.group_user")
    activity_exception_icon = fields.Char(groups="base.group_user")

    name = fields.Char(
        string="Title",
        tracking=True,
        help="Optional: by default a review is named after its type, focus topic and date.",
    )
    plan_id = fields.Many2one(
        "msp.business.plan",
        string="Business Plan",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
        tracking=True,
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True, index=True)
    commercial_partner_id = fields.Many2one(
        related="plan_id.commercial_partner_id", store=True, index=True
    )
    plan_user_id = fields.Many2one(
        related="plan_id.user_id", store=True, string="Channel Manager", index=True
    )
    plan_state = fields.Selection(related="plan_id.state", store=True, string="Plan Status")
    review_type = fields.Selection(
        [
            ("qbr", "Quarterly Business Review"),
            ("strategy_risk", "Strategy & Risk Review"),
            ("roadmap", "Roadmap Review"),
            ("check_in", "Check-in"),
            ("ad_hoc", "Ad Hoc Review"),
        ],
        string="Type",
        required=True,
        default="qbr",
        tracking=True,
    )
    topic_id = fields.Many2one(
        "msp.business.review.topic",
        string="Focus Topic",
        check_company=True,
        tracking=True,
        help="The topic this review looks at in depth; the annual playbook rotates them.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True, index=True)
    period_start = fields.Date(
        compute="_compute_period",
        store=True,
        readonly=False,
        precompute=True,
        help="Start of the period the review looks back on (default: the quarter before "
        "the review, within the plan).",
    )
    period_end = fields.Date(
        compute="_compute_period",
        store=True,
        readonly=False,
        precompute=True,
        help="End of the period the review looks back on: the snapshot's targets to date "
        "are the targets due by this day.",
    )
    state = fields.Selection(
        [("scheduled", "Scheduled"), ("done", "Done"), ("cancelled", "Cancelled")],
        string="Status",
        required=True,
        default="scheduled",
        tracking=True,
        copy=False,
        index=True,
        group_expand="_group_expand_states",
    )
    is_overdue = fields.Boolean(
        string="Overdue",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
        help="Still scheduled although its date has passed: hold it and mark it done, "
        "move it to a new date, or cancel it.",
    )
    user_ids = fields.Many2many(
        "res.users",
        "msp_business_review_user_rel",
        "review_id",
        "user_id",
        string="Internal Attendees",
        domain="[('share', '=', False)]",
        check_company=True,
    )
    attendee_partner_ids = fields.Many2many(
        "res.partner",
        "msp_business_review_partner_rel",
        "review_id",
        "partner_id",
        string="Partner Attendees",
        domain="[('id', 'child_of', commercial_partner_id)]",
        help="Contacts of the partner company who attend the review.",
    )
    summary = fields.Html(
        sanitize=True,
        help="What was discussed and concluded; the partner reads it on the portal and in "
        "the review document.",
    )
    internal_note = fields.Html(
        groups="msp_business_planning.group_user",
        help="For the channel team only: never shown to the partner.",
    )
    item_ids = fields.One2many("msp.business.review.item", "review_id", string="Agenda")
    score_ids = fields.One2many("msp.business.review.score", "review_id", string="Scorecard")
    snapshot_ids = fields.One2many(
        "msp.business.review.snapshot",
        "review_id",
        string="Objectives Snapshot",
        readonly=True,
        help="The objectives as of the end of the reviewed period (deals and updates "
        "dated up to that day), frozen when the review is marked done; later changes "
        "to deals or progress never alter it.",
    )
    initiative_ids = fields.One2many(
        "msp.business.plan.initiative",
        "review_id",
        string="Initiatives Decided",
        help="Initiatives linked to an agenda item of this review.",
    )
    excellence_score = fields.Float(
        compute="_compute_excellence",
        store=True,
        aggregator="avg",
        help="The scorecard in one number: the mean of the topic scores weighted by the "
        "topics' weights (the “IT Excellence” score).",
    )
    excellence_target = fields.Float(
        compute="_compute_excellence",
        store=True,
        aggregator="avg",
        help="The same weighted mean of the target scores.",
    )
    snapshot_progress = fields.Float(
        compute="_compute_snapshot_progress",
        store=True,
        aggregator="avg",
        string="Attainment to Date",
        help="As of the end of the reviewed period: the objectives' actuals over their "
        "targets due by then, weighted and each capped at 100%.",
    )
    date_done = fields.Datetime(string="Done On", readonly=True, copy=False)
    feedback_rating = fields.Integer(
        string="Partner Rating",
        copy=False,
        aggregator="avg",
        help="The partner's rating of the review, from 1 (poor) to 5 (excellent), given "
        "on the portal.",
    )
    feedback_comment = fields.Text(string="Partner Comment", copy=False)
    feedback_date = fields.Datetime(copy=False)
    feedback_partner_id = fields.Many2one(
        "res.partner", string="Feedback By", copy=False, ondelete="set null"
    )
    color = fields.Integer()
    # The meeting (Calendar app): staff-only here; the partner's attendees read it in
    # their own calendar, and its time on the portal page (see the portal templates).
    calendar_event_id = fields.Many2one(
        "calendar.event",
        string="Meeting",
        copy=False,
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
        groups="msp_business_planning.group_user",
        help="The review's meeting in the Calendar app: created when the review is "
        "scheduled, moved, renamed and cancelled with it. Moving the meeting in the "
        "Calendar moves the review.",
    )
    meeting_start = fields.Datetime(
        related="calendar_event_id.start",
        string="Meeting Start",
        groups="msp_business_planning.group_user",
    )
    meeting_duration = fields.Float(
        default=lambda self: self.env.company.sudo().msp_review_meeting_duration or 1.0,
        help="How long the review's meeting lasts, in hours (default: the Business "
        "Planning settings).",
    )
    meeting_attendee_ids = fields.One2many(
        related="calendar_event_id.attendee_ids",
        string="Invitations",
        groups="msp_business_planning.group_user",
        help="Who was invited to the meeting and what each answered.",
    )

    _period_check = compat.Constraint(
        "CHECK (period_end IS NULL OR period_start IS NULL OR period_end >= period_start)",
        "The period of a review cannot end before it starts.",
    )
    _meeting_duration_check = compat.Constraint(
        "CHECK (meeting_duration IS NULL OR (meeting_duration > 0 AND meeting_duration <= 24))",
        "A review meeting lasts more than zero and at most 24 hours.",
    )
    _feedback_rating_range = compat.Constraint(
        "CHECK (feedback_rating IS NULL OR feedback_rating BETWEEN 0 AND 5)",
        "A partner rating goes from 1 to 5.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("name", "review_type", "topic_id", "date")
    def _compute_display_name(self):
        type_labels = dict(self._fields["review_type"]._description_selection(self.env))
        for review in self:
            if review.name:
                review.display_name = review.name
                continue
            parts = [type_labels.get(review.review_type) or _("Review")]
            if review.date:
                parts.append(planning.quarter_label(review.date))
            label = " ".join(parts)
            review.display_name = f"{label} — {review.topic_id.name}" if review.topic_id else label

    @api.depends("state", "date")
    @api.depends_context("tz")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for review in self:
            review.is_overdue = (
                review.state == "scheduled" and bool(review.date) and (review.date < today)
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Overdue reviews can only be searched as overdue or not."))
        overdue = [
            ("state", "=", "scheduled"),
            ("date", "<", fields.Date.context_today(self)),
        ]
        return overdue if (operator == "=") == value else ["!", *compat.Domain.AND([overdue])]

    @api.depends("date", "plan_id")
    def _compute_period(self):
        for review in self:
            plan = review.plan_id
            if not review.date or not plan.date_start or not plan.date_end:
                # Keep what was entered: nothing to derive a period from yet.
                review.period_start, review.period_end = review.period_start, review.period_end
                continue
            review.period_start, review.period_end = planning.default_review_period(
                review.date, plan.date_start, plan.date_end
            )

    @api.depends("score_ids.score", "score_ids.target_score", "score_ids.weight")
    def _compute_excellence(self):
        for review in self:
            scores = review.score_ids
            review.excellence_score = planning.weighted_mean([(s.score, s.weight) for s in scores])
            review.excellence_target = planning.weighted_mean(
                [(s.target_score, s.weight) for s in scores]
            )

    @api.depends("snapshot_ids.progress", "snapshot_ids.weight", "snapshot_ids.target_value")
    def _compute_snapshot_progress(self):
        for review in self:
            lines = review.snapshot_ids.filtered(lambda s: s.target_value > 0)
            review.snapshot_progress = planning.weighted_progress(
                [(line.progress, line.weight) for line in lines]
            )

    def _group_expand_states(self, states, domain):
        return [key for key, _label in self._fields["state"].selection]

    @api.model
    def web_read_group(self, *args, **kwargs):
        return fold_cancelled_groups(super().web_read_group(*args, **kwargs))

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("date", "plan_id")
    def _check_date_in_plan(self):
        for review in self:
            review._check_date_within(review.date, review.plan_id)

    @api.model
    def _check_date_within(self, day, plan):
        if day and plan and not plan.date_start <= day <= plan.date_end:
            raise ValidationError(
                _(
                    "The review date %(date)s is outside the business plan “%(plan)s” "
                    "(%(start)s to %(end)s).",
                    date=day,
                    plan=plan.name,
                    start=plan.date_start,
                    end=plan.date_end,
                )
            )

    @api.constrains("period_start", "period_end")
    def _check_period(self):
        for review in self:
            if (
                review.period_start
                and review.period_end
                and review.period_end < review.period_start
            ):
                raise ValidationError(self._period_error(review.period_start, review.period_end))

    @api.constrains("attendee_partner_ids", "plan_id")
    def _check_attendee_partners(self):
        # The review and its document go to the partner: another company's contact
        # listed among the attendees would be a competitor's name shown to it.
        for review in self:
            outsiders = review.attendee_partner_ids.filtered(
                lambda p, r=review: p.commercial_partner_id != r.commercial_partner_id
            )
            if outsiders:
                raise ValidationError(
                    _(
                        "%(contact)s is not a contact of %(partner)s: partner attendees of "
                        "a review are the partner's own contacts.",
                        contact=outsiders[0].display_name,
                        partner=review.commercial_partner_id.display_name,
                    )
                )

    @api.constrains("feedback_rating")
    def _check_feedback_rating(self):
        for review in self:
            if review.feedback_rating and not 1 <= review.feedback_rating <= 5:
                raise ValidationError(self._rating_error(review.feedback_rating))

    @api.model
    def _period_error(self, start, end):
        return _(
            "The period of a review cannot end (%(end)s) before it starts (%(start)s).",
            end=end,
            start=start,
        )

    @api.model
    def _rating_error(self, rating):
        return _("A rating goes from 1 to 5 (got %(rating)s).", rating=rating)

    def _precheck_values(self, vals):
        """Refuse a date outside the plan, a reversed period or a rating out of range
        with a ValidationError before anything is written (the database check
        constraints would abort the transaction)."""
        duration = vals.get("meeting_duration", 1.0)
        if isinstance(duration, bool) or not (
            isinstance(duration, int | float) and 0 < duration <= 24
        ):
            raise ValidationError(_("A review meeting lasts more than zero and at most 24 hours."))
        rating = vals.get("feedback_rating")
        if rating not in (None, False) and values.number_issue(rating, 1, 5):
            raise ValidationError(self._rating_error(rating))
        Plan = self.env["msp.business.plan"]
        for review in self or [self]:
            if "date" in vals or "plan_id" in vals or not review:
                plan = Plan.browse(vals["plan_id"]) if vals.get("plan_id") else review.plan_id
                day = vals.get("date", review.date)
                if not review and "date" not in vals:
                    day = fields.Date.context_today(self)
                self._check_date_within(fields.Date.to_date(day), plan)
            if "period_start" in vals or "period_end" in vals:
                start = fields.Date.to_date(vals.get("period_start", review.period_start))
                end = fields.Date.to_date(vals.get("period_end", review.period_end))
                if start and end and end < start:
                    raise ValidationError(self._period_error(start, end))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        targets = self._pop_create_states(vals_list)
        reviews = super().create(vals_list)
        reviews._after_create(targets, draft_agenda=True)
        return reviews

    def _create_reviews(self, vals_list, draft_agenda):
        """Create reviews; ``draft_agenda=False`` for the playbook, which drafts only
        the agenda of the next review (a private switch: no context key a client
        could send changes what create does)."""
        targets = self._pop_create_states(vals_list)
        reviews = super().create(vals_list)
        reviews._after_create(targets, draft_agenda=draft_agenda)
        return reviews

    def _pop_create_states(self, vals_list):
        """Check the values and take the status out of them: a review is born
        scheduled; one created in another status goes through the same action as the
        buttons (snapshot, follow-ups...), see :meth:`_after_create`."""
        targets = []
        for vals in vals_list:
            self.browse()._precheck_values(vals)
            targets.append(vals.pop("state", None) or "scheduled")
        return targets

    def _after_create(self, targets, draft_agenda):
        by_target = {}
        for review, target in zip(self, targets, strict=True):
            by_target[target] = by_target.get(target, self.browse()) | review
        scheduled = by_target.get("scheduled", self.browse())
        scheduled._pull_pending_items()
        if draft_agenda:
            scheduled._draft_agenda()
        for target, moving in by_target.items():
            if target != "scheduled":
                moving._set_state(target)
        scheduled._sync_meetings()

    def write(self, vals):
        self._precheck_values(vals)
        if "state" in vals:
            # Status changes go through the actions, whoever writes them.
            vals = dict(vals)
            target = vals.pop("state")
            if target == "scheduled":
                self._set_state(target)
                return self.write(vals) if vals else True
            res = self.write(vals) if vals else True
            self._set_state(target)
            return res
        locked = self.filtered(lambda r: r.state == "done")
        if locked and LOCKED_WHEN_DONE & vals.keys():
            raise UserError(
                _(
                    "The review “%(review)s” is done: its agenda, scorecard and snapshot "
                    "are on record. A planning administrator can reopen it.",
                    review=locked[0].display_name,
                )
            )
        res = super().write(vals)
        if MEETING_FIELDS & vals.keys():
            self._sync_meetings()
        return res

    def unlink(self):
        # A deleted review is no meeting any more: its attendees hear it is off.
        self._cancel_meetings(notify_on=self.plan_id)
        return super().unlink()

    def _write_transition(self, vals):
        """The status actions' own write, past the status routing and the lock of done
        reviews: only the actions call it, after their own checks."""
        return super().write(vals)

    def _set_state(self, target):
        """Move the reviews to ``target`` through the matching action: marking done
        freezes the snapshot, reopening is for managers only."""
        moving = self.filtered(lambda r: r.state != target)
        if target == "done":
            moving.action_done()
        elif target == "cancelled":
            moving.action_cancel()
        elif target == "scheduled":
            moving.filtered(lambda r: r.state == "done").action_reopen()
            moving.filtered(lambda r: r.state == "cancelled").action_reschedule()
        else:
            raise ValidationError(_("Unknown review status %(state)s.", state=target))

    def _check_lines_editable(self, what):
        """Lines (``what``: agenda, scorecard) of done reviews are on record: refuse to
        change them (the actions write through private methods of the lines)."""
        done = self.filtered(lambda review: review.state == "done")
        if done:
            raise UserError(
                _(
                    "The review “%(review)s” is done: it is on record with its %(what)s. A "
                    "planning administrator can reopen it.",
                    review=done[0].display_name,
                    what=what,
                )
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_done(self):
        """The review took place: freeze the objectives snapshot, plan the accepted
        items as follow-up activities, apply the decisions to the initiatives, carry
        what is still undecided onto the plan's next review and mail the partner."""
        return self._mark_done()

    def _mark_done(self, notify_partner=True):
        """:meth:`action_done`; ``notify_partner=False`` (a private switch, for the
        demo's history of reviews held before the story starts) sends no mail."""
        # Who may not change the reviews learns nothing of what they lack.
        self.check_access("write")
        for review in self:
            if review.state != "scheduled":
                state_label = dict(review._fields["state"]._description_selection(self.env))[
                    review.state
                ]
                raise UserError(
                    _(
                        "The review “%(review)s” is %(state)s: only a scheduled review can "
                        "be marked as done.",
                        review=review.display_name,
                        state=state_label.lower(),
                    )
                )
            missing = review._get_missing_for_done()
            if missing:
                raise UserError(
                    _(
                        "The review “%(review)s” cannot be marked as done yet: %(missing)s.",
                        review=review.display_name,
                        missing="; ".join(missing),
                    )
                )
            missing_reason = review.item_ids.filtered(
                lambda i: i.decision in ("declined", "deferred") and not (i.note or "").strip()
            )
            if missing_reason:
                raise UserError(
                    _(
                        "Give the reason for the decision on “%(item)s”: a declined or "
                        "deferred recommendation stays on record with its reason.",
                        item=missing_reason[0].name,
                    )
                )
        self._freeze_snapshot()
        self._write_transition({"state": "done", "date_done": fields.Datetime.now()})
        self._schedule_followup_activities()
        self._apply_decisions_to_initiatives()
        next_reviews = self._get_next_reviews()
        next_reviews._pull_pending_items()
        next_reviews._draft_agenda()
        if notify_partner:
            self._notify_partner_done()
        return True

    def action_cancel(self):
        for review in self:
            if review.state != "scheduled":
                raise UserError(
                    _(
                        "Only a scheduled review can be cancelled; “%(review)s” is not.",
                        review=review.display_name,
                    )
                )
        self._write_transition({"state": "cancelled"})
        self._cancel_meetings()
        return True

    def action_reschedule(self):
        for review in self:
            if review.state != "cancelled":
                raise UserError(
                    _(
                        "Only a cancelled review can be scheduled again; “%(review)s” is not "
                        "cancelled.",
                        review=review.display_name,
                    )
                )
        self._write_transition({"state": "scheduled"})
        self._sync_meetings()
        return True

    def action_schedule_meeting(self):
        """Create the calendar meeting of scheduled reviews that have none (e.g. it was
        deleted in the Calendar app): attendees are invited again."""
        # The meetings are written in superuser mode: only who may change the reviews.
        self.check_access("write")
        for review in self:
            if review.state != "scheduled":
                raise UserError(
                    _(
                        "Only a scheduled review has a meeting; “%(review)s” is not scheduled.",
                        review=review.display_name,
                    )
                )
        self._sync_meetings()
        return True

    def action_open_meeting(self):
        """The review's meeting in the Calendar app."""
        self.ensure_one()
        if not self.calendar_event_id:
            raise UserError(_("This review has no meeting: schedule one first."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "calendar.event",
            "res_id": self.calendar_event_id.id,
            "view_mode": "form",
        }

    def action_reopen(self):
        """A done review is a record of what was agreed: only a planning
        administrator may reopen it. Its snapshot is taken again when it is done."""
        if not self.env.user.has_group("msp_business_planning.group_manager"):
            raise AccessError(_("Only a planning administrator can reopen a done review."))
        for review in self:
            if review.state != "done":
                raise UserError(
                    _("The review “%(review)s” is not done.", review=review.display_name)
                )
        self._write_transition({"state": "scheduled", "date_done": False})
        for review in self:
            review._msp_log_internal_note(
                body=_("Review reopened by %(user)s.", user=self.env.user.name),
            )
        return True

    def action_draft_agenda(self):
        """Refresh the agenda proposed from pacing: drop the proposals nobody touched
        and propose the objectives furthest behind pace now."""
        for review in self:
            if review.state != "scheduled":
                raise UserError(
                    _(
                        "The agenda of “%(review)s” can only be drafted while it is scheduled.",
                        review=review.display_name,
                    )
                )
        self._draft_agenda()
        return True

    def action_load_scorecard(self):
        """Add a scorecard line for each active topic missing from the review,
        starting from the scores and targets of the plan's previous done review."""
        for review in self:
            if review.state != "scheduled":
                raise UserError(
                    _(
                        "The scorecard of “%(review)s” can only be changed while it is "
                        "scheduled.",
                        review=review.display_name,
                    )
                )
        topics = self.env["msp.business.review.topic"].search([])
        previous_scores = self.env["msp.business.review.score"].search(
            [("plan_id", "in", self.plan_id.ids), ("review_state", "=", "done")],
            order="review_date desc, id desc",
        )
        vals_list = []
        for review in self:
            present = review.score_ids.topic_id
            earlier = previous_scores.filtered(
                lambda s, r=review: s.plan_id == r.plan_id and s.review_date <= r.date
            )
            for topic in topics - present:
                if topic.company_id and topic.company_id != review.company_id:
                    continue
                last = earlier.filtered(lambda s, t=topic: s.topic_id == t)[:1]
                vals_list.append(
                    {
                        "review_id": review.id,
                        "topic_id": topic.id,
                        "score": last.score,
                        "target_score": last.target_score,
                    }
                )
        self.env["msp.business.review.score"].create(vals_list)
        return True

    def action_view_plan(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "msp.business.plan",
            "res_id": self.plan_id.id,
            "view_mode": "form",
        }

    def action_view_score_trend(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.msp_business_review_score_action"
        )
        action["domain"] = [("plan_id", "=", self.plan_id.id), ("review_state", "=", "done")]
        action["display_name"] = _("Score Trend: %(plan)s", plan=self.plan_id.name)
        return action

    def action_submit_feedback(self, rating, comment=""):
        """Record the partner's feedback on a done review: ``rating`` from 1 to 5,
        ``comment`` in plain text. Called by the portal route for the current user,
        after it checked the user may see the plan; checked again here."""
        self.ensure_one()
        self.check_access("read")
        # The partner's voice: neither the vendor's staff nor a token holder speaks for it.
        if self.env.user.commercial_partner_id != self.commercial_partner_id:
            raise AccessError(_("Feedback on a review is given by the partner's own contacts."))
        if self.state != "done":
            raise UserError(_("Feedback can be given once the review has taken place."))
        if isinstance(rating, bool) or not isinstance(rating, int | str):
            raise ValidationError(_("Choose a rating from 1 to 5."))
        rating_text = str(rating).strip()
        if not rating_text.isdigit() or not 1 <= int(rating_text) <= 5:
            raise ValidationError(self._rating_error(rating_text or "—"))
        if comment is None or comment is False:
            comment = ""
        if not isinstance(comment, str):
            raise ValidationError(_("The comment must be text."))
        comment = _CONTROL_CHARACTERS.sub("", comment).strip()
        if len(comment) > FEEDBACK_COMMENT_MAX_LENGTH:
            raise ValidationError(
                _(
                    "The comment is too long: %(max)s characters at most.",
                    max=FEEDBACK_COMMENT_MAX_LENGTH,
                )
            )
        author = self.env.user.partner_id
        values = {
            "feedback_rating": int(rating_text),
            "feedback_comment": comment or False,
            "feedback_date": fields.Datetime.now(),
            "feedback_partner_id": author.id,
        }
        # sudo: the partner cannot write reviews; its read access was checked above and
        # only the feedback fields are written.
        review = self.sudo()
        review.write(values)
        body = _("Feedback from %(partner)s: %(rating)s/5", partner=author.name, rating=rating_text)
        if comment:
            body = plaintext2html(f"{body}\n{comment}")
        review._notify_feedback(author, body)
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_report_base_filename(self):
        self.ensure_one()
        return _("Business Review - %(review)s", review=self.display_name)

    def _get_partner_recipients(self):
        """Who hears from the review on the partner's side: its partner attendees, or
        the plan's portal contacts when none is listed; never anyone outside the
        plan's partner company."""
        self.ensure_one()
        recipients = self.attendee_partner_ids or self.plan_id._get_partner_portal_contacts()
        return recipients.filtered(
            lambda partner: partner.commercial_partner_id == self.commercial_partner_id
        )

    def _notify_partner_done(self):
        """Mail the partner the summary, the decisions and the review document, with
        the link to give feedback (posted in the review's chatter)."""
        for review in self:
            recipients = review._get_partner_recipients()
            if not recipients:
                continue
            review.message_post_with_source(
                "msp_business_planning.mail_template_business_review_done",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=recipients.ids,
            )

    def _notify_feedback(self, author, fallback_body):
        """Tell the channel manager the partner gave feedback: an internal note
        rendered from the "feedback given" template in the manager's language,
        addressed to the manager."""
        self.ensure_one()
        template = self.env.ref(
            "msp_business_planning.mail_template_business_review_feedback",
            raise_if_not_found=False,
        )
        body, subject = fallback_body, None
        if template:
            rendered = template._generate_template(self.ids, ("subject", "body_html"))[self.id]
            body, subject = rendered["body_html"], rendered["subject"]
        self._msp_log_internal_note(
            body=body,
            subject=subject,
            author_id=author.id,
            partner_ids=self.plan_id.user_id.partner_id.ids,
        )

    def _mail_decisions(self):
        """The agenda's decisions as the "done" mail lists them: name, decision label
        and the reason given (items still open are left out)."""
        self.ensure_one()
        labels = dict(
            self.env["msp.business.review.item"]
            ._fields["decision"]
            ._description_selection(self.env)
        )
        return [
            {"name": item.name, "decision": labels[item.decision], "note": item.note or ""}
            for item in self.item_ids
            if item.decision != "open"
        ]

    def _get_missing_for_done(self):
        """What a review lacks to go on record as held, in the user's words: someone
        attended it, and something was concluded (a decision on an agenda item, or a
        summary)."""
        self.ensure_one()
        missing = []
        if not self.user_ids and not self.attendee_partner_ids:
            missing.append(_("add who attended it (internal or partner attendees)"))
        decided = self.item_ids.filtered(lambda item: item.decision != "open")
        if not decided and is_html_empty(self.summary):
            missing.append(
                _("record a decision on an agenda item or write the summary of the review")
            )
        return missing

    def _freeze_snapshot(self):
        """One snapshot line per objective of the plan, as of the end of the reviewed
        period: the target due by then, what was achieved up to that day (deals and
        updates dated up to it, by the tracking engine with a date cut) and the
        progress and pacing that follow. A review marked done late freezes the same
        figures as one done on time. Plain values, never recomputed."""
        self.check_access("write")
        Objective = self.env["msp.business.plan.objective"]
        # Reviews looking back to the same day share one computation.
        objectives_by_day = defaultdict(lambda: Objective)
        for review in self:
            objectives_by_day[review._snapshot_day()] |= review.plan_id.objective_ids
        figures = {}
        for day, objectives in objectives_by_day.items():
            figures[day] = objectives._get_figures_to_date(day)
        kinds = {}
        for objectives in objectives_by_day.values():
            kinds.update({objective.id: objective.figure_kind for objective in objectives})
        vals_list = []
        thresholds = self.env["msp.business.plan.objective"]._pacing_thresholds()
        for review in self:
            day = review._snapshot_day()
            for objective in review.plan_id.objective_ids:
                to_date = figures[day][objective.id]
                total = objective.target_value
                expected = planning.progress_percent(to_date.target, total)
                reached = planning.progress_percent(to_date.actual, total)
                vals_list.append(
                    {
                        "review_id": review.id,
                        "objective_id": objective.id,
                        "name": objective.name,
                        "sequence": objective.sequence,
                        "weight": objective.weight,
                        "figure_kind": kinds[objective.id],
                        "target_total": total,
                        "target_value": to_date.target,
                        "actual_value": to_date.actual,
                        "progress": planning.progress_percent(to_date.actual, to_date.target),
                        "objective_progress": reached,
                        "expected_progress": expected,
                        "pacing_status": (
                            planning.pacing_status(reached, expected, thresholds)
                            if total
                            else False
                        ),
                    }
                )
        # sudo: snapshot lines are written by the system only (users may read them,
        # never forge them); the write access to the reviews was checked above.
        self.snapshot_ids.sudo().unlink()
        self.env["msp.business.review.snapshot"].sudo().create(vals_list)

    def _snapshot_day(self):
        """The day a review's snapshot stands at: the end of its reviewed period."""
        self.ensure_one()
        return self.period_end or self.date

    def _schedule_followup_activities(self):
        """Each accepted item with an owner becomes a to-do for its owner on the
        review, due on the item's due date (today when none). Once only."""
        items = self.item_ids.filtered(
            lambda i: i.decision == "accepted" and i.user_id and not i.activity_created
        )
        if not items:
            return
        # Owners follow the review first (which also gives them access to it): the
        # activity creation would otherwise subscribe an owner once per activity.
        for review in items.review_id:
            owners = items.filtered(lambda i, r=review: i.review_id == r).user_id
            review.message_subscribe(partner_ids=owners.partner_id.ids)
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": item.review_id.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": item.name,
                    "note": plaintext2html(item.note) if item.note else False,
                    "user_id": item.user_id.id,
                    "date_deadline": item.due_date or today,
                }
                for item in items
            ]
        )
        items._mark_activity_created()

    def _apply_decisions_to_initiatives(self):
        """An initiative linked to an item follows the decision taken on it."""
        items = self.item_ids
        proposed = items.initiative_ids.filtered(lambda i: i.state == "proposed")
        proposed.filtered(lambda i: i.review_item_id.decision == "accepted").write(
            {"state": "approved"}
        )
        proposed.filtered(lambda i: i.review_item_id.decision == "declined").write(
            {"state": "declined"}
        )

    def _get_next_reviews(self):
        """For each review, the plan's next scheduled review (by date)."""
        candidates = self.search(
            [("plan_id", "in", self.plan_id.ids), ("state", "=", "scheduled")],
            order="date, id",
        )
        next_reviews = self.browse()
        for review in self:
            following = candidates.filtered(
                lambda c, r=review: c.plan_id == r.plan_id and c.date >= r.date and c != r
            )
            next_reviews |= following[:1]
        return next_reviews

    def _pull_pending_items(self):
        """Scheduled reviews take over the items still pending on the done reviews of
        their plan held before them (open, declined or deferred, not yet carried):
        each pending item goes to the earliest such review. Called on creation and
        on the next review when one is done."""
        scheduled = self.filtered(lambda r: r.state == "scheduled")
        if not scheduled:
            return
        pending = self.env["msp.business.review.item"].search(
            [
                ("plan_id", "in", scheduled.plan_id.ids),
                ("review_state", "=", "done"),
                ("decision", "in", CARRIED_DECISIONS),
                ("carried_to_ids", "=", False),
            ]
        )
        # Pace proposals nobody took up are not carried: the next review drafts its
        # own from the pacing of its time.
        pending -= pending._filter_untouched_proposals()
        by_review = {}
        for item in pending:
            target = scheduled.filtered(
                lambda r, i=item: r.plan_id == i.plan_id and r.date >= i.review_date
            ).sorted(lambda r: (r.date, r.id))[:1]
            if target:
                by_review.setdefault(target, self.env["msp.business.review.item"])
                by_review[target] |= item
        for review, items in by_review.items():
            items._carry_to(review)

    def _draft_agenda(self):
        """Propose an agenda item for each of the plan's objectives furthest behind
        pace (at most three), replacing earlier proposals left untouched."""
        scheduled = self.filtered(lambda r: r.state == "scheduled")
        if not scheduled:
            return
        Item = self.env["msp.business.review.item"]
        Item.search(
            [
                ("review_id", "in", scheduled.ids),
                ("origin", "=", "pace"),
                ("decision", "=", "open"),
                ("user_id", "=", False),
                ("note", "=", False),
            ]
        ).unlink()
        vals_list = []
        for review in scheduled:
            objectives = review.plan_id.objective_ids.filtered(lambda o: o.target_value > 0)
            on_agenda = review.item_ids.objective_id
            behind = planning.behind_pace(
                [
                    (objective, objective.progress, objective.expected_progress)
                    for objective in objectives - on_agenda
                ]
            )
            for index, objective in enumerate(behind):
                name = _(
                    "Behind pace: %(objective)s — %(progress)s%% reached, %(expected)s%% "
                    "expected by now",
                    objective=objective.name,
                    progress=figure_rules.percent(objective.progress),
                    expected=figure_rules.percent(objective.expected_progress),
                )
                vals_list.append(
                    {
                        "review_id": review.id,
                        "sequence": 1 + index,
                        "origin": "pace",
                        "objective_id": objective.id,
                        "topic_id": review.topic_id.id,
                        "name": name,
                    }
                )
        Item.create(vals_list)

    # ------------------------------------------------------------
    # MEETINGS
    # ------------------------------------------------------------

    def _meeting_organizer(self):
        """Who organizes the review's meeting: the plan's channel manager."""
        self.ensure_one()
        return self.plan_id.user_id or self.env.user

    def _meeting_partners(self):
        """Everyone invited: the internal attendees and the partner's contacts (the
        constraint on attendees keeps them to the plan's partner company)."""
        self.ensure_one()
        return self.user_ids.partner_id | self.attendee_partner_ids

    def _meeting_description(self):
        """The meeting's description: what is reviewed, the agenda and the link to
        the plan on the portal (with its token, for contacts without a portal user)."""
        self.ensure_one()
        plan = self.plan_id
        parts = [
            Markup("<p>%s</p>")
            % _(
                "Business review of the plan “%(plan)s” with %(partner)s.",
                plan=plan.name,
                partner=self.commercial_partner_id.name,
            )
        ]
        if self.item_ids:
            parts.append(Markup("<p><strong>%s</strong></p>") % _("Agenda"))
            parts.append(
                Markup("<ul>%s</ul>")
                % Markup().join(Markup("<li>%s</li>") % item.name for item in self.item_ids)
            )
        url = plan.get_base_url() + plan.get_portal_url(anchor=f"review-{self.id}")
        parts.append(Markup('<p><a href="%s">%s</a></p>') % (url, _("Open the business plan")))
        return Markup().join(parts)

    def _prepare_meeting_values(self, event):
        """The values of the review's meeting (``event``: the existing one, or empty):
        on the review's day, at the hour it had (10:00 for a new one, in the
        organizer's timezone), lasting the review's meeting duration."""
        self.ensure_one()
        organizer = self._meeting_organizer()
        start = meetings.meeting_start(self.date, organizer.tz, event.start if event else None)
        return {
            "name": _(
                "%(review)s — %(partner)s",
                review=self.display_name,
                partner=self.commercial_partner_id.name,
            ),
            "start": start,
            "stop": meetings.meeting_stop(start, self.meeting_duration or 1.0),
            "user_id": organizer.id,
            "partner_ids": self._meeting_partners().ids,
            "description": self._meeting_description(),
        }

    def _sync_meetings(self):
        """Give each scheduled review its one meeting, created or brought in line
        with the review (only what changed is written: Odoo mails the attendees a new
        invitation or the new date). Called after the review is created or changed."""
        reviews = self.filtered(lambda review: review.state == "scheduled" and review.date)
        if not reviews:
            return
        # sudo: meetings follow the reviews the user just created or changed (access
        # checked by that create or write), whatever the organizer's calendar privacy.
        model_id = self.env["ir.model"]._get_id(self._name)
        Event = self.env["calendar.event"].sudo()
        create_for, vals_list = [], []
        for review in reviews.sudo():
            event = review.calendar_event_id
            vals = review._prepare_meeting_values(event)
            if event:
                changes = {
                    name: value
                    for name, value in vals.items()
                    if not self._meeting_value_equal(event, name, value)
                }
                if changes:
                    event.write(changes)
                continue
            company = review.company_id
            if company.msp_review_videocall:
                token = uuid.uuid4().hex
                vals["access_token"] = token
                vals["videocall_location"] = (
                    f"{review.get_base_url()}/{Event.DISCUSS_ROUTE}/{token}"
                )
            # No "Meeting" activity on the review (Calendar adds one for a document's
            # event): the review is the meeting, and that activity would move the
            # meeting back to its old duration when it follows a new date.
            vals.update(
                {"res_model_id": model_id, "res_id": review.id, "activity_ids": [Command.clear()]}
            )
            create_for.append(review)
            vals_list.append(vals)
        if not vals_list:
            return
        events = Event.create(vals_list)
        for review, event in zip(create_for, events, strict=True):
            super(MspBusinessReview, review).write({"calendar_event_id": event.id})

    @api.model
    def _meeting_value_equal(self, event, name, value):
        current = event[name]
        if name == "partner_ids":
            return set(current.ids) == set(value)
        if name == "user_id":
            return current.id == value
        if name == "description":
            return str(current or "") == str(value or "")
        return current == value

    def _follow_meetings(self):
        """The reviews' date and duration follow their meetings, moved in the Calendar
        app. Nothing is written when they already agree (the review's own changes
        come back here through the meeting)."""
        for review in self.filtered(lambda r: r.state == "scheduled"):
            event = review.calendar_event_id
            if not event.start or not event.stop:
                continue
            day = meetings.meeting_day(event.start, review._meeting_organizer().tz)
            hours = meetings.meeting_hours(event.start, event.stop)
            vals = {}
            if day != review.date:
                vals["date"] = day
            if hours > 0 and abs(hours - (review.meeting_duration or 0)) > 1e-4:
                vals["meeting_duration"] = min(hours, 24.0)
            if vals:
                review.write(vals)

    def _cancel_meetings(self, notify_on=None):
        """Cancel the meetings of these reviews: the attendees still to meet get the
        cancellation mail, then the meeting is deleted. The mail is posted on the
        review, or on ``notify_on`` (the plan) when the review itself is deleted."""
        # sudo: the meetings of reviews the user cancels or deletes (access checked by
        # the action or the unlink).
        reviews = self.sudo().filtered("calendar_event_id")
        if not reviews:
            return
        now = fields.Datetime.now()
        template = self.env.ref(
            "msp_business_planning.mail_template_business_review_cancelled",
            raise_if_not_found=False,
        )
        for review in reviews:
            event = review.calendar_event_id
            recipients = event.partner_ids - self.env.user.partner_id
            if template and recipients and event.start >= now and review.state != "done":
                if notify_on is None:
                    review.message_post_with_source(
                        template,
                        message_type="comment",
                        subtype_xmlid="mail.mt_comment",
                        partner_ids=recipients.ids,
                    )
                else:
                    rendered = template._generate_template(review.ids, ("subject", "body_html"))[
                        review.id
                    ]
                    review.plan_id.message_notify(
                        partner_ids=recipients.ids,
                        subject=rendered["subject"],
                        body=rendered["body_html"],
                    )
        events = reviews.calendar_event_id
        # Unlinked from the reviews first: the meeting's deletion is then no surprise
        # (see calendar.event.unlink).
        super(MspBusinessReview, reviews).write({"calendar_event_id": False})
        events.unlink()

    def _notify_meeting_deleted(self):
        """The meeting of these reviews was deleted in the Calendar app: the reviews
        stay without one, and the channel team reads it in the chatter."""
        for review in self:
            review._msp_log_internal_note(
                body=_(
                    "The meeting of this review was deleted in the Calendar app. Use "
                    "“Schedule Meeting” to invite the attendees again."
                )
            )
