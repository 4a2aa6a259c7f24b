from . import (
    test_business_plan,
    test_deal_registration,
    test_deal_tracking_math,
    test_objective,
    test_objective_tracking,
    test_performance,
    test_planning_math,
    test_security,
)
