"""Rate limits of the JSON API: a fixed one-minute window per access token (per address for
calls without a valid token), counted in the shared Django cache.

One cache operation per request in the steady state (``incr``; ``add`` starts a window). Each
request is counted once: by its token when authentication succeeds (``AccessToken``), otherwise
by the caller's address (``charge_address``, from the URL wrapper in ``api.py``). Every response
carries ``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset`` (IETF draft
"RateLimit header fields for HTTP"); a refused one is a 429 problem with ``Retry-After``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

from rxportal.api.problems import Problem
from rxportal.audit.services import client_ip

WINDOW_SECONDS = 60
DEFAULT_LIMIT_PER_MINUTE = 120
_STATE_ATTRIBUTE = "_api_rate_limit"


@dataclass(frozen=True)
class RateState:
    limit: int
    used: int
    reset_in: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit


def limit_per_minute() -> int:
    return int(getattr(settings, "RXPORTAL_API_RATE_LIMIT_PER_MINUTE", DEFAULT_LIMIT_PER_MINUTE))


def count(identity: str, *, now: float | None = None) -> RateState:
    """Count one request of ``identity`` in the current window (ids only: no PHI in keys)."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    reset_in = WINDOW_SECONDS - int(now % WINDOW_SECONDS)
    key = f"api-rate:{identity}:{window}"
    try:
        used = cache.incr(key)
    except ValueError:  # the first request of the window
        # add() loses only to another request that started the window first.
        used = 1 if cache.add(key, 1, timeout=reset_in + 1) else cache.incr(key)
    return RateState(limit=limit_per_minute(), used=int(used), reset_in=reset_in)


def charge(request: HttpRequest, identity: str) -> None:
    """Count this request for ``identity``; raise the 429 problem when over the limit."""
    state = count(identity)
    setattr(request, _STATE_ATTRIBUTE, state)
    if state.exceeded:
        raise too_many(state)


def charge_token(request: HttpRequest, token_id: int) -> None:
    charge(request, f"token:{token_id}")


def charge_address(request: HttpRequest) -> None:
    charge(request, f"ip:{client_ip(request) or 'unknown'}")


def is_charged(request: HttpRequest) -> bool:
    return hasattr(request, _STATE_ATTRIBUTE)


def too_many(state: RateState) -> Problem:
    return Problem.of(
        "rate-limited",
        _("At most %(limit)s requests a minute. Try again in %(seconds)s seconds.")
        % {"limit": state.limit, "seconds": state.reset_in},
        headers={"Retry-After": str(state.reset_in)},
    )


def add_headers(request: HttpRequest, response: HttpResponseBase) -> None:
    state: RateState | None = getattr(request, _STATE_ATTRIBUTE, None)
    if state is None:
        return
    response["RateLimit-Limit"] = str(state.limit)
    response["RateLimit-Remaining"] = str(state.remaining)
    response["RateLimit-Reset"] = str(state.reset_in)
