from . import (
    test_business_plan,
    test_business_review,
    test_initiative,
    test_objective,
    test_planning_math,
    test_review_performance,
    test_review_playbook,
    test_review_report,
    test_review_security,
    test_review_ui,
    test_security,
)
