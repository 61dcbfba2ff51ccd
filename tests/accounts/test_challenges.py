"""Challenge questions: the list, answer normalization, hashed storage and checking."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth.hashers import get_hasher, identify_hasher

from rxportal.accounts.challenge_questions import CHALLENGE_QUESTIONS, normalize_answer
from rxportal.accounts.errors import (
    ChallengeAnswerTooShort,
    UnknownChallengeQuestion,
    WrongNumberOfChallengeAnswers,
)
from rxportal.accounts.models import ChallengeAnswer
from rxportal.accounts.services.challenges import (
    check_challenge_answer,
    pick_challenge_question,
    set_challenge_answers,
)
from rxportal.audit.models import AuditEvent
from tests.factories import UserFactory

ANSWERS = {
    "first-pet": "Blue  Heron!",
    "parents-met-city": "San José",
    "first-concert": "The Cure, 1989",
}


def test_at_least_twelve_questions_with_unique_slugs() -> None:
    assert len(CHALLENGE_QUESTIONS) >= 12
    assert len({q.slug for q in CHALLENGE_QUESTIONS}) == len(CHALLENGE_QUESTIONS)
    assert len({str(q.text) for q in CHALLENGE_QUESTIONS}) == len(CHALLENGE_QUESTIONS)


@pytest.mark.parametrize("public", ["maiden", "high school", "born", "street", "social security"])
def test_no_question_asks_for_public_record_facts(public: str) -> None:
    assert all(public not in str(q.text).lower() for q in CHALLENGE_QUESTIONS)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Blue  Heron!", "blue heron"),
        ("  blue heron ", "blue heron"),
        ("BLUE-HERON", "blue heron"),
        ("Ｂｌｕｅ　Ｈｅｒｏｎ", "blue heron"),  # full-width letters and space
        ("O'Brien", "o brien"),
        ("San José", "san josé"),
        ("Straße", "strasse"),
    ],
)
def test_normalize_answer(typed: str, expected: str) -> None:
    assert normalize_answer(typed) == expected


@pytest.mark.django_db
def test_answers_are_stored_hashed_with_the_configured_hasher() -> None:
    user = UserFactory()
    set_challenge_answers(user=user, answers=ANSWERS, actor=user)
    rows = list(ChallengeAnswer.objects.filter(user=user))
    assert {row.question for row in rows} == set(ANSWERS)
    for row in rows:
        assert identify_hasher(row.answer_hash).algorithm == get_hasher("default").algorithm
        assert "heron" not in row.answer_hash.lower()
        assert "jos" not in row.answer_hash.lower()


@pytest.mark.django_db
def test_check_accepts_differently_typed_answers_and_refuses_wrong_ones() -> None:
    user = UserFactory()
    set_challenge_answers(user=user, answers=ANSWERS, actor=user)
    assert check_challenge_answer(user=user, question="first-pet", answer="blue heron")
    assert check_challenge_answer(user=user, question="first-pet", answer=" BLUE HERON. ")
    assert check_challenge_answer(user=user, question="first-concert", answer="the cure 1989")
    assert not check_challenge_answer(user=user, question="first-pet", answer="grey heron")
    assert not check_challenge_answer(user=user, question="first-movie", answer="blue heron")


@pytest.mark.django_db
def test_setting_answers_replaces_the_old_ones_and_is_audited() -> None:
    user = UserFactory()
    set_challenge_answers(user=user, answers=ANSWERS, actor=user)
    new = {"first-movie": "Jaws", "dream-job": "astronaut", "childhood-hero": "my aunt"}
    set_challenge_answers(user=user, answers=new, actor=user)
    assert set(ChallengeAnswer.objects.filter(user=user).values_list("question", flat=True)) == set(
        new
    )
    assert not check_challenge_answer(user=user, question="first-pet", answer="blue heron")
    events = AuditEvent.objects.filter(action="account.challenges.changed")
    assert events.count() == 2
    assert events.order_by("sequence").last().details == {"questions": sorted(new)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "error", "code"),
    [
        (
            {"first-pet": "rex", "dream-job": "pilot"},
            WrongNumberOfChallengeAnswers,
            "account.challenge.wrong_count",
        ),
        (
            {
                "first-pet": "rex",
                "dream-job": "pilot",
                "first-movie": "jaws",
                "childhood-hero": "mom",
            },
            WrongNumberOfChallengeAnswers,
            "account.challenge.wrong_count",
        ),
        (
            {"first-pet": "rex", "dream-job": "pilot", "maiden-name": "smith"},
            UnknownChallengeQuestion,
            "account.challenge.unknown_question",
        ),
        (
            {"first-pet": "rex", "dream-job": "pilot", "first-movie": " ?! "},
            ChallengeAnswerTooShort,
            "account.challenge.answer_too_short",
        ),
        (
            {"first-pet": "rex", "dream-job": "pilot", "first-movie": "J.J"},
            ChallengeAnswerTooShort,
            "account.challenge.answer_too_short",
        ),
    ],
)
def test_invalid_answer_sets_are_refused(
    answers: dict[str, str], error: type[Exception], code: str
) -> None:
    user = UserFactory()
    with pytest.raises(error) as excinfo:
        set_challenge_answers(user=user, answers=answers, actor=user)
    assert excinfo.value.code == code  # type: ignore[attr-defined]
    assert not ChallengeAnswer.objects.exists()


@pytest.mark.django_db
def test_pick_question_returns_one_of_the_users_questions() -> None:
    user = UserFactory()
    assert pick_challenge_question(user=user) is None
    set_challenge_answers(user=user, answers=ANSWERS, actor=user)
    picks = {pick_challenge_question(user=user, rng=random.Random(seed)) for seed in range(30)}
    assert picks == set(ANSWERS)
    assert pick_challenge_question(user=user, rng=random.Random(7)) == pick_challenge_question(
        user=user, rng=random.Random(7)
    )
    assert pick_challenge_question(user=user) in ANSWERS
