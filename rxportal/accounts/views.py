"""Sign-in pages that allauth does not have: the username step and the new-device check.

The password step is allauth's ``LoginView`` (our form via ``ACCOUNT_FORMS["login"]``); the second
factor is allauth's MFA ``AuthenticateView`` (our forms via ``MFA_FORMS``). These views are edges:
they read the request, call the services and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.internal.decorators import login_stage_required
from allauth.account.internal.stagekit import clear_login, stash_login
from allauth.account.mixins import NextRedirectMixin, RedirectAuthenticatedUserMixin
from allauth.account.stages import LoginStage
from allauth.account.utils import get_next_redirect_url
from allauth.account.views import LoginView
from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from django.views.generic.edit import FormView

from rxportal.accounts.forms import (
    SIGN_IN_ERRORS_ID,
    ChallengeAnswerForm,
    IdentifyForm,
    OneTimeCodeForm,
)
from rxportal.accounts.services import devices, signin
from rxportal.accounts.stages import NEW_DEVICE_STAGE_KEY
from rxportal.core import clock

USERNAME_COOKIE_SALT = "rxportal.accounts.remembered-username.v1"


def _cookie_secure(name: str) -> bool:
    return bool(settings.SESSION_COOKIE_SECURE or name.startswith("__Host-"))


def _url_with_next(request: HttpRequest, url: str, **params: str) -> str:
    """``url`` with ``params`` and the request's safe ``?next=`` (if any) as the query."""
    next_url = get_next_redirect_url(request, REDIRECT_FIELD_NAME)
    if next_url:
        params[REDIRECT_FIELD_NAME] = next_url
    return f"{url}?{urlencode(params)}" if params else url


def _remembered_username(request: HttpRequest) -> str:
    value = request.get_signed_cookie(
        settings.RXPORTAL_USERNAME_COOKIE_NAME,
        default="",
        salt=USERNAME_COOKIE_SALT,
        max_age=settings.RXPORTAL_USERNAME_COOKIE_AGE,
    )
    return value if isinstance(value, str) and len(value) <= 150 else ""


class IdentifyView(RedirectAuthenticatedUserMixin, NextRedirectMixin, FormView):
    """Step 1 at /accounts/login/: the username only.

    Nothing is looked up here, so known and unknown names do the same work and land on the same
    password page. A signed-in visitor is sent on; a sign-in waiting at a later stage resumes.
    """

    form_class = IdentifyForm
    template_name = "accounts/identify.html"
    changing_username = False

    @method_decorator(never_cache)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.changing_username = request.method == "POST" and request.POST.get("change") == "1"
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.changing_username:
            signin.forget_identified_username(request)
            response = HttpResponseRedirect(_url_with_next(request, reverse("account_login")))
            response.delete_cookie(settings.RXPORTAL_USERNAME_COOKIE_NAME)
            return response
        limited = ratelimit.consume_or_429(request, action="rx_identify")
        if limited is not None:
            return limited
        return super().post(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        remembered = "" if self.changing_username else _remembered_username(self.request)
        if remembered:
            initial.update(username=remembered, remember=True)
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sign_in_errors_id"] = SIGN_IN_ERRORS_ID
        return context

    def form_valid(self, form: IdentifyForm) -> HttpResponse:
        username = form.cleaned_data["username"]
        signin.remember_identified_username(
            request=self.request, username=username, now=clock.now()
        )
        response = HttpResponseRedirect(_url_with_next(self.request, reverse("rx_login_password")))
        name = settings.RXPORTAL_USERNAME_COOKIE_NAME
        if form.cleaned_data["remember"]:
            response.set_signed_cookie(
                name,
                username,
                salt=USERNAME_COOKIE_SALT,
                max_age=settings.RXPORTAL_USERNAME_COOKIE_AGE,
                secure=_cookie_secure(name),
                httponly=True,
                samesite="Lax",
            )
        else:
            response.delete_cookie(name)
        return response


class PasswordStepView(LoginView):
    """Step 2: allauth's own login view; it only needs step 1 to have happened first."""

    template_name = "account/login.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated and (
            signin.get_identified_username(request, now=clock.now()) is None
        ):
            response = HttpResponseRedirect(_url_with_next(request, reverse("account_login")))
            response["Cache-Control"] = "no-cache, no-store, must-revalidate, private"
            return response
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        identity = context["form"].identity
        context.update(
            sign_in_errors_id=SIGN_IN_ERRORS_ID,
            identified_username=identity[0] if identity else "",
            change_username_url=_url_with_next(self.request, reverse("account_login")),
        )
        return context


def _login_stage(request: HttpRequest) -> LoginStage:
    return request._login_stage  # type: ignore[attr-defined, no-any-return]


@method_decorator(
    login_stage_required(stage=NEW_DEVICE_STAGE_KEY, redirect_urlname="account_login"),
    name="dispatch",
)
@method_decorator(sensitive_post_parameters("answer", "code"), name="dispatch")
class NewDeviceView(TemplateView):
    """The new-device check: one challenge question, or a code by email (or text message)."""

    template_name = "accounts/new_device.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.stage = _login_stage(request)
        self.user = self.stage.login.user
        self.check = devices.start_check(user=self.user, state=self.stage.state)
        stash_login(request, self.stage.login)
        return super().dispatch(request, *args, **kwargs)

    def _answer_form(self, data: Any = None) -> ChallengeAnswerForm:
        return ChallengeAnswerForm(data, question_text=self.check.question_text)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "")
        key = f"user:{self.user.pk}"
        if action in {"send_email", "send_sms"}:
            limited = ratelimit.consume_or_429(request, action="rx_new_device_code", key=key)
            if limited is not None:
                return limited
            channel = "sms" if action == "send_sms" else "email"
            sent = devices.send_check_code(
                user=self.user, state=self.stage.state, channel=channel, now=clock.now()
            )
            stash_login(request, self.stage.login)
            if sent:
                messages.info(
                    request,
                    _("We sent a code by text message.")
                    if channel == "sms"
                    else _("We sent a code by email."),
                )
            else:
                messages.error(request, _("We could not send a code that way. Try another way."))
            return HttpResponseRedirect(reverse("rx_login_new_device"))

        form: forms.Form
        if action == "code":
            form = OneTimeCodeForm(request.POST)
        elif action == "answer" and self.check.can_answer:
            form = self._answer_form(request.POST)
        else:
            return HttpResponseRedirect(reverse("rx_login_new_device"))
        limited = ratelimit.consume_or_429(request, action="rx_new_device", key=key)
        if limited is not None:
            return limited
        if not form.is_valid():
            return self._render(form)
        now = clock.now()
        if action == "code":
            passed = devices.verify_check_code(
                user=self.user,
                state=self.stage.state,
                code=form.cleaned_data["code"],
                request=request,
                now=now,
            )
        else:
            passed = devices.verify_check_answer(
                user=self.user,
                state=self.stage.state,
                answer=form.cleaned_data["answer"],
                request=request,
                now=now,
            )
        if passed:
            return self._passed(method="code" if action == "code" else "question", now=now)
        if devices.attempts_exhausted(state=self.stage.state):
            devices.record_exhausted_check(user=self.user, request=request)
            clear_login(request)
            messages.error(
                request,
                _("That did not match too many times. Sign in again to get a new check."),
            )
            return HttpResponseRedirect(reverse("account_login"))
        stash_login(request, self.stage.login)
        form.add_error(None, _("That did not match. Check it and try again."))
        return self._render(form)

    def _passed(self, *, method: str, now: dt.datetime) -> HttpResponse:
        _device, cookie_value = devices.complete_check(
            user=self.user, request=self.request, method=method, now=now
        )
        # This check is a factor too: a new session id before the next stage (or sign-in).
        signin.rotate_session_key(self.request)
        response = self.stage.exit()
        name = settings.RXPORTAL_DEVICE_COOKIE_NAME
        response.set_cookie(
            name,
            cookie_value,
            max_age=settings.RXPORTAL_DEVICE_COOKIE_AGE,
            secure=_cookie_secure(name),
            httponly=True,
            samesite="Lax",
        )
        return response

    def _render(self, form: forms.Form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form")
        context.update(
            check=self.check,
            sign_in_errors_id=SIGN_IN_ERRORS_ID,
            answer_form=form if isinstance(form, ChallengeAnswerForm) else self._answer_form(),
            code_form=form if isinstance(form, OneTimeCodeForm) else OneTimeCodeForm(),
            failed_form=form,
        )
        return context


def rate_limited(request: HttpRequest) -> HttpResponse:
    """allauth's rate-limit answer (``handler429`` in rxportal.urls), in the portal's layout."""
    return render(request, "accounts/rate_limited.html", status=429)
