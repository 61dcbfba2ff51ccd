"""SiteKey images, catalog, and the SiteKey / SMS-phone services (no decoys: the SiteKey is shown
only after the challenge question, see test_signin_question.py)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.functional import Promise

from rxportal.accounts import sitekeys
from rxportal.accounts.crypto import decrypt_text
from rxportal.accounts.errors import InvalidPhoneNumber, InvalidSiteKeyPhrase, UnknownSiteKeyImage
from rxportal.accounts.models import SecurityProfile
from rxportal.accounts.services.sitekey import get_sitekey_for_login, set_sitekey, set_sms_phone
from rxportal.audit.models import AuditEvent
from tests.factories import UserFactory

SITEKEY_DIR = (
    Path(__file__).resolve().parents[2]
    / "rxportal"
    / "accounts"
    / "static"
    / "accounts"
    / "sitekeys"
)
SVG_NS = "{http://www.w3.org/2000/svg}"
SVG_FILES = sorted(SITEKEY_DIR.glob("*.svg"))


# --- Image files -------------------------------------------------------------------------------


def test_at_least_thirty_distinct_images_are_bundled() -> None:
    assert len(SVG_FILES) >= 30
    digests = {hashlib.sha256(path.read_bytes()).hexdigest() for path in SVG_FILES}
    assert len(digests) == len(SVG_FILES)


def test_catalog_and_files_match_one_to_one() -> None:
    assert {image.slug for image in sitekeys.SITEKEY_IMAGES} == {p.stem for p in SVG_FILES}
    assert len(sitekeys.SITEKEY_IMAGES) == len(sitekeys.SITEKEY_IMAGES_BY_SLUG)


@pytest.mark.parametrize("path", SVG_FILES, ids=[p.stem for p in SVG_FILES])
def test_each_image_is_a_self_contained_svg(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)  # noqa: S314  (our own files, not untrusted input)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 96 96"
    assert 'href="http' not in text
    assert "href" not in text  # no links or <use> references at all
    lowered = text.lower()
    for forbidden in ("<script", "<text", "<image", "<foreignobject", "<style", "url(", "@import"):
        assert forbidden not in lowered, forbidden
    for element in root.iter():
        assert not any(name.lower().startswith("on") for name in element.attrib), element.tag


def test_alt_texts_are_translatable_distinct_and_present() -> None:
    alts = [image.alt_text for image in sitekeys.SITEKEY_IMAGES]
    assert all(isinstance(alt, Promise) for alt in alts)
    assert all(str(alt).strip() for alt in alts)
    assert len({str(alt) for alt in alts}) == len(alts)


def test_static_path() -> None:
    assert sitekeys.get_sitekey_image("owl").static_path == "accounts/sitekeys/owl.svg"


# --- Phrase validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", "abc"),
        ("  Blue heron at noon  ", "Blue heron at noon"),
        ("Ｃａｆé ｄｅｌ ｍａｒ", "Café del mar"),  # NFKC folds full-width letters
        ("x" * 60, "x" * 60),
    ],
)
def test_valid_phrases_are_normalized(raw: str, expected: str) -> None:
    assert sitekeys.clean_sitekey_phrase(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["ab", "   ab   ", "x" * 61, "bell\x07ring", "line\nbreak", "evil\u202etxt", "zero\u200bwidth"],
)
def test_invalid_phrases_are_refused(raw: str) -> None:
    with pytest.raises(InvalidSiteKeyPhrase) as excinfo:
        sitekeys.clean_sitekey_phrase(raw)
    assert excinfo.value.code == "account.sitekey.invalid_phrase"


# --- Services ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_set_sitekey_stores_the_choice_and_audits_without_the_secret() -> None:
    user = UserFactory(username="Alice")
    set_sitekey(user=user, image_slug="owl", phrase="  Blue heron at noon ", actor=user)
    profile = SecurityProfile.objects.get(user=user)
    assert (profile.sitekey_image, profile.sitekey_phrase) == ("owl", "Blue heron at noon")
    event = AuditEvent.objects.get(action="account.sitekey.changed")
    assert event.subject_id == str(user.public_id)
    assert "heron" not in str(event.details) and "owl" not in str(event.details)


@pytest.mark.django_db
def test_set_sitekey_refuses_an_image_outside_the_catalog() -> None:
    user = UserFactory()
    with pytest.raises(UnknownSiteKeyImage) as excinfo:
        set_sitekey(user=user, image_slug="../../etc/passwd", phrase="Blue heron", actor=user)
    assert excinfo.value.code == "account.sitekey.unknown_image"
    assert not SecurityProfile.objects.exists()


@pytest.mark.django_db
def test_login_shows_the_users_own_sitekey_case_insensitively() -> None:
    user = UserFactory(username="Alice")
    set_sitekey(user=user, image_slug="owl", phrase="Blue heron at noon", actor=user)
    shown = get_sitekey_for_login(normalized_username="alice")
    assert shown == ("owl", str(sitekeys.get_sitekey_image("owl").alt_text), "Blue heron at noon")


@pytest.mark.django_db
def test_unknown_names_get_no_sitekey() -> None:
    assert get_sitekey_for_login(normalized_username="nobody") is None


@pytest.mark.django_db
def test_existing_users_without_a_sitekey_yet_get_none() -> None:
    UserFactory(username="bob")
    phone_only = UserFactory(username="carol")
    set_sms_phone(user=phone_only, phone_e164="+15550100199", actor=phone_only)
    for name in ("bob", "carol"):
        assert get_sitekey_for_login(normalized_username=name) is None


@pytest.mark.django_db
def test_inactive_users_get_no_sitekey() -> None:
    user = UserFactory(username="dave", is_active=False)
    set_sitekey(user=user, image_slug="owl", phrase="Blue heron", actor=user)
    assert get_sitekey_for_login(normalized_username="dave") is None


@pytest.mark.django_db
def test_known_and_unknown_names_cost_the_same_queries() -> None:
    user = UserFactory(username="erin")
    set_sitekey(user=user, image_slug="owl", phrase="Blue heron", actor=user)
    with CaptureQueriesContext(connection) as known:
        get_sitekey_for_login(normalized_username="erin")
    with CaptureQueriesContext(connection) as unknown:
        get_sitekey_for_login(normalized_username="nobody")
    assert len(known) == len(unknown) == 1


@pytest.mark.django_db
def test_sms_phone_is_encrypted_at_rest_with_last_four_kept() -> None:
    user = UserFactory()
    set_sms_phone(user=user, phone_e164="+1 (555) 010-0199", actor=user)
    profile = SecurityProfile.objects.get(user=user)
    assert "0100199" not in profile.sms_phone_encrypted
    assert decrypt_text(profile.sms_phone_encrypted) == "+15550100199"
    assert profile.sms_phone_last4 == "0199"
    assert profile.sms_phone_verified is False
    event = AuditEvent.objects.get(action="account.sms_phone.changed")
    assert "0199" not in str(event.details)


@pytest.mark.django_db
def test_changing_the_phone_clears_verification() -> None:
    user = UserFactory()
    set_sms_phone(user=user, phone_e164="+15550100199", actor=user)
    SecurityProfile.objects.filter(user=user).update(sms_phone_verified=True)
    set_sms_phone(user=user, phone_e164="+15550100200", actor=user)
    assert SecurityProfile.objects.get(user=user).sms_phone_verified is False


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["5550100199", "+1 555", "call me", ""])
def test_invalid_phone_is_refused(phone: str) -> None:
    user = UserFactory()
    with pytest.raises(InvalidPhoneNumber) as excinfo:
        set_sms_phone(user=user, phone_e164=phone, actor=user)
    assert excinfo.value.code == "account.sms_phone.invalid"
