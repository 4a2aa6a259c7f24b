from . import export, portal, portal_deal_registration
