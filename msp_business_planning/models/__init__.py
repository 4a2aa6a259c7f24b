from . import msp_business_plan
from . import msp_business_plan_objective
from . import msp_business_plan_objective_target
from . import msp_business_plan_objective_update
from . import res_partner
