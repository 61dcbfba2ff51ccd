"""Field encryption (Fernet/MultiFernet) and keyed digests."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from rxportal.accounts.crypto import (
    DecryptionError,
    decrypt_text,
    encrypt_text,
    keyed_digest,
    keyed_digest_candidates,
    reencrypt_text,
)


def _key() -> str:
    return Fernet.generate_key().decode("ascii")


def test_encryption_round_trip() -> None:
    token = encrypt_text("+15550100199")
    assert "5550100199" not in token
    assert decrypt_text(token) == "+15550100199"
    assert encrypt_text("+15550100199") != token  # random IV each time


def test_decrypting_with_the_wrong_key_fails(settings: Any) -> None:
    settings.RXPORTAL_FIELD_ENCRYPTION_KEYS = [_key()]
    token = encrypt_text("secret")
    settings.RXPORTAL_FIELD_ENCRYPTION_KEYS = [_key()]
    with pytest.raises(DecryptionError):
        decrypt_text(token)


def test_tampered_ciphertext_fails() -> None:
    token = encrypt_text("secret")
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(DecryptionError):
        decrypt_text(tampered)


def test_old_keys_still_decrypt_and_rotation_moves_to_the_current_key(
    settings: Any,
) -> None:
    old, new = _key(), _key()
    settings.RXPORTAL_FIELD_ENCRYPTION_KEYS = [old]
    token = encrypt_text("value")
    settings.RXPORTAL_FIELD_ENCRYPTION_KEYS = [new, old]
    assert decrypt_text(token) == "value"
    rotated = reencrypt_text(token)
    settings.RXPORTAL_FIELD_ENCRYPTION_KEYS = [new]
    assert decrypt_text(rotated) == "value"


def test_keyed_digest_is_stable_hex_and_separated_by_purpose() -> None:
    digest = keyed_digest("login-username", "alice")
    assert digest == keyed_digest("login-username", "alice")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest != keyed_digest("recovery-code", "alice")
    assert digest != keyed_digest("login-username", "alice2")


def test_keyed_digest_depends_on_the_secret_key(settings: Any) -> None:
    before = keyed_digest("login-username", "alice")
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert keyed_digest("login-username", "alice") != before


def test_digest_candidates_include_fallback_secrets(settings: Any) -> None:
    old_secret = settings.SECRET_KEY
    old_digest = keyed_digest("recovery-code", "abc")
    settings.SECRET_KEY = "rotated-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    candidates = keyed_digest_candidates("recovery-code", "abc")
    assert candidates[0] == keyed_digest("recovery-code", "abc")
    assert old_digest in candidates


def test_empty_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="purpose"):
        keyed_digest("", "x")
