from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestReviewScreens(HttpCase):
    """The back-office screens of reviews and initiatives open without error in the
    web client, on the demo data: registered tours (static/tests/tours/
    msp_review_screens_tour.js), which fail on an error dialog, a JavaScript error or
    a step whose element does not show up."""

    # A tour's first page builds the test assets inside the test's transaction: on a
    # busy machine that request holds the test cursor longer than the 20 s the other
    # requests of the page wait for it by default (Odoo 19.0's knob; 18.0 waits).
    test_cursor_lock_timeout = 90

    def _tour(self, path, tour):
        self.start_tour(path, tour, login="admin", timeout=120)

    def test_review_form_with_its_agenda_scorecard_and_snapshot(self):
        review = self.env.ref("msp_business_planning.review_cloudnine_q1")
        self._tour(
            f"/odoo/action-msp_business_planning.msp_business_review_action/{review.id}",
            "msp_review_form_tour",
        )

    def test_review_kanban_and_calendar(self):
        self._tour(
            "/odoo/action-msp_business_planning.msp_business_review_action",
            "msp_review_kanban_calendar_tour",
        )

    def test_plan_reviews_and_budget_tab_and_reporting(self):
        plan = self.env.ref("msp_business_planning.plan_cloudnine_current")
        self._tour(
            f"/odoo/action-msp_business_planning.msp_business_plan_action/{plan.id}",
            "msp_plan_reviews_budget_tour",
        )
        self._tour(
            "/odoo/action-msp_business_planning.msp_business_plan_initiative_action"
            "?view_type=pivot",
            "msp_initiative_pivot_tour",
        )
        self._tour(
            "/odoo/action-msp_business_planning.msp_business_review_score_action",
            "msp_review_score_graph_tour",
        )
