"""Sign-in security for the development-only demo accounts (called by ``seed_demo``).

Every demo account gets a verified primary email (allauth refuses sign-in without one), the
SiteKey phrase ``Morning tea by the lake``, the answer ``blue heron`` to three challenge questions
and, for members and staff, an authenticator app with a fixed, published TOTP secret so the demo
(and the browser tests) can compute codes. Never call this outside development.
"""

from __future__ import annotations

import base64

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from rxportal.accounts.models import User
from rxportal.accounts.services.challenges import set_challenge_answers
from rxportal.accounts.services.roles import ensure_role_group
from rxportal.accounts.services.signin import is_second_factor_required
from rxportal.accounts.services.sitekey import set_sitekey

DEMO_SITEKEY_IMAGE = "teapot"
DEMO_SITEKEY_PHRASE = "Morning tea by the lake"
DEMO_CHALLENGE_ANSWER = "blue heron"
DEMO_CHALLENGE_QUESTIONS = ("first-pet", "first-concert", "childhood-nickname")
# Base32, 160 bits; published in the README on purpose (development-only demo accounts).
DEMO_TOTP_SECRET = "RXPORTALDEMOMEMBERTOTPSECRETAAAA"  # noqa: S105


def prepare_demo_security(*, user: User, totp: bool = True) -> None:
    """Idempotent. ``totp`` applies to members and staff only (others never get one here)."""
    if not settings.RXPORTAL_CREATE_DEMO_ACCOUNTS:
        raise ImproperlyConfigured("demo accounts are for development only")
    if not user.email:
        raise ValueError("demo accounts need an email address")
    if len(base64.b32decode(DEMO_TOTP_SECRET)) != 20:  # pragma: no cover - constant
        raise ValueError("the demo TOTP secret must be 160 bits")
    with transaction.atomic():
        EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()
        EmailAddress.objects.update_or_create(
            user=user,
            email=user.email,
            defaults={"verified": True, "primary": True},
        )
        set_sitekey(
            user=user, image_slug=DEMO_SITEKEY_IMAGE, phrase=DEMO_SITEKEY_PHRASE, actor=user
        )
        set_challenge_answers(
            user=user,
            answers=dict.fromkeys(DEMO_CHALLENGE_QUESTIONS, DEMO_CHALLENGE_ANSWER),
            actor=user,
        )
        ensure_role_group(user=user)  # the second-factor rule is a permission of the group
        if totp and is_second_factor_required(user):
            Authenticator.objects.update_or_create(
                user=user,
                type=Authenticator.Type.TOTP,
                defaults={"data": {"secret": encrypt(DEMO_TOTP_SECRET)}},
            )
