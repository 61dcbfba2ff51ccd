"""The text-message step of sign-in (``SmsSecondFactorStage``'s page).

For people whose only second factor is a confirmed phone: we text a 6-digit code (10 minutes,
once) through the SMS gateway when they ask, and take it back here; a recovery code works too.
Wrong codes count toward the lock-out like a wrong password; after too many the sign-in starts
over. Email codes are never offered here.
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.decorators import login_stage_required
from allauth.account.internal.flows.login import record_authentication
from allauth.account.internal.stagekit import clear_login, stash_login
from allauth.account.stages import LoginStage
from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView

from rxportal.accounts.domain import normalize_username
from rxportal.accounts.forms.my_account import MYACCOUNT_ERRORS_ID
from rxportal.accounts.forms.second_factor import RecoveryCodeForm, SmsSignInCodeForm
from rxportal.accounts.models import SecurityProfile
from rxportal.accounts.services import lockout, signin, sms_factor
from rxportal.accounts.services.recovery_codes import use_recovery_code
from rxportal.accounts.stages import SMS_SECOND_FACTOR_STAGE_KEY
from rxportal.core import clock

SENT_KEY = "sent"
FAILURES_KEY = "failures"


@method_decorator(
    login_stage_required(stage=SMS_SECOND_FACTOR_STAGE_KEY, redirect_urlname="account_login"),
    name="dispatch",
)
@method_decorator(sensitive_post_parameters("code", "recovery_code"), name="dispatch")
class SmsSecondFactorView(TemplateView):
    template_name = "mfa/sms_authenticate.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.stage: LoginStage = request._login_stage  # type: ignore[attr-defined]
        self.user = self.stage.login.user
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "")
        key = f"user:{self.user.pk}"
        if action == "send":
            limited = ratelimit.consume_or_429(request, action="rx_sms_code", key=key)
            if limited is not None:
                return limited
            if sms_factor.send_sign_in_code(user=self.user, request=request, now=clock.now()):
                self.stage.state[SENT_KEY] = True
                stash_login(request, self.stage.login)
                messages.info(request, _("We sent a code by text message."))
            else:
                messages.error(request, _("We could not send a text message. Try again later."))
            return HttpResponseRedirect(reverse("rx_login_sms"))

        form: forms.Form
        if action == "code":
            form = SmsSignInCodeForm(request.POST)
        elif action == "recovery":
            form = RecoveryCodeForm(request.POST)
        else:
            return HttpResponseRedirect(reverse("rx_login_sms"))
        limited = ratelimit.consume_or_429(request, action="rx_sms_verify", key=key)
        if limited is not None:
            return limited
        if not form.is_valid():
            return self._render(form)
        now = clock.now()
        username = normalize_username(self.user.get_username())
        passed = False
        if not lockout.sign_in_gate(username=username, now=now).blocked:
            if action == "code":
                passed = sms_factor.verify_sign_in_code(
                    user=self.user, code=form.cleaned_data["code"], request=request, now=now
                )
            else:
                passed = use_recovery_code(
                    user=self.user, code=form.cleaned_data["recovery_code"], now=now
                )
                if not passed:
                    sms_factor.record_second_factor_failure(
                        user=self.user, request=request, now=now, method="recovery_code"
                    )
        if passed:
            record_authentication(
                request,
                self.user,
                method="mfa",
                type="rx_sms" if action == "code" else "rx_recovery_code",
            )
            # A factor passed: a new session id before the next stage (or the sign-in).
            signin.rotate_session_key(request)
            return self.stage.exit()
        failures = int(self.stage.state.get(FAILURES_KEY, 0)) + 1
        self.stage.state[FAILURES_KEY] = failures
        if failures >= settings.RXPORTAL_SECOND_FACTOR_MAX_ATTEMPTS:
            clear_login(request)
            messages.error(
                request, _("That did not match too many times. Sign in again to get a new code.")
            )
            return HttpResponseRedirect(reverse("account_login"))
        stash_login(request, self.stage.login)
        form.add_error(None, _("That code did not work. Check it and try again."))
        return self._render(form)

    def _render(self, form: forms.Form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form")
        profile = SecurityProfile.objects.filter(user=self.user).first()
        context.update(
            phone_last4=profile.sms_phone_last4 if profile else "",
            code_sent=bool(self.stage.state.get(SENT_KEY)),
            show_code_form=bool(self.stage.state.get(SENT_KEY))
            or isinstance(form, SmsSignInCodeForm),
            code_form=form if isinstance(form, SmsSignInCodeForm) else SmsSignInCodeForm(),
            recovery_form=form if isinstance(form, RecoveryCodeForm) else RecoveryCodeForm(),
            failed_form=form,
            form_errors_id=MYACCOUNT_ERRORS_ID,
        )
        return context
