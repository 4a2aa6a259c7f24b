from odoo import _, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from ..models.crm_lead import PORTAL_REGISTRATION_FIELDS
from ..tools import compat
from .portal import MspBusinessPlanPortal

DEAL_URL = "/my/deal-registrations"


class MspDealRegistrationPortal(MspBusinessPlanPortal):
    """The partner's deal registrations on the portal.

    Registrations are crm.lead records with ``registered_partner_id`` in the user's
    commercial entity. Every page checks access like the business plan pages
    (``_document_check_access`` within ``except (AccessError, MissingError)``), then
    the lead must be an active registration of the user's own company: an ordinary
    lead, another partner's registration and an unknown id get the same answer.
    The partner sees what it registered and the state of the registration; nothing
    the vendor's staff keeps for itself (conflicting leads, notes, salesperson,
    stage) ever reaches a page.
    """

    # ------------------------------------------------------------
    # ACCESS
    # ------------------------------------------------------------

    def _deal_registration_domain(self):
        # Record rules already limit portal users to their company's registrations; the
        # domain also keeps internal users browsing /my to what a partner sees.
        return [
            ("registered_commercial_partner_id", "=", request.env.user.commercial_partner_id.id),
            ("registration_state", "!=", False),
            # A lost deal stays on the portal with its outcome; a registration archived
            # otherwise (e.g. a duplicate) leaves it. "Lost" as crm marks it: archived
            # with no probability left.
            "|",
            ("active", "=", True),
            ("probability", "=", 0),
        ]

    def _deal_registration_check_access(self, lead_id):
        """The registration in the user's environment once the user may see it;
        MissingError or AccessError otherwise (callers answer both the same way)."""
        self._document_check_access("crm.lead", lead_id)
        # The user's own environment: the page then reads only what the user may read,
        # and a staff-only field would fail loudly instead of leaking.
        lead = request.env["crm.lead"].browse(lead_id)
        if not lead.filtered_domain(self._deal_registration_domain()):
            raise MissingError(_("This document does not exist."))
        return lead

    def _deal_registration_refused(self):
        """The one answer for a registration the user may not see: the same as for a
        business plan (404 once logged in)."""
        return self._business_plan_refused()

    def _deal_registration_user_can_register(self):
        # Deals are registered by the partners' contacts (see _register_deal_from_portal).
        return request.env.user._is_portal()

    # ------------------------------------------------------------
    # HOME AND LIST
    # ------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "deal_registration_count" in counters:
            Lead = request.env["crm.lead"]
            values["deal_registration_count"] = (
                Lead.search_count(self._deal_registration_domain())
                if Lead.has_access("read")
                else 0
            )
        return values

    def _deal_registration_searchbar_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "registration_date desc, id desc"},
            "name": {"label": _("Name"), "order": "name, id"},
        }

    def _deal_registration_searchbar_filters(self):
        Lead = request.env["crm.lead"]
        labels = dict(Lead._fields["registration_outcome"]._description_selection(request.env))
        filters = {"all": {"label": _("All"), "domain": []}}
        for outcome, domain in Lead._get_registration_outcome_domains().items():
            filters[outcome] = {"label": labels[outcome], "domain": domain}
        return filters

    @http.route(
        [DEAL_URL, f"{DEAL_URL}/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_deal_registrations(self, page=1, sortby=None, filterby=None, message=None, **kw):
        leads, values = self._msp_portal_list_values(
            "crm.lead",
            DEAL_URL,
            self._deal_registration_domain(),
            self._deal_registration_searchbar_sortings(),
            self._deal_registration_searchbar_filters(),
            page,
            sortby,
            filterby,
        )
        values.update(
            {
                "leads": leads,
                "page_name": "deal_registration",
                "can_register": self._deal_registration_user_can_register(),
                "msp_message": self._deal_registration_messages().get(message),
            }
        )
        return request.render("msp_business_planning.portal_my_deal_registrations", values)

    def _deal_registration_messages(self):
        """Confirmations shown after a redirect, by key: the URL carries a key, never
        a text, so nothing typed in a URL is echoed on the page."""
        return {
            "registered": _(
                "Thank you: your deal is registered. We will review it and let you know."
            ),
            "duplicate": _("This deal was already registered."),
        }

    # ------------------------------------------------------------
    # REGISTRATION PAGE
    # ------------------------------------------------------------

    @http.route(f"{DEAL_URL}/<int:lead_id>", type="http", auth="user", website=True, readonly=True)
    def portal_my_deal_registration(self, lead_id, message=None, **kw):
        try:
            lead = self._deal_registration_check_access(lead_id)
        except (AccessError, MissingError):
            return self._deal_registration_refused()
        # sudo: the conflict fields are staff-only, yet the partner may know whether a
        # conflict is being reviewed; only this yes/no leaves, never the other leads.
        conflict_under_review = lead.registration_state == "submitted" and bool(
            lead.sudo().registration_conflict
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "lead": lead,
                "page_name": "deal_registration",
                "conflict_under_review": conflict_under_review,
                "msp_message": self._deal_registration_messages().get(message),
            }
        )
        return request.render("msp_business_planning.portal_my_deal_registration", values)

    # ------------------------------------------------------------
    # NEW REGISTRATION (GET form, POST CSRF-protected by default)
    # ------------------------------------------------------------

    def _render_deal_registration_form(self, typed=None, errors=None, error=None):
        deadline_min, deadline_max = self._deal_deadline_range()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "deal_registration",
                "deal_form": True,
                "typed": typed or {},
                "errors": errors or {},
                "msp_error": error,
                # A fresh key for every rendered form: what was typed is kept, but a
                # corrected form is a new submission.
                "form_key": self._business_plan_form_key(),
                "deadline_min": deadline_min,
                "deadline_max": deadline_max,
                # Registrations are made in the current company (see
                # _register_deal_from_portal), so amounts are in its currency.
                "currency": request.env.company.currency_id,
            }
        )
        return request.render("msp_business_planning.portal_my_deal_registration_new", values)

    @http.route(
        f"{DEAL_URL}/new",
        type="http",
        auth="user",
        methods=["GET", "POST"],
        website=True,
        # The empty form (GET) only reads; the registration (POST) writes.
        readonly=compat.route_readonly_unless_post,
    )
    def portal_deal_registration_new(self, form_key=None, **kw):
        if not self._deal_registration_user_can_register():
            return self._deal_registration_refused()
        if request.httprequest.method != "POST":
            return self._render_deal_registration_form()

        # Only the whitelisted inputs are read, as text; anything else sent is ignored.
        typed = {
            name: kw[name] if isinstance(kw.get(name), str) else ""
            for name in PORTAL_REGISTRATION_FIELDS
        }
        Lead = request.env["crm.lead"]
        # The page's form always carries a key; a client that sends none simply gets
        # no duplicate guard.
        if form_key is not None and not self._is_valid_form_key(form_key):
            return self._render_deal_registration_form(
                typed,
                error=_("This form has expired; please check your deal and send it again."),
            )
        existing = Lead._get_portal_registration_by_key(form_key)
        if existing:
            return request.redirect(f"{DEAL_URL}/{existing.id}?message=duplicate")

        # The model reads and checks the typed texts, every field at once.
        _values, errors = Lead._check_portal_registration_values(typed)
        if errors:
            return self._render_deal_registration_form(
                typed,
                errors=errors,
                error=_("Please correct the fields marked below; nothing was registered."),
            )
        try:
            lead = Lead._register_deal_from_portal(typed, submission_key=form_key or False)
        except (UserError, ValidationError) as error:
            return self._render_deal_registration_form(typed, error=error.args[0])
        if not lead:
            return request.redirect(f"{DEAL_URL}?message=duplicate")
        return request.redirect(f"{DEAL_URL}/{lead.id}?message=registered")

    def _deal_deadline_range(self):
        return request.env["crm.lead"]._get_registration_deadline_range()
