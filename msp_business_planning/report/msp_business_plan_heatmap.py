from collections import defaultdict
from datetime import timedelta

from odoo import _, api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools import figures as figure_rules
from ..tools import planning


class MspBusinessPlanHeatmap(models.AbstractModel):
    """The channel heatmap: one row per plan (its partner), one cell per calendar
    quarter, coloured by the pacing of the plan's objectives in that quarter. The
    client action ``msp_business_planning.channel_heatmap`` draws what
    :meth:`get_heatmap_data` returns."""

    _name = "msp.business.plan.heatmap"
    _description = "Channel Heatmap"

    @api.model
    def get_heatmap_data(self, year=None, mine=False):
        """Rows and cells of the heatmap for ``year`` (default: this year), over the
        running and completed plans the user may read that overlap it; ``mine``
        keeps the plans the user manages.

        A cell weighs the plan's objectives as the plan's progress does (weighted
        mean, each capped at 100%): each objective's actual achieved in the quarter
        over its target in the quarter. Quarterly and monthly periods count with their
        own targets and actuals; a period crossing a quarter end (an annual
        objective's) has its target spread by days
        (:func:`~..tools.planning.quarter_parts`) and, in each quarter that has
        started, the actual achieved in that quarter (:meth:`_quarter_actuals`); a
        quarter not started yet has its targets only. Percentages are rounded once,
        here, for display; the raw figures come along."""
        if not self.env.user.has_group("msp_business_planning.group_user"):
            raise AccessError(_("The channel heatmap is for business planning users."))
        Plan = self.env["msp.business.plan"]
        Objective = self.env["msp.business.plan.objective"]
        today = Objective._pacing_today()
        thresholds = Objective._pacing_thresholds()
        year = int(year or today.year)
        quarters = planning.year_quarters(year)
        year_start, year_end = quarters[0][0], quarters[-1][1]
        base_domain = [("state", "in", planning.RUNNING_STATES)]
        if mine:
            base_domain.append(("user_id", "=", self.env.uid))
        # Record rules apply: a channel manager with own plans gets his partners only.
        plans = Plan.search_read(
            [*base_domain, ("date_start", "<=", year_end), ("date_end", ">=", year_start)],
            [
                "name",
                "partner_id",
                "user_id",
                "state",
                "progress",
                "expected_progress",
                "pacing_status",
            ],
            order="partner_id, date_start, id",
        )
        years = {
            start.year for (start,) in Plan._read_group(base_domain, ["date_start:year"]) if start
        } | {today.year, year}
        parts = self._quarter_parts([plan["id"] for plan in plans], quarters, today)
        rows = []
        for plan in plans:
            cells = [
                self._cell(
                    parts.get((plan["id"], index), {}), plan["state"], start, today, thresholds
                )
                for index, (start, _end) in enumerate(quarters)
            ]
            rows.append(
                {
                    "plan_id": plan["id"],
                    "plan_name": plan["name"],
                    "partner_id": plan["partner_id"] and plan["partner_id"][0],
                    "partner_name": plan["partner_id"] and plan["partner_id"][1],
                    "user_name": plan["user_id"][1] if plan["user_id"] else "",
                    "cells": cells,
                    "plan": self._figures(
                        plan["progress"], plan["expected_progress"], plan["pacing_status"]
                    ),
                }
            )
        return {
            "year": year,
            "years": sorted(years),
            "today": str(today),
            "quarters": [
                {
                    "label": planning.quarter_label(start),
                    "date_start": str(start),
                    "date_end": str(end),
                }
                for start, end in quarters
            ],
            "rows": rows,
            # The thresholds the statuses were computed with, for the legend.
            "on_track_percent": figure_rules.percent(thresholds.on_track * 100),
            "at_risk_percent": figure_rules.percent(thresholds.at_risk * 100),
        }

    def _quarter_parts(self, plan_ids, quarters, today):
        """``{(plan id, quarter index): {objective id: [weight, [(start, end, target)],
        actual]}}`` of ``plan_ids`` (already access-checked) over the year of
        ``quarters``: their period targets overlapping it, in one query, and what each
        objective achieved in each quarter."""
        if not plan_ids:
            return {}
        year_start, year_end = quarters[0][0], quarters[-1][1]
        Target = self.env["msp.business.plan.objective.target"]
        Target.flush_model(["objective_id", "date_start", "date_end", "target_value"])
        Target.flush_model(["actual_value", "plan_id"])
        self.env["msp.business.plan.objective"].flush_model(["weight", "sequence"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT target.plan_id, target.objective_id, objective.weight,
                       target.date_start, target.date_end,
                       COALESCE(target.target_value, 0), COALESCE(target.actual_value, 0)
                  FROM msp_business_plan_objective_target target
                  JOIN msp_business_plan_objective objective
                    ON objective.id = target.objective_id
                 WHERE target.plan_id = ANY(%s)
                   AND target.date_start <= %s AND target.date_end >= %s
              ORDER BY target.plan_id, objective.sequence, objective.id, target.date_start
                """,
                plan_ids,
                year_end,
                year_start,
            )
        )
        split = [(row, planning.quarter_parts(row[3], row[4], row[5])) for row in rows]
        # Objectives with a period crossing a quarter end: a period's actual cannot be
        # cut by quarter, the tracking engine tells what each quarter achieved.
        spread = {row[1] for row, parts in split if len(parts) > 1}
        parts_by_cell = defaultdict(dict)
        for (plan_id, objective_id, weight, _start, _end, _target, actual), parts in split:
            for part in parts:
                if part[0].year != year_start.year:
                    continue
                cell = parts_by_cell[plan_id, (part[0].month - 1) // 3]
                entry = cell.setdefault(objective_id, [weight or 0, [], 0.0])
                entry[1].append(part)
                if objective_id not in spread:
                    # A period inside the quarter: its own actual.
                    entry[2] += actual
        if spread:
            actuals = self._quarter_actuals(spread, quarters, today)
            for (_plan_id, index), cell in parts_by_cell.items():
                for objective_id, entry in cell.items():
                    if objective_id in spread:
                        entry[2] = actuals.get((objective_id, index), 0.0)
        return parts_by_cell

    def _quarter_actuals(self, objective_ids, quarters, today):
        """``{(objective id, quarter index): actual}``: what each objective achieved in
        each quarter of ``quarters`` that has started by ``today`` (deals and updates
        dated in the quarter): its actual up to the quarter end less its actual up to
        the end of the quarter before, by
        :meth:`~..models.msp_business_plan_objective.MspBusinessPlanObjective._get_figures_to_date`
        (one batch over all the objectives per quarter end: no query per plan nor per
        objective). The first quarter starts from the actual up to the eve of the
        year: an objective's earlier periods (a plan over several years) are not
        counted in it."""
        started = [index for index, (start, _end) in enumerate(quarters) if start <= today]
        if not started:
            return {}
        objectives = self.env["msp.business.plan.objective"].browse(sorted(objective_ids))
        eve = quarters[0][0] - timedelta(days=1)
        to_date = {eve: objectives._get_figures_to_date(eve)}
        previous = eve
        actuals = {}
        for index in started:
            end = quarters[index][1]
            to_date[end] = objectives._get_figures_to_date(end)
            for objective_id, figures in to_date[end].items():
                earlier = to_date[previous][objective_id].actual
                actuals[objective_id, index] = figures.actual - earlier
            previous = end
        return actuals

    def _cell(self, objectives, plan_state, quarter_start, today, thresholds):
        """One quarter of one plan: its objectives' actuals in the quarter over their
        targets in it, weighed together."""
        items = []
        for weight, parts, actual in objectives.values():
            target = sum(part[2] for part in parts)
            items.append(
                (
                    planning.progress_percent(actual, target),
                    planning.expected_progress(parts, today),
                    weight,
                    target,
                )
            )
        counted = [item for item in items if item[3] > 0]
        if not counted:
            return False
        progress, expected, status = self.env["msp.business.plan"]._progress_figures(
            items, plan_state, thresholds
        )
        if today <= quarter_start:
            status = "not_started"
        cell = self._figures(progress, expected, status)
        cell["objective_count"] = len(counted)
        return cell

    def _figures(self, progress, expected, status):
        return {
            "progress": progress,
            "expected": expected,
            # The one rounding rule of every figure (tools/figures.py).
            "progress_display": figure_rules.percent(progress or 0.0),
            "expected_display": figure_rules.percent(expected or 0.0),
            "status": status or False,
        }
