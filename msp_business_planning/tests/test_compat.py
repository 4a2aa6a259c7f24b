"""What tools/compat.py and the data files' helpers set up, the same on 18.0 and 19.0."""

from odoo.tests import TransactionCase

from ..tools import compat

GROUPS = ("group_user", "group_user_all", "group_manager")


class TestCompat(TransactionCase):
    def test_groups_under_the_business_planning_heading(self):
        category = self.env.ref("msp_business_planning.module_category_msp_business_planning")
        for xmlid in GROUPS:
            group = self.env.ref(f"msp_business_planning.{xmlid}")
            self.assertEqual(compat.group_category(group), category, xmlid)
        if compat.V19:
            # 19.0: one privilege of ours holds the three groups, shown on the user form
            privilege = self.env.ref("msp_business_planning.group_manager").privilege_id
            self.assertEqual(privilege.name, "Business Planning")
            self.assertEqual(
                set(privilege.group_ids.mapped("name")),
                {"User: Own Plans", "User: All Plans", "Administrator"},
            )

    def test_administrators_are_planning_managers(self):
        manager = self.env.ref("msp_business_planning.group_manager")
        for xmlid in ("base.user_root", "base.user_admin"):
            self.assertIn(manager, compat.user_groups(self.env.ref(xmlid)), xmlid)

    def test_demo_users_have_their_groups(self):
        portal = self.env.ref("base.group_portal")
        for login in ("portal.cloudnine", "portal.bytewise", "portal.northwind"):
            user = self.env["res.users"].search([("login", "=", login)])
            self.assertEqual(user.mapped(compat.GROUPS_FIELD), portal, login)
            self.assertTrue(user.share, login)
        manager = self.env.ref("msp_business_planning.user_channel_manager")
        self.assertFalse(manager.share)
        self.assertIn(self.env.ref("msp_business_planning.group_user"), compat.user_groups(manager))

    def test_export_action_for_planning_users_only(self):
        action = self.env.ref("msp_business_planning.msp_business_plan_action_export_xlsx")
        self.assertEqual(
            action.mapped(compat.GROUPS_FIELD), self.env.ref("msp_business_planning.group_user")
        )

    def test_renamed_fields_ported(self):
        vals = {"groups_id": [], "login": "x"}
        ported = compat.port_vals("res.users", vals)
        self.assertEqual(set(ported), {compat.GROUPS_FIELD, "login"})
        self.assertIn(compat.GROUPS_FIELD, self.env["res.users"]._fields)
        self.assertIn(compat.GROUP_USERS_FIELD, self.env["res.groups"]._fields)
        self.assertEqual(compat.port_vals("res.partner", vals), vals)
