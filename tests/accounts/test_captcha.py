"""The text CAPTCHA: correct, wrong, expired, replayed and tampered answers."""

from __future__ import annotations

import copy
import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.core.signing import TimestampSigner
from django.utils import translation

from rxportal.accounts.captcha import issue_captcha, parse_answer, verify_captcha

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def isolated_cache(settings: Any) -> None:
    """A cache of this test's own (unique LocMem store or Redis key prefix); never cleared."""
    caches = copy.deepcopy(settings.CACHES)
    default = caches["default"]
    default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', '')}-{uuid.uuid4().hex[:8]}"
    if default["BACKEND"].endswith("LocMemCache"):
        default["LOCATION"] = uuid.uuid4().hex
    settings.CACHES = caches


def solve(prompt: str) -> int:
    """Answer the English prompt the way a person (or, admittedly, a bot) would."""
    if match := re.fullmatch(r"What is (\d+) plus (\d+)\?", prompt):
        return int(match[1]) + int(match[2])
    if match := re.fullmatch(r"What is (\d+) minus (\d+)\?", prompt):
        return int(match[1]) - int(match[2])
    if match := re.fullmatch(r"Which number is larger, (\d+) or (\d+)\?", prompt):
        return max(int(match[1]), int(match[2]))
    raise AssertionError(f"unexpected prompt {prompt!r}")


def test_prompts_are_plain_text_questions_with_small_answers() -> None:
    for _ in range(100):
        challenge = issue_captcha(now=NOW)
        assert 0 < solve(challenge.prompt) <= 20
        assert challenge.hint


def test_token_does_not_contain_the_answer() -> None:
    challenge = issue_captcha(now=NOW)
    payload = TimestampSigner(salt="rxportal.accounts.captcha").unsign_object(challenge.token)
    assert set(payload) == {"n", "d"}
    answer = str(solve(challenge.prompt))
    assert answer not in payload.values()
    assert re.fullmatch(r"[0-9a-f]{64}", payload["d"])  # a keyed digest, not the number


def test_correct_answer_passes() -> None:
    challenge = issue_captcha(now=NOW)
    assert verify_captcha(token=challenge.token, answer=str(solve(challenge.prompt)), now=NOW)


def test_wrong_answer_fails_and_uses_the_token_up() -> None:
    challenge = issue_captcha(now=NOW)
    right = solve(challenge.prompt)
    assert not verify_captcha(token=challenge.token, answer=str(right + 1), now=NOW)
    assert not verify_captcha(token=challenge.token, answer=str(right), now=NOW)


def test_replayed_token_fails() -> None:
    challenge = issue_captcha(now=NOW)
    answer = str(solve(challenge.prompt))
    assert verify_captcha(token=challenge.token, answer=answer, now=NOW)
    assert not verify_captcha(token=challenge.token, answer=answer, now=NOW)


def test_token_expires_after_ten_minutes() -> None:
    fresh, stale = issue_captcha(now=NOW), issue_captcha(now=NOW)
    assert verify_captcha(
        token=fresh.token,
        answer=str(solve(fresh.prompt)),
        now=NOW + dt.timedelta(minutes=9, seconds=59),
    )
    assert not verify_captcha(
        token=stale.token,
        answer=str(solve(stale.prompt)),
        now=NOW + dt.timedelta(minutes=10, seconds=1),
    )


def test_token_from_the_future_fails() -> None:
    challenge = issue_captcha(now=NOW + dt.timedelta(hours=1))
    assert not verify_captcha(token=challenge.token, answer=str(solve(challenge.prompt)), now=NOW)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "x" + token,
        lambda token: token.split(":")[0],
        lambda token: "",
        lambda token: "not:a:token",
    ],
)
def test_tampered_token_fails(tamper: Any) -> None:
    challenge = issue_captcha(now=NOW)
    token = tamper(challenge.token)
    assert not verify_captcha(token=token, answer=str(solve(challenge.prompt)), now=NOW)


def test_token_signed_for_another_purpose_fails() -> None:
    forged = TimestampSigner(salt="something-else").sign_object({"n": "abc", "d": "0" * 64})
    assert not verify_captcha(token=forged, answer="7", now=NOW)


def test_a_tampered_attempt_does_not_use_the_real_token_up() -> None:
    challenge = issue_captcha(now=NOW)
    answer = str(solve(challenge.prompt))
    assert not verify_captcha(token=challenge.token + "x", answer=answer, now=NOW)
    assert verify_captcha(token=challenge.token, answer=answer, now=NOW)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("11", 11),
        (" 11 ", 11),
        ("１１", 11),  # full-width digits
        ("eleven", 11),
        ("Eleven.", 11),
        ("once", 11),  # Spanish
        ("dieciséis", 16),
        ("dieciseis", 16),
        ("seven", 7),
        ("", None),
        ("lots", None),
        ("1e3", None),
        ("99999", None),
    ],
)
def test_answers_may_be_digits_or_number_words(typed: str, number: int | None) -> None:
    assert parse_answer(typed) == number


def test_prompt_is_issued_in_the_active_language() -> None:
    # Spanish strings come from rxportal/locale once translated; the prompt is always gettext'd.
    with translation.override("es"):
        challenge = issue_captcha(now=NOW)
    assert challenge.prompt
    assert verify_captcha(
        token=challenge.token, answer=str(_solve_any_language(challenge.prompt)), now=NOW
    )


def _solve_any_language(prompt: str) -> int:
    numbers = [int(n) for n in re.findall(r"\d+", prompt)]
    lowered = prompt.lower()
    if "plus" in lowered or "más" in lowered:
        return numbers[0] + numbers[1]
    if "minus" in lowered or "menos" in lowered:
        return numbers[0] - numbers[1]
    return max(numbers)
