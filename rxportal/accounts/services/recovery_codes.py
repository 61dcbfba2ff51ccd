"""Single-use recovery codes for when the second factor is lost.

Ten codes like ``7KQ4-MX2P-9TRA`` (12 symbols from a 30-letter alphabet without look-alikes,
≈ 58.9 bits each), shown once and stored only as keyed digests bound to the user. Generating a
new set replaces the old one. Digests made under an older ``SECRET_KEY`` still match while it is
listed in ``SECRET_KEY_FALLBACKS``.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction

from rxportal.accounts import domain
from rxportal.accounts.crypto import keyed_digest, keyed_digest_candidates
from rxportal.accounts.models import RecoveryCode, User
from rxportal.accounts.services import security_notices
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event

RECOVERY_DIGEST_PURPOSE = "recovery-code"
ACTION_GENERATED = "account.recovery_codes.generated"
ACTION_USED = "account.recovery_codes.used"


def _message(user: User, normalized: str) -> str:
    return f"{user.pk}:{normalized}"


def generate_recovery_codes(
    *, user: User, now: dt.datetime, actor: User | None = None
) -> list[str]:
    """Replace the user's codes with ten new ones and return them in clear, this once.

    ``now`` is accepted for symmetry with the other services; rows are stamped by the database
    default (``created_at``).
    """
    symbols: set[str] = set()
    while len(symbols) < domain.RECOVERY_CODE_COUNT:
        symbols.add(
            "".join(
                secrets.choice(domain.RECOVERY_CODE_ALPHABET)
                for _ in range(domain.RECOVERY_CODE_LENGTH)
            )
        )
    codes = sorted(symbols)
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(
                user=user,
                code_digest=keyed_digest(RECOVERY_DIGEST_PURPOSE, _message(user, code)),
            )
            for code in codes
        )
        record_event(
            action=ACTION_GENERATED,
            outcome=Outcome.SUCCESS,
            actor=actor or user,
            subject=user,
            details={"count": len(codes)},
        )
        security_notices.notify_second_factor_changed(
            user=user, change=security_notices.FactorChange.RECOVERY_CODES
        )
    return [domain.format_recovery_code(code) for code in codes]


def use_recovery_code(*, user: User, code: str, now: dt.datetime) -> bool:
    """True if ``code`` is one of the user's unused codes; it is then used up."""
    normalized = domain.normalize_recovery_code(code)
    if normalized is None:
        return False
    digests = keyed_digest_candidates(RECOVERY_DIGEST_PURPOSE, _message(user, normalized))
    with transaction.atomic():
        row = (
            RecoveryCode.objects.select_for_update()
            .filter(user=user, code_digest__in=digests, used_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        row.used_at = now
        row.save(update_fields=["used_at"])
        record_event(
            action=ACTION_USED,
            outcome=Outcome.SUCCESS,
            actor=user,
            subject=user,
            details={"remaining": count_unused_recovery_codes(user=user)},
        )
    return True


def count_unused_recovery_codes(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
