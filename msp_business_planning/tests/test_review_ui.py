import json

from odoo.tests import HttpCase, tagged

# Steps of [selector to wait for, selector to click next (or null)]; fails on an error
# dialog or when a selector does not show up in time.
STEPS_JS = """
const steps = %s;
const deadline = Date.now() + 30000;
let index = 0;
const check = () => {
    if (document.querySelector('.o_error_dialog')) {
        console.error('An error dialog opened');
        return;
    }
    const [waitFor, click] = steps[index];
    if (document.querySelector(waitFor)) {
        if (click) {
            document.querySelector(click).click();
        }
        index += 1;
        if (index === steps.length) {
            console.log('test successful');
            return;
        }
    } else if (Date.now() > deadline) {
        console.error('Timeout waiting for ' + waitFor);
        return;
    }
    setTimeout(check, 200);
};
check();
"""


@tagged("post_install", "-at_install")
class TestReviewScreens(HttpCase):
    """The back-office screens of reviews and initiatives open without error in the
    web client, on the demo data."""

    def _open(self, path, *steps):
        self.browser_js(path, STEPS_JS % json.dumps(steps), login="admin", timeout=60)

    def test_review_form_with_its_agenda_scorecard_and_snapshot(self):
        review = self.env.ref("msp_business_planning.review_cloudnine_q1")
        self._open(
            f"/odoo/action-msp_business_planning.msp_business_review_action/{review.id}",
            [".o_field_widget[name='item_ids'] .o_data_row", ".o_notebook a[name='scores']"],
            [".o_field_widget[name='score_ids'] .o_data_row", ".o_notebook a[name='snapshot']"],
            [".o_field_widget[name='snapshot_ids'] .o_data_row", None],
        )

    def test_review_kanban_and_calendar(self):
        self._open(
            "/odoo/action-msp_business_planning.msp_business_review_action",
            [".o_kanban_view .o_kanban_record", ".o_switch_view.o_calendar"],
            [".o_calendar_view .o_calendar_renderer", None],
        )

    def test_plan_reviews_and_budget_tab_and_reporting(self):
        plan = self.env.ref("msp_business_planning.plan_cloudnine_current")
        self._open(
            f"/odoo/action-msp_business_planning.msp_business_plan_action/{plan.id}",
            [".o_notebook a[name='reviews_budget']", ".o_notebook a[name='reviews_budget']"],
            [".o_field_widget[name='initiative_ids'] .o_data_row", None],
        )
        self._open(
            "/odoo/action-msp_business_planning.msp_business_plan_initiative_action"
            "?view_type=pivot",
            [".o_pivot_view .o_pivot", None],
        )
        self._open(
            "/odoo/action-msp_business_planning.msp_business_review_score_action",
            [".o_graph_view canvas", None],
        )
