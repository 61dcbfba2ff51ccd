"""The token sweep of the JSON API: no token reads or changes another member's records, and every
read of member records is audited through the records door.

Each sweep runs with every person's app token allowed three ways (``BINDINGS``): without
``launch/patient`` (the app sees everyone the family rule shows its user), bound to the token
holder, and bound to a child the holder chose at consent: a bound token reads and changes only
that one patient's records (``allowed(viewer, consent, patient)``), and not even her while the
family rule hides her.

Every operation comes from the generated OpenAPI document, so an endpoint added later is swept
without anyone listing it:

* a GET without a path parameter is asked plainly, with ``member=<id>`` for each person of both
  families (when it takes ``member``: 404 problem iff the caller may not see that person) and
  with ``cursor=<id>`` of each hidden record of its tag's model (when it takes ``cursor``: never
  a page after someone else's record);
* a GET with one ``{public_id}`` is asked for every record of every person, found by the
  router's tag (``OWNED_BY_TAG``): 200 iff the caller may see that record, else a 404 problem;
* a write is asked against every record of every person the caller may not see (``WRITES``):
  a 404 problem and the rows untouched; and once against the caller's own record, to show the
  request is one the API accepts;
* no answer ever carries a hidden person's ids, names, drug or record numbers;
* each 200 of an operation that returns member records writes a ``phi.`` audit event with the
  edge ``api`` and the token's app, through ``records.reads.record_phi_read`` only.

An operation the sweep cannot build a request for goes in ``EXEMPT`` with the reason; the guard
test fails on an operation that is neither swept nor exempt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client

from rxportal.api.api import api
from rxportal.members.services import revoke_family_access
from rxportal.notifications.models import Notification
from rxportal.orders.models import MailOrder
from rxportal.prescriptions.models import Prescription, RefillRequest
from rxportal.pricing.models import PriceQuote
from tests.oauth_tokens import bearer
from tests.token_sweep_support import (  # world: a module fixture
    BINDINGS,
    CONSENTS,
    EVERYONE,
    OWNED_BY_TAG,
    SWEEP_ZIP,
    VIEWERS,
    DoorWatch,
    World,
    allowed,
    apply_consent,
    bind_tokens,
    bound_patient,
    hidden_markers,
    leaks,
    may_see_row,
    records_of,
    world,  # noqa: F401
)

pytestmark = pytest.mark.django_db

# Reads that return no member's records (the caller's own account data): no PHI audit.
NO_PHI_AUDIT = {
    "GET /api/v1/notifications": (
        "the caller's own inbox list: subjects and kinds, no drugs or costs (the /notifications/ "
        "page is not audited either); opening a message about records is"
    ),
    "GET /api/v1/notifications/unread-count": "a count of the caller's own unread messages",
    "GET /api/v1/notifications/preferences": "the caller's own notification settings",
}

# Settings of the account itself: a token bound to another patient (a child) has no say over
# them (404), any other token reads them.
ACCOUNT_SETTINGS = {"GET /api/v1/notifications/preferences"}

# Operations that return no member's records (the drug catalogue, pharmacies near a place): no
# PHI audit, and the drug names they show are the public catalogue's, not anyone's records. An
# operation without sign-in must be listed here (the guard test).
PUBLIC: dict[str, str] = {
    "GET /api/v1/drugs": "searches the public drug catalogue by name",
    "GET /api/v1/pharmacies": "pharmacies near a ZIP code or a point: the public network",
}

# The required query parameters of a read, for a caller (``people``: the world; ``viewer``: the
# token's patient): a real ZIP of the world's ZIP table, the patient's own drug.
REQUIRED_QUERY: dict[str, Callable[[World, str], dict[str, str]]] = {
    "GET /api/v1/drugs": lambda people, viewer: {"q": people.records[viewer].drug.name},
    "GET /api/v1/pharmacies": lambda people, viewer: {"zip": SWEEP_ZIP},
    "GET /api/v1/costs/estimate": lambda people, viewer: {
        "drug": str(people.records[viewer].drug.public_id)
    },
}

# Path ids that name no member's record (a drug of the catalogue): the caller's own drug; the
# operation is swept with ``member=`` like a list.
PUBLIC_PATH_ID: dict[str, Callable[[World, str], str]] = {
    "GET /api/v1/drugs/{drug_id}/coverage": lambda people, viewer: str(
        people.records[viewer].drug.public_id
    ),
}

# A path id of a member's record whose router's tag is not the record kind (``OWNED_BY_TAG``).
RECORD_KIND_BY_OPERATION = {"GET /api/v1/costs/quotes/{quote_id}": "quotes"}

# Operations the sweep cannot build a request for, with the reason.
EXEMPT = {
    "PATCH /api/v1/notifications/preferences": (
        "changes the caller's own settings only: the request names no member or record"
    ),
}


@dataclass
class Op:
    key: str  # "GET /api/v1/claims/{public_id}"
    method: str
    path: str
    tag: str
    path_params: list[str]
    query_params: set[str]
    required_query: set[str]
    public: bool

    def url(self, public_id: str = "", **query: str) -> str:
        path = (
            self.path.replace(f"{{{self.path_params[0]}}}", public_id) if public_id else self.path
        )
        return f"{path}?{urlencode(query)}" if query else path


def operations() -> dict[str, Op]:
    found = {}
    for path, item in api.get_openapi_schema()["paths"].items():
        for method, spec in item.items():
            params = spec.get("parameters", [])
            key = f"{method.upper()} {path}"
            found[key] = Op(
                key=key,
                method=method.upper(),
                path=path,
                tag=(spec.get("tags") or [""])[0],
                path_params=[p["name"] for p in params if p["in"] == "path"],
                query_params={p["name"] for p in params if p["in"] == "query"},
                required_query={p["name"] for p in params if p["in"] == "query" and p["required"]},
                public=not spec.get("security"),
            )
    return found


def record_kind(op: Op) -> str | None:
    """The ``OWNED_BY_TAG`` kind of the record an operation's path id names, if any."""
    if op.key in PUBLIC_PATH_ID:
        return None
    if op.key in RECORD_KIND_BY_OPERATION:
        return RECORD_KIND_BY_OPERATION[op.key]
    return op.tag if op.tag in OWNED_BY_TAG else None


def is_swept_read(op: Op) -> bool:
    """A GET the sweep knows how to ask: its required query parameters known (``REQUIRED_QUERY``),
    and no path parameter, or one record id of a kind the sweep knows, or one public id
    (``PUBLIC_PATH_ID``)."""
    if op.method != "GET" or (op.required_query and op.key not in REQUIRED_QUERY):
        return False
    if not op.path_params:
        return True
    return len(op.path_params) == 1 and (op.key in PUBLIC_PATH_ID or record_kind(op) is not None)


def needs_phi_audit(op: Op) -> bool:
    return op.key not in NO_PHI_AUDIT and op.key not in PUBLIC


# --- One caller's sweep ----------------------------------------------------------------------------


@dataclass
class Caller:
    world: World
    viewer: str
    consent: str
    door: DoorWatch
    # The one patient the token is bound to (``launch/patient``), or None: the family rule.
    patient: str | None = None
    client: Client = field(default_factory=lambda: Client(raise_request_exception=False))
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.seen = allowed(self.viewer, self.consent, self.patient)
        self.hidden = hidden_markers(self.world, self.viewer, self.consent, self.patient)
        self.drug_names = {records.drug.name for records in self.world.records.values()}
        # Whose records a request that names no member is about: the token's patient.
        self.home = self.patient or self.viewer

    def may_see(self, row: Any, owner: str) -> bool:
        return may_see_row(self.world, self.viewer, self.consent, row, owner, self.patient)

    def fail(self, what: str) -> None:
        bound = f" bound to {self.patient}" if self.patient else ""
        self.failures.append(f"[{self.consent}] {self.viewer}{bound}: {what}")

    def send(self, op: Op, url: str, body: Any = None) -> Any:
        """One request with the caller's token; checks the answer leaks no one hidden and, for
        a 200 of a read of member records, its audit."""
        before = self.door.last_pk()
        sender = getattr(self.client, op.method.lower())
        extra = bearer(self.world.tokens[self.viewer])
        if body is None:
            response = sender(url, **extra)
        else:
            response = sender(url, data=json.dumps(body), content_type="application/json", **extra)
        # A refusal may name the ids the request itself sent.
        asked = url + json.dumps(body)
        hidden = {marker: whose for marker, whose in self.hidden.items() if marker not in asked}
        if op.key in PUBLIC:  # the catalogue names every drug, whoever takes it
            hidden = {m: whose for m, whose in hidden.items() if m not in self.drug_names}
        for leak in leaks(response.content.decode(errors="replace"), hidden):
            self.fail(f"{op.method} {url} showed {leak}")
        if op.method == "GET" and response.status_code == 200 and needs_phi_audit(op):
            self._check_audit(url, before)
        return response

    def _check_audit(self, url: str, before: int) -> None:
        events = self.door.phi_events_since(before)
        ours = [
            event
            for event in events
            if event.details.get("edge") == "api"
            and event.details.get("app") == self.world.apps[self.viewer]
            and event.actor_id == self.world.user(self.viewer).pk
        ]
        if not ours:
            self.fail(f"GET {url} answered 200 without a phi. audit of edge api and its app")

    def expect(self, op: Op, url: str, *, visible: bool, body: Any = None) -> Any:
        response = self.send(op, url, body)
        if visible and response.status_code == 404:
            self.fail(f"{op.method} {url}: 404 for a record the caller may see")
        elif visible and op.method == "GET" and response.status_code != 200:
            self.fail(f"{op.method} {url}: {response.status_code}, expected 200")
        elif not visible and (
            response.status_code != 404 or response["Content-Type"] != "application/problem+json"
        ):
            self.fail(f"{op.method} {url}: {response.status_code}, expected a 404 problem")
        return response

    # --- reads ---

    def read(self, op: Op) -> None:
        if op.path_params and op.key not in PUBLIC_PATH_ID:
            self._read_each_record(op)
            return
        # The drug and place of the token's own patient: another's drug name would be a leak.
        path_id = PUBLIC_PATH_ID[op.key](self.world, self.home) if op.path_params else ""
        # (pharmacies need a place: zip or lat and lon, which the schema cannot mark required)
        needed = REQUIRED_QUERY.get(op.key)
        required = needed(self.world, self.home) if needed else {}
        own_account = self.patient in (None, self.viewer)
        visible = own_account if op.key in ACCOUNT_SETTINGS else True
        self.expect(op, op.url(path_id, **required), visible=visible)
        if "member" in op.query_params:
            for key in EVERYONE:
                member = str(self.world.members[key].public_id)
                url = op.url(path_id, **required, member=member)
                self.expect(op, url, visible=key in self.seen)
        if "cursor" in op.query_params and op.tag in OWNED_BY_TAG:
            model, owner = OWNED_BY_TAG[op.tag]
            for key in EVERYONE:
                for row in records_of(model, owner, self.world.members[key]):
                    if self.may_see(row, owner):
                        continue
                    url = op.url(cursor=str(row.public_id))
                    if self.send(op, url).status_code == 200:
                        self.fail(f"GET {url}: a page after a record the caller may not see")

    def _read_each_record(self, op: Op) -> None:
        kind = record_kind(op)
        assert kind is not None
        model, owner = OWNED_BY_TAG[kind]
        for key in EVERYONE:
            rows = records_of(model, owner, self.world.members[key])
            assert rows, f"{key} has no {model.__name__}: the sweep would prove nothing"
            for row in rows:
                visible = self.may_see(row, owner)
                self.expect(op, op.url(str(row.public_id)), visible=visible)


# --- Writes: against each hidden record (404, nothing changed) and the caller's own (accepted) --

Write = Callable[[Caller, Op, str, bool], None]


def _records_state(people: World, key: str) -> Any:
    member = people.members[key]
    return (
        list(PriceQuote.objects.filter(member=member).values_list("pk", flat=True)),
        list(RefillRequest.objects.filter(member=member).values_list("pk", "status")),
        list(MailOrder.objects.filter(member=member).values_list("pk", "status")),
        list(
            Prescription.objects.filter(member=member).values_list(
                "pk", "refills_remaining", "auto_refill", "status"
            )
        ),
    )


def _check_write(caller: Caller, op: Op, url: str, body: Any, target: str, own: bool) -> None:
    before = _records_state(caller.world, target)
    response = caller.expect(op, url, visible=own, body=body)
    if own and response.status_code >= 400:
        caller.fail(f"{op.key} on the caller's own record: {response.status_code} {body}")
    if not own and _records_state(caller.world, target) != before:
        caller.fail(f"{op.key} changed {target}'s records: {body}")


def write_refill(caller: Caller, op: Op, target: str, own: bool) -> None:
    member = caller.world.members[target]
    line = {"prescription": str(caller.world.records[target].rx.public_id)}
    for body in (
        {"member": str(member.public_id), "lines": [line], "fulfilment": "mail"},
        # The caller's own refill, with someone else's prescription in it.
        {"lines": [line], "fulfilment": "mail"},
    ):
        _check_write(caller, op, op.url(), body, target, own)
        if own:
            return


def write_auto_refill(caller: Caller, op: Op, target: str, own: bool) -> None:
    for rx in records_of(Prescription, "member", caller.world.members[target]):
        url = op.url(str(rx.public_id))
        _check_write(caller, op, url, {"enabled": not rx.auto_refill}, target, own)


def write_cancel(caller: Caller, op: Op, target: str, own: bool) -> None:
    for order in records_of(MailOrder, "member", caller.world.members[target]):
        url = op.url(str(order.public_id))
        _check_write(caller, op, url, {"reason": "no_longer_needed"}, target, own)
        if own:
            return


def write_mark_all_read(caller: Caller, op: Op, target: str, own: bool) -> None:
    """Takes no member or id: it may only mark the caller's own messages that the caller may
    see (a message about someone hidden stays as it was, as if it were not there)."""
    if not own:
        return
    viewer_user = caller.world.user(caller.viewer)
    untouchable = [
        message
        for message in Notification.objects.order_by("pk")
        if message.recipient_id != viewer_user.pk or not caller.may_see(message, "about_member")
    ]
    before = [(m.pk, m.read_at) for m in untouchable]
    response = caller.send(op, op.url())
    if response.status_code != 200:
        caller.fail(f"{op.key}: {response.status_code}")
    after = [
        (m.pk, m.read_at)
        for m in Notification.objects.filter(pk__in=[m.pk for m in untouchable]).order_by("pk")
    ]
    if after != before:
        caller.fail(f"{op.key} marked messages the caller may not see")


def write_quote(caller: Caller, op: Op, target: str, own: bool) -> None:
    """A quote for ``target`` (``member``) of their own drug: 404 and no quote saved unless the
    caller may see them."""
    member = caller.world.members[target]
    drug = caller.world.records[target].drug
    body = {"drug": str(drug.public_id), "member": str(member.public_id), "channel": "mail_90"}
    _check_write(caller, op, op.url(), body, target, own)


WRITES: dict[str, Write] = {
    "POST /api/v1/costs/quotes": write_quote,
    "POST /api/v1/refills": write_refill,
    "PUT /api/v1/prescriptions/{public_id}/auto-refill": write_auto_refill,
    "POST /api/v1/orders/{public_id}/cancel": write_cancel,
    "POST /api/v1/notifications/mark-all-read": write_mark_all_read,
}


# --- The tests ------------------------------------------------------------------------------------


def test_every_operation_is_swept_or_exempt_with_a_reason() -> None:
    ops = operations()
    unswept = sorted(
        key
        for key, op in ops.items()
        if not is_swept_read(op) and key not in WRITES and key not in EXEMPT
    )
    assert unswept == [], "add each to WRITES (a request builder) or EXEMPT (with the reason)"
    listed = {*NO_PHI_AUDIT, *PUBLIC, *EXEMPT, *WRITES}
    listed |= {*REQUIRED_QUERY, *PUBLIC_PATH_ID, *RECORD_KIND_BY_OPERATION}
    assert sorted(listed - set(ops)) == [], "a listed operation no longer exists"
    assert sorted(key for key, op in ops.items() if op.public and key not in PUBLIC) == []
    assert all(reason.strip() for reason in {**NO_PHI_AUDIT, **PUBLIC, **EXEMPT}.values())
    # The sweep covers reads of every record kind it knows of and the member filter.
    assert {record_kind(op) for op in ops.values() if op.path_params and is_swept_read(op)} >= {
        "claims",
        "prescriptions",
        "orders",
        "notifications",
        "refills",
        "quotes",
    }


@pytest.mark.parametrize("binding", BINDINGS)
@pytest.mark.parametrize("consent", CONSENTS)
def test_no_token_reads_another_members_records_and_every_read_is_audited(
    world: World,  # noqa: F811
    consent: str,
    binding: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply_consent(world, consent)
    bind_tokens(world, binding)
    door = DoorWatch(monkeypatch)
    reads = [op for op in operations().values() if is_swept_read(op)]
    failures: list[str] = []

    for viewer in VIEWERS:
        caller = Caller(world, viewer, consent, door, bound_patient(binding, viewer))
        for op in reads:
            caller.read(op)
        failures += caller.failures

    assert failures == [], "\n".join(failures)
    assert door.not_through_door() == {}, "phi. events written around records.record_phi_read"


@pytest.mark.parametrize("binding", BINDINGS)
@pytest.mark.parametrize("consent", CONSENTS)
def test_no_token_changes_another_members_records(
    world: World,  # noqa: F811
    consent: str,
    binding: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply_consent(world, consent)
    bind_tokens(world, binding)
    door = DoorWatch(monkeypatch)
    failures: list[str] = []
    ops = operations()

    for viewer in VIEWERS:
        caller = Caller(world, viewer, consent, door, bound_patient(binding, viewer))
        for key, write in WRITES.items():
            for target in EVERYONE:
                # The token's own patient: the write is accepted (when the family rule shows
                # her today); anyone else it may not act for: a 404 and nothing changed.
                own = target == caller.home and target in caller.seen
                if not own and target in caller.seen:
                    continue  # a family member the caller may act for: not this sweep's question
                with transaction.atomic():  # the caller's own write is undone for the next
                    write(caller, ops[key], target, own)
                    transaction.set_rollback(True)
        failures += caller.failures

    assert failures == [], "\n".join(failures)
    assert door.not_through_door() == {}


def test_a_revoked_consent_ends_the_tokens_view_on_the_next_request(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply_consent(world, "granted")
    bind_tokens(world, "family-wide")
    door = DoorWatch(monkeypatch)
    caller = Caller(world, "subscriber", "granted", door)
    claims = operations()["GET /api/v1/claims"]
    adult_child = world.members["adult_child"]
    url = claims.url(member=str(adult_child.public_id))
    assert caller.send(claims, url).status_code == 200

    assert adult_child.user is not None
    revoke_family_access(
        grantor=adult_child, grantee=world.members["subscriber"], actor=adult_child.user
    )

    caller = Caller(world, "subscriber", "revoked", door)
    caller.expect(claims, url, visible=False)
    for row in records_of(RefillRequest, "member", adult_child):
        caller.expect(
            operations()["GET /api/v1/refills/{public_id}"],
            f"/api/v1/refills/{row.public_id}",
            visible=False,
        )
    assert caller.failures == []
