"""Edges of the content hub: the pages' contexts (Wagtail calls them from serve), the webinar
registration and calendar file, and the guards of /cms/, /hub/ and document downloads."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from csp.decorators import csp_replace, csp_update
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from wagtail.models import Locale

from rxportal.content import selectors, services
from rxportal.content.domain import CalendarEvent, compute_ics
from rxportal.content.errors import WebinarRegistrationClosed
from rxportal.content.forms import HelpSearchForm, SectionFilterForm
from rxportal.content.models import Topic, WebinarPage
from rxportal.core import clock

if TYPE_CHECKING:
    from rxportal.content.help_models import HelpPage
    from rxportal.content.models import HubHomePage, HubIndexPage

PAGE_SIZE = 10
# Session key: the previous visit, fixed for the whole session so "new" does not vanish on reload.
SINCE_SESSION_KEY = "content.hub_since"

View = Callable[..., HttpResponse]


def hub_viewer(request: HttpRequest) -> selectors.HubViewer:
    """The viewer the serve hook checked (wagtail_hooks.check_hub_reader); 404 otherwise."""
    viewer = getattr(request, "hub_viewer", None)
    if viewer is None:
        viewer = selectors.find_hub_viewer(request.user)
    if viewer is None:
        raise Http404
    return viewer


def hub_home_context(request: HttpRequest, *, home: HubHomePage) -> dict[str, Any]:
    viewer = hub_viewer(request)
    if SINCE_SESSION_KEY in request.session:
        stored = request.session[SINCE_SESSION_KEY]
        since = None if stored is None else dt.datetime.fromisoformat(stored)
    else:
        previous = services.record_hub_visit(viewer=viewer, now=clock.now())
        since = previous
        request.session[SINCE_SESSION_KEY] = None if previous is None else previous.isoformat()
    return {
        "since": since,
        "new_items": selectors.list_new_items(viewer=viewer, locale_id=home.locale_id, since=since),
        "sections": list(home.get_children().live().specific()),
    }


def hub_index_context(request: HttpRequest, *, section: HubIndexPage) -> dict[str, Any]:
    viewer = hub_viewer(request)
    years = selectors.list_section_years(viewer=viewer, section=section)
    form = SectionFilterForm(request.GET or None, years=years, topics=Topic.choices)
    filters = form.filters() if form.is_valid() else selectors.SectionFilters()
    items = selectors.list_section_items(viewer=viewer, section=section, filters=filters)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "form": form,
        "filters": filters,
        "items": page,
        "page_obj": page,
        "now": clock.now(),
        "query_string": _query_without_page(request),
    }


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def webinar_detail(request: HttpRequest, *, webinar: WebinarPage) -> HttpResponse:
    viewer = hub_viewer(request)
    now = clock.now()
    if request.method == "POST":
        try:
            services.register_for_webinar(viewer=viewer, webinar=webinar, now=now)
        except WebinarRegistrationClosed:
            messages.error(request, _("This webinar has ended, so registration is closed."))
        else:
            messages.success(request, _("You are registered. Add the webinar to your calendar."))
        return redirect(webinar.get_url(request))
    context = webinar.get_context(request)
    context.update(
        upcoming=webinar.is_upcoming(now=now),
        registered=selectors.is_registered(viewer=viewer, webinar=webinar),
        calendar_url=webinar.get_url(request) + webinar.reverse_subpage("calendar"),
    )
    return TemplateResponse(request, webinar.get_template(request), context)


def webinar_calendar(request: HttpRequest, *, webinar: WebinarPage) -> HttpResponse:
    hub_viewer(request)
    event = CalendarEvent(
        uid=f"webinar-{webinar.translation_key}@rxportal",
        title=webinar.title,
        description=webinar.summary,
        url=request.build_absolute_uri(webinar.get_url(request)),
        starts_at=webinar.starts_at,
        ends_at=webinar.ends_at,
    )
    response = HttpResponse(
        compute_ics(event=event, now=clock.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="webinar-{webinar.slug}.ics"'
    return response


def hub_sign_in_required(view: View) -> View:
    """Anonymous callers go to the portal's sign-in before anything about the hub is revealed."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


# Wagtail's editor runs inline scripts and styles (its configuration, Draftail, previews in
# a same-origin iframe): the site-wide policy is relaxed for /cms/ only, and only for those.
CMS_CSP_UPDATE = {"script-src": ["'unsafe-inline'"], "style-src": ["'unsafe-inline'"]}
CMS_CSP_REPLACE = {"frame-ancestors": ["'self'"]}


def cms_view(view: View) -> View:
    """Every /cms/ view: anonymous callers sign in through the portal (SiteKey, second factor);
    signed-in users who are not content editors get 403, never Wagtail's own login form."""
    relaxed = csp_update(CMS_CSP_UPDATE)(
        csp_replace(CMS_CSP_REPLACE)(xframe_options_sameorigin(_cms_staff_only(view)))
    )
    return cast(View, relaxed)


def _cms_staff_only(view: View) -> View:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.is_content_editor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# --- The public help center (/help/): no sign-in, no audience check; never cached, because the
# header and the contact page differ for a signed-in viewer.


@never_cache
def help_page(request: HttpRequest, path: str = "") -> HttpResponse:
    """Route /help/<slugs>/ inside the help tree of the active language (Wagtail's own routing
    below the help home, so drafts and unpublished pages are 404)."""
    home = selectors.find_help_home(locale=Locale.get_active())
    if home is None:
        raise Http404
    page, args, kwargs = home.route(request, [part for part in path.split("/") if part])
    return cast(HttpResponse, page.serve(request, *args, **kwargs))


def help_context(request: HttpRequest, *, page: HelpPage) -> dict[str, Any]:
    home = selectors.find_help_home(locale=page.locale)
    if home is None:
        raise Http404
    form = HelpSearchForm(request.GET or None)
    query, audience = "", ""
    if form.is_valid():
        query, audience = form.cleaned_data["q"].strip(), form.cleaned_data["audience"]
    context: dict[str, Any] = {
        "help_home": home,
        "help_contact": selectors.find_help_contact(home=home),
        "form": form,
        "query": query,
        "audience": audience,
    }
    if page.pk == home.pk:
        context.update(
            topics=selectors.list_help_topics(home=home, audience=audience),
            tutorials=selectors.list_help_tutorials(home=home, audience=audience),
            results=selectors.search_help(home=home, query=query, audience=audience)
            if query
            else None,
        )
    return context
