"""Who gets in: every named URL of the member portal, the client portal, the staff console, My
Account and the back office's index pages, asked (GET) by every role, against ONE table.

The outcome classes: ``ok`` (200), ``login`` (sent to sign in), ``403``, ``404``, ``405`` (a
POST-only URL reached past its access check), ``verify`` (the console sends the agent to verify
the caller first), ``away`` (another redirect: a page that sends this role elsewhere). A URL
in a covered namespace without a row fails ``test_every_url_has_a_row``; the data each page
shows is the business of the sweeps (tests/members/test_family_access_sweep.py,
tests/clients/test_views.py, tests/staff/test_phi_view_audit.py), not of this test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from wagtail.models import Page

from rxportal.accounts.models import User
from rxportal.clients import services as client_services
from rxportal.clients.models import ClientLink
from rxportal.core import clock
from rxportal.sponsor_tools import services as sponsor_tools_services
from rxportal.whatif.models import WhatIfRun
from tests.factories import ClientFactory, PlanFactory, UserFactory
from tests.members.test_family_access_sweep import Records, sweep_family
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db

__all__ = ["sweep_family"]  # a fixture, used by name

ROLES = (
    "anonymous",
    "member",
    "dependent",
    "client",
    "advisor",
    "service_center",
    "account_team",
    "superuser",
)
COVERED_NAMESPACES = (
    "analytics",
    "web",
    "pharmacies",
    "formulary",
    "pricing",
    "prescriptions",
    "orders",
    "claims",
    "members",
    "clients",
    "sponsor_tools",
    "staff",
    "whatif",
    "connected_apps",
)
MY_ACCOUNT_PREFIXES = ("rx_myaccount", "rx_session", "rx_remove_webauthn")


def covered_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if namespace in COVERED_NAMESPACES:
                    names.add(f"{namespace}:{pattern.name}")
                elif not namespace and pattern.name.startswith(MY_ACCOUNT_PREFIXES):
                    names.add(pattern.name)

    walk(get_resolver().url_patterns, "")
    names.add("admin:index")
    names.update(f"admin:app_list:{label}" for label in _admin_apps())
    return names


def _admin_apps() -> list[str]:
    return sorted({model._meta.app_label for model in admin.site._registry})


@dataclass
class Scene:
    records: Records
    objects: dict[str, Any]

    def url(self, name: str) -> str:
        if name.startswith("admin:app_list:"):
            return reverse("admin:app_list", args=[name.rsplit(":", 1)[1]])
        return reverse(name, args=ARGS.get(name, lambda s: [])(self)) + QUERY.get(name, "")


# The console's record pages take the reason code in the query string.
QUERY = {
    "staff:member_orders": "?reason=order_question",
    "staff:member_order": "?reason=order_question",
    "staff:member_claims": "?reason=claim_question",
    "staff:member_claim": "?reason=claim_question",
}
ARGS: dict[str, Callable[[Scene], list[Any]]] = {
    "formulary:drug": lambda s: [s.records.drug.public_id],
    "pricing:quote": lambda s: [s.records.quote.public_id],
    "prescriptions:refill_detail": lambda s: [s.records.refill.public_id],
    "prescriptions:auto_refill": lambda s: [s.records.rx.public_id],
    "prescriptions:renewal": lambda s: [s.records.rx.public_id],
    "orders:address_set_default": lambda s: [s.records.address.public_id],
    "orders:address_remove": lambda s: [s.records.address.public_id],
    "orders:detail": lambda s: [s.records.order.public_id],
    "orders:cancel": lambda s: [s.records.order.public_id],
    "claims:detail": lambda s: [s.records.claim.public_id],
    "web:id_card_pdf": lambda s: [s.records.member.public_id],
    "rx_myaccount_forget_device": lambda s: [uuid.uuid4()],
    "connected_apps:disconnect": lambda s: [uuid.uuid4()],
    "rx_remove_webauthn": lambda s: [1],
    "clients:request_detail": lambda s: [s.objects["request"].public_id],
    "clients:tool": lambda s: [s.objects["acme"].public_id, s.objects["grant"].tool],
    # The client has only asked for drug trend (pending): no one in the scene holds a grant.
    "analytics:drug_trend": lambda s: [s.objects["acme"].public_id],
    "analytics:drug_trend_csv": lambda s: [s.objects["acme"].public_id],
    "analytics:drug_trend_pdf": lambda s: [s.objects["acme"].public_id],
    "sponsor_tools:eligibility": lambda s: [s.objects["acme"].public_id],
    "sponsor_tools:claims_reports": lambda s: [s.objects["acme"].public_id],
    "sponsor_tools:claims_report": lambda s: [
        s.objects["acme"].public_id,
        s.objects["report"].public_id,
    ],
    "sponsor_tools:claims_report_download": lambda s: [
        s.objects["acme"].public_id,
        s.objects["report"].public_id,
    ],
    "sponsor_tools:claims_report_again": lambda s: [
        s.objects["acme"].public_id,
        s.objects["report"].public_id,
    ],
    "staff:member_detail": lambda s: [s.records.member.public_id],
    "staff:member_records": lambda s: [s.records.member.public_id],
    "staff:member_orders": lambda s: [s.records.member.public_id],
    "staff:member_order": lambda s: [s.records.member.public_id, s.records.order.public_id],
    "staff:member_claims": lambda s: [s.records.member.public_id],
    "staff:member_claim": lambda s: [s.records.member.public_id, s.records.claim.public_id],
    "staff:member_challenges_reset": lambda s: [s.records.member.public_id],
    "staff:user_detail": lambda s: [s.records.member.user.public_id],
    "staff:client_user_help": lambda s: [s.objects["client"].public_id],
    "staff:clients_user": lambda s: [s.objects["client"].public_id],
    "staff:clients_request": lambda s: [s.objects["request"].public_id],
    "staff:clients_grant_revoke": lambda s: [s.objects["grant"].public_id],
    "staff:clients_link_end": lambda s: [s.objects["link"].public_id],
    "whatif:list": lambda s: [s.objects["acme"].public_id],
    "whatif:new": lambda s: [s.objects["acme"].public_id],
    "whatif:compare": lambda s: [s.objects["acme"].public_id],
    "whatif:run": lambda s: [s.objects["acme"].public_id, s.objects["whatif_run"].public_id],
    "staff:notifications_resend": lambda s: [uuid.uuid4()],
}


@pytest.fixture
def scene(sweep_family: dict[str, Records]) -> Scene:
    agent = make_user("matrix.accounts", "account_team")
    acme = ClientFactory(name="Acme Manufacturing")
    client = make_user(
        "casey.client", "client", first_name="Casey", last_name="Nguyen", organization_claim="Acme"
    )
    advisor = make_user("ari.advisor", "advisor", organization_claim="Brokerage")
    for user in (client, advisor):
        client_services.link_user_to_client(
            user=user, client=acme, actor=agent, method="called_contact", now=clock.now()
        )
    granted = client_services.submit_access_request(
        requester=client, client=acme, tool="eligibility", business_reason="HR.", now=clock.now()
    )
    client_services.decide_access_request(
        access_request=granted,
        actor=agent,
        approve=True,
        reason="Confirmed.",
        method="called_contact",
        now=clock.now(),
    )
    pending = client_services.submit_access_request(
        requester=client, client=acme, tool="drug-trend", business_reason="HR.", now=clock.now()
    )
    reports_request = client_services.submit_access_request(
        requester=client, client=acme, tool="claims-reports", business_reason="HR.", now=clock.now()
    )
    client_services.decide_access_request(
        access_request=reports_request, actor=agent, approve=True, reason="Confirmed.",
        method="called_contact", now=clock.now(),
    )  # fmt: skip
    reports_request.refresh_from_db()
    report = sponsor_tools_services.request_claims_report(
        grant=reports_request.grant,
        actor=client,
        start=clock.today() - dt.timedelta(days=30),
        end=clock.today(),
    )
    sponsor_tools_services.build_claims_report(report_id=report.pk, now=clock.now())
    return Scene(
        records=sweep_family["subscriber"],
        objects={
            "agent": agent,
            "acme": acme,
            "client": client,
            "advisor": advisor,
            "request": pending,
            "grant": granted.grant,
            "report": report,
            "link": ClientLink.objects.get(user=client, client=acme),
            "dependent": sweep_family["adult_child"].member.user,
            "whatif_run": WhatIfRun.objects.create(
                client=acme, plan=PlanFactory(client=acme), inputs={}, inputs_hash="0" * 64
            ),
        },
    )


def _http(role: str, scene: Scene) -> Client:
    http = Client()
    if role == "anonymous":
        return http
    users: dict[str, Callable[[], User]] = {
        "member": lambda: scene.records.member.user,
        "dependent": lambda: scene.objects["dependent"],
        "client": lambda: scene.objects["client"],
        "advisor": lambda: scene.objects["advisor"],
        "service_center": lambda: make_user("matrix.service", "service_center"),
        "account_team": lambda: scene.objects["agent"],
        "superuser": lambda: get_user_model().objects.create_superuser(
            username="matrix.root", password="x" * 24, role="admin"
        ),
    }
    http.force_login(users[role]())
    if role in {"service_center", "superuser"}:  # the caller checks the member pages ask for
        member = scene.records.member
        found = http.post(
            reverse("staff:member_find"),
            {
                "first_name": member.first_name,
                "last_name": member.last_name,
                "date_of_birth": member.date_of_birth.isoformat(),
                "zip_code": member.zip_code,
            },
        )
        assert found.status_code == 302, found
    return http


def classify(response: HttpResponseBase) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(
            (reverse("account_login"), reverse("web:login"), reverse("admin:login"))
        ):
            return "login"
        if location.startswith(
            (
                reverse("staff:member_lookup"),
                reverse("staff:member_find"),
                reverse("staff:client_user_find"),
            )
        ):
            return "verify"
        return "away"
    return "ok" if response.status_code == 200 else str(response.status_code)


def observe(scene: Scene, role: str) -> dict[str, str]:
    http = _http(role, scene)
    return {name: classify(http.get(scene.url(name))) for name in sorted(covered_names())}


# --- THE table: one row per URL, one outcome per role ------------------------------------------
# Columns: anonymous, member (the subscriber, whose records the URLs name), dependent (an adult
# child: someone else's records are 404), client (linked, the requester and grant holder),
# advisor (linked to the same client, not the requester), service center (caller verified),
# account team, superuser (caller verified). POST-only URLs answer GET with 405; some check the
# method before sign-in (anonymous 405 too), which is harmless: the POST is checked.
TABLE: dict[str, tuple[str, str, str, str, str, str, str, str]] = {
    "admin:app_list:account": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:accounts": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:audit": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:auth": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:claims": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:clients": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:formulary": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:members": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:mfa": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:orders": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:pharmacies": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:plans": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:prescriptions": (
        "login",
        "login",
        "login",
        "login",
        "login",
        "404",
        "404",
        "ok",
    ),
    "admin:app_list:pricing": ("login", "login", "login", "login", "login", "404", "404", "ok"),
    "admin:app_list:usersessions": (
        "login",
        "login",
        "login",
        "login",
        "login",
        "404",
        "404",
        "ok",
    ),
    "admin:index": ("login", "login", "login", "login", "login", "ok", "ok", "ok"),
    "analytics:drug_trend": ("login", "403", "403", "404", "404", "403", "403", "404"),
    "analytics:drug_trend_csv": ("login", "403", "403", "404", "404", "403", "403", "404"),
    "analytics:drug_trend_pdf": ("login", "403", "403", "404", "404", "403", "403", "404"),
    "claims:detail": ("login", "ok", "404", "403", "403", "403", "403", "403"),
    "claims:export_csv": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "claims:list": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "claims:statement_pdf": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "clients:home": ("login", "403", "403", "ok", "ok", "403", "403", "ok"),
    "clients:link_request_new": ("login", "403", "403", "ok", "ok", "403", "403", "ok"),
    "clients:request_detail": ("login", "403", "403", "ok", "404", "403", "403", "404"),
    "clients:request_new": ("login", "403", "403", "ok", "ok", "403", "403", "ok"),
    "clients:tool": ("login", "403", "403", "ok", "404", "403", "403", "404"),
    "formulary:drug": ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "formulary:search": ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "formulary:suggest": ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "members:family_access": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "members:family_access_grant": ("login", "away", "ok", "403", "403", "403", "403", "403"),
    "members:family_access_revoke": ("login", "away", "away", "403", "403", "403", "403", "403"),
    "orders:address_add": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "orders:address_remove": ("login", "ok", "404", "403", "403", "403", "403", "403"),
    "orders:address_set_default": ("login", "405", "405", "403", "403", "403", "403", "403"),
    "orders:addresses": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "orders:cancel": ("login", "ok", "404", "403", "403", "403", "403", "403"),
    "orders:detail": ("login", "ok", "404", "403", "403", "403", "403", "403"),
    "orders:list": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "pharmacies:finder": ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "prescriptions:auto_refill": ("405", "405", "405", "405", "405", "405", "405", "405"),
    "prescriptions:list": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "prescriptions:refill_choose": ("405", "405", "405", "405", "405", "405", "405", "405"),
    "prescriptions:refill_confirm": ("405", "405", "405", "405", "405", "405", "405", "405"),
    "prescriptions:refill_detail": ("login", "ok", "404", "403", "403", "403", "403", "403"),
    "prescriptions:refill_review": ("405", "405", "405", "405", "405", "405", "405", "405"),
    "prescriptions:renewal": ("405", "405", "405", "405", "405", "405", "405", "405"),
    "pricing:estimate": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "pricing:quote": ("login", "ok", "404", "403", "403", "403", "403", "403"),
    "pricing:quotes": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "pricing:save_quote": ("login", "405", "405", "403", "403", "403", "403", "403"),
    "rx_myaccount": ("login", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    # My Account > Connected apps: everyone's own list (empty for those who are not members).
    "connected_apps:list": ("login", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "connected_apps:disconnect": ("login", "405", "405", "405", "405", "405", "405", "405"),
    "rx_myaccount_challenges": ("login", "away", "away", "away", "away", "away", "away", "away"),
    "rx_myaccount_end_other_sessions": ("login", "405", "405", "405", "405", "405", "405", "405"),
    "rx_myaccount_forget_device": ("login", "405", "405", "405", "405", "405", "405", "405"),
    "rx_myaccount_password": ("login", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "rx_myaccount_recovery_codes": ("login", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "rx_myaccount_recovery_codes_download": (
        "login",
        "405",
        "405",
        "405",
        "405",
        "405",
        "405",
        "405",
    ),
    "rx_myaccount_sitekey": ("login", "away", "away", "away", "away", "away", "away", "away"),
    "rx_myaccount_sms": ("login", "away", "away", "away", "away", "away", "away", "away"),
    "rx_remove_webauthn": ("login", "away", "away", "away", "away", "away", "away", "away"),
    "rx_session_keep_alive": ("405", "405", "405", "405", "405", "405", "405", "405"),
    "rx_session_status": ("401", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "sponsor_tools:claims_report": ("login", "403", "403", "ok", "404", "403", "403", "404"),
    "sponsor_tools:claims_report_again": (
        "login",
        "403",
        "403",
        "405",
        "405",
        "403",
        "403",
        "405",
    ),
    "sponsor_tools:claims_report_download": (
        "login",
        "403",
        "403",
        "ok",
        "404",
        "403",
        "403",
        "404",
    ),
    "sponsor_tools:claims_reports": ("login", "403", "403", "ok", "404", "403", "403", "404"),
    "sponsor_tools:eligibility": ("login", "403", "403", "ok", "404", "403", "403", "404"),
    "staff:notifications_failed": ("login", "403", "403", "403", "403", "ok", "ok", "ok"),
    "staff:notifications_resend": ("login", "403", "403", "403", "403", "405", "405", "405"),
    "staff:client_user_find": ("login", "403", "403", "403", "403", "ok", "ok", "ok"),
    "staff:client_user_help": ("login", "403", "403", "403", "403", "verify", "verify", "verify"),
    "staff:clients_directory": ("login", "403", "403", "403", "403", "ok", "ok", "ok"),
    "staff:clients_grant_revoke": ("login", "403", "403", "403", "403", "403", "ok", "ok"),
    "staff:clients_link_end": ("login", "403", "403", "403", "403", "403", "ok", "ok"),
    "staff:clients_queue": ("login", "403", "403", "403", "403", "403", "ok", "ok"),
    "staff:clients_request": ("login", "403", "403", "403", "403", "403", "ok", "ok"),
    "staff:clients_user": ("login", "403", "403", "403", "403", "403", "ok", "ok"),
    "staff:home": ("login", "403", "403", "403", "403", "ok", "ok", "ok"),
    "staff:member_challenges_reset": ("login", "403", "403", "403", "403", "405", "403", "405"),
    "staff:member_claim": ("login", "403", "403", "403", "403", "ok", "403", "ok"),
    "staff:member_claims": ("login", "403", "403", "403", "403", "ok", "403", "ok"),
    "staff:member_detail": ("login", "403", "403", "403", "403", "ok", "403", "ok"),
    "staff:member_find": ("login", "403", "403", "403", "403", "ok", "403", "ok"),
    "staff:member_lookup": ("login", "403", "403", "403", "403", "ok", "403", "ok"),
    "staff:member_order": ("login", "403", "403", "403", "403", "ok", "403", "ok"),
    "staff:member_orders": ("login", "403", "403", "403", "403", "ok", "403", "ok"),
    "staff:member_records": ("login", "403", "403", "403", "403", "ok", "403", "ok"),
    "staff:user_detail": ("login", "403", "403", "403", "403", "403", "ok", "ok"),
    "staff:user_search": ("login", "403", "403", "403", "403", "403", "ok", "ok"),
    "web:benefits": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "web:dashboard": ("login", "ok", "ok", "away", "away", "ok", "ok", "away"),
    "web:home": ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "web:id_card": ("login", "ok", "ok", "403", "403", "403", "403", "403"),
    "web:id_card_pdf": ("login", "ok", "404", "403", "403", "403", "403", "403"),
    "web:login": ("login", "login", "login", "login", "login", "login", "login", "login"),
    "web:logout": ("ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    # The what-if asks what the drug-trend dashboard asks: the portal permission (else the
    # audited 403) and a live drug-trend grant (the scene's client has only a pending request).
    "whatif:compare": ("login", "403", "403", "404", "404", "403", "403", "404"),
    "whatif:list": ("login", "403", "403", "404", "404", "403", "403", "404"),
    "whatif:new": ("login", "403", "403", "404", "404", "403", "403", "404"),
    "whatif:run": ("login", "403", "403", "404", "404", "403", "403", "404"),
}


def test_every_url_has_a_row() -> None:
    names = covered_names()
    assert sorted(names - set(TABLE)) == [], "add a row to TABLE for each new URL"
    assert sorted(set(TABLE) - names) == [], "a row for a URL that no longer exists"


@pytest.mark.parametrize("role", ROLES)
def test_who_gets_in(scene: Scene, role: str) -> None:
    column = ROLES.index(role)
    expected = {name: row[column] for name, row in TABLE.items()}

    observed = observe(scene, role)

    wrong = {
        name: (expected.get(name), got)
        for name, got in observed.items()
        if got != expected.get(name)
    }
    assert wrong == {}, f"{role}: (expected, got) per URL"


def test_a_staff_role_without_its_groups_permissions_gets_nothing(scene: Scene) -> None:
    """The role string opens nothing by itself: a service-center account outside its group
    (its permissions taken away) is refused every console page."""
    agent = UserFactory(username="no.group", role="service_center", is_staff=True)
    http = Client()
    http.force_login(agent)
    agent.groups.clear()  # signing in put them in the group; take it away again
    for name in sorted(n for n in TABLE if n.startswith("staff:")):
        assert classify(http.get(scene.url(name))) in {"403", "405"}, name


# --- The Wagtail prefixes: help center, content hub, its documents and the editor -------------
# Served by Wagtail, not by named URLs, so they have a table of their own, with one more
# column: a content editor (account-team staff in the "Content editors" group). The hub is for
# clients and advisors (each their audience; this item is for both), content editors preview
# it; members and other staff are told nothing (404). The help center is public. /cms/ is for
# content editors only (anyone else signed in: 403).
CONTENT_ROLES = (
    "anonymous",
    "member",
    "client",
    "advisor",
    "service_center",
    "account_team",
    "superuser",
    "content_editor",
)
HUB_READERS = ("login", "404", "ok", "ok", "404", "404", "ok", "ok")
EDITORS_ONLY = ("login", "403", "403", "403", "403", "403", "ok", "ok")
PUBLIC = ("ok",) * len(CONTENT_ROLES)
CONTENT_TABLE: dict[str, tuple[str, ...]] = {
    "/help/": PUBLIC,
    "/help/contact/": PUBLIC,
    "/hub/": HUB_READERS,
    "/hub/tools/": HUB_READERS,
    "hub item": HUB_READERS,
    "hub document": HUB_READERS,
    "/cms/": EDITORS_ONLY,
    "/cms/pages/": EDITORS_ONLY,
}


@pytest.fixture
def content_urls(db: None, settings: Any, tmp_path: Any) -> dict[str, str]:
    """The hub's tree with one tool (and its document) for both audiences, and the help
    center's home and contact page: the least each prefix needs to answer."""
    from rxportal.content.help_models import HelpContactPage, HelpHomePage
    from rxportal.content.models import ToolPage
    from rxportal.content.seeding import (
        HubSeedSummary,
        ensure_content_editors,
        ensure_hub_tree,
        ensure_locales,
    )
    from tests.content.conftest import publish_item

    settings.MEDIA_ROOT = str(tmp_path)  # the document's file, never the checkout's var/media
    summary = HubSeedSummary()
    sections = ensure_hub_tree(summary)
    ensure_content_editors(summary)
    tool = publish_item(sections["en"]["tools"], ToolPage, title="Plan letter", audience="both")
    english, _spanish = ensure_locales()
    help_home = HelpHomePage(slug="help", locale=english, title="Help center")
    Page.get_first_root_node().add_child(instance=help_home)
    help_home.save_revision().publish()
    contact = HelpContactPage(slug="contact", title="Contact us")
    help_home.add_child(instance=contact)
    contact.save_revision().publish()
    return {"hub item": tool.url, "hub document": tool.document.url}


def _content_user(role: str) -> User:
    if role == "superuser":
        return get_user_model().objects.create_superuser(
            username="content.root", password="x" * 24, role="admin"
        )
    if role == "content_editor":
        editor = make_user("content.editor", "account_team")
        editor.groups.add(Group.objects.get(name="Content editors"))
        return get_user_model().objects.get(pk=editor.pk)  # fresh permission cache
    return make_user(f"content.{role}", role)


def test_every_content_row_has_a_column_per_role() -> None:
    assert {len(row) for row in CONTENT_TABLE.values()} == {len(CONTENT_ROLES)}


@pytest.mark.parametrize("role", CONTENT_ROLES)
def test_who_gets_into_the_help_center_hub_and_editor(
    content_urls: dict[str, str], role: str
) -> None:
    http = Client()
    if role != "anonymous":
        http.force_login(_content_user(role))
    column = CONTENT_ROLES.index(role)

    observed = {path: classify(http.get(content_urls.get(path, path))) for path in CONTENT_TABLE}

    expected = {path: row[column] for path, row in CONTENT_TABLE.items()}
    assert observed == expected, role
