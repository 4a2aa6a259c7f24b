"""Hostile or wrong input at every entry point: the back office (ORM as a planning
user), JSON-RPC (``/web/dataset/call_kw``) and the portal forms.

Each row of a table is one input; each must be refused with a message that says what
is wrong (ValidationError or UserError, a form message on the portal), and leave the
database as it was: the counts of every model of the addon and the values of the
record written are compared before and after.
"""

import io
import json
import math
import secrets
from datetime import date
from unittest.mock import patch

import openpyxl

from odoo import Command, http
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import msp_business_plan
from ..tools import compat, values
from .common import MspDoctestCase, MspPlanningCase, MspPlanningHttpCase

NAN = float("nan")
INF = float("inf")
DEEP = "[" * 2000 + "]" * 2000

PLAN = "msp.business.plan"
OBJECTIVE = "msp.business.plan.objective"
TARGET = "msp.business.plan.objective.target"
UPDATE = "msp.business.plan.objective.update"
REVIEW = "msp.business.review"
SCORE = "msp.business.review.score"
TOPIC = "msp.business.review.topic"
INITIATIVE = "msp.business.plan.initiative"


def _vals(**values):
    """Values for the case's own fixture-free write."""
    return lambda f: values


# fmt: off
# (label, model, subject written (None: a record is created), values(f), the message says)
ORM_CASES = [
    # Plans
    ("plan ending before it starts", PLAN, None,
     lambda f: f._plan_vals(date_start=date(2026, 12, 31), date_end=date(2026, 1, 1)),
     "cannot end"),
    ("plan moved to end before it starts", PLAN, "plan",
     _vals(date_end=date(2025, 6, 30)), "cannot end"),
    ("plan over a thousand years", PLAN, None,
     lambda f: f._plan_vals(date_start=date(1900, 1, 1), date_end=date(2999, 12, 31)), "years"),
    ("plan date that is no date", PLAN, None,
     lambda f: f._plan_vals(date_end="31/12/2026"), "date"),
    ("annual revenue negative", PLAN, "plan", _vals(client_annual_revenue=-5.0), "revenue"),
    ("annual revenue NaN", PLAN, "plan", _vals(client_annual_revenue=NAN), "revenue"),
    # Objectives: weights, targets, deal filters, summed fields
    ("weight 0", OBJECTIVE, "objective", _vals(weight=0), "1 and 100"),
    ("weight 101", OBJECTIVE, None, lambda f: f._objective_vals(weight=101), "1 and 100"),
    ("weight negative", OBJECTIVE, "objective", _vals(weight=-3), "1 and 100"),
    ("weight not a number", OBJECTIVE, "objective", _vals(weight="ten"), "weight"),
    ("target negative", OBJECTIVE, "objective", _vals(target_value=-1.0), "positive"),
    ("target NaN", OBJECTIVE, None, lambda f: f._objective_vals(target_value=NAN), "positive"),
    ("target infinite", OBJECTIVE, "objective", _vals(target_value=INF), "positive"),
    ("target huge", OBJECTIVE, "objective", _vals(target_value=1e300), "too large"),
    ("target not a number", OBJECTIVE, "objective", _vals(target_value="lots"), "number"),
    ("deal filter that is code", OBJECTIVE, "objective_deals",
     _vals(lead_domain="__import__('os').system('touch /tmp/msp_pwned')"), "filter"),
    ("deal filter calling a function", OBJECTIVE, "objective_deals",
     _vals(lead_domain="[('id', 'in', list(range(10**9)))]"), "filter"),
    ("deal filter on an unknown field", OBJECTIVE, "objective_deals",
     _vals(lead_domain="[('no_such_field', '=', 1)]"), "filter"),
    ("deal filter not a list", OBJECTIVE, "objective_deals",
     _vals(lead_domain="{'name': 'x'}"), "list of conditions"),
    ("deal filter nested too deep", OBJECTIVE, "objective_deals", _vals(lead_domain=DEEP),
     "filter"),
    ("deal filter with a bad operator", OBJECTIVE, "objective_deals",
     _vals(lead_domain="[('name', 'DROP TABLE', 'x')]"), "filter"),
    ("summed field not numeric", OBJECTIVE, "objective_deals",
     lambda f: {"measure": "sum", "sum_field_id": f._lead_field("name").id}, "cannot be added"),
    # Period targets
    ("period target negative", TARGET, "target", _vals(target_value=-2.0), "positive"),
    ("period target NaN", TARGET, "target", _vals(target_value=NAN), "positive"),
    ("period outside the plan", TARGET, None,
     lambda f: f._target_vals(date_start=date(2027, 1, 1), date_end=date(2027, 1, 31)), "within"),
    ("period ending before it starts", TARGET, None,
     lambda f: f._target_vals(date_start=date(2026, 3, 31), date_end=date(2026, 3, 1)),
     "cannot end"),
    ("period overlapping another", TARGET, None,
     lambda f: f._target_vals(date_start=date(2026, 1, 15), date_end=date(2026, 2, 15)),
     "overlaps"),
    ("period moved over another", TARGET, "target", _vals(date_end=date(2026, 5, 1)), "overlaps"),
    # Progress updates
    ("update outside the plan", UPDATE, None,
     lambda f: f._update_vals(date=date(2025, 12, 31)), "outside the plan"),
    ("update NaN", UPDATE, None, lambda f: f._update_vals(value=NAN), "number"),
    ("update huge", UPDATE, None, lambda f: f._update_vals(value=1e300), "too large"),
    ("update infinite", UPDATE, None, lambda f: f._update_vals(value=-INF), "too large"),
    ("update not a number", UPDATE, None, lambda f: f._update_vals(value="lots"), "number"),
    ("update NaN as text", UPDATE, None, lambda f: f._update_vals(value="nan"), "number"),
    ("update on an automatic objective", UPDATE, None,
     lambda f: f._update_vals(objective_id=f.objective_deals.id), "manual objectives"),
    # Reviews, scores, topics, initiatives
    ("review outside the plan", REVIEW, None,
     lambda f: {"plan_id": f.plan.id, "date": date(2030, 1, 1)}, "outside"),
    ("review period reversed", REVIEW, "review",
     _vals(period_start=date(2026, 6, 30), period_end=date(2026, 4, 1)), "cannot end"),
    ("review rating 9", REVIEW, "review", _vals(feedback_rating=9), "1 to 5"),
    ("review rating not a number", REVIEW, "review", _vals(feedback_rating="great"), "1 to 5"),
    ("review attended by a competitor", REVIEW, "review",
     lambda f: {"attendee_partner_ids": [Command.link(f.partner_b_contact.id)]}, "not a contact"),
    ("score 101", SCORE, "score", _vals(score=101), "0 to 100"),
    ("score not a number", SCORE, "score", _vals(score="high"), "0 to 100"),
    ("target score negative", SCORE, None, lambda f: f._score_vals(target_score=-1), "0 to 100"),
    ("second score for a topic", SCORE, None,
     lambda f: f._score_vals(topic_id=f.score.topic_id.id), "one line per"),
    ("topic weight 0", TOPIC, None, _vals(name="Zero", weight=0), "1 and 100"),
    ("topic weight 101", TOPIC, None, _vals(name="Heavy", weight=101), "1 and 100"),
    ("initiative budget negative", INITIATIVE, "initiative", _vals(budget=-100.0), "positive"),
    ("initiative budget NaN", INITIATIVE, "initiative", _vals(budget=NAN), "positive"),
    ("initiative budget huge", INITIATIVE, "initiative", _vals(budget=1e300), "too large"),
    ("initiative outside the plan", INITIATIVE, None,
     lambda f: {"plan_id": f.plan.id, "name": "Late", "date": date(2031, 1, 1)}, "outside"),
    # Registrations (planning user)
    ("registration without a date", "crm.lead", None,
     lambda f: {"name": "No date", "registered_partner_id": f.partner_a.id,
                "registration_state": "approved", "registration_date": False},
     "registration date"),
    ("registration status without partner", "crm.lead", None,
     _vals(name="Orphan", registration_state="submitted"), "no registering partner"),
    # Settings
    ("protection of zero days", "res.config.settings", None,
     _vals(msp_registration_protection_days=0), "at least one day"),
]
# fmt: on

# Models whose counts must not move.
COUNTED_MODELS = (
    "msp.business.plan",
    "msp.business.plan.objective",
    "msp.business.plan.objective.target",
    "msp.business.plan.objective.update",
    "msp.business.review",
    "msp.business.review.item",
    "msp.business.review.score",
    "msp.business.review.topic",
    "msp.business.plan.initiative",
    "crm.lead",
    "mail.message",
)


class BadInputCommon:
    @classmethod
    def _setup_bad_input_fixtures(cls):
        cls.plan = cls._create_plan(name="Alpha Input Plan", state="in_progress")
        cls.objective = cls._create_objective(cls.plan, name="Input clients", periodicity="monthly")
        cls.objective_deals = cls._create_objective(
            cls.plan, name="Input deals", objective_type="deal_registration"
        )
        cls.target = cls.objective.target_ids.sorted("date_start")[0]
        cls._add_update(cls.objective, 2, date(2026, 3, 1))
        cls.review = cls._create_review(cls.plan, date=date(2026, 7, 10))
        cls.score = cls.env["msp.business.review.score"].create(
            {"review_id": cls.review.id, "topic_id": cls._review_topics()[0].id, "score": 40}
        )
        cls.initiative = cls._create_initiative(cls.plan)

    def _plan_vals(self, **values):
        return {"name": "Input", "partner_id": self.partner_a.id, **values}

    def _objective_vals(self, **values):
        return {"plan_id": self.plan.id, "name": "Input", "target_value": 5, **values}

    def _target_vals(self, **values):
        return {"objective_id": self.objective.id, "name": "Input period", **values}

    def _update_vals(self, **values):
        return {"objective_id": self.objective.id, "value": 1, "date": date(2026, 4, 1), **values}

    def _score_vals(self, **values):
        return {
            "review_id": self.review.id,
            "topic_id": self._review_topics()[1].id,
            "score": 10,
            **values,
        }

    def _lead_field(self, name):
        return self.env["ir.model.fields"]._get("crm.lead", name)

    def _counts(self):
        self.env.flush_all()
        self.env.invalidate_all()
        return {
            model: self.env[model].sudo().with_context(active_test=False).search_count([])
            for model in COUNTED_MODELS
        }


class TestValueChecks(MspDoctestCase):
    def test_doctests(self):
        self.assertDoctests(values, at_least=6)


class TestBadInputAtTheOrm(BadInputCommon, MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bad_input_fixtures()

    def _attempt(self, model, subject, values):
        env = self.env(user=self.user_manager if model == "res.config.settings" else self.user_own)
        if model == "res.config.settings":
            env = self.env(user=self.env.ref("base.user_admin"))
        with self.env.cr.savepoint():
            if subject:
                getattr(self, subject).with_env(env).write(values)
            else:
                records = env[model].create(values)
                if model == "res.config.settings":
                    records.execute()
            env.flush_all()

    def test_every_bad_value_is_refused_with_a_message_and_writes_nothing(self):
        wrong = []
        for label, model, subject, make_values, message in ORM_CASES:
            before = self._counts()
            snapshot = getattr(self, subject).read()[0] if subject else None
            try:
                with mute_logger("odoo.sql_db", "odoo.models"):
                    self._attempt(model, subject, make_values(self))
            except (ValidationError, UserError) as error:
                if message.lower() not in str(error).lower():
                    wrong.append(f"{label}: message {str(error)!r} does not say {message!r}")
            except Exception as error:
                wrong.append(f"{label}: {type(error).__name__}: {str(error)[:150]}")
            else:
                wrong.append(f"{label}: accepted")
            self.env.invalidate_all()
            if self._counts() != before:
                wrong.append(f"{label}: counts changed")
            if subject and getattr(self, subject).read()[0] != snapshot:
                wrong.append(f"{label}: {subject} changed")
        self.assertFalse(wrong, "\n".join(wrong))

    def test_planning_user_sums_a_deal_field(self):
        """The right input still goes through for a channel manager, who may not read
        field definitions: the summed field is checked and used as metadata."""
        objective = self.objective_deals.with_user(self.user_own)
        objective.write({"measure": "sum", "sum_field_id": self._lead_field("probability").id})
        self._create_registration(self.partner_a, probability=40)
        self.assertEqual(objective.actual_value, 40)
        objective.invalidate_recordset()
        objective.action_refresh_actuals()
        self.assertEqual(objective.actual_value, 40)

    def test_html_is_sanitized_not_refused(self):
        script = '<p>Plan</p><script>alert("x")</script><img src=x onerror="alert(1)">'
        plan = self.plan.with_user(self.user_own)
        plan.write({"partner_commitment": script, "description": script})
        self.review.with_user(self.user_own).write({"summary": script})
        for value in (plan.partner_commitment, plan.description, self.review.summary):
            self.assertIn("<p>Plan</p>", value)
            self.assertNotIn("<script", value)
            self.assertNotIn("onerror", value)

    def test_formula_like_text_is_exported_as_text(self):
        formula = '=HYPERLINK("http://evil.test","Click")'
        self.plan.name = "+cmd|' /C calc'!A0"
        self.objective.name = formula
        self.target.name = "@SUM(1+1)"
        workbook = openpyxl.load_workbook(
            io.BytesIO(self.plan.with_user(self.user_own).export_xlsx())
        )
        cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
        texts = {cell.value for cell in cells if cell.data_type == "s"}
        self.assertLessEqual({formula, "+cmd|' /C calc'!A0", "@SUM(1+1)"}, texts)
        self.assertFalse([cell.coordinate for cell in cells if cell.data_type == "f"])


@tagged("post_install", "-at_install")
class TestBadInputOverRpcAndPortal(BadInputCommon, MspPlanningHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bad_input_fixtures()

    def _jsonrpc(self, url, params):
        """The JSON-RPC answer (result or error) of ``url``, with NaN and infinities
        sent as the JSON extensions Python's and Odoo's parsers accept."""
        self.env.flush_all()
        with mute_logger("odoo.http", "odoo.sql_db", "odoo.models"):
            response = self.url_open(
                url,
                data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
                headers={"Content-Type": "application/json"},
            )
        self.env.invalidate_all()
        return response.json()

    def _call_kw(self, model, method, args, kwargs=None):
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        return self._jsonrpc(f"/web/dataset/call_kw/{model}/{method}", params)

    def test_json_rpc(self):
        self.authenticate(self.user_own.login, self.user_own.login)
        Objective = "msp.business.plan.objective"
        cases = [
            (Objective, "create", [{"plan_id": self.plan.id, "name": "X", "weight": 101}]),
            (Objective, "create", [{"plan_id": self.plan.id, "name": "X", "target_value": NAN}]),
            (Objective, "write", [self.objective.ids, {"target_value": -INF}]),
            (Objective, "write", [self.objective.ids, {"weight": "heavy"}]),
            (Objective, "write", [self.objective_deals.ids, {"lead_domain": "[('x', '=', 1)]"}]),
            ("msp.business.plan", "write", [self.plan.ids, {"date_end": "2020-01-01"}]),
            (
                "msp.business.plan.objective.update",
                "create",
                [{"objective_id": self.objective.id, "value": NAN, "date": "2026-05-01"}],
            ),
            (
                "msp.business.plan.objective.target",
                "write",
                [self.target.ids, {"target_value": -1}],
            ),
        ]
        before = self._counts()
        for model, method, args in cases:
            with self.subTest(model=model, method=method, args=args):
                error = self._call_kw(model, method, args).get("error")
                self.assertTrue(error, "accepted")
                self.assertIn(
                    error["data"]["name"],
                    ("odoo.exceptions.ValidationError", "odoo.exceptions.UserError"),
                    error["data"]["message"],
                )
        self.assertEqual(self._counts(), before)
        self.assertEqual(self.objective.weight, 10)

    def test_json_rpc_as_portal_user(self):
        self.authenticate(self.portal_a.login, self.portal_a.login)
        before = self._counts()
        for model, method, args in (
            (
                "msp.business.plan.objective.update",
                "create",
                [{"objective_id": self.objective.id, "value": 1, "date": "2026-05-01"}],
            ),
            ("msp.business.plan", "write", [self.plan.ids, {"partner_commitment": "<p>x</p>"}]),
            (
                "crm.lead",
                "create",
                [{"name": "Direct", "registered_partner_id": self.partner_a.id}],
            ),
            ("msp.business.plan", "read", [self.plan.ids, ["description"]]),
        ):
            with self.subTest(model=model, method=method):
                error = self._call_kw(model, method, args).get("error")
                self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessError")
        self.assertEqual(self._counts(), before)

    def _post(self, url, data):
        self.env.flush_all()
        data = {**data, "csrf_token": http.Request.csrf_token(self)}
        response = self.url_open(url, data=data, allow_redirects=False)
        self.env.invalidate_all()
        return response

    def test_portal_forms(self):
        """Each bad form is shown again with a message; nothing is written."""
        self.authenticate(self.portal_a.login, self.portal_a.login)
        plan_url = f"/my/business-plans/{self.plan.id}"
        update_url = f"{plan_url}/objectives/{self.objective.id}/update"
        deal_url = "/my/deal-registrations/new"

        def progress(**values):
            return {"value": "1", "note": "", "date": "2026-05-01", **values}

        def deal(**values):
            return {"name": "Deal", "partner_name": "Customer", **values}

        cases = [
            (update_url, progress(value="-1e400")),
            (update_url, progress(value="NaN")),
            (update_url, progress(value="1e13")),
            (update_url, progress(value="10000000000000")),
            (update_url, progress(value="twelve")),
            (update_url, progress(value="")),
            (update_url, progress(date="2026-02-30")),
            (update_url, progress(date="2025-12-31")),
            (update_url, progress(date="9999-12-31")),
            (update_url, progress(note="x" * 2001)),
            (f"{plan_url}/commitment", {"partner_commitment": "<p>x</p>" * 10000}),
            (deal_url, deal(expected_revenue="-5")),
            (deal_url, deal(expected_revenue="NaN")),
            (deal_url, deal(expected_revenue="1e400")),
            (deal_url, deal(date_deadline="2999-01-01")),
            (deal_url, deal(date_deadline="1999-01-01")),
            (deal_url, deal(email_from="not an e-mail")),
            (deal_url, deal(name="x" * 201)),
            (deal_url, deal(description="x" * 5001)),
            (deal_url, deal(phone="=cmd|' /C calc'!A0")),
            (deal_url, {"name": "", "partner_name": ""}),
        ]
        before = self._counts()
        for url, data in cases:
            with self.subTest(url=url, data={k: v[:40] for k, v in data.items()}):
                response = self._post(url, {**data, "form_key": secrets.token_urlsafe(24)})
                self.assertEqual(response.status_code, 200)
                self.assertRegex(response.text, r"o_msp_(progress_|commitment_|field_)?error")
        self.assertEqual(self._counts(), before)

    def test_portal_oversized_attachment(self):
        """A file larger than allowed, attached to a message on the plan: the message
        is refused with a message, nothing is posted, the file is on no plan."""
        self.authenticate(self.portal_a.login, self.portal_a.login)
        plan_thread = {"thread_model": "msp.business.plan", "thread_id": self.plan.id}
        before = self._counts()
        with patch.object(msp_business_plan, "PORTAL_ATTACHMENT_MAX_SIZE", 1024):
            for name, size, accepted in (("small.pdf", 1024, True), ("big.pdf", 1025, False)):
                with self.subTest(name=name):
                    upload = self.url_open(
                        "/mail/attachment/upload",
                        data={
                            **plan_thread,
                            "is_pending": "true",
                            "csrf_token": http.Request.csrf_token(self),
                        },
                        files={"ufile": (name, b"x" * size, "application/pdf")},
                    ).json()
                    attachment_id, token = compat.uploaded_attachment(upload)
                    params = compat.message_post_params(
                        plan_thread["thread_model"],
                        plan_thread["thread_id"],
                        {
                            "body": f"Here is {name}",
                            "message_type": "comment",
                            "attachment_ids": [attachment_id],
                        },
                        [token],
                    )
                    answer = self._jsonrpc("/mail/message/post", params)
                    if accepted:
                        self.assertNotIn("error", answer)
                    else:
                        self.assertIn("too large to attach", answer["error"]["data"]["message"])
        self.env.invalidate_all()
        after = self._counts()
        self.assertEqual(after["mail.message"], before["mail.message"] + 1)
        self.assertEqual(self.plan.message_ids.attachment_ids.mapped("name"), ["small.pdf"])

    def test_portal_duplicate_submissions(self):
        """The same form sent twice (double click) records once."""
        self.authenticate(self.portal_a.login, self.portal_a.login)
        key = secrets.token_urlsafe(24)
        update_url = f"/my/business-plans/{self.plan.id}/objectives/{self.objective.id}/update"
        before = self._counts()
        for _attempt in range(2):
            self._post(update_url, {"value": "2", "date": "2026-05-01", "form_key": key})
            self._post(
                "/my/deal-registrations/new",
                {"name": "Twice", "partner_name": "Twice Customer", "form_key": key},
            )
        after = self._counts()
        self.assertEqual(
            after["msp.business.plan.objective.update"],
            before["msp.business.plan.objective.update"] + 1,
        )
        self.assertEqual(after["crm.lead"], before["crm.lead"] + 1)
        self.assertTrue(math.isclose(self.objective.actual_value, 4.0))
