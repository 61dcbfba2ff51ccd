"""Recovery codes: shown once, stored as digests, single use."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from rxportal.accounts import domain
from rxportal.accounts.models import RecoveryCode
from rxportal.accounts.services.recovery_codes import (
    count_unused_recovery_codes,
    generate_recovery_codes,
    use_recovery_code,
)
from rxportal.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
ALPHABET = re.escape(domain.RECOVERY_CODE_ALPHABET)
CODE_RE = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")


def test_ten_distinct_codes_in_the_readable_format() -> None:
    codes = generate_recovery_codes(user=UserFactory(), now=NOW)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(CODE_RE.fullmatch(code) for code in codes)


def test_database_holds_no_clear_code() -> None:
    user = UserFactory()
    codes = generate_recovery_codes(user=user, now=NOW)
    stored = " ".join(
        str(value) for row in RecoveryCode.objects.values_list() for value in row
    ).upper()
    for code in codes:
        assert code not in stored
        assert code.replace("-", "") not in stored
    assert RecoveryCode.objects.filter(user=user).count() == 10
    assert all(len(d) == 64 for d in RecoveryCode.objects.values_list("code_digest", flat=True))


def test_each_code_works_once() -> None:
    user = UserFactory()
    codes = generate_recovery_codes(user=user, now=NOW)
    assert use_recovery_code(user=user, code=codes[0], now=NOW)
    assert not use_recovery_code(user=user, code=codes[0], now=NOW)
    assert count_unused_recovery_codes(user=user) == 9
    assert RecoveryCode.objects.filter(user=user, used_at=NOW).count() == 1
    event = AuditEvent.objects.get(action="account.recovery_codes.used")
    assert event.details == {"remaining": 9}


@pytest.mark.parametrize(
    "mangle", [str.lower, lambda c: c.replace("-", " "), lambda c: c.replace("-", "")]
)
def test_codes_are_accepted_without_caring_about_case_spaces_or_dashes(mangle: Any) -> None:
    user = UserFactory()
    codes = generate_recovery_codes(user=user, now=NOW)
    assert use_recovery_code(user=user, code=f"  {mangle(codes[3])} ", now=NOW)


def test_codes_belong_to_their_user() -> None:
    owner, other = UserFactory(), UserFactory()
    codes = generate_recovery_codes(user=owner, now=NOW)
    generate_recovery_codes(user=other, now=NOW)
    assert not use_recovery_code(user=other, code=codes[0], now=NOW)
    assert use_recovery_code(user=owner, code=codes[0], now=NOW)


def test_regenerating_replaces_every_old_code() -> None:
    user = UserFactory()
    old = generate_recovery_codes(user=user, now=NOW)
    new = generate_recovery_codes(user=user, now=NOW)
    assert not set(old) & set(new)
    assert not any(use_recovery_code(user=user, code=code, now=NOW) for code in old)
    assert count_unused_recovery_codes(user=user) == 10
    assert AuditEvent.objects.filter(action="account.recovery_codes.generated").count() == 2


@pytest.mark.parametrize("typed", ["", "hello", "AAAA-AAAA-AAA", "0000-0000-0000"])
def test_malformed_codes_fail(typed: str) -> None:
    user = UserFactory()
    generate_recovery_codes(user=user, now=NOW)
    assert not use_recovery_code(user=user, code=typed, now=NOW)
    assert count_unused_recovery_codes(user=user) == 10


def test_codes_survive_a_secret_key_rotation(settings: Any) -> None:
    user = UserFactory()
    codes = generate_recovery_codes(user=user, now=NOW)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated-secret-key-" + "z" * 40
    assert use_recovery_code(user=user, code=codes[0], now=NOW)
    settings.SECRET_KEY_FALLBACKS = []
    assert not use_recovery_code(user=user, code=codes[1], now=NOW)
