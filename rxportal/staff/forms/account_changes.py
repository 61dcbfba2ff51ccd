"""The account team finds an account and changes its username or email address."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.accounts.selectors import USER_SEARCH_MAX_LENGTH, USER_SEARCH_MIN_LENGTH
from rxportal.staff.forms.common import StaffForm, reason_field
from rxportal.staff.services.emails import EMAIL_MAX_LENGTH
from rxportal.staff.services.usernames import USERNAME_MAX_LENGTH


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


class UsernameChangeForm(StaffForm):
    new_username = forms.CharField(
        label=_("New username"),
        help_text=_("Letters, numbers and @ . + - _ only. Stored in lower case."),
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    reason = reason_field()


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
    reason = reason_field()
