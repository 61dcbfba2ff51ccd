"""The daily refill reminders: who is told (the patient, and the subscriber under the one access
rule), which prescriptions count as due (the dashboard's rule), once per prescription and due
date however often the job runs, and the words (no drug in email or text; the inbox says it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from rxportal.members.models import Member
from rxportal.members.selectors import list_family_members_visible_to, list_viewers_of_members
from rxportal.notifications import kinds, services
from rxportal.notifications.models import Channel, Notification, Status
from rxportal.prescriptions import reminders
from rxportal.prescriptions.models import Prescription, PrescriptionStatus
from rxportal.prescriptions.tasks import send_refill_reminders
from tests.factories import UserFactory
from tests.members.factories import FamilyAccessGrantFactory
from tests.prescriptions.conftest import Setting, make_rx

pytestmark = pytest.mark.django_db

# The words of the kind, with facts as the job gives them (see test_notify's render check).
SAMPLE_CONTEXT: dict[str, Any] = {
    "first_name": "Dana",
    "patient_first_name": "Lucia",
    "drug_name": "Examplestatin 10 MG Oral Tablet",
    "due_date": "December 9, 2026",
    "about_self": False,
}


def run_job(capture: Any) -> None:
    with capture(execute=True):
        send_refill_reminders.delay()


def told(kind: str = reminders.KIND) -> dict[tuple[str, str], int]:
    """(username, channel) -> rows."""
    counts: dict[tuple[str, str], int] = {}
    for username, channel in Notification.objects.filter(kind=kind).values_list(
        "recipient__username", "channel"
    ):
        counts[(username, channel)] = counts.get((username, channel), 0) + 1
    return counts


def with_account(member: Member, username: str) -> Member:
    member.user = UserFactory(username=username, first_name=member.first_name)
    member.save(update_fields=["user"])
    return member


@pytest.mark.parametrize("about_self", [True, False])
def test_the_kind_renders_without_naming_the_drug_outside_the_inbox(about_self: bool) -> None:
    message = services.render_message(
        kinds.get_kind(reminders.KIND), {**SAMPLE_CONTEXT, "about_self": about_self}
    )

    assert message.subject and "\n" not in message.subject
    assert message.sms_text and "\n" not in message.sms_text
    for words in (message.subject, message.body_text, message.body_html, message.sms_text):
        assert "Examplestatin" not in words
    assert "Dana" in message.body_text and "December 9, 2026" in message.body_text
    assert "Examplestatin 10 MG Oral Tablet" in message.inbox_text
    assert "December 9, 2026" in message.inbox_text
    assert ("Lucia" in message.subject) is not about_self


def test_the_patient_and_the_subscriber_of_a_minor_are_told_once(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    family = setting.family
    own = make_rx(setting, today=today)  # due today
    make_rx(setting, member=family.minor_child, today=today, last_filled_days_ago=20)  # in 3 days

    run_job(django_capture_on_commit_callbacks)

    assert told() == {("subscriber", Channel.EMAIL): 2, ("subscriber", Channel.INBOX): 2}
    assert Notification.objects.filter(kind=reminders.KIND).exclude(status=Status.SENT).count() == 0
    assert len(mail.outbox) == 2
    by_subject = {message.subject: message for message in mail.outbox}
    assert set(by_subject) == {
        "A prescription of yours can be refilled soon",
        "A prescription of Lucia’s can be refilled soon",
    }
    for message in mail.outbox:
        assert setting.drug.name not in message.body
        assert setting.drug.name not in message.alternatives[0][0]  # type: ignore[attr-defined]
    inbox = Notification.objects.get(
        kind=reminders.KIND, channel=Channel.INBOX, idempotency_key__contains=str(own.public_id)
    )
    assert setting.drug.name in inbox.body_text
    assert inbox.link_path == "/prescriptions/"


def test_the_job_run_twice_tells_nobody_twice(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    make_rx(setting, today=today)

    run_job(django_capture_on_commit_callbacks)
    run_job(django_capture_on_commit_callbacks)

    assert told() == {("subscriber", Channel.EMAIL): 1, ("subscriber", Channel.INBOX): 1}
    assert len(mail.outbox) == 1


def test_a_new_due_date_is_a_new_reminder(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    rx = make_rx(setting, today=today)
    run_job(django_capture_on_commit_callbacks)
    Prescription.objects.filter(pk=rx.pk).update(last_filled_on=today - dt.timedelta(days=25))

    run_job(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 2


def test_an_adult_dependent_is_told_and_their_subscriber_only_with_consent(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    family = setting.family
    with_account(family.adult_child, "mateo")
    rx = make_rx(setting, member=family.adult_child, today=today)

    run_job(django_capture_on_commit_callbacks)
    assert set(told()) == {("mateo", Channel.EMAIL), ("mateo", Channel.INBOX)}

    grant = FamilyAccessGrantFactory(grantor=family.adult_child)
    Prescription.objects.filter(pk=rx.pk).update(last_filled_on=today - dt.timedelta(days=29))
    run_job(django_capture_on_commit_callbacks)
    assert told() == {
        ("mateo", Channel.EMAIL): 2,
        ("mateo", Channel.INBOX): 2,
        ("subscriber", Channel.EMAIL): 1,
        ("subscriber", Channel.INBOX): 1,
    }

    grant.revoked_at = timezone.now()
    grant.save()
    Prescription.objects.filter(pk=rx.pk).update(last_filled_on=today - dt.timedelta(days=28))
    run_job(django_capture_on_commit_callbacks)
    assert told()[("subscriber", Channel.EMAIL)] == 1  # not told again without consent
    assert told()[("mateo", Channel.EMAIL)] == 3


def test_a_spouse_without_an_account_and_without_consent_tells_nobody(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    make_rx(setting, member=setting.family.spouse, today=today)

    run_job(django_capture_on_commit_callbacks)

    assert told() == {}


@pytest.mark.parametrize(
    "prescription",
    [
        {"auto_refill": True},
        {"refills_remaining": 0},
        {"expires_in_days": -1},
        {"status": PrescriptionStatus.CANCELLED},
        {"last_filled_days_ago": 1},  # due in 22 days
        {"last_filled_days_ago": 40},  # due 17 days ago: past the catch-up week
    ],
    ids=["auto-refill", "no-refills-left", "expired", "cancelled", "not-yet", "long-overdue"],
)
def test_prescriptions_not_due_get_no_reminder(
    setting: Setting,
    today: dt.date,
    django_capture_on_commit_callbacks: Any,
    prescription: dict[str, Any],
) -> None:
    make_rx(setting, today=today, **prescription)

    run_job(django_capture_on_commit_callbacks)

    assert told() == {}
    assert mail.outbox == []


def test_a_never_filled_prescription_is_due_from_the_day_it_was_written(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    rx = make_rx(setting, today=today, last_filled_days_ago=None)
    Prescription.objects.filter(pk=rx.pk).update(written_on=today - dt.timedelta(days=2))

    run_job(django_capture_on_commit_callbacks)
    run_job(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    key = Notification.objects.filter(kind=reminders.KIND).values_list(
        "idempotency_key", flat=True
    )[0]
    assert (today - dt.timedelta(days=2)).isoformat() in key


def test_reminders_are_written_in_spanish(
    setting: Setting, today: dt.date, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "es"  # language_for: the site's language unless the person chose
    make_rx(setting, today=today)

    run_job(django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.subject == "Pronto podrá resurtir una de sus recetas"
    assert "a partir del" in message.body and " de 20" in message.body
    inbox = Notification.objects.get(kind=reminders.KIND, channel=Channel.INBOX)
    assert inbox.language == "es"
    assert inbox.body_text.startswith(f"Puede resurtir su receta de {setting.drug.name}")


def test_the_bulk_words_are_notify_words_with_names_escaped_only_in_html(
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = UserFactory(email="ana@example.org")
    facts = {**SAMPLE_CONTEXT, "first_name": 'Ana & "Bo" <i>', "due_date": dt.date(2026, 12, 9)}
    del facts["about_self"]

    with django_capture_on_commit_callbacks(execute=True):
        written = services.notify_many(
            kind=reminders.KIND,
            messages=[
                services.BulkMessage(
                    recipient=person,
                    facts=facts,
                    variant=(("about_self", False),),
                    idempotency_key="k1",
                )
            ],
        )

    expected = services.render_message(
        kinds.get_kind(reminders.KIND),
        {**facts, "due_date": "Dec. 9, 2026", "about_self": False},  # English DATE_FORMAT
    )
    assert written == 2
    email = Notification.objects.get(recipient=person, channel=Channel.EMAIL)
    assert (email.subject, email.body_text, email.body_html) == (
        expected.subject,
        expected.body_text,
        expected.body_html,
    )
    assert 'Ana & "Bo" <i>' in email.body_text
    assert "Ana &amp; &quot;Bo&quot; &lt;i&gt;" in email.body_html
    inbox = Notification.objects.get(recipient=person, channel=Channel.INBOX)
    assert inbox.body_text == expected.inbox_text
    assert {email.status, inbox.status} == {Status.SENT}


def test_a_template_that_filters_a_fact_is_refused(settings: Any, tmp_path: Any) -> None:
    folder = tmp_path / "notifications" / "messages" / "prescriptions" / "refill_due"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("{{ first_name|upper }}")
    (folder / "body.txt").write_text("Hello")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    with pytest.raises(ValueError, match="without filters"):
        services.notify_many(
            kind=reminders.KIND,
            messages=[
                services.BulkMessage(
                    recipient=UserFactory(), facts={"first_name": "Ana"}, idempotency_key="k2"
                )
            ],
        )


def test_who_may_see_a_member_is_the_access_rule_read_the_other_way(
    setting: Setting, today: dt.date
) -> None:
    family = setting.family
    for member, username in [
        (family.spouse, "sam"),
        (family.minor_child, "lucia"),
        (family.adult_child, "mateo"),
    ]:
        with_account(member, username)
    FamilyAccessGrantFactory(grantor=family.spouse)
    people = [family.subscriber, family.spouse, family.minor_child, family.adult_child]

    viewers = list_viewers_of_members(member_ids=[m.pk for m in people], today=today)

    for patient in people:
        expected = {
            viewer.user.username
            for viewer in people
            if patient in list_family_members_visible_to(viewer=viewer.user, today=today)
        }
        assert {v.user.username for v in viewers[patient.pk]} == expected
    assert {v.user.username for v in viewers[family.spouse.pk]} == {"sam", "subscriber"}
    assert {v.user.username for v in viewers[family.adult_child.pk]} == {"mateo"}


def test_notify_many_keys_are_each_persons_as_notifys_are(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """One event told to two people under one key tells each of them (``notify`` makes the key
    the person's; a bulk insert that ignores conflicts must too, or the second is dropped)."""
    people = [UserFactory(email="ana@example.org"), UserFactory(email="bo@example.org")]
    facts = {**SAMPLE_CONTEXT, "due_date": dt.date(2026, 12, 9)}
    del facts["about_self"]

    def tell() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.notify_many(
                kind=reminders.KIND,
                messages=[
                    services.BulkMessage(
                        recipient=person,
                        facts=facts,
                        variant=(("about_self", False),),
                        idempotency_key="one-event",
                    )
                    for person in people
                ],
            )

    assert tell() == 4
    assert tell() == 0  # a rerun tells nobody twice
    for person in people:
        assert Notification.objects.filter(recipient=person).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "bo@example.org"]


def test_a_fact_cannot_break_a_bulk_subject_into_header_lines(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """``notify`` folds a subject's whitespace after the facts are in; so must ``notify_many``,
    or a name with a line break in it makes a subject no mail backend will send. A fact holding
    the slot characters is printed as it is, never filled in again."""
    person = UserFactory(email="ana@example.org")
    slot = "\ue000first_name\ue001"
    facts = {
        **SAMPLE_CONTEXT,
        "first_name": "Ana",
        "patient_first_name": f"Lu\r\ncia {slot}",
        "due_date": dt.date(2026, 12, 9),
    }
    del facts["about_self"]

    with django_capture_on_commit_callbacks(execute=True):
        services.notify_many(
            kind=reminders.KIND,
            messages=[
                services.BulkMessage(
                    recipient=person,
                    facts=facts,
                    variant=(("about_self", False),),
                    idempotency_key="k-lines",
                )
            ],
        )

    email = Notification.objects.get(recipient=person, channel=Channel.EMAIL)
    assert email.subject == f"A prescription of Lu cia {slot}’s can be refilled soon"
    assert email.status == Status.SENT
    assert [m.subject for m in mail.outbox] == [email.subject]
