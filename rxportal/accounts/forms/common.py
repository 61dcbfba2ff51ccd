"""What every accounts form shares: length limits, the secret text box, the accessible-errors
wiring and the list of challenge questions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.accounts.challenge_questions import CHALLENGE_QUESTIONS

USERNAME_MAX_LENGTH = 150
ANSWER_MAX_LENGTH = 200
CODE_MAX_LENGTH = 20
EMAIL_MAX_LENGTH = 254  # allauth's EmailAddress column
PASSWORD_MAX_LENGTH = 4096  # long passphrases welcome, but hashing input stays bounded
SIGN_IN_ERRORS_ID = "sign-in-errors"
# The box where a username (or an email standing for one) is typed: no capitals or spelling help.
USERNAME_INPUT_ATTRS = {
    "autocomplete": "username",
    "autocapitalize": "none",
    "spellcheck": "false",
    "autofocus": True,
}


class NeverShowValueInput(forms.TextInput):
    """A text box that comes back empty after a failed submit (codes, answers, a new puzzle)."""

    def format_value(self, value: Any) -> str | None:
        return None


class AccessibleErrorsMixin:
    """Points each field's ``aria-describedby`` at its hint and error, and ties a form-level
    error (``role="alert"`` summary with id ``errors_id``) to every visible field."""

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


def question_choices() -> list[tuple[str, Any]]:
    """The challenge questions to pick from, after an empty "Choose a question"."""
    return [("", _("Choose a question")), *((q.slug, q.text) for q in CHALLENGE_QUESTIONS)]
