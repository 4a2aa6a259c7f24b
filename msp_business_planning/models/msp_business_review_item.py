from odoo import _, api, fields, models


class MspBusinessReviewItem(models.Model):
    _name = "msp.business.review.item"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Business Review Agenda Item"
    _order = "review_id, sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    review_id = fields.Many2one(
        "msp.business.review", string="Review", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Item", required=True)
    topic_id = fields.Many2one("msp.business.review.topic", string="Topic", check_company=True)
    decision = fields.Selection(
        [
            ("open", "Open"),
            ("accepted", "Accepted"),
            ("declined", "Declined"),
            ("deferred", "Deferred"),
        ],
        required=True,
        default="open",
        help="Accepted items with an owner become follow-up activities when the review is "
        "done. Declined and deferred items stay on record with their reason and come back "
        "on the plan's next review, as do items left open.",
    )
    note = fields.Text(
        string="Note / Reason",
        help="The recommendation, or why it was declined or deferred (required then).",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        domain="[('share', '=', False)]",
        check_company=True,
        help="Who follows the item up: gets a to-do when the review is done.",
    )
    due_date = fields.Date()
    objective_id = fields.Many2one(
        "msp.business.plan.objective",
        string="Objective",
        ondelete="set null",
        domain="[('plan_id', '=', plan_id)]",
        help="The plan objective the item is about, if any.",
    )
    origin = fields.Selection(
        [("manual", "Added"), ("pace", "Behind Pace"), ("carried", "Carried Over")],
        required=True,
        default="manual",
        readonly=True,
        help="Behind Pace: proposed because its objective lags its expected progress. "
        "Carried Over: left open, declined or deferred at an earlier review.",
    )
    carried_from_id = fields.Many2one(
        "msp.business.review.item",
        string="Carried From",
        ondelete="set null",
        index=True,
        readonly=True,
        help="The item of an earlier review this one takes up again.",
    )
    carried_to_ids = fields.One2many(
        "msp.business.review.item", "carried_from_id", string="Carried To", readonly=True
    )
    previous_decision = fields.Selection(
        related="carried_from_id.decision", string="Earlier Decision"
    )
    previous_note = fields.Text(related="carried_from_id.note", string="Earlier Reason")
    initiative_ids = fields.One2many(
        "msp.business.plan.initiative", "review_item_id", string="Initiatives"
    )
    activity_created = fields.Boolean(string="Follow-up Planned", readonly=True, copy=False)
    plan_id = fields.Many2one(related="review_id.plan_id", store=True, index=True)
    company_id = fields.Many2one(related="review_id.company_id", store=True, index=True)
    commercial_partner_id = fields.Many2one(
        related="review_id.commercial_partner_id", store=True, index=True
    )
    review_date = fields.Date(related="review_id.date", store=True, string="Review Date")
    review_state = fields.Selection(related="review_id.state", store=True, string="Review Status")
    plan_state = fields.Selection(related="review_id.plan_state", store=True)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _check_review_open(self, reviews, operation):
        # Access rights first: whoever may not change the lines learns nothing more.
        self.check_access(operation)
        reviews._check_lines_editable(_("agenda and decisions"))

    @api.model_create_multi
    def create(self, vals_list):
        review_ids = {vals.get("review_id") for vals in vals_list}
        self._check_review_open(
            self.env["msp.business.review"].browse(review_ids - {None}), "create"
        )
        items = super().create(vals_list)
        # The agenda is in the description of the review's meeting.
        items.review_id.filtered("calendar_event_id")._sync_meetings()
        return items

    def write(self, vals):
        reviews = self.review_id
        if vals.get("review_id"):
            reviews |= self.env["msp.business.review"].browse(vals["review_id"])
        self._check_review_open(reviews, "write")
        res = super().write(vals)
        if vals.keys() & {"name", "sequence", "review_id"}:
            reviews.filtered("calendar_event_id")._sync_meetings()
        return res

    def unlink(self):
        reviews = self.review_id
        self._check_review_open(reviews, "unlink")
        res = super().unlink()
        reviews.filtered("calendar_event_id")._sync_meetings()
        return res

    def _mark_activity_created(self):
        """Record that the follow-up activity of accepted items was planned, on
        reviews just done: past the lock of done reviews, for this flag only."""
        return super().write({"activity_created": True})

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _filter_untouched_proposals(self):
        """Agenda proposals drafted from pacing that nobody has worked on yet."""
        return self.filtered(
            lambda i: i.origin == "pace" and i.decision == "open" and not i.user_id and not i.note
        )

    def _carry_to(self, review, objective_map=None):
        """Put these items again on the agenda of ``review``, open, linked to the
        originals (which keep their decision and reason). ``objective_map`` maps
        objectives to their counterparts when the review belongs to another plan."""
        objective_map = objective_map or {}
        return self.create(
            [
                {
                    "review_id": review.id,
                    "sequence": item.sequence,
                    "name": item.name,
                    "topic_id": item.topic_id.id,
                    "objective_id": objective_map.get(item.objective_id, item.objective_id).id,
                    "user_id": item.user_id.id,
                    "origin": "carried",
                    "carried_from_id": item.id,
                }
                for item in self
            ]
        )
