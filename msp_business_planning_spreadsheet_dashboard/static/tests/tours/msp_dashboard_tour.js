/** @odoo-module **/

import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";

/**
 * The Business Planning dashboard opens in the Dashboards app and its figures (the
 * cells its scorecards show, with the default filters: this year, every channel
 * manager and company) are the ORM's, asked here with the same domains.
 */

function findSpreadsheetModel(node) {
    const model = node.component?.env?.model;
    if (model?.getters?.getEvaluatedCell && model.getters.getSheetIdByName?.("Data")) {
        return model;
    }
    for (const child of Object.values(node.children || {})) {
        const found = findSpreadsheetModel(child);
        if (found) {
            return found;
        }
    }
    return undefined;
}

function dataColumn(model) {
    const sheetId = model.getters.getSheetIdByName("Data");
    return [0, 1, 2, 3, 4, 5, 6].map((row) => {
        const cell = model.getters.getEvaluatedCell({ sheetId, col: 1, row });
        return cell.message ? `${cell.value}: ${cell.message}` : cell.value;
    });
}

async function evaluatedFigures() {
    let values = [];
    for (let attempt = 0; attempt < 80; attempt++) {
        const model = findSpreadsheetModel(odoo.__WOWL_DEBUG__.root.__owl__);
        if (model) {
            values = dataColumn(model);
            if (values.every((value) => typeof value === "number")) {
                return values;
            }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`The dashboard's figures did not load: ${JSON.stringify(values)}`);
}

function searchRead(model, domain, fields) {
    return rpc(`/web/dataset/call_kw/${model}/search_read`, {
        model,
        method: "search_read",
        args: [domain],
        kwargs: { fields },
    });
}

function mean(values) {
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

function assertClose(actual, expected, what) {
    if (Math.abs(actual - expected) > 1e-6) {
        throw new Error(`${what}: the dashboard says ${actual}, the ORM ${expected}`);
    }
}

registry.category("web_tour.tours").add("msp_dashboard_tour", {
    steps: () => [
        {
            content: "Open the Business Planning dashboard",
            trigger: ".o_search_panel_category_value[data-name='Business Planning']",
            run: "click",
        },
        {
            content: "Its charts and scorecards are drawn",
            trigger: ".o_spreadsheet_dashboard_action .o-figure",
        },
        {
            content: "Its figures are the ORM's",
            trigger: ".o_spreadsheet_dashboard_action .o-figure",
            async run() {
                const [plans, progress, expected, quarterReviews, excellence, scored, forecast] =
                    await evaluatedFigures();
                const today = new Date();
                const year = today.getFullYear();
                const inYear = (field) => [
                    [field, ">=", `${year}-01-01`],
                    [field, "<=", `${year}-12-31`],
                ];
                const running = await searchRead(
                    "msp.business.plan",
                    [["state", "=", "in_progress"], ...inYear("date_start")],
                    ["progress", "expected_progress", "forecast_progress"]
                );
                assertClose(plans, running.length, "Running plans");
                assertClose(progress, mean(running.map((p) => p.progress)), "Progress");
                assertClose(
                    expected,
                    mean(running.map((p) => p.expected_progress)),
                    "Expected progress"
                );
                assertClose(
                    forecast,
                    mean(running.map((p) => p.forecast_progress)),
                    "Forecast progress"
                );
                if (forecast === progress) {
                    throw new Error("The test expects an open pipeline: a forecast above progress");
                }
                const quarterStart = new Date(year, Math.floor(today.getMonth() / 3) * 3, 1);
                const quarterEnd = new Date(year, quarterStart.getMonth() + 3, 0);
                const iso = (day) =>
                    `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;
                const doneThisQuarter = await searchRead(
                    "msp.business.review",
                    [
                        ["state", "=", "done"],
                        ["date", ">=", iso(quarterStart)],
                        ["date", "<=", iso(quarterEnd)],
                    ],
                    ["id"]
                );
                assertClose(quarterReviews, doneThisQuarter.length, "Reviews done this quarter");
                if (!doneThisQuarter.length) {
                    throw new Error("The test expects reviews done this quarter");
                }
                const done = await searchRead(
                    "msp.business.review",
                    [["state", "=", "done"], ...inYear("date")],
                    ["excellence_score"]
                );
                assertClose(scored, done.length, "Done reviews");
                assertClose(excellence, mean(done.map((r) => r.excellence_score)), "Excellence");
            },
        },
    ],
});
