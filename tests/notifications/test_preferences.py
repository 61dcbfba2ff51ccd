"""Preferences per kind and channel, language per person and quiet hours for texts, as
``notify`` applies them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from rxportal.accounts.crypto import encrypt_text
from rxportal.accounts.gateways import FakeSmsGateway
from rxportal.accounts.models import SecurityProfile
from rxportal.core import clock
from rxportal.notifications import kinds, selectors, services
from rxportal.notifications.errors import (
    ChannelNotOffered,
    InvalidNotificationSettings,
    KindNotOptional,
)
from rxportal.notifications.models import Channel, Notification, NotificationPreference, Status
from tests.factories import UserFactory
from tests.notifications.support import OPTIONAL_KIND, install_optional_kind

pytestmark = pytest.mark.django_db

PHONE = "+12025550143"


@pytest.fixture
def optional_kind(monkeypatch: Any, settings: Any, tmp_path: Any) -> kinds.Kind:
    return install_optional_kind(monkeypatch, settings, tmp_path)


@pytest.fixture
def fake_sms(settings: Any) -> Any:
    settings.RXPORTAL_SMS_GATEWAY = "rxportal.accounts.gateways.FakeSmsGateway"
    FakeSmsGateway.outbox.clear()
    FakeSmsGateway.failures_to_come = 0
    yield FakeSmsGateway
    FakeSmsGateway.outbox.clear()
    FakeSmsGateway.failures_to_come = 0


def confirm_mobile(user: Any) -> None:
    SecurityProfile.objects.update_or_create(
        user=user,
        defaults={
            "sms_phone_encrypted": encrypt_text(PHONE),
            "sms_phone_last4": PHONE[-4:],
            "sms_phone_verified": True,
        },
    )


def notify(user: Any, kind: str, key: str = "e1", **context: Any) -> list[Notification]:
    with transaction.atomic():
        return services.notify(recipient=user, kind=kind, context=context, idempotency_key=key)


# --- The matrix: every kind x channel x on/off ---------------------------------------------


def _matrix() -> list[Any]:
    cases = []
    for code, kind in sorted(kinds.KINDS.items()):
        for channel in kind.channels:
            for enabled in (True, False):
                cases.append(pytest.param(code, channel, enabled, id=f"{code}-{channel}-{enabled}"))
    return cases


@pytest.mark.parametrize(("code", "channel", "enabled"), _matrix())
def test_the_preference_matrix(code: str, channel: str, enabled: bool, fake_sms: Any) -> None:
    user = UserFactory()
    confirm_mobile(user)
    kind = kinds.get_kind(code)
    locked = not kind.optional and channel in kind.default_channels

    if locked and not enabled:
        with pytest.raises(KindNotOptional):
            services.set_preference(user=user, kind=code, channel=channel, enabled=False)
        assert channel in services.channels_for(user, kind)
        return
    services.set_preference(user=user, kind=code, channel=channel, enabled=enabled)

    assert (channel in services.channels_for(user, kind)) is enabled
    # Only departures from the default are stored.
    stored = NotificationPreference.objects.filter(user=user, kind=code, channel=channel)
    assert stored.exists() is (enabled != (channel in kind.default_channels))


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS, Channel.INBOX])
@pytest.mark.parametrize("enabled", [True, False])
def test_an_optional_kind_follows_the_persons_choice(
    optional_kind: kinds.Kind, fake_sms: Any, channel: str, enabled: bool
) -> None:
    user = UserFactory()
    confirm_mobile(user)

    services.set_preference(user=user, kind=OPTIONAL_KIND, channel=channel, enabled=enabled)
    rows = notify(user, OPTIONAL_KIND, first_name="Ana", drug="Lisinopril")

    assert (channel in {row.channel for row in rows}) is enabled


def test_a_security_notice_cannot_be_switched_off() -> None:
    user = UserFactory()
    for channel in (Channel.EMAIL, Channel.INBOX):
        with pytest.raises(KindNotOptional):
            services.set_preference(
                user=user, kind="security.password_changed", channel=channel, enabled=False
            )
    # Even a row written behind the service's back does not switch it off.
    NotificationPreference.objects.create(
        user=user, kind="security.password_changed", channel=Channel.EMAIL, enabled=False
    )
    rows = notify(user, "security.sign_in_paused")
    assert sorted(row.channel for row in rows) == [Channel.EMAIL, Channel.INBOX]
    channels = services.channels_for(user, kinds.get_kind("security.password_changed"))
    assert Channel.EMAIL in channels


def test_a_channel_the_kind_does_not_go_by_is_refused() -> None:
    with pytest.raises(ChannelNotOffered):
        services.set_preference(
            user=UserFactory(), kind="security.sign_in_paused", channel=Channel.SMS, enabled=True
        )


def test_texts_go_only_to_a_confirmed_number(optional_kind: kinds.Kind, fake_sms: Any) -> None:
    user = UserFactory()
    services.set_preference(user=user, kind=OPTIONAL_KIND, channel=Channel.SMS, enabled=True)
    assert Channel.SMS not in services.channels_for(user, optional_kind)

    SecurityProfile.objects.update_or_create(
        user=user,
        defaults={"sms_phone_encrypted": encrypt_text(PHONE), "sms_phone_verified": False},
    )
    assert Channel.SMS not in services.channels_for(user, optional_kind)

    confirm_mobile(user)
    assert Channel.SMS in services.channels_for(user, optional_kind)


def test_email_only_with_an_address(optional_kind: kinds.Kind) -> None:
    assert services.channels_for(UserFactory(email=""), optional_kind) == [Channel.INBOX]


def test_the_settings_page_saves_the_whole_matrix(optional_kind: kinds.Kind) -> None:
    user = UserFactory()
    # The page posts every ticked box: the other kinds' defaults stay ticked.
    others = {
        (kind.code, channel)
        for kind in kinds.KINDS.values()
        if kind.code != OPTIONAL_KIND
        for channel in kind.default_channels
    }
    changed = services.save_preferences(
        user=user,
        switched_on=others | {(OPTIONAL_KIND, Channel.INBOX), (OPTIONAL_KIND, Channel.SMS)},
    )
    assert changed == 2  # email off, text on; locked kinds untouched
    assert set(NotificationPreference.objects.filter(user=user).values_list("kind", flat=True)) == {
        OPTIONAL_KIND
    }
    assert selectors.get_channel_choices(user=user, kind=OPTIONAL_KIND) == {
        Channel.EMAIL: False,
        Channel.SMS: True,
    }
    assert not NotificationPreference.objects.filter(user=user, kind__startswith="security.")


# --- Language ---------------------------------------------------------------------------------


def test_the_language_is_the_sites_until_the_person_chooses() -> None:
    user = UserFactory()
    assert services.language_for(user) == "en"
    services.save_settings(
        user=user,
        language="es",
        quiet_hours_start=None,
        quiet_hours_end=None,
        time_zone="America/Chicago",
    )
    assert services.language_for(user) == "es"


def test_a_notice_is_written_in_the_persons_language(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = UserFactory(email="ana@example.org")
    services.save_settings(
        user=user,
        language="es",
        quiet_hours_start=None,
        quiet_hours_end=None,
        time_zone="America/New_York",
    )
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(user, "security.sign_in_paused")

    assert {row.language for row in rows} == {"es"}
    [message] = mail.outbox
    assert message.subject != "Sign-in to your rxportal account was paused"
    assert "rxportal" in message.subject


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"language": "fr"}, "notification.language"),
        ({"quiet_hours_start": dt.time(22)}, "notification.quiet_hours"),
        ({"time_zone": "Mars/Olympus_Mons"}, "notification.time_zone"),
    ],
)
def test_invalid_settings_are_refused(fields: dict[str, Any], code: str) -> None:
    values: dict[str, Any] = {
        "language": "en",
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "time_zone": "America/New_York",
        **fields,
    }
    with pytest.raises(InvalidNotificationSettings) as error:
        services.save_settings(user=UserFactory(), **values)
    assert error.value.code == code


# --- Quiet hours ------------------------------------------------------------------------------


def _with_quiet_hours(user: Any) -> None:
    services.save_settings(
        user=user,
        language="en",
        quiet_hours_start=dt.time(21, 0),
        quiet_hours_end=dt.time(8, 0),
        time_zone="America/Chicago",
    )


def test_a_text_in_quiet_hours_waits_for_their_end(
    optional_kind: kinds.Kind,
    fake_sms: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    late = dt.datetime(2026, 5, 4, 3, 30, tzinfo=dt.UTC)  # 22:30 in Chicago, May 3
    monkeypatch.setattr(clock, "now", lambda: late)
    user = UserFactory()
    confirm_mobile(user)
    _with_quiet_hours(user)
    services.set_preference(user=user, kind=OPTIONAL_KIND, channel=Channel.SMS, enabled=True)

    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(user, OPTIONAL_KIND, first_name="Ana")

    by_channel = {row.channel: row for row in rows}
    text = Notification.objects.get(pk=by_channel[Channel.SMS].pk)
    assert text.status == Status.QUEUED
    assert text.next_attempt_at == dt.datetime(2026, 5, 4, 13, 0, tzinfo=dt.UTC)  # 08:00 CDT
    assert fake_sms.outbox == []
    # Email and the inbox are not held back.
    assert Notification.objects.get(pk=by_channel[Channel.EMAIL].pk).status == Status.SENT
    assert len(mail.outbox) == 1

    assert services.deliver_due_notifications(now=text.next_attempt_at) == 1
    assert [sms.to for sms in fake_sms.outbox] == [PHONE]


def test_a_bulk_text_in_quiet_hours_waits_for_their_end_too(
    optional_kind: kinds.Kind,
    fake_sms: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    late = dt.datetime(2026, 5, 4, 3, 30, tzinfo=dt.UTC)  # 22:30 in Chicago, May 3
    monkeypatch.setattr(clock, "now", lambda: late)
    user = UserFactory()
    confirm_mobile(user)
    _with_quiet_hours(user)
    services.set_preference(user=user, kind=OPTIONAL_KIND, channel=Channel.SMS, enabled=True)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify_many(
            kind=OPTIONAL_KIND,
            messages=[
                services.BulkMessage(
                    recipient=user, facts={"first_name": "Ana", "drug": "x"}, idempotency_key="b1"
                )
            ],
        )

    text = Notification.objects.get(recipient=user, channel=Channel.SMS)
    assert text.status == Status.QUEUED
    assert text.next_attempt_at == dt.datetime(2026, 5, 4, 13, 0, tzinfo=dt.UTC)  # 08:00 CDT
    assert fake_sms.outbox == []
    assert Notification.objects.get(recipient=user, channel=Channel.EMAIL).status == Status.SENT


def test_a_text_outside_quiet_hours_goes_at_once(
    optional_kind: kinds.Kind,
    fake_sms: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    noon = dt.datetime(2026, 5, 4, 17, 0, tzinfo=dt.UTC)  # noon in Chicago
    monkeypatch.setattr(clock, "now", lambda: noon)
    user = UserFactory()
    confirm_mobile(user)
    _with_quiet_hours(user)
    services.set_preference(user=user, kind=OPTIONAL_KIND, channel=Channel.SMS, enabled=True)

    with django_capture_on_commit_callbacks(execute=True):
        notify(user, OPTIONAL_KIND, first_name="Ana")

    assert [(sms.to, sms.body) for sms in fake_sms.outbox] == [
        (PHONE, "rxportal: a refill is due. Sign in to see it.")
    ]


def test_an_sms_provider_error_in_a_request_is_a_retry_not_an_error(
    optional_kind: kinds.Kind,
    fake_sms: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    user = UserFactory()
    confirm_mobile(user)
    services.set_preference(user=user, kind=OPTIONAL_KIND, channel=Channel.SMS, enabled=True)
    fake_sms.failures_to_come = 1

    with django_capture_on_commit_callbacks(execute=True):  # the task runs in process: no raise
        rows = notify(user, OPTIONAL_KIND, first_name="Ana")

    text = Notification.objects.get(pk=next(r.pk for r in rows if r.channel == Channel.SMS))
    assert (text.status, text.last_error_code, text.attempts) == (Status.QUEUED, "sms.provider", 1)
    assert services.deliver_due_notifications(now=text.next_attempt_at) == 1
    assert len(fake_sms.outbox) == 1
