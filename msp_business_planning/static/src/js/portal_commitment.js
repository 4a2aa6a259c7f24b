/** @odoo-module **/

import publicWidget from "@web/legacy/js/public/public_widget";

/**
 * The partner commitment editor: a small rich-text area replacing the plain
 * textarea (which stays the form field, and the editor when JavaScript is off).
 * The server sanitizes whatever it receives.
 */
publicWidget.registry.MspCommitmentEditor = publicWidget.Widget.extend({
    selector: ".o_msp_commitment_form",
    events: {
        "click [data-command]": "_onCommand",
        submit: "_onSubmit",
    },

    start() {
        this.source = this.el.querySelector(".o_msp_commitment_source");
        this.editor = this.el.querySelector(".o_msp_commitment_editor");
        this.source.classList.add("d-none");
        this.el.querySelector(".o_msp_commitment_editor_wrap").classList.remove("d-none");
        return this._super(...arguments);
    },

    _onCommand(ev) {
        ev.preventDefault();
        this.editor.focus();
        // execCommand is deprecated but still the simplest portable way to format a
        // contenteditable area without shipping the full web editor to the portal.
        document.execCommand(ev.currentTarget.dataset.command);
    },

    _onSubmit() {
        this.source.value = this.editor.innerHTML;
    },
});

export default publicWidget.registry.MspCommitmentEditor;
