"""Client-portal pages and the account team's console: happy paths, 404 sweeps, permission
matrix, query budgets."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.urls import URLPattern, reverse

from rxportal.accounts.models import User
from rxportal.clients import urls as client_urls
from rxportal.clients.models import AccessRequest, Client, ClientLink, DesignatedContact, ToolGrant
from rxportal.core import clock
from rxportal.staff import urls as staff_urls
from tests.clients.conftest import approve, events, logged_in, make_user, submit

pytestmark = pytest.mark.django_db


@dataclass
class Scene:
    owner: User
    request: AccessRequest
    grant: ToolGrant
    acme: Client


@pytest.fixture
def scene(linked_client_user: User, acme: Client, agent: User) -> Scene:
    grant = approve(submit(linked_client_user, acme, tool="eligibility"), agent)
    pending = submit(linked_client_user, acme, tool="drug-trend")
    return Scene(owner=linked_client_user, request=pending, grant=grant, acme=acme)


def client_side_urls(scene: Scene) -> dict[str, str]:
    """Every URL of the client portal, by name (the test below checks none is missing)."""
    return {
        "home": reverse("clients:home"),
        "request_new": reverse("clients:request_new"),
        "link_request_new": reverse("clients:link_request_new"),
        "request_detail": reverse("clients:request_detail", args=[scene.request.public_id]),
        "tool": reverse("clients:tool", args=[scene.acme.public_id, scene.grant.tool]),
    }


def console_urls(scene: Scene) -> dict[str, str]:
    return {
        "clients_queue": reverse("staff:clients_queue"),
        "clients_directory": reverse("staff:clients_directory"),
        "clients_user": reverse("staff:clients_user", args=[scene.owner.public_id]),
        "clients_request": reverse("staff:clients_request", args=[scene.request.public_id]),
        "clients_grant_revoke": reverse("staff:clients_grant_revoke", args=[scene.grant.public_id]),
        "clients_link_end": reverse(
            "staff:clients_link_end",
            args=[ClientLink.objects.get(user=scene.owner, client=scene.acme).public_id],
        ),
    }


def test_the_sweeps_cover_every_url_of_the_portal_and_the_console(scene: Scene) -> None:
    portal = {p.name for p in client_urls.urlpatterns if isinstance(p, URLPattern)}
    console = {
        p.name
        for p in staff_urls.urlpatterns
        if isinstance(p, URLPattern) and (p.name or "").startswith("clients_")
    }
    assert portal == set(client_side_urls(scene))
    assert console == set(console_urls(scene))


# --- Client pages ------------------------------------------------------------------------------


def test_home_lists_linked_clients_requests_with_due_dates_grants_with_expiry_and_the_hub(
    scene: Scene, django_assert_max_num_queries
) -> None:
    http = logged_in(scene.owner)
    # The header's unread count (uncached here) reads the viewer's member record (whose messages it may count).
    with django_assert_max_num_queries(19):
        response = http.get(reverse("clients:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme Manufacturing" in html
    assert "Drug-trend reports" in html and "Submitted" in html and "decision due" in html
    assert "Eligibility lookup" in html and "In force" in html
    assert "Protected health information" in html
    assert 'href="/hub/"' in html
    assert reverse("clients:tool", args=[scene.acme.public_id, "eligibility"]) in html


def test_the_dashboard_sends_clients_and_advisors_to_their_home(advisor: User) -> None:
    response = logged_in(advisor).get(reverse("web:dashboard"))
    assert response["Location"] == reverse("clients:home")


def test_an_unlinked_user_sees_their_claim_and_no_request_form(client_user: User) -> None:
    http = logged_in(client_user)
    home = http.get(reverse("clients:home")).content.decode()
    assert "has not linked your account" in home
    assert "Acme Mfg" in home  # the organization they typed
    form_page = http.get(reverse("clients:request_new")).content.decode()
    assert 'action="/clients/requests/new/"' not in form_page
    assert "has not linked your account" in form_page


def test_a_linked_user_submits_a_request_and_sees_its_stage_and_due_date(
    linked_client_user: User, acme: Client
) -> None:
    http = logged_in(linked_client_user)
    response = http.post(
        reverse("clients:request_new"),
        {"client": str(acme.public_id), "tool": "claims-reports", "business_reason": "Audits."},
    )
    created = AccessRequest.objects.get()
    assert response["Location"] == reverse("clients:request_detail", args=[created.public_id])
    page = http.get(response["Location"]).content.decode()
    assert "Claims reports" in page and "Submitted" in page
    assert "Audits." in page


def test_the_request_form_shows_service_errors_next_to_their_field(
    linked_client_user: User, acme: Client
) -> None:
    http = logged_in(linked_client_user)
    data = {"client": str(acme.public_id), "tool": "eligibility", "business_reason": "HR."}
    http.post(reverse("clients:request_new"), data)
    again = http.post(reverse("clients:request_new"), data)
    assert again.status_code == 200
    assert "already asked for this tool" in again.content.decode()
    assert AccessRequest.objects.count() == 1


def test_the_tool_page_opens_with_a_live_grant_and_is_audited(scene: Scene) -> None:
    response = logged_in(scene.owner).get(client_side_urls(scene)["tool"])
    assert response.status_code == 200
    assert "Your access is in force." in response.content.decode()
    [event] = events("clients.tool.opened")
    assert event.subject_id == str(scene.grant.public_id)


@pytest.mark.parametrize("how", ["revoked", "expired", "denied", "unlinked"])
def test_a_denied_expired_revoked_or_unlinked_grant_closes_the_tool(
    scene: Scene, agent: User, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rxportal.clients import services

    url = client_side_urls(scene)["tool"]
    if how == "revoked":
        services.revoke_grant(grant=scene.grant, actor=agent, reason="Left.", now=clock.now())
    elif how == "expired":
        later = scene.grant.expires_at
        monkeypatch.setattr(clock, "now", lambda: later)
    elif how == "denied":
        services.decide_access_request(
            access_request=scene.request,
            actor=agent,
            approve=False,
            reason="No.",
            now=clock.now(),
        )
        url = reverse("clients:tool", args=[scene.acme.public_id, "drug-trend"])
    else:
        ClientLink.objects.filter(user=scene.owner).update(ended_at=clock.now())
    assert logged_in(scene.owner).get(url).status_code == 404


def test_an_expired_grant_reads_as_expired_on_the_home_page(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = scene.grant.expires_at
    monkeypatch.setattr(clock, "now", lambda: later)
    html = logged_in(scene.owner).get(reverse("clients:home")).content.decode()
    assert "In force" not in html
    assert "Expired" in html


@pytest.mark.parametrize("intruder", ["linked_other_client_user", "unlinked_advisor"])
def test_sweep_every_client_url_as_another_clients_user_or_an_unlinked_advisor(
    scene: Scene, intruder: str, request: pytest.FixtureRequest
) -> None:
    http = logged_in(request.getfixturevalue(intruder))
    for name, url in client_side_urls(scene).items():
        response = http.get(url)
        if name in {"home", "request_new", "link_request_new"}:  # their own: nothing of Acme's
            assert response.status_code == 200, name
            assert "Acme" not in response.content.decode(), name
        else:
            assert response.status_code == 404, name
    # Posting Acme's id into the request form opens nothing either.
    response = http.post(
        reverse("clients:request_new"),
        {"client": str(scene.acme.public_id), "tool": "eligibility", "business_reason": "x"},
    )
    assert response.status_code == 200
    assert (
        AccessRequest.objects.filter(client=scene.acme).exclude(requester=scene.owner).count() == 0
    )


def test_an_advisor_linked_to_two_clients_sees_both_and_no_other(
    linked_advisor: User, acme: Client, globex: Client, agent: User
) -> None:
    from tests.factories import ClientFactory

    initech = ClientFactory(name="Initech Unlinked")
    http = logged_in(linked_advisor)
    html = http.get(reverse("clients:request_new")).content.decode()
    assert "Acme Manufacturing" in html and "Globex Health Plan" in html
    assert "Initech" not in html

    # Granted a tool for each of their clients, they open both; another client's is a 404.
    for client in (acme, globex):
        approve(submit(linked_advisor, client), agent)
    home = http.get(reverse("clients:home")).content.decode()
    assert "Acme Manufacturing" in home and "Globex Health Plan" in home
    assert "Initech" not in home
    for client in (acme, globex):
        url = reverse("clients:tool", args=[client.public_id, "eligibility"])
        assert url in home
        page = http.get(url)
        assert page.status_code == 200, client.name
        assert client.name in page.content.decode()
    initech_tool = reverse("clients:tool", args=[initech.public_id, "eligibility"])
    assert http.get(initech_tool).status_code == 404
    assert (
        http.get(reverse("clients:tool", args=[initech.public_id, "drug-trend"])).status_code == 404
    )


# --- Permission matrix ---------------------------------------------------------------------------

ROLES = ["anonymous", "member", "owner", "advisor", "account_team", "service_center"]
# What each role gets on each page: 200, 302 (to sign-in), 403 or 404.
CLIENT_PAGES = {
    "anonymous": 302,
    "member": 403,
    "owner": 200,
    "account_team": 403,
    "service_center": 403,
}
ADVISOR_ON_OWNERS_PAGES = {
    "home": 200,
    "request_new": 200,
    "link_request_new": 200,
    "request_detail": 404,
    "tool": 404,
}
CONSOLE_PAGES = {
    "anonymous": 302,
    "member": 403,
    "owner": 403,
    "advisor": 403,
    "account_team": 200,
}
SERVICE_CENTER_CONSOLE = {"clients_directory": 200}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(
    role: str,
    scene: Scene,
    agent: User,
    linked_advisor: User,
    member_user: User,
    service_agent: User,
) -> None:
    users = {
        "member": member_user,
        "owner": scene.owner,
        "advisor": linked_advisor,
        "account_team": agent,
        "service_center": service_agent,
    }
    http = HttpClient() if role == "anonymous" else logged_in(users[role])
    for name, url in client_side_urls(scene).items():
        expected = ADVISOR_ON_OWNERS_PAGES[name] if role == "advisor" else CLIENT_PAGES[role]
        assert http.get(url).status_code == expected, (role, name)
    for name, url in console_urls(scene).items():
        if role == "service_center":
            expected = SERVICE_CENTER_CONSOLE.get(name, 403)
        else:
            expected = CONSOLE_PAGES[role]
        assert http.get(url).status_code == expected, (role, name)


def test_a_refused_page_is_audited(member_user: User) -> None:
    logged_in(member_user).get(reverse("staff:clients_queue"))
    [event] = events("clients.page.denied")
    assert event.details == {"view": "staff:clients_queue"}


# --- Console -------------------------------------------------------------------------------------


def test_the_queue_is_sorted_by_due_date_and_flags_overdue(
    linked_client_user: User, linked_advisor: User, acme: Client, agent: User
) -> None:
    newer = submit(linked_client_user, acme, tool="eligibility")
    older = submit(linked_advisor, acme, tool="claims-reports")
    AccessRequest.objects.filter(pk=older.pk).update(due_on=clock.today().replace(year=2020))
    html = logged_in(agent).get(reverse("staff:clients_queue")).content.decode()
    first = html.index(reverse("staff:clients_request", args=[older.public_id]))
    second = html.index(reverse("staff:clients_request", args=[newer.public_id]))
    assert first < second
    assert html.count("is-overdue") == 1
    assert "Overdue" in html


def test_the_queue_lists_unverified_accounts_with_their_claim(
    client_user: User, agent: User, django_assert_max_num_queries
) -> None:
    http = logged_in(agent)
    with django_assert_max_num_queries(21):  # +1: the header count reads the viewer's member record
        html = http.get(reverse("staff:clients_queue")).content.decode()
    assert "casey.client" in html and "Acme Mfg" in html


def test_the_account_team_links_a_user_from_the_console(
    client_user: User, acme: Client, agent: User
) -> None:
    url = reverse("staff:clients_user", args=[client_user.public_id])
    http = logged_in(agent)
    assert "Acme Mfg" in http.get(url).content.decode()
    response = http.post(
        url, {"client": str(acme.public_id), "method": "called_contact", "notes": "Called HR."}
    )
    assert response["Location"] == url
    link = ClientLink.objects.get(user=client_user)
    assert (link.client, link.verified_by, link.notes) == (acme, agent, "Called HR.")
    page = http.get(url).content.decode()
    assert "Called the client&#x27;s designated contact" in page


def test_linking_without_a_method_shows_the_error_on_the_field(
    client_user: User, acme: Client, agent: User
) -> None:
    url = reverse("staff:clients_user", args=[client_user.public_id])
    response = logged_in(agent).post(url, {"client": str(acme.public_id), "method": ""})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ClientLink.objects.exists()


def test_verify_then_approve_from_the_console_emails_the_requester(
    linked_client_user: User, acme: Client, agent: User, django_capture_on_commit_callbacks
) -> None:
    pending = submit(linked_client_user, acme)
    url = reverse("staff:clients_request", args=[pending.public_id])
    http = logged_in(agent)
    http.post(url, {"action": "verify", "verify-method": "called_contact", "verify-notes": "OK"})
    assert AccessRequest.objects.get(pk=pending.pk).stage == "verifying"
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(
            url, {"action": "decide", "decide-decision": "approve", "decide-reason": "Confirmed."}
        )
    assert response["Location"] == url
    assert ToolGrant.objects.filter(request=pending).exists()
    assert mail.outbox[-1].to == [linked_client_user.email]


def test_approving_without_verification_is_refused_on_the_method_field(
    linked_client_user: User, acme: Client, agent: User
) -> None:
    pending = submit(linked_client_user, acme)
    url = reverse("staff:clients_request", args=[pending.public_id])
    response = logged_in(agent).post(
        url, {"action": "decide", "decide-decision": "approve", "decide-reason": "Sure."}
    )
    assert response.status_code == 200
    assert "Record how you verified this request before approving it." in response.content.decode()
    assert not ToolGrant.objects.exists()


def test_revoking_from_the_console(scene: Scene, agent: User) -> None:
    url = reverse("staff:clients_grant_revoke", args=[scene.grant.public_id])
    response = logged_in(agent).post(url, {"reason": "Changed jobs."})
    assert response["Location"] == reverse("staff:clients_queue")
    scene.grant.refresh_from_db()
    assert scene.grant.revoked_at is not None


def test_the_directory_shows_designated_contacts(acme: Client, service_agent: User) -> None:
    DesignatedContact.objects.create(
        client=acme, name="Pat Benefits", title="Benefits director", phone="1-860-555-0101"
    )
    html = logged_in(service_agent).get(reverse("staff:clients_directory")).content.decode()
    assert "Pat Benefits" in html and "1-860-555-0101" in html


def test_staff_home_links_the_account_team_to_the_section(agent: User) -> None:
    html = logged_in(agent).get(reverse("staff:home")).content.decode()
    assert reverse("staff:clients_queue") in html


def test_a_fresh_client_user_account_gets_the_group_on_sign_in(db: None) -> None:
    user = make_user("fresh.client", "client")
    assert user.has_perm("clients.use_client_portal")


def test_the_pages_are_in_spanish(scene: Scene, agent: User) -> None:
    owner = logged_in(scene.owner)
    owner.cookies["django_language"] = "es"
    html = owner.get(reverse("clients:home")).content.decode()
    assert "Inicio de cliente" in html and "Consulta de elegibilidad" in html
    team = logged_in(agent)
    team.cookies["django_language"] = "es"
    assert (
        "Solicitudes de acceso por decidir"
        in team.get(reverse("staff:clients_queue")).content.decode()
    )


def test_a_user_asks_to_be_linked_and_the_account_team_sees_it(
    linked_advisor: User, agent: User
) -> None:
    http = logged_in(linked_advisor)
    response = http.post(
        reverse("clients:link_request_new"),
        {"organization": "Initech Benefits Trust", "reason": "We broker their plan."},
    )
    assert response["Location"] == reverse("clients:home")
    assert "Initech Benefits Trust" in http.get(reverse("clients:home")).content.decode()
    queue = logged_in(agent).get(reverse("staff:clients_queue")).content.decode()
    assert "alex.advisor" in queue and "Initech Benefits Trust" in queue


def test_the_link_request_form_shows_errors_on_its_fields(linked_advisor: User) -> None:
    response = logged_in(linked_advisor).post(
        reverse("clients:link_request_new"), {"organization": "Initech", "reason": " "}
    )
    assert response.status_code == 200
    assert 'id="id_reason_error"' in response.content.decode()
