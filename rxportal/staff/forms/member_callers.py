"""A member who calls: verify them (member id, or name, with date of birth and ZIP), then the
reason code for opening their records."""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rxportal.members.selectors import MEMBER_ID_INPUT_MAX_LENGTH, normalize_member_id
from rxportal.staff.forms.common import (
    StaffForm,
    clean_zip_input,
    date_of_birth_field,
    name_field,
    zip_code_field,
)
from rxportal.staff.services.service_center import ReasonCode

# Letters and digits as on the card, plus the spacing and punctuation people type between them.
_MEMBER_ID_SHAPE = re.compile(r"[0-9A-Za-z \-./_]+")


class MemberLookupForm(StaffForm):
    member_id = forms.CharField(
        label=_("Member ID"),
        help_text=_("As on the member's ID card. Spaces, dashes and letter case do not matter."),
        max_length=MEMBER_ID_INPUT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    date_of_birth = date_of_birth_field()
    zip_code = zip_code_field()

    def clean_member_id(self) -> str:
        value = unicodedata.normalize("NFKC", self.cleaned_data["member_id"])
        if not _MEMBER_ID_SHAPE.fullmatch(value) or not normalize_member_id(value):
            raise ValidationError(
                _("A member ID has only letters and numbers. Check the card and try again."),
                code="invalid",
            )
        return value

    def clean_zip_code(self) -> str:
        return clean_zip_input(self.cleaned_data["zip_code"])


class MemberNameLookupForm(StaffForm):
    first_name = name_field(_("First name"))
    last_name = name_field(_("Last name"))
    date_of_birth = date_of_birth_field()
    zip_code = zip_code_field()

    def clean_zip_code(self) -> str:
        return clean_zip_input(self.cleaned_data["zip_code"])


class RecordsReasonForm(StaffForm):
    """Why the agent opens the caller's records (GET: the code travels in the address)."""

    reason = forms.ChoiceField(
        label=_("Reason for looking"),
        choices=[("", _("Choose a reason")), *ReasonCode.choices],
    )
