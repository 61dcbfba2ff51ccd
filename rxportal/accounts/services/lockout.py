"""Sign-in lock-out, per-IP throttle and global breaker (policy in ``accounts.domain``).

How the sign-in form uses this (the edges are the lead's allauth work):

1. ``sign_in_gate(username=, now=, ip=)`` (read only) to show a page: ask for the CAPTCHA
   when ``decision.captcha_required``. A request that goes on to count an attempt reads the
   address and global counters once (``read_breakers``) and passes them to both calls.
2. Before checking an answer or a password: ``begin_sign_in_attempt`` decides and, unless it
   refuses (generic message, nothing checked), counts the attempt as a failure under the row's
   lock. Then ``fail_sign_in_attempt`` after a wrong one, ``cancel_sign_in_attempt`` after a
   right one. Counting first is what stops parallel requests from all being checked.
   After a wrong MFA/SMS/recovery code at sign-in: ``record_sign_in_failure(username=,
   request=, now=)``. Both update the username's row, the client IP's counter and the global
   counter.
3. After a full sign-in: ``record_sign_in_success(username=)``.
4. ``clear_throttle_for(username=)`` at registration and after a password reset or an unlock by
   the service center.

Not revealing whether an account exists: rows are keyed by a keyed digest of the normalized name
and created for any name, so an unknown name is counted, locked and decided exactly like a real
one. The only difference is the owner email: after commit it is written to the outbox
(``notifications.services.enqueue``) and a Celery worker sends it, so no SMTP time is spent in
the request. It is written after commit, not inside the lock's transaction, so that the lock
costs the same queries for known and unknown names.

The per-IP and global counters live in the ``RateCounter`` table (not the cache: Django's
database cache neither increments atomically nor keeps keys from being culled), as
sliding-window estimates over two fixed windows; IPs appear in keys only as keyed digests.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Q, When
from django.http import HttpRequest

from rxportal.accounts import domain
from rxportal.accounts.crypto import keyed_digest
from rxportal.accounts.domain import GateDecision, ThrottleState, normalize_username
from rxportal.accounts.models import LoginThrottle, RateCounter, User
from rxportal.audit.models import Outcome
from rxportal.audit.services import client_ip, record_event
from rxportal.audit.services import username_digest as audit_username_digest
from rxportal.core import clock
from rxportal.notifications import selectors as notification_selectors
from rxportal.notifications import services as notifications

logger = logging.getLogger(__name__)

USERNAME_DIGEST_PURPOSE = "login-username"
IP_DIGEST_PURPOSE = "login-throttle-ip"
IP_CACHE_PREFIX = "rx:login:fail:ip:"
GLOBAL_CACHE_KEY = "rx:login:fail:global"

ACTION_LOCKOUT_STARTED = "auth.lockout.started"
ACTION_HARD_LOCK_STARTED = "auth.lockout.hard_locked"
ACTION_LOCKOUT_CLEARED = "auth.lockout.cleared"


# --- Users -------------------------------------------------------------------------------------


def find_user_for_sign_in(normalized_username: str) -> User | None:
    """The active user whose verified email address, or else whose username, matches
    case-insensitively, or None. Email addresses are unique per account (allauth's
    ``ACCOUNT_UNIQUE_EMAIL``, one address each).

    The address's owner wins over a username equal to it: a username is chosen by whoever
    registers (or by staff), an address is proven by a code, so a name typed like someone's
    address must never sign in as anyone but that address's owner (registration and staff
    refuse such usernames, ``domain.is_foreign_email_username``; older ones may exist). The
    username's owner loses only that spelling of their name and keeps their own address.

    One query whether or not the name exists, and whether or not it looks like an address.
    """
    by_username = Q(username__iexact=normalized_username)
    by_email = Q(emailaddress__email__iexact=normalized_username, emailaddress__verified=True)
    return (
        User.objects.filter(by_username | by_email, is_active=True)
        .order_by(Case(When(by_email, then=0), default=1), "pk")
        .first()
    )


# --- Per-username lock-out ---------------------------------------------------------------------


def _row_digest(username: str) -> str:
    return keyed_digest(USERNAME_DIGEST_PURPOSE, normalize_username(username))


def _state(row: LoginThrottle | None) -> ThrottleState:
    if row is None:
        return ThrottleState()
    return ThrottleState(
        consecutive_failures=row.consecutive_failures,
        failures_since_success=row.failures_since_success,
        first_failure_at=row.first_failure_at,
        locked_until=row.locked_until,
        owner_notified=row.owner_notified_at is not None,
    )


# A row that a parallel attempt inserts and gives back (deletes) while we look is looked for
# again; each retry needs another attempt's insert and delete in between, so a few suffice.
_LOCKED_ROW_TRIES = 5


def _locked_row(digest: str) -> LoginThrottle:
    """The row for ``digest`` under SELECT ... FOR UPDATE, created if missing."""
    for _ in range(_LOCKED_ROW_TRIES):
        row = LoginThrottle.objects.select_for_update().filter(username_digest=digest).first()
        if row is not None:
            return row
        try:
            with transaction.atomic():  # savepoint: a concurrent insert of the same name may win
                return LoginThrottle.objects.create(username_digest=digest)
        except IntegrityError:
            # The winner's row may be gone again by the time we read it (a right answer's
            # give-back deletes an unchanged row outside any lock): read, or create, again.
            continue
    return LoginThrottle.objects.select_for_update().get(username_digest=digest)


@dataclass(frozen=True)
class Breakers:
    """The site-wide breaker and the client address's throttle, as one request read them."""

    global_tripped: bool = False
    ip_throttled: bool = False


def read_breakers(*, ip: str | None, now: dt.datetime) -> Breakers:
    """Both sliding-window estimates in one query, and the one place their limits are applied
    (``global_breaker_tripped`` and ``ip_throttle_exceeded`` ask it). A sign-in request reads them once: for the page's gate and
    again when it counts the attempt, microseconds apart, they are the same estimates (neither
    is read under a lock; the username's row is what serializes parallel attempts)."""
    global_window = settings.RXPORTAL_LOGIN_GLOBAL_FAILURE_WINDOW_SECONDS
    ip_window = settings.RXPORTAL_LOGIN_IP_FAILURE_WINDOW_SECONDS
    ip_key = _ip_key(ip) if ip is not None else None
    windows = {GLOBAL_CACHE_KEY: global_window}
    if ip_key is not None:
        windows[ip_key] = ip_window
    estimates = _window_estimates(windows, now=now)
    return Breakers(
        global_tripped=estimates[GLOBAL_CACHE_KEY] > settings.RXPORTAL_LOGIN_GLOBAL_FAILURE_LIMIT,
        ip_throttled=ip_key is not None
        and estimates[ip_key] >= settings.RXPORTAL_LOGIN_IP_FAILURE_LIMIT,
    )


def sign_in_gate(
    *,
    username: str,
    now: dt.datetime,
    ip: str | None = None,
    breakers: Breakers | None = None,
) -> GateDecision:
    """Read-only: may this username (from this IP) try a password now, and with a CAPTCHA?
    ``breakers``: already read in this request (``read_breakers``)."""
    row = LoginThrottle.objects.filter(username_digest=_row_digest(username)).first()
    if breakers is None:
        breakers = read_breakers(ip=ip, now=now)
    return domain.compute_gate_decision(
        _state(row),
        now,
        global_breaker_tripped=breakers.global_tripped,
        ip_throttled=breakers.ip_throttled,
    )


@dataclass(frozen=True)
class SignInAttempt:
    """One answer or password about to be checked (``begin_sign_in_attempt``).

    ``refused``: the gate said no; nothing was counted and nothing may be checked. Otherwise the
    attempt is already counted as a failure: ``fail_sign_in_attempt`` after a wrong one (audit,
    owner email, IP and global counters), ``cancel_sign_in_attempt`` after a right one.
    """

    username: str  # normalized
    decision: GateDecision  # the gate before this attempt
    before: ThrottleState | None = None
    counted: ThrottleState | None = None
    outcome: domain.FailureOutcome | None = None

    @property
    def refused(self) -> bool:
        return self.outcome is None


def _notified_now(outcome: domain.FailureOutcome) -> bool:
    return outcome.state.owner_notified and outcome.notify_owner


def _insert_first_failure(digest: str, outcome: domain.FailureOutcome, now: dt.datetime) -> bool:
    """A name without a row: its row, holding this failure, in one statement (INSERT ... ON
    CONFLICT DO NOTHING RETURNING, PostgreSQL and SQLite >= 3.35). False when a row exists
    (made by a parallel attempt meanwhile): the caller then counts under the row's lock."""
    state = outcome.state
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    columns: dict[str, Any] = {
        "username_digest": digest,
        "consecutive_failures": state.consecutive_failures,
        "failures_since_success": state.failures_since_success,
        "first_failure_at": adapt(state.first_failure_at),
        "last_failure_at": adapt(now),
        "locked_until": adapt(state.locked_until),
        # As ``_write_failure`` leaves a new row: notified only when this failure notifies.
        "owner_notified_at": adapt(now) if _notified_now(outcome) else None,
    }
    table = quote(LoginThrottle._meta.db_table)
    names = ", ".join(quote(name) for name in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(  # identifiers from the model; the values are parameters
            f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608
            f"ON CONFLICT ({quote('username_digest')}) DO NOTHING RETURNING {quote('id')}",
            list(columns.values()),
        )
        return cursor.fetchone() is not None


def _write_failure(row: LoginThrottle, outcome: domain.FailureOutcome, now: dt.datetime) -> None:
    state = outcome.state
    row.consecutive_failures = state.consecutive_failures
    row.failures_since_success = state.failures_since_success
    row.first_failure_at = state.first_failure_at
    row.last_failure_at = now
    row.locked_until = state.locked_until
    if not state.owner_notified:
        row.owner_notified_at = None
    elif outcome.notify_owner:
        row.owner_notified_at = now
    row.save()


def begin_sign_in_attempt(
    *,
    username: str,
    now: dt.datetime,
    ip: str | None = None,
    breakers: Breakers | None = None,
) -> SignInAttempt:
    """Before checking an answer or password: decide, and count the attempt as a failure.

    Both under the row's lock in one transaction (SELECT ... FOR UPDATE; SQLite's write lock
    serializes), so parallel attempts each see the ones before them: at most as many guesses
    are checked as the lock-out allows, however many requests arrive at once. A name without a
    row (most sign-ins) gets it with this failure in one INSERT that a parallel attempt's
    cannot also win: the loser counts under the lock. ``breakers``: already read in this
    request (``read_breakers``).
    """
    normalized = normalize_username(username)
    if breakers is None:
        breakers = read_breakers(ip=ip, now=now)
    digest = keyed_digest(USERNAME_DIGEST_PURPOSE, normalized)
    fresh = domain.compute_gate_decision(
        ThrottleState(),
        now,
        global_breaker_tripped=breakers.global_tripped,
        ip_throttled=breakers.ip_throttled,
    )
    if not fresh.blocked:
        outcome = domain.compute_failure(ThrottleState(), now)
        if _insert_first_failure(digest, outcome, now):
            return SignInAttempt(
                username=normalized,
                decision=fresh,
                before=ThrottleState(),
                counted=replace(outcome.state, owner_notified=_notified_now(outcome)),
                outcome=outcome,
            )
    with transaction.atomic():
        row = _locked_row(digest)
        before = _state(row)
        decision = domain.compute_gate_decision(
            before,
            now,
            global_breaker_tripped=breakers.global_tripped,
            ip_throttled=breakers.ip_throttled,
        )
        if decision.blocked:
            if before == ThrottleState():  # only the IP throttle refused: keep no empty row
                row.delete()
            return SignInAttempt(username=normalized, decision=decision)
        outcome = domain.compute_failure(before, now)
        _write_failure(row, outcome, now)
    return SignInAttempt(
        username=normalized,
        decision=decision,
        before=before,
        counted=_state(row),
        outcome=outcome,
    )


def cancel_sign_in_attempt(attempt: SignInAttempt) -> None:
    """The answer or password was right: give back the failure ``begin_sign_in_attempt`` counted.

    When nothing else touched the row since, it is put back exactly as it was (a lock that this
    attempt started is lifted; no audit or email was sent for it). When parallel attempts counted
    meanwhile, only this attempt's one failure is taken off and their locks stand.
    """
    if attempt.refused or attempt.before is None:
        return
    digest = keyed_digest(USERNAME_DIGEST_PURPOSE, attempt.username)
    if attempt.before == ThrottleState() and attempt.counted is not None:
        # There was no row: delete it in one statement if nothing touched it since. Nothing
        # cascades from a throttle row, so no transaction is needed around the DELETE.
        counted = attempt.counted
        unchanged = LoginThrottle.objects.filter(
            username_digest=digest,
            consecutive_failures=counted.consecutive_failures,
            failures_since_success=counted.failures_since_success,
            first_failure_at=counted.first_failure_at,
            locked_until=counted.locked_until,
            owner_notified_at__isnull=not counted.owner_notified,
        )
        if unchanged._raw_delete(unchanged.db):
            return
    with transaction.atomic():
        row = LoginThrottle.objects.select_for_update().filter(username_digest=digest).first()
        if row is None:  # a sign-in or reset cleared it meanwhile
            return
        if _state(row) == attempt.counted:
            before = attempt.before
            if before == ThrottleState():  # there was no row: leave none
                row.delete()
                return
            row.consecutive_failures = before.consecutive_failures
            row.failures_since_success = before.failures_since_success
            row.first_failure_at = before.first_failure_at
            row.locked_until = before.locked_until
            if not before.owner_notified:
                row.owner_notified_at = None
        else:
            row.consecutive_failures = max(0, row.consecutive_failures - 1)
            row.failures_since_success = max(0, row.failures_since_success - 1)
        row.save()


def fail_sign_in_attempt(
    attempt: SignInAttempt, *, now: dt.datetime, request: HttpRequest | None = None
) -> GateDecision:
    """The answer or password was wrong: the failure ``begin_sign_in_attempt`` counted stands.

    Writes the lock-out audit events, queues the owner's email and counts the failure against
    the client's IP and globally. Returns the decision for the next attempt.
    """
    if attempt.outcome is None:
        return attempt.decision
    return _after_failure(attempt.username, attempt.outcome, now=now, request=request)


# The password step hands its attempt to the adapter's ``authentication_failed`` on the request.
_HELD_ATTEMPT_ATTRIBUTE = "_rx_sign_in_attempt"


_HELD_LOGIN_ATTRIBUTE = "_rx_sign_in_attempt_login"


def hold_sign_in_attempt(
    request: HttpRequest | None, attempt: SignInAttempt, *, login: str = ""
) -> None:
    """``login``: the account's username checked for this attempt when the person typed their
    email address (the attempt stays counted under what they typed)."""
    if request is not None:
        setattr(request, _HELD_ATTEMPT_ATTRIBUTE, attempt)
        setattr(request, _HELD_LOGIN_ATTRIBUTE, normalize_username(login or attempt.username))


def take_held_sign_in_attempt(
    request: HttpRequest | None, *, username: str
) -> SignInAttempt | None:
    """The held attempt for ``username`` (normalized), now owned by the caller, or None."""
    attempt = getattr(request, _HELD_ATTEMPT_ATTRIBUTE, None)
    login = getattr(request, _HELD_LOGIN_ATTRIBUTE, None)
    if not isinstance(attempt, SignInAttempt) or username not in {attempt.username, login}:
        return None
    delattr(request, _HELD_ATTEMPT_ATTRIBUTE)
    return attempt


def release_sign_in_attempt(request: HttpRequest | None, attempt: SignInAttempt) -> bool:
    """Stop holding ``attempt``; True when nobody took it (the password was not reported wrong)."""
    if request is None:
        return True
    if getattr(request, _HELD_ATTEMPT_ATTRIBUTE, None) is attempt:
        delattr(request, _HELD_ATTEMPT_ATTRIBUTE)
        return True
    return False


def record_sign_in_failure(
    *, username: str, now: dt.datetime, request: HttpRequest | None = None
) -> GateDecision:
    """Count one failed attempt for ``username`` (and the request's IP, and globally).

    Returns the decision for the next attempt. For a factor checked after the gate (second
    factor codes); answers and passwords use ``begin_sign_in_attempt``, which counts first.
    """
    normalized = normalize_username(username)
    with transaction.atomic():
        row = _locked_row(keyed_digest(USERNAME_DIGEST_PURPOSE, normalized))
        outcome = domain.compute_failure(_state(row), now)
        _write_failure(row, outcome, now)
    return _after_failure(normalized, outcome, now=now, request=request)


def _after_failure(
    normalized: str,
    outcome: domain.FailureOutcome,
    *,
    now: dt.datetime,
    request: HttpRequest | None,
) -> GateDecision:
    state = outcome.state
    if outcome.lock_started or outcome.hard_lock_started:
        with transaction.atomic():
            owner = find_user_for_sign_in(normalized)  # same query for unknown names
            details = {
                "username_digest": audit_username_digest(normalized),
                "failures": state.consecutive_failures,
                "failures_since_success": state.failures_since_success,
            }
            if outcome.lock_started:
                record_event(
                    action=ACTION_LOCKOUT_STARTED,
                    outcome=Outcome.FAILURE,
                    request=request,
                    subject=owner,
                    details=details,
                )
            if outcome.hard_lock_started:
                record_event(
                    action=ACTION_HARD_LOCK_STARTED,
                    outcome=Outcome.FAILURE,
                    request=request,
                    subject=owner,
                    details=details,
                )
            if outcome.notify_owner:  # known and unknown names alike (_send_lockout_notice)
                owner_pk = owner.pk if owner is not None else None
                transaction.on_commit(partial(_send_lockout_notice, owner_pk), robust=True)

    ip = client_ip(request) if request is not None else None
    if ip is not None:
        note_ip_failure(ip=ip, now=now)
    note_global_failure(now=now)
    breakers = read_breakers(ip=ip, now=now)
    return domain.compute_gate_decision(
        state,
        now,
        global_breaker_tripped=breakers.global_tripped,
        ip_throttled=breakers.ip_throttled,
    )


class _RehearsalOver(Exception):
    """Ends ``_rehearse_lockout_notice``, rolling its writes back."""


# No account has this primary key: the stand-in's lookups find nothing and its rows, rolled
# back, never reach the foreign key check (deferred to commit).
_STAND_IN_PK = 0


def _send_lockout_notice(user_pk: int | None) -> None:
    """Tell the owner by email and in their inbox (a security notice: never switched off).

    For a name without an owner (``user_pk`` None), the same work for a stand-in, rolled back:
    the email address works at the username step, so a notice sent only for known names would
    tell, by the statements (and the time) of the fifth wrong password, which addresses are
    registered. Both paths run one transaction: the user's row, the channel settings, one
    outbox row per channel; then one delivery per row. A real notice's deliveries run after
    commit (inline when tasks run in the request); the stand-in's are rehearsed before the
    rollback (``notifications.services.rehearse_delivery``: the same statements, nothing sent)
    when tasks run inline, and not at all when a worker would send them.
    """
    if user_pk is None:
        _rehearse_lockout_notice()
        return
    with transaction.atomic():
        user = User.objects.filter(pk=user_pk).first()
        if user is None:
            return
        _notify_lockout(user)


def _notify_lockout(recipient: User) -> list[uuid.UUID]:
    rows = notifications.notify(
        recipient=recipient,
        kind="security.sign_in_paused",
        context={},
        idempotency_key=uuid.uuid4().hex,
    )
    return [row.public_id for row in rows]


def _rehearse_lockout_notice() -> None:
    token = uuid.uuid4().hex
    stand_in = User(
        pk=_STAND_IN_PK, username=f"rehearsal-{token}", email=f"rehearsal-{token}@example.invalid"
    )
    try:
        with transaction.atomic():
            User.objects.filter(pk=_STAND_IN_PK).first()  # the owner's lookup
            public_ids = _notify_lockout(stand_in)
            if settings.CELERY_TASK_ALWAYS_EAGER:
                now = clock.now()
                for public_id in public_ids:
                    notifications.rehearse_delivery(public_id=public_id, now=now)
            raise _RehearsalOver
    except _RehearsalOver:
        pass
    notification_selectors.forget_unread_count(stand_in)  # as the inbox row's after commit


def record_sign_in_success(*, username: str, email: str = "") -> None:
    """A full sign-in succeeded: forget the failures (including those toward the hard lock) of
    the username and of the account's email address, which works at the username step too with
    a throttle of its own. One DELETE for both."""
    digests = {_row_digest(name) for name in (username, email) if name}
    rows = LoginThrottle.objects.filter(username_digest__in=digests)
    rows._raw_delete(rows.db)  # one DELETE: nothing cascades, no transaction needed around it


def clear_throttle_for(
    *,
    username: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
    reason: str = "",
) -> bool:
    """Lift every lock on ``username`` (registration, password reset, service-center unlock).

    Returns whether there was anything to clear; an audit entry is written when there was.
    """
    normalized = normalize_username(username)
    with transaction.atomic():
        deleted, _ = LoginThrottle.objects.filter(
            username_digest=keyed_digest(USERNAME_DIGEST_PURPOSE, normalized)
        ).delete()
        if deleted:
            record_event(
                action=ACTION_LOCKOUT_CLEARED,
                outcome=Outcome.SUCCESS,
                actor=actor,
                request=request,
                reason=reason,
                details={"username_digest": audit_username_digest(normalized)},
            )
    return bool(deleted)


def clear_throttles_for_user(
    *, user: User, actor: User | None, request: HttpRequest | None = None, reason: str = ""
) -> bool:
    """Lift every lock on ``user``: the username's and, since the username step takes the
    verified email address too (with its own counter), the address's. Returns whether any.

    ``user.email`` is the account's only address because ``ACCOUNT_MAX_EMAIL_ADDRESSES`` is 1
    (``test_lockout.test_an_account_has_one_email_address``); with more, each verified
    address's counter would need clearing here and in the adapter's ``post_login``."""
    cleared = clear_throttle_for(
        username=user.get_username(), actor=actor, request=request, reason=reason
    )
    if user.email:
        cleared = (
            clear_throttle_for(username=user.email, actor=actor, request=request, reason=reason)
            or cleared
        )
    return cleared


# --- Per-IP throttle and global breaker (RateCounter) ------------------------------------------------


def bump_window_counter(base_key: str, *, window_seconds: int, now: dt.datetime) -> int:
    """Count one event in ``now``'s fixed window; returns that window's count including it.

    One statement, INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count
    (PostgreSQL and SQLite >= 3.35): atomic under parallel requests whatever the cache backend,
    the count returned is exactly this event's place, and it costs the same one query whether
    or not the window has started.
    """
    index, _ = domain.compute_window_index(now, window_seconds)
    quote = connection.ops.quote_name
    table, key, count = quote(RateCounter._meta.db_table), quote("key"), quote("count")
    expires_at = now + dt.timedelta(seconds=2 * window_seconds + 60)
    with connection.cursor() as cursor:
        cursor.execute(  # identifiers from the model; the values are parameters
            f"INSERT INTO {table} ({key}, {count}, {quote('expires_at')}) "  # noqa: S608
            f"VALUES (%s, 1, %s) ON CONFLICT ({key}) "
            f"DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}",
            [f"{base_key}:{index}", expires_at],
        )
        row = cursor.fetchone()
    return int(row[0])


def purge_expired_counters(*, now: dt.datetime) -> int:
    """Delete the windows nobody reads any more (a periodic task); returns how many."""
    deleted, _ = RateCounter.objects.filter(expires_at__lt=now).delete()
    return deleted


def estimate_window_count(base_key: str, *, window_seconds: int, now: dt.datetime) -> float:
    """Sliding-window estimate of the events counted under ``base_key`` in the last window."""
    return _window_estimates({base_key: window_seconds}, now=now)[base_key]


def estimate_after_bump(base_key: str, *, window_seconds: int, now: dt.datetime) -> float:
    """Count one event and return the sliding estimate as of that event (for a reservation:
    parallel callers each see a different count, so no more than the limit get through)."""
    current = bump_window_counter(base_key, window_seconds=window_seconds, now=now)
    index, elapsed = domain.compute_window_index(now, window_seconds)
    _, previous = _window_counts(base_key, index)
    return domain.estimate_sliding_count(current, previous, elapsed)


def _window_estimates(windows: dict[str, int], *, now: dt.datetime) -> dict[str, float]:
    """``estimate_window_count`` of several counters (base key → window seconds), one query."""
    indexes = {key: domain.compute_window_index(now, seconds) for key, seconds in windows.items()}
    wanted = [f"{key}:{index - back}" for key, (index, _) in indexes.items() for back in (0, 1)]
    counts = dict(RateCounter.objects.filter(key__in=wanted).values_list("key", "count"))
    return {
        key: domain.estimate_sliding_count(
            int(counts.get(f"{key}:{index}", 0)),
            int(counts.get(f"{key}:{index - 1}", 0)),
            elapsed_fraction=elapsed,
        )
        for key, (index, elapsed) in indexes.items()
    }


def _window_counts(base_key: str, index: int) -> tuple[int, int]:
    current_key, previous_key = f"{base_key}:{index}", f"{base_key}:{index - 1}"
    counts = dict(
        RateCounter.objects.filter(key__in=[current_key, previous_key]).values_list("key", "count")
    )
    return int(counts.get(current_key, 0)), int(counts.get(previous_key, 0))


def _ip_key(ip: str) -> str | None:
    group = domain.compute_ip_group(ip)
    if group is None:
        return None
    return IP_CACHE_PREFIX + keyed_digest(IP_DIGEST_PURPOSE, group)[:32]


def note_ip_failure(*, ip: str, now: dt.datetime | None = None) -> None:
    """Count a failure against ``ip``'s group (IPv4 address or IPv6 /64)."""
    key = _ip_key(ip)
    if key is not None:
        window = settings.RXPORTAL_LOGIN_IP_FAILURE_WINDOW_SECONDS
        bump_window_counter(key, window_seconds=window, now=now or clock.now())


def ip_throttle_exceeded(*, ip: str, now: dt.datetime) -> bool:
    """True once ``RXPORTAL_LOGIN_IP_FAILURE_LIMIT`` failures fall within the sliding window."""
    return read_breakers(ip=ip, now=now).ip_throttled


def note_global_failure(*, now: dt.datetime | None = None) -> None:
    window = settings.RXPORTAL_LOGIN_GLOBAL_FAILURE_WINDOW_SECONDS
    bump_window_counter(GLOBAL_CACHE_KEY, window_seconds=window, now=now or clock.now())


def global_breaker_tripped(*, now: dt.datetime) -> bool:
    """True while failures site-wide exceed ``RXPORTAL_LOGIN_GLOBAL_FAILURE_LIMIT`` per window:
    the CAPTCHA is then required of everyone (never a block)."""
    return read_breakers(ip=None, now=now).global_tripped
