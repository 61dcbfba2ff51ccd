"""Forms of forgot password and forgot username (the views are in ``views.recovery``).

They check shape only (length, characters, format) and keep what was typed, except secrets: the
code, the challenge answer, the second-factor code and the passwords come back empty.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from rxportal.accounts import domain
from rxportal.accounts.forms.common import (
    ANSWER_MAX_LENGTH,
    CODE_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    USERNAME_INPUT_ATTRS,
    AccessibleErrorsMixin,
    NeverShowValueInput,
)
from rxportal.accounts.models import User
from rxportal.accounts.services.recovery import IDENTIFIER_MAX_LENGTH, normalize_identifier

RECOVERY_ERRORS_ID = "recovery-errors"
SECOND_FACTOR_MAX_LENGTH = 40


def _has_unusable_characters(text: str) -> bool:
    """Control and format characters (other than spaces), unassigned or private-use code points."""
    return any(
        unicodedata.category(char) in {"Cc", "Cf", "Cn", "Co", "Cs"} and not char.isspace()
        for char in text
    )


class RecoveryForm(AccessibleErrorsMixin, forms.Form):
    """Fields point at their hint and error; a form-level error at the summary box."""

    errors_id = RECOVERY_ERRORS_ID

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe_fields()


class ForgotPasswordForm(RecoveryForm):
    identifier = forms.CharField(
        label=_("Username or email address"),
        max_length=IDENTIFIER_MAX_LENGTH,
        widget=forms.TextInput(attrs=dict(USERNAME_INPUT_ATTRS)),
    )

    def clean_identifier(self) -> str:
        value: str = self.cleaned_data["identifier"]
        if _has_unusable_characters(value):
            raise ValidationError(
                _("That contains characters a username or email address cannot have."),
                code="invalid_characters",
            )
        if not normalize_identifier(value):
            raise ValidationError(_("Enter your username or email address."), code="required")
        return " ".join(value.split())


class ResetCodeForm(RecoveryForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        widget=NeverShowValueInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
        help_text=_(
            "The code from the email or text: 6 digits, or 12 letters and digits if we sent a "
            "longer one. It works for 10 minutes, once."
        ),
    )

    def clean_code(self) -> str:
        typed: str = self.cleaned_data["code"]
        code = domain.normalize_code_input(typed)
        if code is None and domain.normalize_long_code_input(typed) is not None:
            return typed
        if code is None:
            raise ValidationError(
                _(
                    "Enter the code as it is in the email or text: 6 digits (for example 123456) "
                    "or 12 letters and digits (for example 7KQ4-MX2P-9TRA)."
                ),
                code="format",
            )
        return code


class ResetAnswerForm(RecoveryForm):
    answer = forms.CharField(
        label=_("Your answer"),
        max_length=ANSWER_MAX_LENGTH,
        widget=NeverShowValueInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}
        ),
        help_text=_("Capitals, spaces and punctuation do not matter."),
    )

    def __init__(self, *args: Any, question_text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if question_text:
            self.fields["answer"].label = question_text


class ResetSecondFactorForm(RecoveryForm):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=SECOND_FACTOR_MAX_LENGTH,
        widget=NeverShowValueInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autofocus": True}
        ),
        help_text=_("6 digits from the app, or a recovery code like 7KQ4-MX2P-9TRA."),
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if (
            domain.normalize_code_input(code) is None
            and domain.normalize_recovery_code(code) is None
        ):
            raise ValidationError(
                _(
                    "Enter the 6 digits your authenticator app shows, or one of your recovery "
                    "codes (12 letters and digits)."
                ),
                code="format",
            )
        return code


class NewPasswordForm(RecoveryForm):
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        validators=[MaxLengthValidator(PASSWORD_MAX_LENGTH)],
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text=_(
            "At least 15 characters. Any characters and spaces are welcome: a few unrelated "
            "words make a strong password that is easy to remember."
        ),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        validators=[MaxLengthValidator(PASSWORD_MAX_LENGTH)],
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password1(self) -> str:
        password: str = self.cleaned_data["password1"]
        password_validation.validate_password(password, user=self.user)
        return password

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match. Type them again."))
        return cleaned


class ForgotUsernameForm(RecoveryForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false", "autofocus": True}
        ),
    )

    def clean_email(self) -> str:
        value: str = self.cleaned_data["email"]
        if _has_unusable_characters(value):
            raise ValidationError(_("Enter a valid email address."), code="invalid")
        return value
