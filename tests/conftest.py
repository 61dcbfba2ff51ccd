"""Fixtures shared by the whole suite (factories live in tests/factories.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from rxportal.core import clock
from rxportal.members.models import Member

# The autouse fixture purges the append-only audit trail before a transactional test's flush;
# it asks for audit_trail_purged, so both are imported here for the whole suite.
from tests.audit.support import (  # noqa: F401 (fixtures, see support.py)
    audit_trail_purged,
    purge_audit_trail_before_flush,
)
from tests.factories import DependentFactory, MemberFactory, UserFactory

# No per-example deadline: on a shared 2-core machine under load an example can take longer than
# Hypothesis's default 200 ms, and a deadline failure there says nothing about the code.
hypothesis_settings.register_profile("rxportal", deadline=None)
hypothesis_settings.load_profile("rxportal")


@dataclass(frozen=True)
class Family:
    """A subscriber who can sign in, with a spouse, a child of 10 and a child of 20."""

    subscriber: Member
    spouse: Member
    minor_child: Member
    adult_child: Member


@pytest.fixture(autouse=True)
def language_reset_after_each_test() -> Iterator[None]:
    """Each test starts in the default language: LocaleMiddleware leaves a Spanish request's
    language active in the thread, which made later tests' English assertions order-dependent."""
    yield
    translation.deactivate()


@pytest.fixture
def today() -> dt.date:
    return clock.today()


@pytest.fixture
def family(db: None, today: dt.date) -> Family:
    subscriber = MemberFactory(
        user=UserFactory(username="subscriber"), first_name="Dana", last_name="Rivera"
    )
    return Family(
        subscriber=subscriber,
        spouse=DependentFactory(subscriber=subscriber, spouse=True, first_name="Sam"),
        minor_child=DependentFactory(
            subscriber=subscriber,
            first_name="Lucia",
            date_of_birth=today.replace(year=today.year - 10, day=1),
        ),
        adult_child=DependentFactory(
            subscriber=subscriber,
            first_name="Mateo",
            date_of_birth=today.replace(year=today.year - 20, day=1),
        ),
    )


@pytest.fixture(scope="session", autouse=True)
def replica_streaming_when_configured() -> None:
    """With DATABASE_REPLICA_URL set, a replica that is down fails the run rather than letting
    the replica tests pass by reading the primary (see tests/core/replica_support.py)."""
    from tests.core.replica_support import check_replica_streaming

    check_replica_streaming()
