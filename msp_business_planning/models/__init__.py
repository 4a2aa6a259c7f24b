from . import (
    msp_business_plan,
    msp_business_plan_objective,
    msp_business_plan_objective_target,
    msp_business_plan_objective_update,
    res_partner,
)
