"""Issue 17: reviews as calendar meetings, the mails people hear about (templates,
recipients, languages), the off-track activity and the digest KPIs."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..tools import compat, meetings
from .common import MspPlanningCase


class CollaborationCase(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.today = fields.Date.context_today(cls.env["msp.business.plan"])
        # A running plan around today, whatever the day the tests run.
        cls.plan = cls._create_plan(
            name="Alpha Running",
            state="in_progress",
            date_start=cls.today - timedelta(days=120),
            date_end=cls.today + timedelta(days=240),
        )
        cls.objective = cls._create_objective(
            cls.plan, name="Managed clients", periodicity="annual"
        )
        cls.plan_b = cls._create_plan(
            name="Beta Running",
            partner_id=cls.partner_b.id,
            state="in_progress",
            date_start=cls.plan.date_start,
            date_end=cls.plan.date_end,
        )
        cls.plan_own = cls.plan.with_user(cls.user_own)

    def _new_review(self, days=10, **values):
        values = {
            "date": self.today + timedelta(days=days),
            "attendee_partner_ids": [Command.set(self.partner_a_contact.ids)],
            **values,
        }
        return self._create_review(self.plan_own, draft_agenda=False, **values)

    def _messages(self, record, subject):
        return self.env["mail.message"].search(
            [
                ("model", "=", record._name),
                ("res_id", "=", record.id),
                ("subject", "ilike", subject),
            ]
        )

    def _notified(self, messages):
        """Partners a message is addressed to and notified by e-mail."""
        return messages.partner_ids | messages.notification_ids.res_partner_id

    def _invitations(self, event, template_xmlid="calendar.calendar_template_meeting_invitation"):
        """Odoo's own invitation mails of ``event`` (rendered from the calendar template)."""
        subject = self.env.ref(template_xmlid)._render_field("subject", event.attendee_ids[:1].ids)
        return self.env["mail.message"].search(
            [
                ("model", "=", "calendar.event"),
                ("res_id", "=", event.id),
                ("subject", "=", next(iter(subject.values()))),
            ]
        )


@tagged("post_install", "-at_install")
class TestReviewMeetings(CollaborationCase):
    def test_review_is_a_meeting_with_invitations(self):
        review = self._new_review()
        self.env["msp.business.review.item"].create(
            {"review_id": review.id, "name": "Backup offer for SMB"}
        )
        event = review.calendar_event_id
        self.assertTrue(event, "a scheduled review has its meeting")
        self.assertEqual(event.partner_ids, self.user_own.partner_id | self.partner_a_contact)
        self.assertEqual(event.user_id, self.user_own)
        self.assertEqual((event.res_model, event.res_id), (review._name, review.id))
        self.assertEqual(meetings.meeting_day(event.start, self.user_own.tz), review.date)
        self.assertEqual(event.stop - event.start, timedelta(hours=1), "default duration 1 h")
        self.assertIn("/calendar/join_videocall/", event.videocall_location)
        self.assertIn("Backup offer for SMB", str(event.description), "the agenda")
        self.assertIn(f"/my/business-plans/{self.plan.id}", str(event.description))
        # The partner's contact gets Odoo's invitation; nobody of another partner does.
        invited = self._notified(self._invitations(event))
        self.assertIn(self.partner_a_contact, invited)
        self.assertNotIn(self.partner_b_contact, invited)
        self.assertNotIn(self.partner_b, invited)
        # The answers show on the review.
        event.attendee_ids.filtered(lambda a: a.partner_id == self.partner_a_contact).do_accept()
        answer = review.meeting_attendee_ids.filtered(
            lambda a: a.partner_id == self.partner_a_contact
        )
        self.assertEqual(answer.state, "accepted")

    def test_duration_and_video_call_follow_the_settings(self):
        self.env.company.write({"msp_review_meeting_duration": 1.5, "msp_review_videocall": False})
        review = self._new_review()
        self.assertEqual(review.meeting_duration, 1.5)
        event = review.calendar_event_id
        self.assertEqual(event.stop - event.start, timedelta(hours=1, minutes=30))
        self.assertFalse(event.videocall_location)
        with self.assertRaises(ValidationError):
            review.meeting_duration = 0

    def test_one_meeting_per_review_moved_and_renamed_with_it(self):
        review = self._new_review()
        event = review.calendar_event_id
        start_time = meetings.meeting_start(review.date, self.user_own.tz).time()
        review.write({"date": review.date + timedelta(days=7), "name": "Kick-off with Alpha"})
        self.assertEqual(review.calendar_event_id, event, "never a second meeting")
        self.assertEqual(meetings.meeting_day(event.start, self.user_own.tz), review.date)
        self.assertEqual(event.start.time(), start_time, "the meeting keeps its hour")
        self.assertIn("Kick-off with Alpha", event.name)
        self.assertIn(
            self.partner_a_contact,
            self._notified(
                self._invitations(event, "calendar.calendar_template_meeting_changedate")
            ),
        )
        self.assertEqual(
            self.env["calendar.event"].search_count(
                [("res_model", "=", review._name), ("res_id", "=", review.id)]
            ),
            1,
        )

    def test_meeting_moved_in_calendar_moves_the_review(self):
        review = self._new_review()
        event = review.calendar_event_id.with_user(self.user_own)
        new_start = event.start + timedelta(days=3, hours=2)
        event.write({"start": new_start, "stop": new_start + timedelta(hours=2)})
        self.assertEqual(review.date, meetings.meeting_day(new_start, self.user_own.tz))
        self.assertEqual(review.meeting_duration, 2.0)
        self.assertEqual(event.start, new_start, "the review's follow-up does not move it back")
        # Outside the plan: the same refusal as for the review's own date.
        with self.assertRaises(ValidationError):
            event.write(
                {
                    "start": datetime.combine(self.plan.date_end, datetime.min.time())
                    + timedelta(days=5, hours=10),
                    "stop": datetime.combine(self.plan.date_end, datetime.min.time())
                    + timedelta(days=5, hours=11),
                }
            )

    def test_cancel_cancels_the_meeting_and_notifies_attendees(self):
        review = self._new_review()
        event = review.calendar_event_id
        review.action_cancel()
        self.assertFalse(event.exists())
        self.assertFalse(review.calendar_event_id)
        cancelled = self._messages(review, "Cancelled:")
        self.assertEqual(len(cancelled), 1)
        self.assertIn(self.partner_a_contact, self._notified(cancelled))
        self.assertNotIn(self.partner_b_contact, self._notified(cancelled))
        # Scheduled again: a new meeting, attendees invited again.
        review.action_reschedule()
        self.assertTrue(review.calendar_event_id)
        self.assertNotEqual(review.calendar_event_id, event)

    def test_deleting_a_review_cancels_its_meeting(self):
        review = self._new_review()
        event = review.calendar_event_id
        review.with_user(self.user_manager).unlink()
        self.assertFalse(event.exists())
        notice = self._messages(self.plan, "Cancelled:")
        self.assertIn(self.partner_a_contact, self._notified(notice))

    def test_meeting_deleted_in_calendar_leaves_the_review_without_one(self):
        review = self._new_review()
        review.calendar_event_id.with_user(self.user_own).unlink()
        self.assertFalse(review.calendar_event_id)
        self.assertEqual(review.state, "scheduled")
        note = review.message_ids.filtered(lambda m: "deleted in the Calendar app" in str(m.body))
        self.assertEqual(len(note), 1)
        self.assertTrue(note.subtype_id.internal, "an internal notice")
        review.action_schedule_meeting()
        self.assertTrue(review.calendar_event_id)
        review.action_done()
        with self.assertRaises(UserError):
            review.action_schedule_meeting()

    def test_playbook_creates_one_meeting_per_review_once(self):
        plan = self._create_plan(
            name="Alpha Playbook",
            date_start=self.today,
            date_end=self.today + timedelta(days=364),
        )
        plan.action_generate_review_schedule()
        reviews = plan.review_ids
        self.assertTrue(reviews)
        self.assertEqual(len(reviews.calendar_event_id), len(reviews))
        plan.action_generate_review_schedule()
        self.assertEqual(
            self.env["calendar.event"].search_count(
                [("res_model", "=", "msp.business.review"), ("res_id", "in", plan.review_ids.ids)]
            ),
            len(reviews),
        )

    def test_another_partner_cannot_read_the_meeting(self):
        review = self._new_review()
        event = review.calendar_event_id
        Event_b = self.env["calendar.event"].with_user(self.portal_b)
        self.assertFalse(Event_b.search([("id", "=", event.id)]))
        self.assertFalse(Event_b.search_count([("res_id", "=", review.id)]))
        with self.assertRaises(AccessError):
            Event_b.browse(event.id).read(["name"])
        # The partner's own attendee reads it; the review's field stays staff-only.
        self.assertTrue(
            self.env["calendar.event"].with_user(self.portal_a).browse(event.id).read(["name"])
        )
        with self.assertRaises(AccessError):
            review.with_user(self.portal_a).read(["calendar_event_id"])


@tagged("post_install", "-at_install")
class TestCollaborationMails(CollaborationCase):
    def _french(self, xmlid, subject):
        template = self.env.ref(xmlid)
        template.with_context(lang="fr_FR").subject = subject
        return template

    def test_every_template_renders_in_the_recipients_language(self):
        review = self._new_review()
        lead = self._create_registration(
            self.partner_a, registration_contact_id=self.partner_a_contact.id, name="Acme"
        )
        records = {
            "mail_template_registration_received": lead,
            "mail_template_registration_approved": lead,
            "mail_template_registration_rejected": lead,
            "mail_template_registration_expiry_notice": lead,
            "mail_template_registration_expired": lead,
            "mail_template_business_plan_shared": self.plan,
            "mail_template_business_plan_progress": self.plan,
            "mail_template_business_review_done": review,
            "mail_template_business_review_cancelled": review,
            "mail_template_business_review_feedback": review,
        }
        for name, record in records.items():
            with self.subTest(template=name):
                template = self._french(f"msp_business_planning.{name}", "Sujet en français")
                for lang, expected in (
                    ("en_US", "Sujet en français"),
                    ("fr_FR", "Sujet en français"),
                ):
                    self.partner_a.lang = self.partner_a_contact.lang = lang
                    self.user_own.lang = lang
                    self.env.invalidate_all()
                    subject = template._render_field("subject", record.ids, compute_lang=True)[
                        record.id
                    ]
                    if lang == "fr_FR":
                        self.assertEqual(subject, expected)
                    else:
                        self.assertNotEqual(subject, expected)
                    body = template._render_field("body_html", record.ids, compute_lang=True)[
                        record.id
                    ]
                    self.assertTrue(str(body).strip())

    def test_review_done_mails_the_partner_with_the_document(self):
        self._french("msp_business_planning.mail_template_business_review_done", "Compte rendu")
        self.partner_a.lang = "fr_FR"
        review = self._new_review(summary="<p>We agreed on the backup offer.</p>")
        self.env["msp.business.review.item"].create(
            {"review_id": review.id, "name": "Backup offer", "decision": "accepted"}
        )
        review.action_done()
        mail = self._messages(review, "Compte rendu")
        self.assertEqual(len(mail), 1, "rendered in the partner's language")
        self.assertEqual(
            self._notified(mail) & (self.partner_a_contact | self.partner_b_contact),
            self.partner_a_contact,
        )
        self.assertIn("We agreed on the backup offer.", str(mail.body))
        self.assertIn("Backup offer", str(mail.body))
        self.assertIn(f"/my/business-plans/{self.plan.id}", str(mail.body))
        self.assertIn("access_token=", str(mail.body), "a working link without a portal user")
        self.assertEqual(len(mail.attachment_ids), 1, "the QBR document")
        self.assertFalse(mail.subtype_id.internal)

    def test_feedback_is_an_internal_note_for_the_channel_manager(self):
        review = self._new_review()
        review.action_done()
        self._french("msp_business_planning.mail_template_business_review_feedback", "Avis reçu")
        self.user_own.lang = "fr_FR"
        review.with_user(self.portal_a).action_submit_feedback(4, "Useful")
        note = self._messages(review, "Avis reçu")
        self.assertEqual(len(note), 1, "in the channel manager's language")
        self.assertEqual(note.partner_ids, self.user_own.partner_id)
        self.assertTrue(note.subtype_id.internal, "staff-only")
        self.assertIn("Useful", str(note.body))
        self.assertFalse(self._notified(note) & (self.partner_a_contact | self.partner_b_contact))

    def test_registration_received_from_the_portal(self):
        self._french("msp_business_planning.mail_template_registration_received", "Bien reçu")
        self.partner_a_contact.lang = "fr_FR"
        lead = (
            self.env["crm.lead"]
            .with_user(self.portal_a)
            ._register_deal_from_portal(
                {"name": "Acme firewall", "partner_name": "Acme", "email_from": "it@acme.test"}
            )
        )
        mail = self._messages(lead, "Bien reçu")
        self.assertEqual(len(mail), 1)
        self.assertEqual(
            self._notified(mail) & (self.partner_a_contact | self.partner_b_contact),
            self.partner_a_contact,
        )
        self.assertIn(f"/my/deal-registrations/{lead.id}", str(mail.body))


@tagged("post_install", "-at_install")
class TestProgressMail(CollaborationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for plan, contact in (
            (cls.plan, cls.partner_a_contact),
            (cls.plan_b, cls.partner_b_contact),
        ):
            plan.message_subscribe(partner_ids=(contact | cls.user_own.partner_id).ids)

    def _progress_mails(self, plan):
        return self.env["mail.message"].search(
            [
                ("model", "=", plan._name),
                ("res_id", "=", plan.id),
                (
                    "subtype_id",
                    "=",
                    self.env.ref("msp_business_planning.mt_business_plan_progress").id,
                ),
            ]
        )

    def test_monthly_mail_to_each_partners_followers_once_a_month(self):
        Plan = self.env["msp.business.plan"]
        Plan._cron_send_progress_mails()
        mail_a, mail_b = self._progress_mails(self.plan), self._progress_mails(self.plan_b)
        self.assertEqual((len(mail_a), len(mail_b)), (1, 1))
        self.assertEqual(self._notified(mail_a), self.partner_a_contact, "not the staff follower")
        self.assertEqual(self._notified(mail_b), self.partner_b_contact)
        self.assertIn("Managed clients", str(mail_a.body))
        self.assertNotIn("Beta", str(mail_a.body))
        Plan._cron_send_progress_mails()
        self.assertEqual(len(self._progress_mails(self.plan)), 1, "once a month")
        with freeze_time(self.today + timedelta(days=32)):
            Plan._cron_send_progress_mails()
        self.assertEqual(len(self._progress_mails(self.plan)), 2, "the next month again")

    def test_opt_out(self):
        self.plan.progress_mail_opt_out = True
        Plan = self.env["msp.business.plan"]
        Plan._cron_send_progress_mails()
        self.assertFalse(self._progress_mails(self.plan))
        self.assertEqual(len(self._progress_mails(self.plan_b)), 1)
        self.assertFalse(Plan.search_count(Plan._progress_mail_domain(self.today)), "all done")

    def test_mail_in_the_partners_language(self):
        template = self.env.ref("msp_business_planning.mail_template_business_plan_progress")
        template.with_context(lang="fr_FR").subject = "Vos progrès"
        self.partner_b.lang = "fr_FR"
        self.env["msp.business.plan"]._cron_send_progress_mails()
        self.assertEqual(self._progress_mails(self.plan_b).subject, "Vos progrès")
        self.assertNotEqual(self._progress_mails(self.plan).subject, "Vos progrès")


@tagged("post_install", "-at_install")
class TestOffTrackActivity(CollaborationCase):
    def _activities(self, plan):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", plan._name),
                ("res_id", "=", plan.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("msp_business_planning.mail_activity_type_objective_off_track").id,
                ),
            ]
        )

    def test_off_track_is_an_activity_once_closed_when_back_on_track(self):
        Plan, Objective = self.env["msp.business.plan"], self.env["msp.business.plan.objective"]
        self.assertFalse(self._activities(self.plan), "news of the daily crons")
        Plan._cron_refresh_pacing()
        self.assertEqual(self.objective.pacing_status, "off_track")
        activity = self._activities(self.plan)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_own)
        self.assertIn("Managed clients", activity.summary)
        Plan._cron_refresh_pacing()
        Objective._cron_refresh_actuals()
        self.assertEqual(len(self._activities(self.plan)), 1, "once per objective and period")
        # Done by the manager while still off track: not again in this period.
        activity.action_feedback(feedback="Called the partner")
        Plan._cron_refresh_pacing()
        self.assertFalse(self._activities(self.plan))
        self.objective.off_track_period_start = False
        Plan._cron_refresh_pacing()
        activity = self._activities(self.plan)
        self.assertEqual(len(activity), 1)
        self._add_update(self.objective, 100, self.today)
        Plan._cron_refresh_pacing()
        self.assertNotEqual(self.objective.pacing_status, "off_track")
        # Done: archived (19.0) or deleted (18.0).
        self.assertFalse(activity.exists() and activity.active, "closed once back on track")
        self.assertFalse(self._activities(self.plan))
        self.assertFalse(self._activities(self.plan_b))

    def test_batch_query_count(self):
        objectives = self.objective | self._create_objective(self.plan, name="Second")
        objectives._sync_off_track_activities()
        with self.assertQueryCount(3):
            objectives.invalidate_recordset()
            objectives._sync_off_track_activities()


@tagged("post_install", "-at_install")
class TestDigestKpis(CollaborationCase):
    def _kpis(self, digest, user):
        now = fields.Datetime.now()
        digest = digest.with_user(user).with_context(
            start_datetime=now - timedelta(days=7), end_datetime=now + timedelta(days=1)
        )
        digest.invalidate_recordset()
        return (
            digest.kpi_msp_registrations_received_value,
            digest.kpi_msp_registrations_approved_value,
            digest.kpi_msp_reviews_done_value,
            digest.kpi_msp_excellence_score_value,
            digest.kpi_msp_plans_off_track_value,
        )

    def test_kpis_per_company_for_planning_users(self):
        self.user_company_2.write(
            {
                compat.GROUPS_FIELD: [
                    Command.link(self.env.ref("sales_team.group_sale_salesman_all_leads").id)
                ]
            }
        )
        Digest = self.env["digest.digest"]
        main = Digest.create({"name": "Main", "company_id": self.company.id})
        second = Digest.create({"name": "Second", "company_id": self.company_2.id})
        main_before = self._kpis(main, self.user_all)
        self.assertEqual(self._kpis(second, self.user_company_2), (0, 0, 0, 0.0, 0))
        # A quarter in the second company: a registration approved, a review done.
        plan = self._create_plan(
            name="Alpha in company 2",
            company_id=self.company_2.id,
            currency_id=self.company_2.currency_id.id,
            user_id=self.user_company_2.id,
            state="in_progress",
            date_start=self.plan.date_start,
            date_end=self.plan.date_end,
        )
        self._create_objective(plan, name="Seats", periodicity="annual")
        review = self._create_review(
            plan,
            draft_agenda=False,
            date=self.today,
            user_ids=[Command.set(self.user_company_2.ids)],
        )
        self.env["msp.business.review.score"].create(
            {
                "review_id": review.id,
                "topic_id": self._review_topics()[0].id,
                "score": 80,
                "target_score": 90,
            }
        )
        review.action_done()
        lead = self._create_registration(
            self.partner_a, day=self.today, state="approved", company_id=self.company_2.id
        )
        # Qualified today in UTC (registration dates do not depend on anyone's time
        # zone: near midnight, the user's today may be another day).
        self.assertEqual(lead.registration_qualified_date, lead._registration_today())
        self.env.flush_all()
        self.assertEqual(self._kpis(second, self.user_company_2), (1, 1, 1, 80.0, 1))
        self.assertEqual(self._kpis(main, self.user_all), main_before, "per company")
        default = self.env.ref("digest.digest_digest_default")
        self.assertTrue(
            all(
                default[name]
                for name in (
                    "kpi_msp_registrations_received",
                    "kpi_msp_registrations_approved",
                    "kpi_msp_plans_off_track",
                    "kpi_msp_reviews_done",
                    "kpi_msp_excellence_score",
                )
            ),
            "on by default in the standard digest",
        )
        with self.assertRaises(AccessError):
            main.with_user(self.user_internal)._compute_kpi_msp_reviews_done_value()
