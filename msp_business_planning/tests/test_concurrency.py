"""Two database connections at once, and a refresh failing half way.

These tests commit, as concurrent requests do: each builds its own records in a
committed set-up (names starting with ``MSP Concurrency``), works on them from real
cursors, and deletes them in a cleanup that runs whatever happens (leftovers of a
crashed run are removed first).
"""

import threading
import time
from datetime import date
from functools import partial
from unittest.mock import patch

from odoo.tools import mute_logger

from .common import MspCommittedCase

PREFIX = "MSP Concurrency"
KINDS = ("deal_registration", "qualified_deal_registration", "won_deal")


class TestConcurrency(MspCommittedCase):
    # ------------------------------------------------------------
    # COMMITTED SET-UP AND CLEANUP
    # ------------------------------------------------------------

    def _cleanup(self):
        with self._env() as env:
            leads = (
                env["crm.lead"]
                .with_context(active_test=False)
                .search(
                    [
                        "|",
                        ("name", "=like", f"{PREFIX}%"),
                        ("registered_partner_id.name", "=like", f"{PREFIX}%"),
                    ]
                )
            )
            leads.unlink()
            for model in ("msp.business.plan", "res.partner"):
                self._unlink_named(env, model, PREFIX)

    def setUp(self):
        super().setUp()
        with self._env() as env:
            Partner = env["res.partner"]
            self.partner_ids = {
                key: Partner.create({"name": f"{PREFIX} {key}", "is_company": True}).id
                for key in ("Alpha", "Beta")
            }
            self.plan_ids, self.objective_ids = [], []
            for key, partner_id in self.partner_ids.items():
                plan = env["msp.business.plan"].create(
                    {
                        "name": f"{PREFIX} {key} plan",
                        "partner_id": partner_id,
                        "date_start": date(2026, 1, 1),
                        "date_end": date(2026, 12, 31),
                        "state": "in_progress",
                    }
                )
                for kind in KINDS:
                    for measure in ("count", "sum"):
                        objective = env["msp.business.plan.objective"].create(
                            {
                                "plan_id": plan.id,
                                "name": f"{kind} {measure}",
                                "objective_type": kind,
                                "measure": measure,
                                "target_value": 10,
                            }
                        )
                        self.objective_ids.append(objective.id)
                self.plan_ids.append(plan.id)
            self.lead_ids = (
                env["crm.lead"]
                .create(
                    [
                        {
                            "name": f"{PREFIX} deal {index}",
                            "type": "opportunity",
                            "user_id": False,
                            "registered_partner_id": self.partner_ids["Alpha"],
                            "registration_date": date(2026, 2, index + 1),
                            "expected_revenue": 1000 * (index + 1),
                        }
                        for index in range(3)
                    ]
                )
                .ids
            )

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _stored_and_fresh(self):
        """{target id: stored actual} and the same recomputed now from the deals."""
        with self._env() as env:
            objectives = env["msp.business.plan.objective"].browse(self.objective_ids)
            targets = objectives.target_ids
            stored = {target.id: target.actual_value for target in targets}
            fresh = dict.fromkeys(targets.ids, 0.0)
            for kind, computer in objectives._get_actual_computers().items():
                typed = targets.filtered(lambda t, k=kind: t.objective_type == k)
                if typed:
                    fresh.update(computer(typed))
            env.cr.rollback()
        return stored, fresh

    def _make_stale(self, value=999.0):
        """Stored actuals that no longer match the deals, as after a crash."""
        with self._env() as env:
            env.cr.execute(
                """
                UPDATE msp_business_plan_objective_target SET actual_value = %s
                 WHERE objective_id = ANY(%s)
                """,
                [value, self.objective_ids],
            )

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_lead_write_and_full_refresh_at_once_lose_nothing(self):
        """A registration approved and won while a full refresh of the same objectives
        runs in another connection: the refresh, which read the deals before the
        approval was committed, must not write its stale figures over the new ones."""
        self._make_stale()
        lead_written = threading.Event()
        snapshot_taken = threading.Event()

        def approve_and_win(env):
            lead = env["crm.lead"].browse(self.lead_ids[0])
            won_stage = env["crm.stage"].search([("is_won", "=", True)], limit=1)
            lead.write({"registration_state": "approved", "stage_id": won_stage.id})
            env.flush_all()
            lead_written.set()
            # Commit only once the refresh has its snapshot, so that it works on the
            # deals as they were before this approval.
            snapshot_taken.wait(10)
            time.sleep(0.3)

        def refresh(env):
            lead_written.wait(10)
            env.cr.execute("SELECT 1")
            snapshot_taken.set()
            env["msp.business.plan.objective"].browse(self.objective_ids).action_refresh_actuals()

        attempts = self._run_in_threads(approve_and_win, refresh)

        # The refresh wrote rows the approval had written meanwhile: PostgreSQL refused
        # it, Odoo's retry ran it again on the committed deals.
        self.assertGreaterEqual(attempts[1], 2, attempts)
        stored, fresh = self._stored_and_fresh()
        self.assertEqual(stored, fresh)
        self.assertNotIn(999.0, stored.values())
        with self._env() as env:
            won = env["msp.business.plan.objective"].search(
                [("id", "in", self.objective_ids), ("objective_type", "=", "won_deal")]
            )
            self.assertEqual(sorted(won.mapped("actual_value")), [0, 0, 1, 1000])

    def test_two_partners_register_the_same_customer_at_once(self):
        """Each registration looks for conflicts before the other is committed; once
        both are, the one committed last is flagged with the other."""
        both_created = threading.Barrier(2, timeout=10)
        names = {}

        def register(key, env):
            lead = env["crm.lead"].create(
                {
                    "name": f"{PREFIX} Globex for {key}",
                    "partner_name": f"{PREFIX} Globex Race",
                    "email_from": "buyer@globex-race.test",
                    "type": "opportunity",
                    "user_id": False,
                    "registered_partner_id": self.partner_ids[key],
                }
            )
            env.flush_all()
            names[key] = lead.name
            # Neither has seen the other: both created before either commits.
            self.assertFalse(lead.registration_conflict_lead_ids)
            both_created.wait()

        self._run_in_threads(partial(register, "Alpha"), partial(register, "Beta"))

        with self._env() as env:
            leads = env["crm.lead"].search([("name", "in", list(names.values()))])
            self.assertEqual(len(leads), 2)
            flagged = leads.filtered("registration_conflict")
            self.assertTrue(flagged, "neither registration is flagged")
            for lead in flagged:
                self.assertEqual(lead.registration_conflict_lead_ids, leads - lead)

    def test_refresh_failing_half_way_leaves_nothing_half_updated(self):
        """The daily refresh fails while writing (after some period actuals were
        written in its transaction): nothing of it is kept; the next run redoes it."""
        self._make_stale()
        with self._env() as env:
            cron = env.ref("msp_business_planning.ir_cron_refresh_actuals")
            Objective = type(env["msp.business.plan.objective"])
            original_store = Objective._store_target_actuals
            calls = []

            def failing_store(records, values, *args):
                # The figures are written (one bulk UPDATE per table), then the
                # refresh fails.
                calls.append(len(values))
                original_store(records, values, *args)
                raise RuntimeError("Injected failure after writing the period actuals")

            with (
                patch.object(Objective, "_store_target_actuals", failing_store),
                mute_logger("odoo.addons.base.models.ir_cron"),
                # The server action evaluates the code: the error comes out wrapped.
                self.assertRaisesRegex(ValueError, "Injected failure"),
            ):
                cron._callback(cron.cron_name, cron.ir_actions_server_id.id)
            self.assertTrue(calls and calls[0] > 0, "period actuals were written first")
        stored, fresh = self._stored_and_fresh()
        self.assertEqual(set(stored.values()), {999.0}, "a period actual was kept")
        self.assertNotEqual(stored, fresh)

        # Next run, nothing injected: every figure is right again.
        with self._env() as env:
            cron = env.ref("msp_business_planning.ir_cron_refresh_actuals")
            cron._callback(cron.cron_name, cron.ir_actions_server_id.id)
        stored, fresh = self._stored_and_fresh()
        self.assertEqual(stored, fresh)
        self.assertNotIn(999.0, stored.values())

    def test_cleanup_leaves_nothing(self):
        """The committed records of these tests never outlive them."""
        self._cleanup()
        with self._env() as env:
            self.assertFalse(env["res.partner"].search([("name", "=like", f"{PREFIX}%")]))
            self.assertFalse(env["msp.business.plan"].search([("name", "=like", f"{PREFIX}%")]))
