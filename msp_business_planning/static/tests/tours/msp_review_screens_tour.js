/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * The back-office screens of reviews and initiatives open without error in the web
 * client, on the demo data (test_review_ui.py starts each tour on its screen).
 */
const tours = registry.category("web_tour.tours");

tours.add("msp_review_form_tour", {
    steps: () => [
        {
            content: "The review's agenda lists its items",
            trigger: ".o_field_widget[name='item_ids'] .o_data_row",
        },
        {
            content: "Open the scorecard",
            trigger: ".o_notebook a[name='scores']",
            run: "click",
        },
        {
            content: "The scorecard lists the topic scores",
            trigger: ".o_field_widget[name='score_ids'] .o_data_row",
        },
        {
            content: "Open the objectives snapshot",
            trigger: ".o_notebook a[name='snapshot']",
            run: "click",
        },
        {
            content: "The snapshot lists the objectives as of the review",
            trigger: ".o_field_widget[name='snapshot_ids'] .o_data_row",
        },
    ],
});

tours.add("msp_review_kanban_calendar_tour", {
    steps: () => [
        {
            content: "The reviews as cards",
            trigger: ".o_kanban_view .o_kanban_record",
        },
        {
            content: "Switch to the calendar",
            trigger: ".o_switch_view.o_calendar",
            run: "click",
        },
        {
            content: "The reviews in the calendar",
            trigger: ".o_calendar_view .o_calendar_renderer",
        },
    ],
});

tours.add("msp_plan_reviews_budget_tour", {
    steps: () => [
        {
            content: "Open the plan's Reviews & Budget tab",
            trigger: ".o_notebook a[name='reviews_budget']",
            run: "click",
        },
        {
            content: "The plan's initiatives are listed",
            trigger: ".o_field_widget[name='initiative_ids'] .o_data_row",
        },
    ],
});

tours.add("msp_initiative_pivot_tour", {
    steps: () => [
        {
            content: "The initiatives' budget analysis",
            trigger: ".o_pivot_view .o_pivot",
        },
    ],
});

tours.add("msp_review_score_graph_tour", {
    steps: () => [
        {
            content: "The review scores' chart",
            trigger: ".o_graph_view canvas",
        },
    ],
});
