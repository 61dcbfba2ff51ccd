"""Pure account-security rules: lock-out policy, throttle windows, code and phone formats.

No ORM, request, settings or clock here: callers pass ``now=`` and configured limits in.

Lock-out policy (per normalized username, existing or not)
    * 3 failures in an episode → the CAPTCHA is required before the next try.
    * 5 failures → locked 1 minute, then 2, 4, 8, and 15 minutes (the cap) for every further
      failure. The owner of a real account is emailed once per episode when the first lock starts.
    * An episode restarts 12 hours after its first failure (``should_reset``).
    * 100 failures since the last success → the long lock: that failure and every further one
      lock for 24 hours, so guessing slows to one try a day (the NIST SP 800-63B limit on
      consecutive failed attempts). It needs its own counter: with the 12-hour restart and the
      15-minute cap one episode holds at most ~55 failures, so the episode counter alone would never
      reach 100. A password reset, a successful sign-in or the service center
      (``clear_throttle_for``) lifts it at once.

    Every lock ends by itself. Whoever knows a username drives these counters, so a lock without an
    end would let anyone shut any owner out for good; a lock ends at most a day after the failure
    that set it, and the owner's way back in while locked is a password reset by email, which
    these counters never block (see ``services.recovery``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
import unicodedata
from dataclasses import dataclass, replace

# --- Usernames ---------------------------------------------------------------------------------


def normalize_username(raw: str) -> str:
    """NFKC, surrounding whitespace removed, case-folded: the form every lookup and digest uses."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def is_foreign_email_username(username: str, *, own_email: str) -> bool:
    """True when ``username`` looks like an email address (it has an "@") other than the
    account's own ``own_email``. Such a name is refused: the username step takes addresses too,
    and a username equal to someone else's address would be a second way to their sign-in."""
    name = normalize_username(username)
    return "@" in name and name != normalize_username(own_email or "")


# --- Lock-out policy ---------------------------------------------------------------------------

CAPTCHA_AFTER_FAILURES = 3
LOCK_AFTER_FAILURES = 5
LOCK_BASE = dt.timedelta(minutes=1)
LOCK_CAP = dt.timedelta(minutes=15)
HARD_LOCK_FAILURES = 100
LONG_LOCK = dt.timedelta(hours=24)
EPISODE_LENGTH = dt.timedelta(hours=12)


def compute_lock_duration(consecutive_failures: int) -> dt.timedelta | None:
    """None below 5 failures; then 1 min doubling per failure, capped at 15 min.

    5 → 1 min, 6 → 2, 7 → 4, 8 → 8, 9 and more → 15.
    """
    if consecutive_failures < LOCK_AFTER_FAILURES:
        return None
    exponent = consecutive_failures - LOCK_AFTER_FAILURES
    if exponent >= 4:  # 2**4 min already exceeds the cap; avoids huge powers
        return LOCK_CAP
    return min(LOCK_BASE * (2**exponent), LOCK_CAP)


def is_captcha_required(failures: int) -> bool:
    return failures >= CAPTCHA_AFTER_FAILURES


def is_hard_locked(failures: int) -> bool:
    return failures >= HARD_LOCK_FAILURES


def should_reset(first_failure_at: dt.datetime | None, now: dt.datetime) -> bool:
    """True when the episode's first failure is more than 12 hours old."""
    return first_failure_at is not None and now - first_failure_at > EPISODE_LENGTH


@dataclass(frozen=True)
class ThrottleState:
    """The lock-out record for one username digest, as plain values."""

    consecutive_failures: int = 0
    failures_since_success: int = 0
    first_failure_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None
    owner_notified: bool = False


@dataclass(frozen=True)
class FailureOutcome:
    state: ThrottleState
    lock_started: bool  # this failure started the episode's first lock
    notify_owner: bool  # email the owner (if the account exists): once per episode
    hard_lock_started: bool


@dataclass(frozen=True)
class GateDecision:
    """What the sign-in form must do before checking a password.

    Identical for an unknown username and a real one with the same history.
    """

    captcha_required: bool
    locked_until: dt.datetime | None
    hard_locked: bool  # in the 24-hour lock past 100 failures (``locked_until`` says when it ends)
    ip_throttled: bool = False

    @property
    def blocked(self) -> bool:
        """Refuse the attempt without checking the password."""
        return self.hard_locked or self.ip_throttled or self.locked_until is not None

    def retry_after_seconds(self, now: dt.datetime) -> int | None:
        """Whole seconds until a timed lock ends (None when not under a timed lock)."""
        if self.locked_until is None:
            return None
        return max(0, math.ceil((self.locked_until - now).total_seconds()))


def current_state(state: ThrottleState, now: dt.datetime) -> ThrottleState:
    """``state`` with a stale episode dropped (the failures since the last success are kept)."""
    if should_reset(state.first_failure_at, now):
        # A lock still running (the 24-hour one outlives its 12-hour episode) runs to its end.
        running = state.locked_until if state.locked_until and state.locked_until > now else None
        return ThrottleState(
            failures_since_success=state.failures_since_success, locked_until=running
        )
    return state


def compute_failure(state: ThrottleState, now: dt.datetime) -> FailureOutcome:
    """The record after one more failed attempt at ``now``."""
    state = current_state(state, now)
    failures = state.consecutive_failures + 1
    since_success = state.failures_since_success + 1
    duration = compute_lock_duration(failures)
    if is_hard_locked(since_success):
        duration = LONG_LOCK
    running = state.locked_until is not None and state.locked_until > now
    if running and since_success != HARD_LOCK_FAILURES:
        # A failure counted while a lock runs (a code checked after the password) never moves
        # its end: each retry during a pause would otherwise lengthen it. Only reaching the
        # ceiling starts the day-long lock at once.
        locked_until = state.locked_until
    else:
        locked_until = now + duration if duration is not None else state.locked_until
    notify_owner = duration is not None and not state.owner_notified
    new_state = replace(
        state,
        consecutive_failures=failures,
        failures_since_success=since_success,
        first_failure_at=state.first_failure_at or now,
        locked_until=locked_until,
        owner_notified=state.owner_notified or notify_owner,
    )
    return FailureOutcome(
        state=new_state,
        lock_started=failures == LOCK_AFTER_FAILURES,
        notify_owner=notify_owner,
        hard_lock_started=since_success == HARD_LOCK_FAILURES,
    )


def compute_gate_decision(
    state: ThrottleState,
    now: dt.datetime,
    *,
    global_breaker_tripped: bool = False,
    ip_throttled: bool = False,
) -> GateDecision:
    state = current_state(state, now)
    locked_until = state.locked_until
    if locked_until is not None and locked_until <= now:
        locked_until = None
    past_ceiling = is_hard_locked(state.failures_since_success)
    return GateDecision(
        captcha_required=(
            is_captcha_required(state.consecutive_failures)
            or past_ceiling
            or global_breaker_tripped
        ),
        locked_until=locked_until,
        hard_locked=past_ceiling and locked_until is not None,
        ip_throttled=ip_throttled,
    )


# --- Rate windows (per IP and global) ----------------------------------------------------------


def compute_ip_group(ip: str | None) -> str | None:
    """The unit an address is throttled as: IPv4 per address, IPv6 per /64; None if not an IP.

    One IPv6 subscriber usually holds a whole /64, so per-address counting would be useless.
    """
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def compute_window_index(now: dt.datetime, window_seconds: int) -> tuple[int, float]:
    """(index of the fixed window holding ``now``, fraction of that window already elapsed)."""
    epoch = now.timestamp()
    index = math.floor(epoch / window_seconds)
    return index, (epoch - index * window_seconds) / window_seconds


def estimate_sliding_count(current: int, previous: int, elapsed_fraction: float) -> float:
    """Sliding-window estimate from two fixed windows: the previous one weighted by its overlap."""
    return current + previous * (1.0 - elapsed_fraction)


# --- One-time codes ----------------------------------------------------------------------------

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
_CODE_RE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")


def normalize_code_input(text: str) -> str | None:
    """The six digits typed (spaces and dashes ignored), or None if it cannot be a code."""
    cleaned = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text))
    return cleaned if _CODE_RE.fullmatch(cleaned) else None


# A long one-time code: 12 symbols of the recovery-code alphabet (~59 bits), written in groups
# of four. Sent instead of 6 digits when a name's guesses at short codes are used up: nobody can
# guess it, so it needs no limit beyond its own five tries (see ``services.recovery``).
LONG_CODE_LENGTH = 12


def normalize_long_code_input(text: str) -> str | None:
    """``"7kq4 mx2p-9tra"`` → ``"7KQ4MX2P9TRA"``; None if it cannot be a long code."""
    return normalize_recovery_code(text)


# --- Recovery codes ----------------------------------------------------------------------------

# Crockford-style: no 0/O, 1/I/L or U. 30 symbols, 12 per code: 12 × log2(30) ≈ 58.9 bits.
RECOVERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_CODE_LENGTH = 12
RECOVERY_CODE_GROUP = 4
RECOVERY_CODE_COUNT = 10


def format_recovery_code(symbols: str) -> str:
    """``"7KQ4MX2P9TRA"`` → ``"7KQ4-MX2P-9TRA"``."""
    step = RECOVERY_CODE_GROUP
    return "-".join(symbols[i : i + step] for i in range(0, len(symbols), step))


def normalize_recovery_code(text: str) -> str | None:
    """Upper case, dashes and spaces removed; None if it cannot be one of our codes."""
    cleaned = re.sub(r"[\s\-\u2010-\u2015]", "", unicodedata.normalize("NFKC", text)).upper()
    if len(cleaned) != RECOVERY_CODE_LENGTH:
        return None
    if any(char not in RECOVERY_CODE_ALPHABET for char in cleaned):
        return None
    return cleaned


# --- Phone numbers -----------------------------------------------------------------------------

_E164_RE = re.compile(r"\+[1-9][0-9]{7,14}")


def normalize_phone_e164(text: str) -> str | None:
    """``"+1 (555) 010-0199"`` → ``"+15550100199"``; None if not an E.164 number.

    Only the shape is checked (plus sign, country code, 8-15 digits); whether the number can
    receive texts is proven by the verification code.
    """
    cleaned = re.sub(r"[\s().\-]", "", unicodedata.normalize("NFKC", text))
    return cleaned if _E164_RE.fullmatch(cleaned) else None
