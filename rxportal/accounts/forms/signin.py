"""Sign-in forms: the username step, the question, and the SiteKey + password step.

The password step subclasses allauth's ``LoginForm`` (configured as ``ACCOUNT_FORMS["login"]``);
allauth's view drives it. The rules of the steps are in ``accounts.flows.signin``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.forms import LoginForm
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from rxportal.accounts import captcha
from rxportal.accounts.adapters import GENERIC_SIGN_IN_ERROR
from rxportal.accounts.domain import normalize_username
from rxportal.accounts.flows import signin as signin_flow
from rxportal.accounts.forms.common import (
    ANSWER_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    USERNAME_INPUT_ATTRS,
    USERNAME_MAX_LENGTH,
    AccessibleErrorsMixin,
    NeverShowValueInput,
)
from rxportal.accounts.services import lockout, signin
from rxportal.accounts.sitekeys import STATIC_DIR as SITEKEY_STATIC_DIR
from rxportal.accounts.sitekeys import SiteKeyDisplay
from rxportal.audit.services import client_ip
from rxportal.core import clock


def paused_message(until: dt.datetime) -> str:
    """What a paused username is told: until when (local time, in the page's language), and the
    reset that lifts the pause. The same words for every name, known or not."""
    when = formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")
    return _(
        "Sign-in is paused for this username until %(when)s, after too many tries that did not "
        "match. Even the right password can't sign in until then. To sign in sooner, reset "
        "your password: a reset lifts the pause at once."
    ) % {"when": when}


class IdentifyForm(AccessibleErrorsMixin, forms.Form):
    """Step 1: only the username (nothing here reveals whether it exists)."""

    username = forms.CharField(
        label=_("Username"),
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(attrs=dict(USERNAME_INPUT_ATTRS)),
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
        widget=NeverShowValueInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
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


class SignInQuestionForm(AccessibleErrorsMixin, forms.Form):
    """Step 2 on a browser the portal does not recognize: one challenge question (and the
    CAPTCHA when the lock-out asks for it). Built the same way for every username."""

    answer = forms.CharField(
        label=_("Your answer"),
        max_length=ANSWER_MAX_LENGTH,
        strip=True,
        widget=NeverShowValueInput(
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


class SiteKeyLoginForm(AccessibleErrorsMixin, LoginForm):
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

        ip = client_ip(self.request) if self.request is not None else None
        # Read once: the gate here and the attempt's count in clean() use the same estimates.
        self.breakers = lockout.read_breakers(ip=ip, now=now)
        self.gate = lockout.sign_in_gate(
            username=normalized, now=now, ip=ip, breakers=self.breakers
        )
        self.captcha: captcha.CaptchaChallenge | None = None
        if self.gate.captcha_required:
            self.captcha = _add_captcha_field(self, now=now)
        self.describe_fields()

    @cached_property
    def sitekey(self) -> SiteKeyDisplay | None:
        # Read when the page is drawn, not on a right password (the answer is then a redirect).
        return signin_flow.sitekey_for(self.identity) if self.identity else None

    @property
    def sitekey_static_path(self) -> str:
        return f"{SITEKEY_STATIC_DIR}/{self.sitekey.image_slug}.svg" if self.sitekey else ""

    def clean_login(self) -> str:
        if self.identity is None or not self.identity.may_enter_password:
            raise ValidationError(GENERIC_SIGN_IN_ERROR, code="username_password_mismatch")
        return self.identity.login_to_check

    def clean(self) -> dict[str, Any]:
        if self.identity is None or self._errors:
            return self.cleaned_data
        if self.gate.captcha_required and not _captcha_solved(self, now=clock.now()):
            return self.cleaned_data
        # Decided and counted as a failure under the row's lock before the password is checked,
        # so parallel requests cannot all be tried (the adapter confirms it when it is wrong).
        ip = client_ip(self.request) if self.request is not None else None
        attempt = lockout.begin_sign_in_attempt(
            username=self.identity.normalized, now=clock.now(), ip=ip, breakers=self.breakers
        )
        if attempt.refused:
            # Paused (or this connection throttled): the password is not checked at all, after
            # the same amount of hashing work. A pause is said plainly: it is kept per name,
            # known or not, so saying it tells nothing about the account.
            signin.spend_password_hash_time(self.cleaned_data.get("password", ""))
            self._raise_if_paused(attempt.decision)
            raise ValidationError(GENERIC_SIGN_IN_ERROR, code="username_password_mismatch")
        lockout.hold_sign_in_attempt(self.request, attempt, login=self.identity.account_name)
        try:
            cleaned = super().clean()
        except ValidationError:
            # A wrong password: when it started the pause, say so at once.
            self._raise_if_paused(
                lockout.sign_in_gate(username=self.identity.normalized, now=clock.now())
            )
            raise
        finally:
            if lockout.release_sign_in_attempt(self.request, attempt):
                # The adapter did not report a wrong password: right, or never checked.
                lockout.cancel_sign_in_attempt(attempt)
        return cleaned

    def _raise_if_paused(self, decision: Any) -> None:
        if decision.locked_until is None:
            return
        self.paused_until = decision.locked_until
        raise ValidationError(paused_message(decision.locked_until), code="paused")

    paused_until: Any = None

    def login(self, request: Any, redirect_url: str | None = None) -> Any:
        response = super().login(request, redirect_url=redirect_url)
        # The password factor has passed: one new session id. When every stage passed, Django's
        # login() has just given it; when a stage stopped (second factor, new device), the
        # sign-in waiting in this session gets it here, before its page is shown.
        signin.rotate_session_key(request)
        return response
