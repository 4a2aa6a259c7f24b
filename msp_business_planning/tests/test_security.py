from odoo.exceptions import AccessError
from odoo.tools import mute_logger

from .common import MspPlanningCase

MODELS = (
    "msp.business.plan",
    "msp.business.plan.objective",
    "msp.business.plan.objective.target",
    "msp.business.plan.objective.update",
)


class TestInternalAccess(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_plan = cls._create_plan(name="Managed by Olivia", user_id=cls.user_own.id)
        cls.other_plan = cls._create_plan(name="Managed by Dora", user_id=cls.user_all.id)
        cls.followed_plan = cls._create_plan(name="Followed by Olivia", user_id=cls.user_all.id)
        cls.followed_plan.message_subscribe(partner_ids=cls.user_own.partner_id.ids)
        cls.company_2_plan = cls._create_plan(
            name="Second company plan",
            company_id=cls.company_2.id,
            user_id=cls.user_company_2.id,
            partner_id=cls.env["res.partner"].create({"name": "Gamma", "company_id": False}).id,
        )
        for plan in cls.own_plan | cls.other_plan | cls.followed_plan | cls.company_2_plan:
            cls._create_objective(plan)

    def _visible(self, user, model="msp.business.plan"):
        return self.env[model].with_user(user).search([])

    def test_user_sees_own_and_followed_plans_only(self):
        plans = self._visible(self.user_own)
        self.assertIn(self.own_plan, plans)
        self.assertIn(self.followed_plan, plans)
        self.assertNotIn(self.other_plan, plans)
        objectives = self._visible(self.user_own, "msp.business.plan.objective")
        self.assertEqual(objectives.plan_id, self.own_plan | self.followed_plan)
        with self.assertRaises(AccessError):
            self.other_plan.with_user(self.user_own).read(["name"])
        with self.assertRaises(AccessError):
            self.other_plan.objective_ids.with_user(self.user_own).write({"weight": 20})

    def test_partner_plan_count_is_each_users_own(self):
        """The partner form's count is of the plans the reader may see, whoever read
        it first in the same transaction (the value depends on the user)."""
        partner = self.own_plan.commercial_partner_id
        every = self._visible(self.user_all).filtered(
            lambda plan: plan.commercial_partner_id == partner
        )
        own = self._visible(self.user_own).filtered(
            lambda plan: plan.commercial_partner_id == partner
        )
        self.assertGreater(len(every), len(own))
        self.assertEqual(partner.with_user(self.user_all).business_plan_count, len(every))
        self.assertEqual(partner.with_user(self.user_own).business_plan_count, len(own))

    def test_all_plans_user_sees_every_plan_of_its_company(self):
        plans = self._visible(self.user_all)
        self.assertLessEqual(self.own_plan | self.other_plan | self.followed_plan, plans)
        self.assertNotIn(self.company_2_plan, plans)

    def test_second_company_user_sees_only_its_company(self):
        self.assertEqual(self._visible(self.user_company_2), self.company_2_plan)
        for model in MODELS[1:3]:
            self.assertEqual(self._visible(self.user_company_2, model).plan_id, self.company_2_plan)
        with self.assertRaises(AccessError):
            self.own_plan.with_user(self.user_company_2).read(["name"])

    @mute_logger("odoo.access")
    def test_user_without_planning_rights_reads_nothing(self):
        for model in MODELS:
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.user_internal).search([])
        with self.assertRaises(AccessError):
            self.own_plan.with_user(self.user_internal).read(["name"])

    def test_only_manager_deletes_plans(self):
        with self.assertRaises(AccessError):
            self.own_plan.with_user(self.user_own).unlink()
        with self.assertRaises(AccessError):
            self.other_plan.with_user(self.user_all).unlink()
        self.other_plan.with_user(self.user_manager).unlink()
        self.assertFalse(self.other_plan.exists())

    def test_user_can_run_own_plan(self):
        plan = self.own_plan.with_user(self.user_own)
        plan.objective_ids.write({"target_value": 12})
        plan.action_share_with_partner()
        plan.action_start()
        self.assertEqual(plan.state, "in_progress")

    def test_groups_imply_each_other(self):
        self.assertTrue(self.user_manager.has_group("msp_business_planning.group_user_all"))
        self.assertTrue(self.user_manager.has_group("msp_business_planning.group_user"))
        self.assertTrue(self.user_all.has_group("msp_business_planning.group_user"))
        self.assertFalse(self.user_own.has_group("msp_business_planning.group_user_all"))


class TestPortalAccessAtOrm(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A completed plan is on record: it is filled while running, then completed.
        cls.plans = {
            state: cls._create_plan(
                name=f"Alpha {state}", state="in_progress" if state == "completed" else state
            )
            for state in ("draft_outline", "draft", "in_progress", "completed", "cancelled")
        }
        for plan in cls.plans.values():
            cls._create_objective(plan)
        cls.plans["completed"].action_complete()
        cls.plan_b = cls._create_plan(
            name="Beta plan", partner_id=cls.partner_b.id, state="in_progress"
        )
        cls._create_objective(cls.plan_b)

    def test_portal_user_sees_own_shared_plans_only(self):
        visible = self.env["msp.business.plan"].with_user(self.portal_a).search([])
        expected = self.plans["draft"] | self.plans["in_progress"] | self.plans["completed"]
        self.assertEqual(visible, expected)
        objectives = self.env["msp.business.plan.objective"].with_user(self.portal_a).search([])
        self.assertEqual(objectives.plan_id, expected)
        targets = self.env["msp.business.plan.objective.target"].with_user(self.portal_a).search([])
        self.assertEqual(targets.plan_id, expected)

    @mute_logger("odoo.access")
    def test_portal_user_cannot_read_outline_or_foreign_plan(self):
        for plan in (self.plans["draft_outline"], self.plans["cancelled"], self.plan_b):
            with self.subTest(plan=plan.name), self.assertRaises(AccessError):
                plan.with_user(self.portal_a).read(["name"])

    @mute_logger("odoo.access")
    def test_portal_user_cannot_write(self):
        with self.assertRaises(AccessError):
            self.plans["draft"].with_user(self.portal_a).write({"name": "Hacked"})
        with self.assertRaises(AccessError):
            self.plans["draft"].objective_ids.with_user(self.portal_a).write({"weight": 99})
