"""Passwords are hashed with Argon2id at or above the OWASP minimum (m=19 MiB, t=2, p=1), over
NFKC-normalized input, under the portal's own algorithm name (``argon2_nfkc``).

Tests of hashing use the production hasher list (``base.PASSWORD_HASHERS``), not the fast test
hasher, because the bug they guard against lives in the list's order: Django keeps the *last*
hasher of an algorithm name, so a stock ``argon2`` hasher listed after ours verified every
``argon2$`` hash without normalizing.
"""

from __future__ import annotations

import argon2
import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import Client, RequestFactory

from rxportal.accounts.hashers import (
    LegacyPortalArgon2PasswordHasher,
    PortalArgon2PasswordHasher,
)
from rxportal.settings import base
from tests.accounts.test_signin_support import (
    GENERIC_ERROR,
    enter_password,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    make_user,
)

COMPOSED = "Café con leche en la mañana"  # é and ñ as single code points (NFC)
DECOMPOSED = "Cafe\u0301 con leche en la man\u0303ana"  # e + combining acute, n + tilde (NFD)
FULL_WIDTH = "Ｃａｆé con leche en la mañana"  # full-width letters: NFKC folds them to ASCII


@pytest.fixture
def production_hashers(settings) -> None:
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


def _legacy_hash(password: str) -> str:
    """A hash as the portal stored it before ``argon2_nfkc``: NFKC input, ``argon2$`` name."""
    return LegacyPortalArgon2PasswordHasher().encode(
        password, LegacyPortalArgon2PasswordHasher().salt()
    )


def test_parameters_meet_the_owasp_minimum() -> None:
    hasher = PortalArgon2PasswordHasher()
    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2
    assert hasher.parallelism >= 1


def test_hash_is_argon2id_with_the_chosen_parameters_under_its_own_name() -> None:
    hasher = PortalArgon2PasswordHasher()
    encoded = hasher.encode("correct horse battery staple", hasher.salt())
    assert encoded.startswith("argon2_nfkc$argon2id$")
    params = argon2.extract_parameters("$" + encoded.split("$", 1)[1])
    assert params.type is argon2.Type.ID
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
    assert hasher.verify("correct horse battery staple", encoded)
    assert not hasher.verify("correct horse battery stapler", encoded)


def test_production_hasher_list_prefers_the_normalizing_hasher_for_every_argon2_name() -> None:
    assert base.PASSWORD_HASHERS[0] == "rxportal.accounts.hashers.PortalArgon2PasswordHasher"
    # Django's stock Argon2 hasher would take over the "argon2" name (the last one listed wins).
    assert "django.contrib.auth.hashers.Argon2PasswordHasher" not in base.PASSWORD_HASHERS


@pytest.mark.usefixtures("production_hashers")
def test_new_hashes_use_the_portal_algorithm_name() -> None:
    encoded = make_password(COMPOSED)

    assert encoded.startswith("argon2_nfkc$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(identify_hasher(encoded), PortalArgon2PasswordHasher)


@pytest.mark.usefixtures("production_hashers")
@pytest.mark.parametrize("set_as", [COMPOSED, DECOMPOSED], ids=["set-NFC", "set-NFD"])
@pytest.mark.parametrize("typed", [COMPOSED, DECOMPOSED, FULL_WIDTH], ids=["NFC", "NFD", "wide"])
@pytest.mark.parametrize("kind", ["new", "legacy"])
def test_composed_and_decomposed_input_verify_alike(kind: str, set_as: str, typed: str) -> None:
    encoded = make_password(set_as) if kind == "new" else _legacy_hash(set_as)

    assert check_password(typed, encoded)
    assert not check_password("Cafe con leche en la manana", encoded)


@pytest.mark.usefixtures("production_hashers")
def test_legacy_argon2_hashes_are_verified_by_the_normalizing_legacy_hasher() -> None:
    assert isinstance(identify_hasher(_legacy_hash(COMPOSED)), LegacyPortalArgon2PasswordHasher)


@pytest.mark.django_db
@pytest.mark.usefixtures("production_hashers")
def test_authenticate_with_decomposed_input_upgrades_a_legacy_hash() -> None:
    user = make_user(username="dana-legacy", sitekey=False, answers=False)
    user.password = _legacy_hash(COMPOSED)
    user.save(update_fields=["password"])

    signed_in = authenticate(
        RequestFactory().post("/"), username="dana-legacy", password=DECOMPOSED
    )

    assert signed_in == user
    user.refresh_from_db()
    assert user.password.startswith("argon2_nfkc$argon2id$")
    assert user.check_password(COMPOSED)


@pytest.mark.django_db
@pytest.mark.usefixtures("production_hashers", "fresh_cache")
def test_the_password_step_accepts_decomposed_accents_and_rehashes_a_legacy_hash(
    client: Client,
) -> None:
    user = make_user(username="dana-nfd")
    user.password = _legacy_hash(COMPOSED)
    user.save(update_fields=["password"])
    enter_username(client, "dana-nfd")

    response = enter_password(client, DECOMPOSED)

    assert response.status_code == 302, html_of(response)[:2000]
    assert GENERIC_ERROR not in html_of(response)
    user.refresh_from_db()
    assert user.password.startswith("argon2_nfkc$")


@pytest.mark.django_db
@pytest.mark.usefixtures("production_hashers", "fresh_cache")
def test_a_wrong_password_leaves_a_legacy_hash_alone(client: Client) -> None:
    user = make_user(username="dana-wrong")
    legacy = _legacy_hash(COMPOSED)
    user.password = legacy
    user.save(update_fields=["password"])
    enter_username(client, "dana-wrong")

    response = enter_password(client, "Cafe con leche en la manana")

    assert GENERIC_ERROR in html_of(response)
    user.refresh_from_db()
    assert user.password == legacy
