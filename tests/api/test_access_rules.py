"""Every endpoint about a person: the family rule by public id (another family's member and an
adult dependent without consent are both "not found"), the SMART read scope, and the audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rxportal.audit.models import AuditEvent
from tests.api.conftest import ApiClient, World, api_events, api_with_scope, problem
from tests.factories import MemberFactory

# (name, method, path, data builder, scope type, audit action)
Call = tuple[str, str, str, Callable[[World], dict[str, Any]], str, str]
MEMBER_CALLS: list[Call] = [
    ("profile", "get", "/api/v1/profile", lambda w: {}, "Patient", "phi.profile.viewed"),
    (
        "benefits",
        "get",
        "/api/v1/coverage/benefits",
        lambda w: {},
        "Coverage",
        "phi.benefits.viewed",
    ),
    (
        "drug coverage",
        "get",
        "/api/v1/drugs/{lipitor}/coverage",
        lambda w: {},
        "Coverage",
        "phi.drug_coverage.viewed",
    ),
    (
        "estimate",
        "get",
        "/api/v1/costs/estimate",
        lambda w: {"drug": str(w.atorvastatin.public_id)},
        "Coverage",
        "phi.cost_estimate.viewed",
    ),
    (
        "quote",
        "post",
        "/api/v1/costs/quotes",
        lambda w: {"drug": str(w.atorvastatin.public_id)},
        "Coverage",
        "pricing.quote.created",
    ),
]


def _call(client: ApiClient, call: Call, world: World, member: str | None) -> Any:
    _name, method, path, build, _scope, _action = call
    path = path.format(lipitor=world.lipitor.public_id)
    data = build(world)
    if member is not None:
        data["member"] = member
    if method == "post":
        return client.post(path, data)
    return client.get(path, data)


@pytest.mark.parametrize("call", MEMBER_CALLS, ids=[c[0] for c in MEMBER_CALLS])
def test_the_caller_and_a_minor_child_are_answered_and_audited(
    api: ApiClient, world: World, call: Call
) -> None:
    family = world.family
    own = _call(api, call, world, None)
    child = _call(api, call, world, str(family.minor_child.public_id))
    assert own.status_code in (200, 201), own.content
    assert child.status_code in (200, 201), child.content
    action = call[5]
    if action.startswith("phi."):
        events = api_events(action)
        assert [event.subject_id for event in events] == [
            str(family.subscriber.public_id),
            str(family.minor_child.public_id),
        ]
        assert all(event.details["app"] for event in events)


@pytest.mark.parametrize("call", MEMBER_CALLS, ids=[c[0] for c in MEMBER_CALLS])
@pytest.mark.parametrize("who", ["other family", "adult child", "spouse", "malformed"])
def test_anyone_the_caller_may_not_see_is_not_found(
    api: ApiClient, world: World, call: Call, who: str
) -> None:
    family = world.family
    member = {
        "other family": lambda: str(MemberFactory().public_id),
        "adult child": lambda: str(family.adult_child.public_id),
        "spouse": lambda: str(family.spouse.public_id),
        "malformed": lambda: "not-a-member-id",
    }[who]()
    before = AuditEvent.objects.filter(action__startswith="phi.").count()
    problem(_call(api, call, world, member), 404, "not-found")
    assert AuditEvent.objects.filter(action__startswith="phi.").count() == before


@pytest.mark.parametrize("call", MEMBER_CALLS, ids=[c[0] for c in MEMBER_CALLS])
def test_a_token_without_the_read_scope_is_refused(world: World, call: Call) -> None:
    other_type = "Coverage" if call[4] == "Patient" else "Patient"
    client = api_with_scope(world.family, f"openid patient/{other_type}.rs")
    response = _call(client, call, world, None)
    body = problem(response, 403, "insufficient-scope")
    scope = f"patient/{call[4]}.rs"
    assert body["scope"] == scope
    assert response["WWW-Authenticate"] == f'Bearer error="insufficient_scope", scope="{scope}"'


@pytest.mark.parametrize(
    "path", ["/api/v1/coverage/id-cards", "/api/v1/costs/quotes", "/api/v1/profile"]
)
def test_v1_and_v2_scopes_of_the_type_are_enough(world: World, path: str) -> None:
    kind = "Patient" if path.endswith("profile") else "Coverage"
    for scope in (f"patient/{kind}.read", f"patient/{kind}.rs", "patient/*.read"):
        assert api_with_scope(world.family, scope).get(path).status_code == 200
    problem(api_with_scope(world.family, "openid fhirUser").get(path), 403, "insufficient-scope")
