from . import test_business_plan, test_objective, test_planning_math, test_portal, test_security
