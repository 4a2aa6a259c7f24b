/** @odoo-module **/

import { registry } from "@web/core/registry";
import { unloads } from "./tour_compat";

/**
 * A partner's contact opens its draft business plan from /my, accepts it, reports
 * progress on a manual objective and updates the company's commitment.
 */
registry.category("web_tour.tours").add("msp_business_plan_portal_tour", {
    url: "/my",
    steps: () => [
        unloads({
            content: "Open the business plans from the portal home",
            trigger: ".o_portal_index_card a[href='/my/business-plans']",
            run: "click",
        }),
        unloads({
            content: "Open the plan waiting for acceptance",
            trigger: ".o_msp_portal_plan_row a:contains('Tour Plan')",
            run: "click",
        }),
        {
            content: "The plan is a draft",
            trigger: "#plan_header .o_msp_plan_state:contains('Draft')",
        },
        {
            content: "Accept the plan",
            trigger: ".o_msp_accept_button",
            run: "click",
        },
        unloads({
            content: "Confirm the acceptance",
            trigger: "#msp_modal_accept .o_msp_accept_confirm",
            run: "click",
        }),
        {
            content: "The plan is accepted and in progress",
            trigger: ".o_msp_message:contains('accepted')",
        },
        {
            trigger: "#plan_header .o_msp_plan_state:contains('In Progress')",
        },
        {
            content: "Report progress on the manual objective",
            trigger: ".o_msp_objective:contains('Managed clients') .o_msp_progress_form input[name='value']",
            run: "edit 7",
        },
        {
            trigger: ".o_msp_objective:contains('Managed clients') .o_msp_progress_form input[name='note']",
            run: "edit Seven new managed clients",
        },
        unloads({
            trigger: ".o_msp_objective:contains('Managed clients') .o_msp_progress_submit",
            run: "click",
        }),
        {
            content: "The report is recorded and counted",
            trigger: ".o_msp_message:contains('recorded')",
        },
        {
            trigger: ".o_msp_objective:contains('Managed clients') .o_msp_objective_actual:contains('7')",
        },
        {
            trigger: ".o_msp_objective:contains('Managed clients') .o_msp_updates:contains('Seven new managed clients')",
        },
        {
            content: "Write the commitment in the editor",
            trigger: ".o_msp_commitment_editor",
            run() {
                // What typing in the contenteditable editor leaves in it.
                this.anchor.innerHTML = "<p>Two <b>certified</b> engineers by June</p>";
            },
        },
        unloads({
            trigger: ".o_msp_commitment_submit",
            run: "click",
        }),
        {
            content: "The commitment is saved",
            trigger: ".o_msp_message:contains('commitment is saved')",
        },
        {
            trigger: ".o_msp_commitment_editor b:contains('certified')",
        },
    ],
});
