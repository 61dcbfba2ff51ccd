"""Argon2id with parameters chosen on purpose, over NFKC-normalized passwords.

OWASP's minimum is m=19 MiB, t=2, p=1. The hash cost bounds sign-in throughput, so we stay
at that floor (measured in bench/, recorded in docs/benchmarks.md) rather than pay for memory
no attacker model here needs.

NIST SP 800-63B asks verifiers to normalize Unicode before hashing, so the same passphrase
typed on two keyboards (composed vs decomposed accents, full-width digits) verifies.
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth.hashers import Argon2PasswordHasher


def normalize_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        return super().encode(normalize_password(password), salt)

    def verify(self, password: str, encoded: str) -> bool:
        return super().verify(normalize_password(password), encoded)
