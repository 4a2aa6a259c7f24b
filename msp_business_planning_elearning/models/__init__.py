from . import msp_business_plan_objective, slide_channel_partner
