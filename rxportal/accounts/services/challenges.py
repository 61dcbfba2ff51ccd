"""Challenge-question answers: set three, check one (used in password reset, after the code).

Answers are normalized (``challenge_questions.normalize_answer``) and hashed with Django's
``make_password``, i.e. the configured Argon2id hasher, exactly like passwords. Attempt counting
belongs to the caller (session + lock-out), as with any other guessable secret.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils.translation import gettext

from rxportal.accounts.challenge_questions import (
    ANSWER_MIN_LENGTH,
    ANSWERS_REQUIRED,
    CHALLENGE_QUESTIONS_BY_SLUG,
    normalize_answer,
)
from rxportal.accounts.errors import (
    ChallengeAnswerTooShort,
    UnknownChallengeQuestion,
    WrongNumberOfChallengeAnswers,
)
from rxportal.accounts.models import ChallengeAnswer, User
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event

ACTION_CHANGED = "account.challenges.changed"


@dataclass(frozen=True)
class HashedChallengeAnswers:
    """Three checked answers, hashed: question slug -> Argon2id hash of the normalized answer."""

    by_question: Mapping[str, str]


def hash_challenge_answers(answers: Mapping[str, str]) -> HashedChallengeAnswers:
    """Check exactly three answers, for three different questions, and hash them.

    Argon2 is deliberately slow: call this before taking locks. Registration calls it on every
    path, also when no account is created (``registration.hash_account_secrets``).
    """
    if len(answers) != ANSWERS_REQUIRED:
        raise WrongNumberOfChallengeAnswers(
            gettext("Answer exactly %(count)d different questions.") % {"count": ANSWERS_REQUIRED},
            count=len(answers),
        )
    normalized: dict[str, str] = {}
    for slug, answer in answers.items():
        if slug not in CHALLENGE_QUESTIONS_BY_SLUG:
            raise UnknownChallengeQuestion(
                gettext("Choose your questions from the list."), question=slug[:40]
            )
        clean = normalize_answer(answer)
        if len(clean.replace(" ", "")) < ANSWER_MIN_LENGTH:  # letters and digits only
            raise ChallengeAnswerTooShort(
                gettext("Each answer needs at least %(min)d letters or digits.")
                % {"min": ANSWER_MIN_LENGTH},
                question=slug,
            )
        normalized[slug] = clean
    return HashedChallengeAnswers(
        by_question={slug: make_password(clean) for slug, clean in normalized.items()}
    )


def set_challenge_answers(*, user: User, answers: Mapping[str, str], actor: User) -> None:
    """Replace the user's answers with exactly three, for three different questions."""
    save_challenge_answers(user=user, hashed=hash_challenge_answers(answers), actor=actor)


def save_challenge_answers(*, user: User, hashed: HashedChallengeAnswers, actor: User) -> None:
    """Replace the user's answers with ones already checked and hashed."""
    hashes = hashed.by_question
    with transaction.atomic():
        ChallengeAnswer.objects.filter(user=user).delete()
        ChallengeAnswer.objects.bulk_create(
            ChallengeAnswer(user=user, question=slug, answer_hash=answer_hash)
            for slug, answer_hash in sorted(hashes.items())
        )
        record_event(
            action=ACTION_CHANGED,
            outcome=Outcome.SUCCESS,
            actor=actor,
            subject=user,
            details={"questions": sorted(hashes)},
        )


def check_challenge_answer(*, user: User, question: str, answer: str) -> bool:
    """Whether ``answer`` matches; a question the user never answered costs the same hash."""
    clean = normalize_answer(answer)
    row = ChallengeAnswer.objects.filter(user=user, question=question).first()
    if row is None:
        make_password(clean)  # same work as a real check, so timing says nothing
        return False

    def upgrade(raw: str) -> None:  # re-hash when the hasher's parameters change
        ChallengeAnswer.objects.filter(pk=row.pk).update(answer_hash=make_password(raw))

    return check_password(clean, row.answer_hash, setter=upgrade)


def pick_challenge_question(*, user: User, rng: random.Random | None = None) -> str | None:
    """One of the user's answered question slugs at random (None if they answered none)."""
    slugs = sorted(ChallengeAnswer.objects.filter(user=user).values_list("question", flat=True))
    if not slugs:
        return None
    return (rng or secrets.SystemRandom()).choice(slugs)
