"""Sign-in forms: the username step, the question, the SiteKey + password step, the new-device
check, MFA.

The password step subclasses allauth's ``LoginForm`` (configured as ``ACCOUNT_FORMS["login"]``),
the MFA forms allauth's (``MFA_FORMS``); allauth's views drive them.
"""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm
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

from rxportal.accounts import captcha
from rxportal.accounts.adapters import GENERIC_SIGN_IN_ERROR
from rxportal.accounts.domain import normalize_recovery_code, normalize_username
from rxportal.accounts.flows import signin as signin_flow
from rxportal.accounts.services import lockout, signin
from rxportal.accounts.services.recovery_codes import use_recovery_code
from rxportal.accounts.services.sms_factor import record_second_factor_failure
from rxportal.accounts.sitekeys import STATIC_DIR as SITEKEY_STATIC_DIR
from rxportal.audit.services import client_ip
from rxportal.core import clock

USERNAME_MAX_LENGTH = 150
ANSWER_MAX_LENGTH = 200
CODE_MAX_LENGTH = 20
PASSWORD_MAX_LENGTH = 4096  # long passphrases welcome, but hashing input stays bounded
SIGN_IN_ERRORS_ID = "sign-in-errors"


class _NeverShowValueInput(forms.TextInput):
    """A text box that comes back empty after a failed submit (a new puzzle, a new answer)."""

    def format_value(self, value: Any) -> str | None:
        return None


class _AccessibleErrorsMixin:
    """Points each field's ``aria-describedby`` at its hint and error, and ties a form-level
    error (``role="alert"`` summary with id ``SIGN_IN_ERRORS_ID``) to every visible field."""

    errors_id = SIGN_IN_ERRORS_ID

    def describe_fields(self) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        has_form_error = form.is_bound and bool(form.non_field_errors())
        for name, field in form.fields.items():
            if field.widget.is_hidden:
                continue
            ids = []
            if field.help_text:
                ids.append(f"id_{name}_hint")
            field_has_error = form.is_bound and name in form.errors
            if field_has_error:
                ids.append(f"id_{name}_error")
            elif has_form_error:
                ids.append(self.errors_id)
            if field_has_error or has_form_error:
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self.describe_fields()


class IdentifyForm(_AccessibleErrorsMixin, forms.Form):
    """Step 1: only the username (nothing here reveals whether it exists)."""

    username = forms.CharField(
        label=_("Username"),
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    remember = forms.BooleanField(label=_("Remember my username on this device"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe_fields()

    def clean_username(self) -> str:
        username = " ".join(self.cleaned_data["username"].split())
        if not normalize_username(username):
            raise ValidationError(_("Enter your username."), code="required")
        return username


def _add_captcha_field(form: forms.Form, *, now: Any) -> captcha.CaptchaChallenge:
    challenge = captcha.issue_captcha(now=now)
    form.fields["captcha_answer"] = forms.CharField(
        label=challenge.prompt,
        max_length=100,
        widget=_NeverShowValueInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=challenge.hint,
    )
    return challenge


def _captcha_solved(form: forms.Form, *, now: Any) -> bool:
    """Checks the posted token and answer; adds the field error when they do not match."""
    token = form.data.get("captcha_token", "")
    answer = form.cleaned_data.get("captcha_answer", "")
    if (
        isinstance(token, str)
        and token
        and captcha.verify_captcha(token=token, answer=answer, now=now)
    ):
        return True
    form.add_error(
        "captcha_answer", _("That answer did not match the check. Try the new one below.")
    )
    return False


class SignInQuestionForm(_AccessibleErrorsMixin, forms.Form):
    """Step 2 on a browser the portal does not recognize: one challenge question (and the
    CAPTCHA when the lock-out asks for it). Built the same way for every username."""

    answer = forms.CharField(
        label=_("Your answer"),
        max_length=ANSWER_MAX_LENGTH,
        strip=True,
        widget=_NeverShowValueInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}
        ),
    )

    def __init__(
        self, *args: Any, question_text: str = "", captcha_required: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if question_text:
            self.fields["answer"].label = question_text
        self.captcha: captcha.CaptchaChallenge | None = None
        if captcha_required:
            self.captcha = _add_captcha_field(self, now=clock.now())
        self.describe_fields()

    def clean(self) -> dict[str, Any]:
        if self.captcha is not None and not self.errors:
            _captcha_solved(self, now=clock.now())
        return self.cleaned_data


class SiteKeyLoginForm(_AccessibleErrorsMixin, LoginForm):
    """The password step: the SiteKey (only once the question was answered or the browser is
    recognized, see ``flows.signin``), the password, and the CAPTCHA when the lock-out asks.

    The username comes from the session (step 1), never from the posted data.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        now = clock.now()
        self.identity = (
            signin_flow.current_identity(self.request, now=now) if self.request else None
        )
        typed, normalized = (
            (self.identity.typed, self.identity.normalized) if self.identity else ("", "")
        )
        login_field = self.fields["login"]
        login_field.required = False
        login_field.widget = forms.HiddenInput(attrs={"autocomplete": "username"})
        login_field.initial = typed
        password = self.fields["password"]
        password.label = _("Password")
        password.help_text = ""
        password.validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))
        password.widget.attrs.pop("placeholder", None)

        self.sitekey = signin_flow.sitekey_for(self.identity) if self.identity else None
        ip = client_ip(self.request) if self.request is not None else None
        self.gate = lockout.sign_in_gate(username=normalized, now=now, ip=ip)
        self.captcha: captcha.CaptchaChallenge | None = None
        if self.gate.captcha_required:
            self.captcha = _add_captcha_field(self, now=now)
        self.describe_fields()

    @property
    def sitekey_static_path(self) -> str:
        return f"{SITEKEY_STATIC_DIR}/{self.sitekey.image_slug}.svg" if self.sitekey else ""

    def clean_login(self) -> str:
        if self.identity is None or not self.identity.may_enter_password:
            raise ValidationError(GENERIC_SIGN_IN_ERROR, code="username_password_mismatch")
        return self.identity.typed

    def clean(self) -> dict[str, Any]:
        if self.identity is None or self._errors:
            return self.cleaned_data
        if self.gate.captcha_required and not _captcha_solved(self, now=clock.now()):
            return self.cleaned_data
        # Decided and counted as a failure under the row's lock before the password is checked,
        # so parallel requests cannot all be tried (the adapter confirms it when it is wrong).
        ip = client_ip(self.request) if self.request is not None else None
        attempt = lockout.begin_sign_in_attempt(
            username=self.identity.normalized, now=clock.now(), ip=ip
        )
        if attempt.refused:
            # Locked (or this connection throttled): the same answer as a wrong password, after
            # the same amount of hashing work, and the password is not checked at all.
            signin.spend_password_hash_time(self.cleaned_data.get("password", ""))
            raise ValidationError(GENERIC_SIGN_IN_ERROR, code="username_password_mismatch")
        lockout.hold_sign_in_attempt(self.request, attempt)
        try:
            cleaned = super().clean()
        finally:
            if lockout.release_sign_in_attempt(self.request, attempt):
                # The adapter did not report a wrong password: right, or never checked.
                lockout.cancel_sign_in_attempt(attempt)
        return cleaned

    def login(self, request: Any, redirect_url: str | None = None) -> Any:
        # The password factor has passed: a new session id before the next stage.
        signin.rotate_session_key(request)
        return super().login(request, redirect_url=redirect_url)


class OneTimeCodeForm(_AccessibleErrorsMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        help_text=_("Six digits. It works for 10 minutes, once."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe_fields()


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


class PortalAuthenticateForm(_AccessibleErrorsMixin, _ReplayProtectedCodeMixin, AuthenticateForm):
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
        code.widget = _NeverShowValueInput(attrs=dict(code.widget.attrs))
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
