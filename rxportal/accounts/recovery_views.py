"""Forgot password and forgot username: edges over ``services.recovery``.

Forgot password: start → code → question → second factor → new password → done. Every step
view finds the attempt in the session and sends the visitor to the step that is actually next
(so the question can never be answered before the code). ``accounts/password/reset/`` shadows
allauth's reset page, and allauth's other reset paths redirect here (see ``urls.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from rxportal.accounts.forms.recovery import (
    RECOVERY_ERRORS_ID,
    ForgotPasswordForm,
    ForgotUsernameForm,
    NewPasswordForm,
    RecoveryForm,
    ResetAnswerForm,
    ResetCodeForm,
    ResetSecondFactorForm,
)
from rxportal.accounts.services import recovery, recovery_limits, signin
from rxportal.accounts.services.recovery import ResetAttempt, Step
from rxportal.core import clock
from rxportal.core.errors import DomainError

STEP_URL_NAMES = {
    Step.CODE: "rx_password_reset_code",
    Step.QUESTION: "rx_password_reset_question",
    Step.SECOND_FACTOR: "rx_password_reset_second_factor",
    Step.NEW_PASSWORD: "rx_password_reset_new_password",
}
START_URL_NAME = "rx_password_reset"


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "no-cache, no-store, must-revalidate, private"
    return response


class _SignedOutOnlyMixin:
    """Recovery is for people who cannot sign in; a signed-in visitor goes to the dashboard."""

    request: HttpRequest

    @method_decorator(never_cache)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return HttpResponseRedirect(resolve_url(settings.LOGIN_REDIRECT_URL))
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["sign_in_errors_id"] = RECOVERY_ERRORS_ID
        return context


class ForgotPasswordView(_SignedOutOnlyMixin, FormView):
    """Step 1: a username or an email. Always the same answer and the same next page."""

    form_class = ForgotPasswordForm
    template_name = "accounts/recovery_start.html"

    def form_valid(self, form: ForgotPasswordForm) -> HttpResponse:
        identifier = form.cleaned_data["identifier"]
        limited = ratelimit.consume_or_429(
            self.request,
            action="rx_password_reset",
            key=recovery_limits.request_quota_key(
                name=recovery.normalize_identifier(identifier), request=self.request
            ),
        )
        if limited is not None:
            return limited
        attempt = recovery.start_password_reset(
            identifier=identifier, request=self.request, now=clock.now()
        )
        recovery.save_reset(self.request, attempt)
        return HttpResponseRedirect(reverse(STEP_URL_NAMES[Step.CODE]))


@method_decorator(sensitive_post_parameters("code", "answer", "password1", "password2"), "dispatch")
class _ResetStepView(_SignedOutOnlyMixin, TemplateView):
    """A step of a started reset: wrong page → the right one; a finished attempt → the start."""

    step: ClassVar[Step]
    attempt: ResetAttempt

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        try:
            self.attempt = recovery.resume_reset(request, now=clock.now())
        except recovery.ResetExpired as error:
            messages.error(request, error.message)
            return _no_store(HttpResponseRedirect(reverse(START_URL_NAME)))
        except recovery.ResetNotStarted:
            return _no_store(HttpResponseRedirect(reverse(START_URL_NAME)))
        expected = recovery.current_step(self.attempt)
        if expected != self.step:
            return _no_store(HttpResponseRedirect(reverse(STEP_URL_NAMES[expected])))
        return super().dispatch(request, *args, **kwargs)

    def make_form(self, data: Any = None) -> RecoveryForm:
        raise NotImplementedError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.make_form())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        limited = ratelimit.consume_or_429(request, action="rx_password_reset_step")
        if limited is not None:
            return limited
        try:
            passed = self.check(form)
        except recovery.ResetAttemptsExhausted as error:
            recovery.end_reset(request)
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse(START_URL_NAME))
        except recovery.ResetShortCodesPaused as error:
            recovery.save_reset(request, self.attempt)
            form.add_error(None, error.message)
            form.describe_fields()
            return self.render_to_response(self.get_context_data(form=form))
        if not passed:
            recovery.save_reset(request, self.attempt)
            form.add_error(None, self.wrong_message())
            form.describe_fields()
            return self.render_to_response(self.get_context_data(form=form))
        recovery.save_reset(request, self.attempt)
        # Each step passed is a factor: a new session id, as at sign-in.
        signin.rotate_session_key(request)
        return HttpResponseRedirect(reverse(STEP_URL_NAMES[recovery.current_step(self.attempt)]))

    def check(self, form: RecoveryForm) -> bool:
        raise NotImplementedError

    def wrong_message(self) -> str:
        return _("That did not match. Check it and try again.")


class ResetCodeView(_ResetStepView):
    """Step 2: the code. The page never says whether (or where) a code went."""

    step = Step.CODE
    template_name = "accounts/recovery_code.html"

    def make_form(self, data: Any = None) -> RecoveryForm:
        return ResetCodeForm(data)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("action") == "resend":
            return self._resend(request)
        return super().post(request, *args, **kwargs)

    def _resend(self, request: HttpRequest) -> HttpResponse:
        limited = ratelimit.consume_or_429(
            request,
            action="rx_password_reset",
            key=recovery_limits.request_quota_key(name=self.attempt.throttle_name, request=request),
        )
        if limited is not None:
            return limited
        if recovery.resend_reset_code(attempt=self.attempt, now=clock.now()):
            recovery.save_reset(request, self.attempt)
            messages.info(
                request,
                _(
                    "If we have an account for that, we've sent a new code. Only the newest "
                    "code works."
                ),
            )
        else:
            messages.error(
                request,
                _("We cannot send more codes for this reset. Start again, or call us."),
            )
        return HttpResponseRedirect(reverse(STEP_URL_NAMES[Step.CODE]))

    def check(self, form: RecoveryForm) -> bool:
        return recovery.verify_reset_code(
            attempt=self.attempt,
            code=form.cleaned_data["code"],
            request=self.request,
            now=clock.now(),
        )

    def wrong_message(self) -> str:
        return _(
            "That code did not work. It may be mistyped, expired (codes last 10 minutes) or "
            "already used. Check it, or ask for a new code."
        )


class ResetQuestionView(_ResetStepView):
    """Step 3: one challenge question (only ever shown after the code)."""

    step = Step.QUESTION
    template_name = "accounts/recovery_question.html"

    def make_form(self, data: Any = None) -> RecoveryForm:
        return ResetAnswerForm(data, question_text=recovery.question_text(self.attempt.question))

    def check(self, form: RecoveryForm) -> bool:
        return recovery.check_reset_answer(
            attempt=self.attempt,
            answer=form.cleaned_data["answer"],
            request=self.request,
            now=clock.now(),
        )

    def wrong_message(self) -> str:
        return _("That answer did not match the one on file. Check it and try again.")


class ResetSecondFactorView(_ResetStepView):
    """Step 4: the account's second factor (authenticator app or a recovery code)."""

    step = Step.SECOND_FACTOR
    template_name = "accounts/recovery_second_factor.html"

    def make_form(self, data: Any = None) -> RecoveryForm:
        return ResetSecondFactorForm(data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["options"] = recovery.second_factor_options(self.attempt)
        return context

    def check(self, form: RecoveryForm) -> bool:
        return recovery.check_reset_second_factor(
            attempt=self.attempt,
            code=form.cleaned_data["code"],
            request=self.request,
            now=clock.now(),
        )

    def wrong_message(self) -> str:
        return _(
            "That code did not work. Enter the newest code from your authenticator app (each "
            "code works once), or a recovery code you have not used yet."
        )


class ResetNewPasswordView(_ResetStepView):
    """Step 5: the new password. The person is not signed in afterwards."""

    step = Step.NEW_PASSWORD
    template_name = "accounts/recovery_new_password.html"

    def make_form(self, data: Any = None) -> RecoveryForm:
        user = self.attempt.user
        assert user is not None  # resume_reset ends attempts without a user
        return NewPasswordForm(data, user=user)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            recovery.complete_password_reset(
                attempt=self.attempt,
                password=form.cleaned_data["password1"],
                request=request,
                now=clock.now(),
            )
        except DomainError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse(START_URL_NAME))
        return HttpResponseRedirect(reverse("rx_password_reset_done"))


class ResetDoneView(_SignedOutOnlyMixin, TemplateView):
    template_name = "accounts/recovery_done.html"


class ForgotUsernameView(_SignedOutOnlyMixin, FormView):
    """An email address in; the same answer whether or not it has an account."""

    form_class = ForgotUsernameForm
    template_name = "accounts/recovery_username.html"

    def form_valid(self, form: ForgotUsernameForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        limited = ratelimit.consume_or_429(
            self.request, action="rx_forgot_username", key=recovery.normalize_identifier(email)
        )
        if limited is not None:
            return limited
        recovery.send_username_reminder(email=email, request=self.request)
        return HttpResponseRedirect(reverse("rx_forgot_username_sent"))


class ForgotUsernameSentView(_SignedOutOnlyMixin, TemplateView):
    template_name = "accounts/recovery_username_sent.html"
