"""Sign-in pages that allauth does not have (the username step, the challenge question), and
allauth's password step with our rules. The new-device check is ``views.new_device``, the
text-message second factor ``views.second_factor``.

The rules of the steps before the password live in ``accounts/flows/signin.py``. The password
step is allauth's ``LoginView`` (our form via ``ACCOUNT_FORMS["login"]``); the second factor is
allauth's MFA ``AuthenticateView`` (our forms via ``MFA_FORMS``). These views are edges: they read
the request, call the flow or the services and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.mixins import NextRedirectMixin, RedirectAuthenticatedUserMixin
from allauth.account.utils import get_next_redirect_url
from allauth.account.views import LoginView
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from django.views.generic.edit import FormView

from rxportal.accounts.flows import signin as signin_flow
from rxportal.accounts.forms.common import SIGN_IN_ERRORS_ID
from rxportal.accounts.forms.signin import IdentifyForm, SignInQuestionForm, paused_message
from rxportal.accounts.views.common import (
    cookie_secure,
    no_store,
    set_device_cookie,
    url_with_next,
)
from rxportal.core import clock

USERNAME_COOKIE_SALT = "rxportal.accounts.remembered-username.v1"


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
            response = HttpResponseRedirect(url_with_next(request, reverse("account_login")))
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
        now = clock.now()
        identity = signin_flow.identify(request=self.request, username=username, now=now)
        # The next step's page is this POST's answer (issue 16: no redirect and second GET). It
        # names its own URL (``step_url``) for the page's script to show; a reload without
        # JavaScript posts the name again and gets the same page, as a second submission would.
        if identity.may_enter_password:
            response = PasswordStepView.render_after_username(self.request)
        else:
            response = QuestionView.render_after_username(self.request, identity=identity, now=now)
        name = settings.RXPORTAL_USERNAME_COOKIE_NAME
        if form.cleaned_data["remember"]:
            response.set_signed_cookie(
                name,
                username,
                salt=USERNAME_COOKIE_SALT,
                max_age=settings.RXPORTAL_USERNAME_COOKIE_AGE,
                secure=cookie_secure(name),
                httponly=True,
                samesite="Lax",
            )
        else:
            response.delete_cookie(name)
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
    identity: signin_flow.Identity
    now: dt.datetime

    @classmethod
    def render_after_username(
        cls, request: HttpRequest, *, identity: signin_flow.Identity, now: dt.datetime
    ) -> HttpResponse:
        """The question page as the username POST's answer (what a GET here would show)."""
        view = cls()
        view.setup(request)
        view.identity = identity
        view.now = now
        return view.render_to_response(view.get_context_data())

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return HttpResponseRedirect(reverse("account_login"))
        now = clock.now()
        identity = signin_flow.current_identity(request, now=now)
        if identity is None:
            return no_store(HttpResponseRedirect(url_with_next(request, reverse("account_login"))))
        if identity.may_enter_password:
            return HttpResponseRedirect(url_with_next(request, reverse("rx_login_password")))
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
            return HttpResponseRedirect(url_with_next(request, reverse("rx_login_password")))
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
            return HttpResponseRedirect(url_with_next(request, reverse("rx_login_password")))
        until = (
            signin_flow.paused_until(identity=self.identity, now=self.now)
            if outcome == signin_flow.AnswerOutcome.PAUSED
            else None
        )
        if until is not None:
            return render(
                request,
                "accounts/signin_paused.html",
                {"paused_message": paused_message(until), "sign_in_errors_id": SIGN_IN_ERRORS_ID},
            )
        messages.error(
            request,
            _(
                "That answer did not match, so we stopped this sign-in. Start again with your "
                "username. If you can't remember the answer, choose “Can't answer? Sign in "
                "without seeing your SiteKey” after your username."
            ),
        )
        return HttpResponseRedirect(url_with_next(request, reverse("account_login")))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form") or self._form()
        context.update(
            form=form,
            sign_in_errors_id=SIGN_IN_ERRORS_ID,
            identified_username=self.identity.typed,
            change_username_url=url_with_next(self.request, reverse("account_login")),
            step_url=url_with_next(self.request, reverse("rx_login_question")),
            redirect_field_value=get_next_redirect_url(self.request, REDIRECT_FIELD_NAME) or "",
        )
        return context


class PasswordStepView(LoginView):
    """The password step: allauth's own login view, open once the question was answered or
    skipped ("Can't answer?"), or at once on a recognized browser."""

    template_name = "account/login.html"
    answers_username_post = False

    @classmethod
    def render_after_username(cls, request: HttpRequest) -> HttpResponse:
        """The SiteKey + password page as the username POST's answer: what a GET here shows,
        its form unbound (the POST carried the username, not a password)."""
        view = cls(answers_username_post=True)
        view.setup(request)
        return view.render_to_response(view.get_context_data())

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.answers_username_post:
            kwargs.pop("data", None)
            kwargs.pop("files", None)
        return kwargs

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            identity = signin_flow.current_identity(request, now=clock.now())
            if identity is None:
                return no_store(
                    HttpResponseRedirect(url_with_next(request, reverse("account_login")))
                )
            if not identity.may_enter_password:
                return no_store(
                    HttpResponseRedirect(url_with_next(request, reverse("rx_login_question")))
                )
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        # A right answer at the question step was this attempt's new-device check: the stage
        # remembers the browser and hands over the device cookie for this response.
        signin_flow.open_device_cookie_slot(self.request)
        response = super().form_valid(form)
        cookie_value = signin_flow.take_device_cookie(self.request)
        if cookie_value:
            set_device_cookie(response, cookie_value)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        identity = context["form"].identity
        context.update(
            sign_in_errors_id=SIGN_IN_ERRORS_ID,
            identified_username=identity.typed if identity else "",
            sign_in_step=identity.step if identity else "",
            change_username_url=url_with_next(self.request, reverse("account_login")),
            step_url=url_with_next(self.request, reverse("rx_login_password")),
        )
        return context
