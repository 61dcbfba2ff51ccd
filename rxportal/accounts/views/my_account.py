"""My Account at /my-account/: an overview of the account's security, and the pages that change it.

Edges only: each view checks the request, calls ``flows.my_account`` (or one service), and renders. Pages that
change how the account is protected (challenge questions, SiteKey, text-message phone, recovery
codes) ask for the password again first, through allauth's ``reauthentication_required``
(allauth's own authenticator-app and passkey pages do the same). The password page is allauth's
``PasswordChangeView`` with our template and form; there is no username page (the account team
changes usernames). Every page requires a signed-in user.

The session time-out script's two endpoints (keep-alive and status) answer JSON.
"""

from __future__ import annotations

import uuid
from typing import Any

from allauth.account.decorators import reauthentication_required
from allauth.account.views import PasswordChangeView
from allauth.core import ratelimit
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.webauthn.views import RemoveWebAuthnView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from django.views.generic.edit import FormView

from rxportal.accounts import session_timeouts
from rxportal.accounts.errors import SecondFactorNeeded
from rxportal.accounts.flows import my_account as my_account_flow
from rxportal.accounts.forms.my_account import (
    MYACCOUNT_ERRORS_ID,
    ChallengeQuestionsForm,
    ConfirmPhoneForm,
    PhoneForm,
    PortalChangePasswordForm,
    RecoveryCodesDownloadForm,
    SiteKeyForm,
)
from rxportal.accounts.models import User
from rxportal.accounts.services import devices, myaccount, sms_factor
from rxportal.accounts.sitekeys import STATIC_DIR as SITEKEY_STATIC_DIR
from rxportal.accounts.views.common import no_store
from rxportal.core import clock
from rxportal.core.errors import DomainError


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class _MyAccountPage(LoginRequiredMixin):
    """Signed in, never cached (these pages show security details)."""

    request: HttpRequest

    @method_decorator(never_cache)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["form_errors_id"] = MYACCOUNT_ERRORS_ID
        return context


class MyAccountView(_MyAccountPage, TemplateView):
    """The hub: sign-in details, second factors, sessions, remembered devices, recent activity."""

    template_name = "accounts/myaccount_index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        hub = my_account_flow.security_hub(
            request=self.request, user=_user(self.request), now=clock.now()
        )
        context.update(
            overview=hub.overview, sessions=hub.sessions, devices=hub.devices, activity=hub.activity
        )
        return context


class MyAccountPasswordView(_MyAccountPage, PasswordChangeView):
    """allauth's password change (current password required) in our layout, audited."""

    template_name = "accounts/myaccount_password.html"
    form_class = PortalChangePasswordForm

    def get_default_success_url(self) -> str:
        return reverse("rx_myaccount")

    def form_valid(self, form: PortalChangePasswordForm) -> HttpResponse:
        # One transaction: the new password, its audit entry and allauth's notice of it
        # (``PortalAccountAdapter.send_notification_mail``: ours, by email and to the inbox).
        with transaction.atomic():
            response = super().form_valid(form)
            apps_disconnected = my_account_flow.record_password_changed(
                request=self.request, user=_user(self.request)
            )
        if apps_disconnected:
            messages.info(
                self.request,
                _(
                    "Apps you had connected to your account were disconnected. "
                    "Connect them again if you still use them."
                ),
            )
        return response


@method_decorator(reauthentication_required, name="dispatch")
@method_decorator(sensitive_post_parameters("answer_1", "answer_2", "answer_3"), name="dispatch")
class ChallengeQuestionsView(_MyAccountPage, FormView):
    template_name = "accounts/myaccount_challenges.html"
    form_class = ChallengeQuestionsForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["current_questions"] = my_account_flow.current_questions(_user(self.request))
        return kwargs

    def form_valid(self, form: ChallengeQuestionsForm) -> HttpResponse:
        try:
            my_account_flow.change_challenge_answers(
                user=_user(self.request), answers=form.answers()
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Your security questions were saved."))
        return HttpResponseRedirect(reverse("rx_myaccount"))


@method_decorator(reauthentication_required, name="dispatch")
class SiteKeyView(_MyAccountPage, FormView):
    template_name = "accounts/myaccount_sitekey.html"
    form_class = SiteKeyForm

    def get_initial(self) -> dict[str, Any]:
        return {**super().get_initial(), **my_account_flow.current_sitekey(_user(self.request))}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sitekey_static_dir"] = SITEKEY_STATIC_DIR
        return context

    def form_valid(self, form: SiteKeyForm) -> HttpResponse:
        try:
            my_account_flow.change_sitekey(
                user=_user(self.request),
                image_slug=form.cleaned_data["image"],
                phrase=form.cleaned_data["phrase"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Your SiteKey was saved. Look for it every time you sign in."),
        )
        return HttpResponseRedirect(reverse("rx_myaccount"))


@method_decorator(reauthentication_required, name="dispatch")
@method_decorator(sensitive_post_parameters("code", "phone"), name="dispatch")
class SmsFactorView(_MyAccountPage, TemplateView):
    """Text-message codes as a second factor: add a number, confirm it with a code, remove it."""

    template_name = "accounts/myaccount_sms.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = _user(request)
        action = request.POST.get("action", "")
        if action == "add":
            form = PhoneForm(request.POST)
            if not form.is_valid():
                return self._render(phone_form=form)
            limited = self._limit(user)
            if limited is not None:
                return limited
            try:
                sms_factor.start_sms_enrolment(
                    user=user, phone=form.cleaned_data["phone"], now=clock.now()
                )
            except DomainError as error:
                form.add_error("phone", error.message)
                return self._render(phone_form=form)
            messages.info(request, _("We sent a code to your phone. Enter it below."))
        elif action == "resend":
            limited = self._limit(user)
            if limited is not None:
                return limited
            if sms_factor.resend_enrolment_code(user=user, now=clock.now()):
                messages.info(request, _("We sent a new code to your phone."))
            else:
                messages.error(request, _("We could not send a code. Try again later."))
        elif action == "confirm":
            code_form = ConfirmPhoneForm(request.POST)
            if not code_form.is_valid():
                return self._render(code_form=code_form)
            if not sms_factor.confirm_sms_enrolment(
                user=user, code=code_form.cleaned_data["code"], now=clock.now()
            ):
                code_form.add_error(
                    "code",
                    _("That code did not match, or it has expired. Check it, or send a new one."),
                )
                return self._render(code_form=code_form)
            messages.success(
                request, _("Your phone is confirmed. We will text you a code when you sign in.")
            )
            return HttpResponseRedirect(reverse("rx_myaccount"))
        elif action == "remove":
            try:
                sms_factor.remove_sms_factor(user=user, request=request)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Your phone number was removed."))
        return HttpResponseRedirect(reverse("rx_myaccount_sms"))

    def _limit(self, user: User) -> HttpResponse | None:
        return ratelimit.consume_or_429(self.request, action="rx_sms_enrol", key=f"user:{user.pk}")

    def _render(self, **forms: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(**forms))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("phone_form", PhoneForm())
        context.setdefault("code_form", ConfirmPhoneForm())
        context["status"] = sms_factor.get_sms_factor_status(user=_user(self.request))
        return context


@method_decorator(reauthentication_required(allow_get=True), name="dispatch")
class RecoveryCodesView(_MyAccountPage, TemplateView):
    """How many codes are left (GET); a new set, shown once (POST, password asked again)."""

    template_name = "accounts/myaccount_recovery_codes.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        status = my_account_flow.recovery_codes_status(_user(self.request))
        context.update(codes_left=status.codes_left, has_second_factor=status.has_second_factor)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            codes = my_account_flow.new_recovery_codes(user=_user(request), now=clock.now())
        except SecondFactorNeeded as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("rx_myaccount_recovery_codes"))
        response = self.response_class(
            request=request,
            template=["accounts/myaccount_recovery_codes_new.html"],
            context=self.get_context_data(codes=codes, codes_text=" ".join(codes)),
        )
        return no_store(response)


@method_decorator(login_required, name="dispatch")
@method_decorator(sensitive_post_parameters("codes"), name="dispatch")
class RecoveryCodesDownloadView(View):
    """The codes just shown, returned as a text file (they are posted back from that page).

    Nothing is read from the database: only well-formed codes the browser already holds are
    echoed, so no second password check is needed here.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = RecoveryCodesDownloadForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Those codes could not be downloaded. Get a new set."))
            return HttpResponseRedirect(reverse("rx_myaccount_recovery_codes"))
        lines = [
            _("rxportal recovery codes"),
            _("Each code works once, instead of your second sign-in step. Keep them private."),
            "",
            *form.cleaned_data["codes"],
            "",
        ]
        response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="rxportal-recovery-codes.txt"'
        return no_store(response)


@method_decorator(login_required, name="dispatch")
class EndOtherSessionsView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ended = myaccount.end_other_sessions(user=_user(request), request=request)
        if ended:
            messages.success(request, _("You were signed out everywhere else."))
        else:
            messages.info(request, _("You were not signed in anywhere else."))
        return HttpResponseRedirect(reverse("rx_myaccount") + "#sessions")


@method_decorator(login_required, name="dispatch")
class ForgetDeviceView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, device_id: uuid.UUID) -> HttpResponse:
        if not devices.revoke_device(
            user=_user(request), device_public_id=device_id, now=clock.now(), request=request
        ):
            raise Http404
        messages.success(
            request,
            _("That browser is forgotten: it will be checked again at the next sign-in."),
        )
        return HttpResponseRedirect(reverse("rx_myaccount") + "#devices")


def _json_sign_in_required() -> JsonResponse:
    return JsonResponse(
        {"signed_in": False, "sign_in_url": session_timeouts.sign_in_url()}, status=401
    )


@never_cache
def session_keep_alive(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in": counts as activity (never past the 12-hour limit). POST only."""
    if request.method != "POST":
        return JsonResponse({"error": "method_not_allowed"}, status=405)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not request.user.is_authenticated:
        if wants_json:
            return _json_sign_in_required()
        return HttpResponseRedirect(session_timeouts.sign_in_url())
    time_left = session_timeouts.keep_alive(request)
    if wants_json:
        return JsonResponse(time_left.as_json())
    # The dialog's form posted without the script (it failed to load mid-way): back to the page.
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("rx_myaccount")
    return HttpResponseRedirect(next_url)


@never_cache
def session_status(request: HttpRequest) -> HttpResponse:
    """How long is left; does not count as activity (``PASSIVE_VIEW_NAMES``)."""
    if not request.user.is_authenticated:
        return _json_sign_in_required()
    return JsonResponse(session_timeouts.time_left(request).as_json())


class PortalRemoveWebAuthnView(RemoveWebAuthnView):
    """allauth's passkey removal, which never asks ``can_delete_authenticator``: ours refuses
    the last second factor of an account that must keep one (members and staff)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        adapter = get_mfa_adapter()
        context.update(
            can_delete=adapter.can_delete_authenticator(self.object),
            cannot_delete_message=adapter.error_messages["cannot_delete_authenticator"],
        )
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        adapter = get_mfa_adapter()
        if not adapter.can_delete_authenticator(self.get_object()):
            messages.error(self.request, adapter.error_messages["cannot_delete_authenticator"])
            return HttpResponseRedirect(reverse("mfa_list_webauthn"))
        return super().form_valid(form)
