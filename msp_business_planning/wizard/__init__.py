from . import msp_registration_reject_wizard
