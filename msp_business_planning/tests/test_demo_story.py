"""The demo tells a true story whatever the day it is installed."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo.tests import BaseCase, new_test_user, tagged

from ..tools import demo_builder, demo_story, planning
from .common import MspPlanningCase

QUARTERLY = "quarterly"


def _story_figures(today):
    """What CloudNine's objectives would count on ``today`` from the story alone:
    ``{objective key: actual}``."""
    story = demo_story.story(today)
    deals = story["cloudnine_deals"]
    updates = story["cloudnine_updates"]
    return {
        "registrations": sum(d.state in ("submitted", "approved", "won") for d in deals),
        "qualified": sum(d.state in ("approved", "won") for d in deals),
        "won": sum(d.revenue for d in deals if d.state == "won"),
        "certified": sum(u.value for u in updates if u.objective == "certified"),
        "webinars": sum(u.value for u in updates if u.objective == "webinars"),
    }


class TestDemoStoryDates(BaseCase):
    """The pure story, day by day over a whole year (a leap one too)."""

    def test_every_day_of_the_year_is_on_pace(self):
        thresholds = planning.DEFAULT_THRESHOLDS
        for year in (2026, 2028):
            start, end = demo_story.year_span(year)
            day = start
            while day <= end:
                figures = _story_figures(day)
                items = []
                for (
                    key,
                    _name,
                    _kind,
                    _measure,
                    weight,
                    periodicity,
                    target,
                ) in demo_story.CLOUDNINE_OBJECTIVES:
                    periods = [
                        (p["date_start"], p["date_end"], target * p["weight"] / 4)
                        if periodicity == QUARTERLY
                        else (p["date_start"], p["date_end"], target)
                        for p in planning.split_periods(start, end, periodicity)
                    ]
                    progress = planning.progress_percent(figures[key], target)
                    expected = planning.expected_progress(periods, day)
                    status = planning.pacing_status(progress, expected, thresholds)
                    self.assertNotEqual(status, "off_track", f"{key} on {day}")
                    items.append((progress, expected, weight))
                plan_progress = planning.weighted_progress([(p, w) for p, _e, w in items])
                plan_expected = planning.weighted_progress([(e, w) for _p, e, w in items])
                self.assertEqual(
                    planning.pacing_status(plan_progress, plan_expected, thresholds),
                    "on_track",
                    f"the plan on {day}",
                )
                day += timedelta(days=1)

    def test_nothing_dated_after_today_that_already_happened(self):
        for today in (date(2026, 1, 1), date(2026, 5, 20), date(2026, 12, 1), date(2026, 12, 31)):
            story = demo_story.story(today)
            for deal in story["cloudnine_deals"] + story["bytewise_deals"]:
                with self.subTest(today=today, deal=deal.key):
                    self.assertGreaterEqual(deal.registered, date(today.year, 1, 1))
                    for day in (deal.registered, deal.qualified, deal.closed):
                        self.assertLessEqual(day or today, today)
                    if deal.state == "approved":
                        # Still protected: the expiry cron leaves it alone.
                        self.assertGreaterEqual(deal.expiry, today)
                    if deal.state == "expired":
                        self.assertLess(deal.expiry, today)
            for update in story["cloudnine_updates"]:
                self.assertLessEqual(update.date, today)
            for review in story["reviews"]:
                self.assertEqual(review.held, review.date < today)

    def test_reviews_held_are_those_of_the_quarters_behind(self):
        held = [r.key for r in demo_story.story(date(2026, 12, 1))["reviews"] if r.held]
        self.assertEqual(held, ["q1", "q2", "q3"])
        held = [r.key for r in demo_story.story(date(2026, 3, 18))["reviews"] if r.held]
        self.assertEqual(held, ["q1"])


@tagged("post_install", "-at_install")
class TestDemoStoryInstalled(MspPlanningCase):
    """The story built as the demo data builds it, for partners of its own, on a
    frozen day: what a channel manager and a partner would see."""

    def _cast(self):
        Partner = self.env["res.partner"]
        cast = {}
        for role in ("cloudnine", "bytewise", "northwind"):
            company = Partner.create({"name": f"Demo {role}", "is_company": True})
            cast[role] = company
            user = new_test_user(
                self.env, login=f"demo_{role}", groups="base.group_portal", name=f"{role} contact"
            )
            user.partner_id.parent_id = company
            cast[f"{role}_contact"] = user.partner_id
        cast["harbor_dental"] = Partner.create({"name": "Demo Harbor", "is_company": True})
        cast["summit_law"] = Partner.create({"name": "Demo Summit", "is_company": True})
        cast["channel_manager"] = self.user_own
        cast["admin"] = self.env.ref("base.user_admin")
        return cast

    def _check_story(self, today):
        cast = self._cast()
        built = demo_builder.build_story(self.env, today, cast)
        plan = built["plan_cloudnine_current"]
        self.assertEqual((plan.date_start.year, plan.state), (today.year, "in_progress"))
        self.assertEqual(plan.user_id, cast["channel_manager"])
        self.assertEqual(plan.pacing_status, "on_track")
        self.assertNotIn("off_track", plan.objective_ids.mapped("pacing_status"))
        self.assertEqual(sum(plan.objective_ids.mapped("weight")), 100)
        # Figures as the story counts them, from the CRM records it created.
        figures = _story_figures(today)
        for key, actual in figures.items():
            self.assertEqual(built[f"objective_cloudnine_{key}"].actual_value, actual, key)
        # Reviews: the quarters behind held and on record, none overdue, none ahead done.
        for review in plan.review_ids:
            self.assertFalse(review.is_overdue, review.display_name)
            self.assertEqual(review.state == "done", review.date < today, review.display_name)
        self.assertEqual(len(plan.review_ids), 4)
        # The partner's contact follows its plans and authored its progress reports.
        contact = cast["cloudnine_contact"]
        self.assertIn(contact, plan.message_partner_ids)
        self.assertIn(cast["bytewise_contact"], built["plan_bytewise_current"].message_partner_ids)
        updates = plan.objective_ids.update_ids
        self.assertTrue(updates)
        self.assertEqual(updates.author_id, contact)
        previous = built["plan_cloudnine_previous"]
        self.assertEqual((previous.state, previous.date_end.year), ("completed", today.year - 1))
        # Registrations that count are opportunities, in the pipeline.
        leads = self.env["crm.lead"].search([("registered_partner_id", "=", cast["cloudnine"].id)])
        approved = leads.filtered(lambda lead: lead.registration_state == "approved")
        self.assertEqual(set(approved.mapped("type")), {"opportunity"})
        self.assertTrue(leads.filtered(lambda lead: lead.registration_state == "submitted"))
        # No follow-up left overdue from the reviews held.
        overdue = plan.review_ids.activity_ids.filtered(lambda a: a.date_deadline < today)
        self.assertFalse(overdue)
        return built

    @freeze_time("2026-12-01")
    def test_installed_in_december_the_year_is_on_pace(self):
        built = self._check_story(date(2026, 12, 1))
        plan = built["plan_cloudnine_current"]
        self.assertEqual(len(plan.review_ids.filtered(lambda r: r.state == "done")), 3)
        first = built["review_cloudnine_q1"]
        self.assertEqual(first.feedback_rating, 4)
        self.assertEqual(
            first.feedback_partner_id, built["plan_cloudnine_current"].partner_id.child_ids
        )

    @freeze_time("2026-05-20")
    def test_installed_in_may_the_year_is_on_pace(self):
        built = self._check_story(date(2026, 5, 20))
        plan = built["plan_cloudnine_current"]
        self.assertEqual(
            plan.review_ids.filtered(lambda r: r.state == "done"), built["review_cloudnine_q1"]
        )

    @freeze_time("2026-02-10")
    def test_installed_before_the_first_review(self):
        built = self._check_story(date(2026, 2, 10))
        first = built["review_cloudnine_q1"]
        self.assertEqual(first.state, "scheduled")
        self.assertEqual(set(first.item_ids.mapped("decision")), {"open"})

    def test_installed_demo_is_the_story_of_its_day(self):
        plan = self.env.ref("msp_business_planning.plan_cloudnine_current")
        self.assertEqual(plan.user_id, self.env.ref("msp_business_planning.user_channel_manager"))
        self.assertIn(plan.state, ("in_progress",))
        self.assertFalse(plan.review_ids.filtered("is_overdue"))
