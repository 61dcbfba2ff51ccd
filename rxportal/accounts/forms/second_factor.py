"""Second-factor forms at sign-in: allauth's MFA forms with our rules (``MFA_FORMS``), and the
text-message step's code and recovery-code boxes (``views.second_factor``)."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.base.internal.flows import check_rate_limit
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn.forms import AuthenticateWebAuthnForm
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from rxportal.accounts import domain
from rxportal.accounts.domain import normalize_recovery_code, normalize_username
from rxportal.accounts.forms.common import (
    CODE_MAX_LENGTH,
    AccessibleErrorsMixin,
    NeverShowValueInput,
)
from rxportal.accounts.forms.my_account import ConfirmPhoneForm, MyAccountFormMixin
from rxportal.accounts.services import lockout, signin
from rxportal.accounts.services.recovery_codes import use_recovery_code
from rxportal.accounts.services.sms_factor import record_second_factor_failure
from rxportal.core import clock

RECOVERY_CODE_MAX_LENGTH = 40


class _ReplayProtectedCodeMixin:
    """After allauth accepts a TOTP code, refuse it unless its time step is newer than the last."""

    authenticator: Any
    user: Any

    def clean_code(self) -> str:
        code: str = super().clean_code()  # type: ignore[misc]
        if not signin.accept_totp_step(authenticator=self.authenticator, code=code):
            self._emit_authentication_failed(self.authenticator)  # type: ignore[attr-defined]
            from allauth.mfa.adapter import get_adapter

            raise get_adapter().validation_error("incorrect_code")
        return code


class PortalAuthenticateForm(AccessibleErrorsMixin, _ReplayProtectedCodeMixin, AuthenticateForm):
    """The second factor at sign-in: a TOTP code, or one of our hashed recovery codes (each
    works once). Passkeys use PortalAuthenticateWebAuthnForm."""

    used_recovery_code = False
    tried_recovery_code = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.label = _("Code from your authenticator app")
        code.max_length = CODE_MAX_LENGTH
        code.validators.append(MaxLengthValidator(CODE_MAX_LENGTH))
        # A code (or recovery code) that failed is not written back into the page.
        code.widget = NeverShowValueInput(attrs=dict(code.widget.attrs))
        code.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}
        )
        code.widget.attrs.pop("placeholder", None)
        self.has_passkey = Authenticator.objects.filter(
            user_id=self.user.pk, type=Authenticator.Type.WEBAUTHN
        ).exists()
        self.describe_fields()

    def clean_code(self) -> str:
        # A locked username cannot keep guessing codes at this step either.
        username = normalize_username(self.user.get_username())
        if lockout.sign_in_gate(username=username, now=clock.now()).blocked:
            from allauth.mfa.adapter import get_adapter

            raise get_adapter().validation_error("incorrect_code")
        code: str = self.cleaned_data["code"]
        if normalize_recovery_code(code) is not None:  # 12 letters and digits: not a TOTP code
            self.tried_recovery_code = True
            return self._clean_recovery_code(code)
        return super().clean_code()

    def _clean_recovery_code(self, code: str) -> str:
        clear_rate_limit = check_rate_limit(self.user)
        now = clock.now()
        if use_recovery_code(user=self.user, code=code, now=now):
            clear_rate_limit()
            self.used_recovery_code = True
            return code
        record_second_factor_failure(
            user=self.user, request=context.request, now=now, method="recovery_code"
        )
        raise ValidationError(
            _("That recovery code did not work. Check it, or use another one: each works once."),
            code="incorrect_recovery_code",
        )

    def _emit_authentication_failed(self, authenticator: Any) -> None:
        super()._emit_authentication_failed(authenticator)
        record_second_factor_failure(
            user=self.user, request=context.request, now=clock.now(), method=authenticator.type
        )

    def save(self) -> None:
        if self.used_recovery_code:
            record_authentication(context.request, self.user, method="mfa", type="rx_recovery_code")
        else:
            super().save()
        signin.rotate_session_key(context.request)


class PortalReauthenticateForm(_ReplayProtectedCodeMixin, ReauthenticateForm):
    pass


class PortalAuthenticateWebAuthnForm(AuthenticateWebAuthnForm):
    def save(self) -> None:
        super().save()
        signin.rotate_session_key(context.request)


class SmsSignInCodeForm(ConfirmPhoneForm):
    """The text-message step of sign-in (same shape as the confirmation code)."""


class RecoveryCodeForm(MyAccountFormMixin, forms.Form):
    recovery_code = forms.CharField(
        label=_("Recovery code"),
        max_length=RECOVERY_CODE_MAX_LENGTH,
        help_text=_("One of the codes you saved, like 7KQ4-MX2P-9TRA. Each works once."),
        widget=NeverShowValueInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_recovery_code(self) -> str:
        code: str = self.cleaned_data["recovery_code"]
        if domain.normalize_recovery_code(code) is None:
            raise ValidationError(
                _("A recovery code has 12 letters and digits, like 7KQ4-MX2P-9TRA."),
                code="format",
            )
        return code
