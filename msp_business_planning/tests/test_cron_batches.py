"""The daily jobs go through the partner companies in batches that commit and resume.

These tests commit, as the cron runner does: each builds its own companies, plans and
deals in a committed set-up (names starting with ``MSP Cron Batch``), runs the jobs as
Odoo's cron runner calls them (a progress record in the context, a cursor of their own)
and deletes everything in a cleanup that runs whatever happens. The batch size is one
company, and each test starts its pass just before its own companies (the resume mark),
as a pass interrupted after the companies of the demo data would.
"""

import logging
from datetime import date, timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.tools import mute_logger

from ..tools import cron_batch
from .common import MspCommittedCase

PREFIX = "MSP Cron Batch"
NAMES = ("Alpha", "Beta", "Gamma")
REFRESH = "msp_business_planning.ir_cron_refresh_actuals"
PACING = "msp_business_planning.ir_cron_refresh_pacing"
EXPIRY = "msp_business_planning.ir_cron_expire_registrations"
MAILS = "msp_business_planning.ir_cron_send_progress_mails"
STALE = 999.0


class Killed(BaseException):
    """The worker killed in the middle of a batch: nothing of the batch is committed
    (not an ``Exception``: nothing catches it)."""


class TestCronBatches(MspCommittedCase):
    # ------------------------------------------------------------
    # COMMITTED SET-UP AND CLEANUP
    # ------------------------------------------------------------

    def _cleanup(self):
        with self._env() as env:
            for model in ("crm.lead", "msp.business.plan", "res.partner"):
                self._unlink_named(env, model, PREFIX)
            env["ir.config_parameter"].search(
                [
                    "|",
                    ("key", "=", cron_batch.BATCH_SIZE_PARAM),
                    ("key", "=like", f"{cron_batch.RESUME_PARAM}%"),
                ]
            ).unlink()

    def setUp(self):
        super().setUp()
        today = date.today()
        with self._env() as env:
            env["ir.config_parameter"].set_param(cron_batch.BATCH_SIZE_PARAM, "1")
            self.partner_ids, self.objective_ids, self.lead_ids = {}, {}, {}
            for name in NAMES:
                partner = env["res.partner"].create(
                    {"name": f"{PREFIX} {name}", "is_company": True}
                )
                plan = env["msp.business.plan"].create(
                    {
                        "name": f"{PREFIX} {name} plan",
                        "partner_id": partner.id,
                        "date_start": date(today.year, 1, 1),
                        "date_end": date(today.year, 12, 31),
                        "state": "in_progress",
                    }
                )
                objective = env["msp.business.plan.objective"].create(
                    {
                        "plan_id": plan.id,
                        "name": "Registered deals",
                        "objective_type": "deal_registration",
                        "target_value": 10,
                    }
                )
                lead = env["crm.lead"].create(
                    {
                        "name": f"{PREFIX} {name} deal",
                        "type": "opportunity",
                        "user_id": False,
                        "registered_partner_id": partner.id,
                        "registration_date": date(today.year, 1, 1),
                    }
                )
                self.partner_ids[name] = partner.id
                self.objective_ids[name] = objective.id
                self.lead_ids[name] = lead.id
        # Our companies are the newest: the pass starts right before them.
        self._set_mark("refresh_actuals", self.partner_ids["Alpha"] - 1)

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _set_mark(self, job, value):
        with self._env() as env:
            cron_batch._lock_mark(env, job)
            cron_batch._set_mark(env, job, value)

    def _mark(self, job):
        with self._env() as env:
            env.cr.execute(
                "SELECT value FROM ir_config_parameter WHERE key = %s",
                [cron_batch.RESUME_PARAM + job],
            )
            return int(env.cr.fetchone()[0])

    def _run_once(self, xmlid):
        """One call of the job's server action as Odoo's cron runner makes it (its own
        cursor, a progress record in the context); (done, remaining) it reported."""
        with self._env() as env:
            cron = env.ref(xmlid)
            cron, progress = cron.with_context(cron_id=cron.id)._add_progress()
            env.cr.commit()
            cron._callback(cron.cron_name, cron.ir_actions_server_id.id)
            progress.invalidate_recordset()
            return progress.done, progress.remaining

    def _make_stale(self):
        with self._env() as env:
            # STALE in each objective's first period, 0 in the others.
            env.cr.execute(
                """
                UPDATE msp_business_plan_objective_target target
                   SET actual_value = CASE WHEN target.id = first.id THEN %s ELSE 0 END
                  FROM (SELECT objective_id, MIN(id) AS id
                          FROM msp_business_plan_objective_target
                         WHERE objective_id = ANY(%s) GROUP BY objective_id) first
                 WHERE target.objective_id = first.objective_id
                """,
                [STALE, list(self.objective_ids.values())],
            )

    def _actuals(self):
        """{company name: its objective's stored actual, the sum of its periods'}."""
        with self._env() as env:
            env.cr.execute(
                "SELECT objective_id, SUM(actual_value) FROM msp_business_plan_objective_target"
                " WHERE objective_id = ANY(%s) GROUP BY objective_id",
                [list(self.objective_ids.values())],
            )
            by_id = dict(env.cr.fetchall())
        return {name: by_id[objective_id] for name, objective_id in self.objective_ids.items()}

    def _fresh(self):
        """What the actuals are once refreshed (not committed)."""
        with self._env() as env:
            objectives = env["msp.business.plan.objective"].browse(
                list(self.objective_ids.values())
            )
            objectives.action_refresh_actuals()
            env.cr.execute(
                "SELECT objective_id, SUM(actual_value) FROM msp_business_plan_objective_target"
                " WHERE objective_id = ANY(%s) GROUP BY objective_id",
                [objectives.ids],
            )
            fresh = dict(env.cr.fetchall())
            env.cr.rollback()
        return {name: fresh[objective_id] for name, objective_id in self.objective_ids.items()}

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_a_pass_commits_batch_by_batch_and_resumes_after_a_kill(self):
        fresh = self._fresh()
        self.assertEqual(set(fresh.values()), {1.0}, "one deal each")
        self._make_stale()

        self.assertEqual(self._run_once(REFRESH), (1, 2))
        self.assertEqual(self._actuals(), {"Alpha": 1.0, "Beta": STALE, "Gamma": STALE})
        self.assertEqual(self._mark("refresh_actuals"), self.partner_ids["Alpha"])

        # Killed while refreshing Beta: that batch is lost, Alpha's is kept.
        Objective = type(self.env["msp.business.plan.objective"])
        original = Objective.action_refresh_actuals

        def killed_refresh(records):
            original(records)
            raise Killed()

        with (
            patch.object(Objective, "action_refresh_actuals", killed_refresh),
            self.assertRaises(Killed),
        ):
            self._run_once(REFRESH)
        self.assertEqual(self._actuals(), {"Alpha": 1.0, "Beta": STALE, "Gamma": STALE})
        self.assertEqual(self._mark("refresh_actuals"), self.partner_ids["Alpha"])

        # The next runs resume after Alpha; the last batch ends the pass.
        self.assertEqual(self._run_once(REFRESH), (1, 1))
        self.assertEqual(self._actuals(), {"Alpha": 1.0, "Beta": 1.0, "Gamma": STALE})
        self.assertEqual(self._run_once(REFRESH), (1, 0))
        self.assertEqual(self._actuals(), fresh)
        self.assertEqual(self._mark("refresh_actuals"), 0, "a new pass starts from the first")

    def test_a_failing_batch_is_logged_rolled_back_and_the_others_are_kept(self):
        self._make_stale()
        Objective = type(self.env["msp.business.plan.objective"])
        original = Objective.action_refresh_actuals
        beta_objective = self.objective_ids["Beta"]

        def failing_refresh(records):
            original(records)  # written, then the failure: nothing of it may stay
            if beta_objective in records.ids:
                raise RuntimeError("Beta's deals cannot be read")

        with patch.object(Objective, "action_refresh_actuals", failing_refresh):
            self.assertEqual(self._run_once(REFRESH), (1, 2))
            with self.assertLogs(cron_batch.__name__, "ERROR") as logs:
                self.assertEqual(self._run_once(REFRESH), (1, 1))
            self.assertEqual(self._run_once(REFRESH), (1, 0))
        self.assertIn(str(self.partner_ids["Beta"]), logs.output[0])
        self.assertIn("Beta's deals cannot be read", logs.output[0])
        self.assertEqual(self._actuals(), {"Alpha": 1.0, "Beta": STALE, "Gamma": 1.0})
        self.assertEqual(self._mark("refresh_actuals"), 0)

    def test_a_batch_meeting_a_concurrent_change_is_tried_again(self):
        """A partner's deal written while its company's batch runs: the batch's UPDATE
        meets a real serialization failure, and the batch is done again in a new
        transaction, which sees that change, instead of being given up."""
        self._make_stale()
        Objective = type(self.env["msp.business.plan.objective"])
        original = Objective.action_refresh_actuals
        alpha_objective = self.objective_ids["Alpha"]
        calls = []

        def concurrent_refresh(records):
            calls.append(records.ids)
            if len(calls) == 1:
                # Another transaction changes Alpha's periods after this one began.
                with self._env() as env:
                    env.cr.execute(
                        "UPDATE msp_business_plan_objective_target SET actual_value = 7"
                        " WHERE objective_id = %s",
                        [alpha_objective],
                    )
            original(records)

        with (
            patch.object(Objective, "action_refresh_actuals", concurrent_refresh),
            # logging.INFO: Odoo names its level 25 "INFO" too.
            self.assertLogs(cron_batch.__name__, logging.INFO) as logs,
            mute_logger("odoo.sql_db"),
        ):
            self.assertEqual(self._run_once(REFRESH), (1, 2))
        self.assertEqual(len(calls), 2, "tried again once")
        self.assertIn("tried again", logs.output[0])
        self.assertFalse([line for line in logs.output if line.startswith("ERROR")])
        self.assertEqual(self._actuals()["Alpha"], 1.0)
        self.assertEqual(self._mark("refresh_actuals"), self.partner_ids["Alpha"])

    def test_two_runs_never_take_the_same_batch(self):
        self._make_stale()
        # Odoo's job lock: while a worker holds the job, another one cannot take it.
        with self._env() as env:
            cron = env.ref(REFRESH)
            nextcall = cron.nextcall
            cron.nextcall = fields.Datetime.now() - timedelta(minutes=1)
        self.addCleanup(self._restore_nextcall, nextcall)
        IrCron = self.env["ir.cron"]
        cron_id = self.env.ref(REFRESH).id
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self.assertTrue(IrCron._acquire_one_job(cr_1, cron_id))
            self.assertIsNone(IrCron._acquire_one_job(cr_2, cron_id))
            cr_1.rollback()
            self.assertTrue(IrCron._acquire_one_job(cr_2, cron_id))
            cr_2.rollback()

        # And the pass's own lock: a run started while another is in a batch (e.g. by
        # hand) takes nothing, and the pass goes on after that batch.
        with self.registry.cursor() as cr_1:
            env_1 = api.Environment(cr_1, SUPERUSER_ID, {})
            self.assertEqual(
                cron_batch._lock_mark(env_1, "refresh_actuals"), self.partner_ids["Alpha"] - 1
            )
            self.assertEqual(self._run_once(REFRESH), (0, 0))
            self.assertEqual(self._actuals()["Alpha"], STALE)
            cr_1.rollback()
        self.assertEqual(self._run_once(REFRESH), (1, 2))
        self.assertEqual(self._actuals()["Alpha"], 1.0)

    def _restore_nextcall(self, nextcall):
        with self._env() as env:
            env.ref(REFRESH).nextcall = nextcall

    def test_pacing_and_expiry_go_batch_by_batch_too(self):
        # Pacing: same pass over the running plans' companies.
        self._set_mark("refresh_pacing", self.partner_ids["Alpha"] - 1)
        self.assertEqual(self._run_once(PACING), (1, 2))
        self.assertEqual(self._mark("refresh_pacing"), self.partner_ids["Alpha"])
        self.assertEqual(self._run_once(PACING), (1, 1))
        self.assertEqual(self._run_once(PACING), (1, 0))
        self.assertEqual(self._mark("refresh_pacing"), 0)

        # Expiry: approved registrations past their protection, company by company.
        with self._env() as env:
            leads = env["crm.lead"].browse(list(self.lead_ids.values()))
            leads.write(
                {
                    "registration_state": "approved",
                    "registration_expiry_date": date.today() - timedelta(days=10),
                }
            )
        self._set_mark("expire_registrations", self.partner_ids["Alpha"] - 1)

        def states():
            with self._env() as env:
                return {
                    name: env["crm.lead"].browse(lead_id).registration_state
                    for name, lead_id in self.lead_ids.items()
                }

        with mute_logger("odoo.addons.mail.models.mail_mail"):
            self.assertEqual(self._run_once(EXPIRY), (1, 2))
            self.assertEqual(
                states(), {"Alpha": "expired", "Beta": "approved", "Gamma": "approved"}
            )
            self.assertEqual(self._run_once(EXPIRY), (1, 1))
            self.assertEqual(self._run_once(EXPIRY), (1, 0))
        self.assertEqual(set(states().values()), {"expired"})
        self.assertEqual(self._mark("expire_registrations"), 0)

    def test_progress_mails_go_batch_by_batch_too(self):
        """The monthly progress mail: one partner company a batch, each stamped done."""
        self._set_mark("progress_mails", self.partner_ids["Alpha"] - 1)

        def mailed():
            with self._env() as env:
                plans = env["msp.business.plan"].search(
                    [("partner_id", "in", list(self.partner_ids.values()))]
                )
                return {
                    plan.partner_id.name.removeprefix(f"{PREFIX} "): bool(plan.progress_mail_date)
                    for plan in plans
                }

        self.assertEqual(self._run_once(MAILS), (1, 2))
        self.assertEqual(mailed(), {"Alpha": True, "Beta": False, "Gamma": False})
        self.assertEqual(self._run_once(MAILS), (1, 1))
        self.assertEqual(self._run_once(MAILS), (1, 0))
        self.assertEqual(mailed(), dict.fromkeys(NAMES, True))
        self.assertEqual(self._mark("progress_mails"), 0)

    def test_outside_a_cron_run_one_call_does_the_whole_pass(self):
        """A settings change or a direct call: every company at once, in the caller's
        transaction, the mark untouched."""
        self._make_stale()
        with self._env() as env:
            done, remaining = env["msp.business.plan.objective"]._cron_refresh_actuals()
            self.assertGreaterEqual(done, len(NAMES))
            self.assertEqual(remaining, 0)
        self.assertEqual(self._actuals(), {name: 1.0 for name in NAMES})
        self.assertEqual(self._mark("refresh_actuals"), self.partner_ids["Alpha"] - 1)
