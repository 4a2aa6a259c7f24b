/** @odoo-module **/

import { registry } from "@web/core/registry";
import { unloads } from "./tour_compat";

/**
 * A partner's contact opens its deal registrations from /my, registers a new deal
 * and sees it submitted, on its page and in the list.
 */
registry.category("web_tour.tours").add("msp_deal_registration_portal_tour", {
    url: "/my",
    steps: () => [
        unloads({
            content: "Open the deal registrations from the portal home",
            trigger: ".o_portal_index_card a[href='/my/deal-registrations']",
            run: "click",
        }),
        {
            content: "The earlier registration is listed",
            trigger: ".o_msp_portal_registration_row:contains('Earlier Alpha Deal')",
        },
        unloads({
            content: "Register a new deal",
            trigger: "a.o_msp_deal_new",
            run: "click",
        }),
        {
            content: "Name the deal",
            trigger: ".o_msp_deal_form input[name='name']",
            run: "edit Tour: managed backup for Globex",
        },
        {
            trigger: ".o_msp_deal_form input[name='partner_name']",
            run: "edit Globex",
        },
        {
            trigger: ".o_msp_deal_form input[name='contact_name']",
            run: "edit Hank Scorpio",
        },
        {
            trigger: ".o_msp_deal_form input[name='email_from']",
            run: "edit hank@globex.test",
        },
        {
            trigger: ".o_msp_deal_form input[name='expected_revenue']",
            run: "edit 24000",
        },
        {
            content: "Expected closing: June 30 next year",
            trigger: ".o_msp_deal_form input[name='date_deadline']",
            run() {
                // What the browser's date picker leaves in the input.
                this.anchor.value = `${new Date().getFullYear() + 1}-06-30`;
            },
        },
        {
            trigger: ".o_msp_deal_form textarea[name='description']",
            run: "edit Backup for 3 sites, decision next quarter.",
        },
        unloads({
            content: "Send the registration",
            trigger: ".o_msp_deal_submit",
            run: "click",
        }),
        {
            content: "The deal is registered and waiting for approval",
            trigger: ".o_msp_message:contains('registered')",
        },
        {
            trigger: ".o_msp_registration_name:contains('Tour: managed backup for Globex')",
        },
        {
            trigger: "#registration_header .o_msp_registration_state:contains('Submitted')",
        },
        {
            trigger: ".o_msp_conflict_flag .o_msp_conflict_no",
        },
        unloads({
            content: "Back to the list",
            trigger: "a[href='/my/deal-registrations']:contains('All deal registrations')",
            run: "click",
        }),
        {
            content: "The new registration is listed as submitted",
            trigger: ".o_msp_portal_registration_row:contains('Tour: managed backup for Globex') .o_msp_registration_state:contains('Submitted')",
        },
    ],
});
