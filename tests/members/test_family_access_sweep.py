"""The family-access sweep: every member-facing URL and download, asked by every member of one
family, with and without consent, shows exactly the people the one access rule allows.

The rule (``members.selectors.list_family_members_visible_to``), written out here by hand so
the sweep does not trust the code it checks:

* the subscriber sees themself and their minor child always, and the spouse and the adult child
  only while each has an active grant to the subscriber (none, granted, granted then revoked);
* a dependent (spouse, adult child, minor child) sees only themself, whatever the grants;
* saved shipping addresses are the viewer's own only, and the family page, the grant / revoke
  pages and the benefits summary carry nobody's prescriptions, claims or orders.

Every person has one of everything (a due prescription, a claim, an order on its way with its
refill request, a price quote, a saved address), each carrying a marker no other page text
has: the person's own drug name, order number, address label or full name. ``PROBES`` says,
per URL name, how to ask for each person's data and how to tell it was shown; a URL the viewer
may not use for someone answers 404, or shows a page without that person. The last tests fail
when a member app gains a URL the sweep does not cover (add it to ``PROBES``, or to ``EXEMPT``
with the reason it carries no member data).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from rxportal.claims.models import Claim
from rxportal.core import clock
from rxportal.formulary.models import Drug, FormularyEntry
from rxportal.members.models import Member
from rxportal.members.services import grant_family_access, revoke_family_access
from rxportal.orders.models import MailOrder, ShippingAddress
from rxportal.pharmacies.models import ZipCentroid
from rxportal.plans.models import Tier
from rxportal.prescriptions import services as rx_services
from rxportal.prescriptions.models import Prescription, RefillRequest
from rxportal.prescriptions.services import RefillLineInput
from rxportal.pricing.models import PriceQuote
from tests.conftest import Family
from tests.factories import ClaimFactory, DrugFactory, PrescriptionFactory, UserFactory
from tests.orders.factories import ShippingAddressFactory
from tests.pricing.factories import PriceQuoteFactory

pytestmark = pytest.mark.django_db

PEOPLE = ("subscriber", "spouse", "minor_child", "adult_child")
ADULT_DEPENDENTS = ("spouse", "adult_child")
CONSENTS = ("none", "granted", "revoked")


def allowed(viewer: str, consent: str) -> set[str]:
    """Whose records ``viewer`` may see: the rule, by hand."""
    if viewer != "subscriber":
        return {viewer}
    if consent == "granted":
        return set(PEOPLE)
    return {"subscriber", "minor_child"}


# --- The family and one of everything for each person -----------------------------------------


@dataclass(frozen=True)
class Records:
    member: Member
    drug: Drug
    rx: Prescription
    claim: Claim
    quote: PriceQuote
    address: ShippingAddress
    order: MailOrder
    refill: RefillRequest

    @property
    def address_marker(self) -> str:
        return self.address.line2


@dataclass(frozen=True)
class Sweep:
    people: dict[str, Records]
    viewer: str
    client: Client

    def each(self) -> list[tuple[str, Records]]:
        return list(self.people.items())


def _due_rx(member: Member, drug: Drug, today: dt.date, **kwargs: Any) -> Prescription:
    """Due today: a 30-day fill 30 days ago, refills left, not expired."""
    return PrescriptionFactory(
        member=member,
        drug=drug,
        written_on=today - dt.timedelta(days=100),
        expires_on=today + dt.timedelta(days=200),
        last_filled_on=today - dt.timedelta(days=30),
        quantity=Decimal("30.000"),
        days_supply=30,
        **kwargs,
    )


def _person(key: str, member: Member, today: dt.date) -> dict[str, Any]:
    """A person's drug, a due prescription (for the refill pages), a due automatic-refill
    prescription (its order comes from the daily job), a claim, a quote, a default address."""
    drug = DrugFactory(name=f"Sweepamine {key.replace('_', ' ').title()} 10 MG Oral Tablet")
    FormularyEntry.objects.create(
        formulary=member.plan.formulary, drug=drug, tier=Tier.GENERIC, mail_eligible=True
    )
    return {
        "member": member,
        "drug": drug,
        "rx": _due_rx(member, drug, today),
        "auto_rx": _due_rx(member, drug, today, auto_refill=True),
        "claim": ClaimFactory(member=member, drug=drug),
        "quote": PriceQuoteFactory(member=member, drug=drug),
        "address": ShippingAddressFactory(
            member=member, line2=f"Sweep suite {key}", is_default=True
        ),
    }


@pytest.fixture
def sweep_family(family: Family, today: dt.date) -> dict[str, Records]:
    """The family, each with an account and their records. Each person's order is placed the
    way production places it: by the automatic-refill job, for the prescription's patient."""
    ZipCentroid.objects.create(zip_code="06103", latitude=41.76, longitude=-72.68, state="CT")
    for key in ("spouse", "minor_child", "adult_child"):
        member = getattr(family, key)
        member.user = UserFactory(username=f"sweep-{key}")
        member.save(update_fields=["user"])
    people = {key: _person(key, getattr(family, key), today) for key in PEOPLE}
    run = rx_services.run_due_auto_refills(today=today, now=clock.now())
    assert run.failed == {}
    records = {}
    for key, person in people.items():
        auto_rx = person.pop("auto_rx")
        refill = RefillRequest.objects.get(lines__prescription=auto_rx)
        assert refill.mail_order is not None
        records[key] = Records(order=refill.mail_order, refill=refill, **person)
    return records


def _set_consent(people: dict[str, Records], consent: str, today: dt.date) -> None:
    """``none``: no grant. ``granted``: the adult dependents grant access, and the subscriber
    then orders a refill for each of them. ``revoked``: all that, then both revoke."""
    subscriber = people["subscriber"].member
    for key in ADULT_DEPENDENTS if consent != "none" else ():
        grantor = people[key].member
        grant_family_access(grantor=grantor, grantee=subscriber, actor=grantor.user)
        rx = _due_rx(grantor, people[key].drug, today)
        rx_services.request_refill(
            actor=subscriber.user,
            member_id=grantor.public_id,
            lines=[RefillLineInput(prescription_id=rx.public_id)],
            fulfilment="mail",
            idempotency_key=uuid.uuid4(),
            today=today,
            now=clock.now(),
        )
        if consent == "revoked":
            revoke_family_access(grantor=grantor, grantee=subscriber, actor=grantor.user)


# --- How to tell a page showed someone --------------------------------------------------------

Marker = Callable[[Records], str]
Seen = Callable[[Sweep], set[str]]


def _body(response: HttpResponseBase) -> str:
    if response.streaming:  # the claims CSV
        return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return response.content.decode(errors="replace")


def listing(url_name: str, *markers: Marker, query: str = "") -> Seen:
    """One page for everyone (after any redirect, such as the grant page sending a subscriber
    back to the family page): a person is shown when any of their markers is on it."""

    def seen(sweep: Sweep) -> set[str]:
        response = sweep.client.get(reverse(url_name) + query, follow=True)
        assert response.status_code == 200, (url_name, response.status_code)
        body = _body(response)
        return {key for key, rec in sweep.each() if any(m(rec) in body for m in markers)}

    return seen


def per_person(
    url_name: str,
    arg: Callable[[Records], Any],
    marker: Marker | None = None,
    *,
    method: str = "get",
    data: Callable[[Records], dict[str, Any]] | None = None,
    shown: tuple[int, ...] = (200,),
) -> Seen:
    """A URL naming one person's record: shown (``shown`` status, with the marker when given)
    for people the viewer may see, 404 for anyone else."""

    def seen(sweep: Sweep) -> set[str]:
        result = set()
        for key, rec in sweep.each():
            url = reverse(url_name, args=[arg(rec)])
            payload = data(rec) if data else {}
            response = getattr(sweep.client, method)(url, payload)
            if response.status_code == 404:
                continue
            assert response.status_code in shown, (url_name, key, response.status_code)
            if marker is None or marker(rec) in _body(response):
                result.add(key)
        return result

    return seen


def by_query(
    url_name: str,
    params: Callable[[Records], dict[str, str]],
    *,
    method: str = "get",
    shows: Callable[[Records, HttpResponseBase], bool],
) -> Seen:
    """A page that names the person in its query or form (the estimator, refill steps, the
    statement filter): shown when ``shows`` says the response is about that person; for anyone
    else a 404, or the page without them (a form error, a redirect back)."""

    def seen(sweep: Sweep) -> set[str]:
        result = set()
        for key, rec in sweep.each():
            response = getattr(sweep.client, method)(reverse(url_name), params(rec))
            if response.status_code != 404 and shows(rec, response):
                result.add(key)
        return result

    return seen


def _drug(rec: Records) -> str:
    return rec.drug.display_name


def _order_number(rec: Records) -> str:
    return rec.order.order_number


def _full_name(rec: Records) -> str:
    return rec.member.full_name


def _label(rec: Records) -> str:
    return rec.address_marker


def _context(response: HttpResponseBase, name: str) -> Any:
    context = getattr(response, "context", None)
    return context.get(name) if context is not None else None


def _estimate_shows(rec: Records, response: HttpResponseBase) -> bool:
    resolved = _context(response, "resolved")
    return bool(
        response.status_code == 200
        and resolved is not None
        and resolved.estimate is not None
        and resolved.person == rec.member
    )


def _estimate_params(rec: Records) -> dict[str, str]:
    return {"person": str(rec.member.public_id), "drug": str(rec.drug.public_id)}


def _redirected_to(response: HttpResponseBase, url_name: str) -> uuid.UUID | None:
    """The public id in the redirect of a write that succeeded, or None."""
    if response.status_code != 302:
        return None
    match = resolve(response["Location"])
    return match.kwargs["public_id"] if match.view_name == url_name else None


def _quote_saved(rec: Records, response: HttpResponseBase) -> bool:
    public_id = _redirected_to(response, "pricing:quote")
    return (
        public_id is not None and PriceQuote.objects.get(public_id=public_id).member == rec.member
    )


def _refill_params(rec: Records) -> dict[str, str]:
    return {
        "member": str(rec.member.public_id),
        "prescription": str(rec.rx.public_id),
        "fulfilment": "mail",
        "address": "on_file",
        "idempotency_key": str(uuid.uuid4()),
    }


def _selection_shows(rec: Records, response: HttpResponseBase) -> bool:
    selection = _context(response, "selection")
    return response.status_code == 200 and selection is not None and selection.member == rec.member


def _review_shows(rec: Records, response: HttpResponseBase) -> bool:
    review = _context(response, "review")
    return (
        response.status_code == 200
        and review is not None
        and rec.drug.display_name in _body(response)
    )


def _refill_placed(rec: Records, response: HttpResponseBase) -> bool:
    public_id = _redirected_to(response, "prescriptions:refill_detail")
    return (
        public_id is not None
        and RefillRequest.objects.get(public_id=public_id).member == rec.member
    )


def _statement_shows(rec: Records, response: HttpResponseBase) -> bool:
    return response.status_code == 200 and response["Content-Type"] == "application/pdf"


def _cancel_page(sweep: Sweep) -> set[str]:
    """The cancel page: its confirmation (GET) and a refused submission (POST without a
    reason, which cancels nothing) agree."""
    on_get = per_person("orders:cancel", lambda r: r.order.public_id, _drug)(sweep)
    on_post = per_person(
        "orders:cancel", lambda r: r.order.public_id, _drug, method="post", data=lambda r: {}
    )(sweep)
    assert on_get == on_post
    return on_get


@dataclass(frozen=True)
class Probe:
    seen: Seen
    audience: str = "family"  # "family": the rule; "self": the viewer only; "nobody"


# In request order: the ones that write (refill, automatic refills, renewal, saving a quote)
# come last, so the pages before them see the data as built.
PROBES: dict[str, Probe] = {
    "web:dashboard": Probe(listing("web:dashboard", _drug, _order_number)),
    "web:benefits": Probe(listing("web:benefits", _drug, _order_number), "nobody"),
    "web:id_card": Probe(listing("web:id_card", _full_name)),
    "web:id_card_pdf": Probe(per_person("web:id_card_pdf", lambda r: r.member.public_id)),
    "members:family_access": Probe(
        listing("members:family_access", _drug, _order_number), "nobody"
    ),
    "members:family_access_grant": Probe(
        listing("members:family_access_grant", _drug, _order_number), "nobody"
    ),
    "members:family_access_revoke": Probe(
        listing("members:family_access_revoke", _drug, _order_number), "nobody"
    ),
    "prescriptions:list": Probe(listing("prescriptions:list", _drug)),
    "prescriptions:refill_detail": Probe(
        per_person("prescriptions:refill_detail", lambda r: r.refill.public_id, _drug)
    ),
    "claims:list": Probe(listing("claims:list", _drug)),
    "claims:export_csv": Probe(listing("claims:export_csv", _drug)),
    "claims:statement_pdf": Probe(
        by_query(
            "claims:statement_pdf",
            lambda r: {"person": str(r.member.public_id)},
            shows=_statement_shows,
        )
    ),
    "claims:detail": Probe(per_person("claims:detail", lambda r: r.claim.public_id, _drug)),
    "orders:list": Probe(listing("orders:list", _drug, _order_number)),
    "orders:detail": Probe(per_person("orders:detail", lambda r: r.order.public_id, _drug)),
    "orders:cancel": Probe(_cancel_page),
    "orders:addresses": Probe(listing("orders:addresses", _label), "self"),
    "orders:address_add": Probe(listing("orders:address_add", _label, _drug), "nobody"),
    "orders:address_remove": Probe(
        per_person("orders:address_remove", lambda r: r.address.public_id, _label), "self"
    ),
    "orders:address_set_default": Probe(
        per_person(
            "orders:address_set_default", lambda r: r.address.public_id, method="post", shown=(302,)
        ),
        "self",
    ),
    "pricing:estimate": Probe(
        by_query("pricing:estimate", _estimate_params, shows=_estimate_shows)
    ),
    "pricing:quotes": Probe(listing("pricing:quotes", _drug)),
    "pricing:quote": Probe(per_person("pricing:quote", lambda r: r.quote.public_id, _drug)),
    # The inbox's list shows subjects, which never name a drug or an order (they leave the
    # portal by email too); the settings page holds no records.
    "notifications:inbox": Probe(listing("notifications:inbox", _drug, _order_number), "nobody"),
    "notifications:settings": Probe(
        listing("notifications:settings", _drug, _order_number), "nobody"
    ),
    "prescriptions:refill_choose": Probe(
        by_query(
            "prescriptions:refill_choose", _refill_params, method="post", shows=_selection_shows
        )
    ),
    "prescriptions:refill_review": Probe(
        by_query("prescriptions:refill_review", _refill_params, method="post", shows=_review_shows)
    ),
    "prescriptions:refill_confirm": Probe(
        by_query(
            "prescriptions:refill_confirm", _refill_params, method="post", shows=_refill_placed
        )
    ),
    "prescriptions:auto_refill": Probe(
        per_person(
            "prescriptions:auto_refill",
            lambda r: r.rx.public_id,
            method="post",
            data=lambda r: {"enabled": "on"},
            shown=(302,),
        )
    ),
    "prescriptions:renewal": Probe(
        per_person("prescriptions:renewal", lambda r: r.rx.public_id, method="post", shown=(302,))
    ),
    "pricing:save_quote": Probe(
        by_query(
            "pricing:save_quote",
            lambda r: {**_estimate_params(r), "channel": "retail_30"},
            method="post",
            shows=_quote_saved,
        )
    ),
}

# Member-app URLs that show no member's records, and why.
EXEMPT: dict[str, str] = {
    "web:home": "the public home page",
    "web:login": "a redirect to sign-in",
    "web:logout": "signs out (POST only)",
    "pharmacies:finder": "the public pharmacy directory",
    "formulary:search": "drug names and strengths: public reference data",
    "formulary:suggest": "drug names as you type: public reference data",
    "formulary:drug": "public drug data plus the viewer's own plan coverage, no one else's",
    "notifications:mark_all_read": "POST only: marks the viewer's own messages read, redirects",
    "notifications:unsubscribe": "a signed link's kind of message and a button; no records",
    "connected_apps:list": (
        "the viewer's own connected apps; each names the patient the viewer chose at consent, "
        "checked then against the rule (tests/connected_apps/test_oauth_flow.py), and every "
        "read through the app checks it again"
    ),
    "connected_apps:disconnect": "POST only: ends the viewer's own app's access",
    "notifications:message": (
        "one of the viewer's own messages (anyone else's is a 404, tests/notifications/"
        "test_inbox.py), written to whom the rule allowed when its event happened "
        "(members.notices); a later revocation does not hide it yet (xfail in test_inbox.py)"
    ),
}

# Namespaces of the URLconf that hold no member-facing pages.
# The back office, the staff console, the clients' portal (swept in tests/clients) and the
# Wagtail editor at /cms/ (staff only, tests/content) hold no member pages.
# The plan sponsors' tools (analytics, sponsor_tools, whatif) sit under /clients/ and are swept
# with another client's user and an unlinked advisor in tests/clients and their own tests.
NOT_MEMBER_NAMESPACES = {
    "admin",
    "staff",
    "clients",
    "analytics",
    "sponsor_tools",
    "whatif",
    "simple_translation",
    # Token edges (the JSON API, FHIR): a session signs nobody in there; their family sweep
    # runs with access tokens (tests/api, tests/fhir). OAuth 2.0 / OpenID Connect endpoints and
    # discovery documents (JSON, and the consent screen of rxportal.connected_apps, tested in
    # tests/connected_apps) are not member pages.
    "api_v1",
    "fhir",
    "oauth2_provider",
    "oidc_discovery",
    "smart",
} | {namespace for namespace in get_resolver().namespace_dict if namespace.startswith("wagtail")}


# --- The sweep ----------------------------------------------------------------------------------

SCENARIOS = [(viewer, consent) for viewer in PEOPLE for consent in CONSENTS]


@pytest.mark.parametrize(("viewer", "consent"), SCENARIOS)
def test_every_member_url_shows_exactly_whom_the_rule_allows(
    sweep_family: dict[str, Records], viewer: str, consent: str, today: dt.date
) -> None:
    _set_consent(sweep_family, consent, today)
    client = Client()
    client.force_login(sweep_family[viewer].member.user)
    sweep = Sweep(people=sweep_family, viewer=viewer, client=client)
    expected = {
        "family": allowed(viewer, consent),
        "self": {viewer},
        "nobody": set(),
    }

    seen = {name: probe.seen(sweep) for name, probe in PROBES.items()}

    wrong = {
        name: {"seen": sorted(seen[name]), "allowed": sorted(expected[probe.audience])}
        for name, probe in PROBES.items()
        if seen[name] != expected[probe.audience]
    }
    assert wrong == {}


@pytest.mark.parametrize("consent", CONSENTS)
def test_the_rule_by_hand_agrees_with_the_members_selector(
    sweep_family: dict[str, Records], today: dt.date, consent: str
) -> None:
    from rxportal.members.selectors import list_family_members_visible_to

    _set_consent(sweep_family, consent, today)

    by_pk = {rec.member.pk: key for key, rec in sweep_family.items()}
    for viewer in PEOPLE:
        visible = list_family_members_visible_to(
            viewer=sweep_family[viewer].member.user, today=today
        )
        assert {by_pk[m.pk] for m in visible} == allowed(viewer, consent), viewer


# --- Nothing member-facing escapes the sweep --------------------------------------------------


def _url_names(resolver: URLResolver, namespace: str) -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}")
        elif isinstance(pattern, URLResolver) and pattern.namespace is None:
            names |= _url_names(pattern, namespace)
    return names


def _member_url_names() -> set[str]:
    names = set()
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        if namespace not in NOT_MEMBER_NAMESPACES:
            names |= _url_names(resolver, namespace)
    return names


def test_every_member_url_is_swept_or_exempt_with_a_reason() -> None:
    member_urls = _member_url_names()

    assert member_urls - set(PROBES) - set(EXEMPT) == set(), "add new member URLs to PROBES"
    assert (set(PROBES) | set(EXEMPT)) - member_urls == set(), "remove URLs that are gone"
    assert not set(PROBES) & set(EXEMPT)


def test_the_sweep_covers_every_member_app() -> None:
    namespaces = set(get_resolver().namespace_dict)

    assert namespaces - NOT_MEMBER_NAMESPACES == {
        "web",
        "members",
        "claims",
        "orders",
        "prescriptions",
        "pricing",
        "formulary",
        "pharmacies",
        "notifications",
        "connected_apps",
    }


def test_the_records_are_what_the_sweep_expects(
    sweep_family: dict[str, Records], today: dt.date
) -> None:
    """The sweep's markers are unique and its data live: orders open, prescriptions due."""
    markers = [m(rec) for rec in sweep_family.values() for m in (_drug, _order_number, _label)]
    assert len(set(markers)) == len(markers)
    assert all(rec.order.can_cancel for rec in sweep_family.values())
    assert len({rec.member.user_id for rec in sweep_family.values()}) == len(PEOPLE)
    assert clock.today() == today
