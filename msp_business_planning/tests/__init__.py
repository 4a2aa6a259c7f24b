from . import (
    test_business_plan,
    test_objective,
    test_planning_math,
    test_portal,
    test_report_dashboards,
    test_report_http,
    test_report_pdf,
    test_report_xlsx,
    test_security,
)
