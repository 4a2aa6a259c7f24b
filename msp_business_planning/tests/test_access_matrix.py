"""Who may do what, as one table.

Every model of the addon (the ones it defines and the ones it adds fields to, read
from the registry: a new model without a row fails :meth:`test_every_model_and_method_has_rows`),
every CRUD operation and every public method, for each kind of user. The expectations
are the tables below; one generic runner plays each cell as its user, in a savepoint
rolled back after the call, and reports every cell that differs, with the rows as
they are, ready to be compared.

The people (columns, always in this order):

====  ==========  =============================================================
an    anon        anonymous visitor (the public user)
pa    portal_a    portal contact of partner A (Alpha), whose records are the subjects
co    colleague   another portal contact of A: a child contact of A sees what A sees
si    sister      portal contact of A's sister company: a second child company of A's
                  parent group (Alpha Holding). Partners are isolated by commercial
                  entity and each company of a group is its own commercial entity,
                  so the sister sees nothing of A (a contact of the holding itself
                  would see its subsidiaries' plans: they are ``child_of`` it)
pb    portal_b    portal contact of partner B (Beta), a competitor
in    internal    employee (salesperson) without business planning rights
ow    own         planning user "own plans", channel manager of A's plans
oo    own_other   planning user "own plans" who neither manages nor follows them
al    all         planning user "all plans" (director)
mg    manager     planning administrator
c2    company_2   planning user "all plans" of the second company only
====  ==========  =============================================================

The codes: ``Y`` allowed (for search and read_group: the subject is found);
``0`` the call works but the subject is not among the results; ``A`` AccessError;
``U`` UserError (e.g. a status that does not allow it; raised only to people who
may read the record); ``V`` ValidationError.
"""

import inspect
from datetime import date
from itertools import product

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from ..tools import compat
from .common import MspPlanningCase

ADDON = "msp_business_planning"

PERSONAS = (
    "anon",
    "portal_a",
    "colleague",
    "sister",
    "portal_b",
    "internal",
    "own",
    "own_other",
    "all",
    "manager",
    "company_2",
)
PORTAL_PERSONAS = ("anon", "portal_a", "colleague", "sister", "portal_b")

# fmt: off
MATRIX = {
    #                  an  pa  co  si  pb  in  ow  oo  al  mg  c2
    "msp.business.plan": {
        "read":       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "search":     "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "read_group": "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "write":      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "create":     "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "unlink":     "A   A   A   A   A   A   A   A   A   Y   A",
    },
    "msp.business.plan.objective": {
        "read":       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "search":     "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "read_group": "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "write":      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "create":     "A   A   A   A   A   A   Y   A   Y   Y   A",
        "unlink":     "A   A   A   A   A   A   Y   A   Y   Y   A",
    },
    "msp.business.plan.objective.target": {
        "read":       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "search":     "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "read_group": "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "write":      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "create":     "A   A   A   A   A   A   Y   A   Y   Y   A",
        "unlink":     "A   A   A   A   A   A   Y   A   Y   Y   A",
    },
    "msp.business.plan.objective.update": {
        "read":       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "search":     "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "read_group": "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "write":      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "create":     "A   A   A   A   A   A   Y   A   Y   Y   A",
        "unlink":     "A   A   A   A   A   A   Y   A   Y   Y   A",
    },
    "msp.business.review": {
        "read":       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "search":     "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "read_group": "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "write":      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "create":     "A   A   A   A   A   A   Y   A   Y   Y   A",
        "unlink":     "A   A   A   A   A   A   A   A   A   Y   A",
    },
    "msp.business.review.item": {
        "read":       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "search":     "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "read_group": "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "write":      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "create":     "A   A   A   A   A   A   Y   A   Y   Y   A",
        "unlink":     "A   A   A   A   A   A   Y   A   Y   Y   A",
    },
    "msp.business.review.score": {
        "read":       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "search":     "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "read_group": "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "write":      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "create":     "A   A   A   A   A   A   Y   A   Y   Y   A",
        "unlink":     "A   A   A   A   A   A   Y   A   Y   Y   A",
    },
    "msp.business.review.snapshot": {
        "read":       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "search":     "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "read_group": "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "write":      "A   A   A   A   A   A   A   A   A   A   A",
        "create":     "A   A   A   A   A   A   A   A   A   A   A",
        "unlink":     "A   A   A   A   A   A   A   A   A   A   A",
    },
    "msp.business.review.topic": {
        "read":       "A   Y   Y   Y   Y   A   Y   Y   Y   Y   Y",
        "search":     "A   Y   Y   Y   Y   A   Y   Y   Y   Y   Y",
        "read_group": "A   Y   Y   Y   Y   A   Y   Y   Y   Y   Y",
        "write":      "A   A   A   A   A   A   A   A   A   Y   A",
        "create":     "A   A   A   A   A   A   A   A   A   Y   A",
        "unlink":     "A   A   A   A   A   A   A   A   A   U   A",
    },
    "msp.business.plan.initiative": {
        "read":       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "search":     "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "read_group": "A   Y   Y   0   0   A   Y   0   Y   Y   0",
        "write":      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "create":     "A   A   A   A   A   A   Y   A   Y   Y   A",
        "unlink":     "A   A   A   A   A   A   Y   A   Y   Y   A",
    },
    "crm.lead": {
        "read":       "A   Y   Y   A   A   Y   Y   Y   Y   Y   A",
        "search":     "A   Y   Y   0   0   Y   Y   Y   Y   Y   A",
        "read_group": "A   Y   Y   0   0   Y   Y   Y   Y   Y   A",
        "write":      "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "create":     "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "unlink":     "A   A   A   A   A   A   A   A   A   Y   A",
    },
    # The registered-deals analysis (SQL view): planning users only. The fixture deal
    # has no company, so, as for any record without company in Odoo, the second
    # company's planning users see it too.
    "msp.deal.registration.report": {
        "read":       "A   A   A   A   A   A   Y   Y   Y   Y   Y",
        "search":     "A   A   A   A   A   A   Y   Y   Y   Y   Y",
        "read_group": "A   A   A   A   A   A   Y   Y   Y   Y   Y",
    },
    "res.partner": {
        "read":       "A   A   A   A   A   A   Y   Y   Y   Y   Y",
    },
    "res.users": {
        "read":       "A   A   A   A   A   A   Y   Y   Y   Y   A",
    },
    # Who reviews deal registrations (Settings): staff-only; set by administrators.
    "res.company": {
        "read":       "A   A   A   A   A   Y   Y   Y   Y   Y   A",
        "write":      "A   A   A   A   A   A   A   A   A   A   A",
    },
    "msp.registration.reject.wizard": {
        # c2: not a wizard about registrations it cannot read (refused on 18.0 and 19.0)
        "create":     "A   A   A   A   A   A   Y   Y   Y   Y   A",
    },
    "res.config.settings": {
        "create":     "A   A   A   A   A   A   A   A   A   A   A",
    },
    # Plan templates: planning users read them, administrators edit them; never portal.
    "msp.business.plan.template": {
        "read":       "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "search":     "A   A   A   A   A   A   Y   Y   Y   Y   0",
        "read_group": "A   A   A   A   A   A   Y   Y   Y   Y   0",
        "write":      "A   A   A   A   A   A   A   A   A   Y   A",
        "create":     "A   A   A   A   A   A   A   A   A   Y   A",
        "unlink":     "A   A   A   A   A   A   A   A   A   Y   A",
    },
    "msp.business.plan.template.line": {
        "read":       "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "search":     "A   A   A   A   A   A   Y   Y   Y   Y   0",
        "read_group": "A   A   A   A   A   A   Y   Y   Y   Y   0",
        "write":      "A   A   A   A   A   A   A   A   A   Y   A",
        "create":     "A   A   A   A   A   A   A   A   A   Y   A",
        "unlink":     "A   A   A   A   A   A   A   A   A   Y   A",
    },
    "msp.business.plan.generate.wizard": {
        "create":     "A   A   A   A   A   A   Y   Y   Y   Y   A",
    },
    # Preview lines: written by the wizard's preview only (its methods below).
    "msp.business.plan.generate.wizard.line": {},
    # The KPIs the addon adds to Odoo's digest: the digest's own rights (employees read).
    "digest.digest": {
        "read":       "A   A   A   A   A   Y   Y   Y   Y   Y   Y",
    },
    # Abstract models: no records, so no row.
    "msp.business.plan.xlsx": {},
    "report.msp_business_planning.report_business_plan": {},
    "report.msp_business_planning.report_business_review": {},
    "msp.business.plan.heatmap": {},
    "msp.partner.isolation.mixin": {},
    "msp.partner.isolation.thread.mixin": {},
}
# fmt: on

# What each operation does on each model: the subject record (a fixture of A's
# running plan unless said otherwise), a field to read and to group by, values to
# write and to create.
OPERATIONS = {
    "msp.business.plan": {
        "subject": "plan",
        "field": "name",
        "group_by": "state",
        "write": {"name": "Renamed"},
        "create": lambda f: {
            "name": "New",
            "partner_id": f.partner_a.id,
            "company_id": f.company.id,
        },
    },
    "msp.business.plan.objective": {
        "subject": "objective",
        "field": "name",
        "group_by": "plan_id",
        "write": {"weight": 20},
        "create": lambda f: {"plan_id": f.plan.id, "name": "New", "target_value": 5},
    },
    "msp.business.plan.objective.target": {
        "subject": "target",
        "field": "name",
        "group_by": "objective_id",
        "write": {"target_value": 7},
        "create": lambda f: {
            "objective_id": f.objective_bare.id,
            "name": "February",
            "date_start": date(2026, 2, 1),
            "date_end": date(2026, 2, 28),
            "target_value": 3,
        },
    },
    "msp.business.plan.objective.update": {
        "subject": "update",
        "field": "note",
        "group_by": "objective_id",
        "write": {"note": "Changed"},
        "create": lambda f: {
            "objective_id": f.objective.id,
            "value": 1,
            "date": date(2026, 3, 1),
        },
    },
    "msp.business.review": {
        "subject": "review",
        "field": "summary",
        "group_by": "state",
        "write": {"summary": "<p>Changed</p>"},
        "create": lambda f: {"plan_id": f.plan.id, "date": date(2026, 9, 1)},
    },
    "msp.business.review.item": {
        "subject": "item",
        "field": "name",
        "group_by": "decision",
        "write": {"note": "Agreed"},
        "create": lambda f: {"review_id": f.review.id, "name": "New item"},
    },
    "msp.business.review.score": {
        "subject": "score",
        "field": "score",
        "group_by": "topic_id",
        "write": {"score": 70},
        "create": lambda f: {
            "review_id": f.review.id,
            "topic_id": f._review_topics()[1].id,
            "score": 10,
        },
    },
    "msp.business.review.snapshot": {
        "subject": "snapshot",
        "field": "actual_value",
        "group_by": "review_id",
        "write": {"actual_value": 999},
        "create": lambda f: {"review_id": f.review_done.id, "name": "Forged"},
    },
    "msp.business.review.topic": {
        "subject": "topic",
        "field": "name",
        "group_by": "is_closing",
        "write": {"description": "Changed"},
        "create": lambda f: {"name": "New topic"},
    },
    "msp.business.plan.initiative": {
        "subject": "initiative",
        "field": "name",
        "group_by": "state",
        "write": {"budget": 50},
        "create": lambda f: {
            "plan_id": f.plan.id,
            "name": "New initiative",
            "date": date(2026, 6, 1),
            "budget": 10,
        },
    },
    # The registration fields the addon adds to leads.
    "crm.lead": {
        "subject": "registration",
        "field": "registration_state",
        "group_by": "registration_state",
        "write": {"registration_expiry_date": date(2026, 12, 31)},
        "create": lambda f: {
            "name": "New registration",
            "type": "opportunity",
            "registered_partner_id": f.partner_a.id,
        },
    },
    "msp.deal.registration.report": {
        "subject": "registration_report",
        "field": "registration_state",
        "group_by": "registration_state",
        "operations": ("read", "search", "read_group"),
    },
    # The plan counter the addon adds to partners.
    "res.partner": {
        "subject": "partner_a",
        "field": "business_plan_count",
        "operations": ("read",),
    },
    "res.company": {
        "subject": "company",
        "field": "msp_registration_team_id",
        "write": {"msp_registration_team_id": False},
        "operations": ("read", "write"),
    },
    # ...and to users, through their partner.
    "res.users": {
        "subject": "portal_a",
        "field": "business_plan_count",
        "operations": ("read",),
    },
    "msp.registration.reject.wizard": {
        "create": lambda f: {"lead_ids": [Command.set(f.registration.ids)], "reason": "No"},
        "operations": ("create",),
    },
    # The protection period setting (a system parameter).
    "res.config.settings": {
        "create": lambda f: {"msp_registration_protection_days": 30},
        "operations": ("create",),
    },
    "msp.business.plan.template": {
        "subject": "plan_template",
        "field": "name",
        "group_by": "review_cadence",
        "write": {"name": "Renamed"},
        "create": lambda f: {"name": "New template"},
    },
    "msp.business.plan.template.line": {
        "subject": "plan_template_line",
        "field": "name",
        "group_by": "target_rule",
        "write": {"weight": 20},
        "create": lambda f: {"template_id": f.plan_template.id, "name": "New line"},
    },
    "msp.business.plan.generate.wizard": {
        "create": lambda f: {
            "template_id": f.plan_template.id,
            "year": 2027,
            "partner_source": "list",
            "partner_ids": [Command.set(f.partner_a.ids)],
        },
        "operations": ("create",),
    },
    "msp.business.plan.generate.wizard.line": {"operations": ()},
    "digest.digest": {
        "subject": "digest",
        "field": "kpi_msp_reviews_done",
        "operations": ("read",),
    },
    # Abstract models hold no records: nothing to read, write or call but through
    # the models above.
    "msp.business.plan.xlsx": {"operations": ()},
    "report.msp_business_planning.report_business_plan": {"operations": ()},
    "report.msp_business_planning.report_business_review": {"operations": ()},
    "msp.business.plan.heatmap": {"operations": ()},
    "msp.partner.isolation.mixin": {"operations": ()},
    "msp.partner.isolation.thread.mixin": {"operations": ()},
}


def _kanban_count(env, record):
    """``Y`` when the kanban groups by status, read as ``env``'s user, count
    ``record`` in its column, else ``0``."""
    groups = compat.web_read_group(env[record._name], [("id", "=", record.id)], "state")
    counted = [group for group in groups if group["state"] == record.state]
    return "Y" if counted and counted[0]["__count"] else "0"


# Public methods (every method the addon defines whose name does not start with
# "_", CRUD overrides aside): (subject fixture, positional arguments).
METHODS = {
    "msp.business.plan": {
        "action_share_with_partner": ("plan_outline",),
        "action_start": ("plan_draft",),
        "action_accept_by_partner": ("plan_draft",),
        "action_complete": ("plan",),
        "action_cancel": ("plan",),
        "action_reset_to_outline": ("plan_draft",),
        "action_preview_portal": ("plan",),
        "action_view_objectives": ("plan",),
        "action_view_reviews": ("plan",),
        "action_view_initiative_budget": ("plan",),
        "action_view_registered_deals": ("plan",),
        "action_generate_review_schedule": ("plan",),
        "action_plan_next_year": ("plan",),
        "action_export_xlsx": ("plan",),
        "export_xlsx": ("plan",),
        "action_reopen": ("plan_completed",),
        # The kanban's groups (the Cancelled column folded): is the subject counted?
        "web_read_group": lambda f, env: _kanban_count(env, f.plan),
    },
    "msp.business.plan.objective": {
        "action_refresh_actuals": ("objective_deals",),
        "action_view_deals": ("objective_deals",),
    },
    "msp.business.plan.objective.target": {
        "action_view_deals": ("target_deals",),
    },
    "msp.business.review": {
        "action_done": ("review",),
        "action_cancel": ("review",),
        "action_reschedule": ("review_cancelled",),
        "action_reopen": ("review_done",),
        "action_draft_agenda": ("review",),
        "action_load_scorecard": ("review",),
        "action_view_plan": ("review",),
        "action_view_score_trend": ("review",),
        "action_schedule_meeting": ("review",),
        "action_open_meeting": ("review",),
        "action_submit_feedback": ("review_done", 5, "Useful review"),
        "web_read_group": lambda f, env: _kanban_count(env, f.review),
    },
    "crm.lead": {
        "action_approve_registration": ("registration",),
        "action_reject_registration": ("registration",),
        "action_acknowledge_registration_conflicts": ("registration",),
        "action_extend_registration": ("registration_approved",),
        "action_resubmit_registration": ("registration_rejected",),
        "action_view_registration_conflicts": ("registration",),
        "action_view_registration_objectives": ("registration",),
    },
    "res.partner": {
        "action_view_business_plans": ("partner_a",),
        "action_view_deal_registrations": ("partner_a",),
    },
    # The heatmap answers planning users only, with the plans their rules let them read.
    "msp.business.plan.heatmap": {"get_heatmap_data": lambda f, env: f._heatmap_lists_plan(env)},
    "msp.business.plan.template": {
        "action_open_generate_wizard": ("plan_template",),
        "action_view_plans": ("plan_template",),
        "generate_plans": lambda f, env: f.plan_template.with_env(env).generate_plans(
            f.partner_a.with_env(env), 2027
        ),
    },
    # The wizard is the user's own: created then run in the same call.
    "msp.business.plan.generate.wizard": {
        method: lambda f, env, method=method: getattr(f._generate_wizard(env), method)()
        for method in ("action_preview", "action_back", "action_generate")
    },
    "msp.registration.reject.wizard": {
        "action_reject": lambda f, env: env["msp.registration.reject.wizard"]
        .create({"lead_ids": [Command.set(f.registration.ids)], "reason": "Known deal"})
        .action_reject(),
    },
}
# fmt: off
METHOD_MATRIX = {
    #                                                an  pa  co  si  pb  in  ow  oo  al  mg  c2
    "msp.business.plan": {
        "action_share_with_partner":                "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_start":                             "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_accept_by_partner":                 "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_complete":                          "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_cancel":                            "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_reset_to_outline":                  "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_preview_portal":                    "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "action_view_objectives":                   "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "action_view_reviews":                      "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "action_view_initiative_budget":            "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "action_view_registered_deals":             "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "action_generate_review_schedule":          "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_plan_next_year":                    "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_export_xlsx":                       "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "export_xlsx":                              "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "action_reopen":                            "A   A   A   A   A   A   A   A   A   Y   A",
        "web_read_group":                           "A   Y   Y   0   0   A   Y   0   Y   Y   0",
    },
    "msp.business.plan.objective": {
        "action_refresh_actuals":                   "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_view_deals":                        "A   A   A   A   A   A   Y   A   Y   Y   A",
    },
    "msp.business.plan.objective.target": {
        "action_view_deals":                        "A   A   A   A   A   A   Y   A   Y   Y   A",
    },
    "msp.business.review": {
        "action_done":                              "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_cancel":                            "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_reschedule":                        "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_reopen":                            "A   A   A   A   A   A   A   A   A   Y   A",
        "action_draft_agenda":                      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_load_scorecard":                    "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_view_plan":                         "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "action_view_score_trend":                  "A   Y   Y   A   A   A   Y   A   Y   Y   A",
        "action_schedule_meeting":                  "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_open_meeting":                      "A   A   A   A   A   A   Y   A   Y   Y   A",
        "action_submit_feedback":                   "A   Y   Y   A   A   A   A   A   A   A   A",
        "web_read_group":                           "A   Y   Y   0   0   A   Y   0   Y   Y   0",
    },
    "crm.lead": {
        "action_approve_registration":              "A   A   A   A   A   A   U   U   U   U   A",
        "action_reject_registration":               "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "action_acknowledge_registration_conflicts":"A   A   A   A   A   A   Y   Y   Y   Y   A",
        "action_extend_registration":               "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "action_resubmit_registration":             "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "action_view_registration_conflicts":       "A   A   A   A   A   Y   Y   Y   Y   Y   A",
        "action_view_registration_objectives":      "A   Y   Y   A   A   Y   Y   Y   Y   Y   A",
    },
    "res.partner": {
        "action_view_business_plans":               "A   Y   Y   A   A   A   Y   Y   Y   Y   Y",
        "action_view_deal_registrations":           "A   A   A   A   A   Y   Y   Y   Y   Y   A",
    },
    "msp.business.plan.heatmap": {
        "get_heatmap_data":                         "A   A   A   A   A   A   Y   0   Y   Y   0",
    },
    "msp.registration.reject.wizard": {
        "action_reject":                            "A   A   A   A   A   A   Y   Y   Y   Y   A",
    },
    "msp.business.plan.template": {
        "action_open_generate_wizard":              "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "action_view_plans":                        "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "generate_plans":                           "A   A   A   A   A   A   Y   Y   Y   Y   A",
    },
    "msp.business.plan.generate.wizard": {
        "action_preview":                           "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "action_back":                              "A   A   A   A   A   A   Y   Y   Y   Y   A",
        "action_generate":                          "A   A   A   A   A   A   Y   Y   Y   Y   A",
    },
}
# fmt: on


# Fields for the vendor's staff only: no portal user (nor the anonymous visitor) may
# read them, search on them (even through a relation), group or sort by them.
STAFF_ONLY_FIELDS = {
    "msp.business.plan": ("description", "registered_deal_count", "activity_ids", "template_id"),
    "msp.business.plan.objective": (
        "lead_domain",
        "deal_filter_preview",
        "deal_count",
        "template_line_id",
        "figures_date",
    ),
    "msp.business.plan.objective.target": ("deal_count",),
    "msp.business.plan.objective.update": ("portal_submission_key",),
    "msp.business.review": ("internal_note", "activity_ids"),
    "crm.lead": (
        "description",
        "registration_internal_note",
        "registration_conflict_lead_ids",
        "registration_conflict",
        "registration_conflict_acknowledged",
        "registration_submission_key",
        "registration_expiry_notified",
        "registration_objective_count",
        "registration_review_mine",
        "duplicate_lead_ids",
        "duplicate_lead_count",
    ),
    "res.partner": ("business_plan_count", "deal_registration_count"),
    "res.company": ("msp_registration_approver_id", "msp_registration_team_id"),
}
# The same fields reached from a model the partner reads: (model, domain path).
STAFF_ONLY_PATHS = (
    ("msp.business.plan", "objective_ids.lead_domain"),
    ("msp.business.plan", "review_ids.internal_note"),
    ("msp.business.review", "plan_id.description"),
    ("msp.business.plan.objective", "plan_id.description"),
    ("msp.business.plan.objective.update", "plan_id.description"),
    ("crm.lead", "registration_conflict_lead_ids.partner_name"),
    ("crm.lead", "registration_conflict_lead_ids.registered_partner_id.name"),
    ("res.partner", "opportunity_ids.registration_conflict_lead_ids.partner_name"),
    ("crm.lead", "activity_ids.summary"),
    ("crm.lead", "activity_user_id.name"),
    ("res.partner", "opportunity_ids.activity_ids.summary"),
    ("msp.business.plan", "objective_ids.plan_id.description"),
    # The vendor's segmentation of its partners (plan templates).
    ("msp.business.plan", "template_id.name"),
    ("msp.business.plan", "template_id.plan_ids.partner_id.name"),
    ("msp.business.plan.objective", "template_line_id.name"),
    ("msp.business.plan", "objective_ids.template_line_id.template_id.name"),
    # The vendor's chatter: notes, activities, followers and files, however reached.
    ("msp.business.plan", "message_ids.body"),
    ("msp.business.plan", "activity_ids.summary"),
    ("msp.business.review", "activity_ids.note"),
    ("msp.business.review", "plan_id.message_follower_ids.partner_id.email"),
    ("msp.business.plan.objective", "plan_id.message_ids.attachment_ids.name"),
    ("crm.lead", "message_ids.body"),
    ("crm.lead", "activity_ids.summary"),
    ("crm.lead", "description"),
)
# The forecast's figures: the partner's own pipeline, so its contacts read them like
# the records' other figures, and whoever may not read the record reaches none of
# them, by id, search, count or read_group (the rows "read", "search", "read_group"
# of MATRIX).
FORECAST_FIELDS = {
    "msp.business.plan": ("forecast_progress", "forecast_to_miss"),
    "msp.business.plan.objective": ("forecast_value", "forecast_to_miss"),
    "msp.business.plan.objective.target": ("forecast_value",),
}
# Every field the addon adds to leads is either for the partner too or in
# STAFF_ONLY_FIELDS: a new one must be put on one side.
LEAD_FIELDS_FOR_PARTNERS = (
    "registered_partner_id",
    "registered_commercial_partner_id",
    "registration_contact_id",
    "registration_state",
    "registration_date",
    "registration_expiry_date",
    "registration_qualified_date",
    "registration_reject_reason",
    "registration_extended",
    "registration_outcome",
    "registration_description",
)


class _Rollback(Exception):
    """Raised to undo a cell once it worked."""


class TestAccessMatrix(MspPlanningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_matrix_fixtures()

    @classmethod
    def _setup_matrix_fixtures(cls):
        cls.digest = cls.env.ref("digest.digest_digest_default")
        Partner = cls.env["res.partner"]
        holding = Partner.create({"name": "Alpha Holding", "is_company": True})
        cls.partner_a.parent_id = holding
        sister = Partner.create(
            {"name": "Alpha Sister Services", "is_company": True, "parent_id": holding.id}
        )
        sister_contact = Partner.create({"name": "Sam Sister", "parent_id": sister.id})
        colleague_contact = Partner.create({"name": "Andy Alpha", "parent_id": cls.partner_a.id})
        cls.portal_sister = new_test_user(
            cls.env,
            login="msp_portal_sister",
            groups="base.group_portal",
            partner_id=sister_contact.id,
        )
        cls.portal_colleague = new_test_user(
            cls.env,
            login="msp_portal_colleague",
            groups="base.group_portal",
            partner_id=colleague_contact.id,
        )
        cls.user_own_other = new_test_user(
            cls.env,
            login="msp_own_other",
            name="Nina Neighbour",
            groups="base.group_user,sales_team.group_sale_salesman,"
            "msp_business_planning.group_user",
        )
        cls.users = {
            "anon": cls.env.ref("base.public_user"),
            "portal_a": cls.portal_a,
            "colleague": cls.portal_colleague,
            "sister": cls.portal_sister,
            "portal_b": cls.portal_b,
            "internal": cls.user_internal,
            "own": cls.user_own,
            "own_other": cls.user_own_other,
            "all": cls.user_all,
            "manager": cls.user_manager,
            "company_2": cls.user_company_2,
        }
        # A's running plan, managed by "own", with records of every kind.
        cls.plan = cls._create_plan(name="Alpha Matrix Plan", state="in_progress")
        cls.objective = cls._create_objective(cls.plan, name="Matrix clients")
        cls.objective_deals = cls._create_objective(
            cls.plan, name="Matrix deals", objective_type="deal_registration"
        )
        # Its own period lines (January only), so another period can be added.
        cls.objective_bare = cls._create_objective(
            cls.plan,
            name="Matrix January",
            target_ids=[
                Command.create(
                    {
                        "name": "January",
                        "date_start": date(2026, 1, 1),
                        "date_end": date(2026, 1, 31),
                        "target_value": 2,
                    }
                )
            ],
        )
        cls.target = cls.objective.target_ids[0]
        cls.target_deals = cls.objective_deals.target_ids[0]
        cls.update = cls._add_update(cls.objective, 4, date(2026, 2, 3), note="Matrix note")
        cls.review_done = cls._create_review(cls.plan, date=date(2026, 4, 10))
        cls.env["msp.business.review.item"].create(
            {"review_id": cls.review_done.id, "name": "Earlier item"}
        )
        cls.review_done.action_done()
        cls.snapshot = cls.review_done.snapshot_ids[0]
        cls.review = cls._create_review(cls.plan, date=date(2026, 7, 10))
        cls.item = cls.env["msp.business.review.item"].create(
            {"review_id": cls.review.id, "name": "Matrix item"}
        )
        cls.score = cls.env["msp.business.review.score"].create(
            {"review_id": cls.review.id, "topic_id": cls._review_topics()[0].id, "score": 40}
        )
        cls.review_cancelled = cls._create_review(cls.plan, date=date(2026, 10, 10))
        cls.review_cancelled.action_cancel()
        cls.initiative = cls._create_initiative(cls.plan)
        cls.topic = cls._review_topics()[0]
        cls.plan_draft = cls._create_plan(name="Alpha Matrix Draft", state="draft")
        cls._create_objective(cls.plan_draft)
        cls.plan_outline = cls._create_plan(name="Alpha Matrix Outline")
        cls._create_objective(cls.plan_outline)
        cls.plan_completed = cls._create_plan(name="Alpha Matrix Completed", state="in_progress")
        cls._create_objective(cls.plan_completed)
        cls.plan_completed.action_complete()
        # A's registrations; the submitted one conflicts with B's deal for the same
        # customer.
        cls._create_registration(cls.partner_b, partner_name="Globex Matrix")
        cls.registration = cls._create_registration(
            cls.partner_a_contact, partner_name="Globex Matrix"
        )
        # Its row in the registered-deals analysis (the view's ids are the leads').
        cls.registration_report = cls.env["msp.deal.registration.report"].browse(
            cls.registration.id
        )
        cls.registration_approved = cls._create_registration(
            cls.partner_a, state="approved", registration_expiry_date=date(2026, 12, 1)
        )
        cls.registration_rejected = cls._create_registration(
            cls.partner_a, state="rejected", registration_reject_reason="Known deal"
        )
        cls.plan_template = cls.env["msp.business.plan.template"].create(
            {
                "name": "Matrix template",
                "line_ids": [Command.create({"name": "Matrix QBRs", "target_value": 3})],
            }
        )
        cls.plan_template_line = cls.plan_template.line_ids

    def _generate_wizard(self, env):
        return env["msp.business.plan.generate.wizard"].create(
            OPERATIONS["msp.business.plan.generate.wizard"]["create"](self)
        )

    def _heatmap_lists_plan(self, env):
        """Y when A's plan is a row of the heatmap, 0 when the call works without it."""
        rows = env["msp.business.plan.heatmap"].get_heatmap_data(2026)["rows"]
        return "Y" if self.plan.id in {row["plan_id"] for row in rows} else "0"

    # ------------------------------------------------------------
    # RUNNER
    # ------------------------------------------------------------

    def _play(self, persona, call):
        """The code of what ``call(env)`` gives as ``persona``, undone afterwards."""
        env = self.env(user=self.users[persona], context=dict(self.env.context))
        try:
            with mute_logger("odoo.access", "odoo.models"), self.env.cr.savepoint():
                result = call(env)
                env.flush_all()
                raise _Rollback(result)
        except _Rollback as done:
            code = done.args[0] if isinstance(done.args[0], str) else "Y"
        except AccessError:
            code = "A"
        except ValidationError:
            code = "V"
        except UserError:
            code = "U"
        finally:
            self.env.invalidate_all()
        return code

    def _operation_calls(self, model):
        spec = OPERATIONS[model]

        def subject(env):
            return getattr(self, spec["subject"]).with_env(env)

        def found(records):
            return "Y" if records else "0"

        def found_in_groups(groups):
            count = sum(group["__count"] for group in groups)
            return "Y" if count else "0"

        calls = {
            "read": lambda env: subject(env).read([spec["field"]]),
            "search": lambda env: found(env[model].search([("id", "=", subject(env).id)])),
            "read_group": lambda env: found_in_groups(
                compat.read_group(env[model], [("id", "=", subject(env).id)], [spec["group_by"]])
            ),
            "write": lambda env: subject(env).write(spec["write"]),
            "create": lambda env: env[model].create(spec["create"](self)),
            "unlink": lambda env: subject(env).unlink(),
        }
        operations = spec.get("operations", tuple(calls))
        return {name: calls[name] for name in operations}

    def _method_calls(self, model):
        calls = {}
        for method, spec in METHODS.get(model, {}).items():
            if callable(spec):
                calls[method] = lambda env, spec=spec: spec(self, env)
                continue
            subject_name, *args = spec

            def call(env, subject_name=subject_name, method=method, args=args):
                return getattr(getattr(self, subject_name).with_env(env), method)(*args)

            calls[method] = call
        return calls

    def _check_table(self, table, calls_for):
        """Play every call of every model of OPERATIONS as every persona; compare
        with the rows of ``table`` (a missing row differs from anything)."""
        mismatches = []
        for model in OPERATIONS:
            rows = table.get(model, {})
            for name, call in calls_for(model).items():
                expected = rows.get(name, "").split()
                actual = [self._play(persona, call) for persona in PERSONAS]
                if actual != expected:
                    mismatches.append(f"{model:<40} {name:<40} {'   '.join(actual)}")
            for name in rows.keys() - calls_for(model).keys():
                mismatches.append(f"{model:<40} {name:<40} (no such call)")
        self.assertFalse(
            mismatches,
            "Cells differ; the rows as they are (columns: "
            + " ".join(PERSONAS)
            + "):\n"
            + "\n".join(mismatches),
        )

    # ------------------------------------------------------------
    # TESTS
    # ------------------------------------------------------------

    def test_every_model_and_method_has_rows(self):
        """The tables cover every model of the addon and every public method it
        defines: a new one fails here until its row is written."""
        registry = self.env.registry
        models = {
            name
            for name, model in registry.items()
            if model._original_module == ADDON
            or any(ADDON in field._modules for field in model._fields.values())
        }
        self.assertEqual(models, set(OPERATIONS))
        self.assertEqual(models, set(MATRIX))
        # CRUD overrides, and init() (the ORM's hook creating tables, views, indexes).
        crud = {"create", "write", "unlink", "copy", "read", "search", "default_get", "init"}
        for name in models:
            methods = {
                attr
                for attr, value in inspect.getmembers(registry[name], inspect.isfunction)
                if not attr.startswith("_")
                and attr not in crud
                and value.__module__.startswith(f"odoo.addons.{ADDON}.")
            }
            with self.subTest(model=name):
                self.assertEqual(methods, set(METHODS.get(name, ())))
                self.assertEqual(methods, set(METHOD_MATRIX.get(name, ())))

    def test_operations(self):
        self._check_table(MATRIX, self._operation_calls)

    def test_public_methods(self):
        self._check_table(METHOD_MATRIX, self._method_calls)

    def _staff_field_calls(self, model, field_name):
        """Every way to reach a field: read it, search, sort and group by it."""
        subject = getattr(self, OPERATIONS[model]["subject"])
        field = self.env[model]._fields[field_name]
        calls = {"read": lambda env: subject.with_env(env).read([field_name])}
        if field.store or field.search:
            calls["search"] = lambda env: env[model].search([(field_name, "!=", False)])
        if field.store and field.column_type:
            calls["order"] = lambda env: env[model].search([], order=field_name)
        if field.store and (field.column_type or field.type == "many2many"):
            calls["read_group"] = lambda env: compat.read_group(env[model], [], [field_name])
        return calls

    def test_staff_fields_are_hidden_from_portal_users(self):
        """Portal users may read the records; never these fields, in any way."""
        leaks = [
            f"{model}.{field_name}: {operation} as {persona}"
            for model, field_names in STAFF_ONLY_FIELDS.items()
            for field_name in field_names
            for operation, call in self._staff_field_calls(model, field_name).items()
            for persona in PORTAL_PERSONAS
            if self._play(persona, call) != "A"
        ]
        self.assertFalse(leaks, "Staff-only fields reached by portal users:\n" + "\n".join(leaks))
        # The partner's own contact does read these records, just not those fields.
        for model in STAFF_ONLY_FIELDS:
            subject = getattr(self, OPERATIONS[model]["subject"])
            self.assertEqual(
                self._play(
                    "portal_a", lambda env, s=subject: s.with_env(env).read(["display_name"])
                ),
                "Y",
                model,
            )

    def test_forecast_fields_follow_the_records_access(self):
        def found(records):
            return "Y" if records else "0"

        mismatches = []
        for model, field_names in FORECAST_FIELDS.items():
            subject = getattr(self, OPERATIONS[model]["subject"])
            for field_name in field_names:
                # Any value, false or not: the field's domain on the subject's id.
                domain = [
                    ("id", "=", subject.id),
                    "|",
                    (field_name, "=", False),
                    (field_name, "!=", False),
                ]
                calls = {
                    "read": lambda env, m=model, f=field_name, i=subject.id: (
                        env[m].browse(i).read([f])
                    ),
                    "search": lambda env, m=model, d=domain: found(env[m].search(d)),
                    "search_count": lambda env, m=model, d=domain: found(env[m].search_count(d)),
                    "read_group": lambda env, m=model, d=domain, f=field_name: found(
                        sum(group["__count"] for group in compat.read_group(env[m], d, [f]))
                    ),
                }
                for operation, call in calls.items():
                    row = "search" if operation == "search_count" else operation
                    expected = MATRIX[model][row].split()
                    actual = [self._play(persona, call) for persona in PERSONAS]
                    if actual != expected:
                        mismatches.append(f"{model}.{field_name} {operation}: {'   '.join(actual)}")
        self.assertFalse(mismatches, "Forecast fields reached otherwise:\n" + "\n".join(mismatches))

    def test_staff_fields_are_not_searchable_through_relations(self):
        leaks = [
            f"{model}: {path} as {persona}"
            for (model, path), persona in product(STAFF_ONLY_PATHS, PORTAL_PERSONAS)
            if self._play(persona, lambda env, m=model, p=path: env[m].search([(p, "ilike", "a")]))
            != "A"
        ]
        self.assertFalse(leaks, "Staff-only fields searched by portal users:\n" + "\n".join(leaks))

    def test_every_lead_field_of_the_addon_is_classified(self):
        added = {
            name for name, field in self.env["crm.lead"]._fields.items() if ADDON in field._modules
        }
        classified = set(LEAD_FIELDS_FOR_PARTNERS) | set(STAFF_ONLY_FIELDS["crm.lead"])
        self.assertEqual(added, classified)
        portal_env = self.env(user=self.portal_a)
        for name in STAFF_ONLY_FIELDS["crm.lead"]:
            self.assertFalse(compat.has_field_access(portal_env["crm.lead"], "read", name), name)
