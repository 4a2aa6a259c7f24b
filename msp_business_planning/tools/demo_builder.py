"""The demo story of :mod:`.demo_story` made records: plans, objectives, progress
reports, deal registrations and reviews, dated from the day of installation.

The demo data calls ``msp.business.plan._demo_load_story()``, which builds it with
the demo's xml ids; tests build the same story for partners of their own on a frozen
day with :func:`build_story`.
"""

from datetime import datetime, time, timedelta

from odoo import Command, fields

from . import demo_story

MODULE = "msp_business_planning"
# Who plays in the demo story: role -> xml id of the demo data (partners and users
# are plain records of the demo files; everything dated is built here).
CAST = {
    "cloudnine": "msp_business_planning.partner_cloudnine",
    "cloudnine_contact": "msp_business_planning.partner_cloudnine_contact",
    "bytewise": "msp_business_planning.partner_bytewise",
    "bytewise_contact": "msp_business_planning.partner_bytewise_contact",
    "northwind": "msp_business_planning.partner_northwind",
    "harbor_dental": "msp_business_planning.account_harbor_dental",
    "summit_law": "msp_business_planning.account_summit_law",
    "channel_manager": "msp_business_planning.user_channel_manager",
    "admin": "base.user_admin",
}
# Scores of CloudNine's first review by topic (score, target); each later review held
# shows the progress made since.
FIRST_SCORES = {
    "review_topic_it_infrastructure": (62, 75),
    "review_topic_cloud_services": (55, 70),
    "review_topic_cybersecurity": (48, 70),
    "review_topic_it_strategy": (40, 65),
}
SCORE_GAIN_PER_REVIEW = 5


def load_story(env):
    """The story as of today, with the demo's xml ids; told once, at installation."""
    if env.ref(f"{MODULE}.plan_cloudnine_current", raise_if_not_found=False):
        return
    cast = {role: env.ref(xmlid) for role, xmlid in CAST.items()}
    build_story(env, fields.Date.today(), cast, xmlids=True)


def build_story(env, today, cast, xmlids=False):
    """Build the story as of ``today`` for the partners and users of ``cast``
    (``CAST``'s roles); with ``xmlids``, the records get the demo's xml ids.
    Returns ``{key: record}`` of what it built."""
    return DemoStoryBuilder(env).build(today, cast, xmlids)


class DemoStoryBuilder:
    """Builds the records of :func:`demo_story.story`, in the order the models'
    rules ask for (a plan is filled before it is completed, a review before it is
    done)."""

    def __init__(self, env):
        self.env = env
        self.built = {}  # key: record built
        self.xmlids = False

    def build(self, today, cast, xmlids=False):
        self.xmlids = xmlids
        story = demo_story.story(today)
        previous = self._build_previous_plan(story, cast)
        plan = self._build_current_plan(story, cast, previous)
        self._build_deals(story, cast)
        self._build_other_plans(story, cast)
        self._build_reviews(story, today, cast, plan)
        plan.action_generate_review_schedule()
        # The next review's meeting: CloudNine's contact is invited (Calendar, /my).
        plan.review_ids.filtered(lambda r: r.state == "scheduled").write(
            {"attendee_partner_ids": [Command.set(cast["cloudnine_contact"].ids)]}
        )
        return self.built

    def _make(self, model, key, values):
        """Create a record of the story, under the demo's xml id ``key`` if asked."""
        Model = self.env[model]
        if model == "msp.business.review":
            # Agendas are drafted here, not proposed from pacing.
            record = Model._create_reviews([values], draft_agenda=False)
        else:
            record = Model.create(values)
        if self.xmlids:
            self.env["ir.model.data"]._update_xmlids(
                [{"xml_id": f"{MODULE}.{key}", "record": record, "noupdate": True}]
            )
        self.built[key] = record.with_env(self.env)
        return self.built[key]

    # ------------------------------------------------------------
    # PLANS
    # ------------------------------------------------------------

    def _follow_plan(self, plan):
        """The partner's portal contacts follow its shared plans, as sharing does."""
        plan.message_subscribe(partner_ids=plan._get_partner_portal_contacts().ids)

    def _build_previous_plan(self, story, cast):
        year = story["year"] - 1
        start, end = demo_story.year_span(year)
        plan = self._make(
            "msp.business.plan",
            "plan_cloudnine_previous",
            {
                "name": f"CloudNine Managed IT — {year} plan",
                "partner_id": cast["cloudnine"].id,
                "user_id": cast["channel_manager"].id,
                "date_start": start,
                "date_end": end,
                "state": "in_progress",
            },
        )
        objective = self._make(
            "msp.business.plan.objective",
            "objective_cloudnine_previous_customers",
            {
                "plan_id": plan.id,
                "name": "New managed-security customers",
                "objective_type": "manual",
                "weight": 100,
                "periodicity": "quarterly",
                "target_value": 8,
            },
        )
        for update in story["previous_updates"]:
            self._make_update(f"update_cloudnine_{update.key}", objective, update, cast)
        # On record once its year is over.
        plan.action_complete()
        self._follow_plan(plan)
        return plan

    def _build_current_plan(self, story, cast, previous):
        start, end = demo_story.year_span(story["year"])
        plan = self._make(
            "msp.business.plan",
            "plan_cloudnine_current",
            {
                "name": f"CloudNine Managed IT — {story['year']} plan",
                "partner_id": cast["cloudnine"].id,
                "user_id": cast["channel_manager"].id,
                "date_start": start,
                "date_end": end,
                "target_account_ids": [
                    Command.set([cast["harbor_dental"].id, cast["summit_law"].id])
                ],
                "partner_commitment": "<p>Two engineers certified on the XDR platform by Q2, "
                "one co-marketing webinar per quarter, a monthly pipeline call.</p>",
                "client_annual_revenue": 4200000,
                "it_maturity": "medium",
                "state": "in_progress",
                "previous_plan_id": previous.id,
            },
        )
        objectives = {}
        for sequence, (key, name, kind, measure, weight, periodicity, target) in enumerate(
            demo_story.CLOUDNINE_OBJECTIVES, start=1
        ):
            objectives[key] = self._make(
                "msp.business.plan.objective",
                f"objective_cloudnine_{key}",
                {
                    "plan_id": plan.id,
                    "name": name,
                    "sequence": sequence,
                    "objective_type": kind,
                    "measure": measure,
                    "weight": weight,
                    "periodicity": periodicity,
                    "target_value": target,
                },
            )
        for update in story["cloudnine_updates"]:
            self._make_update(
                f"update_cloudnine_{update.key}", objectives[update.objective], update, cast
            )
        self._follow_plan(plan)
        return plan

    def _make_update(self, key, objective, update, cast):
        # Progress is the partner's to report: its contact is the author.
        return self._make(
            "msp.business.plan.objective.update",
            key,
            {
                "objective_id": objective.id,
                "date": update.date,
                "value": update.value,
                "note": update.note,
                "author_id": cast["cloudnine_contact"].id,
            },
        )

    def _build_other_plans(self, story, cast):
        start, end = demo_story.year_span(story["year"])
        bytewise = self._make(
            "msp.business.plan",
            "plan_bytewise_current",
            {
                "name": f"Bytewise Solutions — {story['year']} plan",
                "partner_id": cast["bytewise"].id,
                "user_id": cast["channel_manager"].id,
                "date_start": start,
                "date_end": end,
                "state": "draft",
            },
        )
        self._make(
            "msp.business.plan.objective",
            "objective_bytewise_registrations",
            {
                "plan_id": bytewise.id,
                "name": "Registered deals",
                "objective_type": "deal_registration",
                "weight": 50,
                "periodicity": "monthly",
                "target_value": 12,
            },
        )
        self._make(
            "msp.business.plan.objective",
            "objective_bytewise_qbr",
            {
                "plan_id": bytewise.id,
                "name": "Customer QBRs held with the vendor",
                "objective_type": "manual",
                "weight": 50,
                "periodicity": "quarterly",
                "target_value": 8,
            },
        )
        self._follow_plan(bytewise)
        northwind = self._make(
            "msp.business.plan",
            "plan_northwind_current",
            {
                "name": f"Northwind SecureOps — {story['year']} onboarding plan",
                "partner_id": cast["northwind"].id,
                "user_id": cast["channel_manager"].id,
                "date_start": start,
                "date_end": end,
            },
        )
        self._make(
            "msp.business.plan.objective",
            "objective_northwind_onboarding",
            {
                "plan_id": northwind.id,
                "name": "Onboarded managed-security customers",
                "objective_type": "manual",
                "weight": 100,
                "periodicity": "quarterly",
                "target_value": 6,
            },
        )

    # ------------------------------------------------------------
    # DEAL REGISTRATIONS
    # ------------------------------------------------------------

    def _build_deals(self, story, cast):
        Lead = self.env["crm.lead"]
        # Registrations are what the portal makes of them: leads or opportunities as
        # the CRM is configured, opportunities once approved.
        registration_type = Lead._get_portal_registration_type()
        open_stages = [self.env.ref("crm.stage_lead2"), self.env.ref("crm.stage_lead3")]
        won_stage = self.env.ref("crm.stage_lead4")
        new_stage = self.env.ref("crm.stage_lead1")
        self._make(
            "crm.lead",
            "lead_vendor_redwood",
            {
                "name": "Redwood Unified Schools — security assessment",
                "type": "lead",
                "partner_name": "Redwood Unified Schools",
                "email_from": "principal@redwood-schools.example.com",
                "user_id": cast["admin"].id,
                "expected_revenue": 8000,
            },
        )
        for partner, deals, prefix in (
            ("cloudnine", story["cloudnine_deals"], "lead_cloudnine_"),
            ("bytewise", story["bytewise_deals"], "lead_"),
        ):
            for index, deal in enumerate(deals):
                if deal.state == "won":
                    stage = won_stage
                elif deal.state == "approved":
                    stage = open_stages[index % 2]
                else:
                    stage = new_stage
                values = {
                    "name": deal.name,
                    "type": "opportunity"
                    if deal.state in ("approved", "won", "expired")
                    else registration_type,
                    "partner_name": deal.account,
                    "email_from": deal.email,
                    "user_id": cast["channel_manager"].id,
                    "expected_revenue": deal.revenue,
                    "stage_id": stage.id,
                    "registered_partner_id": cast[partner].id,
                    "registration_contact_id": cast[f"{partner}_contact"].id,
                    "registration_state": "approved" if deal.state == "won" else deal.state,
                    "registration_date": deal.registered,
                    "registration_qualified_date": deal.qualified,
                    "registration_expiry_date": deal.expiry,
                }
                if deal.closed:
                    values["date_closed"] = datetime.combine(deal.closed, time(15))
                if deal.probability:
                    # An open deal: the forecast weighs it by these.
                    values["probability"] = deal.probability
                    values["date_deadline"] = deal.deadline
                if deal.state == "rejected":
                    values["registration_reject_reason"] = (
                        f"{deal.account} is already served directly by our enterprise team."
                    )
                self._make("crm.lead", f"{prefix}{deal.key}", values)

    # ------------------------------------------------------------
    # REVIEWS
    # ------------------------------------------------------------

    def _build_reviews(self, story, today, cast, plan):
        """CloudNine's reviews held so far (the first one in full: agenda, decisions,
        scorecard, initiatives, feedback); its first review still ahead when none
        was held yet. The playbook schedules the others."""
        topics = {xmlid: self.env.ref(f"{MODULE}.{xmlid}") for xmlid in FIRST_SCORES}
        attendees = {
            "user_ids": [Command.set(cast["channel_manager"].ids)],
            "attendee_partner_ids": [Command.set(cast["cloudnine_contact"].ids)],
        }
        held = [review for review in story["reviews"] if review.held]
        first = story["reviews"][0]
        for index, review in enumerate(held or [first]):
            values = {
                "plan_id": plan.id,
                "review_type": "qbr",
                "date": review.date,
                "period_start": review.period_start,
                "period_end": review.period_end,
                **attendees,
            }
            if index == 0:
                values.update(
                    topic_id=topics["review_topic_it_infrastructure"].id,
                    summary="<p>A solid start: registrations are flowing and the first "
                    "engineer is preparing the XDR certification. The infrastructure audit "
                    "shows ageing firewalls at two dental clinics; the partner agreed to "
                    "fund a second certification and to plan the firewall refresh.</p>"
                    if review.held
                    else False,
                    internal_note="<p>Maya hinted that a competitor offered them a bigger "
                    "MDF: keep an eye on the co-marketing budget.</p>",
                )
            else:
                topic = list(topics.values())[index % len(topics)]
                values.update(
                    topic_id=topic.id,
                    summary=f"<p>On pace for the year. Focus on {topic.name}: the decisions "
                    "of the previous review are followed up.</p>",
                )
            record = self._make("msp.business.review", f"review_cloudnine_{review.key}", values)
            self._make_scores(record, review.key, index, topics)
            if index == 0:
                self._make_first_review_agenda(record, review, plan, cast)
            if review.held:
                # Held before the story starts: on record, without the mail (and
                # its PDF) of a review done today.
                record._mark_done(notify_partner=False)
        if held:
            self._follow_up_first_review(today, cast, self.built["review_cloudnine_q1"])

    def _make_scores(self, review, key, index, topics):
        for xmlid, (score, target) in FIRST_SCORES.items():
            self._make(
                "msp.business.review.score",
                f"review_cloudnine_{key}_score_{xmlid.removeprefix('review_topic_')}",
                {
                    "review_id": review.id,
                    "topic_id": topics[xmlid].id,
                    "score": min(score + index * SCORE_GAIN_PER_REVIEW, 100),
                    "target_score": target,
                },
            )

    def _make_first_review_agenda(self, review, story_review, plan, cast):
        """The first review's agenda; decided when it was held, open before."""
        held = story_review.held
        owner = cast["channel_manager"].id
        infrastructure = self.env.ref(f"{MODULE}.review_topic_it_infrastructure").id
        security = self.env.ref(f"{MODULE}.review_topic_cybersecurity").id
        items = [
            (
                "certification",
                infrastructure,
                "Certify a second engineer on the XDR platform",
                "accepted",
                "Bootcamp seat booked.",
                owner,
                44,
            ),
            (
                "firewalls",
                infrastructure,
                "Refresh the end-of-life firewalls at Harbor Dental",
                "accepted",
                "Quote to be sent with the vendor's refresh promotion.",
                owner,
                59,
            ),
            (
                "soc",
                security,
                "Add the managed SOC service to the offer",
                "declined",
                "No budget before H2: the partner wants two more security customers first.",
                False,
                0,
            ),
            (
                "phishing",
                security,
                "Quarterly phishing simulations for managed customers",
                "deferred",
                "Revisit after the Microsoft 365 migration of their largest customer.",
                False,
                0,
            ),
        ]
        records = {}
        for sequence, (key, topic, name, decision, note, user, due_days) in enumerate(
            items, start=1
        ):
            records[key] = self._make(
                "msp.business.review.item",
                f"review_cloudnine_q1_item_{key}",
                {
                    "review_id": review.id,
                    "sequence": sequence,
                    "topic_id": topic,
                    "name": name,
                    "decision": decision if held else "open",
                    "note": note if held else False,
                    "user_id": user,
                    "due_date": story_review.date + timedelta(days=due_days) if due_days else False,
                    "objective_id": self.built["objective_cloudnine_certified"].id
                    if key == "certification"
                    else False,
                },
            )
        initiatives = [
            ("bootcamp", "XDR certification bootcamp", infrastructure, 34, 6000, "certification"),
            (
                "firewalls",
                "Firewall refresh at Harbor Dental",
                infrastructure,
                146,
                18000,
                "firewalls",
            ),
            ("soc", "Managed SOC pilot", security, 198, 24000, "soc"),
            ("backup", "Immutable backups for all managed customers", None, 243, 9500, None),
        ]
        for key, name, topic, days, budget, item in initiatives:
            self._make(
                "msp.business.plan.initiative",
                f"initiative_cloudnine_{key}",
                {
                    "plan_id": plan.id,
                    "name": name,
                    "topic_id": topic or self.env.ref(f"{MODULE}.review_topic_cloud_services").id,
                    "date": min(story_review.date + timedelta(days=days), plan.date_end),
                    "budget": budget,
                    "review_item_id": records[item].id if item else False,
                },
            )

    def _follow_up_first_review(self, today, cast, review):
        """What happened after the first review: the partner's feedback, the
        follow-ups and initiatives whose day has come done."""
        contact = cast["cloudnine_contact"]
        feedback_day = min(review.date + timedelta(days=3), today)
        review.write(
            {
                "feedback_rating": 4,
                "feedback_comment": "Useful audit. We would like the firewall quote before "
                "the next review.",
                "feedback_partner_id": contact.id,
                "feedback_date": datetime.combine(feedback_day, time(10)),
            }
        )
        review.activity_ids.filtered(lambda a: a.date_deadline < today).action_feedback(
            feedback="Done."
        )
        review.plan_id.initiative_ids.filtered(
            lambda i: i.state == "approved" and i.date and i.date < today
        ).write({"state": "done"})
