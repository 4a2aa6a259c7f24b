from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.addons.msp_business_planning.tests.common import MspPlanningCase
from odoo.exceptions import ValidationError


class TestCourseCompletion(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.course_xdr, cls.course_soc, cls.course_other = (
            cls._create_course(name) for name in ("XDR Professional", "SOC Basics", "Other")
        )
        cls.plan = cls._create_plan(state="in_progress")
        cls.objective = cls._create_objective(
            cls.plan,
            name="Certified engineers",
            objective_type="course_completion",
            course_ids=[Command.set((cls.course_xdr | cls.course_soc).ids)],
        )
        cls.engineer = cls.env["res.partner"].create(
            {"name": "Eve Engineer", "parent_id": cls.partner_a.id, "email": "eve@alpha.test"}
        )

    @classmethod
    def _create_course(cls, name):
        course = cls.env["slide.channel"].create(
            {"name": name, "enroll": "public", "is_published": True}
        )
        cls.env["slide.slide"].create(
            {
                "name": f"{name} - lesson",
                "channel_id": course.id,
                "slide_category": "document",
                "is_published": True,
            }
        )
        return course

    def _complete(self, course, partner):
        """``partner`` follows ``course`` and finishes its only lesson."""
        course._action_add_members(partner)
        self.env["slide.slide.partner"].create(
            {"slide_id": course.slide_ids.id, "partner_id": partner.id, "completed": True}
        )
        return course.channel_partner_all_ids.filtered(lambda m: m.partner_id == partner)

    def _by_period(self):
        return {t.name: t.actual_value for t in self.objective.target_ids if t.actual_value}

    def test_contacts_of_the_partner_count_per_completed_course(self):
        with freeze_time("2026-03-31 23:00:00"):
            membership = self._complete(self.course_xdr, self.partner_a_contact)
        self.assertEqual(membership.member_status, "completed")
        self.assertEqual(membership.msp_completed_date, date(2026, 3, 31))
        with freeze_time("2026-04-01 08:00:00"):
            self._complete(self.course_soc, self.partner_a_contact)
            self._complete(self.course_xdr, self.engineer)
            self._complete(self.course_other, self.partner_a_contact)  # not chosen
            self._complete(self.course_xdr, self.partner_b_contact)  # another partner
            self.course_soc._action_add_members(self.partner_a)  # joined, not finished
        self.assertEqual(self._by_period(), {"Q1 2026": 1, "Q2 2026": 2})
        self.assertEqual(self.objective.actual_value, 3)

    def test_completion_outside_the_plan_does_not_count(self):
        with freeze_time("2025-12-31 12:00:00"):
            self._complete(self.course_xdr, self.partner_a_contact)
        self.assertEqual(self.objective.actual_value, 0)

    def test_live_updates(self):
        with freeze_time("2026-05-05"):
            membership = self._complete(self.course_xdr, self.engineer)
        self.assertEqual(self.objective.actual_value, 1)
        membership.action_archive()
        self.assertEqual(self.objective.actual_value, 0)
        membership.action_unarchive()
        self.assertEqual(self.objective.actual_value, 1)
        self.course_xdr.slide_ids.slide_partner_ids.write({"completed": False})
        membership.member_status = "ongoing"
        self.assertFalse(membership.msp_completed_date)
        self.assertEqual(self.objective.actual_value, 0)
        with freeze_time("2026-08-01"):
            membership.member_status = "completed"
        self.assertEqual(self._by_period(), {"Q3 2026": 1})
        membership.unlink()
        self.assertEqual(self.objective.actual_value, 0)

    def test_changing_the_courses_recomputes(self):
        with freeze_time("2026-02-02"):
            self._complete(self.course_other, self.partner_a_contact)
        self.assertEqual(self.objective.actual_value, 0)
        self.objective.course_ids = [Command.link(self.course_other.id)]
        self.assertEqual(self.objective.actual_value, 1)

    def test_courses_required_and_counted_only(self):
        with self.assertRaisesRegex(ValidationError, "Choose the courses"), self.cr.savepoint():
            self._create_objective(self.plan, objective_type="course_completion")
        with self.assertRaisesRegex(ValidationError, "Count"), self.cr.savepoint():
            self._create_objective(
                self.plan,
                objective_type="course_completion",
                measure="sum",
                course_ids=[Command.set(self.course_xdr.ids)],
            )

    def test_one_query_whatever_the_number_of_objectives(self):
        for index in range(20):
            self._create_objective(
                self.plan,
                name=f"Courses {index}",
                objective_type="course_completion",
                course_ids=[Command.set(self.course_xdr.ids)],
            )
        objectives = self.plan.objective_ids
        with freeze_time("2026-06-01"):
            self._complete(self.course_xdr, self.engineer)
        self.assertEqual(set(objectives.mapped("actual_value")), {1.0})
        targets = objectives.target_ids
        computer = self.env["msp.business.plan.objective"]._get_actual_computers()
        targets.mapped("commercial_partner_id")
        with self.assertQueryCount(__system__=1):
            actuals = computer["course_completion"](targets)
        self.assertEqual(sum(actuals.values()), 21)

    def test_bridge_is_installed_with_elearning(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "msp_business_planning_elearning")]
        )
        self.assertEqual(module.state, "installed")
        self.assertTrue(module.auto_install)

    def test_the_kind_belongs_to_the_bridge(self):
        """Course Completions is the bridge's kind: uninstalling the bridge removes it
        and keeps its objectives as manual ones (ondelete), the main addon not knowing
        it."""
        value = self.env["ir.model.fields.selection"].search(
            [
                ("field_id.model", "=", "msp.business.plan.objective"),
                ("field_id.name", "=", "objective_type"),
                ("value", "=", "course_completion"),
            ]
        )
        owners = self.env["ir.model.data"].search(
            [("model", "=", "ir.model.fields.selection"), ("res_id", "=", value.id)]
        )
        self.assertEqual(owners.mapped("module"), ["msp_business_planning_elearning"])
        field = self.env["msp.business.plan.objective"]._fields["objective_type"]
        self.assertEqual(field.ondelete["course_completion"], "set default")
        self.assertEqual(field.default(self.env["msp.business.plan.objective"]), "manual")

    def test_review_snapshot_counts_completions_up_to_the_period_end(self):
        with freeze_time("2026-03-31 23:00:00"):
            self._complete(self.course_xdr, self.partner_a_contact)
        with freeze_time("2026-04-01 08:00:00"):
            self._complete(self.course_soc, self.partner_a_contact)
        review = self._create_review(
            self.plan, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
        )
        with freeze_time("2026-12-01"):
            review.action_done()
        self.assertEqual(self.objective.actual_value, 2)
        self.assertEqual(review.snapshot_ids.actual_value, 1)
