"""The audit trail's pure rules: no database here."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from rxportal.audit import domain

KEY = domain.derive_chain_key("test-secret")


def _fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "public_id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "sequence": 1,
        "occurred_at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "actor_id": 7,
        "actor_username": "avery.staff",
        "actor_role": "account_team",
        "action": "staff.username.changed",
        "outcome": "success",
        "subject_type": "accounts.user",
        "subject_id": "0b0b0b0b-0000-0000-0000-000000000000",
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "reason": "ticket 42",
        "details": {"b": 1, "a": [True, None, "x"]},
    }
    fields.update(overrides)
    return fields


def test_canonical_payload_is_sorted_compact_json_with_utc_microseconds() -> None:
    payload = domain.canonical_event_payload(_fields(), domain.GENESIS_HASH).decode()

    assert payload.startswith('{"action":"staff.username.changed","actor_id":7,')
    assert '"occurred_at":"2026-01-02T03:04:05.000000+00:00"' in payload
    assert '"details":{"a":[true,null,"x"],"b":1}' in payload
    assert f'"prev_hash":"{domain.GENESIS_HASH}"' in payload
    assert '"v":1' in payload
    assert " " not in payload.replace("Mozilla/5.0", "").replace("ticket 42", "")


def test_canonical_payload_does_not_depend_on_time_zone_or_key_order() -> None:
    eastern = dt.timezone(dt.timedelta(hours=-5))
    same_instant = _fields(
        occurred_at=dt.datetime(2026, 1, 1, 22, 4, 5, tzinfo=eastern),
        details={"a": [True, None, "x"], "b": 1},
    )

    assert domain.canonical_event_payload(same_instant, "x") == domain.canonical_event_payload(
        _fields(), "x"
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        domain.canonical_event_payload(_fields(occurred_at=dt.datetime(2026, 1, 1)), "x")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "ticket 43"),
        ("actor_username", "someone.else"),
        ("outcome", "failure"),
        ("sequence", 2),
        ("ip_address", None),
        ("details", {"b": 2, "a": [True, None, "x"]}),
    ],
)
def test_any_field_change_changes_the_hash(field: str, value: Any) -> None:
    original = domain.compute_event_hash(_fields(), domain.GENESIS_HASH, KEY)

    assert (
        domain.compute_event_hash(_fields(**{field: value}), domain.GENESIS_HASH, KEY) != original
    )


def test_hash_depends_on_previous_hash_and_key() -> None:
    original = domain.compute_event_hash(_fields(), domain.GENESIS_HASH, KEY)

    assert domain.compute_event_hash(_fields(), "f" * 64, KEY) != original
    assert (
        domain.compute_event_hash(_fields(), domain.GENESIS_HASH, domain.derive_chain_key("other"))
        != original
    )
    assert len(original) == 64
    int(original, 16)


def test_hash_validates_with_a_fallback_key() -> None:
    old_key = domain.derive_chain_key("old-secret")
    stored = domain.compute_event_hash(_fields(), domain.GENESIS_HASH, old_key)

    assert domain.is_event_hash_valid(_fields(), domain.GENESIS_HASH, stored, [KEY, old_key])
    assert not domain.is_event_hash_valid(_fields(), domain.GENESIS_HASH, stored, [KEY])


def test_chain_key_is_domain_separated_from_the_secret() -> None:
    assert domain.derive_chain_key("s") != domain.derive_key("s", domain.USERNAME_DIGEST_LABEL)
    assert domain.derive_chain_key("s") != b"s"


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "mfa_code",
        "otp",
        "totpSecret",
        "token",
        "reset-token",
        "secret",
        "security_answer",
        "ssn",
        "dob",
        "date_of_birth",
        "dateOfBirth",
        "first_name",
        "lastname",
        "email",
        "phone",
        "api_key",
    ],
)
def test_details_guard_refuses_secret_or_phi_looking_keys(key: str) -> None:
    with pytest.raises(ValueError, match="looks like a secret or PHI") as excinfo:
        domain.check_details({key: "value-that-must-not-leak"})

    assert "value-that-must-not-leak" not in str(excinfo.value)


def test_details_guard_looks_inside_nested_values() -> None:
    with pytest.raises(ValueError, match=r"details\.changes\.password"):
        domain.check_details({"changes": {"password": "x"}})


@pytest.mark.parametrize(
    "details",
    [
        {"error_code": "refill.too_soon"},
        {"status_code": 403},
        {"username_digest": "ab" * 32},
        {"fields_changed": ["role", "is_active"], "count": 3, "bulk": False, "note": None},
        {},
    ],
)
def test_details_guard_allows_plain_metadata(details: dict[str, Any]) -> None:
    assert domain.check_details(details) == details


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"ratio": 0.5}, "float"),
        ({"note": "x" * 201}, "longer than"),
        ({"blob": b"bytes"}, "unsupported type"),
        ({"items": [str(n).zfill(150) for n in range(20)]}, "bytes; the limit"),
        ({1: "x"}, "keys must be strings"),
    ],
)
def test_details_guard_refuses_unsafe_values(details: dict[Any, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        domain.check_details(details)


def test_tuples_become_lists_so_what_is_hashed_is_what_is_stored() -> None:
    assert domain.check_details({"ids": (1, 2)}) == {"ids": [1, 2]}


@pytest.mark.parametrize(
    "action", ["auth.login.succeeded", "phi.claims.viewed", "staff.username.changed", "a.b"]
)
def test_dotted_actions_are_valid(action: str) -> None:
    assert domain.is_valid_action(action)


@pytest.mark.parametrize(
    "action", ["login", "Auth.Login", "auth..login", "auth.login.", "", "a." * 60]
)
def test_malformed_actions_are_invalid(action: str) -> None:
    assert not domain.is_valid_action(action)


def test_username_digest_is_keyed_and_ignores_case_and_spaces() -> None:
    key = domain.derive_key("s", domain.USERNAME_DIGEST_LABEL)

    digest = domain.compute_username_digest("Dana.Member", key)

    assert digest == domain.compute_username_digest("  dana.member ", key)
    assert digest != domain.compute_username_digest("dana.member", b"another key")
    assert "dana" not in digest


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("0:0:0:0:0:ffff:a00:1", "::ffff:10.0.0.1"),
        ("fe80::1%eth0", "fe80::1"),
        ("testserver", None),
        ("", None),
        (None, None),
    ],
)
def test_ip_addresses_are_normalized_like_the_database_stores_them(
    raw: str | None, expected: str | None
) -> None:
    assert domain.normalize_ip(raw) == expected


def test_user_agent_is_cut_to_300_characters_without_control_characters() -> None:
    assert domain.clean_user_agent("Mozilla\x00/5.0\n" + "x" * 400) == ("Mozilla/5.0" + "x" * 289)
