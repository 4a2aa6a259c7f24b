{
    "name": "MSP Business Planning - eLearning",
    "summary": "Business plan objectives counting the partner contacts who completed "
    "chosen eLearning courses",
    "version": "1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/msp-business-planning/msp_business_planning",
    "author": "MSP Business Planning contributors",
    "license": "LGPL-3",
    "depends": ["msp_business_planning", "website_slides"],
    "data": [
        "views/msp_business_plan_objective_views.xml",
    ],
    "post_init_hook": "_date_existing_course_completions",
    "auto_install": True,
    "installable": True,
}
