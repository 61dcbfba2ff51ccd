"""The database router's rules, without a replica: which alias a read or a write goes to.

tests/core/test_read_replica.py proves the same rules against a real streaming replica.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, router
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from rxportal.claims.models import Claim
from rxportal.core.db_router import (
    ReadYourWritesMiddleware,
    alias_for_read,
    forget_replica_health,
    pinned_to_primary,
    reading_from_replica,
    reads_from_replica,
)
from tests.core.replica_support import unreachable_replica

# A replica alias in the settings is all the router looks at; nothing here connects to it.
_WITH_REPLICA = {**settings.DATABASES, "replica": {**settings.DATABASES["default"]}}


@pytest.fixture
def replica_lag() -> Iterator[mock.Mock]:
    """The replica's health probe, answering "caught up" unless a test says otherwise."""
    forget_replica_health()
    with mock.patch(
        "rxportal.core.db_router.measure_replica_lag_seconds", return_value=0.0
    ) as probe:
        yield probe
    forget_replica_health()


@pytest.fixture
def replica_configured(replica_lag: mock.Mock) -> Iterator[None]:
    with override_settings(DATABASES=_WITH_REPLICA, RXPORTAL_REPLICA_READS=True):
        yield


pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def test_reads_go_to_the_primary_unless_code_asks_for_the_replica(replica_configured) -> None:
    assert router.db_for_read(Claim) == "default"
    with reading_from_replica():
        assert router.db_for_read(Claim) == "replica"
    assert router.db_for_read(Claim) == "default"


def test_a_decorated_selector_reads_the_replica_only_while_it_runs(replica_configured) -> None:
    @reads_from_replica
    def selector() -> str:
        return router.db_for_read(Claim)

    assert selector() == "replica"
    assert router.db_for_read(Claim) == "default"


def test_writes_never_go_to_the_replica(replica_configured) -> None:
    with reading_from_replica():
        assert router.db_for_write(Claim) == "default"


def test_without_a_replica_or_with_replica_reads_off_everything_reads_the_primary() -> None:
    with reading_from_replica():
        assert alias_for_read() == "default"  # the test settings turn replica reads off
    with override_settings(DATABASES=_WITH_REPLICA), reading_from_replica():
        assert alias_for_read() == "default"


def test_a_pinned_request_reads_the_primary(replica_configured) -> None:
    with pinned_to_primary(), reading_from_replica():
        assert alias_for_read() == "default"


def test_inside_a_transaction_reads_stay_on_the_primary(replica_configured, db) -> None:
    # The test runs in a transaction (``db``): what it wrote is only on the primary.
    with reading_from_replica():
        assert alias_for_read() == "default"


def test_a_replica_that_does_not_answer_sends_reads_to_the_primary_until_the_next_check(
    replica_configured, replica_lag: mock.Mock
) -> None:
    replica_lag.side_effect = OperationalError("connection to 10.0.0.7 failed for rx-reader")
    with override_settings(RXPORTAL_REPLICA_CHECK_SECONDS=5), reading_from_replica():
        assert alias_for_read() == "default"
        assert alias_for_read() == "default"
        assert replica_lag.call_count == 1  # one probe per interval, not one per read

        replica_lag.side_effect = None
        replica_lag.return_value = 0.0
        with mock.patch("time.monotonic", return_value=time.monotonic() + 6):
            assert alias_for_read() == "replica"  # back once a later check finds it answering
        assert replica_lag.call_count == 2


def test_a_replica_further_behind_than_allowed_sends_reads_to_the_primary(
    replica_configured, replica_lag: mock.Mock
) -> None:
    replica_lag.return_value = 31.0
    with override_settings(RXPORTAL_REPLICA_MAX_LAG_SECONDS=30), reading_from_replica():
        assert alias_for_read() == "default"
        forget_replica_health()
        replica_lag.return_value = None  # lag unknown: never replayed, not caught up
        assert alias_for_read() == "default"
        forget_replica_health()
        replica_lag.return_value = 29.0
        assert alias_for_read() == "replica"


def test_the_replica_is_not_probed_when_no_read_asks_for_it(
    replica_configured, replica_lag: mock.Mock
) -> None:
    assert alias_for_read() == "default"
    with pinned_to_primary(), reading_from_replica():
        assert alias_for_read() == "default"
    with override_settings(RXPORTAL_REPLICA_READS=False), reading_from_replica():
        assert alias_for_read() == "default"
    assert replica_lag.call_count == 0


@pytest.mark.django_db(databases=[])
def test_an_unreachable_replica_server_sends_reads_to_the_primary(django_db_blocker: Any) -> None:
    forget_replica_health()
    with (
        unreachable_replica(RXPORTAL_REPLICA_READS=True),
        django_db_blocker.unblock(),
        reading_from_replica(),
    ):
        assert alias_for_read() == "default"
    forget_replica_health()


def test_the_replica_is_never_migrated() -> None:
    assert router.allow_migrate("replica", "claims") is False
    assert router.allow_migrate("default", "claims") is True


def _alias_seen_by_view(request: HttpRequest) -> HttpResponse:
    with reading_from_replica():
        return HttpResponse(alias_for_read())


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_request_that_could_write_reads_the_primary_and_pins_the_browser(
    replica_configured, method: str
) -> None:
    request = getattr(RequestFactory(), method)("/orders/")
    response = ReadYourWritesMiddleware(_alias_seen_by_view)(request)

    assert response.content == b"default"
    cookie = response.cookies[settings.RXPORTAL_PRIMARY_PIN_COOKIE_NAME]
    assert cookie["max-age"] == settings.RXPORTAL_REPLICA_PIN_SECONDS
    assert cookie["httponly"]


def test_a_pinned_browser_reads_the_primary_and_others_the_replica(replica_configured) -> None:
    middleware = ReadYourWritesMiddleware(_alias_seen_by_view)
    pinned = RequestFactory().get("/orders/")
    pinned.COOKIES[settings.RXPORTAL_PRIMARY_PIN_COOKIE_NAME] = "1"

    assert middleware(pinned).content == b"default"
    fresh = middleware(RequestFactory().get("/orders/"))
    assert fresh.content == b"replica"
    assert settings.RXPORTAL_PRIMARY_PIN_COOKIE_NAME not in fresh.cookies  # reading pins nothing


def test_apps_with_a_bearer_token_read_the_primary(replica_configured) -> None:
    request = RequestFactory().get("/api/v1/orders", HTTP_AUTHORIZATION="Bearer x")
    assert ReadYourWritesMiddleware(_alias_seen_by_view)(request).content == b"default"


def test_without_a_replica_no_pin_cookie_is_set() -> None:
    response = ReadYourWritesMiddleware(_alias_seen_by_view)(RequestFactory().post("/orders/"))
    assert settings.RXPORTAL_PRIMARY_PIN_COOKIE_NAME not in response.cookies


def _replica_settings_in_a_fresh_process(
    env_overrides: dict[str, str],
    printed: str = "r and (r['HOST'], r['PORT'], r['NAME']), s.RXPORTAL_REPLICA_READS",
) -> str:
    root = Path(settings.BASE_DIR)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RXPORTAL_"))}
    env.update(DJANGO_SETTINGS_MODULE="rxportal.settings.dev", **env_overrides)
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        f"r = s.DATABASES.get('replica'); print({printed})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_replica_url_without_a_database_reads_the_primarys_database() -> None:
    printed = _replica_settings_in_a_fresh_process(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/rxportal",
            "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:5433",
        }
    )
    assert printed == "('127.0.0.1', 5433, 'rxportal') True"


def test_sqlite_has_no_replica() -> None:
    printed = _replica_settings_in_a_fresh_process(
        {"DATABASE_URL": "sqlite:///:memory:", "DATABASE_REPLICA_URL": "postgres://h:5433"}
    )
    assert printed == "None False"


def test_the_replica_connection_times_out_like_the_primarys() -> None:
    printed = _replica_settings_in_a_fresh_process(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/rxportal",
            "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:5433",
            "RXPORTAL_DB_CONNECT_TIMEOUT": "3",
        },
        printed="sorted(r['OPTIONS'].items())",
    )
    assert printed == str(
        sorted(
            {
                "connect_timeout": 3,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            }.items()
        )
    )
