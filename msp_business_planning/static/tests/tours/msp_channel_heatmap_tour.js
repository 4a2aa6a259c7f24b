/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A channel manager with own plans opens the channel heatmap: this year shows the empty
 * state, last year his partner's row (and not another manager's), coloured by pacing,
 * and a cell opens the partner's period targets of that quarter, the partner his plan.
 */
registry.category("web_tour.tours").add("msp_channel_heatmap_tour", {
    steps: () => [
        {
            content: "No plan of his runs this year: the empty state says so",
            trigger: ".o_msp_channel_heatmap .o_msp_heatmap_empty",
        },
        {
            content: "Pick last year",
            trigger: ".o_msp_heatmap_year",
            run() {
                const select = document.querySelector(".o_msp_heatmap_year");
                select.value = String(new Date().getFullYear() - 1);
                select.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "His partner's row, Q1 on track: 10 done of 10",
            trigger:
                ".o_msp_heatmap_row:contains('Alpha Managed Services') " +
                "td.o_msp_heat_on_track:contains('100%'):contains('expected 100%')",
        },
        {
            content: "Q2 to Q4 off track: nothing done, 100% expected",
            trigger: ".o_msp_heatmap_row:contains('Alpha Managed Services')",
            run() {
                const row = document.querySelector(".o_msp_heatmap_row");
                const cells = [...row.querySelectorAll(".o_msp_heatmap_cell")];
                const states = cells.map((cell) =>
                    [...cell.classList].find((name) => name.startsWith("o_msp_heat_"))
                );
                const expected = ["o_msp_heat_on_track", ...Array(3).fill("o_msp_heat_off_track")];
                if (JSON.stringify(states) !== JSON.stringify(expected)) {
                    throw new Error(`Unexpected colours: ${states}`);
                }
                if (document.querySelectorAll(".o_msp_heatmap_row").length !== 1) {
                    throw new Error("Another manager's partner is listed");
                }
                if (document.querySelector(".o_msp_channel_heatmap").textContent.includes("Beta")) {
                    throw new Error("Another manager's partner is named");
                }
            },
        },
        {
            content: "The legend explains the colours",
            trigger: ".o_msp_heatmap_legend .o_msp_heat_at_risk:contains('At Risk')",
        },
        {
            content: "Open the partner's second quarter",
            trigger: ".o_msp_heatmap_row td.o_msp_heatmap_cell:eq(1)",
            run: "click",
        },
        {
            content: "Its period target of Q2 is listed",
            trigger: ".o_list_view .o_data_row:contains('Q2')",
        },
        {
            content: "Only that quarter",
            trigger: ".o_list_view",
            run() {
                const rows = document.querySelectorAll(".o_list_view .o_data_row");
                if (rows.length !== 1) {
                    throw new Error(`${rows.length} period targets listed instead of 1`);
                }
            },
        },
        {
            content: "Back to the heatmap",
            trigger: ".o_breadcrumb .breadcrumb-item.o_back_button:contains('Channel Heatmap')",
            run: "click",
        },
        {
            content: "Back on last year, as left",
            trigger: ".o_msp_heatmap_row:contains('Alpha Managed Services')",
        },
        {
            content: "Open the partner's plan",
            trigger: ".o_msp_heatmap_partner a:contains('Alpha Managed Services')",
            run: "click",
        },
        {
            content: "The plan opens",
            trigger: ".o_form_view .o_breadcrumb .o_last_breadcrumb_item:contains('Alpha Tour Plan')",
        },
    ],
});
