from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError


class MspBusinessPlanGenerateWizard(models.TransientModel):
    """Generate Plans: next year's plans of a whole segment from a template, previewed
    (targets beside last year's actuals) before they are created in one go."""

    _name = "msp.business.plan.generate.wizard"
    _description = "Generate Business Plans"

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    def _default_year(self):
        return self.env["msp.business.plan"]._default_year()

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        # Run from a selection in the partners' list: those partners (read with the
        # user's own rights, as the list showed them).
        if self.env.context.get("active_model") == "res.partner" and self.env.context.get(
            "active_ids"
        ):
            partners = self.env["res.partner"].browse(self.env.context["active_ids"]).exists()
            res["partner_source"] = "list"
            res["partner_ids"] = [Command.set(partners.commercial_partner_id.ids)]
        return res

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    template_id = fields.Many2one(
        "msp.business.plan.template",
        string="Template",
        required=True,
    )
    company_id = fields.Many2one(related="template_id.company_id")
    currency_id = fields.Many2one(related="template_id.currency_id")
    year = fields.Integer(
        required=True, default=_default_year, help="Calendar year the plans cover."
    )
    partner_source = fields.Selection(
        [
            ("segment", "The Template's Segment"),
            ("tags", "Partner Tags"),
            ("salesperson", "Salesperson"),
            ("list", "A List of Partners"),
        ],
        string="Partners",
        required=True,
        default="segment",
        help="Which partner companies get a plan: those tagged with the template's "
        "segment, with other tags, those of given salespeople, or a list you pick.",
    )
    category_ids = fields.Many2many(
        "res.partner.category",
        "msp_business_plan_generate_wizard_category_rel",
        "wizard_id",
        "category_id",
        string="Partner Tags",
    )
    salesperson_ids = fields.Many2many(
        "res.users",
        "msp_business_plan_generate_wizard_salesperson_rel",
        "wizard_id",
        "user_id",
        string="Salespeople",
        domain="[('share', '=', False)]",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "msp_business_plan_generate_wizard_partner_rel",
        "wizard_id",
        "partner_id",
        string="Partner Companies",
        compute="_compute_partner_ids",
        store=True,
        readonly=False,
        domain="[('is_company', '=', True)]",
    )
    manager_rule = fields.Selection(
        [("user", "One Channel Manager"), ("salesperson", "Each Partner's Salesperson")],
        string="Channel Manager of the Plans",
        required=True,
        default="user",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Channel Manager",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
    )
    state = fields.Selection([("choose", "Choose"), ("preview", "Preview")], default="choose")
    line_ids = fields.One2many(
        "msp.business.plan.generate.wizard.line", "wizard_id", string="Preview"
    )
    plan_count = fields.Integer(string="Plans to Create", readonly=True)
    summary = fields.Char(readonly=True)
    skipped_partner_ids = fields.Many2many(
        "res.partner",
        "msp_business_plan_generate_wizard_skipped_rel",
        "wizard_id",
        "partner_id",
        string="Skipped",
        readonly=True,
        help="Partners that already have their plan from this template for this year: "
        "nothing is created for them.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("partner_source", "template_id", "category_ids", "salesperson_ids")
    def _compute_partner_ids(self):
        Partner = self.env["res.partner"]
        for wizard in self:
            if wizard.partner_source == "list":
                wizard.partner_ids = wizard.partner_ids  # picked by hand: kept
                continue
            domain = wizard._get_partner_domain()
            wizard.partner_ids = Partner.search(domain) if domain else Partner

    def _get_partner_domain(self):
        """Partner companies of the source chosen (None: nothing to search)."""
        self.ensure_one()
        company = [("is_company", "=", True)]
        if self.template_id:
            company.append(("company_id", "in", [False, self.template_id.company_id.id]))
        if self.partner_source == "segment" and self.template_id.category_ids:
            return [*company, ("category_id", "in", self.template_id.category_ids.ids)]
        if self.partner_source == "tags" and self.category_ids:
            return [*company, ("category_id", "in", self.category_ids.ids)]
        if self.partner_source == "salesperson" and self.salesperson_ids:
            return [*company, ("user_id", "in", self.salesperson_ids.ids)]
        return None

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # A wizard on a template the user may not read (another company's) is refused
        # at once, not at its first step.
        wizards.template_id.check_access("read")
        return wizards

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Generate Plans"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _manager(self):
        return self.user_id if self.manager_rule == "user" else None

    def _check_partners(self):
        if not self.partner_ids:
            raise UserError(_("Choose at least one partner company to generate plans for."))

    def action_preview(self):
        """The plans and targets the generation will create, beside last year's
        actuals, and the partners skipped; nothing is created yet."""
        self.ensure_one()
        self._check_partners()
        generation = self.template_id._prepare_generation(
            self.partner_ids, self.year, user=self._manager(), lock=False
        )
        Objective = self.env["msp.business.plan.objective"]
        currency = self.template_id.currency_id
        kinds = {line: line._figure_kind() for line in self.template_id.line_ids}
        lines = [Command.clear()]
        for partner, line, last_actual, target in generation.rows:
            kind = kinds[line]
            lines.append(
                Command.create(
                    {
                        "partner_id": partner.id,
                        "name": line.name,
                        "last_actual_display": (
                            Objective._format_figure(last_actual, kind, currency)
                            if last_actual is not None
                            else _("None")
                        ),
                        "target_display": Objective._format_figure(target, kind, currency),
                    }
                )
            )
        self.write(
            {
                "state": "preview",
                "line_ids": lines,
                "plan_count": len(generation.vals_list),
                "summary": _(
                    "%(count)s draft outline plans will be created for %(year)s from "
                    "“%(template)s”, with these targets.",
                    count=len(generation.vals_list),
                    year=self.year,
                    template=self.template_id.name,
                ),
                "skipped_partner_ids": [Command.set(generation.skipped.ids)],
            }
        )
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.write({"state": "choose", "line_ids": [Command.clear()]})
        return self._reopen()

    def action_generate(self):
        """Create the plans previewed in one go (the partners that got their plan in
        the meantime are skipped) and open them."""
        self.ensure_one()
        self._check_partners()
        plans = self.template_id.generate_plans(self.partner_ids, self.year, user=self._manager())
        if not plans:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": _(
                        "Nothing to generate: every partner chosen already has its plan "
                        "from this template for %(year)s.",
                        year=self.year,
                    ),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "msp_business_planning.msp_business_plan_action"
        )
        action.update(
            {
                "name": _("Generated Plans"),
                "domain": [("id", "in", plans.ids)],
                "context": {"create": False},
            }
        )
        return action


class MspBusinessPlanGenerateWizardLine(models.TransientModel):
    _name = "msp.business.plan.generate.wizard.line"
    _description = "Generate Business Plans: Preview Line"
    _order = "id"

    wizard_id = fields.Many2one(
        "msp.business.plan.generate.wizard", required=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", string="Partner", readonly=True)
    name = fields.Char(string="Objective", readonly=True)
    last_actual_display = fields.Char(
        string="Last Year's Actual",
        readonly=True,
        help="The partner's actual of the same objective in its plan of the year before "
        "(None: no such objective last year).",
    )
    target_display = fields.Char(string="Target", readonly=True)
