"""Our allauth login stages (added in ``PortalAccountAdapter.get_login_stages``).

Order: allauth's email-verification stage, ``NewDeviceStage``, allauth's MFA stage,
``SmsSecondFactorStage``, then ``SecondFactorPolicyStage``. Stages run only after the password
was accepted; each one either passes (``(None, True)``) or shows its page and is resumed from
there.
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.stages import LoginStage
from allauth.mfa.stages import AuthenticateStage
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from rxportal.accounts.flows import signin as signin_flow
from rxportal.accounts.services import devices, roles, signin
from rxportal.core import clock

NEW_DEVICE_STAGE_KEY = "rx_new_device"
SMS_SECOND_FACTOR_STAGE_KEY = "rx_sms_second_factor"
SECOND_FACTOR_POLICY_STAGE_KEY = "rx_second_factor_policy"


class NewDeviceStage(LoginStage):
    """A browser without a valid device cookie for this user passes one extra check.

    A right answer to the challenge question before the password (``flows.signin``) is that
    check: the browser is remembered and nothing more is asked here. Otherwise ("Can't answer?")
    its page asks for a code by email or text message. The cookie only skips this step; the
    password was already checked and the second factor follows regardless.
    """

    key = NEW_DEVICE_STAGE_KEY
    urlname = "rx_login_new_device"

    def handle(self) -> tuple[Any, bool]:
        user = self.login.user
        if user is None or self.login.signup:
            # No user: allauth's anti-enumeration stand-in. Signup: the email code just proved
            # the inbox, the same proof this step would ask for.
            return None, True
        cookie = self.request.COOKIES.get(settings.RXPORTAL_DEVICE_COOKIE_NAME)
        now = clock.now()
        if devices.find_recognized_device(user=user, cookie_value=cookie, now=now):
            return None, True
        if signin_flow.skip_new_device_check(request=self.request, user=user, now=now):
            return None, True
        return HttpResponseRedirect(reverse(self.urlname)), True


class AuthenticatorStage(AuthenticateStage):
    """allauth's MFA stage (authenticator app or passkey), asking the sign-in's second-factor
    facts (one query for every stage of the request) whether the account holds either before
    it runs: allauth's own check would read the same rows again. With one, allauth decides."""

    def handle(self) -> tuple[Any, bool]:
        user = self.login.user
        if (
            user is not None
            and not signin.second_factors_at_sign_in(self.request, user).authenticator
        ):
            return None, True
        return super().handle()


class SmsSecondFactorStage(LoginStage):
    """The second factor by text message, for people whose only factor is a confirmed phone.

    Runs after allauth's MFA stage, which handles authenticator apps and passkeys (and our
    recovery codes). Its page (``rx_login_sms``) texts a 6-digit code through the SMS gateway
    and also takes a recovery code.
    """

    key = SMS_SECOND_FACTOR_STAGE_KEY
    urlname = "rx_login_sms"

    def handle(self) -> tuple[Any, bool]:
        user = self.login.user
        if user is None or not signin.second_factors_at_sign_in(self.request, user).sms_step_needed:
            return None, True
        return HttpResponseRedirect(reverse(self.urlname)), True


class SecondFactorPolicyStage(LoginStage):
    """Members and staff must use a second factor: without one enrolled, the session is flagged
    and ``MfaEnrolmentGateMiddleware`` allows only the enrolment pages until one is added.

    Defence in depth: an account that holds a factor but reached this point without using one
    (allauth's MFA stage skipped for any reason) is refused.
    """

    key = SECOND_FACTOR_POLICY_STAGE_KEY

    def handle(self) -> tuple[Any, bool]:
        user = self.login.user
        if user is None:
            return None, True
        factors = signin.second_factors_at_sign_in(self.request, user)
        if factors.usable:
            records = get_authentication_records(self.request, user)
            if not any(record.get("method") == "mfa" for record in records):
                return None, False
            signin.flag_enrolment(request=self.request, required=False)
        elif factors.stranded_phone:
            messages.error(
                self.request,
                _(
                    "Text-message codes are unavailable right now, so we can't finish signing "
                    "you in. Use a recovery code through “Forgot your password?” or call "
                    "member services."
                ),
            )
            return None, False
        else:
            # The rule is a permission held through the role's group: join it first (the
            # sign-in's own join comes only after the last stage).
            roles.ensure_role_group(user=user)
            signin.flag_enrolment(
                request=self.request, required=signin.is_second_factor_required(user)
            )
        return None, True
