"""A self-hosted, accessible text CAPTCHA for the sign-in form.

Be honest about what this is: a speed bump against naive scripted guessing, not a wall. A
simple arithmetic question is trivial for a targeted bot to answer. The real defences against
password guessing are the per-username lock-out, the per-IP and global throttles
(``services.lockout``) and second factors. What it offers in exchange is that it works for
everyone: plain text, no JavaScript, no images or audio, no third party (nothing about our
members goes to a CAPTCHA vendor), readable by screen readers and answerable by voice input
(WCAG 2.1 AA). Answers are accepted as digits or as number words in English or Spanish.

Flow: ``issue_captcha(now=)`` gives a prompt and a token for a hidden field. The token is a
``TimestampSigner`` value carrying a random nonce and a keyed digest of the expected answer (never
the answer itself). ``verify_captcha(token=, answer=, now=)`` checks the signature, the age
(``RXPORTAL_CAPTCHA_MAX_AGE_SECONDS``, 10 minutes), then burns the nonce in the cache *before*
comparing, so each token gets exactly one try, right or wrong.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signing import BadSignature, Signer, TimestampSigner, b62_decode, b62_encode
from django.utils.translation import gettext

from rxportal.accounts.crypto import keyed_digest

SIGNER_SALT = "rxportal.accounts.captcha"
ANSWER_DIGEST_PURPOSE = "captcha-answer"
NONCE_CACHE_PREFIX = "rx:captcha:used:"
CLOCK_SKEW_SECONDS = 60

# Number words accepted as answers (0-20): English and Spanish, with and without accents.
_NUMBER_WORDS: dict[str, int] = {}
for _number, _words in enumerate(
    [
        ("zero", "cero"),
        ("one", "uno", "una"),
        ("two", "dos"),
        ("three", "tres"),
        ("four", "cuatro"),
        ("five", "cinco"),
        ("six", "seis"),
        ("seven", "siete"),
        ("eight", "ocho"),
        ("nine", "nueve"),
        ("ten", "diez"),
        ("eleven", "once"),
        ("twelve", "doce"),
        ("thirteen", "trece"),
        ("fourteen", "catorce"),
        ("fifteen", "quince"),
        ("sixteen", "dieciséis", "dieciseis"),
        ("seventeen", "diecisiete"),
        ("eighteen", "dieciocho"),
        ("nineteen", "diecinueve"),
        ("twenty", "veinte"),
    ]
):
    for _word in _words:
        _NUMBER_WORDS[_word] = _number


@dataclass(frozen=True)
class CaptchaChallenge:
    prompt: str  # the question, in the active language
    token: str  # for a hidden form field
    hint: str  # help text for aria-describedby


class _ClockSigner(TimestampSigner):
    """A TimestampSigner that stamps and ages tokens with the ``now`` it is given."""

    def __init__(self, *, now: dt.datetime) -> None:
        super().__init__(salt=SIGNER_SALT)
        self._now = now

    def timestamp(self) -> str:
        return b62_encode(int(self._now.timestamp()))

    def unsign(self, value: str, max_age: Any = None) -> str:
        result = Signer.unsign(self, value)
        payload, stamp = result.rsplit(self.sep, 1)
        age = self._now.timestamp() - b62_decode(stamp)
        if max_age is not None and not -CLOCK_SKEW_SECONDS <= age <= max_age:
            raise BadSignature("captcha token expired")
        return payload


def _answer_digest(nonce: str, answer: int) -> str:
    return keyed_digest(ANSWER_DIGEST_PURPOSE, f"{nonce}:{answer}")


def _new_question() -> tuple[str, int]:
    kind = secrets.randbelow(3)
    if kind == 0:
        a, b = 2 + secrets.randbelow(8), 1 + secrets.randbelow(9)
        return gettext("What is %(a)d plus %(b)d?") % {"a": a, "b": b}, a + b
    if kind == 1:
        a, b = 10 + secrets.randbelow(10), 1 + secrets.randbelow(9)
        return gettext("What is %(a)d minus %(b)d?") % {"a": a, "b": b}, a - b
    a = 1 + secrets.randbelow(19)
    b = 1 + secrets.randbelow(19)
    while b == a:
        b = 1 + secrets.randbelow(19)
    return gettext("Which number is larger, %(a)d or %(b)d?") % {"a": a, "b": b}, max(a, b)


def parse_answer(text: str) -> int | None:
    """Digits (any script NFKC maps to ASCII) or an English/Spanish number word, else None."""
    cleaned = unicodedata.normalize("NFKC", text).strip().casefold().rstrip(".!")
    cleaned = re.sub(r"\s+", " ", cleaned)
    if cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 3:
        return int(cleaned)
    return _NUMBER_WORDS.get(cleaned)


def issue_captcha(*, now: dt.datetime) -> CaptchaChallenge:
    prompt, answer = _new_question()
    nonce = secrets.token_urlsafe(16)
    token = _ClockSigner(now=now).sign_object({"n": nonce, "d": _answer_digest(nonce, answer)})
    return CaptchaChallenge(
        prompt=prompt,
        token=token,
        hint=gettext("Type the answer as a number, for example 7."),
    )


def verify_captcha(*, token: str, answer: str, now: dt.datetime) -> bool:
    """True once for a correct answer to a fresh, untampered token; False otherwise."""
    max_age = settings.RXPORTAL_CAPTCHA_MAX_AGE_SECONDS
    try:
        payload = _ClockSigner(now=now).unsign_object(token, max_age=max_age)
    except (BadSignature, ValueError, UnicodeError):
        return False
    if not isinstance(payload, dict):
        return False
    nonce, expected = payload.get("n"), payload.get("d")
    if not isinstance(nonce, str) or not isinstance(expected, str):
        return False
    # Burn the nonce first: a wrong answer uses the token up too, so it cannot be brute-forced.
    if not cache.add(NONCE_CACHE_PREFIX + nonce, 1, timeout=max_age + CLOCK_SKEW_SECONDS):
        return False
    parsed = parse_answer(answer)
    if parsed is None:
        return False
    return hmac.compare_digest(_answer_digest(nonce, parsed), expected)
