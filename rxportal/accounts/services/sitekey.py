"""The SiteKey a user sees before typing a password, and the phone used for text codes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext

from rxportal.accounts import domain
from rxportal.accounts.crypto import encrypt_text
from rxportal.accounts.errors import InvalidPhoneNumber
from rxportal.accounts.models import OneTimeCodePurpose, SecurityProfile, User
from rxportal.accounts.services import security_notices
from rxportal.accounts.services.codes import verify_code
from rxportal.accounts.sitekeys import (
    SITEKEY_IMAGES_BY_SLUG,
    SiteKeyDisplay,
    clean_sitekey_phrase,
    get_sitekey_image,
)
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event

ACTION_SITEKEY_CHANGED = "account.sitekey.changed"
ACTION_PHONE_CHANGED = "account.sms_phone.changed"
ACTION_PHONE_VERIFIED = "account.sms_phone.verified"


def set_sitekey(*, user: User, image_slug: str, phrase: str, actor: User) -> SecurityProfile:
    """Choose the SiteKey image (from the catalog) and phrase (3-60 characters)."""
    image = get_sitekey_image(image_slug)
    clean_phrase = clean_sitekey_phrase(phrase)
    with transaction.atomic():
        profile, _ = SecurityProfile.objects.select_for_update().get_or_create(user=user)
        profile.sitekey_image = image.slug
        profile.sitekey_phrase = clean_phrase
        profile.full_clean()
        profile.save()
        # The image and phrase are an anti-phishing secret: not in the audit details.
        record_event(
            action=ACTION_SITEKEY_CHANGED, outcome=Outcome.SUCCESS, actor=actor, subject=user
        )
    return profile


def get_sitekey_for_login(*, normalized_username: str) -> SiteKeyDisplay | None:
    """The active user's own SiteKey for a typed username, or None (no such user, or no SiteKey
    chosen yet). Only the sign-in flow calls this, and only once the browser is recognized or
    the challenge question was answered (``accounts/flows/signin.py``): no decoys exist."""
    row = (
        SecurityProfile.objects.filter(
            user__username__iexact=normalized_username, user__is_active=True
        )
        .exclude(sitekey_image="")
        .order_by("user_id")
        .values_list("sitekey_image", "sitekey_phrase")
        .first()
    )
    if row is None or row[0] not in SITEKEY_IMAGES_BY_SLUG or not row[1]:
        return None
    slug, phrase = row
    return SiteKeyDisplay(
        image_slug=slug, alt_text=str(SITEKEY_IMAGES_BY_SLUG[slug].alt_text), phrase=phrase
    )


def set_sms_phone(*, user: User, phone_e164: str, actor: User) -> SecurityProfile:
    """Store a new (unverified) phone for text codes: encrypted, with the last four digits."""
    phone = domain.normalize_phone_e164(phone_e164)
    if phone is None:
        raise InvalidPhoneNumber(
            gettext("Enter a mobile number with its country code, for example +1 555 010 0199.")
        )
    with transaction.atomic():
        profile, _ = SecurityProfile.objects.select_for_update().get_or_create(user=user)
        profile.sms_phone_encrypted = encrypt_text(phone)
        profile.sms_phone_last4 = phone[-4:]
        profile.sms_phone_verified = False
        profile.save()
        record_event(
            action=ACTION_PHONE_CHANGED, outcome=Outcome.SUCCESS, actor=actor, subject=user
        )
    return profile


def confirm_sms_phone(*, user: User, code: str, now: dt.datetime, actor: User) -> bool:
    """Mark the phone verified if ``code`` is the phone-verification code sent to it."""
    with transaction.atomic():
        if not verify_code(
            user=user, purpose=OneTimeCodePurpose.PHONE_VERIFICATION, code=code, now=now
        ):
            return False
        updated = SecurityProfile.objects.filter(user=user).update(sms_phone_verified=True)
        if updated:
            record_event(
                action=ACTION_PHONE_VERIFIED, outcome=Outcome.SUCCESS, actor=actor, subject=user
            )
            security_notices.notify_second_factor_changed(
                user=user, change=security_notices.FactorChange.SMS_ADDED
            )
    return bool(updated)
