"""Challenge questions for account recovery, and how answers are normalized before hashing.

Challenge questions are a weak secret (NIST SP 800-63B no longer counts them as an
authenticator); here they are only one extra check in password reset, after the emailed code.
The list avoids answers found in public records or social media profiles: no mother's maiden
name, birthplace, high school, street grown up on, or first car make.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ANSWER_MIN_LENGTH = 3
ANSWERS_REQUIRED = 3


@dataclass(frozen=True)
class ChallengeQuestion:
    slug: str
    text: Promise  # gettext_lazy


CHALLENGE_QUESTIONS: tuple[ChallengeQuestion, ...] = (
    ChallengeQuestion("first-pet", _("What was the name of your first pet?")),
    ChallengeQuestion("parents-met-city", _("In what city did your parents meet?")),
    ChallengeQuestion(
        "childhood-friend", _("What was the first name of your childhood best friend?")
    ),
    ChallengeQuestion("first-concert", _("What was the first concert you went to?")),
    ChallengeQuestion("favorite-teacher", _("What was the last name of your favorite teacher?")),
    ChallengeQuestion("childhood-nickname", _("What was your childhood nickname?")),
    ChallengeQuestion("first-job-boss", _("What was the first name of your first boss?")),
    ChallengeQuestion("dream-job", _("What did you want to be when you grew up?")),
    ChallengeQuestion("first-stuffed-toy", _("What was the name of your first stuffed toy?")),
    ChallengeQuestion("grandparents-town", _("In what town did your grandparents live?")),
    ChallengeQuestion("first-movie", _("What was the first movie you saw in a theater?")),
    ChallengeQuestion("favorite-childhood-book", _("What was your favorite book as a child?")),
    ChallengeQuestion("first-recipe", _("What was the first dish you learned to cook?")),
    ChallengeQuestion("childhood-hero", _("Who was your childhood hero?")),
)
CHALLENGE_QUESTIONS_BY_SLUG: dict[str, ChallengeQuestion] = {
    question.slug: question for question in CHALLENGE_QUESTIONS
}

_WHITESPACE_RE = re.compile(r"\s+")


def normalize_answer(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols removed, whitespace collapsed.

    ``"Blue  Heron!"`` and ``"blue heron"`` give the same string, so people are not failed for
    capitals, spacing or a trailing full stop. Accents are kept (José and Jose differ).
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(
        " " if unicodedata.category(char)[0] in {"P", "S", "C", "Z"} else char for char in folded
    )
    return _WHITESPACE_RE.sub(" ", kept).strip()
