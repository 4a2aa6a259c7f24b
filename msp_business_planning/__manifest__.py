{
    "name": "MSP Business Planning",
    "summary": "Annual partner business plans, weighted objectives tracked from CRM "
    "deal registrations, and business reviews shared through the portal",
    "version": "18.0.1.4.0",
    "category": "Sales/CRM",
    "website": "https://github.com/msp-business-planning/msp_business_planning",
    "author": "MSP Business Planning contributors",
    "license": "LGPL-3",
    "application": True,
    "depends": ["crm", "portal"],
    "data": [
        "security/msp_business_planning_groups.xml",
        "security/ir.model.access.csv",
        "security/msp_business_planning_security.xml",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "views/msp_business_plan_objective_views.xml",
        "views/msp_business_plan_objective_target_views.xml",
        "views/msp_business_plan_objective_update_views.xml",
        "views/msp_business_plan_views.xml",
        "views/res_partner_views.xml",
        "report/msp_business_plan_reports.xml",
        "report/msp_business_plan_templates.xml",
        "views/msp_business_plan_portal_templates.xml",
        "views/msp_business_planning_menus.xml",
    ],
    "demo": [
        "demo/msp_business_planning_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "msp_business_planning/static/src/scss/portal.scss",
            "msp_business_planning/static/src/js/portal_commitment.js",
        ],
        "web.assets_tests": [
            "msp_business_planning/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
