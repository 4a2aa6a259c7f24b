from collections import defaultdict

from odoo import _, api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

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
        mean, each capped at 100%), over the part of their period targets inside the
        quarter: quarterly and monthly targets as they are, longer periods (annual
        objectives) cut by :func:`~..tools.planning.quarter_parts`. Percentages are
        rounded once, here, for display; the raw figures come along."""
        if not self.env.user.has_group("msp_business_planning.group_user"):
            raise AccessError(_("The channel heatmap is for business planning users."))
        Plan = self.env["msp.business.plan"]
        today = self.env["msp.business.plan.objective"]._pacing_today()
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
        parts = self._quarter_parts([plan["id"] for plan in plans], year_start, year_end)
        rows = []
        for plan in plans:
            cells = [
                self._cell(parts.get((plan["id"], index), {}), plan["state"], start, today)
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
            "on_track_percent": round(planning.ON_TRACK_RATIO * 100),
            "at_risk_percent": round(planning.AT_RISK_RATIO * 100),
        }

    def _quarter_parts(self, plan_ids, year_start, year_end):
        """``{(plan id, quarter index): {objective id: [weight, [(start, end, target,
        actual)]]}}`` from the period targets of ``plan_ids`` (already access-checked)
        overlapping the year, in one query."""
        if not plan_ids:
            return {}
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
        parts = defaultdict(dict)
        for plan_id, objective_id, weight, start, end, target, actual in rows:
            for part in planning.quarter_parts(start, end, target, actual):
                if part[0].year != year_start.year:
                    continue
                cell = parts[plan_id, (part[0].month - 1) // 3]
                cell.setdefault(objective_id, [weight or 0, []])[1].append(part)
        return parts

    def _cell(self, objectives, plan_state, quarter_start, today):
        """One quarter of one plan: its objectives' parts weighed together."""
        items = []
        for weight, parts in objectives.values():
            target = sum(part[2] for part in parts)
            actual = sum(part[3] for part in parts)
            items.append(
                (
                    planning.progress_percent(actual, target),
                    planning.expected_progress([part[:3] for part in parts], today),
                    weight,
                    target,
                )
            )
        counted = [item for item in items if item[3] > 0]
        if not counted:
            return False
        progress, expected, status = self.env["msp.business.plan"]._progress_figures(
            items, plan_state
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
            "progress_display": round(progress or 0.0),
            "expected_display": round(expected or 0.0),
            "status": status or False,
        }
