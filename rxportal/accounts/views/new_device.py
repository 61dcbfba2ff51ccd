"""The new-device check's page (``NewDeviceStage``), over ``flows.new_device``."""

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

from rxportal.accounts.flows import new_device as new_device_flow
from rxportal.accounts.flows.new_device import CodeOutcome
from rxportal.accounts.forms.common import SIGN_IN_ERRORS_ID
from rxportal.accounts.forms.new_device import OneTimeCodeForm
from rxportal.accounts.stages import NEW_DEVICE_STAGE_KEY
from rxportal.accounts.views.common import set_device_cookie
from rxportal.core import clock


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
        self.stage: LoginStage = request._login_stage  # type: ignore[attr-defined]
        self.check = new_device_flow.begin(request=request, stage=self.stage)
        self.rate_key = f"user:{self.stage.login.user.pk}"
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "")
        if action in {"send_email", "send_sms"}:
            return self._send(request, channel="sms" if action == "send_sms" else "email")
        if action != "code":
            return HttpResponseRedirect(reverse("rx_login_new_device"))
        form = OneTimeCodeForm(request.POST)
        limited = ratelimit.consume_or_429(request, action="rx_new_device", key=self.rate_key)
        if limited is not None:
            return limited
        if not form.is_valid():
            return self._render(form)
        result = new_device_flow.check_code(
            request=request, stage=self.stage, code=form.cleaned_data["code"], now=clock.now()
        )
        if result.outcome == CodeOutcome.PASSED:
            response = self.stage.exit()
            set_device_cookie(response, result.device_cookie)
            return response
        if result.outcome == CodeOutcome.EXHAUSTED:
            messages.error(
                request,
                _("That did not match too many times. Sign in again to get a new check."),
            )
            return HttpResponseRedirect(reverse("account_login"))
        form.add_error(None, _("That did not match. Check it and try again."))
        return self._render(form)

    def _send(self, request: HttpRequest, *, channel: str) -> HttpResponse:
        limited = ratelimit.consume_or_429(request, action="rx_new_device_code", key=self.rate_key)
        if limited is not None:
            return limited
        sent = new_device_flow.send_code(
            request=request,
            stage=self.stage,
            channel="sms" if channel == "sms" else "email",
            now=clock.now(),
        )
        if not sent:
            messages.error(request, _("We could not send a code that way. Try another way."))
        elif channel == "sms":
            messages.info(request, _("We sent a code by text message."))
        else:
            messages.info(request, _("We sent a code by email."))
        return HttpResponseRedirect(reverse("rx_login_new_device"))

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
