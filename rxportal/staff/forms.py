"""Staff console forms: input shape only (lengths, formats). The rules are in the services."""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rxportal.accounts.selectors import USER_SEARCH_MAX_LENGTH, USER_SEARCH_MIN_LENGTH
from rxportal.accounts.services.staff import (
    EMAIL_MAX_LENGTH,
    REASON_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
)
from rxportal.core.errors import DomainError
from rxportal.core.forms import DescribedFieldsMixin
from rxportal.members.selectors import (
    MEMBER_ID_INPUT_MAX_LENGTH,
    normalize_member_id,
    normalize_zip5,
)

ZIP_INPUT_MAX_LENGTH = 20
# Letters and digits as on the card, plus the spacing and punctuation people type between them.
_MEMBER_ID_SHAPE = re.compile(r"[0-9A-Za-z \-./_]+")
_DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"]


class StaffForm(DescribedFieldsMixin, forms.Form):
    """Ties each field to its hint and error; shows a service's error next to its field."""

    def add_domain_error(self, error: DomainError, *, fields: dict[str, str]) -> bool:
        """Show a service's error next to the field it concerns (``fields`` maps an error-code
        prefix to a field name). False when it concerns no field: the caller shows it instead."""
        field = next(
            (name for prefix, name in fields.items() if error.code.startswith(prefix)), None
        )
        if field is None:
            return False
        self.add_error(field, error.message)
        self.describe_fields()
        return True


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        help_text=_(
            "Why you are doing this, for the audit trail (for example, the call or ticket). "
            "At most 500 characters."
        ),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MemberLookupForm(StaffForm):
    member_id = forms.CharField(
        label=_("Member ID"),
        help_text=_("As on the member's ID card. Spaces, dashes and letter case do not matter."),
        max_length=MEMBER_ID_INPUT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        input_formats=_DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "off"}, format="%Y-%m-%d"),
    )
    zip_code = forms.CharField(
        label=_("ZIP code"),
        help_text=_("Five digits; ZIP+4 is fine."),
        max_length=ZIP_INPUT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_member_id(self) -> str:
        value = unicodedata.normalize("NFKC", self.cleaned_data["member_id"])
        if not _MEMBER_ID_SHAPE.fullmatch(value) or not normalize_member_id(value):
            raise ValidationError(
                _("A member ID has only letters and numbers. Check the card and try again."),
                code="invalid",
            )
        return value

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"]
        if not re.fullmatch(r"[0-9 \-]+", unicodedata.normalize("NFKC", value)) or (
            normalize_zip5(value) is None
        ):
            raise ValidationError(
                _("Enter a 5-digit ZIP code, such as 06103 (ZIP+4 is fine)."), code="invalid"
            )
        return value


class ReasonForm(StaffForm):
    """Unlock an account or send a username reminder: only the reason."""

    reason = _reason_field()


class UsernameChangeForm(StaffForm):
    new_username = forms.CharField(
        label=_("New username"),
        help_text=_("Letters, numbers and @ . + - _ only. Stored in lower case."),
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    reason = _reason_field()


class EmailChangeForm(StaffForm):
    new_email = forms.EmailField(
        label=_("New email address"),
        help_text=_(
            "We send a notice to the old and the new address. The member confirms the new "
            "address with a code the next time they sign in."
        ),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reason = _reason_field()


class UserSearchForm(StaffForm):
    q = forms.CharField(
        label=_("Username or email address"),
        help_text=_("The beginning is enough: at least two characters."),
        min_length=USER_SEARCH_MIN_LENGTH,
        max_length=USER_SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
