/** @odoo-module **/

import { loadBundle } from "@web/core/assets";

/**
 * The charts of the partner's plan page. Their figures are in the page itself
 * (`data-msp-chart`, written by the server beside the tables that are their text
 * alternative); Chart.js, which Odoo bundles, is loaded only when a page has charts.
 * Without JavaScript, or if the library cannot load, the tables are all there is.
 *
 * Plain DOM code rather than a public widget (deprecated in Odoo 19.0) or an
 * interaction (19.0 only): the same file runs on 18.0 and 19.0.
 */

const COLORS = {
    target: "#A0AEC0",
    actual: "#017E84",
    expected: "#8595A2",
    today: "#D44C59",
};
// One colour per topic line of the scorecard.
const SERIES_COLORS = ["#017E84", "#E9A23B", "#6F42C1", "#D44C59", "#2E86C1", "#5B8C5A"];

/** A dashed vertical line at `options.x` (days from the plan's start), labelled. */
const todayMarker = {
    id: "mspToday",
    afterDatasetsDraw(chart, _args, options) {
        if (options.x === null || options.x === undefined) {
            return;
        }
        const { ctx, chartArea, scales } = chart;
        const x = scales.x.getPixelForValue(options.x);
        ctx.save();
        ctx.strokeStyle = COLORS.today;
        ctx.fillStyle = COLORS.today;
        ctx.setLineDash([4, 4]);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.font = "11px sans-serif";
        ctx.textAlign = x > chartArea.right - 60 ? "right" : "left";
        ctx.fillText(options.label, x + (ctx.textAlign === "right" ? -4 : 4), chartArea.top + 10);
        ctx.restore();
    },
};

/** A linear axis of days from the plan's start, labelled at the given ticks. */
function dayAxis(data) {
    const labels = Object.fromEntries(data.ticks.map((tick) => [tick.x, tick.label]));
    return {
        type: "linear",
        min: 0,
        max: data.max_x,
        afterBuildTicks(axis) {
            axis.ticks = data.ticks.map((tick) => ({ value: tick.x }));
        },
        ticks: { callback: (value) => labels[value] ?? "", maxRotation: 0 },
        grid: { display: false },
    };
}

function percentAxis(max) {
    return {
        min: 0,
        suggestedMax: max,
        ticks: { callback: (value) => `${value}%` },
    };
}

function baseOptions() {
    return {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    };
}

const BUILDERS = {
    periods(data) {
        const chart = data.periods;
        return {
            type: "bar",
            data: {
                labels: chart.labels,
                datasets: [
                    {
                        label: data.texts.target,
                        data: chart.target,
                        mspTexts: chart.target_texts,
                        backgroundColor: COLORS.target,
                    },
                    {
                        label: data.texts.actual,
                        data: chart.actual,
                        mspTexts: chart.actual_texts,
                        backgroundColor: COLORS.actual,
                    },
                ],
            },
            options: {
                ...baseOptions(),
                scales: { y: { beginAtZero: true, stacked: false }, x: { stacked: false } },
                plugins: {
                    ...baseOptions().plugins,
                    tooltip: {
                        callbacks: {
                            label: (ctx) =>
                                `${ctx.dataset.label}: ${ctx.dataset.mspTexts[ctx.dataIndex]}`,
                        },
                    },
                },
            },
        };
    },
    burnup(data) {
        const chart = data.burnup;
        return {
            type: "line",
            data: {
                datasets: [
                    {
                        label: data.texts.cumulative_target,
                        data: chart.target,
                        borderColor: COLORS.target,
                        backgroundColor: COLORS.target,
                        borderDash: [6, 4],
                    },
                    {
                        label: data.texts.cumulative_actual,
                        data: chart.actual,
                        borderColor: COLORS.actual,
                        backgroundColor: COLORS.actual,
                    },
                ],
            },
            options: {
                ...baseOptions(),
                scales: { x: dayAxis(chart), y: { beginAtZero: true } },
                plugins: {
                    ...baseOptions().plugins,
                    mspToday: { x: chart.today?.x, label: data.texts.today },
                    tooltip: {
                        callbacks: {
                            title: () => "",
                            label: (ctx) => `${ctx.dataset.label}: ${ctx.raw.text}`,
                        },
                    },
                },
            },
            plugins: [todayMarker],
        };
    },
    plan_progress(data) {
        return {
            type: "line",
            data: {
                datasets: [
                    {
                        label: data.texts.expected,
                        data: data.expected,
                        borderColor: COLORS.expected,
                        backgroundColor: COLORS.expected,
                        borderDash: [6, 4],
                        pointRadius: 0,
                    },
                    {
                        label: data.texts.progress,
                        data: data.progress,
                        borderColor: COLORS.actual,
                        backgroundColor: COLORS.actual,
                        pointRadius: 4,
                    },
                ],
            },
            options: {
                ...baseOptions(),
                scales: { x: dayAxis(data), y: percentAxis(100) },
                plugins: {
                    ...baseOptions().plugins,
                    mspToday: { x: data.today?.x, label: data.texts.today },
                    tooltip: {
                        callbacks: {
                            title: (items) => items[0]?.raw.label ?? "",
                            label: (ctx) => `${ctx.dataset.label}: ${ctx.parsed.y}%`,
                        },
                    },
                },
            },
            plugins: [todayMarker],
        };
    },
    scorecard(data) {
        return {
            type: "line",
            data: {
                labels: data.labels,
                datasets: data.series.map((series, index) => ({
                    label: series.topic,
                    data: series.scores,
                    borderColor: SERIES_COLORS[index % SERIES_COLORS.length],
                    backgroundColor: SERIES_COLORS[index % SERIES_COLORS.length],
                    spanGaps: true,
                    pointRadius: 4,
                })),
            },
            options: {
                ...baseOptions(),
                // Scores are each a figure of their own: never stacked nor added up.
                scales: { y: { min: 0, max: 100, stacked: false } },
            },
        };
    },
};

export function drawCharts(container, Chart) {
    const data = JSON.parse(container.dataset.mspChart);
    for (const canvas of container.querySelectorAll("canvas[data-msp-draw]")) {
        const build = BUILDERS[canvas.dataset.mspDraw];
        if (!build || Chart.getChart(canvas)) {
            continue;
        }
        canvas.closest(".o_msp_chart_frame").classList.remove("d-none");
        new Chart(canvas, build(data));
    }
}

async function setUpAll() {
    const containers = document.querySelectorAll(".o_msp_charts[data-msp-chart]");
    if (!containers.length) {
        return;
    }
    await loadBundle("web.chartjs_lib");
    containers.forEach((container) => drawCharts(container, window.Chart));
}

if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
} else {
    setUpAll();
}
