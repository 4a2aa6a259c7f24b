from . import msp_business_plan_xlsx
