/** @odoo-module **/

/**
 * The partner commitment editor: a small rich-text area replacing the plain
 * textarea (which stays the form field, and the editor when JavaScript is off).
 * The server sanitizes whatever it receives.
 *
 * Plain DOM code rather than a public widget (deprecated in Odoo 19.0) or an
 * interaction (19.0 only): the same file runs on 18.0 and 19.0.
 */
export function setUpCommitmentEditor(form) {
    const source = form.querySelector(".o_msp_commitment_source");
    const editor = form.querySelector(".o_msp_commitment_editor");
    if (!source || !editor || form.dataset.mspEditor) {
        return;
    }
    form.dataset.mspEditor = "1";
    source.classList.add("d-none");
    form.querySelector(".o_msp_commitment_editor_wrap").classList.remove("d-none");
    for (const button of form.querySelectorAll("[data-command]")) {
        button.addEventListener("click", (ev) => {
            ev.preventDefault();
            editor.focus();
            // execCommand is deprecated but still the simplest portable way to format a
            // contenteditable area without shipping the full web editor to the portal.
            document.execCommand(button.dataset.command);
        });
    }
    form.addEventListener("submit", () => {
        source.value = editor.innerHTML;
    });
}

function setUpAll() {
    document.querySelectorAll(".o_msp_commitment_form").forEach(setUpCommitmentEditor);
}

if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
} else {
    setUpAll();
}
