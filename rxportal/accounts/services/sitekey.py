"""The SiteKey a user sees before typing a password, and the phone used for text codes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext

from rxportal.accounts import domain
from rxportal.accounts.crypto import encrypt_text
from rxportal.accounts.errors import InvalidPhoneNumber
from rxportal.accounts.models import OneTimeCodePurpose, SecurityProfile, User
from rxportal.accounts.services.codes import verify_code
from rxportal.accounts.sitekeys import (
    SITEKEY_IMAGES_BY_SLUG,
    SiteKeyDisplay,
    clean_sitekey_phrase,
    decoy_sitekey,
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


def get_sitekey_for_login(*, normalized_username: str) -> SiteKeyDisplay:
    """The SiteKey to show for a typed username: the user's own, else a stable decoy.

    The decoy is shown for unknown names, inactive accounts, and existing accounts that have
    not chosen a SiteKey yet, so the page looks the same whether or not the name exists. The
    same work is done either way (one query, one HMAC).
    """
    decoy_slug, decoy_phrase = decoy_sitekey(normalized_username)
    row = (
        SecurityProfile.objects.filter(
            user__username__iexact=normalized_username, user__is_active=True
        )
        .exclude(sitekey_image="")
        .order_by("user_id")
        .values_list("sitekey_image", "sitekey_phrase")
        .first()
    )
    slug, phrase = decoy_slug, decoy_phrase
    if row is not None and row[0] in SITEKEY_IMAGES_BY_SLUG and row[1]:
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
    return bool(updated)
