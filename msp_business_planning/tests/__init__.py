from . import (
    test_business_plan,
    test_business_review,
    test_objective,
    test_planning_math,
    test_security,
)
