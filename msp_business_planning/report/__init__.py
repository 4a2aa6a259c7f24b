from . import msp_business_plan_report, msp_business_plan_xlsx
