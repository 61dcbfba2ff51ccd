"""My Account forms: password change, challenge questions, SiteKey and text-message phone.

Each form checks shape only (lengths, choices, formats) and says what is wrong next to the
field; the services re-check the rules. Secrets (passwords, answers, codes) are never written
back into the page after a failed submit; everything else the user typed is kept.
"""

from __future__ import annotations

from typing import Any

from allauth.account.forms import ChangePasswordForm
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from rxportal.accounts import domain
from rxportal.accounts.challenge_questions import (
    ANSWER_MIN_LENGTH,
    ANSWERS_REQUIRED,
    normalize_answer,
)
from rxportal.accounts.errors import InvalidSiteKeyPhrase
from rxportal.accounts.forms.common import (
    ANSWER_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    AccessibleErrorsMixin,
    NeverShowValueInput,
    question_choices,
)
from rxportal.accounts.sitekeys import PHRASE_MAX_LENGTH, SITEKEY_IMAGES, clean_sitekey_phrase

MYACCOUNT_ERRORS_ID = "form-errors"
PHONE_MAX_LENGTH = 32
QUESTION_LABELS = (_("First question"), _("Second question"), _("Third question"))
ANSWER_LABELS = (
    _("Answer to the first question"),
    _("Answer to the second question"),
    _("Answer to the third question"),
)


class MyAccountFormMixin(AccessibleErrorsMixin):
    errors_id = MYACCOUNT_ERRORS_ID

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe_fields()


class PortalChangePasswordForm(MyAccountFormMixin, ChangePasswordForm):
    """allauth's change-password form (current password required), with our wording."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            "oldpassword": _("Current password"),
            "password1": _("New password"),
            "password2": _("New password again"),
        }
        for name, label in labels.items():
            field = self.fields[name]
            field.label = label
            field.help_text = ""
            field.validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))
            field.widget.attrs.pop("placeholder", None)
        self.fields["password1"].help_text = _(
            "At least 15 characters. Any characters and spaces are welcome: a few unrelated "
            "words make a strong password that is easy to remember."
        )
        self.describe_fields()


def _question_field(index: int) -> forms.ChoiceField:
    return forms.ChoiceField(label=QUESTION_LABELS[index], choices=question_choices)


def _answer_field(index: int) -> forms.CharField:
    return forms.CharField(
        label=ANSWER_LABELS[index],
        max_length=ANSWER_MAX_LENGTH,
        strip=True,
        help_text=_(
            "At least 3 letters or digits. Capitals, spaces and punctuation do not matter."
        ),
        widget=NeverShowValueInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ChallengeQuestionsForm(MyAccountFormMixin, forms.Form):
    """Three different questions and their answers (answers are never shown again)."""

    question_1 = _question_field(0)
    answer_1 = _answer_field(0)
    question_2 = _question_field(1)
    answer_2 = _answer_field(1)
    question_3 = _question_field(2)
    answer_3 = _answer_field(2)

    def __init__(self, *args: Any, current_questions: list[str] | None = None, **kwargs: Any):
        initial = kwargs.setdefault("initial", {})
        for index, slug in enumerate((current_questions or [])[:ANSWERS_REQUIRED], start=1):
            initial.setdefault(f"question_{index}", slug)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen: set[str] = set()
        for index in range(1, ANSWERS_REQUIRED + 1):
            slug = cleaned.get(f"question_{index}")
            if slug and slug in seen:
                self.add_error(
                    f"question_{index}", _("Choose a question you have not chosen above.")
                )
            elif slug:
                seen.add(slug)
            answer = cleaned.get(f"answer_{index}")
            if answer and len(normalize_answer(answer).replace(" ", "")) < ANSWER_MIN_LENGTH:
                self.add_error(
                    f"answer_{index}",
                    _("Use at least %(min)d letters or digits.") % {"min": ANSWER_MIN_LENGTH},
                )
        return cleaned

    def answers(self) -> dict[str, str]:
        return {
            self.cleaned_data[f"question_{index}"]: self.cleaned_data[f"answer_{index}"]
            for index in range(1, ANSWERS_REQUIRED + 1)
        }


class SiteKeyForm(MyAccountFormMixin, forms.Form):
    image = forms.ChoiceField(
        label=_("Your picture"),
        choices=[(image.slug, image.alt_text) for image in SITEKEY_IMAGES],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a picture.")},
    )
    phrase = forms.CharField(
        label=_("Your phrase"),
        max_length=PHRASE_MAX_LENGTH * 3,  # the exact limit is checked after normalizing
        help_text=_(
            "3 to 60 characters you will recognize, for example “Morning tea by the lake”. "
            "Not your password."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_phrase(self) -> str:
        try:
            return clean_sitekey_phrase(self.cleaned_data["phrase"])
        except InvalidSiteKeyPhrase as error:
            raise ValidationError(error.message, code=error.code) from None


class PhoneForm(MyAccountFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=PHONE_MAX_LENGTH,
        help_text=_("With the country code, for example +1 555 010 0199."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        phone = domain.normalize_phone_e164(self.cleaned_data["phone"])
        if phone is None:
            raise ValidationError(
                _("Enter a mobile number with its country code, for example +1 555 010 0199."),
                code="invalid_phone",
            )
        return phone


class ConfirmPhoneForm(MyAccountFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=20,
        help_text=_("Six digits. It works for 10 minutes, once."),
        widget=NeverShowValueInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        code = domain.normalize_code_input(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(_("Enter the six digits from the text message."), code="format")
        return code


class RecoveryCodesDownloadForm(forms.Form):
    """The codes just shown, posted back to be returned as a text file."""

    codes = forms.CharField(max_length=domain.RECOVERY_CODE_COUNT * 20, widget=forms.HiddenInput)

    def clean_codes(self) -> list[str]:
        raw = self.cleaned_data["codes"].split()
        if not 0 < len(raw) <= domain.RECOVERY_CODE_COUNT:
            raise ValidationError("unexpected number of codes", code="count")
        normalized = [domain.normalize_recovery_code(code) for code in raw]
        if any(code is None for code in normalized):
            raise ValidationError("not a recovery code", code="format")
        return [domain.format_recovery_code(code) for code in normalized if code is not None]
