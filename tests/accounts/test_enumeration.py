"""Sign-in never tells an existing account from a missing one, nor a locked one from a wrong
password: not by status, headers, cookies, template, form fields, page shape or length, and not
by how long the question or password step takes. On a browser the portal does not recognize,
everyone gets the challenge question first (its text, from the one shared list, is the only part
allowed to differ); the SiteKey appears only after a right answer, which an unknown name never
gives. "Can't answer?" leads everyone to the same password page, without a SiteKey.

Registration, forgot-password and forgot-username have their own enumeration tests.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.urls import reverse

from rxportal.accounts.challenge_questions import CHALLENGE_QUESTIONS
from rxportal.accounts.models import LoginThrottle, Role, User
from rxportal.accounts.services import lockout
from rxportal.core import clock
from rxportal.web import frame
from tests.accounts.test_signin_support import (
    GENERIC_ERROR,
    SITEKEY_PHRASE,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    is_question_page,
    make_user,
    solve_captcha,
)
from tests.factories import DEFAULT_PASSWORD

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fresh_cache", "frame_drawn_each_time"),
]


@pytest.fixture
def frame_drawn_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page draws its header and footer (``web.frame`` keeps none): which templates a
    page renders is compared below, and the frame's per-process cache would otherwise make the
    first of two answers render them and the second not, whatever the account."""
    monkeypatch.setattr(frame, "MAX_ENTRIES", 0)
    frame.clear()


PORTAL_HASHER = "rxportal.accounts.hashers.PortalArgon2PasswordHasher"
WRONG_PASSWORD = "Not-The-Right-Passphrase-2026"
# Headers whose value must match exactly. All header names are compared too; Content-Length is
# compared with a margin, Expires and cookie expiry dates carry the clock.
SAME_VALUE_HEADERS = (
    "Content-Type",
    "Cache-Control",
    "Location",
    "Vary",
    "X-Frame-Options",
    "Content-Security-Policy",
    "Referrer-Policy",
    "X-Content-Type-Options",
    "Cross-Origin-Opener-Policy",
    "Content-Language",
)
# The question text differs in length between questions of the shared list.
LENGTH_MARGIN = 80
QUESTION_TEXTS = {str(question.text) for question in CHALLENGE_QUESTIONS}
_QUESTION_LABEL_RE = re.compile(r'<label for="id_answer">([^<]*)</label>')


def _existing(kind: str, username: str) -> User:
    """An account of the given kind; every kind must look like an unknown name."""
    if kind == "member_with_authenticator_app":
        return make_user(username=username, totp=True)
    if kind == "client_without_second_factor":
        return make_user(username=username, role=Role.CLIENT)
    if kind == "staff":
        return make_user(username=username, role=Role.SERVICE_CENTER, totp=True, is_staff=True)
    if kind == "without_sitekey":
        return make_user(username=username, sitekey=False, answers=False)
    if kind == "inactive":
        user = make_user(username=username)
        user.is_active = False
        user.save(update_fields=["is_active"])
        return user
    raise AssertionError(kind)


ACCOUNT_KINDS = [
    "member_with_authenticator_app",
    "client_without_second_factor",
    "staff",
    "without_sitekey",
    "inactive",
]


def _shape(html: str, username: str) -> str:
    """The page with what may differ masked: per-request tokens, the question, the username."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = _QUESTION_LABEL_RE.sub("QUESTION", html)
    html = re.sub(r'name="captcha_token" value="[^"]+"', "CAPTCHA-TOKEN", html)
    html = re.sub(r'<label for="id_captcha_answer">[^<]*</label>', "CAPTCHA-PROMPT", html)
    return html.replace(username, "USERNAME")


def _answer(response: Any, username: str) -> dict[str, Any]:
    """Everything an observer of the response can see, minus the allowed differences."""
    context = response.context
    form = context.get("form") if context is not None else None
    return {
        "status": response.status_code,
        "headers": sorted(name.lower() for name in response.headers),
        "header_values": {name: response.get(name) for name in SAME_VALUE_HEADERS},
        "cookies": {
            name: {
                attribute: morsel[attribute]
                for attribute in ("max-age", "path", "secure", "httponly", "samesite")
            }
            for name, morsel in sorted(response.cookies.items())
        },
        "templates": [template.name for template in response.templates],
        "form_fields": list(form.fields) if form is not None and hasattr(form, "fields") else None,
        "form_errors": (
            {field: list(errors) for field, errors in form.errors.items()}
            if form is not None and hasattr(form, "errors")
            else None
        ),
        "shape": _shape(html_of(response), username),
    }


def _assert_same_answer(
    responses: dict[str, Any], usernames: dict[str, str], *, margin: int = LENGTH_MARGIN
) -> None:
    answers = {label: _answer(response, usernames[label]) for label, response in responses.items()}
    first_label, first = next(iter(answers.items()))
    for label, answer in answers.items():
        for key in first:
            assert answer[key] == first[key], f"{key}: {label} differs from {first_label}"
    lengths = [len(response.content) for response in responses.values()]
    assert max(lengths) - min(lengths) < margin, lengths


def _fresh_client_at_question(username: str) -> Client:
    client = Client()
    client.get(reverse("account_login"))  # CSRF cookie, as a browser would have
    enter_username(client, username, question="stop")
    return client


def _fresh_client_at_password_step(username: str) -> Client:
    """Through "Can't answer?": the password page every name can reach without the answer."""
    client = _fresh_client_at_question(username)
    client.post(reverse("rx_login_question"), {"action": "skip"})
    return client


def _post_password(client: Client, password: str) -> Any:
    """The password step as a browser does it: the page (solving a CAPTCHA if shown), then POST."""
    page = client.get(reverse("rx_login_password"))
    data = {"password": password}
    captcha = solve_captcha(html_of(page))
    if captcha is not None:
        data.update(captcha_token=captcha[0], captcha_answer=captcha[1])
    return client.post(reverse("rx_login_password"), data)


def _lock(username: str) -> None:
    for _ in range(5):
        lockout.record_sign_in_failure(username=username, now=clock.now())


# --- Same answer -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_the_username_step_answers_the_same_for_existing_and_unknown_accounts(kind: str) -> None:
    _existing(kind, "dana-existing")
    usernames = {"existing": "dana-existing", "unknown": "dana-notfound"}
    responses = {}
    for label, username in usernames.items():
        client = Client()
        page = client.get(reverse("account_login"))
        assert page.status_code == 200
        responses[label] = client.post(
            reverse("account_login"), {"username": username, "remember": "on"}
        )

    _assert_same_answer(responses, usernames)
    # The answer is the question page itself for both (issue 16: no redirect, same page).
    assert all(is_question_page(response) for response in responses.values())


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_the_question_page_is_the_same_but_for_the_question_from_the_shared_list(
    kind: str,
) -> None:
    _existing(kind, "dana-existing")
    usernames = {"existing": "dana-existing", "unknown": "dana-notfound"}

    responses = {
        label: _fresh_client_at_question(username).get(reverse("rx_login_question"))
        for label, username in usernames.items()
    }

    _assert_same_answer(responses, usernames)
    for response in responses.values():
        html = html_of(response)
        match = _QUESTION_LABEL_RE.search(html)
        assert match is not None and match.group(1) in QUESTION_TEXTS
        assert SITEKEY_PHRASE not in html
        assert "sitekey__" not in html and "/static/accounts/sitekeys/" not in html


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_a_wrong_answer_gets_the_same_answer_for_existing_and_unknown_accounts(kind: str) -> None:
    _existing(kind, "dana-existing")
    usernames = {"existing": "dana-existing", "unknown": "dana-notfound"}
    clients = {label: _fresh_client_at_question(name) for label, name in usernames.items()}

    responses = {
        label: clients[label].post(
            reverse("rx_login_question"), {"action": "answer", "answer": "red heron"}
        )
        for label in usernames
    }
    pages = {label: clients[label].get(responses[label]["Location"]) for label in usernames}

    _assert_same_answer(responses, usernames)
    _assert_same_answer(pages, usernames)
    assert responses["existing"]["Location"] == reverse("account_login")
    assert "That answer did not match" in html_of(pages["existing"])
    assert LoginThrottle.objects.count() == 2
    assert set(LoginThrottle.objects.values_list("consecutive_failures", flat=True)) == {1}


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_the_password_page_without_the_answer_is_the_same_and_has_no_sitekey(kind: str) -> None:
    _existing(kind, "dana-existing")
    usernames = {"existing": "dana-existing", "unknown": "dana-notfound"}

    responses = {
        label: _fresh_client_at_password_step(username).get(reverse("rx_login_password"))
        for label, username in usernames.items()
    }

    _assert_same_answer(responses, usernames, margin=1)
    for response in responses.values():
        assert "sitekey__" not in html_of(response)
        assert SITEKEY_PHRASE not in html_of(response)


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_a_wrong_password_gets_the_same_answer_for_existing_and_unknown_accounts(
    kind: str,
) -> None:
    _existing(kind, "dana-existing")
    usernames = {"existing": "dana-existing", "unknown": "dana-notfound"}
    clients = {label: _fresh_client_at_password_step(name) for label, name in usernames.items()}

    responses = {label: _post_password(clients[label], WRONG_PASSWORD) for label in usernames}

    _assert_same_answer(responses, usernames)
    assert responses["existing"].status_code == 200
    assert GENERIC_ERROR in html_of(responses["existing"])
    assert all("_auth_user_id" not in client.session for client in clients.values())


def test_the_third_failure_asks_everyone_for_the_captcha() -> None:
    make_user(username="dana-existing")
    usernames = {"existing": "dana-existing", "unknown": "dana-notfound"}
    clients = {label: _fresh_client_at_password_step(name) for label, name in usernames.items()}
    for _ in range(3):
        for client in clients.values():
            _post_password(client, WRONG_PASSWORD)

    responses = {
        label: client.get(reverse("rx_login_password")) for label, client in clients.items()
    }

    _assert_same_answer(responses, usernames)
    assert 'name="captcha_answer"' in html_of(responses["existing"])


def test_a_paused_name_answers_the_same_whether_the_account_exists_or_not() -> None:
    """Paused with the right password, paused with a wrong one, and an unknown paused name: one
    answer, which says the pause (kept per name, known or not, so it tells nothing)."""
    for name in ("dana-right", "dana-wrong"):
        make_user(username=name)
    with mock.patch("rxportal.core.clock.now", return_value=clock.now()):
        for name in ("dana-right", "dana-wrong", "dana-nouser"):
            _lock(name)  # at one instant: every pause ends at the same minute
        attempts = {
            "locked_right_password": ("dana-right", DEFAULT_PASSWORD),
            "locked_wrong_password": ("dana-wrong", WRONG_PASSWORD),
            "locked_unknown_name": ("dana-nouser", WRONG_PASSWORD),
        }
        clients = {
            label: _fresh_client_at_password_step(name) for label, (name, _) in attempts.items()
        }

        responses = {
            label: _post_password(clients[label], password)
            for label, (_, password) in attempts.items()
        }

    _assert_same_answer(responses, {label: name for label, (name, _) in attempts.items()})
    html = html_of(responses["locked_right_password"])
    assert "Sign-in is paused for this username until" in html
    assert 'name="captcha_answer"' in html
    assert "_auth_user_id" not in clients["locked_right_password"].session


# --- Same time ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["right_question_wrong", "unknown", "without_answers", "locked"])
def test_every_answer_costs_one_hash(case: str) -> None:
    """A known name's answer is checked against its hash; any other name, and a locked one,
    against a dummy: the same hasher work (test settings use the MD5 hasher: count its runs)."""
    if case == "without_answers":
        make_user(username="dana", answers=False)
    elif case != "unknown":
        make_user(username="dana")
    if case == "locked":
        _lock("dana")
    client = _fresh_client_at_question("dana")
    page = html_of(client.get(reverse("rx_login_question")))
    data = {"action": "answer", "answer": "red heron"}
    captcha = solve_captcha(page)
    if captcha is not None:
        data.update(captcha_token=captcha[0], captcha_answer=captcha[1])
    original = MD5PasswordHasher.encode

    with mock.patch.object(MD5PasswordHasher, "encode", autospec=True, side_effect=original) as spy:
        response = client.post(reverse("rx_login_question"), data)

    if case == "locked":  # the pause is said on the spot, after the same hasher work
        assert response.status_code == 200
        assert "Sign-in is paused for this username until" in html_of(response)
    else:
        assert response.status_code == 302
        assert response["Location"] == reverse("account_login")
    assert spy.call_count == 1


TIMING_ATTEMPTS = 15
TIMING_BAND = (0.7, 1.4)
PAUSED_HASH_FLOOR = 0.4


@pytest.fixture
def real_hasher_without_rate_limits(settings) -> None:
    """The production Argon2id hasher. allauth's per-IP limits (10 failures a minute) and our
    per-IP throttle would refuse these 60 failures from one test client before hashing: off."""
    settings.PASSWORD_HASHERS = [PORTAL_HASHER]
    settings.ACCOUNT_RATE_LIMITS = False
    settings.RXPORTAL_LOGIN_IP_FAILURE_LIMIT = 10_000
    settings.RXPORTAL_LOGIN_GLOBAL_FAILURE_LIMIT = 10_000


def _time_password_post(username: str, password: str) -> float:
    """Seconds for the password POST alone (page and CAPTCHA fetched before the clock starts)."""
    client = _fresh_client_at_password_step(username)
    page = client.get(reverse("rx_login_password"))
    data = {"password": password}
    captcha = solve_captcha(html_of(page))
    if captcha is not None:
        data.update(captcha_token=captcha[0], captcha_answer=captcha[1])
    started = time.perf_counter()
    response = client.post(reverse("rx_login_password"), data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert GENERIC_ERROR in html_of(response) or "Sign-in is paused" in html_of(response)
    return elapsed


def _measure(round_no: int) -> dict[str, float]:
    """Median seconds per case; attempts interleaved so drift on the machine hits every case."""
    cases: dict[str, Callable[[int], str]] = {
        "wrong_password": lambda i: f"r{round_no}-known-{i:02d}",
        "unknown_name": lambda i: f"r{round_no}-ghost-{i:02d}",
        "locked": lambda i: f"r{round_no}-locks-{i:02d}",
        "locked_wrong": lambda i: f"r{round_no}-lockw-{i:02d}",
        "locked_unknown": lambda i: f"r{round_no}-nolck-{i:02d}",
    }
    for i in range(TIMING_ATTEMPTS):
        make_user(username=cases["wrong_password"](i), answers=False)
        _lock(make_user(username=cases["locked"](i), answers=False).username)
        _lock(make_user(username=cases["locked_wrong"](i), answers=False).username)
        _lock(cases["locked_unknown"](i))
    make_user(username=f"r{round_no}-warmup", answers=False)
    _time_password_post(f"r{round_no}-warmup", WRONG_PASSWORD)  # first-request costs

    samples: dict[str, list[float]] = {case: [] for case in cases}
    for i in range(TIMING_ATTEMPTS):
        for case, username in cases.items():
            password = DEFAULT_PASSWORD if case in ("locked", "locked_unknown") else WRONG_PASSWORD
            samples[case].append(_time_password_post(username(i), password))
    return {case: statistics.median(values) for case, values in samples.items()}


def _ratios(medians: dict[str, float]) -> dict[str, float]:
    """The pairs an attacker could tell apart: a name with or without an account, before and
    during a pause, and (during a pause, whose page says so anyway) the right password or not.
    A paused name does less bookkeeping than a counted failure, so paused is compared with
    paused; the last ratio only checks that a pause still hashes (a skipped hash is near 0.1)."""
    return {
        "unknown_name": medians["unknown_name"] / medians["wrong_password"],
        "locked_unknown": medians["locked_unknown"] / medians["locked"],
        "locked_wrong": medians["locked_wrong"] / medians["locked"],
    }


def _still_hashes_when_paused(medians: dict[str, float]) -> bool:
    return medians["locked"] / medians["wrong_password"] >= PAUSED_HASH_FLOOR


def _within_band(ratios: dict[str, float]) -> bool:
    return all(TIMING_BAND[0] <= ratio <= TIMING_BAND[1] for ratio in ratios.values())


def _acceptable(medians: dict[str, float]) -> bool:
    return _within_band(_ratios(medians)) and _still_hashes_when_paused(medians)


@pytest.mark.usefixtures("real_hasher_without_rate_limits")
def test_the_password_step_takes_as_long_for_unknown_and_locked_accounts() -> None:
    """Medians of 15 attempts with the real Argon2id hasher, relative to a wrong password on an
    existing account. A leak (no hash for unknown names, or for a locked account) shows as a
    ratio near 0.1; a busy machine gets one more round before the test fails."""
    medians = _measure(1)
    if not _acceptable(medians):
        medians = _measure(2)

    ratios = _ratios(medians)
    assert medians["wrong_password"] > 0.005, "the Argon2id hasher was not used"
    assert _within_band(ratios), {"medians_s": medians, "ratios": ratios}
    assert _still_hashes_when_paused(medians), {"medians_s": medians}


def test_the_timing_test_uses_argon2id(real_hasher_without_rate_limits: None) -> None:
    user = make_user(username="dana-hash", answers=False)

    assert user.password.startswith("argon2_nfkc$argon2id$v=19$m=19456,t=2,p=1$")
    assert not Authenticator.objects.filter(user=user).exists()


# --- Forgot password's limits -------------------------------------------------------------------


def test_forgot_password_limits_answer_the_same_for_existing_and_unknown_accounts(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Past a name's daily 6-digit code checks, and when an attempt's code dies after five wrong
    tries, an existing account and an unknown name get the same pages (they differ only in what
    is emailed, and nothing is emailed for an unknown name)."""
    make_user(username="dana-existing")
    usernames = {"existing": "dana-existing", "unknown": "dana-notfound"}
    steps: dict[str, dict[str, Any]] = {label: {} for label in usernames}

    def start(client: Client, name: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("rx_password_reset"), {"identifier": name})

    def enter(client: Client, code: str) -> Any:
        return client.post(reverse("rx_password_reset_code"), {"action": "code", "code": code})

    for label, name in usernames.items():
        for attempt in range(2):
            client = Client()
            client.get(reverse("rx_password_reset"))
            start(client, name)
            codes = re.findall(r"\b\d{6}\b", "".join(message.body for message in mail.outbox))
            wrong = next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in codes)
            tries = [enter(client, wrong) for _ in range(5)]
            steps[label][f"wrong_{attempt}"] = tries[0]
            steps[label][f"code_dead_{attempt}"] = tries[-1]
            steps[label][f"start_page_{attempt}"] = client.get(tries[-1]["Location"])
        client = Client()
        steps[label]["started"] = start(client, name)
        steps[label]["code_page"] = client.get(reverse("rx_password_reset_code"))
        steps[label]["refused"] = enter(client, "123456")
        with django_capture_on_commit_callbacks(execute=True):
            steps[label]["resent"] = client.post(
                reverse("rx_password_reset_code"), {"action": "resend"}
            )
        steps[label]["after_resend"] = client.get(reverse("rx_password_reset_code"))
        steps[label]["long_guess"] = enter(client, "AAAA-BBBB-CCCC")

    for step in steps["existing"]:
        _assert_same_answer({label: steps[label][step] for label in usernames}, usernames)
    assert "no longer works" in html_of(steps["existing"]["start_page_1"])
    assert "Too many wrong codes" in html_of(steps["existing"]["refused"])
    assert "That code did not work" in html_of(steps["existing"]["long_guess"])
    assert re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", mail.outbox[-1].body)
