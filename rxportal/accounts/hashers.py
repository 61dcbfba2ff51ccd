"""Argon2id with parameters chosen on purpose, over NFKC-normalized passwords.

OWASP's minimum is m=19 MiB, t=2, p=1. The hash cost bounds sign-in throughput, so we stay
at that floor (measured in bench/, recorded in docs/benchmarks.md) rather than pay for memory
no attacker model here needs.

NIST SP 800-63B asks verifiers to normalize Unicode before hashing, so the same passphrase
typed on two keyboards (composed vs decomposed accents, full-width digits) verifies.

Algorithm names. Django picks the hasher for a stored hash by the name before the first ``$``,
and when two listed hashers share a name the *last* one wins. Ours used to be called ``argon2``
like Django's stock hasher, which was listed after it: passwords were normalized when set but not
when checked, so one typed with decomposed accents was refused. Now:

- ``PortalArgon2PasswordHasher`` (``argon2_nfkc$...``) is first in PASSWORD_HASHERS and makes
  every new hash;
- ``LegacyPortalArgon2PasswordHasher`` owns the ``argon2`` name, replacing Django's hasher in
  the list: every ``argon2$`` hash the portal stored was made from NFKC input, so it normalizes
  too. A successful check with it makes Django re-hash under ``argon2_nfkc`` (the algorithm
  differs from the preferred hasher's), so these hashes disappear as members sign in.
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth.hashers import Argon2PasswordHasher


def normalize_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


class _NormalizingArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        return super().encode(normalize_password(password), salt)

    def verify(self, password: str, encoded: str) -> bool:
        return super().verify(normalize_password(password), encoded)


class PortalArgon2PasswordHasher(_NormalizingArgon2PasswordHasher):
    """The hasher for new passwords: ``argon2_nfkc$argon2id$v=19$m=19456,t=2,p=1$...``."""

    algorithm = "argon2_nfkc"


class LegacyPortalArgon2PasswordHasher(_NormalizingArgon2PasswordHasher):
    """Verifies the portal's older ``argon2$`` hashes (NFKC input) until they are re-hashed."""

    algorithm = "argon2"
