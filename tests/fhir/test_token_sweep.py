"""The token sweep of FHIR Patient Access: Patient, Coverage and ExplanationOfBenefit, read and
searched by every person's app token, for every patient the token may have been given at
consent (SMART ``launch/patient``: the patient stored on the app's ``AppConsent``, which the
bearer check reads on every request), in each consent state of family one.

A token whose patient the holder may not see today answers 404 to everything; otherwise only
that patient's resources are found (a read of anyone else's id is a 404, a search for anyone
else is an empty bundle) and no answer carries another person's ids, names, drug or claim
numbers (a dependent's Coverage names their subscriber, as their ID card does). Each 200 writes
a ``phi.`` audit event with the edge ``fhir`` and the app, through the records door only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from rxportal.claims.models import Claim
from rxportal.connected_apps.models import AppConsent
from rxportal.members.models import Member
from rxportal.members.services import revoke_family_access
from tests.oauth_tokens import bearer
from tests.token_sweep_support import (  # world: a module fixture
    CONSENTS,
    EVERYONE,
    VIEWERS,
    DoorWatch,
    World,
    allowed,
    apply_consent,
    hidden_markers,
    leaks,
    markers,
    world,  # noqa: F401
)

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"


def speak_for(people: World, member: Member | None) -> None:
    """Every viewer's token speaks for ``member`` (picked at consent), or for its holder (None):
    the patient on the app's consent, as the consent screen stores it (undone with the test)."""
    for viewer in VIEWERS:
        patient = member or people.members[viewer]
        updated = AppConsent.objects.filter(
            user=people.user(viewer), application__client_id=people.apps[viewer]
        ).update(patient=patient)
        assert updated == 1, f"{viewer}'s app has no consent"


@dataclass
class FhirCaller:
    world: World
    viewer: str
    consent: str
    patient: str  # whose records the token speaks for
    door: DoorWatch
    client: Client = field(default_factory=lambda: Client(raise_request_exception=False))
    failures: list[str] = field(default_factory=list)
    # How a hidden patient is refused: 404, or 401 once their revoke also ended the app's
    # consent (members.services.revoke_family_access → connected_apps).
    refused_status: int = 404

    def __post_init__(self) -> None:
        self.visible = self.patient in allowed(self.viewer, self.consent)
        # Everyone's markers but the patient's own: one patient per token.
        others = hidden_markers(self.world, self.viewer, self.consent)
        for key in EVERYONE:
            if key != self.patient:
                others.update({marker: key for marker in markers(self.world, key)})
        for marker in markers(self.world, self.patient):
            others.pop(marker, None)
        self.others = others

    def fail(self, what: str) -> None:
        self.failures.append(f"[{self.consent}] {self.viewer} as {self.patient}: {what}")

    def get(self, url: str, *, found: bool | None) -> dict[str, Any] | None:
        """``found``: True 200, False 404, None a searchset bundle (its entries returned)."""
        before = self.door.last_pk()
        response = self.client.get(f"{BASE}/{url}", **bearer(self.world.tokens[self.viewer]))
        text = response.content.decode(errors="replace")
        allowed_here = dict(self.others)
        if url.startswith("Coverage"):  # a dependent's card names their subscriber
            head = self.world.members[self.patient].subscriber
            if head is not None:
                allowed_here.pop(str(head.public_id), None)
        for leak in leaks(text, {m: w for m, w in allowed_here.items() if m not in url}):
            self.fail(f"GET {url} showed {leak}")
        expected = self.refused_status if not self.visible else 404 if found is False else 200
        if response.status_code != expected:
            self.fail(f"GET {url}: {response.status_code}, expected {expected}")
            return None
        if response.status_code != 200:
            return None
        self._check_audit(url, before)
        return response.json()  # type: ignore[no-any-return]

    def _check_audit(self, url: str, before: int) -> None:
        ours = [
            event
            for event in self.door.phi_events_since(before)
            if event.details.get("edge") == "fhir"
            and event.details.get("app") == self.world.apps[self.viewer]
            and event.actor_id == self.world.user(self.viewer).pk
        ]
        if not ours:
            self.fail(f"GET {url} answered 200 without a phi. audit of edge fhir and its app")

    def search(self, url: str, *, matches: bool) -> None:
        bundle = self.get(url, found=None)
        if bundle is None:
            return
        entries = [e for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]
        if bool(entries) != matches:
            self.fail(f"GET {url}: {len(entries)} matches, expected {'some' if matches else 0}")

    def sweep(self) -> None:
        if not self.visible:  # the token's patient is hidden today: nothing at all
            me = self.world.members[self.patient].public_id
            for url in ("Patient", f"Patient/{me}", "Coverage", "ExplanationOfBenefit"):
                self.get(url, found=False)
            return
        for url in ("Patient", "Coverage", "ExplanationOfBenefit"):
            self.search(url, matches=True)
        for key in EVERYONE:
            mine = key == self.patient
            member_id = self.world.members[key].public_id
            self.get(f"Patient/{member_id}", found=mine)
            self.get(f"Coverage/{member_id}", found=mine)  # a coverage shares the member's id
            for claim in Claim.objects.filter(member=self.world.members[key]):
                self.get(f"ExplanationOfBenefit/{claim.public_id}", found=mine)
                self.search(f"ExplanationOfBenefit?_id={claim.public_id}", matches=mine)
            self.search(f"Patient?_id={member_id}", matches=mine)
            self.search(f"Coverage?patient={member_id}", matches=mine)
            self.search(f"ExplanationOfBenefit?patient=Patient/{member_id}", matches=mine)


@pytest.mark.parametrize("consent", CONSENTS)
def test_no_token_reads_another_members_resources_and_every_read_is_audited(
    world: World,  # noqa: F811
    consent: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply_consent(world, consent)
    door = DoorWatch(monkeypatch)
    failures: list[str] = []

    for patient in (None, *EVERYONE):
        speak_for(world, world.members[patient] if patient else None)
        for viewer in VIEWERS:
            caller = FhirCaller(world, viewer, consent, patient or viewer, door)
            caller.sweep()
            failures += caller.failures

    assert failures == [], "\n".join(failures)
    assert door.not_through_door() == {}, "phi. events written around records.record_phi_read"


def test_a_revoked_consent_ends_the_apps_view_on_the_next_request(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply_consent(world, "granted")
    door = DoorWatch(monkeypatch)
    adult_child = world.members["adult_child"]
    speak_for(world, adult_child)
    before = FhirCaller(world, "subscriber", "granted", "adult_child", door)
    before.sweep()
    assert before.failures == []

    assert adult_child.user is not None
    revoke_family_access(
        grantor=adult_child, grantee=world.members["subscriber"], actor=adult_child.user
    )

    # The revoke also ended the app's consent naming her: the token is refused outright.
    after = FhirCaller(world, "subscriber", "revoked", "adult_child", door, refused_status=401)
    assert not after.visible
    after.sweep()
    assert after.failures == []
