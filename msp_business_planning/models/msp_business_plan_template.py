from datetime import date
from typing import NamedTuple

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import plan_templates, values
from .msp_business_plan import PARTNER_VISIBLE_STATES, REVIEW_CADENCES

# Years a template generates plans for: a typo (2206) is refused, not planned.
MIN_YEAR = 2000
MAX_YEAR = 2100


class PlanGeneration(NamedTuple):
    """What :meth:`MspBusinessPlanTemplate._prepare_generation` found: the values of the
    plans to create, the partners skipped (they have their plan already) and the
    preview rows (partner, line, last year's actual or None, target)."""

    vals_list: list
    skipped: object
    rows: list


class MspBusinessPlanTemplate(models.Model):
    _name = "msp.business.plan.template"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Business Plan Template"
    _order = "sequence, name, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    def _default_review_cadence(self):
        return self.env["msp.business.plan"]._default_review_cadence()

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(help="Who the template is for and what its objectives aim at.")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(
        related="company_id.currency_id",
        help="Currency of the plans generated: the company's. Fixed amounts are in it.",
    )
    category_ids = fields.Many2many(
        "res.partner.category",
        "msp_business_plan_template_category_rel",
        "template_id",
        "category_id",
        string="Partner Segment",
        help="The partner tags (e.g. Gold, Silver) of the partners this template is meant "
        "for: Generate Plans proposes the partner companies with one of these tags.",
    )
    periodicity = fields.Selection(
        [("annual", "Annual"), ("quarterly", "Quarterly"), ("monthly", "Monthly")],
        string="Default Periodicity",
        required=True,
        default="quarterly",
        help="Periodicity of the objective lines added to the template (each line can "
        "have its own).",
    )
    review_cadence = fields.Selection(
        REVIEW_CADENCES,
        default=_default_review_cadence,
        required=True,
        help="Review cadence of the plans generated: every quarter, or twice a year.",
    )
    line_ids = fields.One2many(
        "msp.business.plan.template.line", "template_id", string="Objectives", copy=True
    )
    line_count = fields.Integer(compute="_compute_line_count", string="Objectives Count")
    plan_ids = fields.One2many("msp.business.plan", "template_id", string="Plans")
    plan_count = fields.Integer(compute="_compute_plan_count", string="Plans Count")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("line_ids")
    def _compute_line_count(self):
        for template in self:
            template.line_count = len(template.line_ids)

    def _compute_plan_count(self):
        counts = dict(
            self.env["msp.business.plan"]._read_group(
                [("template_id", "in", self.ids)], ["template_id"], ["__count"]
            )
        )
        for template in self:
            template.plan_count = counts.get(template, 0)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_generate_wizard(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": _("Generate Plans"),
            "res_model": "msp.business.plan.generate.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_template_id": self.id},
        }

    def action_view_plans(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.msp_business_plan_action"
        )
        action["domain"] = [("template_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def generate_plans(self, partners, year, user=None):
        """Create this template's plan for ``year`` (a calendar year) for each partner
        company of ``partners``, as a draft outline recording its template, with one
        objective per line and targets by the lines' rules; a partner that has its
        plan from this template for that year already is skipped. ``user`` is the
        channel manager of every plan; by default each partner's salesperson (the
        current user for a partner without one). Returns the new plans.

        In a constant number of queries per batch, whatever the number of partners:
        the existing plans and last year's actuals are each read in one query, the
        plans, objectives and periods created in one batch each."""
        self.ensure_one()
        generation = self._prepare_generation(partners, year, user=user)
        Plan = self.env["msp.business.plan"]
        if not generation.vals_list:
            return Plan
        # The chatter's own creation steps run plan by plan (auto-subscription and an
        # assignment mail to each channel manager): skipped here, replaced by one
        # batched internal note and subscription of the author for all the plans.
        plans = Plan.with_context(tracking_disable=True).create(generation.vals_list)
        plans = plans.with_env(self.env)
        body = self.env._(
            "Plan generated from the template “%(template)s” by %(user)s.",
            template=self.name,
            user=self.env.user.name,
        )
        plans._message_log_batch({plan.id: body for plan in plans}, message_type="comment")
        if not self.env.user.share:
            # The author follows the plans it generated: an own-plans user sees them.
            plans.message_subscribe(partner_ids=self.env.user.partner_id.ids)
        return plans

    def _prepare_generation(self, partners, year, user=None, lock=True):
        """:class:`PlanGeneration` of :meth:`generate_plans`, without creating anything
        (the wizard's preview); refuses a template or year it cannot generate with."""
        self.ensure_one()
        self.check_access("read")
        self.env["msp.business.plan"].check_access("create")
        year = self._check_generation_year(year)
        if not self.line_ids:
            # env._: the argument ``user`` would be taken for the translation's user.
            raise UserError(
                self.env._(
                    "The template “%(template)s” has no objectives: add at least one "
                    "before generating plans.",
                    template=self.name,
                )
            )
        self.line_ids._check_lines()
        companies = partners.commercial_partner_id
        if lock:
            self._lock_for_generation()
        existing = self._get_partners_with_plan(companies, year)
        new_partners = companies - existing
        actuals = self._get_last_year_actuals(new_partners, year)
        start, end = date(year, 1, 1), date(year, 12, 31)
        vals_list, rows = [], []
        lines = self.line_ids.sorted(lambda line: (line.sequence, line.id))
        kinds = {line.id: line._figure_kind() for line in lines}
        managers = self.env["res.users"]
        for partner in new_partners:
            objectives = []
            for line in lines:
                last_actual = actuals.get((partner.id, line.id))
                target = plan_templates.line_target(
                    line.target_rule,
                    line.target_value,
                    last_actual,
                    line.growth_percent,
                    line.target_floor,
                    whole=kinds[line.id] == "count",
                )
                rows.append((partner, line, last_actual, target))
                objectives.append(Command.create(line._prepare_objective_vals(target)))
            manager = user if user is not None else (partner.user_id or self.env.user)
            managers |= manager
            vals_list.append(
                {
                    "name": self.env._(
                        "%(partner)s — %(year)s plan", partner=partner.name, year=year
                    ),
                    "partner_id": partner.id,
                    "user_id": manager.id,
                    "company_id": self.company_id.id,
                    "currency_id": self.company_id.currency_id.id,
                    "date_start": start,
                    "date_end": end,
                    "review_cadence": self.review_cadence,
                    "template_id": self.id,
                    "objective_ids": objectives,
                }
            )
        self._check_managers(managers)
        return PlanGeneration(vals_list, existing, rows)

    def _check_managers(self, managers):
        """A user who sees only its own plans cannot create plans managed by someone
        else (it could not see them), in bulk as one by one."""
        others = managers - self.env.user
        if others and not self.env.user.has_group("msp_business_planning.group_user_all"):
            raise UserError(
                self.env._(
                    "You can only generate plans you manage yourself: %(users)s would "
                    "manage some of them. Ask a channel director, who sees all plans.",
                    users=", ".join(others.mapped("name")),
                )
            )

    @api.model
    def _check_generation_year(self, year):
        if values.number_issue(year, MIN_YEAR, MAX_YEAR) or float(year) != int(float(year)):
            raise ValidationError(
                _(
                    "Plans are generated for a calendar year between %(min)s and %(max)s "
                    "(got %(year)s).",
                    min=MIN_YEAR,
                    max=MAX_YEAR,
                    year=year,
                )
            )
        return int(float(year))

    def _lock_for_generation(self):
        """Two generations from the same template at once would both find a partner
        without its plan: the second one waits here for the first, then fails with a
        serialization error (the row changed under its snapshot) that the server
        retries, seeing the first one's plans. The unique index on the plans is the
        last guard."""
        self.env.cr.execute(
            SQL(
                "UPDATE msp_business_plan_template SET write_date = write_date WHERE id = %s",
                self.id,
            )
        )

    def _get_partners_with_plan(self, partners, year):
        """The partners of ``partners`` that have a plan from this template for
        ``year``, archived or cancelled ones included, whoever manages it: read in SQL,
        because the index that makes them unique does not follow record rules (the
        user learns that such a plan exists, not what it holds)."""
        if not partners:
            return partners
        self.env["msp.business.plan"].flush_model(["template_id", "partner_id", "date_start"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT partner_id
                  FROM msp_business_plan
                 WHERE template_id = %s AND partner_id = ANY(%s)
                   AND EXTRACT(YEAR FROM date_start) = %s
                """,
                self.id,
                partners.ids,
                year,
            )
        )
        return partners.browse([partner_id for (partner_id,) in rows])

    def _get_last_year_actuals(self, partners, year):
        """``{(partner id, line id): actual}`` of last year for these partners, in one
        query for every partner and line: the actual of the same objective in the
        partner's plan of ``year`` - 1 (starting that year, in this company, not
        cancelled). The same objective is the one generated from the same line if
        the partner had a plan from this template; else one of the same kind,
        measure, summed field and deal filter (and name, for a manual objective),
        preferring a plan from this template, then the latest plan, then the first
        objective. Sums count only from plans in the company currency (an amount in
        another currency is no base for a target)."""
        if not partners:
            return {}
        Objective = self.env["msp.business.plan.objective"]
        # Only the objectives the user may read (an own-plans user does not see last
        # year's plans managed by someone else: their targets start from the floor).
        readable = Objective._search(
            [
                ("partner_id", "in", partners.ids),
                ("date_start", ">=", date(year - 1, 1, 1)),
                ("date_start", "<=", date(year - 1, 12, 31)),
            ]
        )
        Objective.flush_model()
        self.env["msp.business.plan"].flush_model()
        self.line_ids.flush_recordset()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (plan.partner_id, line.id)
                       plan.partner_id, line.id, obj.actual_value
                  FROM msp_business_plan_template_line line
                  JOIN msp_business_plan_objective obj
                    ON obj.template_line_id = line.id
                    OR (obj.objective_type = line.objective_type
                        AND obj.measure = line.measure
                        AND (line.measure = 'count' OR obj.sum_field_id = line.sum_field_id)
                        AND COALESCE(NULLIF(obj.lead_domain, ''), '[]')
                            = COALESCE(NULLIF(line.lead_domain, ''), '[]')
                        -- a manual objective is defined by its name only
                        AND (line.objective_type != 'manual'
                             OR LOWER(TRIM(obj.name)) = LOWER(TRIM(line.name))))
                  JOIN msp_business_plan plan ON plan.id = obj.plan_id
                 WHERE line.template_id = %(template)s
                   AND obj.id IN %(readable)s
                   AND plan.partner_id = ANY(%(partners)s)
                   AND plan.company_id = %(company)s
                   AND plan.state != 'cancelled'
                   AND plan.date_start BETWEEN %(start)s AND %(end)s
                   AND (line.measure = 'count' OR plan.currency_id = %(currency)s)
              ORDER BY plan.partner_id, line.id,
                       (obj.template_line_id = line.id) IS TRUE DESC,
                       (plan.template_id = line.template_id) IS TRUE DESC,
                       plan.date_start DESC, plan.id DESC, obj.sequence, obj.id
                """,
                template=self.id,
                readable=readable.subselect(),
                partners=partners.ids,
                company=self.company_id.id,
                start=date(year - 1, 1, 1),
                end=date(year - 1, 12, 31),
                currency=self.company_id.currency_id.id,
            )
        )
        return {(partner_id, line_id): actual or 0.0 for partner_id, line_id, actual in rows}

    @api.model
    def _get_peer_benchmarks(self, plan):
        """``{objective id: benchmark}`` of the objectives of ``plan`` generated from a
        template: the first quartile, median and third quartile of the progress of
        the same objective in the plans of the same template and year (shared with
        their partner, in the same company), and where the plan stands among them.
        Only where at least :data:`~..tools.plan_templates.BENCHMARK_MIN_PARTNERS`
        partners have such a plan; never which partners, nor their figures. One
        grouped query for every objective of the plan.

        The caller checked that the current user may read ``plan``; the others' plans
        are read in SQL, as aggregates only."""
        plan.ensure_one()
        if not plan.sudo().template_id:
            return {}
        self.env["msp.business.plan.objective"].flush_model(
            ["template_line_id", "progress", "plan_id"]
        )
        self.env["msp.business.plan"].flush_model(
            ["template_id", "date_start", "state", "company_id", "partner_id", "active"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT mine.id, COUNT(DISTINCT peer_plan.partner_id),
                       percentile_cont(ARRAY[0.25, 0.5, 0.75])
                           WITHIN GROUP (ORDER BY peer.progress)
                  FROM msp_business_plan_objective mine
                  JOIN msp_business_plan plan ON plan.id = mine.plan_id
                  JOIN msp_business_plan_objective peer
                    ON peer.template_line_id = mine.template_line_id
                  JOIN msp_business_plan peer_plan ON peer_plan.id = peer.plan_id
                 WHERE mine.plan_id = %(plan)s
                   AND mine.template_line_id IS NOT NULL
                   AND peer_plan.template_id = plan.template_id
                   AND peer_plan.company_id = plan.company_id
                   AND peer_plan.active
                   AND peer_plan.state IN %(states)s
                   AND EXTRACT(YEAR FROM peer_plan.date_start)
                       = EXTRACT(YEAR FROM plan.date_start)
              GROUP BY mine.id
                HAVING COUNT(DISTINCT peer_plan.partner_id) >= %(minimum)s
                """,
                plan=plan.id,
                states=PARTNER_VISIBLE_STATES,
                minimum=plan_templates.BENCHMARK_MIN_PARTNERS,
            )
        )
        objectives = dict(zip(plan.objective_ids.ids, plan.objective_ids, strict=True))
        benchmarks = {}
        for objective_id, partner_count, (first, median, third) in rows:
            progress = objectives[objective_id].progress
            benchmarks[objective_id] = {
                "partner_count": partner_count,
                "first_quartile": first,
                "median": median,
                "third_quartile": third,
                "position": plan_templates.benchmark_position(progress, first, median, third),
                "bar": plan_templates.benchmark_bar(progress, first, median, third),
            }
        return benchmarks
