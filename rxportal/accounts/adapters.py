"""django-allauth adapters: the only place allauth's behaviour is changed (besides settings).

* ``PortalAccountAdapter``: every email allauth (or registration) renders goes out through the
  notifications app (``send_mail``); our wording, the lock-out counter on a failed password, the extra
  login stages (new-device check, second-factor policy), the reset of the lock-out on a completed
  sign-in, and registration: allauth's signup opens only after step 1 (eligibility match or
  business details, ``services.registration``), and a duplicate signup notifies the owner.
* ``PortalMFAAdapter``: TOTP secrets encrypted with our field keys, the WebAuthn relying-party id
  from settings, and no removing the last second factor of an account that must have one.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import user_username
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from rxportal.accounts import crypto
from rxportal.accounts.domain import normalize_username
from rxportal.accounts.models import User
from rxportal.accounts.services import (
    lockout,
    registration,
    security_notices,
    signin,
    sms_factor,
)
from rxportal.accounts.services.security_notices import FactorChange
from rxportal.core import clock
from rxportal.notifications import services as notifications

GENERIC_SIGN_IN_ERROR = _(
    "We could not sign you in with that username and password. "
    "Check both and try again; the password is case-sensitive."
)

NEW_DEVICE_STAGE = "rxportal.accounts.stages.NewDeviceStage"
SMS_SECOND_FACTOR_STAGE = "rxportal.accounts.stages.SmsSecondFactorStage"
SECOND_FACTOR_POLICY_STAGE = "rxportal.accounts.stages.SecondFactorPolicyStage"
MFA_AUTHENTICATE_STAGE = "allauth.mfa.stages.AuthenticateStage"
AUTHENTICATOR_STAGE = "rxportal.accounts.stages.AuthenticatorStage"

# allauth's mails that carry a code or a one-use link: the notifications app's short path, so
# the secret is never stored in the outbox.
SECRET_MAILS = frozenset(
    {
        "account/email/email_confirmation",
        "account/email/email_confirmation_signup",
        "account/email/login_code",
        "account/email/password_reset_code",
        "account/email/password_reset_key",
    }
)

# allauth's notices about a change to the account's security, told by ``security_notices``.
ALLAUTH_PASSWORD_NOTICES = frozenset(
    {"account/email/password_changed", "account/email/password_set"}
)
ALLAUTH_FACTOR_NOTICES = {
    "mfa/email/totp_activated": FactorChange.TOTP_ADDED,
    "mfa/email/totp_deactivated": FactorChange.TOTP_REMOVED,
    "mfa/email/webauthn_added": FactorChange.PASSKEY_ADDED,
    "mfa/email/webauthn_removed": FactorChange.PASSKEY_REMOVED,
    "mfa/email/recovery_codes_generated": FactorChange.RECOVERY_CODES,
}


class PortalAccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # A locked account gets this same message (see forms.SiteKeyLoginForm).
        "username_password_mismatch": GENERIC_SIGN_IN_ERROR,
        "invalid_login": GENERIC_SIGN_IN_ERROR,
        "account_inactive": _("This account is not active. Call member services for help."),
        "too_many_login_attempts": _(
            "Too many attempts from this connection. Wait a few minutes, then try again."
        ),
    }

    def send_notification_mail(
        self,
        template_prefix: str,
        user: AbstractBaseUser,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        """allauth's security notices (password changed in My Account, an authenticator app or
        passkey added or removed) become ours: our words, by email and to the inbox. Any other
        goes out as allauth renders it (``send_mail``)."""
        change = ALLAUTH_FACTOR_NOTICES.get(template_prefix)
        if isinstance(user, User) and change is not None:
            security_notices.notify_second_factor_changed(user=user, change=change)
        elif isinstance(user, User) and template_prefix in ALLAUTH_PASSWORD_NOTICES:
            security_notices.notify_password_changed(user=user)
        else:
            super().send_notification_mail(template_prefix, user, context, email)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Rendered by allauth's templates as before, delivered by the notifications app."""
        request = context.get("request") or globals()["context"].request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
        )
        html = next(
            (
                content
                for content, kind in getattr(message, "alternatives", [])
                if kind == "text/html"
            ),
            "",
        )
        kind = "account." + template_prefix.rsplit("/", 1)[-1]
        user = context.get("user")
        recipient = user if isinstance(user, User) and user.pk else None
        if template_prefix in SECRET_MAILS:
            notifications.send_code_message(
                kind=kind,
                recipient=recipient,
                channel=notifications.Channel.EMAIL,
                to_address=email,
                subject=str(message.subject),
                body_text=str(message.body),
            )
            return
        notifications.enqueue(
            kind=kind,
            recipient=recipient,
            to_address=email,
            subject=str(message.subject),
            body_text=str(message.body),
            body_html=str(html),
        )

    # --- Registration (rxportal.accounts.forms.registration, services.registration) ----------------

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # allauth's signup page is the account step: open only after step 1 (an eligibility
        # match, or a client's or advisor's details) in this session, with our form configured.
        if "signup" not in getattr(settings, "ACCOUNT_FORMS", {}):
            return False
        return registration.get_registration(request, now=clock.now()) is not None

    def populate_username(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        # The username defaults to the email address, normalized like every username.
        email = str(getattr(user, "email", "") or "")
        if not user.get_username() and email:
            user_username(user, normalize_username(email))
        super().populate_username(request, user)

    def save_user(
        self, request: HttpRequest, user: AbstractBaseUser, form: Any, commit: bool = True
    ) -> AbstractBaseUser:
        user = super().save_user(request, user, form, commit=False)
        secrets = getattr(form, "account_secrets", None)
        if isinstance(secrets, registration.AccountSecrets):
            # Registration hashed the password already, on every path (timing): allauth was
            # given none and set an unusable one.
            user.password = secrets.password_hash  # type: ignore[attr-defined]
        profile = getattr(form, "account_profile", None)
        if isinstance(profile, registration.AccountProfile):
            user.role = profile.role  # type: ignore[attr-defined]
            user.first_name = profile.first_name  # type: ignore[attr-defined]
            user.last_name = profile.last_name  # type: ignore[attr-defined]
            user.organization_claim = profile.organization_claim  # type: ignore[attr-defined]
        if commit:
            user.save()
        return user

    def send_account_already_exists_mail(self, email: str) -> None:
        # Signup met an email or member record that already has an account: the owners hear
        # about it; the person registering sees the same page as for a new account.
        registration.send_existing_account_notices(
            request=context.request, email=email, now=clock.now()
        )

    def get_login_stages(self) -> list[str]:
        # allauth's MFA stage, through ours (it reads the second factors once per request).
        stages = [
            AUTHENTICATOR_STAGE if path == MFA_AUTHENTICATE_STAGE else path
            for path in super().get_login_stages()
        ]
        position = (
            stages.index(AUTHENTICATOR_STAGE) if AUTHENTICATOR_STAGE in stages else len(stages)
        )
        stages[position:position] = [NEW_DEVICE_STAGE]
        # Text-message codes right after allauth's MFA stage (SMS-only accounts).
        position = stages.index(NEW_DEVICE_STAGE) + 1
        if AUTHENTICATOR_STAGE in stages:
            position = stages.index(AUTHENTICATOR_STAGE) + 1
        stages[position:position] = [SMS_SECOND_FACTOR_STAGE]
        stages.append(SECOND_FACTOR_POLICY_STAGE)
        return stages

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # Used when no ``next`` was given: after the password or the second factor, and for a
        # signed-in visitor at the sign-in page.
        return signin.first_page_after_sign_in(request.user)  # type: ignore[arg-type]

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        """A wrong password (or unknown username): one more failure for that username.

        ``credentials`` holds the raw password: never log or store it.
        """
        username = credentials.get("username")
        if not (isinstance(username, str) and username):
            return
        normalized = normalize_username(username)
        attempt = lockout.take_held_sign_in_attempt(request, username=normalized)
        if attempt is not None:  # the password step counted it before the check
            lockout.fail_sign_in_attempt(attempt, request=request, now=clock.now())
        else:
            lockout.record_sign_in_failure(username=normalized, request=request, now=clock.now())

    def post_login(
        self,
        request: HttpRequest,
        user: AbstractBaseUser,
        **kwargs: Any,
    ) -> HttpResponse:
        # Every stage passed: the failure episode for this username is over, and for the
        # account's address (one per account, ACCOUNT_MAX_EMAIL_ADDRESSES = 1: ``user.email``).
        lockout.record_sign_in_success(
            username=normalize_username(user.get_username()),
            email=str(getattr(user, "email", "") or ""),
        )
        signin.mark_signed_in(request=request, now=clock.now())
        return super().post_login(request, user, **kwargs)


class PortalMFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": _(
            "That code did not work. Enter the newest code from your authenticator app; "
            "each code works only once."
        ),
        "cannot_delete_authenticator": _(
            "Your account must keep a second factor. Add another one before removing this one."
        ),
    }

    def encrypt(self, text: str) -> str:
        return crypto.encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt_text(encrypted_text)

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        return {"id": settings.RXPORTAL_WEBAUTHN_RP_ID, "name": "rxportal"}

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # A confirmed phone (text-message codes) also counts as the factor that remains.
        return signin.can_remove_second_factor(
            authenticator=authenticator
        ) or sms_factor.has_sms_factor(authenticator.user)
