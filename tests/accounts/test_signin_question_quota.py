"""The question step's quota cannot be spent by someone else (review finding M3).

It is taken only for an answer that is checked (a valid form), and it is kept per name *and*
client address group, so posts from other addresses never use up the owner's.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import LoginThrottle
from tests.accounts.test_signin_support import (
    ANSWER,
    enter_username,
    fresh_cache,  # noqa: F401
    make_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def _answer(client: Client, answer: str):
    return client.post(reverse("rx_login_question"), {"action": "answer", "answer": answer})


def test_empty_answers_from_many_addresses_do_not_block_the_owner() -> None:
    make_user()
    for i in range(12):
        attacker = Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
        enter_username(attacker, "dana", question="stop")
        assert _answer(attacker, "").status_code == 200  # the form refuses it; nothing checked
    assert not LoginThrottle.objects.exists()

    owner = Client(REMOTE_ADDR="203.0.113.9")
    enter_username(owner, "dana", question="stop")
    response = _answer(owner, ANSWER)

    assert response.status_code == 302
    assert response["Location"] == reverse("rx_login_password")


def test_answers_from_other_addresses_do_not_use_up_the_owners_quota(settings) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "rx_new_device": "2/10m/key"}
    make_user()
    for i in range(2):
        attacker = Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
        enter_username(attacker, "dana", question="stop")
        assert _answer(attacker, "a wrong answer").status_code == 302

    owner = Client(REMOTE_ADDR="203.0.113.9")
    enter_username(owner, "dana", question="stop")
    response = _answer(owner, ANSWER)

    assert response["Location"] == reverse("rx_login_password")


def test_one_address_still_runs_out_of_answers_for_a_name(settings) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "rx_new_device": "2/10m/key"}
    make_user()
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(2):
        enter_username(client, "dana", question="stop")
        assert _answer(client, "a wrong answer").status_code == 302

    enter_username(client, "dana", question="stop")

    assert _answer(client, ANSWER).status_code == 429
