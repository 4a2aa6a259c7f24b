/** @odoo-module **/

import { session } from "@web/session";

/**
 * Tour steps that read the same on Odoo 18.0 and 19.0 (the JavaScript side of
 * tools/compat.py).
 *
 * 19.0 stops a tour whose step unloads the page (a link followed, a form posted)
 * unless the step says so with `expectUnloadPage: true`; 18.0's step schema has no
 * such key (and logs an error for it). Wrap each such step in `unloads(...)`.
 */
const EXPECTS_UNLOAD_KEY = (session.server_version_info?.[0] ?? 0) >= 19;

export function unloads(step) {
    return EXPECTS_UNLOAD_KEY ? { ...step, expectUnloadPage: true } : step;
}
