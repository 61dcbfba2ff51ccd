"""Registration never tells a taken member record, email or username from a free one by how long
the account step takes, nor by whether an email goes out.

The account step (allauth's signup page, our ``RegistrationSignupForm``) is where the taken/free
decision is made: a free one creates the account, a taken one takes allauth's enumeration-safe
path (see ``services.registration``). Both must cost the same: four Argon2id hashes (the password
and three challenge answers), the account's writes (rehearsed and rolled back on the taken path:
the same rows, counted below) and one email. The pages themselves are compared in test_registration.py and
test_registration_business.py.
"""

from __future__ import annotations

import gc
import itertools
import math
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rxportal.accounts.models import ChallengeAnswer, SecurityProfile, User
from rxportal.accounts.services import registration
from rxportal.audit.models import AuditEvent
from rxportal.members.models import Member
from tests.accounts.test_enumeration import PORTAL_HASHER
from tests.accounts.test_registration_support import (
    PASSWORD,
    account_details,
    adult_member,
    business_details,
    prove_membership,
)
from tests.accounts.test_signin_support import fresh_cache  # noqa: F401
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

TIMING_RUNS = 7
TIMING_ROUNDS = 3
WALL_CHECK_MAX_SLOWDOWN = 2.0
# The bar: a median gap under 10 ms, where the leak was about 190 ms (four hashes).
MAX_MEDIAN_GAP_S = 0.010
# What a noisy machine may stretch the bar to (see _verdict): below one Argon2id hash.
CEILING_S = 0.030
NOISE_SIGMAS = 3
# One Argon2id hash at m=19 MiB, t=2 costs tens of milliseconds; the fast test hasher, microseconds.
ARGON2_FLOOR_S = 0.040
_numbers = itertools.count(50_000_000)


@pytest.fixture
def real_hasher_without_rate_limits(settings) -> None:
    """The production Argon2id hasher; allauth's per-address signup limit (and the rest) off,
    since one test client signs up dozens of times."""
    settings.PASSWORD_HASHERS = [PORTAL_HASHER]
    settings.ACCOUNT_RATE_LIMITS = False


@dataclass(frozen=True)
class Attempt:
    """A browser at the account step, what it will type, and who should get the one email."""

    client: Client
    fields: dict[str, str]
    mail_to: str


def _at_account_step(start: Callable[[Client], object]) -> Client:
    client = Client()
    start(client)
    assert client.get(reverse("account_signup")).status_code == 200
    return client


def _member_attempt(case: str, run: int) -> Attempt:
    number = next(_numbers)
    tag = f"m{number}"
    member = adult_member(member_id=f"RXP{number:08d}")
    email = f"{tag}@example.org"
    fields = {"email": email}
    mail_to = email
    if case == "taken_record":
        owner = UserFactory(username=f"owner-{tag}", email=f"owner-{tag}@example.org")
        member.user = owner
        member.save(update_fields=["user"])
        mail_to = owner.email
    elif case == "taken_email":
        UserFactory(username=f"owner-{tag}", email=email)
    elif case == "taken_username":
        UserFactory(username=f"owner-{tag}", email=f"owner-{tag}@example.org")
        fields["username"] = f"owner-{tag}"
    client = _at_account_step(lambda client: prove_membership(client, member))
    return Attempt(client=client, fields=account_details(**fields), mail_to=mail_to)


def _business_attempt(case: str, run: int) -> Attempt:
    tag = f"b{next(_numbers)}"
    email = f"{tag}@example.org"
    fields = {"email": email}
    if case == "taken_email":
        UserFactory(username=f"owner-{tag}", email=email)
    elif case == "taken_username":
        UserFactory(username=f"owner-{tag}", email=f"owner-{tag}@example.org")
        fields["username"] = f"owner-{tag}"
    client = _at_account_step(
        lambda client: client.post(reverse("rx_register_business"), business_details())
    )
    return Attempt(client=client, fields=account_details(**fields), mail_to=email)


@dataclass(frozen=True)
class Timing:
    wall: float  # what anyone with a stopwatch sees
    cpu: float  # this process's share: the work done, whatever else the machine is running


def _time_account_step(attempt: Attempt) -> Timing:
    """The account step's POST alone; it must end on the code page with one email to the
    expected inbox, whichever the path."""
    mail.outbox.clear()
    gc.collect()  # no garbage collection lands inside one sample and not another (as timeit)
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        # The commit included: each path's one email leaves through the outbox after it.
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = attempt.client.post(reverse("account_signup"), attempt.fields)
        timing = Timing(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)
    finally:
        gc.enable()
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"] == reverse("account_email_verification_sent")
    assert [message.to for message in mail.outbox] == [[attempt.mail_to]]
    return timing


def _samples(make: Callable[[str, int], Attempt], cases: list[str]) -> dict[str, list[Timing]]:
    """``TIMING_RUNS`` timings per case. Runs are interleaved, and the order rotates each run,
    so drift on a busy machine (other processes, caches warming up) hits every case alike."""
    for case in cases:  # first-request costs (templates, connections) of every path, not timed
        _time_account_step(make(case, 99))
    samples: dict[str, list[Timing]] = {case: [] for case in cases}
    for run in range(TIMING_RUNS):
        attempts = {case: make(case, run) for case in cases}
        order = cases[run % len(cases) :] + cases[: run % len(cases)]
        for case in order:
            samples[case].append(_time_account_step(attempts[case]))
    return samples


def _gap(taken: list[Timing], free: list[Timing], clock: str) -> Gap:
    """The median of the run-by-run differences (taken minus free, measured moments apart) and
    its standard error: 1.25 x sigma / sqrt(n) for a median, sigma from the differences' median
    absolute deviation (robust to the odd burst another process causes)."""
    differences = [getattr(t, clock) - getattr(f, clock) for t, f in zip(taken, free, strict=True)]
    median = statistics.median(differences)
    spread = statistics.median(abs(d - median) for d in differences) * 1.4826
    return Gap(median=median, error=1.25 * spread / math.sqrt(len(differences)))


@dataclass(frozen=True)
class Gap:
    median: float
    error: float

    def within(self, bar: float, ceiling: float) -> bool:
        """Under ``bar``, or, when the machine's noise cannot resolve ``bar``, not told apart
        from zero (three standard errors); never at ``ceiling`` or above."""
        allowed = min(max(bar, NOISE_SIGMAS * self.error), ceiling)
        return abs(self.median) < allowed


def _verdict(samples: dict[str, list[Timing]]) -> dict[str, object]:
    """Median differences between each taken case and the free one, and whether they pass.

    CPU time (this process's) must differ by under 10 ms: it is the work done, and other
    processes barely move it on a quiet machine. On a busy two-core machine they do (caches,
    frequency): CPU gaps of 10-20 ms either way were measured there between identical paths. So
    a gap passes when it is under 10 ms, or within three standard errors of zero when the
    samples' own spread cannot resolve 10 ms; it never passes at ``CEILING_S`` (30 ms) or more,
    which a single leaked Argon2id hash (40-50 ms of work) exceeds, let alone the old four-hash
    leak (~190 ms). Wall time is judged the same way with the bar and ceiling scaled by the
    machine's slowdown (median wall over CPU time of the free case, at least 1); on a machine so
    busy that wall time runs more than ``WALL_CHECK_MAX_SLOWDOWN`` times CPU time, only CPU time
    is judged (other processes' bursts are ten times the bar).
    """
    free = samples["free"]
    slowdown = max(
        1.0, statistics.median(f.wall for f in free) / statistics.median(f.cpu for f in free)
    )
    taken = {case: timings for case, timings in samples.items() if case != "free"}
    cpu_gaps = {case: _gap(timings, free, "cpu") for case, timings in taken.items()}
    wall_gaps = {case: _gap(timings, free, "wall") for case, timings in taken.items()}
    cpu_ok = all(gap.within(MAX_MEDIAN_GAP_S, CEILING_S) for gap in cpu_gaps.values())
    wall_judged = slowdown <= WALL_CHECK_MAX_SLOWDOWN
    wall_ok = all(
        gap.within(MAX_MEDIAN_GAP_S * slowdown, CEILING_S * slowdown) for gap in wall_gaps.values()
    )

    def in_ms(gaps: dict[str, Gap]) -> dict[str, str]:
        return {c: f"{g.median * 1000:.1f}±{g.error * 1000:.1f}" for c, g in gaps.items()}

    return {
        "ok": cpu_ok and (wall_ok or not wall_judged),
        "slowdown": round(slowdown, 2),
        "wall_judged": wall_judged,
        "cpu_gaps_ms": in_ms(cpu_gaps),
        "wall_gaps_ms": in_ms(wall_gaps),
        "free_median_ms": {
            "wall": round(statistics.median(f.wall for f in free) * 1000, 1),
            "cpu": round(statistics.median(f.cpu for f in free) * 1000, 1),
        },
    }


def _assert_same_time(make: Callable[[str, int], Attempt], cases: list[str]) -> None:
    for _ in range(TIMING_ROUNDS):  # a busy machine gets more rounds before the test fails
        samples = _samples(make, cases)
        verdict = _verdict(samples)
        if verdict["ok"]:
            break
    assert statistics.median(f.cpu for f in samples["free"]) > ARGON2_FLOOR_S, (
        "the Argon2id hasher was not used"
    )
    assert verdict["ok"], verdict


@pytest.mark.usefixtures("real_hasher_without_rate_limits")
def test_the_member_account_step_takes_as_long_for_a_taken_record_email_or_username() -> None:
    _assert_same_time(_member_attempt, ["free", "taken_record", "taken_email", "taken_username"])


@pytest.mark.usefixtures("real_hasher_without_rate_limits")
def test_the_business_account_step_takes_as_long_for_a_taken_email_or_username() -> None:
    _assert_same_time(_business_attempt, ["free", "taken_email", "taken_username"])


def test_the_timing_tests_use_argon2id_and_a_free_path_stores_four_hashes(
    real_hasher_without_rate_limits: None,
) -> None:
    attempt = _member_attempt("free", 1)

    _time_account_step(attempt)

    user = User.objects.get(email=attempt.fields["email"])
    assert user.password.startswith("argon2_nfkc$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)
    hashes = list(ChallengeAnswer.objects.filter(user=user).values_list("answer_hash", flat=True))
    assert len(hashes) == 3
    assert all(value.startswith("argon2_nfkc$argon2id$") for value in hashes)


# --- The same statements on every path -----------------------------------------------------------
# Timing alone cannot hold a gap of a few milliseconds on a busy machine; the statements can. On
# PostgreSQL each statement also costs this process its round trip, so the taken paths must write
# what a new account writes (rolled back or not) and read as often.

_WRITE = re.compile(r'^(INSERT(?: OR IGNORE)? INTO|UPDATE|DELETE FROM) "(\w+)"')
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "COMMIT", "BEGIN")


@dataclass(frozen=True)
class StatementShape:
    writes: tuple[tuple[str, str], ...]  # (verb, table), sorted
    reads: int


def _statement_shape(attempt: Attempt) -> StatementShape:
    """What the account step's POST asks of the database, commit callbacks included."""
    with CaptureQueriesContext(connection) as queries:
        _time_account_step(attempt)
    writes: list[tuple[str, str]] = []
    reads = 0
    for query in queries.captured_queries:
        sql = query["sql"].lstrip()
        if sql.startswith(_TRANSACTION_CONTROL):
            continue  # the rehearsal ends in a rollback where a new account commits
        match = _WRITE.match(sql)
        if match:
            writes.append((match[1].split()[0], match[2]))
        else:
            reads += 1
    return StatementShape(writes=tuple(sorted(writes)), reads=reads)


# A taken path also reads about the holder (whether an account that never signed in was
# abandoned; a record owner's support number for the notice): short reads by primary key.
MAX_EXTRA_READS = 2
_SAME_AS_FREE = {
    "writes only here": [],
    "writes only on the free path": [],
    "extra reads within bounds": True,
}


def _differences_from_free(shapes: dict[str, StatementShape]) -> dict[str, dict[str, object]]:
    free = shapes["free"]
    return {
        case: {
            "writes only here": sorted((Counter(shape.writes) - Counter(free.writes)).elements()),
            "writes only on the free path": sorted(
                (Counter(free.writes) - Counter(shape.writes)).elements()
            ),
            "extra reads within bounds": abs(shape.reads - free.reads) <= MAX_EXTRA_READS,
        }
        for case, shape in shapes.items()
        if case != "free"
    }


def test_every_path_of_the_member_account_step_sends_the_same_statements() -> None:
    # Warm-up: each path's first request may load what later ones find cached.
    cases = ["free", "taken_record", "taken_email", "taken_username"]
    for case in cases:
        _time_account_step(_member_attempt(case, 99))

    shapes = {case: _statement_shape(_member_attempt(case, 0)) for case in cases}

    assert _differences_from_free(shapes) == {case: _SAME_AS_FREE for case in cases[1:]}


def test_every_path_of_the_business_account_step_sends_the_same_statements() -> None:
    cases = ["free", "taken_email", "taken_username"]
    for case in cases:
        _time_account_step(_business_attempt(case, 99))

    shapes = {case: _statement_shape(_business_attempt(case, 0)) for case in cases}

    assert _differences_from_free(shapes) == {case: _SAME_AS_FREE for case in cases[1:]}


# --- The taken path's rehearsal leaves nothing behind --------------------------------------------


def _footprint() -> dict[str, object]:
    return {
        "users": sorted(User.objects.values_list("username", flat=True)),
        "member_links": sorted(Member.objects.values_list("member_id", "user__username")),
        "audit": sorted(AuditEvent.objects.values_list("action", flat=True)),
        "sitekeys": SecurityProfile.objects.count(),
        "answers": ChallengeAnswer.objects.count(),
        "addresses": EmailAddress.objects.count(),
    }


@pytest.mark.parametrize(
    ("case", "notice"),
    [
        ("taken_record", registration.ACTION_EXISTING_NOTIFIED),
        ("taken_email", registration.ACTION_EXISTING_NOTIFIED),
        ("taken_username", registration.ACTION_USERNAME_UNAVAILABLE),
    ],
)
def test_a_taken_record_email_or_username_keeps_nothing_of_the_rehearsed_account(
    case: str, notice: str
) -> None:
    attempt = _member_attempt(case, 0)
    # This browser created an account earlier (its id is on the pending list).
    earlier = str(UserFactory(username="earlier").public_id)
    session = attempt.client.session
    session[registration.PENDING_SESSION_KEY] = [earlier]
    session.save()
    before = _footprint()

    _time_account_step(attempt)

    after = _footprint()
    assert after["audit"] == sorted([*before["audit"], notice])  # type: ignore[list-item]
    assert {**after, "audit": None} == {**before, "audit": None}
    assert not User.objects.filter(username__startswith="rehearsal-").exists()
    assert attempt.client.session[registration.PENDING_SESSION_KEY] == [earlier]
