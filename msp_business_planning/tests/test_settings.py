"""Pacing thresholds and the default review cadence come from Settings."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import MspPlanningCase


@tagged("post_install", "-at_install")
class TestPlanningSettings(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._create_plan(state="in_progress")
        cls.steady = cls._create_objective(cls.plan, name="Steady", target_value=100)
        cls.slow = cls._create_objective(cls.plan, name="Slow", target_value=100)
        cls._add_update(cls.steady, 40, date(2026, 3, 1))
        cls._add_update(cls.slow, 30, date(2026, 3, 1))

    def _set(self, **values):
        self.env["res.config.settings"].create(values).execute()

    def test_defaults_are_the_documented_thresholds(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.msp_on_track_threshold, 90)
        self.assertEqual(settings.msp_at_risk_threshold, 70)
        self.assertEqual(settings.msp_default_review_cadence, "quarterly")

    @freeze_time("2026-07-01")
    def test_thresholds_set_the_statuses_at_once(self):
        self.env["msp.business.plan"]._cron_refresh_pacing()
        # Half the year gone: 40% done is 80% of the pace, 30% is 60%.
        self.assertEqual(self.steady.expected_progress, 50.0)
        self.assertEqual(self.steady.pacing_status, "at_risk")
        self.assertEqual(self.slow.pacing_status, "off_track")
        q1 = self.slow.target_ids.sorted("date_start")[0]  # 30 of 25: ahead
        q2 = self.slow.target_ids.sorted("date_start")[1]  # nothing of 25, quarter over
        self.assertEqual((q1.pacing_status, q2.pacing_status), ("on_track", "off_track"))
        self.assertEqual(self.plan.pacing_status, "at_risk")  # 35% of 50%: 70%

        self._set(msp_on_track_threshold=80, msp_at_risk_threshold=60)
        self.assertEqual(self.steady.pacing_status, "on_track")
        self.assertEqual(self.slow.pacing_status, "at_risk")
        self.assertEqual(self.plan.pacing_status, "at_risk")
        # Computed by the ORM too, e.g. for a new objective: the same thresholds.
        new = self._create_objective(self.plan, name="New", target_value=100)
        self._add_update(new, 42, date(2026, 2, 1))
        self.assertEqual(new.pacing_status, "on_track")

        self._set(msp_on_track_threshold=70, msp_at_risk_threshold=50)
        self.assertEqual(self.plan.pacing_status, "on_track")

        self._set(msp_on_track_threshold=95, msp_at_risk_threshold=85)
        self.assertEqual(self.steady.pacing_status, "off_track")
        self.assertEqual(self.plan.pacing_status, "off_track")
        self.assertEqual(new.pacing_status, "off_track")

    def test_thresholds_must_be_ordered(self):
        for on_track, at_risk in ((70, 90), (80, 80), (120, 70), (90, 0)):
            with (
                self.subTest(on_track=on_track, at_risk=at_risk),
                self.assertRaisesRegex(ValidationError, "0 < at risk < on track"),
                self.cr.savepoint(),
            ):
                self._set(msp_on_track_threshold=on_track, msp_at_risk_threshold=at_risk)
        params = self.env["ir.config_parameter"]
        self.assertFalse(params.get_param("msp_business_planning.on_track_threshold"))

    @freeze_time("2026-01-01")
    def test_default_review_cadence_of_new_plans(self):
        self.assertEqual(self._create_plan(name="Usual").review_cadence, "quarterly")
        self._set(msp_default_review_cadence="semiannual")
        plan = self._create_plan(name="Smaller partner")
        self.assertEqual(plan.review_cadence, "semiannual")
        plan.action_generate_review_schedule()
        self.assertEqual(
            plan.review_ids.sorted("date").mapped("period_end"),
            [date(2026, 6, 30), date(2026, 12, 31)],
        )
