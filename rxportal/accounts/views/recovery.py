"""Forgot password and forgot username: edges over ``flows.recovery``.

Forgot password: start → code → question → second factor → new password → done. Every step
view finds the attempt in the session and sends the visitor to the step that is actually next
(so the question can never be answered before the code). ``accounts/password/reset/`` shadows
allauth's reset page, and allauth's other reset paths redirect here (see ``urls.py``). A step's
bookkeeping (save the attempt, a new session id, the end) is ``flows.recovery.submit_step``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from allauth.core import ratelimit
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from rxportal.accounts.flows import recovery as recovery_flow
from rxportal.accounts.flows.recovery import StepOutcome
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
from rxportal.accounts.services import recovery, recovery_limits
from rxportal.accounts.services.recovery import ResetAttempt, Step
from rxportal.accounts.services.signin import first_page_after_sign_in
from rxportal.accounts.views.common import no_store
from rxportal.core import clock

STEP_URL_NAMES = {
    Step.CODE: "rx_password_reset_code",
    Step.QUESTION: "rx_password_reset_question",
    Step.SECOND_FACTOR: "rx_password_reset_second_factor",
    Step.NEW_PASSWORD: "rx_password_reset_new_password",
}
START_URL_NAME = "rx_password_reset"


class _SignedOutOnlyMixin:
    """Recovery is for people who cannot sign in; a signed-in visitor goes to the dashboard."""

    request: HttpRequest

    @method_decorator(never_cache)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            # Where a sign-in lands: a client goes straight to the client portal.
            return HttpResponseRedirect(first_page_after_sign_in(request.user))
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
        step = recovery_flow.start(request=self.request, identifier=identifier, now=clock.now())
        return HttpResponseRedirect(reverse(STEP_URL_NAMES[step]))


@method_decorator(sensitive_post_parameters("code", "answer", "password1", "password2"), "dispatch")
class _ResetStepView(_SignedOutOnlyMixin, TemplateView):
    """A step of a started reset: wrong page → the right one; a finished attempt → the start.

    The checking steps name the form field they send to ``flows.recovery.submit_step``.
    """

    step: ClassVar[Step]
    field: ClassVar[str] = "code"
    attempt: ResetAttempt

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        resumed = recovery_flow.resume(request, now=clock.now())
        if resumed.attempt is None or resumed.step is None:
            if resumed.expired_message:
                messages.error(request, resumed.expired_message)
            return no_store(HttpResponseRedirect(reverse(START_URL_NAME)))
        if resumed.step != self.step:
            return no_store(HttpResponseRedirect(reverse(STEP_URL_NAMES[resumed.step])))
        self.attempt = resumed.attempt
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
            return self._render(form)
        limited = ratelimit.consume_or_429(request, action="rx_password_reset_step")
        if limited is not None:
            return limited
        result = recovery_flow.submit_step(
            request=request,
            attempt=self.attempt,
            step=self.step,
            value=form.cleaned_data[self.field],
            now=clock.now(),
        )
        if result.outcome == StepOutcome.PASSED and result.next_step is not None:
            return HttpResponseRedirect(reverse(STEP_URL_NAMES[result.next_step]))
        if result.outcome == StepOutcome.ENDED:
            messages.error(request, result.message)
            return HttpResponseRedirect(reverse(START_URL_NAME))
        form.add_error(None, result.message or self.wrong_message())
        form.describe_fields()
        return self._render(form)

    def _render(self, form: RecoveryForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form))

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
        if recovery_flow.resend_code(request=request, attempt=self.attempt, now=clock.now()):
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

    def wrong_message(self) -> str:
        return _(
            "That code did not work. It may be mistyped, expired (codes last 10 minutes) or "
            "already used. Check it, or ask for a new code."
        )


class ResetQuestionView(_ResetStepView):
    """Step 3: one challenge question (only ever shown after the code)."""

    step = Step.QUESTION
    field = "answer"
    template_name = "accounts/recovery_question.html"

    def make_form(self, data: Any = None) -> RecoveryForm:
        return ResetAnswerForm(data, question_text=recovery.question_text(self.attempt.question))

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
        assert user is not None  # resume ends attempts without a user
        return NewPasswordForm(data, user=user)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self._render(form)
        refused = recovery_flow.set_new_password(
            request=request,
            attempt=self.attempt,
            password=form.cleaned_data["password1"],
            now=clock.now(),
        )
        if refused:
            messages.error(request, refused)
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
