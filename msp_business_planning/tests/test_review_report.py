from datetime import date
from types import SimpleNamespace

from lxml import html as lxml_html

from .common import MspPlanningCase


def _text(html_bytes):
    """The visible text of a rendered page, whitespace collapsed."""
    return " ".join(lxml_html.fromstring(html_bytes).text_content().split())


class ReviewDocumentCase(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.infra, cls.cloud, cls.security, cls.strategy = cls._review_topics()
        cls.plan = cls._create_plan(
            name="Alpha 2026 plan",
            state="in_progress",
            client_annual_revenue=1_000_000,
            it_maturity="high",
        )
        cls.objective = cls._create_objective(cls.plan, name="New customers", target_value=100)
        cls._add_update(cls.objective, 20, date(2026, 2, 1))
        # No agenda drafted from today's pacing: the document's content stays fixed.
        cls.review = cls._create_review(
            cls.plan,
            draft_agenda=False,
            date=date(2026, 3, 17),
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            topic_id=cls.infra.id,
            summary="<p>Registrations are flowing.</p>",
            internal_note="<p>Competitor offered them a bigger MDF</p>",
            attendee_partner_ids=[(6, 0, cls.partner_a_contact.ids)],
        )
        Item = cls.env["msp.business.review.item"]
        cls.accepted = Item.create(
            {
                "review_id": cls.review.id,
                "name": "Certify a second engineer",
                "decision": "accepted",
                "user_id": cls.user_own.id,
                "due_date": date(2026, 4, 30),
            }
        )
        cls.declined = Item.create(
            {
                "review_id": cls.review.id,
                "name": "Managed SOC add-on",
                "decision": "declined",
                "note": "No budget before H2",
            }
        )
        cls.env["msp.business.review.score"].create(
            [
                {
                    "review_id": cls.review.id,
                    "topic_id": cls.infra.id,
                    "score": 62,
                    "target_score": 75,
                },
                {
                    "review_id": cls.review.id,
                    "topic_id": cls.security.id,
                    "score": 48,
                    "target_score": 70,
                },
            ]
        )
        cls._create_initiative(
            cls.plan,
            name="Firewall refresh",
            budget=18000,
            review_item_id=cls.accepted.id,
            date=date(2026, 8, 10),
        )
        cls._create_initiative(cls.plan, name="SOC pilot", budget=24000, date=date(2026, 10, 1))
        cls.next_review = cls._create_review(
            cls.plan, date=date(2026, 6, 16), topic_id=cls.cloud.id
        )
        cls.review.action_done()


class TestReviewReport(ReviewDocumentCase):
    def _render(self, reviews):
        html, report_type = self.env["ir.actions.report"]._render_qweb_html(
            "msp_business_planning.action_report_business_review", reviews.ids
        )
        self.assertEqual(report_type, "html")
        return html

    def test_report_action_is_bound_to_reviews(self):
        report = self.env.ref("msp_business_planning.action_report_business_review")
        self.assertEqual(report.model, "msp.business.review")
        self.assertEqual(report.report_type, "qweb-pdf")
        self.assertEqual(report.binding_model_id.model, "msp.business.review")

    def test_done_review_document(self):
        text = _text(self._render(self.review))
        for expected in (
            "Alpha Managed Services",  # partner
            "Alpha 2026 plan",
            "03/17/2026",
            "01/01/2026 – 03/31/2026",  # period reviewed
            "Ann Alpha",  # partner attendee
            "Registrations are flowing.",
            # Plan progress and the frozen snapshot: 20 done of 25 due by 31 March.
            "Attainment of the targets due by 03/31/2026 80%",
            "New customers 100 25 20 80% At Risk",
            # Scorecard with targets and the excellence score.
            "IT Infrastructure 62 75 -13",
            "Cybersecurity 48 70 -22",
            "Excellence score 55 73 -18",
            # Decisions, declined ones with their reason.
            "Managed SOC add-on Declined No budget before H2",
            "Certify a second engineer",
            # Initiatives and budget, the IT budget guide.
            "Firewall refresh",
            "Approved",
            "18,000.00",
            "SOC pilot",
            "Proposed",
            "90,000.00",
            # Next steps.
            "Certify a second engineer — Olivia Own , by 04/30/2026",
            "Next review: 06/16/2026 — focus: Cloud Services",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)

    def test_document_never_shows_the_internal_note(self):
        self.assertNotIn(b"bigger MDF", self._render(self.review))

    def test_later_changes_leave_the_document_of_a_done_review(self):
        self._add_update(self.objective, 60, date(2026, 3, 25))
        text = _text(self._render(self.review))
        self.assertIn("New customers 100 25 20 80% At Risk", text)

    def test_scheduled_review_shows_todays_figures(self):
        text = _text(self._render(self.next_review))
        self.assertIn("the review is not held yet", text)
        self.assertIn("New customers", text)
        self.assertNotIn("Attainment of the targets", text)


class TestPortalReviewsSnippet(ReviewDocumentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cancelled = cls._create_review(cls.plan, date=date(2026, 11, 5), name="Dropped review")
        cls.cancelled.action_cancel()

    def _render(self, plan, user=None, can_act=True):
        # Outside an HTTP request: a stand-in for the CSRF token, kept in the
        # rendering values thanks to the minimal context.
        fake_request = SimpleNamespace(csrf_token=lambda: "TOKEN-123")
        return (
            self.env["ir.qweb"]
            .with_user(user or self.portal_a)
            .with_context(minimal_qcontext=True)
            ._render(
                "msp_business_planning.portal_business_plan_reviews",
                {"plan": plan, "request": fake_request, "can_act": can_act},
            )
        )

    def test_partner_sees_done_and_scheduled_reviews(self):
        plan = self.plan.with_user(self.portal_a)
        html = str(self._render(plan))
        text = _text(html)
        self.assertIn("Quarterly Business Review Q1 2026 — IT Infrastructure", text)
        self.assertIn("Quarterly Business Review Q2 2026 — Cloud Services", text)
        self.assertIn("Registrations are flowing.", text)
        self.assertIn("Excellence score 55 73", text)
        self.assertIn("Managed SOC add-on Declined No budget before H2", text)
        self.assertNotIn("Dropped review", text)
        # The feedback form of the done review posts to its route with the CSRF token.
        action = f"/my/business-plans/{self.plan.id}/reviews/{self.review.id}/feedback"
        self.assertIn(f'action="{action}"', html)
        self.assertIn('value="TOKEN-123"', html)
        self.assertNotIn(f"/reviews/{self.next_review.id}/feedback", html)

    def test_no_feedback_form_for_readers_who_cannot_act(self):
        # e.g. the holder of a shared link: it reads the reviews, it does not answer.
        self.review.with_user(self.portal_a).action_submit_feedback(5, "")
        html = str(self._render(self.plan.with_user(self.portal_a), can_act=False))
        self.assertNotIn("/feedback", html)
        self.assertIn("Excellence score 55 73", _text(html))
        self.assertIn("Last feedback: 5/5", _text(html))

    def test_internal_note_never_rendered_even_from_sudo(self):
        # The portal controller may hand the template a sudo()ed plan.
        for plan in (self.plan.with_user(self.portal_a), self.plan.sudo()):
            with self.subTest(sudo=plan.env.su):
                html = str(self._render(plan))
                self.assertNotIn("bigger MDF", html)
                self.assertNotIn("Dropped review", html)

    def test_previous_feedback_is_shown(self):
        self.review.with_user(self.portal_a).action_submit_feedback(4, "Useful <audit>")
        html = str(self._render(self.plan.with_user(self.portal_a)))
        self.assertIn("Last feedback: 4/5", _text(html))
        self.assertIn("Useful &lt;audit&gt;", html)
        self.assertIn('value="4" selected', html)
