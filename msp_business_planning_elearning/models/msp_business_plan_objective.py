from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL


class MspBusinessPlanObjective(models.Model):
    _inherit = "msp.business.plan.objective"

    objective_type = fields.Selection(
        selection_add=[("course_completion", "Course Completions")],
        # Uninstalling the bridge keeps the objectives, with their targets and
        # periods, as manual ones (the default kind): their progress is then reported.
        ondelete={"course_completion": "set default"},
        help="Manual: progress is reported by the channel manager or the partner. "
        "Deal registrations: deals registered by the partner (by registration date). "
        "Qualified: registered deals approved and turned into opportunities. "
        "Won deals: registered deals won (by closing date). "
        "Course completions: partner contacts who completed given eLearning courses.",
    )
    course_ids = fields.Many2many(
        "slide.channel",
        "msp_business_plan_objective_slide_channel_rel",
        "objective_id",
        "channel_id",
        string="Courses",
        help="Course Completions objectives count the partner's contacts who finished "
        "one of these courses, in the period of the day they finished it (UTC). A "
        "contact finishing two of them counts twice.",
    )

    @api.constrains("objective_type", "course_ids", "measure")
    def _check_course_completion(self):
        for objective in self.filtered(lambda o: o.objective_type == "course_completion"):
            if not objective.course_ids:
                raise ValidationError(
                    _(
                        "Choose the courses whose completions count toward “%(objective)s”.",
                        objective=objective.name,
                    )
                )
            if objective.measure != "count":
                raise ValidationError(
                    _(
                        "Course completions are counted: set the measure of “%(objective)s” "
                        "to Count.",
                        objective=objective.name,
                    )
                )

    def _get_actual_computers(self, engine=None):
        # The tracking engine's extension point: the kind's aggregate.
        return {
            **super()._get_actual_computers(engine=engine),
            "course_completion": self._course_completion_actuals,
        }

    @api.model
    def _get_tracking_definition_fields(self):
        return super()._get_tracking_definition_fields() | {"course_ids"}

    def _course_completion_actuals(self, targets, cut=None):
        """The aggregate of the course completion kind: completions of the chosen
        courses by contacts of each target's partner company, dated inside the period
        (up to the day ``cut`` when given): one query for all the targets."""
        self.env["slide.channel.partner"].flush_model(
            ["channel_id", "partner_id", "member_status", "active", "msp_completed_date"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.flush_model(["course_ids"])
        targets.flush_recordset(["objective_id", "commercial_partner_id", "date_start", "date_end"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT target.id, COUNT(member.id)
                  FROM msp_business_plan_objective_target target
                  JOIN msp_business_plan_objective_slide_channel_rel course
                    ON course.objective_id = target.objective_id
                  JOIN slide_channel_partner member
                    ON member.channel_id = course.channel_id
                   AND member.msp_completed_date
                       BETWEEN target.date_start AND LEAST(target.date_end, %s::date)
                  JOIN res_partner contact
                    ON contact.id = member.partner_id
                   AND contact.commercial_partner_id = target.commercial_partner_id
                 WHERE target.id = ANY(%s)
                   AND member.active
                   AND member.member_status = 'completed'
              GROUP BY target.id
                """,
                cut or None,
                targets.ids,
            )
        )
        return dict(rows)
