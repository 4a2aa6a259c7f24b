from odoo import _, fields, models

OFF_TRACK_ACTIVITY_TYPE = "msp_business_planning.mail_activity_type_objective_off_track"


class MspBusinessPlanObjective(models.Model):
    """Objectives that fall off track become an activity of the plan's channel
    manager: once per objective and period, closed by itself when the objective is
    back on track. Kept apart from the tracking engine of the objective model: it
    only reads the pacing the engine wrote, after the daily crons that refresh it."""

    _inherit = "msp.business.plan.objective"

    off_track_activity_id = fields.Many2one(
        "mail.activity",
        string="Off-Track Activity",
        copy=False,
        readonly=True,
        ondelete="set null",
        groups="base.group_user",
    )
    off_track_period_start = fields.Date(
        string="Off Track Since Period",
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="Start of the period in which the channel manager was last told the "
        "objective fell off track: once per period.",
    )

    def _sync_off_track_activities(self):
        """Schedule the "Objective off track" activity for the channel manager of each
        running plan's objective newly off track (not yet told in this period), and
        mark done the ones whose objective is back on track or no longer running.
        A few batched queries whatever the number of objectives."""
        # sudo: the system's bookkeeping, for whichever change refreshed the pacing;
        # the activities go to the plan's channel manager.
        objectives = self.sudo().exists()
        if not objectives:
            return
        running_off = objectives.filtered(
            lambda o: o.plan_state == "in_progress"
            and o.pacing_status == "off_track"
            and o.plan_id.user_id
        )
        # A done activity is archived (Odoo keeps it as history): only an active one
        # is still open.
        back = objectives.filtered(lambda o: o.off_track_activity_id.active) - running_off
        if back:
            for activity in back.off_track_activity_id:
                activity.action_feedback(feedback=_("Back on track."))
        if not running_off:
            return
        today = fields.Date.context_today(self)
        periods = {}
        for target in running_off.target_ids:
            if target.date_start <= today <= target.date_end:
                periods[target.objective_id.id] = target
        new = running_off.filtered(
            lambda o: not o.off_track_activity_id.active
            and o.id in periods
            and o.off_track_period_start != periods[o.id].date_start
        )
        if not new:
            return
        activity_type = self.env.ref(OFF_TRACK_ACTIVITY_TYPE, raise_if_not_found=False)
        if not activity_type:
            return
        # Managers follow their plans first: creating several activities of one plan
        # for one user would otherwise subscribe the user once per activity (18.0).
        for plan in new.plan_id:
            plan.message_subscribe(partner_ids=plan.user_id.partner_id.ids)
        model_id = self.env["ir.model"]._get_id("msp.business.plan")
        vals_list = []
        for objective in new:
            period = periods[objective.id]
            manager = objective.plan_id.user_id
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": objective.plan_id.id,
                    "activity_type_id": activity_type.id,
                    "user_id": manager.id,
                    "summary": _("Off track: %(objective)s", objective=objective.name),
                    "note": _(
                        "%(objective)s is off track in %(period)s: %(progress)s reached, "
                        "%(expected)s expected by now. Plan an action with the partner.",
                        objective=objective.name,
                        period=period.name,
                        progress=objective._format_percent(objective.progress),
                        expected=objective._format_percent(objective.expected_progress),
                    ),
                    "date_deadline": activity_type.with_context(tz=manager.tz)._get_date_deadline(),
                }
            )
        activities = self.env["mail.activity"].sudo().create(vals_list)
        for objective, activity in zip(new, activities, strict=True):
            # super: bookkeeping of the system, past the checks of a user's change.
            super(MspBusinessPlanObjective, objective).write(
                {
                    "off_track_activity_id": activity.id,
                    "off_track_period_start": periods[objective.id].date_start,
                }
            )
