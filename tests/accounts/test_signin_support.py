"""Helpers for the sign-in tests (test_signin*.py): users with security set up, the steps, TOTP.

No tests here. Import the ``fresh_cache`` fixture into a test module to use it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html as html_lib
import re
import struct
import time
import uuid

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import Role, User
from rxportal.accounts.services.challenges import set_challenge_answers
from rxportal.accounts.services.roles import ensure_role_group
from rxportal.accounts.services.sitekey import set_sitekey
from tests.factories import DEFAULT_PASSWORD, UserFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits, base32
SITEKEY_PHRASE = "Morning tea by the lake"
ANSWER = "blue heron"
QUESTIONS = ("first-pet", "first-concert", "childhood-nickname")
GENERIC_ERROR = "We could not sign you in with that username and password."


@pytest.fixture
def fresh_cache(settings) -> None:
    """Throttles, rate limits, CAPTCHA nonces and used TOTP codes live in the cache: each test
    gets an empty namespace of its own (never ``cache.clear()``, which empties a shared Redis)."""
    default = dict(settings.CACHES["default"])
    default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', '')}-signin-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {**settings.CACHES, "default": default}


def make_user(
    *,
    username: str = "dana",
    role: str = Role.MEMBER,
    sitekey: bool = True,
    answers: bool = True,
    totp: bool = False,
    is_staff: bool = False,
) -> User:
    # Fixed names: the password validators refuse a password containing the user's name, and a
    # random Faker name ("Orr" in "...for rxportal") once refused a test's new password.
    user = UserFactory(
        username=username, role=role, is_staff=is_staff, first_name="Dana", last_name="Rivera"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    ensure_role_group(user=user)  # as signing up or in leaves them (the second-factor rule)
    if sitekey:
        set_sitekey(user=user, image_slug="teapot", phrase=SITEKEY_PHRASE, actor=user)
    if answers:
        set_challenge_answers(user=user, answers=dict.fromkeys(QUESTIONS, ANSWER), actor=user)
    if totp:
        Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(TOTP_SECRET)}
        )
    return user


def totp_code(secret: str = TOTP_SECRET, *, step_offset: int = 0, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), written out here rather than borrowed from allauth."""
    step = int((time.time() if at is None else at) // 30) + step_offset
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def html_of(response) -> str:
    return response.content.decode()


def enter_username(
    client: Client, username: str, *, question: str = "answer", answer: str = ANSWER, **data: str
):
    """Step 1, then the challenge question when this browser is not recognized.

    ``question``: "answer" (with ``answer``; the SiteKey and password come next), "skip" ("Can't
    answer?": the password without the SiteKey, then a code after it), or "stop" (left open).
    Returns the last response.
    """
    response = client.post(reverse("account_login"), {"username": username, **data})
    # The answer is the next step's page itself (issue 16), the question or the password.
    assert response.status_code == 200, html_of(response)[:2000]
    if question == "stop" or not is_question_page(response):
        return response
    if question == "skip":
        return client.post(reverse("rx_login_question"), {"action": "skip"})
    return answer_question(client, answer)


def is_question_page(response) -> bool:
    """The username POST answered with the question (the page itself, no redirect)."""
    return response.status_code == 200 and (
        f'action="{reverse("rx_login_question")}"' in html_of(response)
    )


def is_password_page(response) -> bool:
    """The username POST answered with the SiteKey + password page itself."""
    return response.status_code == 200 and (
        f'action="{reverse("rx_login_password")}"' in html_of(response)
    )


def answer_question(client: Client, answer: str = ANSWER):
    """The challenge question before the password (step 2 on an unrecognized browser)."""
    return client.post(reverse("rx_login_question"), {"action": "answer", "answer": answer})


def enter_password(client: Client, password: str = DEFAULT_PASSWORD, **data: str):
    """Posts the password step, solving the CAPTCHA when the page shows one."""
    page = client.get(reverse("rx_login_password"))
    token_answer = solve_captcha(html_of(page))
    if token_answer is not None and "captcha_answer" not in data:
        data = {"captcha_token": token_answer[0], "captcha_answer": token_answer[1], **data}
    return client.post(reverse("rx_login_password"), {"password": password, **data})


_CAPTCHA_TOKEN_RE = re.compile(r'name="captcha_token" value="([^"]+)"')
_CAPTCHA_LABEL_RE = re.compile(r'<label for="id_captcha_answer">([^<]+)</label>')


def solve_captcha(page_html: str) -> tuple[str, str] | None:
    token = _CAPTCHA_TOKEN_RE.search(page_html)
    label = _CAPTCHA_LABEL_RE.search(page_html)
    if token is None or label is None:
        return None
    numbers = [int(n) for n in re.findall(r"\d+", html_lib.unescape(label.group(1)))]
    prompt = label.group(1)
    if "plus" in prompt or "más" in prompt:
        answer = numbers[0] + numbers[1]
    elif "minus" in prompt or "menos" in prompt:
        answer = numbers[0] - numbers[1]
    else:
        answer = max(numbers)
    return html_lib.unescape(token.group(1)), str(answer)


def enter_totp(client: Client, code: str):
    return client.post(reverse("mfa_authenticate"), {"code": code})


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value
