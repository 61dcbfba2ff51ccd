"""The token sweeps' world (tests/api/test_token_sweep.py, tests/fhir/test_token_sweep.py): two
families, every member with records of every kind, an app token for each person who signs in,
and the access rule written out by hand so the sweeps do not trust the code they check.

Built once per test module, in a module transaction rolled back at the end (each test runs in a
savepoint inside it); a test sets the consent state it sweeps (``apply_consent``).

* Family one (the ``family`` fixture's people, each with an account): the subscriber, the
  spouse and the adult child (adults: their records need their consent), the minor child.
* Family two: its subscriber (an account) and a spouse (no account, no consent).
* Each person: a due prescription, an automatic-refill prescription whose mail order and refill
  request the daily job placed, a claim, a price quote, a saved address (the family-access
  sweep's ``_person``), and an inbox message about them (kind ``orders.shipped``, about PHI) to
  their subscriber and, when they have an account of their own, to themselves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from oauth2_provider.models import AccessToken

from rxportal.audit.models import AuditEvent
from rxportal.claims.models import Claim
from rxportal.connected_apps.models import AppConsent
from rxportal.core import clock
from rxportal.members.models import Member
from rxportal.notifications.models import Channel, Notification, Status
from rxportal.orders.models import MailOrder
from rxportal.pharmacies.models import ZipCentroid
from rxportal.prescriptions import services as rx_services
from rxportal.prescriptions.models import Prescription, RefillRequest
from rxportal.pricing.models import PriceQuote
from rxportal.records import reads
from tests.factories import DependentFactory, MemberFactory, UserFactory
from tests.members.test_family_access_sweep import Records, _person, _set_consent
from tests.oauth_tokens import issue_access_token, make_application

FAMILY = ("subscriber", "spouse", "minor_child", "adult_child")
OTHERS = ("other", "other_spouse")
EVERYONE = FAMILY + OTHERS
# Everyone who signs in and holds an app token ("other": family two's subscriber).
VIEWERS = ("subscriber", "spouse", "minor_child", "adult_child", "other")
CONSENTS = ("none", "granted", "revoked")
SCOPE = "openid launch/patient patient/*.read refills.write notifications.write quotes.write"
SWEEP_ZIP = "06103"  # Hartford, CT (data/reference)
NOTIFICATION_KIND = "orders.shipped"  # a PHI topic: opening it is audited


def allowed(viewer: str, consent: str, patient: str | None = None) -> set[str]:
    """Whose records ``viewer`` may see when family one's adult dependents have given
    (``granted``), never given (``none``) or withdrawn (``revoked``) consent: the rule, by hand.
    ``patient``: the one person the viewer's app token is bound to (the member allowed
    ``launch/patient`` and chose them at consent): then only that person, if the family rule
    lets the viewer see them at all; None: the app sees what the family rule shows."""
    if viewer == "other":
        family = {"other"}  # the spouse of family two never consented
    elif viewer != "subscriber":
        family = {viewer}
    elif consent == "granted":
        family = set(FAMILY)
    else:
        family = {"subscriber", "minor_child"}
    return family if patient is None else family & {patient}


# How each viewer's app token was allowed, for the JSON API sweep: without ``launch/patient``
# (the app sees everyone the family rule shows its user), or with it, bound to the patient
# chosen at consent (viewer -> patient; the viewer themselves when not listed).
BINDINGS: dict[str, dict[str, str] | None] = {
    "family-wide": None,
    "self": {},
    "a child": {"subscriber": "minor_child"},
}


def bound_patient(binding: str, viewer: str) -> str | None:
    chosen = BINDINGS[binding]
    return None if chosen is None else chosen.get(viewer, viewer)


def bind_tokens(world: World, binding: str) -> None:
    """Every viewer's app consent and token as ``binding`` says (undone with the test): the
    patient on the consent, and ``launch/patient`` in the consent's and the token's scopes only
    for a bound token."""
    for viewer in VIEWERS:
        patient = bound_patient(binding, viewer)
        scopes = SCOPE if patient is not None else SCOPE.replace("launch/patient ", "")
        user = world.user(viewer)
        updated = AppConsent.objects.filter(
            user=user, application__client_id=world.apps[viewer]
        ).update(patient=world.members[patient or viewer], scopes=scopes)
        assert updated == 1, f"{viewer}'s app has no consent"
        AccessToken.objects.filter(token=world.tokens[viewer]).update(scope=scopes)


@dataclass(frozen=True)
class World:
    members: dict[str, Member]
    records: dict[str, Records]  # everyone's first records (their drug among them)
    tokens: dict[str, str]  # viewer -> bearer token
    apps: dict[str, str]  # viewer -> the token's OAuth client id

    def user(self, viewer: str) -> AbstractBaseUser:
        user = self.members[viewer].user
        assert user is not None
        return user

    def key_of(self, member_pk: int) -> str:
        return next(key for key, member in self.members.items() if member.pk == member_pk)


def _inbox_message(recipient: AbstractBaseUser, about: Member) -> Notification:
    """An inbox row as ``notify`` writes it (already rendered; the subject names no one)."""
    return Notification.objects.create(
        recipient=recipient,
        about_member=about,
        kind=NOTIFICATION_KIND,
        channel=Channel.INBOX,
        language="en",
        subject="Your order shipped",
        body_text="It is on its way.",
        idempotency_key=uuid.uuid4().hex,
        status=Status.SENT,
        next_attempt_at=clock.now(),
    )


def build_world(today: dt.date) -> World:
    ZipCentroid.objects.create(zip_code=SWEEP_ZIP, latitude=41.76, longitude=-72.68, state="CT")
    subscriber = MemberFactory(
        user=UserFactory(username="sweep-subscriber"), first_name="Ines", last_name="Okafor"
    )
    other = MemberFactory(
        user=UserFactory(username="sweep-other"), first_name="Noor", last_name="Haddad"
    )
    members = {
        "subscriber": subscriber,
        "spouse": DependentFactory(
            subscriber=subscriber, spouse=True, first_name="Sam", user=UserFactory()
        ),
        "minor_child": DependentFactory(
            subscriber=subscriber,
            first_name="Lucia",
            date_of_birth=today.replace(year=today.year - 10, day=1),
            user=UserFactory(),
        ),
        "adult_child": DependentFactory(
            subscriber=subscriber,
            first_name="Mateo",
            date_of_birth=today.replace(year=today.year - 20, day=1),
            user=UserFactory(),
        ),
        "other": other,
        "other_spouse": DependentFactory(subscriber=other, spouse=True, first_name="Yara"),
    }
    people = {key: _person(key, member, today) for key, member in members.items()}
    run = rx_services.run_due_auto_refills(today=today, now=clock.now())
    assert run.failed == {}
    records = {}
    for key, person in people.items():
        auto_rx = person.pop("auto_rx")
        refill = RefillRequest.objects.get(lines__prescription=auto_rx)
        assert refill.mail_order is not None
        records[key] = Records(order=refill.mail_order, refill=refill, **person)
    for member in members.values():
        head = member.subscriber or member
        assert head.user is not None
        _inbox_message(head.user, member)
        if member.user is not None and member.subscriber is not None:
            _inbox_message(member.user, member)
    tokens, apps = {}, {}
    for viewer in VIEWERS:
        app = make_application(name=f"Sweep app of {viewer}")
        user = members[viewer].user
        assert user is not None
        tokens[viewer] = issue_access_token(user, scope=SCOPE, application=app)
        apps[viewer] = app.client_id
    return World(
        members=members,
        records=records,
        tokens=tokens,
        apps=apps,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world(clock.today())
        transaction.set_rollback(True)


def apply_consent(world: World, consent: str) -> None:
    """Family one's adult dependents grant (and the subscriber then orders a refill for each of
    them: the dependent's record, whoever placed it) or grant and then revoke, through the
    members services as the web's consent pages do; ``none`` changes nothing."""
    family = {key: world.records[key] for key in FAMILY}
    _set_consent(family, consent, clock.today())


# --- What each person's records are, and how to tell one was shown ------------------------------

# The models whose rows belong to a member, by the API router's tag (``owner``: the field that
# names whose record it is).
OWNED_BY_TAG: dict[str, tuple[type[Any], str]] = {
    "claims": (Claim, "member"),
    "prescriptions": (Prescription, "member"),
    "orders": (MailOrder, "member"),
    "notifications": (Notification, "about_member"),
    "refills": (RefillRequest, "member"),
    "quotes": (PriceQuote, "member"),
}


def records_of(model: type[Any], owner: str, member: Member) -> list[Any]:
    return list(model.objects.filter(**{owner: member}).order_by("pk"))


def may_see_row(
    world: World, viewer: str, consent: str, row: Any, owner: str, patient: str | None = None
) -> bool:
    """A member's record is visible when its patient is; a message only in its recipient's inbox
    (an email or text message is in no one's)."""
    seen = allowed(viewer, consent, patient)
    if not isinstance(row, Notification):
        return world.key_of(getattr(row, f"{owner}_id")) in seen
    return (
        row.channel == Channel.INBOX
        and row.recipient_id == world.user(viewer).pk
        and world.key_of(row.about_member_id) in seen
    )


def markers(world: World, key: str) -> set[str]:
    """Text that shows ``key``'s records: their public id and name, their drug, and the ids and
    numbers of every record of theirs."""
    member = world.members[key]
    found = {str(member.public_id), member.full_name, world.records[key].drug.name}
    for model, owner in OWNED_BY_TAG.values():
        for row in records_of(model, owner, member):
            found.add(str(row.public_id))
    found |= set(Claim.objects.filter(member=member).values_list("claim_number", flat=True))
    found |= set(MailOrder.objects.filter(member=member).values_list("order_number", flat=True))
    found |= set(Prescription.objects.filter(member=member).values_list("rx_number", flat=True))
    return found


def hidden_markers(
    world: World, viewer: str, consent: str, patient: str | None = None
) -> dict[str, str]:
    """Marker -> whose: everything of the people ``viewer`` may not see (through a token bound
    to ``patient``, when given), and the ids of inbox messages that are not the viewer's own."""
    seen = allowed(viewer, consent, patient)
    found = {marker: key for key in EVERYONE if key not in seen for marker in markers(world, key)}
    viewer_user = world.user(viewer)
    for message in Notification.objects.exclude(recipient=viewer_user):
        found[str(message.public_id)] = f"a message to someone else about {message.about_member_id}"
    # An order ships to the address of whoever placed it: the patient sees where their own order
    # went (a subscriber's name on an adult dependent's order the subscriber placed).
    for order in MailOrder.objects.filter(member__in=[world.members[key] for key in seen]):
        found.pop(order.ship_to_name, None)
    return found


def leaks(text: str, hidden: dict[str, str]) -> list[str]:
    return sorted(f"{whose}: {marker}" for marker, whose in hidden.items() if marker in text)


# --- Audits ----------------------------------------------------------------------------------------


class DoorWatch:
    """Every audit event ``records.reads.record_phi_read`` writes (watched at its own
    ``record_event``), so a ``phi.`` event written by any other path stands out."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.through_door: set[int] = set()
        real = reads.record_event

        def watched(**kwargs: Any) -> AuditEvent:
            event = real(**kwargs)
            self.through_door.add(event.pk)
            return event

        monkeypatch.setattr(reads, "record_event", watched)
        self.start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def last_pk(self) -> int:
        return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def phi_events_since(self, pk: int) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(pk__gt=pk, action__startswith="phi.").order_by("pk"))

    def not_through_door(self) -> dict[int, str]:
        return {
            event.pk: event.action
            for event in self.phi_events_since(self.start)
            if event.pk not in self.through_door
        }
