import secrets

from werkzeug.urls import url_encode

from odoo import _, fields, http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import content_disposition, request
from odoo.tools import html_sanitize

from ..models.msp_business_plan import PARTNER_VISIBLE_STATES
from ..tools import compat, portal_input
from .export import XLSX_MIMETYPE

PLAN_URL = "/my/business-plans"
# Shape of the one-time keys the progress forms carry (see _business_plan_form_key).
FORM_KEY_LENGTH = (16, 64)
# Running plans shown as cards on /my (the others are one click away in the list).
RUNNING_PLAN_CARDS = 6


class MspBusinessPlanPortal(CustomerPortal):
    """The partner's business plans on the portal.

    Every route checks access the same way: ``_document_check_access`` (record rules,
    or a valid access token on the read-only page) within ``except (AccessError,
    MissingError)``, then the plan must be in a state the partner may see. A foreign,
    unknown, outline or cancelled plan gets the same answer (see
    ``_business_plan_refused``), leaking nothing. Writes (accept, progress,
    commitment) are for the partner's own logged-in contacts only, never for a token
    holder.
    """

    # ------------------------------------------------------------
    # ACCESS
    # ------------------------------------------------------------

    def _business_plan_domain(self):
        # Record rules already limit portal users; the domain also keeps internal
        # users browsing /my to what a partner sees: its own company's shared plans.
        return [
            ("partner_id", "child_of", request.env.user.commercial_partner_id.id),
            ("state", "in", PARTNER_VISIBLE_STATES),
        ]

    def _business_plan_check_access(self, plan_id, access_token=None):
        """The plan in superuser mode once the user may see it; MissingError or
        AccessError otherwise (callers answer both the same way)."""
        plan = self._document_check_access("msp.business.plan", plan_id, access_token)
        # A token outlives the sharing: a plan taken back to outline or cancelled
        # must disappear for its holders too.
        if plan.state not in PARTNER_VISIBLE_STATES:
            raise MissingError(_("This document does not exist."))
        # sudo() only now that the access is checked: the page shows what the partner
        # may not read directly (channel manager, target accounts), and the actions
        # write what portal users cannot. Unlike the superuser record returned above,
        # it keeps the user: author of what it writes, its language and timezone.
        return request.env["msp.business.plan"].sudo().browse(plan.id)

    def _business_plan_check_write_access(self, plan_id):
        """The plan in superuser mode when the logged-in user is a contact of its partner
        with access through the record rules (no token); AccessError otherwise."""
        plan_sudo = self._business_plan_check_access(plan_id)
        if not self._business_plan_user_can_act(plan_sudo):
            raise AccessError(_("Only the partner's contacts can act on its plan."))
        return plan_sudo

    def _business_plan_refused(self):
        """The one answer for a plan the user may not see, whatever the reason
        (another partner's, unknown id, draft outline, cancelled, wrong token), so
        nothing tells them apart: 404 for a logged-in user; an anonymous visitor is
        asked to log in first, as for any page of /my."""
        if request.env.user._is_public():
            return request.redirect(
                f"/web/login?{url_encode({'redirect': request.httprequest.path})}"
            )
        raise request.not_found()

    def _business_plan_user_can_act(self, plan_sudo):
        user = request.env.user
        return (
            not user._is_public()
            and user.commercial_partner_id == plan_sudo.commercial_partner_id
            and plan_sudo.with_user(user).has_access("read")
        )

    # ------------------------------------------------------------
    # HOME AND LIST
    # ------------------------------------------------------------

    def _business_upcoming_meetings(self, limit=5):
        """The next meetings of the user's business reviews (its company's plans the
        partner may see), soonest first, for the /my home page: (review, meeting)
        pairs in superuser mode, read after the search as the user."""
        Review = request.env["msp.business.review"]
        if request.env.user._is_public() or not Review.has_access("read"):
            return []
        reviews = Review.search(
            [
                ("commercial_partner_id", "=", request.env.user.commercial_partner_id.id),
                ("plan_state", "in", PARTNER_VISIBLE_STATES),
                ("state", "=", "scheduled"),
                ("date", ">=", fields.Date.context_today(Review)),
            ],
            limit=limit,
            order="date, id",
        )
        meetings = self._business_review_meetings(reviews)
        return [(review.sudo(), meetings[review.id]) for review in reviews if review.id in meetings]

    def _business_review_meetings(self, reviews, access_token=None):
        """{review id: {"start": datetime, "ics_url": str}} of the reviews' upcoming
        meetings. The caller checked the user may see the reviews; the meetings are
        read in superuser mode (staff-only field) and only their time leaves here."""
        now = fields.Datetime.now()
        meetings = {}
        for review in reviews.sudo():
            event = review.calendar_event_id
            if review.state != "scheduled" or not event or event.stop < now:
                continue
            url = f"{PLAN_URL}/{review.plan_id.id}/reviews/{review.id}/meeting.ics"
            if access_token:
                url += "?" + url_encode({"access_token": access_token})
            meetings[review.id] = {"start": event.start, "stop": event.stop, "ics_url": url}
        return meetings

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if not counters:
            # The page itself (its counters come later, by JSON): the next meetings.
            values["upcoming_review_meetings"] = self._business_upcoming_meetings()
        if "business_plan_count" in counters:
            Plan = request.env["msp.business.plan"]
            values["business_plan_count"] = (
                Plan.search_count(self._business_plan_domain()) if Plan.has_access("read") else 0
            )
        if not counters:
            # The page itself (counters come later, over RPC): a card per running plan.
            values["msp_running_plans"] = self._business_plan_running_plans()
        return values

    def _business_plan_running_plans(self):
        Plan = request.env["msp.business.plan"]
        if not Plan.has_access("read"):
            return Plan
        return Plan.search(
            compat.Domain.AND([self._business_plan_domain(), [("state", "=", "in_progress")]]),
            order="date_start desc, id desc",
            limit=RUNNING_PLAN_CARDS,
        )

    def _business_plan_searchbar_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "date_start desc, id desc"},
            "name": {"label": _("Name"), "order": "name, id"},
            "progress": {"label": _("Progress"), "order": "progress desc, id desc"},
        }

    def _business_plan_searchbar_filters(self):
        return {
            "all": {"label": _("All"), "domain": []},
            "running": {"label": _("Running"), "domain": [("state", "=", "in_progress")]},
            "completed": {"label": _("Completed"), "domain": [("state", "=", "completed")]},
        }

    def _msp_portal_list_values(
        self, model, url, domain, sortings, filters, page, sortby, filterby
    ):
        """Records, pager and search bar values of a paged, sortable, filterable portal
        list of ``model`` (empty when the user may not read it at all)."""
        Model = request.env[model]
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = compat.Domain.AND([domain, filters[filterby]["domain"]])
        has_access = Model.has_access("read")
        pager = portal_pager(
            url=url,
            url_args={"sortby": sortby, "filterby": filterby},
            total=Model.search_count(domain) if has_access else 0,
            page=page,
            step=self._items_per_page,
        )
        records = Model
        if has_access:
            records = Model.search(
                domain,
                order=sortings[sortby]["order"],
                limit=self._items_per_page,
                offset=pager["offset"],
            )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "default_url": url,
                "pager": pager,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return records, values

    @http.route(
        [PLAN_URL, f"{PLAN_URL}/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_business_plans(self, page=1, sortby=None, filterby=None, **kw):
        plans, values = self._msp_portal_list_values(
            "msp.business.plan",
            PLAN_URL,
            self._business_plan_domain(),
            self._business_plan_searchbar_sortings(),
            self._business_plan_searchbar_filters(),
            page,
            sortby,
            filterby,
        )
        request.session["my_business_plans_history"] = plans.ids[:100]
        values.update({"plans": plans, "page_name": "business_plan"})
        return request.render("msp_business_planning.portal_my_business_plans", values)

    # ------------------------------------------------------------
    # PLAN PAGE
    # ------------------------------------------------------------

    def _business_plan_messages(self):
        """Confirmations shown after a redirect, by key: the URL carries a key, never
        a text, so nothing typed in a URL is echoed on the page."""
        return {
            "accepted": _("Thank you: the plan is accepted and now in progress."),
            "progress_saved": _("Your progress report is recorded."),
            "progress_duplicate": _("This progress report was already recorded."),
            "commitment_saved": _("Your commitment is saved."),
            "feedback_saved": _("Thank you for your feedback on the review."),
            "progress_mail_on": _("You will receive the monthly progress mail of this plan."),
            "progress_mail_off": _(
                "You will no longer receive the monthly progress mail of this plan."
            ),
        }

    def _business_plan_form_key(self):
        # One-time key per progress form: a second submission of the same form (double
        # click, reload of the POST) is recognised and records nothing more.
        return secrets.token_urlsafe(24)

    def _business_plan_page_values(self, plan_sudo, access_token=None, **extra):
        manual_objectives = plan_sudo.objective_ids.filtered(lambda o: o.objective_type == "manual")
        # The latest reports of every objective in one query, not one per objective
        # (the page lists each objective's own slice of them).
        manual_objectives.update_ids.fetch(["date", "value", "note", "author_id"])
        values = {
            "plan": plan_sudo,
            "page_name": "business_plan",
            "can_act": self._business_plan_user_can_act(plan_sudo),
            "form_keys": {o.id: self._business_plan_form_key() for o in manual_objectives},
            "progress_errors": {},
            "progress_input": {},
            "commitment_error": False,
            "commitment_input": None,
            "msp_message": False,
            "msp_error": False,
            # Where the partner stands among its peers: aggregates only, never a name.
            "peer_benchmarks": request.env["msp.business.plan.template"]._get_peer_benchmarks(
                plan_sudo
            ),
            # The charts' figures travel in the page (no route of their own to query).
            "msp_charts": plan_sudo._portal_chart_values(),
            "review_meetings": self._business_review_meetings(plan_sudo.review_ids, access_token),
            # Today, or the nearest day of the plan when today is outside it.
            "default_update_date": min(
                max(fields.Date.context_today(plan_sudo), plan_sudo.date_start),
                plan_sudo.date_end,
            ),
            **extra,
        }
        values = self._prepare_portal_layout_values() | values
        return self._get_page_view_values(
            plan_sudo, access_token, values, "my_business_plans_history", False
        )

    def _render_business_plan(self, plan_sudo, access_token=None, **extra):
        return request.render(
            "msp_business_planning.portal_my_business_plan",
            self._business_plan_page_values(plan_sudo, access_token, **extra),
        )

    @http.route(
        f"{PLAN_URL}/<int:plan_id>", type="http", auth="public", website=True, readonly=True
    )
    def portal_my_business_plan(self, plan_id, access_token=None, message=None, **kw):
        try:
            plan_sudo = self._business_plan_check_access(plan_id, access_token)
        except (AccessError, MissingError):
            return self._business_plan_refused()
        return self._render_business_plan(
            plan_sudo,
            access_token,
            msp_message=self._business_plan_messages().get(message),
        )

    @http.route(
        f"{PLAN_URL}/<int:plan_id>/download/<string:file_format>",
        type="http",
        auth="public",
        website=True,
        methods=["GET"],
        readonly=True,
    )
    def portal_business_plan_download(self, plan_id, file_format, access_token=None, **kw):
        """The plan as an Excel workbook (``xlsx``) or a PDF (``pdf``), for whoever may
        see its page (the partner's contacts, or the holder of its access token)."""
        if file_format not in ("xlsx", "pdf"):
            return self._business_plan_refused()
        try:
            plan_sudo = self._business_plan_check_access(plan_id, access_token)
        except (AccessError, MissingError):
            return self._business_plan_refused()
        if file_format == "pdf":
            return self._show_report(
                model=plan_sudo,
                report_type="pdf",
                report_ref="msp_business_planning.action_report_business_plan",
                download=True,
            )
        # Superuser export, as for the page itself: access to this plan was checked
        # above (record rules or token) and the workbook shows what the page shows
        # (e.g. no cancelled review), whoever opens it.
        return self._file_response(
            plan_sudo._export_xlsx_for_partner(), XLSX_MIMETYPE, plan_sudo._get_xlsx_filename()
        )

    def _file_response(self, content, mimetype, filename):
        """A download: ``content`` as a file named ``filename``."""
        return request.make_response(
            content,
            headers=[
                ("Content-Type", mimetype),
                ("Content-Length", len(content)),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )

    def _redirect_to_plan(self, plan_sudo, message):
        return request.redirect(f"{PLAN_URL}/{plan_sudo.id}?message={message}")

    # ------------------------------------------------------------
    # PARTNER ACTIONS (POST, CSRF-protected by default)
    # ------------------------------------------------------------

    @http.route(
        f"{PLAN_URL}/<int:plan_id>/accept",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_business_plan_accept(self, plan_id, **kw):
        try:
            plan_sudo = self._business_plan_check_write_access(plan_id)
        except (AccessError, MissingError):
            return self._business_plan_refused()
        if plan_sudo.state != "draft":
            return self._render_business_plan(
                plan_sudo, msp_error=_("Only a draft plan waiting for you can be accepted.")
            )
        try:
            # In superuser mode (see _business_plan_check_access): portal users cannot
            # write plans. The chatter records the user as the one who accepted.
            plan_sudo.action_accept_by_partner()
        except UserError as error:
            return self._render_business_plan(plan_sudo, msp_error=error.args[0])
        return self._redirect_to_plan(plan_sudo, "accepted")

    @http.route(
        f"{PLAN_URL}/<int:plan_id>/objectives/<int:objective_id>/update",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_business_plan_objective_update(
        self, plan_id, objective_id, value=None, note=None, date=None, form_key=None, **kw
    ):
        try:
            plan_sudo = self._business_plan_check_write_access(plan_id)
        except (AccessError, MissingError):
            return self._business_plan_refused()
        # Only an objective of this very plan: any other id is as unknown as a plan.
        objective_sudo = plan_sudo.objective_ids.filtered(lambda o: o.id == objective_id)
        if not objective_sudo:
            return self._business_plan_refused()

        typed = {"value": value or "", "note": note or "", "date": date or ""}
        try:
            parsed_value, parsed_date, parsed_note = self._parse_progress_form(typed)
            parsed_date = parsed_date or fields.Date.context_today(plan_sudo)
            # The page's forms always carry a key; a client that sends none (the
            # contract only names value and note) simply gets no duplicate guard.
            if form_key is not None and not self._is_valid_form_key(form_key):
                raise ValidationError(
                    _("This form has expired; please check your report and send it again.")
                )
            # In superuser mode, keeping the user as author: portal users cannot create
            # updates, and the access to this plan was checked above.
            update = objective_sudo._portal_report_progress(
                parsed_value, parsed_date, parsed_note, submission_key=form_key or False
            )
        except (UserError, ValidationError) as error:
            return self._render_business_plan(
                plan_sudo,
                progress_errors={objective_sudo.id: error.args[0]},
                progress_input={objective_sudo.id: typed},
            )
        return self._redirect_to_plan(
            plan_sudo, "progress_saved" if update else "progress_duplicate"
        )

    def _parse_progress_form(self, typed):
        """(value, date, note) from the typed texts, date None when not given;
        ValidationError in the partner's words when a text is not a number, a date or
        a note. Whether the value and date are acceptable is the update's to say."""
        try:
            value = portal_input.parse_number(typed["value"])
        except portal_input.InputError as error:
            raise ValidationError(
                _("Enter the value achieved.")
                if error.kind == "missing"
                else _("The value must be a number, such as 12 or 12.5 (no thousands separators).")
            ) from None
        try:
            day = portal_input.parse_iso_date(typed["date"]) if typed["date"].strip() else None
        except portal_input.InputError:
            raise ValidationError(
                _("The date is not valid; use the date picker (YYYY-MM-DD).")
            ) from None
        try:
            note = portal_input.clean_text(typed["note"])
        except portal_input.InputError:
            raise ValidationError(
                _(
                    "The note is too long (more than %(max)s characters).",
                    max=portal_input.MAX_NOTE_LENGTH,
                )
            ) from None
        return value, day, note

    def _is_valid_form_key(self, form_key):
        return (
            isinstance(form_key, str)
            and FORM_KEY_LENGTH[0] <= len(form_key) <= FORM_KEY_LENGTH[1]
            and all(c.isascii() and (c.isalnum() or c in "-_") for c in form_key)
        )

    @http.route(
        f"{PLAN_URL}/<int:plan_id>/commitment",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_business_plan_commitment(self, plan_id, partner_commitment=None, **kw):
        try:
            plan_sudo = self._business_plan_check_write_access(plan_id)
        except (AccessError, MissingError):
            return self._business_plan_refused()
        try:
            # In superuser mode, keeping the user: portal users cannot write plans; the
            # access to this plan was checked above. The html is sanitized on write.
            plan_sudo._portal_update_partner_commitment(partner_commitment or "")
        except (UserError, ValidationError) as error:
            return self._render_business_plan(
                plan_sudo,
                commitment_error=error.args[0],
                # Kept as typed, but sanitized: it is shown again in the editor.
                commitment_input=html_sanitize(partner_commitment or ""),
            )
        return self._redirect_to_plan(plan_sudo, "commitment_saved")

    # ------------------------------------------------------------
    # BUSINESS REVIEWS
    # ------------------------------------------------------------

    def _business_review_check_access(self, plan_id, review_id, access_token=None, write=False):
        """The review in superuser mode when it belongs to a plan the user may see (may
        act on, with ``write``) and the partner may see it (scheduled or done);
        MissingError or AccessError otherwise."""
        if write:
            plan_sudo = self._business_plan_check_write_access(plan_id)
        else:
            plan_sudo = self._business_plan_check_access(plan_id, access_token)
        review_sudo = plan_sudo.review_ids.filtered(
            lambda review: review.id == review_id and review.state in ("scheduled", "done")
        )
        if not review_sudo:
            raise MissingError(_("This document does not exist."))
        return review_sudo

    @http.route(
        f"{PLAN_URL}/<int:plan_id>/reviews/<int:review_id>/feedback",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_business_review_feedback(self, plan_id, review_id, rating=None, comment=None, **kw):
        try:
            review_sudo = self._business_review_check_access(plan_id, review_id, write=True)
        except (AccessError, MissingError):
            return self._business_plan_refused()
        plan_sudo = review_sudo.plan_id
        try:
            # As the portal user, not sudo: the method checks its read access again and
            # writes the feedback fields only.
            review_sudo.with_user(request.env.user).sudo(False).action_submit_feedback(
                rating or "", comment or ""
            )
        except (UserError, ValidationError) as error:
            return self._render_business_plan(plan_sudo, msp_error=error.args[0])
        return self._redirect_to_plan(plan_sudo, "feedback_saved")

    @http.route(
        f"{PLAN_URL}/<int:plan_id>/reviews/<int:review_id>/report",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def portal_business_review_report(self, plan_id, review_id, access_token=None, **kw):
        """The QBR document (PDF) of a done review, for whoever may see the plan."""
        try:
            review_sudo = self._business_review_check_access(plan_id, review_id, access_token)
        except (AccessError, MissingError):
            return self._business_plan_refused()
        if review_sudo.state != "done":
            return self._business_plan_refused()
        return self._show_report(
            model=review_sudo,
            report_type="pdf",
            report_ref="msp_business_planning.action_report_business_review",
            download=True,
        )

    @http.route(
        f"{PLAN_URL}/<int:plan_id>/reviews/<int:review_id>/meeting.ics",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def portal_business_review_meeting_ics(self, plan_id, review_id, access_token=None, **kw):
        """The meeting of a scheduled review as an iCalendar file (Odoo's own, as in
        its invitations), to add it to the partner's calendar; for whoever may see
        the plan."""
        try:
            review_sudo = self._business_review_check_access(plan_id, review_id, access_token)
        except (AccessError, MissingError):
            return self._business_plan_refused()
        event = review_sudo.calendar_event_id
        content = event._get_ics_file().get(event.id) if review_sudo.state == "scheduled" else None
        if not content:
            return self._business_plan_refused()
        return self._file_response(content, "text/calendar; charset=utf-8", "business-review.ics")

    @http.route(
        f"{PLAN_URL}/<int:plan_id>/progress-mail",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_business_plan_progress_mail(self, plan_id, receive=None, **kw):
        """The partner turns the plan's monthly progress mail on (``receive=1``) or off."""
        try:
            plan_sudo = self._business_plan_check_write_access(plan_id)
        except (AccessError, MissingError):
            return self._business_plan_refused()
        wanted = receive == "1"
        plan_sudo._portal_set_progress_mail(wanted)
        return self._redirect_to_plan(
            plan_sudo, "progress_mail_on" if wanted else "progress_mail_off"
        )
