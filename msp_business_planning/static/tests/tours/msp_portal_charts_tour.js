/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * The partner's plan page draws its charts (Chart.js, loaded on the page), and
 * each chart shows the figures of the table beside it: period targets and actuals,
 * the cumulative burn-up, the progress against the expected pace, the scores per
 * topic (one line each, never stacked).
 */

function chartOf(selector) {
    const canvas = document.querySelector(selector);
    const chart = canvas && window.Chart?.getChart(canvas);
    if (!chart) {
        throw new Error(`No chart drawn in ${selector}`);
    }
    return chart;
}

function cellValues(rows, column) {
    return [...rows].map((row) => {
        const value = row.cells[column].dataset.mspValue;
        return value === undefined || value === "None" || value === "" ? null : Number(value);
    });
}

function assertEqual(actual, expected, what) {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(`${what}: ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`);
    }
}

registry.category("web_tour.tours").add("msp_portal_charts_tour", {
    steps: () => [
        {
            content: "The period chart is drawn",
            trigger: ".o_msp_objective_charts .o_msp_chart_frame:not(.d-none) canvas[data-msp-draw='periods']",
            run() {
                const card = document.querySelector(".o_msp_objective");
                const chart = chartOf(".o_msp_objective canvas[data-msp-draw='periods']");
                const rows = card.querySelectorAll(".o_msp_period_table tbody tr");
                assertEqual(
                    chart.data.labels,
                    [...rows].map((row) => row.cells[0].firstElementChild.textContent.trim()),
                    "Period labels"
                );
                const [target, actual] = chart.data.datasets;
                assertEqual(
                    target.mspTexts,
                    [...rows].map((row) => row.cells[1].textContent.trim()),
                    "Targets"
                );
                assertEqual(
                    actual.mspTexts,
                    [...rows].map((row) => row.cells[2].textContent.trim()),
                    "Actuals"
                );
                if (chart.options.scales.y.stacked) {
                    throw new Error("Target and actual are stacked");
                }
            },
        },
        {
            content: "The burn-up shows the cumulative figures of its table, today marked",
            trigger: ".o_msp_objective .o_msp_chart_frame:not(.d-none) canvas[data-msp-draw='burnup']",
            run() {
                const card = document.querySelector(".o_msp_objective");
                const chart = chartOf(".o_msp_objective canvas[data-msp-draw='burnup']");
                const rows = card.querySelectorAll(".o_msp_burnup_table tbody tr:not(.o_msp_burnup_today)");
                const [target, actual] = chart.data.datasets;
                assertEqual(
                    target.data.slice(1).map((point) => point.y),
                    cellValues(rows, 1),
                    "Cumulative targets"
                );
                const over = cellValues(rows, 2).filter((value) => value !== null);
                const today = card.querySelector(".o_msp_burnup_today");
                assertEqual(
                    actual.data.slice(1).map((point) => point.y),
                    [...over, ...cellValues([today], 2)],
                    "Cumulative actuals"
                );
                if (chart.options.plugins.mspToday.x === undefined) {
                    throw new Error("Today is not marked");
                }
            },
        },
        {
            content: "The plan's progress against the expected pace",
            trigger: ".o_msp_chart_frame:not(.d-none) canvas[data-msp-draw='plan_progress']",
            run() {
                const chart = chartOf("canvas[data-msp-draw='plan_progress']");
                const rows = document.querySelectorAll(".o_msp_plan_progress_table tbody tr");
                const progress = chart.data.datasets[1];
                assertEqual(
                    progress.data.map((point) => point.y),
                    cellValues(rows, 1),
                    "Progress"
                );
                assertEqual(
                    progress.data.map((point) => point.expected),
                    cellValues(rows, 2),
                    "Expected"
                );
            },
        },
        {
            content: "The scorecard: one line per topic, out of 100, not stacked",
            trigger: ".o_msp_chart_frame:not(.d-none) canvas[data-msp-draw='scorecard']",
            run() {
                const chart = chartOf("canvas[data-msp-draw='scorecard']");
                const rows = document.querySelectorAll(".o_msp_scorecard_table tbody tr");
                assertEqual(
                    chart.data.datasets.map((dataset) => dataset.label),
                    [...rows].map((row) => row.cells[0].textContent.trim()),
                    "Topics"
                );
                chart.data.datasets.forEach((dataset, index) => {
                    assertEqual(
                        dataset.data,
                        [...rows[index].cells].slice(1).map((cell) => {
                            const text = cell.textContent.trim();
                            return text === "—" ? null : Number(text);
                        }),
                        `Scores of ${dataset.label}`
                    );
                });
                const y = chart.options.scales.y;
                if (y.stacked || y.max !== 100 || y.min !== 0) {
                    throw new Error("Scores must read 0-100, not stacked");
                }
            },
        },
        {
            // The tour ends once the page has loaded, not while its chatter still
            // fetches its assets (the browser would be closed under that request).
            content: "The page's chatter is loaded",
            trigger: "#chatterRoot:shadow .o-mail-Thread",
        },
    ],
});
