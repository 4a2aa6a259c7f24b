"""Partner isolation over HTTP, route by route.

Every route of the addon's controllers (read from the controllers: a new route
without a row in ``ROUTES`` fails :meth:`test_every_route_has_a_row`), and the host's
routes that serve the addon's records (reports, chatter), is called with another
partner's ids, unknown ids, a draft outline or cancelled plan, wrong and missing
access tokens and without CSRF token. A refused call gets exactly the answer of a
missing record, never a name of another partner, and writes nothing.
"""

import re
import secrets
from datetime import date

from odoo import http
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import compat
from .common import MspPlanningHttpCase

ADDON = "msp_business_planning"

# Route (as declared) -> (HTTP method, URL template, form data). The template takes
# the ids of a scenario: {plan}, {objective}, {review}, {lead}.
ROUTES = {
    "/my/business-plans": ("GET", "/my/business-plans", None),
    "/my/business-plans/page/<int:page>": ("GET", "/my/business-plans/page/2", None),
    "/my/business-plans/<int:plan_id>": ("GET", "/my/business-plans/{plan}", None),
    "/my/business-plans/<int:plan_id>/download/<string:file_format>": (
        "GET",
        "/my/business-plans/{plan}/download/xlsx",
        None,
    ),
    "/my/business-plans/<int:plan_id>/accept": ("POST", "/my/business-plans/{plan}/accept", {}),
    "/my/business-plans/<int:plan_id>/objectives/<int:objective_id>/update": (
        "POST",
        "/my/business-plans/{plan}/objectives/{objective}/update",
        {"value": "3", "note": "Probe", "date": "2026-05-04"},
    ),
    "/my/business-plans/<int:plan_id>/commitment": (
        "POST",
        "/my/business-plans/{plan}/commitment",
        {"partner_commitment": "<p>Probe</p>"},
    ),
    "/my/business-plans/<int:plan_id>/reviews/<int:review_id>/feedback": (
        "POST",
        "/my/business-plans/{plan}/reviews/{review}/feedback",
        {"rating": "1", "comment": "Probe"},
    ),
    "/my/business-plans/<int:plan_id>/reviews/<int:review_id>/report": (
        "GET",
        "/my/business-plans/{plan}/reviews/{review}/report",
        None,
    ),
    "/my/business-plans/<int:plan_id>/reviews/<int:review_id>/meeting.ics": (
        "GET",
        "/my/business-plans/{plan}/reviews/{review}/meeting.ics",
        None,
    ),
    "/my/business-plans/<int:plan_id>/progress-mail": (
        "POST",
        "/my/business-plans/{plan}/progress-mail",
        {"receive": "0"},
    ),
    "/my/deal-registrations": ("GET", "/my/deal-registrations", None),
    "/my/deal-registrations/page/<int:page>": ("GET", "/my/deal-registrations/page/2", None),
    "/my/deal-registrations/<int:lead_id>": ("GET", "/my/deal-registrations/{lead}", None),
    "/my/deal-registrations/new": (
        "POST",
        "/my/deal-registrations/new",
        {"name": "Probe deal", "partner_name": "Probe Customer"},
    ),
    "/business-planning/export/xlsx": (
        "GET",
        "/business-planning/export/xlsx?plan_ids={plan}",
        None,
    ),
}
# Routes of the host serving the addon's records.
HOST_ROUTES = {
    "plan PDF": ("GET", "/report/pdf/msp_business_planning.report_business_plan/{plan}", None),
    "plan HTML": ("GET", "/report/html/msp_business_planning.report_business_plan/{plan}", None),
    "review PDF": (
        "GET",
        "/report/pdf/msp_business_planning.report_business_review/{review}",
        None,
    ),
}
# The plan routes a token opens (read only), for a visitor holding the link.
TOKEN_ROUTES = (
    "/my/business-plans/<int:plan_id>",
    "/my/business-plans/<int:plan_id>/download/<string:file_format>",
    "/my/business-plans/<int:plan_id>/reviews/<int:review_id>/report",
)


@tagged("post_install", "-at_install")
class TestPortalIsolation(MspPlanningHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plans = {}
        for key, partner, state in (
            ("own", cls.partner_a, "in_progress"),
            ("outline", cls.partner_a, "draft_outline"),
            ("cancelled", cls.partner_a, "cancelled"),
            ("foreign", cls.partner_b, "in_progress"),
        ):
            plan = cls._create_plan(
                name=f"{partner.name} {key} plan", partner_id=partner.id, state=state
            )
            objective = cls._create_objective(plan, name=f"{partner.name} {key} objective")
            review = cls._create_review(plan, date=date(2026, 4, 10))
            if state != "cancelled":
                review.action_done()
            cls.plans[key] = {"plan": plan.id, "objective": objective.id, "review": review.id}
            plan.message_post(body=f"{partner.name} {key} chatter", message_type="comment")
        cls.lead_a = cls._create_registration(cls.partner_a_contact, partner_name="Alpha Customer")
        cls.lead_b = cls._create_registration(cls.partner_b_contact, partner_name="Beta Customer")
        cls.ordinary_lead = cls._create_lead(
            name="Vendor only lead", partner_name="Vendor Customer"
        )
        cls.plans["own"]["lead"] = cls.lead_a.id
        cls.plans["foreign"]["lead"] = cls.lead_b.id
        cls.plans["outline"]["lead"] = cls.ordinary_lead.id
        cls.plans["cancelled"]["lead"] = cls.ordinary_lead.id
        cls.missing = {
            key: cls.env[model].search([], order="id desc", limit=1).id + 1000
            for key, model in (
                ("plan", "msp.business.plan"),
                ("objective", "msp.business.plan.objective"),
                ("review", "msp.business.review"),
                ("lead", "crm.lead"),
            )
        }
        # What A's contacts must never read, and what B's must never read.
        cls.names_of_a = [
            cls.partner_a.name,
            cls.partner_a_contact.name,
            "Alpha Customer",
            *(f"{cls.partner_a.name} {key}" for key in ("own", "outline", "cancelled")),
        ]
        cls.names_of_b = [cls.partner_b.name, cls.partner_b_contact.name, "Beta Customer"]
        cls.hidden_from_a = [
            *cls.names_of_b,
            f"{cls.partner_a.name} outline",
            f"{cls.partner_a.name} cancelled",
            "Vendor Customer",
        ]

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _login(self, user):
        if user:
            self.authenticate(user.login, user.login)
        else:
            self.authenticate(None, None)

    def _call(self, spec, ids, csrf=True, token=None, hidden=()):
        method, template, data = spec
        url = template.format(**ids)
        if token is not None:
            url += ("&" if "?" in url else "?") + f"access_token={token}"
        self.env.flush_all()
        with mute_logger("odoo.http", "odoo.access", "odoo.addons.web.controllers.report"):
            if method == "GET":
                response = self.url_open(url, allow_redirects=False)
            else:
                data = dict(data, form_key=secrets.token_urlsafe(24))
                if csrf:
                    data["csrf_token"] = http.Request.csrf_token(self)
                response = self.url_open(url, data=data, allow_redirects=False)
        self.env.invalidate_all()
        text = response.content.decode(errors="replace")
        for name in hidden:
            self.assertNotIn(name, text, f"{name!r} leaked by {method} {url}")
        return response

    def _answer(self, response):
        """What a caller learns: status, where it is sent, and the page (without the
        session's CSRF token and the ids it asked for)."""
        text = response.content.decode(errors="replace")
        text = re.sub(r'csrf_token: "\w+"|name="csrf_token" value="\w+"', "", text)
        if response.is_redirect:
            # The login page is asked to come back to the URL asked for.
            text = re.sub(r"\d+", "N", text)
        location = re.sub(r"\d+", "N", response.headers.get("Location", ""))
        return response.status_code, location, text

    def _digest(self):
        """Everything a probe could have written."""
        self.env.invalidate_all()
        plans = self.env["msp.business.plan"].search([])
        reviews = self.env["msp.business.review"].search([])
        return (
            self.env["msp.business.plan.objective.update"].search_count([]),
            self.env["crm.lead"].with_context(active_test=False).search_count([]),
            self.env["mail.message"].search_count([("model", "=", "msp.business.plan")]),
            tuple(plans.mapped("state")),
            tuple(plans.mapped(lambda p: str(p.partner_commitment))),
            tuple(reviews.mapped("feedback_rating")),
        )

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_every_route_has_a_row(self):
        declared = set()
        controllers = [http.Controller]
        for controller in controllers:
            controllers += controller.__subclasses__()
            for method in vars(controller).values():
                routing = getattr(method, "original_routing", None)
                if routing and method.__module__.startswith(f"odoo.addons.{ADDON}."):
                    declared.update(routing["routes"])
        self.assertEqual(declared, set(ROUTES))

    def test_another_partners_records_answer_like_missing_ones(self):
        """For A's contact: B's records, A's outline and cancelled plans, an ordinary
        lead, A's plan with B's objective or review... answer like unknown ids."""
        self._login(self.portal_a)
        own, missing = self.plans["own"], self.missing
        scenarios = {
            "foreign": self.plans["foreign"],
            "outline": self.plans["outline"],
            "cancelled": self.plans["cancelled"],
            "own plan, foreign child": {**self.plans["foreign"], "plan": own["plan"]},
            "own plan, missing child": {**missing, "plan": own["plan"]},
        }
        before = self._digest()
        differ = []
        for route, spec in (ROUTES | HOST_ROUTES).items():
            if "{" not in spec[1]:
                continue
            refused = self._answer(self._call(spec, missing, hidden=self.hidden_from_a))
            self.assertIn(refused[0], (400, 403, 404), route)
            for scenario, ids in scenarios.items():
                if not any(f"{{{key}}}" in spec[1] and ids[key] != own.get(key) for key in ids):
                    continue  # nothing foreign in this URL for this scenario
                answer = self._answer(self._call(spec, ids, hidden=self.hidden_from_a))
                if answer != refused:
                    differ.append(f"{route} [{scenario}]: {answer[:2]} vs missing {refused[:2]}")
        self.assertFalse(differ, "Answers unlike a missing record's:\n" + "\n".join(differ))
        self.assertEqual(self._digest(), before)

    def test_competitor_gets_nothing_of_a(self):
        self._login(self.portal_b)
        before = self._digest()
        differ = []
        for route, spec in (ROUTES | HOST_ROUTES).items():
            answer = self._answer(self._call(spec, self.plans["own"], hidden=self.names_of_a))
            if "{" in spec[1]:
                refused = self._answer(self._call(spec, self.missing, hidden=self.names_of_a))
                if answer != refused:
                    differ.append(f"{route}: {answer[:2]} vs missing {refused[:2]}")
        self.assertFalse(differ, "Answers unlike a missing record's:\n" + "\n".join(differ))
        # B's only write is its own deal registration (the /new row).
        after = self._digest()
        self.assertEqual(after[1], before[1] + 1)
        self.assertEqual(after[:1] + after[2:], before[:1] + before[2:])

    def test_tokens(self):
        """A visitor with a wrong or no token, or a token of another plan, gets what
        it gets for a missing plan; a right token opens read-only pages only."""
        own = self.plans["own"]
        plan = self.env["msp.business.plan"].browse(own["plan"])
        token = plan._portal_ensure_token()
        foreign_token = (
            self.env["msp.business.plan"]
            .browse(self.plans["foreign"]["plan"])
            ._portal_ensure_token()
        )
        for user in (None, self.portal_b):
            self._login(user)
            for route in TOKEN_ROUTES:
                spec = ROUTES[route]
                refused = self._answer(self._call(spec, self.missing, token=token))
                for wrong in ("", "x" + token[1:], token[:-1], foreign_token, None):
                    with self.subTest(user=user and user.login, route=route, token=wrong):
                        response = self._call(spec, own, token=wrong, hidden=self.names_of_a)
                        self.assertEqual(self._answer(response), refused)
                with self.subTest(user=user and user.login, route=route, token="right"):
                    self.assertEqual(self._call(spec, own, token=token).status_code, 200)
        # The token opens no write route, and no other plan of the same partner.
        self._login(None)
        before = self._digest()
        for route, spec in ROUTES.items():
            if spec[0] == "POST":
                with self.subTest(route=route):
                    self.assertIn(self._call(spec, own, token=token).status_code, (303, 400))
        for key in ("outline", "cancelled"):
            other = self.env["msp.business.plan"].browse(self.plans[key]["plan"])
            other_token = other._portal_ensure_token()
            response = self._call(
                ROUTES["/my/business-plans/<int:plan_id>"],
                self.plans[key],
                token=other_token,
                hidden=[other.name],
            )
            self.assertEqual(response.status_code, 303)
        self.assertEqual(self._digest(), before)

    def test_posts_without_csrf_token_write_nothing(self):
        self._login(self.portal_a)
        before = self._digest()
        for route, spec in ROUTES.items():
            if spec[0] != "POST":
                continue
            with self.subTest(route=route):
                response = self._call(spec, self.plans["own"], csrf=False)
                self.assertEqual(response.status_code, 400)
        self.assertEqual(self._digest(), before)

    def test_chatter_of_another_partner(self):
        """Reading, posting and uploading on a plan's chatter through the host's
        routes: B's plan and A's outline plan are closed to A like a missing plan."""
        self._login(self.portal_a)
        before = self._digest()
        Plan = "msp.business.plan"
        for key in ("foreign", "outline", "cancelled"):
            thread_id = self.plans[key]["plan"]
            with self.subTest(plan=key):
                fetched = self.make_jsonrpc_request(
                    "/mail/chatter_fetch", {"thread_model": Plan, "thread_id": thread_id}
                )
                self.assertFalse(fetched["messages"])
                missing = self.make_jsonrpc_request(
                    "/mail/chatter_fetch",
                    {"thread_model": Plan, "thread_id": self.missing["plan"]},
                )
                self.assertEqual(fetched, missing)
                data = self.make_jsonrpc_request(
                    compat.MAIL_THREAD_DATA_ROUTE,
                    compat.mail_thread_data_params(Plan, thread_id, ["followers"]),
                )
                self.assertNotIn("chatter", str(data))
                for name in self.hidden_from_a:
                    self.assertNotIn(name, str(data))
                with mute_logger("odoo.http"), self.assertRaises(Exception):  # noqa: B017
                    self.make_jsonrpc_request(
                        "/mail/message/post",
                        {
                            "thread_model": Plan,
                            "thread_id": thread_id,
                            "post_data": {"body": "Probe", "message_type": "comment"},
                        },
                    )
                self.env.flush_all()
                with mute_logger("odoo.http"):
                    upload = self.url_open(
                        "/mail/attachment/upload",
                        data={
                            "thread_model": Plan,
                            "thread_id": thread_id,
                            "csrf_token": http.Request.csrf_token(self),
                        },
                        files={"ufile": ("probe.txt", b"probe", "text/plain")},
                    )
                self.assertEqual(upload.status_code, 404)
        self.assertEqual(self._digest(), before)
        self.assertFalse(self.env["ir.attachment"].search([("name", "=", "probe.txt")]))


# Vendor-only data planted on A's plan; none of it may reach a partner's user.
STAFF_SECRETS = (
    "drop bytewise",  # a note logged from the chatter
    "Legacy log about Beta",  # a log that is not a comment (as the addon's notes were)
    "Call bytewise",  # an activity's summary
    "Secret pricing",  # its note
    "Scheduled secret",  # a scheduled note
    "CLOUDNINE_pricing_secret.pdf",  # the note's file
    "olivia@vendor.test",  # the channel manager's (follower's) e-mail
)
CHATTER_REQUESTS = [
    "activities",
    "attachments",
    "followers",
    "scheduledMessages",
    "suggestedRecipients",
]


@tagged("post_install", "-at_install")
class TestPortalChatterIsolation(MspPlanningHttpCase):
    """The host's chatter routes on A's plan, for the holder of its share link
    (logged out, ``token``) and for A's logged-in contact: public messages and
    their files, nothing of what staff wrote, planned, attached or who follows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(name="Alpha chatter plan", state="in_progress")
        cls._create_objective(cls.plan)
        cls.token = cls.plan._portal_ensure_token()
        cls.plan.message_subscribe(
            partner_ids=(cls.partner_a_contact | cls.user_own.partner_id).ids
        )
        Attachment = cls.env["ir.attachment"]
        cls.public_file = Attachment.create(
            {
                "name": "public_deck.pdf",
                "raw": b"deck",
                "res_model": cls.plan._name,
                "res_id": cls.plan.id,
            }
        )
        cls.public_comment = cls.plan.message_post(
            body="Public hello",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=cls.public_file.ids,
        )
        cls.secret_file = Attachment.create(
            {
                "name": "CLOUDNINE_pricing_secret.pdf",
                "raw": b"secret",
                "res_model": cls.plan._name,
                "res_id": cls.plan.id,
            }
        )
        cls.staff_note = cls.plan.with_user(cls.user_own).message_post(
            body="drop bytewise",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            attachment_ids=cls.secret_file.ids,
        )
        cls.staff_log = cls.plan.message_post(
            body="Legacy log about Beta", subtype_xmlid="mail.mt_note"
        )
        cls.plan.activity_schedule(
            "mail.mail_activity_data_todo",
            summary="Call bytewise",
            note="Secret pricing",
            user_id=cls.user_own.id,
        )
        cls.env["mail.scheduled.message"].create(
            {
                "model": cls.plan._name,
                "res_id": cls.plan.id,
                "body": "Scheduled secret",
                "is_note": True,
                "scheduled_date": "2099-01-01 10:00:00",
                "author_id": cls.user_own.partner_id.id,
            }
        )
        cls.lead = cls._create_registration(
            cls.partner_a_contact,
            partner_name="Globex Chatter",
            registration_description="<p>Partner typed this</p>",
            description="<p>Staff internal notes on Beta</p>",
        )

    def _thread(self, **extra):
        return {"thread_model": self.plan._name, "thread_id": self.plan.id, **extra}

    def _as(self, persona):
        """Log in as ``persona`` ("token": logged out with the share link); the
        parameters that persona sends to reach the plan."""
        if persona == "token":
            self.authenticate(None, None)
            return {"token": self.token}
        self.authenticate(self.portal_a.login, self.portal_a.login)
        return {}

    def _assert_no_secret(self, answer, label):
        text = str(answer)
        leaks = [secret for secret in STAFF_SECRETS if secret in text]
        self.assertFalse(leaks, f"{label} answers staff data: {leaks}")

    def test_thread_data(self):
        """/mail/thread/data asked for everything: the public file only."""
        for persona in ("token", "portal_a"):
            with self.subTest(persona=persona):
                extra = self._as(persona)
                data = self.make_jsonrpc_request(
                    compat.MAIL_THREAD_DATA_ROUTE,
                    compat.mail_thread_data_params(
                        self.plan._name, self.plan.id, CHATTER_REQUESTS, access_params=extra
                    ),
                )
                self._assert_no_secret(data, f"/mail/thread/data as {persona}")
                self.assertIn("public_deck.pdf", str(data))
                thread = next(t for t in data["mail.thread"] if t["id"] == self.plan.id)
                for key in ("activities", "scheduledMessages", "followersCount", "recipientsCount"):
                    self.assertNotIn(key, thread)

    def test_thread_messages(self):
        """The messages routes: public messages only (/mail/thread/messages needs a
        login; the share link's visitor uses /mail/chatter_fetch)."""
        for persona, route in (
            ("portal_a", "/mail/thread/messages"),
            ("portal_a", "/mail/chatter_fetch"),
            ("token", "/mail/chatter_fetch"),
        ):
            with self.subTest(persona=persona, route=route):
                extra = self._as(persona)
                data = self.make_jsonrpc_request(route, self._thread(**extra))
                self._assert_no_secret(data, f"{route} as {persona}")
                self.assertIn("Public hello", str(data))

    def test_reactions_on_staff_messages(self):
        """Reacting to a note by id: refused like a missing message, nothing kept."""
        Reaction = self.env["mail.message.reaction"]
        for persona in ("token", "portal_a"):
            for message in (self.staff_note, self.staff_log):
                with self.subTest(persona=persona, message=message.body):
                    extra = self._as(persona)
                    with mute_logger("odoo.http"), self.assertRaises(Exception):  # noqa: B017
                        self.make_jsonrpc_request(
                            "/mail/message/reaction",
                            {"message_id": message.id, "content": "👍", "action": "add", **extra},
                        )
        self.assertFalse(
            Reaction.search([("message_id", "in", (self.staff_note | self.staff_log).ids)])
        )
        # The partner reacts to a public message.
        self._as("portal_a")
        self.make_jsonrpc_request(
            "/mail/message/reaction",
            {"message_id": self.public_comment.id, "content": "👍", "action": "add"},
        )
        self.assertTrue(Reaction.search([("message_id", "=", self.public_comment.id)]))

    def test_post_and_upload(self):
        """Posting through the route: recipients cut to the followers, no one
        else's file; uploading with the link: only the new file comes back."""
        self._as("portal_a")
        answer = self.make_jsonrpc_request(
            "/mail/message/post",
            self._thread(
                post_data={
                    "body": "Partner post",
                    "message_type": "comment",
                    "partner_ids": (self.partner_b_contact | self.user_own.partner_id).ids,
                }
            ),
        )
        self._assert_no_secret(answer, "/mail/message/post")
        message = self.env["mail.message"].search([("body", "ilike", "Partner post")])
        self.assertTrue(message)
        # The competitor's contact is dropped; the vendor's follower may stay (18.0
        # keeps followers, 19.0's route keeps no recipient of a portal user at all).
        self.assertNotIn(self.partner_b_contact, message.partner_ids)
        self.assertLessEqual(message.partner_ids, self.user_own.partner_id)
        with mute_logger("odoo.http"), self.assertRaises(Exception):  # noqa: B017
            self.make_jsonrpc_request(
                "/mail/message/post",
                self._thread(
                    post_data={
                        "body": "Steal",
                        "message_type": "comment",
                        "attachment_ids": self.secret_file.ids,
                    }
                ),
            )
        self.assertEqual(self.secret_file.res_model, self.plan._name)
        self.assertFalse(self.env["mail.message"].search([("body", "ilike", "Steal")]))
        extra = self._as("token")
        upload = self.url_open(
            "/mail/attachment/upload",
            data={
                "thread_model": self.plan._name,
                "thread_id": self.plan.id,
                "csrf_token": http.Request.csrf_token(self),
                **extra,
            },
            files={"ufile": ("probe_upload.txt", b"probe", "text/plain")},
        )
        self.assertEqual(upload.status_code, 200)
        self.assertIn("probe_upload.txt", upload.text)
        self._assert_no_secret(upload.text, "/mail/attachment/upload")

    def test_json_rpc(self):
        """The ORM over JSON-RPC, as A's contact: a note by id, a search through the
        chatter, the lead's Internal Notes, a post to a competitor's contact."""
        self._as("portal_a")
        calls = {
            "note by id": ("mail.message", "read", [[self.staff_note.id], ["body"]], {}),
            "log by id": ("mail.message", "read", [[self.staff_log.id], ["body"]], {}),
            "search through notes": (
                "msp.business.plan",
                "search_count",
                [[("id", "=", self.plan.id), ("message_ids.body", "ilike", "drop bytewise")]],
                {},
            ),
            "group by activities": (
                "msp.business.plan",
                *compat.rpc_read_group_call([], ["activity_ids"]),
                {},
            ),
            "lead internal notes": ("crm.lead", "read", [[self.lead.id], ["description"]], {}),
            "post to a competitor": (
                "msp.business.plan",
                "message_post",
                [[self.plan.id]],
                {
                    "body": "Hi",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                    "partner_ids": self.partner_b_contact.ids,
                },
            ),
        }
        for label, (model, method, args, kwargs) in calls.items():
            with self.subTest(label), mute_logger("odoo.http", "odoo.access"):
                with self.assertRaises(Exception) as caught:
                    self.make_jsonrpc_request(
                        f"/web/dataset/call_kw/{model}/{method}",
                        {"model": model, "method": method, "args": args, "kwargs": kwargs},
                    )
                self.assertIn("AccessError", str(caught.exception))
                self._assert_no_secret(caught.exception, label)
        self.assertFalse(
            self.env["mail.notification"].search(
                [("res_partner_id", "=", self.partner_b_contact.id)]
            )
        )
        lead = self.make_jsonrpc_request(
            "/web/dataset/call_kw/crm.lead/read",
            {
                "model": "crm.lead",
                "method": "read",
                "args": [[self.lead.id], ["registration_description"]],
                "kwargs": {},
            },
        )
        self.assertIn("Partner typed this", lead[0]["registration_description"])

    def test_registration_page_shows_the_partners_description_only(self):
        self._as("portal_a")
        page = self.url_open(f"/my/deal-registrations/{self.lead.id}").text
        self.assertIn("Partner typed this", page)
        self.assertNotIn("Staff internal notes", page)
