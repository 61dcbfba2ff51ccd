"""Sign-in pages that allauth does not have: the username step, the challenge question and the
new-device check.

The rules of the steps before the password live in ``accounts/flows/signin.py``. The password
step is allauth's ``LoginView`` (our form via ``ACCOUNT_FORMS["login"]``); the second factor is
allauth's MFA ``AuthenticateView`` (our forms via ``MFA_FORMS``). These views are edges: they read
the request, call the flow or the services and render.
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

from rxportal.accounts.flows import signin as signin_flow
from rxportal.accounts.forms.common import SIGN_IN_ERRORS_ID
from rxportal.accounts.forms.new_device import OneTimeCodeForm
from rxportal.accounts.forms.signin import IdentifyForm, SignInQuestionForm
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

    Known and unknown names land on the same question page; only a browser holding that user's
    device cookie goes straight to the SiteKey and password. A signed-in visitor is sent on; a
    sign-in waiting at a later stage resumes.
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
            signin_flow.forget(request)
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
        identity = signin_flow.identify(request=self.request, username=username, now=clock.now())
        next_step = "rx_login_password" if identity.may_enter_password else "rx_login_question"
        response = HttpResponseRedirect(_url_with_next(self.request, reverse(next_step)))
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


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-cache, no-store, must-revalidate, private"
    return response


@method_decorator(never_cache, name="dispatch")
@method_decorator(sensitive_post_parameters("answer"), name="dispatch")
class QuestionView(TemplateView):
    """Step 2 on a browser the portal does not recognize: the challenge question.

    The same page for every username. A right answer opens the SiteKey and password; a wrong one
    ends the attempt (back to step 1 with one message); "Can't answer?" opens the password
    without the SiteKey.
    """

    template_name = "accounts/signin_question.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return HttpResponseRedirect(reverse("account_login"))
        now = clock.now()
        identity = signin_flow.current_identity(request, now=now)
        if identity is None:
            return _no_store(
                HttpResponseRedirect(_url_with_next(request, reverse("account_login")))
            )
        if identity.may_enter_password:
            return HttpResponseRedirect(_url_with_next(request, reverse("rx_login_password")))
        self.identity = identity
        self.now = now
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data: Any = None) -> SignInQuestionForm:
        return SignInQuestionForm(
            data,
            question_text=self.identity.question_text,
            captcha_required=signin_flow.is_captcha_required(
                request=self.request, identity=self.identity, now=self.now
            ),
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("action") == "skip":
            signin_flow.continue_without_sitekey(
                request=request, identity=self.identity, now=self.now
            )
            return HttpResponseRedirect(_url_with_next(request, reverse("rx_login_password")))
        form = self._form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        # Only answers that will be checked use the quota, and it is kept per name and address
        # group: posts from elsewhere never use up the owner's (the lock-out counts per name).
        limited = ratelimit.consume_or_429(
            request,
            action="rx_new_device",
            key=signin_flow.question_quota_key(request=request, identity=self.identity),
        )
        if limited is not None:
            return limited
        outcome = signin_flow.check_answer(
            request=request,
            identity=self.identity,
            answer=form.cleaned_data["answer"],
            now=self.now,
        )
        if outcome == signin_flow.AnswerOutcome.PASSED:
            return HttpResponseRedirect(_url_with_next(request, reverse("rx_login_password")))
        messages.error(
            request,
            _(
                "That answer did not match, so we stopped this sign-in. Start again with your "
                "username. If you can't remember the answer, choose “Can't answer? Sign in "
                "without seeing your SiteKey” after your username."
            ),
        )
        return HttpResponseRedirect(_url_with_next(request, reverse("account_login")))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form") or self._form()
        context.update(
            form=form,
            sign_in_errors_id=SIGN_IN_ERRORS_ID,
            identified_username=self.identity.typed,
            change_username_url=_url_with_next(self.request, reverse("account_login")),
            redirect_field_value=get_next_redirect_url(self.request, REDIRECT_FIELD_NAME) or "",
        )
        return context


class PasswordStepView(LoginView):
    """The password step: allauth's own login view, open once the question was answered or
    skipped ("Can't answer?"), or at once on a recognized browser."""

    template_name = "account/login.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            identity = signin_flow.current_identity(request, now=clock.now())
            if identity is None:
                return _no_store(
                    HttpResponseRedirect(_url_with_next(request, reverse("account_login")))
                )
            if not identity.may_enter_password:
                return _no_store(
                    HttpResponseRedirect(_url_with_next(request, reverse("rx_login_question")))
                )
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        # A right answer at the question step was this attempt's new-device check: the stage
        # remembers the browser and hands over the device cookie for this response.
        signin_flow.open_device_cookie_slot(self.request)
        response = super().form_valid(form)
        cookie_value = signin_flow.take_device_cookie(self.request)
        if cookie_value:
            _set_device_cookie(response, cookie_value)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        identity = context["form"].identity
        context.update(
            sign_in_errors_id=SIGN_IN_ERRORS_ID,
            identified_username=identity.typed if identity else "",
            sign_in_step=identity.step if identity else "",
            change_username_url=_url_with_next(self.request, reverse("account_login")),
        )
        return context


def _set_device_cookie(response: HttpResponseBase, cookie_value: str) -> None:
    name = settings.RXPORTAL_DEVICE_COOKIE_NAME
    response.set_cookie(
        name,
        cookie_value,
        max_age=settings.RXPORTAL_DEVICE_COOKIE_AGE,
        secure=_cookie_secure(name),
        httponly=True,
        samesite="Lax",
    )


def _login_stage(request: HttpRequest) -> LoginStage:
    return request._login_stage  # type: ignore[attr-defined, no-any-return]


@method_decorator(
    login_stage_required(stage=NEW_DEVICE_STAGE_KEY, redirect_urlname="account_login"),
    name="dispatch",
)
@method_decorator(sensitive_post_parameters("code"), name="dispatch")
class NewDeviceView(TemplateView):
    """The new-device check after the password, when the question was not answered first
    ("Can't answer?"): a code by email (or text message)."""

    template_name = "accounts/new_device.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.stage = _login_stage(request)
        self.user = self.stage.login.user
        self.check = devices.start_check(user=self.user, state=self.stage.state)
        stash_login(request, self.stage.login)
        return super().dispatch(request, *args, **kwargs)

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
        if action != "code":
            return HttpResponseRedirect(reverse("rx_login_new_device"))
        form = OneTimeCodeForm(request.POST)
        limited = ratelimit.consume_or_429(request, action="rx_new_device", key=key)
        if limited is not None:
            return limited
        if not form.is_valid():
            return self._render(form)
        now = clock.now()
        passed = devices.verify_check_code(
            user=self.user,
            state=self.stage.state,
            code=form.cleaned_data["code"],
            request=request,
            now=now,
        )
        if passed:
            return self._passed(now=now)
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

    def _passed(self, *, now: dt.datetime) -> HttpResponse:
        _device, cookie_value = devices.complete_check(
            user=self.user, request=self.request, method="code", now=now
        )
        # This check is a factor too: a new session id before the next stage (or sign-in).
        signin.rotate_session_key(self.request)
        response = self.stage.exit()
        _set_device_cookie(response, cookie_value)
        return response

    def _render(self, form: forms.Form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form")
        context.update(
            check=self.check,
            sign_in_errors_id=SIGN_IN_ERRORS_ID,
            code_form=form if isinstance(form, OneTimeCodeForm) else OneTimeCodeForm(),
            failed_form=form,
        )
        return context


def rate_limited(request: HttpRequest) -> HttpResponse:
    """allauth's rate-limit answer (``handler429`` in rxportal.urls), in the portal's layout."""
    return render(request, "accounts/rate_limited.html", status=429)
