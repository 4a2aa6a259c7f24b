import doctest
import threading
from contextlib import contextmanager
from datetime import date

from odoo import SUPERUSER_ID, Command, api
from odoo.service.model import retrying
from odoo.tests import BaseCase, HttpCase, TransactionCase, new_test_user
from odoo.tools import mute_logger

from ..tools import compat


class MspDoctestCase(BaseCase):
    """Tests of a pure module (no ORM), with its doctests run as one test."""

    def assertDoctests(self, module, at_least):
        """Every example in the docstrings of ``module`` gives what it shows: at least
        ``at_least`` examples are run (a docstring lost by mistake is noticed), and a
        failure shows what each failing example gave."""
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        report = []
        for test in doctest.DocTestFinder().find(module):
            runner.run(test, out=report.append)
        self.assertGreaterEqual(runner.tries, at_least, f"doctests of {module.__name__}")
        self.assertEqual(runner.failures, 0, "".join(report))


class MspPlanningCommon:
    """Users, partners and factories shared by every test of the addon.

    A mixin, so both ``TransactionCase`` and ``HttpCase`` tests can build on it.
    """

    @classmethod
    def _setup_msp_data(cls):
        # No tracking noise nor mail sending in tests unless a test asks for it.
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.ref("base.main_company")
        cls.company_2 = cls.env["res.company"].create({"name": "Second Vendor Company"})

        cls.partner_a = cls.env["res.partner"].create(
            {"name": "Alpha Managed Services", "is_company": True, "email": "info@alpha.test"}
        )
        cls.partner_a_contact = cls.env["res.partner"].create(
            {"name": "Ann Alpha", "parent_id": cls.partner_a.id, "email": "ann@alpha.test"}
        )
        cls.partner_b = cls.env["res.partner"].create(
            {"name": "Beta IT Partners", "is_company": True, "email": "info@beta.test"}
        )
        cls.partner_b_contact = cls.env["res.partner"].create(
            {"name": "Bob Beta", "parent_id": cls.partner_b.id, "email": "bob@beta.test"}
        )

        cls.user_own = new_test_user(
            cls.env,
            login="msp_own",
            name="Olivia Own",
            email="olivia@vendor.test",
            groups="base.group_user,sales_team.group_sale_salesman,"
            "msp_business_planning.group_user",
        )
        cls.user_all = new_test_user(
            cls.env,
            login="msp_all",
            name="Dora Director",
            email="dora@vendor.test",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads,"
            "msp_business_planning.group_user_all",
        )
        cls.user_manager = new_test_user(
            cls.env,
            login="msp_manager",
            name="Mark Manager",
            email="mark@vendor.test",
            groups="base.group_user,sales_team.group_sale_manager,"
            "msp_business_planning.group_manager",
        )
        cls.user_internal = new_test_user(
            cls.env,
            login="msp_internal",
            name="Ivy Internal",
            email="ivy@vendor.test",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.user_company_2 = new_test_user(
            cls.env,
            login="msp_company2",
            name="Carl Company Two",
            email="carl@vendor2.test",
            groups="base.group_user,msp_business_planning.group_user_all",
            company_id=cls.company_2.id,
            company_ids=[Command.set(cls.company_2.ids)],
        )
        cls.portal_a = new_test_user(
            cls.env,
            login="msp_portal_a",
            name="Ann Alpha",
            groups="base.group_portal",
            partner_id=cls.partner_a_contact.id,
        )
        cls.portal_b = new_test_user(
            cls.env,
            login="msp_portal_b",
            name="Bob Beta",
            groups="base.group_portal",
            partner_id=cls.partner_b_contact.id,
        )

    # ------------------------------------------------------------
    # FACTORIES
    # ------------------------------------------------------------

    @classmethod
    def _create_plan(cls, **values):
        values = {
            "name": "Alpha 2026",
            "partner_id": cls.partner_a.id,
            "user_id": cls.user_own.id,
            "date_start": date(2026, 1, 1),
            "date_end": date(2026, 12, 31),
            **values,
        }
        return cls.env["msp.business.plan"].create(values)

    @classmethod
    def _create_objective(cls, plan, **values):
        values = {
            "plan_id": plan.id,
            "name": "New customers",
            "objective_type": "manual",
            "weight": 10,
            "target_value": 100.0,
            "periodicity": "quarterly",
            **values,
        }
        return cls.env["msp.business.plan.objective"].create(values)

    @classmethod
    def _add_update(cls, objective, value, day, **values):
        return cls.env["msp.business.plan.objective.update"].create(
            {"objective_id": objective.id, "value": value, "date": day, **values}
        )

    @classmethod
    def _create_lead(cls, **values):
        """An ordinary lead (no registration) of the vendor's own pipeline."""
        values = {"name": "Vendor lead", "type": "opportunity", "user_id": False, **values}
        return cls.env["crm.lead"].create(values)

    @classmethod
    def _create_registration(cls, partner, day=None, state="submitted", **values):
        """A deal registered by ``partner`` (a company or one of its contacts) on
        ``day``, in ``state``; approved ones also get a qualification date."""
        values = {
            "name": "Registered deal",
            "type": "opportunity",
            "user_id": False,
            "registered_partner_id": partner.id,
            "registration_state": state,
            "registration_date": day or date(2026, 2, 1),
            **values,
        }
        return cls.env["crm.lead"].create(values)

    @classmethod
    def _won_stage(cls):
        return cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)

    @classmethod
    def _create_review(cls, plan, draft_agenda=True, **values):
        """A review of ``plan``, created in the plan's environment (user, context),
        attended by the plan's channel manager and with a summary, as a review that
        can be marked done is; ``draft_agenda=False``: no agenda proposed from today's
        pacing, only the items a test creates."""
        values = {
            "plan_id": plan.id,
            "review_type": "qbr",
            "date": date(2026, 4, 10),
            "user_ids": [Command.set(plan.user_id.ids)],
            "summary": "<p>Review held.</p>",
            **values,
        }
        Review = plan.env["msp.business.review"]
        if not draft_agenda:
            return Review._create_reviews([values], draft_agenda=False)
        return Review.create(values)

    @classmethod
    def _create_initiative(cls, plan, **values):
        values = {
            "plan_id": plan.id,
            "name": "Firewall refresh",
            "date": date(2026, 5, 4),
            "budget": 1000.0,
            **values,
        }
        return cls.env["msp.business.plan.initiative"].create(values)

    @classmethod
    def _review_topics(cls):
        """The four topics shipped as data, in playbook order."""
        return [
            cls.env.ref(f"msp_business_planning.review_topic_{name}")
            for name in ("it_infrastructure", "cloud_services", "cybersecurity", "it_strategy")
        ]


class MspPlanningCase(MspPlanningCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_msp_data()


class MspPlanningHttpCase(MspPlanningCommon, HttpCase):
    """The same users, partners and factories for portal (HTTP) and browser tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Before any request: see compat.warm_static_files().
        compat.warm_static_files()
        cls._setup_msp_data()


class MspCommittedCase(TransactionCase):
    """Tests that commit, as concurrent requests and cron runs do: they build their
    records on cursors of their own (committed, named by a prefix), work on them from
    real cursors, possibly several at once, and remove them in a cleanup that runs
    whatever happens (``_cleanup``, also run first for leftovers of a crashed run)."""

    def _cleanup(self):
        """Remove what the test committed; each test class says what."""

    def setUp(self):
        super().setUp()
        self._cleanup()
        self.addCleanup(self._cleanup)

    @staticmethod
    def _unlink_named(env, model, prefix, field="name"):
        """Remove the ``model`` records (archived ones included) whose ``field`` starts
        with ``prefix``: what a test committed."""
        records = env[model].with_context(active_test=False)
        records.search([(field, "=like", f"{prefix}%")]).unlink()

    @contextmanager
    def _env(self):
        """A superuser environment on a new cursor, committed when the block ends."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def _run_in_threads(self, *functions):
        """Run each ``function(env)`` in its own thread and cursor, with Odoo's retry
        on serialization failures; return how many attempts each needed. The first
        error of a thread is raised; a thread still running after a minute fails the
        test as a deadlock."""
        attempts = [0] * len(functions)
        errors = []

        def run(index, function):
            try:
                with self._env() as env:

                    def attempt():
                        attempts[index] += 1
                        return function(env)

                    retrying(attempt, env)
            except Exception as error:
                errors.append(error)

        threads = [
            threading.Thread(target=run, args=(index, function), name=f"msp-committed-{index}")
            for index, function in enumerate(functions)
        ]
        with mute_logger("odoo.service.model", "odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertFalse([thread for thread in threads if thread.is_alive()], "deadlock")
        if errors:
            raise errors[0]
        return attempts
