{
    "name": "MSP Business Planning - Dashboard",
    "summary": "A Business Planning dashboard in the Dashboards app: plans by pacing, "
    "channel progress, registrations, won registered revenue, reviews and scores",
    "version": "1.1.0",
    "category": "Sales/CRM",
    "website": "https://github.com/msp-business-planning/msp_business_planning",
    "author": "MSP Business Planning contributors",
    "license": "LGPL-3",
    "depends": ["msp_business_planning", "spreadsheet_dashboard"],
    "data": [
        "data/spreadsheet_dashboard_data.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "msp_business_planning_spreadsheet_dashboard/static/tests/tours/**/*",
        ],
    },
    "auto_install": True,
    "installable": True,
}
