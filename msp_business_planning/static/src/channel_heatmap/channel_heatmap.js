/** @odoo-module **/

import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";

/**
 * The channel heatmap: one row per running plan (its partner), one cell per calendar
 * quarter of the chosen year, coloured by pacing. Every figure comes from one call to
 * `msp.business.plan.heatmap.get_heatmap_data`, which applies the user's record rules.
 * Plain OWL, the orm / action services and `useSetupAction` (the filters survive a
 * return through the breadcrumbs) only, the same on every supported Odoo version.
 */
export class ChannelHeatmap extends Component {
    static template = "msp_business_planning.ChannelHeatmap";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        const { year = null, mine = false } = this.props.state || {};
        this.state = useState({ data: null, year, mine });
        useSetupAction({ getLocalState: () => ({ year: this.state.year, mine: this.state.mine }) });
        this.statusLabels = {
            on_track: _t("On Track"),
            at_risk: _t("At Risk"),
            off_track: _t("Off Track"),
            not_started: _t("Not started"),
        };
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("msp.business.plan.heatmap", "get_heatmap_data", [], {
            year: this.state.year,
            mine: this.state.mine,
        });
        this.state.year = this.state.data.year;
    }

    async onYearChange(ev) {
        this.state.year = parseInt(ev.target.value, 10);
        await this.load();
    }

    async onMineChange(ev) {
        this.state.mine = ev.target.checked;
        await this.load();
    }

    cellClass(cell) {
        return cell ? `o_msp_heat_${cell.status || "none"}` : "o_msp_heat_empty";
    }

    cellTitle(cell) {
        if (!cell) {
            return _t("No target in this quarter");
        }
        const status = this.statusLabels[cell.status] || _t("Not tracked");
        return _t("%(status)s: %(progress)s reached, %(expected)s expected by today", {
            status,
            progress: `${cell.progress_display}%`,
            expected: `${cell.expected_display}%`,
        });
    }

    openPlan(row) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "msp.business.plan",
            res_id: row.plan_id,
            views: [[false, "form"]],
            target: "current",
        });
    }

    openQuarter(row, quarter) {
        this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("%(partner)s, %(quarter)s", {
                partner: row.partner_name,
                quarter: quarter.label,
            }),
            res_model: "msp.business.plan.objective.target",
            views: [
                [false, "list"],
                [false, "form"],
            ],
            domain: [
                ["plan_id", "=", row.plan_id],
                ["date_start", "<=", quarter.date_end],
                ["date_end", ">=", quarter.date_start],
            ],
            target: "current",
        });
    }
}

registry.category("actions").add("msp_business_planning.channel_heatmap", ChannelHeatmap);
