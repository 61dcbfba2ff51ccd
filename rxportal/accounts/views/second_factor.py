"""The text-message step of sign-in (``SmsSecondFactorStage``'s page), over ``flows.signin``.

For people whose only second factor is a confirmed phone: we text a 6-digit code (10 minutes,
once) through the SMS gateway when they ask, and take it back here; a recovery code works too.
Email codes are never offered here.
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.decorators import login_stage_required
from allauth.account.stages import LoginStage
from allauth.core import ratelimit
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView

from rxportal.accounts.flows import signin as signin_flow
from rxportal.accounts.flows.signin import SecondFactorOutcome
from rxportal.accounts.forms.my_account import MYACCOUNT_ERRORS_ID
from rxportal.accounts.forms.second_factor import RecoveryCodeForm, SmsSignInCodeForm
from rxportal.accounts.stages import SMS_SECOND_FACTOR_STAGE_KEY
from rxportal.core import clock


@method_decorator(
    login_stage_required(stage=SMS_SECOND_FACTOR_STAGE_KEY, redirect_urlname="account_login"),
    name="dispatch",
)
@method_decorator(sensitive_post_parameters("code", "recovery_code"), name="dispatch")
class SmsSecondFactorView(TemplateView):
    template_name = "mfa/sms_authenticate.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.stage: LoginStage = request._login_stage  # type: ignore[attr-defined]
        self.rate_key = f"user:{self.stage.login.user.pk}"
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "")
        if action == "send":
            return self._send(request)
        form: forms.Form
        if action == "code":
            form = SmsSignInCodeForm(request.POST)
        elif action == "recovery":
            form = RecoveryCodeForm(request.POST)
        else:
            return HttpResponseRedirect(reverse("rx_login_sms"))
        limited = ratelimit.consume_or_429(request, action="rx_sms_verify", key=self.rate_key)
        if limited is not None:
            return limited
        if not form.is_valid():
            return self._render(form)
        outcome = signin_flow.check_sms_step(
            request=request,
            stage=self.stage,
            code=form.cleaned_data.get("code", ""),
            recovery_code=form.cleaned_data.get("recovery_code", ""),
            now=clock.now(),
        )
        if outcome == SecondFactorOutcome.PASSED:
            return self.stage.exit()
        if outcome == SecondFactorOutcome.EXHAUSTED:
            messages.error(
                request, _("That did not match too many times. Sign in again to get a new code.")
            )
            return HttpResponseRedirect(reverse("account_login"))
        form.add_error(None, _("That code did not work. Check it and try again."))
        return self._render(form)

    def _send(self, request: HttpRequest) -> HttpResponse:
        limited = ratelimit.consume_or_429(request, action="rx_sms_code", key=self.rate_key)
        if limited is not None:
            return limited
        if signin_flow.send_sms_code(request=request, stage=self.stage, now=clock.now()):
            messages.info(request, _("We sent a code by text message."))
        else:
            messages.error(request, _("We could not send a text message. Try again later."))
        return HttpResponseRedirect(reverse("rx_login_sms"))

    def _render(self, form: forms.Form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form")
        step = signin_flow.sms_step(self.stage)
        context.update(
            phone_last4=step.phone_last4,
            code_sent=step.code_sent,
            show_code_form=step.code_sent or isinstance(form, SmsSignInCodeForm),
            code_form=form if isinstance(form, SmsSignInCodeForm) else SmsSignInCodeForm(),
            recovery_form=form if isinstance(form, RecoveryCodeForm) else RecoveryCodeForm(),
            failed_form=form,
            form_errors_id=MYACCOUNT_ERRORS_ID,
        )
        return context
