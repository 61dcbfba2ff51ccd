"""Forms of the web edge."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

SIGN_IN_ERRORS_ID = "sign-in-errors"


class SignInForm(AuthenticationForm):
    """Django's sign-in form with our own wording (plainer than Django's, in both languages)."""

    error_messages = {
        "invalid_login": _(
            "We could not sign you in with that username and password. "
            "Check both and try again; the password is case-sensitive."
        ),
        "inactive": _("This account is not active. Call member services for help."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["password"].label = _("Password")

    def full_clean(self) -> None:
        super().full_clean()
        if self.non_field_errors():
            # Tie a failed sign-in to both fields, so screen readers announce why.
            for name in ("username", "password"):
                self.fields[name].widget.attrs["aria-invalid"] = "true"
                self.fields[name].widget.attrs["aria-describedby"] = SIGN_IN_ERRORS_ID
