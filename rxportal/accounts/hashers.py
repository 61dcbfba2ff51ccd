"""Argon2id with parameters chosen on purpose.

OWASP's minimum is m=19 MiB, t=2, p=1. The hash cost bounds sign-in throughput, so we stay
close to that floor (measured in bench/, recorded in docs/benchmarks.md) rather than pay for
memory no attacker model here needs.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
