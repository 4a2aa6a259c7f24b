"""Which routes of the addon a read-only replica may serve.

Odoo sends a route declared ``readonly=True`` to the replica (``--db_replica_host``),
with a read-only cursor; a route that writes there fails, and Odoo serves it again on
the primary with a warning. The first test holds the declared mode of every route of
the addon against a table; the others serve each read-only route and check that it
answers from the read-only cursor it was given, without being retried on the primary
(the test cursor of a read-only route refuses writes as a replica does).
"""

import inspect
import threading
from datetime import date, timedelta
from unittest.mock import patch

from odoo import http
from odoo.tests import tagged

from ..controllers import export, portal, portal_deal_registration
from ..tools import compat
from .common import MspPlanningHttpCase

READ_ONLY, READ_WRITE, READ_ONLY_UNLESS_POST = "read-only", "read/write", "GET read-only"

# Every route of the addon (method: mode). A new route must be added here, with the
# mode it needs: read-only when it never writes, whoever calls it.
ROUTE_MODES = {
    "portal_my_business_plans": READ_ONLY,
    "portal_my_business_plan": READ_ONLY,
    "portal_business_plan_download": READ_ONLY,
    "portal_business_review_report": READ_ONLY,
    "portal_business_plan_accept": READ_WRITE,
    "portal_business_plan_objective_update": READ_WRITE,
    "portal_business_plan_commitment": READ_WRITE,
    "portal_business_review_feedback": READ_WRITE,
    "portal_business_review_meeting_ics": READ_ONLY,
    "portal_business_plan_progress_mail": READ_WRITE,
    "portal_my_deal_registrations": READ_ONLY,
    "portal_my_deal_registration": READ_ONLY,
    "portal_deal_registration_new": READ_ONLY_UNLESS_POST,
    "export_business_plans_xlsx": READ_ONLY,
}


def _declared_mode(readonly):
    if readonly is compat.route_readonly_unless_post:
        return READ_ONLY_UNLESS_POST
    if callable(readonly):
        return f"callable {readonly!r}"
    return READ_ONLY if readonly else READ_WRITE


@tagged("post_install", "-at_install")
class TestRouteModes(MspPlanningHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        year = date.today().year
        cls.plan = cls._create_plan(
            name="Alpha Replica Plan",
            state="in_progress",
            date_start=date(year, 1, 1),
            date_end=date(year, 12, 31),
        )
        cls._create_objective(cls.plan, name="Managed clients", target_value=12)
        cls._create_objective(cls.plan, name="Deals", objective_type="deal_registration")
        cls.review = cls._create_review(
            cls.plan, date=date(year, 3, 20), summary="<p>Quarter one went well</p>"
        )
        cls.review.action_done()
        cls.lead = cls._create_registration(cls.partner_a_contact, day=date(year, 2, 1))

    # ------------------------------------------------------------
    # THE TABLE
    # ------------------------------------------------------------

    def test_every_route_has_its_declared_mode(self):
        # From the controller classes: every method the addon decorates as a route.
        declared = {}
        for module in (portal, portal_deal_registration, export):
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ != module.__name__:
                    continue
                for name, member in cls.__dict__.items():
                    routing = getattr(member, "original_routing", None)
                    if routing is not None:
                        declared[name] = _declared_mode(routing.get("readonly"))
        self.assertEqual(declared, ROUTE_MODES)

        # From the routing map: what Odoo uses once the controllers are merged, for
        # every URL of every route of the addon.
        served = {}
        # routing_map() reads the database of the thread, as in a request.
        with patch.object(threading.current_thread(), "dbname", self.env.cr.dbname, create=True):
            rules = list(self.env["ir.http"].routing_map().iter_rules())
        for rule in rules:
            original = getattr(rule.endpoint, "original_endpoint", None)
            if original is None or not original.__module__.startswith(
                "odoo.addons.msp_business_planning."
            ):
                continue
            mode = _declared_mode(rule.endpoint.routing["readonly"])
            self.assertEqual(mode, ROUTE_MODES.get(rule.endpoint.__name__), rule.rule)
            served.setdefault(rule.endpoint.__name__, []).append(rule.rule)
        self.assertEqual(set(served), set(ROUTE_MODES))
        self.assertEqual(len(served["portal_my_business_plans"]), 2)
        self.assertEqual(len(served["portal_my_deal_registrations"]), 2)

    # ------------------------------------------------------------
    # SERVED WITH A READ-ONLY CURSOR
    # ------------------------------------------------------------

    def _serve(self, url, data=None):
        """(response, [(endpoint, cursor read-only?) of each try]) of ``url``; a
        read-only route that writes shows as two tries, the second read/write."""
        tries = []
        serve = http.Request._serve_ir_http

        def recording_serve(request, rule, args):
            tries.append((rule.endpoint.__name__, request.env.cr.readonly))
            return serve(request, rule, args)

        self.env.flush_all()
        with patch.object(http.Request, "_serve_ir_http", recording_serve):
            if data is None:
                response = self.url_open(url, allow_redirects=False)
            else:
                response = self.url_open(url, data=data, allow_redirects=False)
        return response, tries

    def assertServedReadOnly(self, url, endpoint, status=200):
        with self.assertNoLogs("odoo.http", "WARNING"):
            response, tries = self._serve(url)
        self.assertEqual(response.status_code, status, url)
        self.assertEqual(tries, [(endpoint, True)], url)
        return response

    def test_portal_pages_answer_from_the_read_only_cursor(self):
        self.authenticate("msp_portal_a", "msp_portal_a")
        plan_url = f"{portal.PLAN_URL}/{self.plan.id}"
        deal_url = portal_deal_registration.DEAL_URL
        pages = [
            (portal.PLAN_URL, "portal_my_business_plans", b"Alpha Replica Plan"),
            (f"{portal.PLAN_URL}/page/1", "portal_my_business_plans", b"Alpha Replica Plan"),
            (plan_url, "portal_my_business_plan", b"Managed clients"),
            (deal_url, "portal_my_deal_registrations", b"Registered deal"),
            (f"{deal_url}/page/1", "portal_my_deal_registrations", b"Registered deal"),
            (f"{deal_url}/{self.lead.id}", "portal_my_deal_registration", b"Registered deal"),
            (f"{deal_url}/new", "portal_deal_registration_new", b"form_key"),
        ]
        for url, endpoint, content in pages:
            response = self.assertServedReadOnly(url, endpoint)
            self.assertIn(content, response.content, url)

    def test_downloads_answer_from_the_read_only_cursor(self):
        self.authenticate("msp_portal_a", "msp_portal_a")
        plan_url = f"{portal.PLAN_URL}/{self.plan.id}"
        for url, endpoint in [
            (f"{plan_url}/download/xlsx", "portal_business_plan_download"),
            (f"{plan_url}/download/pdf", "portal_business_plan_download"),
            (f"{plan_url}/reviews/{self.review.id}/report", "portal_business_review_report"),
        ]:
            response = self.assertServedReadOnly(url, endpoint)
            self.assertIn("attachment", response.headers["Content-Disposition"], url)
        self.authenticate("msp_all", "msp_all")
        response = self.assertServedReadOnly(
            f"/business-planning/export/xlsx?plan_ids={self.plan.id}", "export_business_plans_xlsx"
        )
        self.assertIn("attachment", response.headers["Content-Disposition"])

    def test_token_holder_page_answers_from_the_read_only_cursor(self):
        url = f"{portal.PLAN_URL}/{self.plan.id}?access_token={self.plan.access_token}"
        response = self.assertServedReadOnly(url, "portal_my_business_plan")
        self.assertIn(b"Managed clients", response.content)
        self.assertServedReadOnly(
            f"{portal.PLAN_URL}/{self.plan.id}/download/xlsx?access_token={self.plan.access_token}",
            "portal_business_plan_download",
        )

    def test_meeting_file_answers_from_the_read_only_cursor(self):
        review = self._create_review(self.plan, date=date.today() + timedelta(days=7))
        self.assertTrue(review.calendar_event_id)
        self.authenticate("msp_portal_a", "msp_portal_a")
        response = self.assertServedReadOnly(
            f"{portal.PLAN_URL}/{self.plan.id}/reviews/{review.id}/meeting.ics",
            "portal_business_review_meeting_ics",
        )
        self.assertIn(b"BEGIN:VCALENDAR", response.content)

    def test_refused_pages_answer_from_the_read_only_cursor_too(self):
        self.authenticate("msp_portal_b", "msp_portal_b")
        self.assertServedReadOnly(
            f"{portal.PLAN_URL}/{self.plan.id}", "portal_my_business_plan", status=404
        )
        self.assertServedReadOnly(
            f"{portal_deal_registration.DEAL_URL}/{self.lead.id}",
            "portal_my_deal_registration",
            status=404,
        )

    def test_writing_routes_are_served_by_the_primary(self):
        self.authenticate("msp_portal_a", "msp_portal_a")
        response, tries = self._serve(
            f"{portal_deal_registration.DEAL_URL}/new",
            data={"csrf_token": http.Request.csrf_token(self), "name": "Replica deal"},
        )
        self.assertEqual(tries, [("portal_deal_registration_new", False)])
        self.assertEqual(response.status_code, 303)
        self.assertTrue(
            self.env["crm.lead"].search_count([("name", "=", "Replica deal")]),
            "the registration is written on the primary",
        )
