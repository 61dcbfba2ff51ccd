"""Password rules of NIST SP 800-63B, on top of Django's validators (``AUTH_PASSWORD_VALIDATORS``).

The whole policy, in the order the settings list it:

* at least 15 characters (Django's ``MinimumLengthValidator``);
* at most 256 (``MaximumLengthValidator`` here): far above NIST's "accept at least 64", and a
  bound on the work one sign-in costs. Any Unicode character and spaces are welcome; the hasher
  normalizes to NFKC (``accounts.hashers``), so lengths are counted after NFKC too;
* not a common or breached password (Django's ``CommonPasswordValidator``). Its list is about
  20,000 passwords taken from breach corpora; it is the offline breached-password check, with no
  outside service seeing any password. Few of its entries are 15+ characters, so
* ``PredictablePasswordValidator`` adds NIST's "repetitive or sequential characters" rule and the
  commonest way people stretch a short password: one common password padded with runs such as
  ``123456789`` or ``!!!!`` (``password123456789``, ``qwertyqwertyqwerty``);
* not containing the username, the local part of the email address, or the first or last name
  (``PersonalInfoPasswordValidator``). It replaces Django's fuzzy
  ``UserAttributeSimilarityValidator``: "contains" is what NIST asks and gives a reason people
  understand.

No composition rules (no "one digit, one symbol") and no expiry. Every message says why.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from django.contrib.auth import password_validation as django_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

PASSWORD_MAX_LENGTH = 256
NAME_MIN_LENGTH = 3
# Runs shorter than this are not "a sequence" (``ab`` or ``11`` happen in any phrase).
RUN_MIN_LENGTH = 3
COMMON_WORD_MIN_LENGTH = 4
_SEQUENCES = (
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
)


def fold(text: str) -> str:
    """NFKC and case-folded, with whitespace and punctuation removed: the form the checks compare
    (``"Dana-Rivera 2026!"`` → ``"danarivera2026"``). Letters, digits, symbols and emoji stay."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if unicodedata.category(char)[0] not in {"P", "Z", "C"})


class MaximumLengthValidator:
    """At most ``max_length`` characters after NFKC normalization."""

    def __init__(self, max_length: int = PASSWORD_MAX_LENGTH) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(unicodedata.normalize("NFKC", password)) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. Use at most %(max_length)d character.",
                    "This password is too long. Use at most %(max_length)d characters.",
                    self.max_length,
                )
                % {"max_length": self.max_length},
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return _("Your password can be up to %(max_length)d characters long.") % {
            "max_length": self.max_length
        }


@functools.lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """Django's breach-derived common-password list, folded like the passwords we check."""
    words = {fold(word) for word in django_validation.CommonPasswordValidator().passwords}
    return frozenset(word for word in words if len(word) >= COMMON_WORD_MIN_LENGTH)


def _is_run(chunk: str) -> bool:
    """One repeated character, a stretch of a sequence (either direction), or a shorter unit
    repeated (``abcabc``, ``passwordpassword``)."""
    if len(chunk) < RUN_MIN_LENGTH:
        return False
    if chunk.count(chunk[0]) == len(chunk):
        return True
    if any(chunk in sequence or chunk[::-1] in sequence for sequence in _SEQUENCES):
        return True
    # Periodic: the text reappears inside itself doubled before its own length.
    return (chunk + chunk).find(chunk, 1) < len(chunk)


def is_predictable(password: str) -> bool:
    """Whether the folded password is only runs and sequences plus at most one common password.

    A dynamic programme over the folded text: ``best[i]`` is the fewest common passwords needed
    to cover its first ``i`` characters with runs and common passwords (None: cannot be covered).
    Passphrases of several ordinary words stay allowed: only *one* common word is tolerated.
    """
    text = fold(password)
    if not text:
        return True  # only spaces and punctuation
    if len(text) > PASSWORD_MAX_LENGTH:
        return False
    common = _common_passwords()
    longest_common = max((len(word) for word in common), default=0)
    best: list[int | None] = [0] + [None] * len(text)
    for end in range(1, len(text) + 1):
        candidates: list[int] = []
        for start in range(end):
            before = best[start]
            if before is None:
                continue
            chunk = text[start:end]
            if _is_run(chunk):
                candidates.append(before)
            elif len(chunk) <= longest_common and chunk in common:
                candidates.append(before + 1)
        best[end] = min(candidates) if candidates else None
    result = best[len(text)]
    return result is not None and result <= 1


class PredictablePasswordValidator:
    """Rejects repeated or sequential characters and a common password padded with them."""

    def validate(self, password: str, user: Any = None) -> None:
        if is_predictable(password):
            raise ValidationError(
                _(
                    "This password is too easy to guess: it is a common password, repeated "
                    "characters or a simple sequence (such as 12345 or qwerty). A few unrelated "
                    "words make a strong password."
                ),
                code="password_predictable",
            )

    def get_help_text(self) -> str:
        return _("Your password can't be a common password or a simple sequence.")


_LOCAL_PART_RE = re.compile(r"^([^@]+)@")


class PersonalInfoPasswordValidator:
    """Rejects a password that contains the username, the email's local part, or a name.

    Compared folded (case, spacing and punctuation ignored), so ``Dana-Rivera-likes-tea`` contains
    ``rivera``. Names and name parts shorter than three characters are not checked (``Li``,
    ``Al`` appear inside too many words).
    """

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        text = fold(password)
        username = fold(str(getattr(user, "username", "") or ""))
        email = str(getattr(user, "email", "") or "")
        local_part = _LOCAL_PART_RE.match(email)
        account_words = {username, fold(email), fold(local_part.group(1)) if local_part else ""}
        if any(len(word) >= NAME_MIN_LENGTH and word in text for word in account_words):
            raise ValidationError(
                _("Your password can't contain your username or email address."),
                code="password_contains_username",
            )
        names: set[str] = set()
        for attribute in ("first_name", "last_name"):
            value = str(getattr(user, attribute, "") or "")
            names.add(fold(value))
            names.update(fold(part) for part in re.split(r"[\s\-']+", value))
        if any(len(name) >= NAME_MIN_LENGTH and name in text for name in names):
            raise ValidationError(
                _("Your password can't contain your first or last name."),
                code="password_contains_name",
            )

    def get_help_text(self) -> str:
        return _("Your password can't contain your username, email address or name.")
