from . import (
    msp_business_plan_heatmap,
    msp_business_plan_report,
    msp_business_plan_xlsx,
    msp_deal_registration_report,
)
