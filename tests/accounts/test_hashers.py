"""Passwords are hashed with Argon2id at or above the OWASP minimum (m=19 MiB, t=2, p=1)."""

from __future__ import annotations

import argon2

from rxportal.accounts.hashers import PortalArgon2PasswordHasher


def test_parameters_meet_the_owasp_minimum() -> None:
    hasher = PortalArgon2PasswordHasher()
    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2
    assert hasher.parallelism >= 1


def test_hash_is_argon2id_with_the_chosen_parameters() -> None:
    hasher = PortalArgon2PasswordHasher()
    # Test settings use a fast hasher by default; hashing itself is tested with the real one.
    encoded = hasher.encode("correct horse battery staple", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    params = argon2.extract_parameters("$" + encoded.split("$", 1)[1])
    assert params.type is argon2.Type.ID
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
    assert hasher.verify("correct horse battery staple", encoded)
    assert not hasher.verify("correct horse battery stapler", encoded)


def test_production_hasher_list_prefers_argon2() -> None:
    from rxportal.settings import base

    assert base.PASSWORD_HASHERS[0] == "rxportal.accounts.hashers.PortalArgon2PasswordHasher"


def test_composed_and_decomposed_accents_verify_alike() -> None:
    hasher = PortalArgon2PasswordHasher()
    composed = "Café con leche en la mañana"  # é and ñ as single code points
    decomposed = "Cafe\u0301 con leche en la man\u0303ana"
    assert composed != decomposed
    encoded = hasher.encode(composed, hasher.salt())
    assert hasher.verify(decomposed, encoded)
    assert not hasher.verify("Cafe con leche en la manana", encoded)
