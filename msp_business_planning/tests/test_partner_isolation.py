"""What staff wrote for themselves stays theirs: vector x model x user.

A partner's user (portal contact, or the anonymous visitor of a share link) may
read its own plans, reviews and registrations, never the vendor's notes,
activities, followers, internal files or staff-only fields: not by id, not through
a search, count, order or group-by that goes through them, not by posting, and not
by sending a context key. Each table below is played cell by cell; a failing cell
is reported with its row.
"""

import re
from datetime import date
from pathlib import Path

from odoo.exceptions import AccessError, UserError
from odoo.tools import mute_logger

from ..tools import compat, partner_isolation
from .common import MspPlanningCase

ADDON = "msp_business_planning"
ADDON_PATH = Path(__file__).resolve().parent.parent
# The people a partner's records are isolated from the vendor for.
PARTNER_PERSONAS = ("portal_a", "anon")


class TestPartnerIsolation(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.anon = cls.env.ref("base.public_user")
        cls.users = {"portal_a": cls.portal_a, "anon": cls.anon}
        Message = cls.env["mail.message"]
        first_message = Message.search([], order="id desc", limit=1).id

        # A's running plan, its channel manager and A's contact following it.
        cls.plan = cls._create_plan(name="Alpha isolated plan", state="draft")
        cls.objective = cls._create_objective(cls.plan, name="Isolated clients")
        cls.plan.message_subscribe(
            partner_ids=(cls.partner_a_contact | cls.user_own.partner_id).ids
        )
        cls.plan.with_user(cls.user_own).action_start()
        cls.public_file = cls._attachment("public_deck.pdf", cls.plan)
        cls.public_comment = cls.plan.message_post(
            body="Public hello",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=cls.public_file.ids,
        )
        # What staff write for themselves from the chatter: a note with a file, a
        # log without comment type (as the addon's notes were), an activity.
        cls.secret_file = cls._attachment("CLOUDNINE_pricing_secret.pdf", cls.plan)
        cls.staff_note = cls.plan.with_user(cls.user_own).message_post(
            body="drop bytewise",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            attachment_ids=cls.secret_file.ids,
        )
        cls.staff_log = cls.plan.message_post(
            body="Legacy log about Beta", subtype_xmlid="mail.mt_note"
        )
        cls.activity = cls.plan.activity_schedule(
            "mail.mail_activity_data_todo",
            summary="Call bytewise about the drop",
            note="Secret pricing",
            user_id=cls.user_own.id,
        )
        cls.plan.with_user(cls.portal_a).sudo()._portal_update_partner_commitment(
            "<p>We commit</p>"
        )

        # A review done, rated by the partner, reopened by the administrator.
        cls.review = cls._create_review(cls.plan, draft_agenda=False, date=date(2026, 4, 10))
        cls.review.action_done()
        cls.review.with_user(cls.portal_a).action_submit_feedback(4, "Useful")
        cls.review.with_user(cls.user_manager).action_reopen()
        cls.review.activity_schedule(
            "mail.mail_activity_data_todo", summary="Review drop bytewise", user_id=cls.user_own.id
        )

        # A's registration in conflict with B's deal, acknowledged by the approver
        # (the note names B's lead); an approved one extended; one from the portal.
        cls.lead_b = cls._create_registration(cls.partner_b, partner_name="Globex Isolated")
        cls.lead = cls._create_registration(cls.partner_a_contact, partner_name="Globex Isolated")
        cls.lead.with_user(cls.user_own).action_acknowledge_registration_conflicts()
        cls.lead.description = "<p>Staff only: Beta offered less</p>"
        cls.lead.activity_schedule(
            "mail.mail_activity_data_todo", summary="Lead drop bytewise", user_id=cls.user_own.id
        )
        cls.lead_approved = cls._create_registration(
            cls.partner_a, state="approved", registration_expiry_date=date(2026, 12, 1)
        )
        cls.lead_approved.with_user(cls.user_own).action_extend_registration()
        cls.lead_portal = (
            cls.env["crm.lead"]
            .with_user(cls.portal_a)
            ._register_deal_from_portal(
                {"name": "Portal deal", "partner_name": "Initech", "description": "Seats"}
            )
            .sudo()
        )
        cls.env.flush_all()

        cls.records = {
            "msp.business.plan": cls.plan,
            "msp.business.review": cls.review,
            "crm.lead": cls.lead | cls.lead_approved | cls.lead_portal,
        }
        messages = Message.search(
            [
                ("id", ">", first_message),
                "|",
                "|",
                "&",
                ("model", "=", "msp.business.plan"),
                ("res_id", "=", cls.plan.id),
                "&",
                ("model", "=", "msp.business.review"),
                ("res_id", "=", cls.review.id),
                "&",
                ("model", "=", "crm.lead"),
                ("res_id", "in", cls.records["crm.lead"].ids),
            ]
        )
        public = messages.filtered_domain(partner_isolation.PUBLIC_MESSAGE_DOMAIN)
        cls.staff_messages = messages - public
        cls.addon_notes = messages.filtered(
            lambda m: re.search(
                r"Plan started by|commitment updated|Feedback from|Review reopened|"
                r"Conflicts acknowledged|Protection period extended|registered from the portal",
                m.body or "",
            )
        )

    @classmethod
    def _attachment(cls, name, record):
        return cls.env["ir.attachment"].create(
            {"name": name, "raw": b"%PDF-1.4", "res_model": record._name, "res_id": record.id}
        )

    def _as(self, persona):
        return self.env(user=self.users[persona], context={})

    def _attempt(self, call):
        """ "A" for an AccessError, else what the call gives (nothing is kept)."""
        try:
            with mute_logger("odoo.access", "odoo.models"), self.env.cr.savepoint():
                result = call()
                self.env.flush_all()
                return result
        except AccessError:
            return "A"
        finally:
            self.env.invalidate_all()

    # ------------------------------------------------------------
    # NOTES BY ID
    # ------------------------------------------------------------

    def test_every_note_of_the_addon_is_an_internal_comment(self):
        """One helper logs every note: a comment with the note subtype, the only
        kind Odoo itself hides from partners by id."""
        self.assertEqual(len(self.addon_notes), 7, self.addon_notes.mapped("body"))
        note = self.env.ref("mail.mt_note")
        for message in self.addon_notes:
            with self.subTest(body=message.body):
                self.assertEqual(message.message_type, "comment")
                self.assertEqual(message.subtype_id, note)

    def test_staff_messages_are_unreadable_by_id_unsearchable_and_uncounted(self):
        """vector x message x user: every non-public message of A's plan, review and
        registrations (the addon's notes, chatter notes, a log without comment type,
        activity reports) read by id, searched by id, counted and grouped."""
        self.assertGreaterEqual(len(self.staff_messages), 9)
        vectors = {
            "read": lambda Message, mid: Message.browse(mid).read(["body"]),
            "search": lambda Message, mid: Message.search([("id", "=", mid)]).ids or "0",
            "count": lambda Message, mid: Message.search_count([("id", "=", mid)]) or "0",
            "by record": lambda Message, mid: (
                mid in Message.search([("res_id", "=", Message.browse(mid).sudo().res_id)]).ids
                or "0"
            ),
            "group": lambda Message, mid: (
                Message._read_group([("id", "=", mid)], [], ["__count"])[0][0] or "0"
            ),
        }
        leaks = []
        for message in self.staff_messages:
            for persona in PARTNER_PERSONAS:
                Message = self._as(persona)["mail.message"]
                for vector, call in vectors.items():
                    outcome = self._attempt(lambda c=call, M=Message, m=message: c(M, m.id))
                    if outcome not in ("A", "0"):
                        leaks.append(f"{vector:<10} {persona:<9} {message.model} {message.body}")
        self.assertFalse(leaks, "Staff messages reached:\n" + "\n".join(leaks))
        # The partner reads the public comment, by id and in a search.
        Message = self._as("portal_a")["mail.message"]
        self.assertEqual(
            Message.browse(self.public_comment.id).read(["body"])[0]["body"],
            self.public_comment.body,
        )
        self.assertIn(self.public_comment, Message.search([("res_id", "=", self.plan.id)]))

    def test_chatter_records_by_id(self):
        """record x user: the activity, a follower and the note's file, read or
        counted by id (Odoo's own rights on those models; kept as rows so a change
        of the host or of the addon's rights shows here)."""
        follower = self.plan.message_follower_ids.filtered(
            lambda f: f.partner_id == self.user_own.partner_id
        )
        leaks = [
            f"{record._name} as {persona}"
            for record in (self.activity, follower, self.secret_file)
            for persona in PARTNER_PERSONAS
            for call in (
                lambda r=record, p=persona: r.with_env(self._as(p)).read(["display_name"]),
                lambda r=record, p=persona: (
                    self._as(p)[r._name].search_count([("id", "=", r.id)]) or "0"
                ),
            )
            if self._attempt(call) not in ("A", "0")
        ]
        self.assertFalse(leaks, "Chatter records reached:\n" + "\n".join(leaks))

    # ------------------------------------------------------------
    # SEARCH ORACLES
    # ------------------------------------------------------------

    def _guarded_models(self):
        mixin = self.env.registry["msp.partner.isolation.mixin"]
        return sorted(
            name
            for name, model in self.env.registry.items()
            if not model._abstract and issubclass(model, mixin)
        )

    def _chatter_paths(self, model_name):
        """Every path of ``model_name`` into the vendor's chatter records, directly
        or through a many2one to another guarded model."""
        Model = self.env[model_name]
        guarded = set(self._guarded_models())
        direct = [
            f"{name}.id"
            for name, field in Model._fields.items()
            if field.comodel_name in partner_isolation.STAFF_COMODELS
        ]
        hops = [
            f"{name}.{path}"
            for name, field in Model._fields.items()
            if field.type == "many2one" and field.comodel_name in guarded - {model_name}
            for path in ("message_ids.body", "activity_ids.summary")
            if "message_ids" in self.env[field.comodel_name]._fields
        ]
        return direct + hops

    def _staff_field_paths(self, model_name):
        """Every searchable field of ``model_name`` a portal user may not read."""
        Model = self.env[model_name]
        portal_env = self._as("portal_a")
        return [
            name
            for name, field in Model._fields.items()
            if (field.store or field.search)
            and not compat.has_field_access(Model.with_env(portal_env), "read", name)
            and field.comodel_name not in partner_isolation.STAFF_COMODELS
        ]

    def test_every_guarded_model_is_every_model_of_the_addon_and_leads(self):
        models = {
            name
            for name, model in self.env.registry.items()
            if model._original_module == ADDON and not model._abstract and not model._transient
        }
        self.assertEqual(set(self._guarded_models()), models | {"crm.lead"})

    def test_paths_into_chatter_and_staff_fields_are_refused(self):
        """vector (domain, any, order, group-by) x path x model x user: refused with
        an AccessError, whatever the path goes through."""
        leaks = []
        for model_name in self._guarded_models():
            paths = self._chatter_paths(model_name) + self._staff_field_paths(model_name)
            for path, persona in ((p, u) for p in paths for u in PARTNER_PERSONAS):
                Model = self._as(persona)[model_name]
                head, _dot, rest = path.partition(".")
                vectors = {
                    "domain": lambda M=Model, p=path: M.search_count([(p, "!=", False)]),
                }
                if rest in ("", "id"):
                    # The field itself is forbidden: sorting or grouping by it too.
                    vectors["order"] = lambda M=Model, h=head: M.search([], order=f"{h} desc").ids
                    vectors["group"] = lambda M=Model, h=head: M._read_group([], [h], ["__count"])
                if rest:
                    vectors["any"] = lambda M=Model, h=head, r=rest: M.search_count(
                        [(h, "any", [(r, "!=", False)])]
                    )
                for vector, call in vectors.items():
                    try:
                        outcome = self._attempt(call)
                    except (ValueError, UserError):
                        # Odoo refuses it anyway (e.g. no order by a one2many).
                        continue
                    if outcome != "A":
                        leaks.append(f"{vector:<7} {persona:<9} {model_name:<40} {path}")
        self.assertFalse(leaks, "Paths answered to partners:\n" + "\n".join(leaks))

    def test_the_oracles_of_the_issue(self):
        """The reported probes, one by one, on A's own records."""
        probes = {
            "msp.business.plan": (self.plan, ("message_ids.body", "drop bytewise")),
            "msp.business.review": (self.review, ("activity_ids.summary", "drop bytewise")),
            "crm.lead": (self.lead, ("activity_ids.note", "bytewise")),
        }
        for model_name, (record, (path, text)) in probes.items():
            Model = self._as("portal_a")[model_name]
            # A reads its record: only the path is refused.
            self.assertEqual(Model.search_count([("id", "=", record.id)]), 1, model_name)
            for domain in (
                [("id", "=", record.id), (path, "ilike", text)],
                [("id", "=", record.id), ("message_ids", "any", [("body", "ilike", "drop")])],
                [("message_follower_ids.partner_id.email", "ilike", "vendor.test")],
                [("website_message_ids.attachment_ids.name", "ilike", "secret")],
                # The chatter's own yes/no fields are questions about it too.
                [("id", "=", record.id), ("has_message", "=", True)],
                [("id", "=", record.id), ("message_has_error", "=", True)],
                [("id", "=", record.id), ("activity_exception_decoration", "!=", False)],
                [("id", "=", record.id), ("message_is_follower", "=", True)],
            ):
                with (
                    self.subTest(model=model_name, domain=domain),
                    mute_logger("odoo.access"),
                    self.assertRaises(AccessError),
                ):
                    Model.search_count(domain)
        # Staff keep searching their own notes.
        Plan = self.env(user=self.user_own)["msp.business.plan"]
        self.assertEqual(Plan.search_count([("message_ids.body", "ilike", "drop bytewise")]), 1)

    # ------------------------------------------------------------
    # POSTING
    # ------------------------------------------------------------

    def test_message_post_vectors(self):
        """message_post over RPC by A's contact on its plan (it may post there):
        recipients and files, vector by vector."""
        plan = self.plan.with_user(self.portal_a)
        own_upload = (
            self.env["ir.attachment"]
            .with_user(self.portal_a)
            .sudo()
            .create(
                {
                    "name": "my_upload.txt",
                    "raw": b"mine",
                    "res_model": "mail.compose.message",
                    "res_id": 0,
                }
            )
        )
        rows = {
            "competitor's contact": ({"partner_ids": self.partner_b_contact.ids}, "A"),
            "an outsider's partner": ({"partner_ids": self.partner_b.ids}, "A"),
            "staff's file": ({"attachment_ids": self.secret_file.ids}, "A"),
            "a posted file": ({"attachment_ids": self.public_file.ids}, "A"),
            "a follower": ({"partner_ids": self.user_own.partner_id.ids}, "Y"),
            "own upload": (
                {"attachment_ids": own_upload.ids},
                "Y" if compat.PORTAL_RPC_POST_LINKS_OWN_UPLOADS else "A",
            ),
        }
        for label, (kwargs, expected) in rows.items():
            with self.subTest(label), mute_logger("odoo.access"):
                try:
                    with self.env.cr.savepoint():
                        message = plan.message_post(
                            body="Probe",
                            message_type="comment",
                            subtype_xmlid="mail.mt_comment",
                            **kwargs,
                        )
                        outcome = "Y"
                        self.assertEqual(
                            message.sudo().partner_ids.ids, kwargs.get("partner_ids", [])
                        )
                except AccessError as error:
                    outcome = "A"
                    reason = str(error)
                    self.assertNotIn("CLOUDNINE", str(error))
                    self.assertNotIn("public_deck", str(error))
                self.assertEqual(outcome, expected, outcome == "A" and reason)
        self.assertFalse(
            self.env["mail.notification"].search(
                [("res_partner_id", "=", self.partner_b_contact.id)]
            )
        )

    # ------------------------------------------------------------
    # REGISTRATIONS
    # ------------------------------------------------------------

    def test_internal_notes_of_a_lead_are_staff_only(self):
        """crm's Internal Notes are the staff's; what the partner typed is its own
        field, shown on the lead form as "Partner's description"."""
        portal_lead = self.lead_portal.with_user(self.portal_a)
        self.assertIn(
            "Seats", portal_lead.read(["registration_description"])[0]["registration_description"]
        )
        self.assertFalse(self.lead_portal.description)
        lead = self.lead.with_user(self.portal_a)
        with mute_logger("odoo.access"):
            for call in (
                lambda: lead.read(["description"]),
                lambda: lead.search_count([("description", "ilike", "Beta")]),
                lambda: lead._read_group([], ["description"], ["__count"]),
            ):
                with self.assertRaises(AccessError):
                    call()
        self.assertEqual(self.lead.with_user(self.user_own).description, self.lead.description)

    # ------------------------------------------------------------
    # CONTEXT KEYS
    # ------------------------------------------------------------

    def test_no_context_key_changes_what_the_addon_does(self):
        """No behaviour of the addon's code hangs on a context key of its own: a
        client sets any context it likes over JSON-RPC."""
        found = []
        pattern = re.compile(
            r"""context(?:\.get\(|\[)\s*["'](msp_\w+)|with_context\(\s*(msp_\w+)"""
        )
        for path in ADDON_PATH.rglob("*.py"):
            if "tests" in path.parts:
                continue
            found += [
                f"{path.name}: {m.group(1) or m.group(2)}"
                for m in pattern.finditer(path.read_text())
            ]
        for path in ADDON_PATH.rglob("*.xml"):
            found += [
                f"{path.name}: {key}" for key in re.findall(r"'(msp_\w+)'\s*:", path.read_text())
            ]
        self.assertFalse(found, "Context keys of the addon:\n" + "\n".join(found))

    def test_context_keys_sent_by_a_client_change_nothing(self):
        """Each key the addon once read, sent by the client: the call does what it
        does without it."""
        plan = self.plan.with_user(self.user_own)
        done = self._create_review(self.plan, draft_agenda=False, date=date(2026, 7, 10))
        item = self.env["msp.business.review.item"].create({"review_id": done.id, "name": "Kept"})
        done.action_done()
        done = done.with_user(self.user_own).with_context(msp_review_transition=True)
        # The lock of a done review, and the administrator-only reopening.
        with self.assertRaises(UserError):
            done.write({"date": date(2026, 7, 11)})
        with mute_logger("odoo.access"), self.assertRaises(AccessError):
            done.write({"state": "scheduled"})
        with self.assertRaises(UserError):
            item.with_env(done.env).write({"name": "Rewritten"})
        self.assertEqual((done.state, item.name), ("done", "Kept"))
        # Period targets are generated whatever the context says.
        objective = (
            self.env["msp.business.plan.objective"]
            .with_user(self.user_own)
            .with_context(msp_skip_target_generation=True)
            .create(
                {
                    "plan_id": self.plan.id,
                    "name": "Context probe",
                    "weight": 5,
                    "target_value": 40,
                    "periodicity": "quarterly",
                }
            )
        )
        self.assertEqual(len(objective.target_ids), 4)
        self.assertEqual(sum(objective.target_ids.mapped("target_value")), 40)
        # The agenda is drafted from pacing whatever the context says.
        drafted = {}
        for key, context in (("plain", {}), ("key", {"msp_skip_agenda_drafting": True})):
            review = (
                self.env["msp.business.review"]
                .with_user(self.user_own)
                .with_context(**context)
                .create({"plan_id": plan.id, "date": date(2026, 12, 20)})
            )
            drafted[key] = review.item_ids.filtered(lambda i: i.origin == "pace").mapped("name")
        self.assertTrue(drafted["plain"])
        self.assertEqual(drafted["key"], drafted["plain"])
        # The channel team's export keeps cancelled reviews whatever the context says.
        Export = self.env["msp.business.plan.xlsx"].with_user(self.user_own)
        self.assertFalse(Export.with_context(msp_xlsx_for_partner=True)._is_partner_export())
        self.assertTrue(Export.with_user(self.portal_a).sudo()._is_partner_export())

    def test_private_switches_still_work(self):
        """The actions keep doing what the keys did, through private methods."""
        review = self._create_review(self.plan, draft_agenda=False, date=date(2026, 9, 10))
        self.assertFalse(review.item_ids)
        review.action_done()
        self.assertEqual(review.state, "done")
        review.with_user(self.user_manager).action_reopen()
        self.assertEqual(review.state, "scheduled")
        self.assertEqual(self.objective.target_ids.mapped("target_value"), [25.0, 25.0, 25.0, 25.0])

    def test_staff_still_read_everything(self):
        """The guard is for partners only: the channel manager reads, searches and
        groups its plan's chatter as before."""
        env = self.env(user=self.user_own)
        plan = env["msp.business.plan"].browse(self.plan.id)
        self.assertTrue(plan.activity_ids)
        self.assertEqual(
            env["mail.message"].browse(self.staff_note.id).read(["body"])[0]["body"],
            self.staff_note.body,
        )
        self.assertEqual(
            env["msp.business.plan"].search_count([("activity_ids.summary", "ilike", "bytewise")]),
            1,
        )
