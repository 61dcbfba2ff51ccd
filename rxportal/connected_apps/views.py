"""The connected-apps edges: the consent screen at /oauth/authorize/, SMART discovery, and the
member's list of connected apps in My Account.

The consent screen is django-oauth-toolkit's ``AuthorizationView`` with our template and rules:
an anonymous visitor is sent through the portal's own sign-in (``LOGIN_URL``, with ``next``
back here; a sign-in still at its question, password or second step is not signed in, so it
never reaches this page); only plan members may connect an app; consent is asked every time,
never skipped; and the patient the member chooses is checked against the family-access rule.
OpenID Connect's ``prompt=login`` and ``max_age`` send a signed-in member through the full
sign-in again first (``needs_fresh_sign_in``); ``prompt=none`` answers ``login_required`` or
``consent_required`` to the app, never a page.
"""

from __future__ import annotations

import json
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import Application
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView

from rxportal.accounts.services.signin import session_signed_in_at
from rxportal.connected_apps import domain, selectors, services
from rxportal.connected_apps import scopes as scope_rules
from rxportal.connected_apps.domain import form_action_source
from rxportal.connected_apps.forms import ConsentForm
from rxportal.connected_apps.validators import SIGNED_IN_MARK
from rxportal.core import clock

SMART_CAPABILITIES = [
    "launch-standalone",
    "client-public",
    "context-standalone-patient",
    "permission-offline",
    "permission-patient",
    "permission-v1",
    "permission-v2",
    "sso-openid-connect",
]


PROMPT_VALUES_SUPPORTED = [domain.PROMPT_NONE, domain.PROMPT_LOGIN]


class _ConsentSkipped(Exception):
    """DOT tried to issue a code without showing the consent screen."""


@method_decorator(never_cache, name="dispatch")
class ConsentView(AuthorizationView):
    template_name = "connected_apps/consent.html"
    form_class = ConsentForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # prompt=login or a sign-in older than max_age: this member must sign in again.
        self._needs_fresh_sign_in = request.user.is_authenticated and domain.needs_fresh_sign_in(
            prompts=domain.requested_prompts(request.GET.get("prompt", "")),
            max_age=request.GET.get("max_age"),
            signed_in_at=session_signed_in_at(request),
            now=clock.now(),
        )
        # For prompt=none: whether someone is signed in, recently enough for max_age
        # (validators.validate_silent_login: login_required otherwise).
        signed_in = request.user.is_authenticated and not self._needs_fresh_sign_in
        request.META[SIGNED_IN_MARK] = "1" if signed_in else "0"
        if request.user.is_authenticated and not selectors.may_connect_apps(user=request.user):
            return render(request, "connected_apps/members_only.html", status=403)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # An app may not ask to skip the screen (DOT's approval_prompt=auto).
        if "approval_prompt" in request.GET:
            query = request.GET.copy()
            query.pop("approval_prompt")
            request.GET = query  # type: ignore[assignment]
        prompts = domain.requested_prompts(request.GET.get("prompt", ""))
        if self._needs_fresh_sign_in and domain.PROMPT_NONE not in prompts:
            return self._ask_for_a_fresh_sign_in(request)
        try:
            return super().get(request, *args, **kwargs)  # type: ignore[no-any-return]
        except _ConsentSkipped:
            # DOT would have issued a code without the screen (an app row marked
            # skip_authorization): show the screen like for every app. DOT keeps the page's
            # context (form included) in oauth2_data before it tries.
            return self.render_to_response(self.get_context_data(**self.oauth2_data))

    def handle_no_permission(self) -> HttpResponse:
        """No one signed in: the portal's sign-in, back to this request. That sign-in is fresh, so
        ``next`` leaves out ``prompt=login`` and ``max_age``: kept, ``max_age=0`` would send the
        member who just signed in straight to "Sign in again". ``prompt=none`` (login_required
        to the app) and ``create`` stay DOT's."""
        prompts = domain.requested_prompts(self.request.GET.get("prompt", ""))
        if prompts & {domain.PROMPT_NONE, "create"}:
            return super().handle_no_permission()  # type: ignore[no-any-return]
        return redirect_to_login(
            f"{self.request.path}?{_without_sign_in_demands(self.request)}",
            resolve_url(self.get_login_url()),
            self.get_redirect_field_name(),
        )

    def _ask_for_a_fresh_sign_in(self, request: HttpRequest) -> HttpResponse:
        """prompt=login, or a sign-in older than max_age (with prompt=none, oauthlib answers
        login_required: see dispatch). Checked against the registered app first: no page for a
        request we would refuse. The page's button (a POST: a GET never signs anyone out) signs
        out and starts the full sign-in, back to this request afterwards."""
        try:
            _scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)  # type: ignore[no-any-return]
        application = Application.objects.get(client_id=credentials["client_id"])
        return_to = f"{request.path}?{_without_sign_in_demands(request)}"
        return render(
            request,
            "connected_apps/sign_in_again.html",
            {"application": application, "return_to": return_to},
        )

    def redirect(self, redirect_to: str, application: Application | None) -> HttpResponse:
        if self.request.method == "POST" and domain.answers_with_a_page(redirect_to):
            # The consent form's answer to an [::1] app: no form-action source can name that
            # host, and browsers check the redirect after a form against form-action. A link
            # (and a meta refresh) is a new navigation that form-action does not govern.
            return render(
                self.request,
                "connected_apps/return_to_app.html",
                {"application": application, "redirect_to": redirect_to},
            )
        return super().redirect(redirect_to, application)  # type: ignore[no-any-return]

    def create_authorization_response(
        self, request: HttpRequest, scopes: str, credentials: dict[str, Any], allow: bool
    ) -> Any:
        if request.method != "POST":
            # Only the member's Allow (a POST from the screen) issues a code, whatever an app's
            # row says.
            raise _ConsentSkipped
        if not allow:
            return super().create_authorization_response(
                request=request, scopes=scopes, credentials=credentials, allow=allow
            )
        user = _signed_in(request)
        application = Application.objects.get(client_id=credentials["client_id"])
        with transaction.atomic():
            # A new consent ends the tokens of the old one (they carry its scopes and patient);
            # revoked before the new code is issued, and kept when no code is issued.
            services.revoke_app_tokens(user=user, application=application)
            result = super().create_authorization_response(
                request=request, scopes=scopes, credentials=credentials, allow=allow
            )
            if "code" not in parse_qs(urlsplit(str(result[0])).query):
                transaction.set_rollback(True)  # an error redirect: nothing changes
                return result
            services.grant_consent(
                user=user,
                application=application,
                patient=self._chosen_patient,
                scopes=scopes.split(),
                signed_in_at=session_signed_in_at(request),
                request=request,
            )
        return result

    def get_form(self, form_class: Any = None) -> ConsentForm:
        form: ConsentForm = super().get_form(form_class)
        members = selectors.list_patient_choices(user=self.request.user, today=clock.today())
        self._patients = {str(member.public_id): member for member in members}
        # Offered as radio buttons on the screen; a posted choice is checked in form_valid.
        offer = self.request.method == "GET" and len(members) > 1
        if offer and scope_rules.LAUNCH_PATIENT in self._requested_scopes():
            form.offer_patients(
                [(str(m.public_id), m.full_name) for m in members],
                default=str(members[0].public_id),
            )
        return form

    def form_valid(self, form: ConsentForm) -> HttpResponse:
        members = list(self._patients.values())
        chosen = form.cleaned_data.get("patient") or ""
        if chosen and chosen not in self._patients:
            raise Http404  # a member this person may not see: as if no such member
        self._chosen_patient = self._patients[chosen] if chosen else members[0]
        return super().form_valid(form)  # type: ignore[no-any-return]

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().render_to_response(context, **kwargs)
        # The screen's form posts here and is redirected on to the app: the site's CSP allows
        # form-action 'self' only, and browsers check the redirect too. DOT has checked this
        # redirect URI against the app's registered ones before it renders the screen.
        source = (
            "" if "error" in context else form_action_source(str(context.get("redirect_uri") or ""))
        )
        if source:
            response._csp_update = {"form-action": [source]}  # type: ignore[attr-defined]
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        requested = self._requested_scopes()
        context["scope_sentences"] = scope_rules.describe_scopes(requested)
        # Whose records the app will see, said plainly so the choice is informed: the one person
        # chosen below (launch/patient), or everyone the family rule shows the member.
        context["one_patient"] = scope_rules.LAUNCH_PATIENT in requested
        members = list(getattr(self, "_patients", {}).values())
        context["family_names"] = [member.full_name for member in members[1:]]
        return context

    def _requested_scopes(self) -> list[str]:
        if self.request.method == "POST":
            return str(self.request.POST.get("scope", "")).split()
        return list(self.oauth2_data.get("scopes", []))


def _every_parameter(request: HttpRequest) -> list[tuple[str, str]]:
    """The query string's parameters in order, repeated ones included (``QueryDict.items()``
    keeps only the last of each), so oauthlib still sees, and refuses, a repeated one."""
    return [(name, value) for name, values in request.GET.lists() for value in values]


def _without_sign_in_demands(request: HttpRequest) -> str:
    """The authorization request's query to come back to after a fresh sign-in."""
    return urlencode(domain.without_sign_in_demands(_every_parameter(request)))


@never_cache
@require_POST
def sign_in_again(request: HttpRequest) -> HttpResponse:
    """The button on the "sign in again" page: sign out, then the full sign-in (username,
    question, SiteKey + password, second factor), back to the app's authorization request."""
    return_to = str(request.POST.get("return_to", ""))
    if not return_to.startswith(reverse("oauth2_provider:authorize") + "?"):
        return HttpResponseBadRequest()
    auth_logout(request)
    return redirect_to_login(return_to)


class OpenIDDiscoveryView(dot_views.ConnectDiscoveryInfoView):
    """DOT's OpenID Connect discovery, advertising the prompt values the consent screen honours:
    ``none`` (login_required / consent_required) and ``login`` (the full sign-in again)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        document = json.loads(response.content)
        document["prompt_values_supported"] = PROMPT_VALUES_SUPPORTED
        honest = JsonResponse(document)
        honest["Access-Control-Allow-Origin"] = "*"
        return honest


@require_GET
def smart_configuration(request: HttpRequest) -> JsonResponse:
    """SMART App Launch discovery (``/fhir/R4/.well-known/smart-configuration``)."""

    # From the configured issuer, as OIDC discovery does: never from the request's Host.
    issuer = oauth2_settings.oidc_issuer(request)
    site = f"{urlsplit(issuer).scheme}://{urlsplit(issuer).netloc}"

    def url(name: str) -> str:
        return site + reverse(f"oauth2_provider:{name}")

    response = JsonResponse(
        {
            "issuer": issuer,
            "jwks_uri": url("jwks-info"),
            "authorization_endpoint": url("authorize"),
            "token_endpoint": url("token"),
            "revocation_endpoint": url("revoke-token"),
            "userinfo_endpoint": url("user-info"),
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(scope_rules.SCOPE_DESCRIPTIONS),
            "capabilities": SMART_CAPABILITIES,
        }
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@never_cache
@login_required
def connected_apps(request: HttpRequest) -> HttpResponse:
    apps = selectors.list_connected_apps(user=_signed_in(request))
    rows = [
        {"app": app, "scope_sentences": scope_rules.describe_scopes(app.scopes)} for app in apps
    ]
    return render(request, "connected_apps/connected_apps.html", {"rows": rows})


@never_cache
@login_required
@require_POST
def disconnect(request: HttpRequest, consent_public_id: str) -> HttpResponse:
    if not services.disconnect_app(
        user=_signed_in(request), consent_public_id=consent_public_id, request=request
    ):
        raise Http404
    messages.success(request, _("The app is disconnected: it can no longer read your records."))
    return redirect("connected_apps:list")


def _signed_in(request: HttpRequest) -> AbstractBaseUser:
    return cast(AbstractBaseUser, request.user)  # behind the sign-in check
