"""Spanish, complete: every member page and every PDF, rendered for the demo member with Spanish
chosen the way the site chooses it (the header's language switch, Django's ``set_language``,
which sets the language cookie), shows no English sentence of our own catalogue.

What counts as English: a ``msgid`` of ``rxportal/locale/es/LC_MESSAGES/django.po`` whose
``msgstr`` differs from it, found untranslated in the page's visible text, its accessible names
(``aria-label``, ``title``, ``alt``, ``placeholder``, button values) or the text a PDF draws.
Several words are found anywhere in the text (placeholders match any value); a single word only
when it is a whole text node or attribute on its own (so "Pharmacy" in a pharmacy's name, or
"Day" in a drug's, is not English of ours). Entries identical in both languages never count.

The demo data (real reference data, ``seed_demo``) gives the member every order status, claims of
every status, messages, family; the sweep adds a due prescription so the refill steps render, and
walks every URL of the member apps (``PLAN``); a member URL missing from the plan fails the last
test.
"""

from __future__ import annotations

import ast
import datetime as dt
import html
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.conf import settings as django_settings
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import User
from rxportal.claims.models import Claim
from rxportal.connected_apps.models import AppConsent
from rxportal.core import clock
from rxportal.demo.services import seed_demo
from rxportal.formulary.models import FormularyEntry
from rxportal.members.models import Member
from rxportal.members.selectors import list_family_members_visible_to
from rxportal.notifications import kinds
from rxportal.notifications.models import Notification
from rxportal.notifications.services import make_unsubscribe_token
from rxportal.orders.models import MailOrder, ShippingAddress
from rxportal.prescriptions.models import Prescription, RefillRequest
from rxportal.pricing.models import PriceQuote
from tests.demo.support import reference_data
from tests.factories import PrescriptionFactory
from tests.members.test_family_access_sweep import _member_url_names
from tests.oauth_tokens import issue_access_token, make_application
from tests.orders.factories import ShippingAddressFactory
from tests.pdf_text import pdf_text_runs

__all__ = ["reference_data"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

CATALOGUE = (
    Path(django_settings.BASE_DIR) / "rxportal" / "locale" / "es" / "LC_MESSAGES" / "django.po"
)

# English that is right on a Spanish page, and why.
ALLOWED_ENGLISH = {
    "English": "the language switch names each language in that language",
}

# --- The catalogue -------------------------------------------------------------------------------


def _unquote(text: str) -> str:
    return str(ast.literal_eval(text.strip()))


def read_catalogue(path: Path = CATALOGUE) -> list[tuple[str, str]]:
    """(English, Spanish) of every translated, non-fuzzy entry, plurals included."""
    entries: list[tuple[str, str]] = []
    entry: dict[str, str] = {}
    key = ""
    fuzzy = False

    def flush() -> None:
        nonlocal entry, fuzzy
        if entry.get("msgid") and not fuzzy:
            singular = entry.get("msgstr", entry.get("msgstr[0]", ""))
            if singular:
                entries.append((entry["msgid"], singular))
            if entry.get("msgid_plural") and entry.get("msgstr[1]"):
                entries.append((entry["msgid_plural"], entry["msgstr[1]"]))
        entry, fuzzy = {}, False

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            flush()
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += _unquote(line)
        else:
            key, _space, rest = line.partition(" ")
            entry[key] = _unquote(rest)
    flush()
    return entries


_PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdfi]|%[sd]|\{\w*\}")
_TAG = re.compile(r"<[^>]+>")


def _words(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


@dataclass(frozen=True)
class Probe:
    """How to find one English entry in a page."""

    msgid: str
    pattern: re.Pattern[str] | None  # several words: searched in the whole text
    word: str | None  # one word: a whole text node or attribute


def english_probes() -> list[Probe]:
    probes = []
    seen = set()
    for msgid, msgstr in read_catalogue():
        english, spanish = _words(msgid), _words(msgstr)
        if english == spanish or english in ALLOWED_ENGLISH or english in seen:
            continue
        seen.add(english)
        parts = [part.strip() for part in _PLACEHOLDER.split(english)]
        literal = " ".join(part for part in parts if part)
        if len(parts) > 1:
            # A sentence with values: its words must be long enough to say something.
            if len(literal) < 12 or " " not in literal:
                continue
            body = r".+?".join(re.escape(part) for part in parts)
            probes.append(Probe(msgid, re.compile(rf"(?<!\w){body}(?!\w)"), None))
        elif " " in english:
            probes.append(Probe(msgid, re.compile(rf"(?<!\w){re.escape(english)}(?!\w)"), None))
        elif len(english) > 2:
            probes.append(Probe(msgid, None, english))
    return probes


# --- What a page says -----------------------------------------------------------------------------

_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


@dataclass
class Rendered:
    nodes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.nodes)

    def english(self, probes: list[Probe]) -> list[str]:
        text, nodes = self.text, set(self.nodes)
        return sorted(
            probe.msgid
            for probe in probes
            if (probe.pattern is not None and probe.pattern.search(text))
            or (probe.word is not None and probe.word in nodes)
        )


# Why an order stopped, what each step of its timeline noted, why a claim was rejected: said
# from stored codes, so each is one of the catalogue's Spanish sentences, never stored text.
REASONS = ".timeline__note, .order-reason p:not(.hint), .status--rejected + .claim-note"


def stored_text_shown(response: HttpResponseBase, spanish: set[str]) -> list[str]:
    """The reasons and notes on a page that are not Spanish of the catalogue."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    shown = [" ".join(tag.get_text(" ").split()) for tag in soup.select(REASONS)]
    return [text for text in shown if re.sub(r"\s*\(código \w+\)$", "", text) not in spanish]


def rendered(response: HttpResponseBase) -> Rendered:
    content_type = response.get("Content-Type", "")
    body = (
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        if response.streaming
        else response.content
    )
    if content_type.startswith("application/pdf"):
        return Rendered([" ".join(run.split()) for run in pdf_text_runs(body)])
    if content_type.startswith("text/csv"):
        text = body.decode("utf-8-sig")
        return Rendered([" ".join(cell.split()) for cell in re.split(r'[,\r\n"]+', text)])
    soup = BeautifulSoup(body.decode(), "html.parser")
    assert soup.html is not None and soup.html.get("lang") == "es", "the page is not in Spanish"
    for tag in soup(["script", "style", "template"]):
        tag.decompose()
    nodes = [" ".join(str(text).split()) for text in soup.find_all(string=True)]
    for tag in soup.find_all(True):
        for name in _ATTRIBUTES:
            if tag.get(name):
                nodes.append(" ".join(str(tag[name]).split()))
        if tag.name in ("input", "button") and tag.get("type") in ("submit", "button"):
            nodes.append(" ".join(str(tag.get("value", "")).split()))
    return Rendered([node for node in nodes if node])


# --- The demo member and the plan of requests -----------------------------------------------------


@dataclass(frozen=True)
class Demo:
    user: User
    member: Member
    family: list[Member]
    client: Client
    due: Prescription


Request = tuple[str, str, dict[str, Any]]  # method, url, data
Plan = Callable[[Demo], Iterator[Request]]


def get(url_name: str, *args: Any, query: str = "") -> Plan:
    def plan(demo: Demo) -> Iterator[Request]:
        yield "get", reverse(url_name, args=args) + query, {}

    return plan


def each(url_name: str, records: Callable[[Demo], Any], *, method: str = "get") -> Plan:
    def plan(demo: Demo) -> Iterator[Request]:
        for record in records(demo):
            yield method, reverse(url_name, args=[record]), {}

    return plan


def _family_ids(demo: Demo) -> list[int]:
    return [member.pk for member in demo.family]


def _orders(demo: Demo) -> Any:
    return MailOrder.objects.filter(member_id__in=_family_ids(demo)).values_list(
        "public_id", flat=True
    )


def _claims(demo: Demo) -> Any:
    return Claim.objects.filter(member_id__in=_family_ids(demo)).values_list("public_id", flat=True)


def _refill_form(demo: Demo) -> dict[str, Any]:
    return {
        "member": str(demo.due.member.public_id),
        "prescription": [str(demo.due.public_id)],
        "fulfilment": "mail",
        "address": "on_file",
    }


def _refill_steps(demo: Demo) -> Iterator[Request]:
    yield "post", reverse("prescriptions:refill_choose"), _refill_form(demo)
    page = demo.client.post(reverse("prescriptions:refill_review"), _refill_form(demo))
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]+)"', page.content.decode())
    assert key is not None
    yield "post", reverse("prescriptions:refill_review"), _refill_form(demo)
    yield (
        "post",
        reverse("prescriptions:refill_confirm"),
        {**_refill_form(demo), "idempotency_key": key.group(1)},
    )


def _refills(demo: Demo) -> Any:
    return RefillRequest.objects.filter(member_id__in=_family_ids(demo)).values_list(
        "public_id", flat=True
    )


def _estimate_query(demo: Demo) -> dict[str, str]:
    return {"person": str(demo.member.public_id), "drug": str(demo.due.drug.public_id)}


def _estimate(demo: Demo) -> Iterator[Request]:
    yield "get", reverse("pricing:estimate"), {}
    yield "get", reverse("pricing:estimate"), _estimate_query(demo)


def _save_quote(demo: Demo) -> Iterator[Request]:
    yield "post", reverse("pricing:save_quote"), {**_estimate_query(demo), "channel": "mail_90"}


def _quotes(demo: Demo) -> Any:
    return PriceQuote.objects.filter(member_id__in=_family_ids(demo)).values_list(
        "public_id", flat=True
    )


def _addresses(demo: Demo) -> Any:
    return ShippingAddress.objects.filter(member=demo.member).values_list("public_id", flat=True)


def _address_add(demo: Demo) -> Iterator[Request]:
    yield "get", reverse("orders:address_add"), {}
    yield "post", reverse("orders:address_add"), {"zip_code": "1"}  # every error message


def _cancel(demo: Demo) -> Iterator[Request]:
    for public_id in _orders(demo):
        url = reverse("orders:cancel", args=[public_id])
        yield "get", url, {}
    order = MailOrder.objects.filter(member=demo.member, status="received").first()
    if order is not None:
        yield "post", reverse("orders:cancel", args=[order.public_id]), {}  # no reason: refused


def _messages(demo: Demo) -> Any:
    return Notification.objects.filter(recipient=demo.user, channel="inbox").values_list(
        "public_id", flat=True
    )


def _unsubscribe(demo: Demo) -> Iterator[Request]:
    kind = next(kind for kind in kinds.KINDS.values() if kind.optional)
    token = make_unsubscribe_token(user=demo.user, kind=kind.code)
    yield "get", reverse("notifications:unsubscribe", args=[token]), {}


def _id_cards(demo: Demo) -> list[uuid.UUID]:
    return [member.public_id for member in demo.family]


def _drug_pages(demo: Demo) -> list[uuid.UUID]:
    return [demo.due.drug.public_id]


def _post(url_name: str, records: Callable[[Demo], Any], data: dict[str, Any]) -> Plan:
    def plan(demo: Demo) -> Iterator[Request]:
        for record in records(demo):
            yield "post", reverse(url_name, args=[record]), data

    return plan


def _post_to(url_name: str) -> Plan:
    def plan(demo: Demo) -> Iterator[Request]:
        yield "post", reverse(url_name), {}

    return plan


def _due(demo: Demo) -> list[uuid.UUID]:
    return [demo.due.public_id]


def _connected_apps(demo: Demo) -> Iterator[Request]:
    """The list with an app the member allowed (its scopes said in Spanish)."""
    issue_access_token(demo.user, application=make_application(name="Pill Tracker"))
    yield "get", reverse("connected_apps:list"), {}


def _disconnect_apps(demo: Demo) -> Iterator[Request]:
    for consent in AppConsent.objects.filter(user=demo.user):
        yield "post", reverse("connected_apps:disconnect", args=[consent.public_id]), {}


# Every member URL and how to render its pages (redirects are followed, so a POST shows the
# page and message it leads to). In request order: writes come after the pages they change.
PLAN: dict[str, Plan] = {
    "web:home": get("web:home"),
    "web:login": get("web:login"),
    "web:dashboard": get("web:dashboard"),
    "web:benefits": get("web:benefits"),
    "web:id_card": get("web:id_card"),
    "web:id_card_pdf": each("web:id_card_pdf", _id_cards),
    "members:family_access": get("members:family_access"),
    "members:family_access_grant": get("members:family_access_grant"),
    "members:family_access_revoke": get("members:family_access_revoke"),
    "prescriptions:list": get("prescriptions:list"),
    "claims:list": get("claims:list"),
    "claims:detail": each("claims:detail", _claims),
    "claims:export_csv": get("claims:export_csv"),
    "claims:statement_pdf": get("claims:statement_pdf"),
    "orders:list": get("orders:list", query="?show=all"),
    "orders:detail": each("orders:detail", _orders),
    "orders:cancel": _cancel,
    "orders:addresses": get("orders:addresses"),
    "orders:address_add": _address_add,
    "orders:address_remove": each("orders:address_remove", _addresses),
    "orders:address_set_default": _post("orders:address_set_default", _addresses, {}),
    "pharmacies:finder": get("pharmacies:finder", query="?location=06103&radius=10"),
    "formulary:search": get("formulary:search", query="?q=atorvastatin"),
    "formulary:suggest": get("formulary:suggest", query="?q=ator"),
    "formulary:drug": each("formulary:drug", _drug_pages),
    "pricing:estimate": _estimate,
    "pricing:quotes": get("pricing:quotes"),
    "pricing:quote": each("pricing:quote", _quotes),
    "notifications:inbox": get("notifications:inbox"),
    "notifications:message": each("notifications:message", _messages),
    "notifications:settings": get("notifications:settings"),
    "notifications:unsubscribe": _unsubscribe,
    "notifications:mark_all_read": _post_to("notifications:mark_all_read"),
    "prescriptions:refill_choose": _refill_steps,
    "prescriptions:refill_review": lambda demo: iter(()),  # in the refill steps above
    "prescriptions:refill_confirm": lambda demo: iter(()),  # in the refill steps above
    "prescriptions:refill_detail": each("prescriptions:refill_detail", _refills),
    "prescriptions:auto_refill": _post("prescriptions:auto_refill", _due, {"enabled": "on"}),
    "prescriptions:renewal": _post("prescriptions:renewal", _due, {}),
    "pricing:save_quote": _save_quote,
    "connected_apps:list": _connected_apps,
    "connected_apps:disconnect": _disconnect_apps,
    "web:logout": _post_to("web:logout"),  # last: the home page it leads to, signed out
}

# Responses that carry no words of ours.
NO_WORDS = {"formulary:suggest": "drug names as you type, as JSON"}


@pytest.fixture
def demo(today: dt.date, settings: Any) -> Demo:
    # A member who reads Spanish: the messages the seed sends them are written in Spanish (a
    # message keeps the language it was sent in; the site's language is theirs until they
    # choose one in the notification settings).
    settings.LANGUAGE_CODE = "es"
    seed_demo(members=6, seed=1, claims_per_member=6, today=today, now=clock.now())
    settings.LANGUAGE_CODE = "en"
    user = User.objects.get(username="demo-member")
    member = Member.objects.select_related("plan").get(user=user)
    entry = (
        FormularyEntry.objects.filter(formulary=member.plan.formulary, mail_eligible=True)
        .filter(prior_authorization=False, step_therapy=False)
        .select_related("drug")
        .order_by("pk")
        .first()
    )
    assert entry is not None
    due = PrescriptionFactory(
        member=member,
        drug=entry.drug,
        written_on=today - dt.timedelta(days=100),
        expires_on=today + dt.timedelta(days=200),
        last_filled_on=today - dt.timedelta(days=30),
        quantity=Decimal("30.000"),
        days_supply=30,
    )
    if not ShippingAddress.objects.filter(member=member).exists():
        ShippingAddressFactory(member=member, label="Casa", is_default=True)
    client = Client()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "es"
    family = list_family_members_visible_to(viewer=user, today=today)
    return Demo(user=user, member=member, family=list(family), client=client, due=due)


def test_every_member_page_and_pdf_in_spanish_has_no_english_of_ours(demo: Demo) -> None:
    probes = english_probes()
    spanish = {_words(msgstr) for _msgid, msgstr in read_catalogue()}
    english: dict[str, list[str]] = {}
    rendered_count = 0
    for url_name, plan in PLAN.items():
        for method, url, data in plan(demo):
            response = getattr(demo.client, method)(url, data, follow=True)
            assert response.status_code == 200, (url_name, url, response.status_code)
            if url_name in NO_WORDS:
                continue
            rendered_count += 1
            found = rendered(response).english(probes) + stored_text_shown(response, spanish)
            if found:
                english[f"{url_name} {method.upper()} {url}"] = found
    assert rendered_count > 60  # every order, claim, card and message had its page
    assert english == {}, "\n".join(f"{page}: {found}" for page, found in english.items())


def test_the_sweep_finds_english_where_it_is(demo: Demo) -> None:
    """The probes are live: an English page of the same member is full of catalogue English."""
    demo.client.post(reverse("set_language"), {"language": "en", "next": "/"})
    probes = english_probes()

    page = demo.client.get(reverse("web:dashboard"))
    text = " ".join(BeautifulSoup(page.content.decode(), "html.parser").get_text(" ").split())

    found = Rendered(text.split("  ")).english(probes)
    assert len(found) > 10, found


def test_every_member_url_is_in_the_plan() -> None:
    assert _member_url_names() - set(PLAN) == set(), "add the new member URL to PLAN"
    assert set(PLAN) - _member_url_names() == set(), "remove URLs that are gone"


def test_the_catalogue_reader_reads_plurals_and_continued_lines() -> None:
    entries = dict(read_catalogue())

    assert entries["Person code"] == "Código de persona"
    assert any("%(count)d" in msgid for msgid in entries)
    assert all("\n" not in msgid or msgid.endswith("\n") or "\n" in msgid for msgid in entries)
