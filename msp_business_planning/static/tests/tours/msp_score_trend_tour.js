/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * From a done review, the plan's score trend: one line per topic with a point per
 * review day, the scores as given (not stacked, no empty month drawn as 0, no "None"
 * series, the scheduled review left out).
 */
registry.category("web_tour.tours").add("msp_score_trend_tour", {
    steps: () => [
        {
            content: "Open the plan's score trend from the review",
            trigger: ".o_form_view button[name='action_view_score_trend']",
            run: "click",
        },
        {
            content: "A line chart",
            trigger: ".o_graph_view .o_graph_button[data-mode='line'].active",
        },
        {
            content: "Not stacked",
            trigger: ".o_graph_view .o_graph_button[data-tooltip='Stacked']:not(.active)",
        },
        {
            content: "One line per topic, the scores of the two done reviews",
            trigger: ".o_graph_view .o_graph_canvas_container canvas",
            run() {
                const canvas = document.querySelector(".o_graph_canvas_container canvas");
                const chart = window.Chart.getChart(canvas);
                const series = Object.fromEntries(
                    chart.data.datasets.map((dataset) => [dataset.label, dataset.data])
                );
                const expected = { "IT Infrastructure": [40, 55], "Cloud Services": [60, 70] };
                if (JSON.stringify(series) !== JSON.stringify(expected)) {
                    throw new Error(`Unexpected series: ${JSON.stringify(series)}`);
                }
                if (chart.data.labels.length !== 2) {
                    throw new Error(`Points at ${chart.data.labels}: one per review day expected`);
                }
                if (chart.options.scales.y.stacked) {
                    throw new Error("The scores are stacked");
                }
            },
        },
    ],
});
