"""The pause's owner notice must not tell a registered name from an unknown one by the work the
request does: the fifth wrong password costs the same statements for a known email address and
an unknown one, and for a known username and an unknown one (tasks run inline here, as in the
embedded default, so whatever the notice does in the request is counted)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rxportal.notifications.models import Notification
from tests.accounts.test_signin_support import (
    enter_password,
    enter_username,
    fresh_cache,  # noqa: F401
    make_user,
)

pytestmark = [pytest.mark.usefixtures("fresh_cache")]

WRONG = "not-the-password"


def _fifth_wrong_password(typed: str) -> list[str]:
    """The statements of the fifth wrong password (the one that starts the pause) for ``typed``."""
    client = Client()
    client.get(reverse("account_login"))
    enter_username(client, typed, question="skip")
    for _ in range(4):
        enter_password(client, WRONG)
    with CaptureQueriesContext(connection) as captured:
        enter_password(client, WRONG)
    return [query["sql"] for query in captured.captured_queries]


def _shape(statements: list[str]) -> list[str]:
    """Each statement's verb and table: what differs when one path does other work."""
    return [" ".join(sql.split()[:4])[:80] for sql in statements]


@pytest.mark.django_db(transaction=True)
def test_the_fifth_wrong_password_costs_the_same_for_a_known_and_an_unknown_email() -> None:
    user = make_user(username="dana")
    known = _fifth_wrong_password(user.email)
    unknown = _fifth_wrong_password("nobody-here@example.org")

    assert len(known) == len(unknown), (_shape(known), _shape(unknown))
    # The owner is still told, by email and in the inbox.
    assert Notification.objects.filter(recipient=user, kind="security.sign_in_paused").count() == 2
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert Notification.objects.count() == 2  # nothing left of the unknown name's stand-in


@pytest.mark.django_db(transaction=True)
def test_the_fifth_wrong_password_costs_the_same_for_a_known_and_an_unknown_username() -> None:
    user = make_user(username="dana")
    known = _fifth_wrong_password("dana")
    unknown = _fifth_wrong_password("nobody")

    assert len(known) == len(unknown), (_shape(known), _shape(unknown))
    assert Notification.objects.filter(recipient=user, kind="security.sign_in_paused").count() == 2
