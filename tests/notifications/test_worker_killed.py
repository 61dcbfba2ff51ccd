"""A real Celery worker, killed (SIGKILL) in the middle of a batch of refill reminders, then
started again: every reminder is delivered once and none twice; the daily job run again tells
nobody a second time.

Needs PostgreSQL and Redis (``DATABASE_URL`` and ``REDIS_URL``, as CI runs the suite): the
worker is a separate process (``celery -A rxportal worker``, development settings) on the
test database, fed through the Redis broker. Its mail backend appends every message to a file
(``tests.notifications.support.DeliveryLogBackend``), a delivery log that outlives the
killed process, and holds the worker at a chosen message so the kill lands mid-batch. The
worker leases the rows it claims for ``LEASE_SECONDS``: a dead worker's rows are due again
(for the sweep) when its lease ends.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models.functions import Now

from rxportal.celery import app
from rxportal.notifications.models import Channel, Notification, Status
from rxportal.prescriptions import reminders
from tests.factories import MemberFactory, PrescriptionFactory, UserFactory
from tests.notifications.support import read_delivery_log

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
# This test's own queue and worker name in the Redis database (another worker may share it).
QUEUE = f"rxportal-worker-test-{os.getpid()}"
WORKER_NAME = f"{QUEUE}@{socket.gethostname()}"
PATIENTS = 30
HOLD_AT = 12  # the worker is held, then killed, while sending the 13th email
WAIT_SECONDS = 120
LEASE_SECONDS = 10  # the worker sends for half of it: 12 emails take far less, even under load

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The test process's own tasks run eagerly; send_task says so, and goes to the broker.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="a real worker needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL)",
    ),
]


def _database_url() -> str:
    """The test database pytest-django made, for the worker process."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def start_worker(mail_dir: Path, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "RXPORTAL_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="rxportal.settings.dev",
        RXPORTAL_ENV="development",
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_EMAIL_BACKEND="tests.notifications.support.DeliveryLogBackend",
        DJANGO_EMAIL_FILE_PATH=str(mail_dir),
        RXPORTAL_CACHE_PREFIX=f"rxportal-worker-test-{os.getpid()}",
        RXPORTAL_LOG_LEVEL="WARNING",
        RXPORTAL_TASK_QUEUE=QUEUE,
        RXPORTAL_OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    workers: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(workers)}.log").open("wb")
        worker = subprocess.Popen(
            [CELERY, "-A", "rxportal", "worker", "-n", WORKER_NAME, "--concurrency", "2",
             "--loglevel", "WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill takes the pool too
        )  # fmt: skip
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=5)
    with app.connection_for_write() as conn:  # nothing of this test left in the broker
        conn.default_channel.client.delete(QUEUE)


def wait_for(condition: Callable[[], Any], what: str, tmp_path: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(p.read_text()[-3000:] for p in tmp_path.glob("worker-*.log"))
            pytest.fail(f"waited {WAIT_SECONDS} s for {what}; worker logs:\n{logs}")
        time.sleep(0.2)


def due_patients(today: dt.date) -> list[str]:
    """Patients with an account and a prescription whose refill is allowed today."""
    addresses = []
    for number in range(PATIENTS):
        user = UserFactory(username=f"patient{number}", email=f"patient{number}@example.org")
        member = MemberFactory(user=user, first_name=f"Pat{number}")
        PrescriptionFactory(member=member, last_filled_on=today - dt.timedelta(days=30))
        addresses.append(user.email)
    return addresses


def counts() -> dict[str, int]:
    rows = Notification.objects.filter(kind=reminders.KIND)
    return {status: rows.filter(status=status).count() for status in Status.values}


def test_a_worker_killed_mid_batch_delivers_every_reminder_once_after_restart(
    start_worker: Callable[[], subprocess.Popen[bytes]],
    mail_dir: Path,
    tmp_path: Path,
    today: dt.date,
) -> None:
    expected = due_patients(today)
    (mail_dir / "hold-at").write_text(str(HOLD_AT))
    worker = start_worker()
    app.send_task("prescriptions.send_refill_reminders", queue=QUEUE)  # what beat sends every day

    wait_for(lambda: (mail_dir / "held").exists(), "the worker to reach the held email", tmp_path)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)

    sent_before = read_delivery_log(mail_dir)
    assert len(sent_before) == HOLD_AT
    # The message being sent at the kill was not committed as sent: still queued, with the
    # rest of the batch; nothing was lost and nothing is half-done.
    after_kill = counts()
    assert after_kill[Status.QUEUED] > 0 and after_kill[Status.FAILED] == 0
    assert after_kill[Status.QUEUED] + after_kill[Status.SENT] == 2 * PATIENTS

    start_worker()
    # Nobody sends the dead worker's claimed rows before its lease ends; then they are due.
    wait_for(lambda: leased_queued_rows() == 0, "the dead worker's lease to end", tmp_path)
    # The killed batch's task is not acknowledged (acks late); the broker gives it back after
    # its visibility timeout. Beat's minute sweep does not wait that long: send it now.
    app.send_task("notifications.deliver_due_notifications", queue=QUEUE)
    wait_for(
        lambda: counts()[Status.SENT] == 2 * PATIENTS, "every reminder to be delivered", tmp_path
    )
    assert sorted(read_delivery_log(mail_dir)) == sorted(expected)  # each once, none twice

    # The daily job again (beat ran twice, or a retry): nobody is told a second time.
    app.send_task("prescriptions.send_refill_reminders", queue=QUEUE)
    app.send_task("notifications.deliver_due_notifications", queue=QUEUE)
    wait_for(lambda: _broker_idle(), "the worker to finish the second run", tmp_path)
    assert counts() == {Status.QUEUED: 0, Status.SENT: 2 * PATIENTS, Status.FAILED: 0}
    assert sorted(read_delivery_log(mail_dir)) == sorted(expected)
    assert Notification.objects.filter(kind=reminders.KIND, channel=Channel.EMAIL).count() == (
        PATIENTS
    )


def leased_queued_rows() -> int:
    """Queued reminders that are not due yet: claimed by a worker, whose lease has not ended."""
    return Notification.objects.filter(
        kind=reminders.KIND, status=Status.QUEUED, next_attempt_at__gt=Now()
    ).count()


def _broker_idle() -> bool:
    """No task waiting in the queue, none running or reserved by a worker."""
    with app.connection_for_write() as conn:
        waiting = conn.default_channel.client.llen(QUEUE)
    if waiting:
        return False
    inspect = app.control.inspect(destination=[WORKER_NAME], timeout=1.0)
    busy = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
    return inspect.ping() is not None and not any(busy)
