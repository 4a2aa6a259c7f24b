from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import compat, plan_templates, values
from .msp_business_plan_objective import (
    MEASURES,
    PERIODICITIES,
    SUM_FIELD_DOMAIN,
)

# What a line hands over to the objectives it generates, as is.
OBJECTIVE_FIELDS = (
    "name",
    "sequence",
    "description",
    "objective_type",
    "measure",
    "sum_field_id",
    "lead_domain",
    "weight",
    "periodicity",
)


class MspBusinessPlanTemplateLine(models.Model):
    _name = "msp.business.plan.template.line"
    _inherit = ["msp.partner.isolation.mixin"]
    _description = "Business Plan Template Objective"
    _order = "template_id, sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    def _default_sum_field_id(self):
        return self.env["ir.model.fields"]._get("crm.lead", "expected_revenue")

    def _selection_objective_type(self):
        # The kinds of objectives, the eLearning bridge's included when installed.
        return self.env["msp.business.plan.objective"]._fields["objective_type"].selection

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    template_id = fields.Many2one(
        "msp.business.plan.template", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="template_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="template_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True)
    description = fields.Text(help="How the objective is measured, in the partner's words.")
    objective_type = fields.Selection(
        selection="_selection_objective_type",
        string="Kind",
        required=True,
        default="manual",
        help="What the objectives generated measure, as on a plan's objective.",
    )
    measure = fields.Selection(MEASURES, required=True, default="count")
    sum_field_id = fields.Many2one(
        "ir.model.fields",
        string="Summed Field",
        default=_default_sum_field_id,
        ondelete="set null",
        domain=SUM_FIELD_DOMAIN,
        help="Numeric field of the deals added up when the measure is Sum.",
    )
    lead_domain = fields.Char(
        string="Deal Filter",
        default="[]",
        help="Only deals matching this filter count toward the objectives generated.",
    )
    weight = fields.Integer(
        default=10,
        required=True,
        aggregator=False,
        help="Relative importance (1 to 100) of the objective in each plan's progress.",
    )
    periodicity = fields.Selection(
        PERIODICITIES,
        required=True,
        default="quarterly",
    )
    target_rule = fields.Selection(
        [("fixed", "Fixed Target"), ("growth", "Last Year + Growth")],
        required=True,
        default="fixed",
        help="Fixed: every plan gets the same target. Last Year + Growth: the partner's "
        "actual of the same objective last year × (1 + growth), never below the minimum "
        "target; the minimum target when the partner had no such objective last year.",
    )
    target_value = fields.Float(
        string="Fixed Target", help="Target of each plan's objective (Fixed Target rule)."
    )
    growth_percent = fields.Float(
        string="Growth (%)",
        help="Growth on last year's actual, in percent, from -100 to +1000 (e.g. 10 for "
        "+10%, -5 for a smaller market).",
    )
    target_floor = fields.Float(
        string="Minimum Target",
        help="Lowest target the growth rule gives, and the target of partners without "
        "last year's figure.",
    )

    _weight_range = compat.Constraint(
        "CHECK (weight BETWEEN 1 AND 100)",
        "The weight of a template objective must be between 1 and 100.",
    )
    _growth_range = compat.Constraint(
        "CHECK (growth_percent IS NULL OR growth_percent BETWEEN -100 AND 1000)",
        "The growth of a template objective must be between -100% and +1000%.",
    )
    _targets_positive = compat.Constraint(
        "CHECK (COALESCE(target_value, 0) >= 0 AND COALESCE(target_floor, 0) >= 0)",
        "The targets of a template objective cannot be negative.",
    )

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.model
    def _precheck_values(self, vals):
        """Refuse a wrong number with a message in the user's words, before the ORM
        converts it (a text) or the database check constraints abort the transaction."""
        if "weight" in vals and values.number_issue(vals["weight"], 1, 100):
            raise ValidationError(
                _(
                    "The weight of a template objective must be between 1 and 100 (got "
                    "%(weight)s).",
                    weight=vals["weight"],
                )
            )
        growth = vals.get("growth_percent")
        if growth not in (None, False) and values.number_issue(
            growth, plan_templates.GROWTH_MIN, plan_templates.GROWTH_MAX
        ):
            raise ValidationError(
                _(
                    "The growth must be a number of percent between %(min)s and +%(max)s "
                    "(got %(growth)s).",
                    min=plan_templates.GROWTH_MIN,
                    max=plan_templates.GROWTH_MAX,
                    growth=growth,
                )
            )
        for name in ("target_value", "target_floor"):
            value = vals.get(name)
            if value not in (None, False) and values.number_issue(value, minimum=0):
                raise ValidationError(
                    _(
                        "The %(field)s of a template objective must be a positive number (got "
                        "%(value)s).",
                        field=self._fields[name].string.lower(),
                        value=value,
                    )
                )

    @api.constrains("objective_type", "measure", "sum_field_id", "lead_domain", "name")
    def _check_lines(self):
        """The objectives a line generates must be valid ones: the objective's own
        rules (deal filter, summed field, kind tracked), checked on a draft of it."""
        Objective = self.env["msp.business.plan.objective"]
        for line in self:
            draft = Objective.new(
                {
                    "name": line.name,
                    "objective_type": line.objective_type,
                    "measure": line.measure,
                    "sum_field_id": line.sum_field_id.id,
                }
            )
            draft._parse_lead_domain(line.lead_domain)
            draft._check_sum_field()
            draft._check_objective_type_tracked()

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._precheck_values(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._precheck_values(vals)
        return super().write(vals)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _figure_kind(self):
        """How the line's targets read (amount, count or number): the objective's rule."""
        self.ensure_one()
        draft = self.env["msp.business.plan.objective"].new(
            {
                "objective_type": self.objective_type,
                "measure": self.measure,
                "sum_field_id": self.sum_field_id.id,
            }
        )
        return draft.figure_kind

    def _prepare_objective_vals(self, target):
        """Values of the objective this line generates, with ``target``."""
        self.ensure_one()
        vals = {name: self[name] for name in OBJECTIVE_FIELDS}
        vals["sum_field_id"] = self.sum_field_id.id
        vals["target_value"] = target
        vals["template_line_id"] = self.id
        return vals
