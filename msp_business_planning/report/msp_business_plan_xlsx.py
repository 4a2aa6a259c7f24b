from dataclasses import dataclass

from odoo import _, api, models

from ..tools import figures as figure_rules
from . import xlsx_builder as xlsx

# Counts are whole numbers, in whatever plan: no currency, no decimals.
COUNT_FORMAT = xlsx.CurrencyFormat("", digits=0)
# A count's forecast is weighted by probabilities: one decimal (tools/figures.py).
WEIGHTED_FORMAT = xlsx.CurrencyFormat("", digits=figure_rules.WEIGHTED_DIGITS)


@dataclass
class PlanExportData:
    """What every sheet reads, loaded once for the whole export."""

    plans: models.BaseModel
    objectives_by_plan: dict
    targets_by_objective: dict
    monetary_objective_ids: frozenset
    currencies: dict
    reviews_by_plan: dict
    # review id -> {decision key: number of agenda items}
    decisions_by_review: dict
    # Reviews with a scorecard: the others have no excellence score to show.
    scored_review_ids: frozenset

    def currency(self, objective):
        """Format of the objective's targets and actuals: the plan currency's for
        amounts, whole numbers for counts, None (two decimals) for numbers reported
        by hand."""
        if objective.id in self.monetary_objective_ids:
            return self.currencies[objective.plan_id.id]
        if objective.figure_kind == "count":
            return COUNT_FORMAT
        return None

    def figure(self, objective, value):
        """A target or actual as it reads everywhere (tools/figures.py)."""
        currency = self.currency(objective)
        return figure_rules.figure_value(
            value, objective.figure_kind, currency.digits if currency else 2
        )

    def forecast(self, objective, value):
        """A forecast as it reads everywhere: a count's weighted, with one decimal, when
        the objective has a pipeline."""
        if figure_rules.forecast_kind(objective.figure_kind, objective._has_pipeline()) != (
            "weighted"
        ):
            return self.figure(objective, value)
        return xlsx.Cell(figure_rules.figure_value(value, "weighted"), WEIGHTED_FORMAT)


class MspBusinessPlanXlsx(models.AbstractModel):
    """Excel export of business plans: one function per sheet, fed by data read in a
    constant number of queries, written by the ORM-free :mod:`.xlsx_builder`.

    To add a sheet, write a ``_sheet_<name>(data)`` method returning an
    :class:`xlsx_builder.Sheet` and append it in :meth:`_get_sheet_builders`.
    """

    _name = "msp.business.plan.xlsx"
    _description = "Business Plan Excel Export"

    _plan_fields = (
        "name",
        "partner_id",
        "user_id",
        "state",
        "date_start",
        "date_end",
        "currency_id",
        "progress",
        "expected_progress",
        "pacing_status",
        "forecast_progress",
        "forecast_to_miss",
    )
    _objective_fields = (
        "plan_id",
        "name",
        "sequence",
        "objective_type",
        "measure",
        "sum_field_id",
        "periodicity",
        "weight",
        "target_value",
        "actual_value",
        "progress",
        "expected_progress",
        "pacing_status",
        "forecast_value",
        "forecast_to_miss",
    )
    _target_fields = (
        "objective_id",
        "name",
        "date_start",
        "date_end",
        "target_value",
        "actual_value",
        "progress",
        "expected_progress",
        "pacing_status",
        "forecast_value",
    )
    # Never ``internal_note``: the workbook may be the partner's.
    _review_fields = (
        "plan_id",
        "name",
        "date",
        "review_type",
        "topic_id",
        "state",
        "excellence_score",
        "excellence_target",
        "feedback_rating",
    )
    # Agenda decisions counted on the Reviews sheet, in column order.
    _review_decisions = ("accepted", "declined", "deferred", "open")

    # ------------------------------------------------------------
    # BUILD
    # ------------------------------------------------------------

    @api.model
    def _build_workbook(self, plans, for_partner=False):
        """Bytes of the workbook on ``plans``, read with the current user's rights;
        ``for_partner``: what the partner sees, whoever asks (the portal download)."""
        data = self._prepare_data(plans, for_partner=for_partner)
        sheets = [build_sheet(data) for build_sheet in self._get_sheet_builders()]
        return xlsx.build_workbook(
            sheets, properties={"title": _("Business Plans"), "company": self.env.company.name}
        )

    @api.model
    def _get_sheet_builders(self):
        """The sheets, in order: functions taking a :class:`PlanExportData` and
        returning an :class:`xlsx_builder.Sheet`."""
        return [
            self._sheet_summary,
            self._sheet_objectives,
            self._sheet_periods,
            self._sheet_reviews,
        ]

    @api.model
    def _is_partner_export(self):
        """Whether the workbook is built for the partner: anyone outside the company,
        whatever the route (superuser mode keeps the real user; no context key
        decides). The portal download asks for the partner's view explicitly. A
        partner never sees what the portal hides, such as cancelled reviews."""
        return not self.env.user._is_internal()

    @api.model
    def _prepare_data(self, plans, for_partner=False):
        """Plans, objectives, period targets and reviews in a fixed number of queries,
        whatever the number of plans: one per model, plus one per related model for
        names."""
        plans.fetch(self._plan_fields)
        objectives = self.env["msp.business.plan.objective"].search_fetch(
            [("plan_id", "in", plans.ids)], self._objective_fields, order="sequence, id"
        )
        targets = self.env["msp.business.plan.objective.target"].search_fetch(
            [("objective_id", "in", objectives.ids)],
            self._target_fields,
            order="date_start, id",
        )
        reviews, decisions, scored_reviews = self._prepare_reviews(plans, for_partner)
        # Names shown in the rows, prefetched together rather than plan by plan.
        plans.partner_id.mapped("display_name")
        plans.user_id.mapped("name")
        currencies = {
            plan.id: xlsx.CurrencyFormat(
                plan.currency_id.symbol or plan.currency_id.name,
                plan.currency_id.position,
                plan.currency_id.decimal_places,
            )
            for plan in plans
        }
        return PlanExportData(
            plans=plans,
            objectives_by_plan=objectives.grouped("plan_id"),
            targets_by_objective=targets.grouped("objective_id"),
            monetary_objective_ids=frozenset(objectives._filter_monetary().ids),
            currencies=currencies,
            reviews_by_plan=reviews.grouped("plan_id"),
            decisions_by_review=decisions,
            scored_review_ids=frozenset(scored_reviews),
        )

    @api.model
    def _prepare_reviews(self, plans, for_partner=False):
        """The plans' reviews the user may read (those the partner sees, for a
        partner), their agenda decisions counted per review and the ids of the reviews
        with a scorecard: three queries, plus one for the topic names."""
        domain = [("plan_id", "in", plans.ids)]
        if for_partner or self._is_partner_export():
            domain.append(("state", "!=", "cancelled"))
        reviews = self.env["msp.business.review"].search_fetch(
            domain, self._review_fields, order="date, id"
        )
        decisions = {}
        for review, decision, count in self.env["msp.business.review.item"]._read_group(
            [("review_id", "in", reviews.ids)], ["review_id", "decision"], ["__count"]
        ):
            decisions.setdefault(review.id, {})[decision] = count
        scored = {
            review.id
            for [review] in self.env["msp.business.review.score"]._read_group(
                [("review_id", "in", reviews.ids)], ["review_id"]
            )
        }
        reviews.topic_id.mapped("name")
        return reviews, decisions, scored

    @api.model
    def _selection_labels(self, model_name, field_name):
        """Selection key -> label in the user's language."""
        field = self.env[model_name]._fields[field_name]
        return dict(field._description_selection(self.env))

    # ------------------------------------------------------------
    # SHEETS
    # ------------------------------------------------------------

    @api.model
    def _sheet_summary(self, data):
        states = self._selection_labels("msp.business.plan", "state")
        pacing = self._selection_labels("msp.business.plan", "pacing_status")
        sheet = xlsx.Sheet(
            _("Summary"),
            [
                xlsx.Column(_("Business Plan")),
                xlsx.Column(_("Partner")),
                xlsx.Column(_("Channel Manager")),
                xlsx.Column(_("Status")),
                xlsx.Column(_("Start Date"), xlsx.DATE),
                xlsx.Column(_("End Date"), xlsx.DATE),
                xlsx.Column(_("Currency")),
                xlsx.Column(_("Objectives"), xlsx.INTEGER),
                xlsx.Column(_("Progress"), xlsx.PERCENT),
                xlsx.Column(_("Expected Progress"), xlsx.PERCENT),
                xlsx.Column(_("Pacing")),
                xlsx.Column(_("Forecast Progress"), xlsx.PERCENT),
                xlsx.Column(_("Forecast to Miss")),
            ],
        )
        for plan in data.plans:
            sheet.add_row(
                [
                    plan.name,
                    plan.partner_id.display_name,
                    plan.user_id.name,
                    states.get(plan.state),
                    plan.date_start,
                    plan.date_end,
                    plan.currency_id.name,
                    len(data.objectives_by_plan.get(plan, ())),
                    figure_rules.percent(plan.progress),
                    figure_rules.percent(plan.expected_progress),
                    pacing.get(plan.pacing_status),
                    figure_rules.percent(plan.forecast_progress),
                    _("Yes") if plan.forecast_to_miss else None,
                ]
            )
        return sheet

    @api.model
    def _sheet_objectives(self, data):
        Objective = "msp.business.plan.objective"
        kinds = self._selection_labels(Objective, "objective_type")
        measures = self._selection_labels(Objective, "measure")
        periodicities = self._selection_labels(Objective, "periodicity")
        pacing = self._selection_labels(Objective, "pacing_status")
        sheet = xlsx.Sheet(
            _("Objectives"),
            [
                xlsx.Column(_("Business Plan")),
                xlsx.Column(_("Partner")),
                xlsx.Column(_("Objective")),
                xlsx.Column(_("Kind")),
                xlsx.Column(_("Measure")),
                xlsx.Column(_("Periodicity")),
                xlsx.Column(_("Weight"), xlsx.INTEGER),
                xlsx.Column(_("Target"), xlsx.AMOUNT),
                xlsx.Column(_("Actual"), xlsx.AMOUNT),
                xlsx.Column(_("Progress"), xlsx.PERCENT),
                xlsx.Column(_("Expected Progress"), xlsx.PERCENT),
                xlsx.Column(_("Pacing")),
                xlsx.Column(_("Forecast"), xlsx.AMOUNT),
                xlsx.Column(_("Forecast to Miss")),
            ],
        )
        for plan in data.plans:
            plan_name, partner_name = plan.name, plan.partner_id.display_name
            for objective in data.objectives_by_plan.get(plan, ()):
                sheet.add_row(
                    [
                        plan_name,
                        partner_name,
                        objective.name,
                        kinds.get(objective.objective_type),
                        # Manual objectives are reported as they are: no measure applies.
                        measures.get(objective.measure)
                        if objective.objective_type != "manual"
                        else None,
                        periodicities.get(objective.periodicity),
                        objective.weight,
                        data.figure(objective, objective.target_value),
                        data.figure(objective, objective.actual_value),
                        figure_rules.percent(objective.progress),
                        figure_rules.percent(objective.expected_progress),
                        pacing.get(objective.pacing_status),
                        data.forecast(objective, objective.forecast_value),
                        _("Yes") if objective.forecast_to_miss else None,
                    ],
                    currency=data.currency(objective),
                )
        return sheet

    @api.model
    def _sheet_periods(self, data):
        pacing = self._selection_labels("msp.business.plan.objective.target", "pacing_status")
        sheet = xlsx.Sheet(
            _("Periods"),
            [
                xlsx.Column(_("Business Plan")),
                xlsx.Column(_("Partner")),
                xlsx.Column(_("Objective")),
                xlsx.Column(_("Period")),
                xlsx.Column(_("Start Date"), xlsx.DATE),
                xlsx.Column(_("End Date"), xlsx.DATE),
                xlsx.Column(_("Target"), xlsx.AMOUNT),
                xlsx.Column(_("Actual"), xlsx.AMOUNT),
                xlsx.Column(_("Progress"), xlsx.PERCENT),
                xlsx.Column(_("Expected Progress"), xlsx.PERCENT),
                xlsx.Column(_("Pacing")),
                xlsx.Column(_("Forecast"), xlsx.AMOUNT),
            ],
        )
        for plan in data.plans:
            plan_name, partner_name = plan.name, plan.partner_id.display_name
            for objective in data.objectives_by_plan.get(plan, ()):
                currency, objective_name = data.currency(objective), objective.name
                for target in data.targets_by_objective.get(objective, ()):
                    sheet.add_row(
                        [
                            plan_name,
                            partner_name,
                            objective_name,
                            target.name,
                            target.date_start,
                            target.date_end,
                            data.figure(objective, target.target_value),
                            data.figure(objective, target.actual_value),
                            figure_rules.percent(target.progress),
                            figure_rules.percent(target.expected_progress),
                            pacing.get(target.pacing_status),
                            data.forecast(objective, target.forecast_value),
                        ],
                        currency=currency,
                    )
        return sheet

    @api.model
    def _sheet_reviews(self, data):
        Review = "msp.business.review"
        types = self._selection_labels(Review, "review_type")
        states = self._selection_labels(Review, "state")
        decision_labels = {
            "accepted": _("Items Accepted"),
            "declined": _("Items Declined"),
            "deferred": _("Items Deferred"),
            "open": _("Items Open"),
        }
        sheet = xlsx.Sheet(
            _("Reviews"),
            [
                xlsx.Column(_("Business Plan")),
                xlsx.Column(_("Partner")),
                xlsx.Column(_("Review")),
                xlsx.Column(_("Date"), xlsx.DATE),
                xlsx.Column(_("Type")),
                xlsx.Column(_("Focus Topic")),
                xlsx.Column(_("Status")),
                xlsx.Column(_("Excellence Score"), xlsx.INTEGER),
                xlsx.Column(_("Excellence Target"), xlsx.INTEGER),
                *(
                    xlsx.Column(decision_labels[decision], xlsx.INTEGER)
                    for decision in self._review_decisions
                ),
                xlsx.Column(_("Partner Rating"), xlsx.INTEGER),
            ],
        )
        for plan in data.plans:
            plan_name, partner_name = plan.name, plan.partner_id.display_name
            for review in data.reviews_by_plan.get(plan, ()):
                scored = review.id in data.scored_review_ids
                decisions = data.decisions_by_review.get(review.id, {})
                sheet.add_row(
                    [
                        plan_name,
                        partner_name,
                        review.display_name,
                        review.date,
                        types.get(review.review_type),
                        review.topic_id.name,
                        states.get(review.state),
                        # Without a scorecard there is no score, rather than a zero.
                        figure_rules.score(review.excellence_score) if scored else None,
                        figure_rules.score(review.excellence_target) if scored else None,
                        *(decisions.get(decision, 0) for decision in self._review_decisions),
                        review.feedback_rating or None,
                    ]
                )
        return sheet
