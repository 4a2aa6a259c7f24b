from . import (
    crm_lead,
    msp_business_plan,
    msp_business_plan_objective,
    msp_business_plan_objective_target,
    msp_business_plan_objective_update,
    res_config_settings,
    res_partner,
)
