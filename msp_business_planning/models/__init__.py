# The isolation mixins first: the models below inherit them.
from . import msp_partner_isolation_mixin, msp_partner_isolation_thread_mixin  # isort: split

from . import (
    calendar_event,
    compat_data,
    crm_lead,
    digest_digest,
    mail_message,
    msp_business_plan,
    msp_business_plan_initiative,
    msp_business_plan_objective,
    msp_business_plan_objective_off_track,
    msp_business_plan_objective_target,
    msp_business_plan_objective_update,
    msp_business_plan_template,
    msp_business_plan_template_line,
    msp_business_review,
    msp_business_review_item,
    msp_business_review_score,
    msp_business_review_snapshot,
    msp_business_review_topic,
    res_company,
    res_config_settings,
    res_partner,
)
