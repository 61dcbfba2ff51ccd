"""Claims pages: access, filters and bad input, query budget, CSV, PDF statement, audit."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
import zlib
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from rxportal.audit.models import AuditEvent
from rxportal.claims.models import Claim, ClaimStatus
from rxportal.members.models import Member
from tests.claims.conftest import ClaimsWorld, make_reversed_pair
from tests.conftest import Family
from tests.factories import ClaimFactory, DrugFactory, PharmacyFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory
from tests.pricing.factories import PriceQuoteFactory

D = Decimal
pytestmark = pytest.mark.django_db

LIST_URL = reverse("claims:list")
CSV_URL = reverse("claims:export_csv")
PDF_URL = reverse("claims:statement_pdf")


def _html(response) -> str:
    return response.content.decode()


def _detail_url(claim: Claim) -> str:
    return reverse("claims:detail", args=[claim.public_id])


@pytest.fixture
def member_client(client: Client, world: ClaimsWorld) -> Client:
    client.force_login(world.family.subscriber.user)
    return client


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def _pdf_text(pdf: bytes) -> str:
    """The page content streams of a reportlab PDF, inflated (enough to find the text)."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.DOTALL):
        data = stream.strip()
        if data.endswith(b"~>"):  # /ASCII85Decode /FlateDecode
            data = zlib.decompress(base64.a85decode(data[:-2]))
        text.append(data.decode("latin-1"))
    return "\n".join(text)


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST_URL, CSV_URL, PDF_URL])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_anonymous_visitors_are_sent_to_sign_in_from_a_claim(
    client: Client, world: ClaimsWorld
) -> None:
    url = _detail_url(world.paid[0])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("url", [LIST_URL, CSV_URL, PDF_URL])
def test_non_members_get_the_member_tools_page(client: Client, url: str) -> None:
    client.force_login(UserFactory(role="client"))

    response = client.get(url)

    assert response.status_code == 403


def test_another_members_claim_is_not_found(member_client: Client, world: ClaimsWorld) -> None:
    for claim in world.hidden:  # the spouse and adult child (no consent), another family
        response = member_client.get(_detail_url(claim))
        assert response.status_code == 404
    assert (
        member_client.get(
            reverse("claims:detail", args=["00000000-0000-0000-0000-000000000000"])
        ).status_code
        == 404
    )
    assert not _events("phi.claim.viewed")


def test_pages_are_never_cached(member_client: Client, world: ClaimsWorld) -> None:
    for url in (LIST_URL, _detail_url(world.paid[0])):
        assert "no-store" in member_client.get(url)["Cache-Control"]


# --- The list ---------------------------------------------------------------------------------


def test_list_shows_the_familys_claims_totals_and_chart(
    member_client: Client, world: ClaimsWorld
) -> None:
    response = member_client.get(LIST_URL)

    assert response.status_code == 200
    html = _html(response)
    assert html.count("<h1") == 1
    for claim in world.paid:
        assert _detail_url(claim) in html
    for claim in world.hidden:
        assert _detail_url(claim) not in html
    assert "$40.50" in html and "$152.25" in html  # totals of the paid claims
    assert "6 claims match your filters" in html
    assert "<svg" in html and "<figcaption>" in html and "Paid claims by month" in html
    assert "Prior authorization required" in html  # the rejected claim's reason
    assert "Reversal" in html and "Reversed" in html
    assert world.family.minor_child.first_name in html
    assert "style=" not in html and "<style" not in html  # the CSP allows no inline styles


def test_list_filters_by_person_and_dates(
    member_client: Client, world: ClaimsWorld, plan_year: int
) -> None:
    child = world.family.minor_child

    html = _html(
        member_client.get(
            LIST_URL,
            {
                "person": str(child.public_id),
                "date_from": f"{plan_year}-03-01",
                "date_to": f"{plan_year}-03-31",
            },
        )
    )

    assert _detail_url(world.paid[2]) in html
    assert _detail_url(world.paid[1]) not in html and _detail_url(world.rejected) not in html
    assert "$5.00" in html


def test_list_without_dates_shows_the_plan_year_in_the_date_inputs(
    member_client: Client, plan_year: int
) -> None:
    html = _html(member_client.get(LIST_URL))

    assert f'value="{plan_year}-01-01"' in html
    assert f'value="{plan_year}-12-31"' in html


@pytest.mark.parametrize(
    ("params", "start", "end"),
    [
        ({"date_to": "{prev}-06-30"}, "{prev}-01-01", "{prev}-06-30"),
        ({"date_from": "{next}-02-01"}, "{next}-02-01", "{next}-12-31"),
        ({"date_from": "{prev}-02-01"}, "{prev}-02-01", "{year}-12-31"),
    ],
)
def test_one_date_alone_gets_a_sensible_other_end(
    member_client: Client,
    world: ClaimsWorld,
    plan_year: int,
    params: dict[str, str],
    start: str,
    end: str,
) -> None:
    years = {"prev": plan_year - 1, "next": plan_year + 1, "year": plan_year}
    given = {key: value.format(**years) for key, value in params.items()}

    html = _html(member_client.get(LIST_URL, given))

    assert f'value="{start.format(**years)}"' in html
    assert f'value="{end.format(**years)}"' in html
    assert "Please check your filters" not in html


def test_list_sorts_and_marks_the_sorted_column(member_client: Client, world: ClaimsWorld) -> None:
    html = _html(member_client.get(LIST_URL, {"sort": "you_paid-desc"}))

    positions = [
        html.index(_detail_url(c)) for c in (world.reversed_original, world.paid[1], world.paid[0])
    ]
    assert positions == sorted(positions)  # $30.00, $25.50, $10.00
    assert 'aria-sort="descending"' in html
    assert "sort=you_paid-asc" in html  # the column link flips the order


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"date_from": "2026-05-01", "date_to": "2026-04-01"},
            "The end date is before the start date.",
        ),
        ({"date_from": "2026-13-45"}, "Enter the date as year-month-day"),
        ({"date_to": "yesterday"}, "Enter the date as year-month-day"),
        ({"date_from": "2000-01-01", "date_to": "2026-01-01"}, "at most 10 years"),
        ({"person": "not-a-person"}, "not one whose claims you can see"),
        ({"status": "stolen"}, "Choose paid, reversed or rejected."),
        ({"sort": "price"}, "Choose an order from the list."),
        ({"drug": "x" * 101}, "Enter at most 100 characters."),
    ],
)
def test_bad_filters_get_a_clear_message(
    member_client: Client, world: ClaimsWorld, params: dict[str, str], message: str
) -> None:
    response = member_client.get(LIST_URL, params)

    assert response.status_code == 200
    html = _html(response)
    assert "Please check your filters" in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert _detail_url(world.paid[0]) not in html
    assert not _events("phi.claims.viewed")


def test_another_familys_person_id_is_refused(member_client: Client, world: ClaimsWorld) -> None:
    for person in (world.stranger, world.family.spouse):
        html = _html(member_client.get(LIST_URL, {"person": str(person.public_id)}))
        assert "not one whose claims you can see" in html
        assert person.first_name not in html.split("<main", 1)[1].split("</form>", 1)[1]


@pytest.mark.parametrize("param", ["after", "before"])
def test_a_bad_page_link_falls_back_to_the_first_page(
    member_client: Client, world: ClaimsWorld, param: str
) -> None:
    for cursor in ("garbage", str(world.hidden[2].public_id)):
        html = _html(member_client.get(LIST_URL, {param: cursor}))
        assert "back on the first page" in html
        assert _detail_url(world.paid[1]) in html


def test_next_and_previous_pages(member_client: Client, family: Family, plan_year: int) -> None:
    drug = DrugFactory(name="Pagedrug")
    claims = [
        ClaimFactory(
            member=family.subscriber,
            drug=drug,
            service_date=dt.date(plan_year, 1, 1) + dt.timedelta(days=i),
        )
        for i in range(30)
    ]

    first = _html(member_client.get(LIST_URL, {"drug": "pagedrug"}))
    older = re.search(r'rel="next" href="\?([^"]+)"', first)
    assert older and "Older claims" in first and "Newer claims" not in first
    second = _html(member_client.get(f"{LIST_URL}?{older.group(1).replace('&amp;', '&')}"))
    newer = re.search(r'rel="prev" href="\?([^"]+)"', second)

    assert newer and "drug=pagedrug" in newer.group(1)
    assert [c for c in claims if _detail_url(c) in second] == claims[:5]
    back = _html(member_client.get(f"{LIST_URL}?{newer.group(1).replace('&amp;', '&')}"))
    assert [c for c in claims if _detail_url(c) in back] == claims[5:]


def test_the_list_query_count_does_not_grow_with_claims(
    member_client: Client,
    world: ClaimsWorld,
    family: Family,
    plan_year: int,
    django_assert_max_num_queries,
) -> None:
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert member_client.get(LIST_URL).status_code == 200
        return len(queries)

    count_queries()  # the first request of a session records it (allauth usersessions)
    few = count_queries()
    for day in range(40):
        ClaimFactory(
            member=family.minor_child if day % 2 else family.subscriber,
            drug=DrugFactory(),
            pharmacy=PharmacyFactory(),
            service_date=dt.date(plan_year, 1, 1) + dt.timedelta(days=day * 3),
        )
    with django_assert_max_num_queries(18):
        many = count_queries()
    # The first page of the world shows a reversal, which costs one look-up of its original.
    assert many <= few <= many + 1


def test_viewing_the_list_is_audited_without_phi(member_client: Client, world: ClaimsWorld) -> None:
    child = world.family.minor_child
    member_client.get(LIST_URL, {"person": str(child.public_id), "drug": "atorva"})

    [event] = _events("phi.claims.viewed")
    assert event.outcome == "success"
    assert event.subject_id == str(child.public_id)
    assert event.details == {
        "edge": "web",
        "filters": ["person", "drug"],
        "sort": "date-desc",
        "count": 1,
        "page": "first",
    }
    assert "torva" not in str(event.details).lower()


# --- One claim --------------------------------------------------------------------------------


def test_claim_page_shows_every_figure(member_client: Client, world: ClaimsWorld) -> None:
    claim = world.paid[1]

    response = member_client.get(_detail_url(claim))

    assert response.status_code == 200
    html = _html(response)
    for text in (
        claim.drug.name,
        claim.pharmacy.name,
        claim.claim_number,
        "$125.75",  # total cost
        "$100.25",
        "$25.50",
        "Generic",
        "Retail, 30-day",
        "Days supply",
    ):
        assert text in html
    [event] = _events("phi.claim.viewed")
    assert event.subject_id == str(claim.public_id)
    assert "style=" not in html


def test_claim_page_shows_the_price_quote_that_covered_it(
    member_client: Client, family: Family, today: dt.date
) -> None:
    claim = ClaimFactory(member=family.subscriber, service_date=today, member_paid=D("12.00"))
    quote = PriceQuoteFactory(member=family.subscriber, drug=claim.drug, member_pays=D("10.00"))

    html = _html(member_client.get(_detail_url(claim)))

    assert "Your price quote and what you paid" in html
    assert str(quote.public_id) in html
    assert "$2.00 more than quoted" in html


def test_claim_page_without_a_quote_shows_no_comparison(
    member_client: Client, world: ClaimsWorld
) -> None:
    html = _html(member_client.get(_detail_url(world.paid[0])))

    assert "Your price quote and what you paid" not in html


def test_a_minor_childs_claim_is_visible(member_client: Client, world: ClaimsWorld) -> None:
    assert member_client.get(_detail_url(world.paid[2])).status_code == 200


def test_reversal_links_to_its_original_and_back(member_client: Client, world: ClaimsWorld) -> None:
    reversal_html = _html(member_client.get(_detail_url(world.reversal)))
    original_html = _html(member_client.get(_detail_url(world.reversed_original)))

    assert _detail_url(world.reversed_original) in reversal_html
    assert "This reversal cancels claim" in reversal_html
    assert _detail_url(world.reversal) in original_html
    assert "not counted in your totals" in original_html


def test_rejected_claim_shows_the_reason(member_client: Client, world: ClaimsWorld) -> None:
    html = _html(member_client.get(_detail_url(world.rejected)))

    assert "Rejected" in html and "Prior authorization required" in html and "code 75" in html


# --- CSV --------------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_export_has_the_filtered_claims(member_client: Client, world: ClaimsWorld) -> None:
    response = member_client.get(CSV_URL, {"status": "paid"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="claims-')
    header, *rows = _csv_rows(response)
    assert header[:3] == ["Claim number", "Date of service", "Person"]
    assert [row[0] for row in rows] == [c.claim_number for c in reversed(world.paid)]
    newest = rows[0]
    assert newest[3] == world.paid[2].drug.name
    assert newest[header.index("You paid")] == "5.00"
    assert newest[header.index("Plan paid")] == "12.00"
    assert newest[header.index("Counted in totals")] == "yes"


def test_csv_marks_reversals_and_rejections(member_client: Client, world: ClaimsWorld) -> None:
    header, *rows = _csv_rows(member_client.get(CSV_URL))
    by_number = {row[0]: row for row in rows}

    reversal = by_number[world.reversal.claim_number]
    assert reversal[header.index("Reverses claim")] == world.reversed_original.claim_number
    assert reversal[header.index("Counted in totals")] == "no"
    rejected = by_number[world.rejected.claim_number]
    assert rejected[header.index("Reject reason")] == "Prior authorization required"
    assert len(rows) == 6


def test_csv_cells_cannot_run_as_formulas(
    member_client: Client, family: Family, plan_year: int
) -> None:
    ClaimFactory(
        member=family.subscriber,
        drug=DrugFactory(name='=HYPERLINK("http://evil.example","x")'),
        pharmacy=PharmacyFactory(name="@SUM(1+1)"),
        service_date=dt.date(plan_year, 6, 1),
    )

    header, row = _csv_rows(member_client.get(CSV_URL, {"drug": "hyperlink"}))

    # The readable name (lower-cased like an RxNorm ingredient) is still a formula: escaped.
    assert row[header.index("Drug")] == '\'=hyperlink("http://evil.example","x")'
    assert row[header.index("Pharmacy")] == "'@SUM(1+1)"


def test_csv_export_is_audited(member_client: Client, world: ClaimsWorld) -> None:
    b"".join(member_client.get(CSV_URL, {"pharmacy": "elm"}).streaming_content)

    [event] = _events("phi.claims.exported")
    assert event.details == {
        "edge": "web",
        "filters": ["pharmacy"],
        "sort": "date-desc",
        "count": 2,
        "format": "csv",
    }
    assert event.subject_id == str(world.family.subscriber.public_id)


def test_csv_with_bad_filters_goes_back_to_the_list(
    member_client: Client, world: ClaimsWorld
) -> None:
    response = member_client.get(CSV_URL, {"date_from": "nope"})

    assert response.status_code == 302
    assert response["Location"] == f"{LIST_URL}?date_from=nope"
    assert not _events("phi.claims.exported")


# --- PDF statement ----------------------------------------------------------------------------


def test_statement_pdf_lists_paid_claims_and_totals(
    member_client: Client, world: ClaimsWorld
) -> None:
    response = member_client.get(PDF_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="claims-statement-')
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "$40.50" in text and "$152.25" in text
    for claim in world.paid:
        assert claim.drug.name in text
    assert world.rejected.drug.name in text  # Atorvastatin: also on a paid claim
    assert "3 paid claims" in text
    assert world.family.subscriber.member_id in text
    assert b"/Author (rxportal)" in pdf
    assert b"/Title (Pharmacy claims statement" in pdf
    [event] = _events("phi.claims.statement_downloaded")
    assert event.details == {"edge": "web", "filters": [], "sort": "date-desc", "count": 3}


def test_statement_uses_fonts_of_8_points_or_more(
    member_client: Client, world: ClaimsWorld
) -> None:
    text = _pdf_text(member_client.get(PDF_URL).content)

    sizes = [float(size) for size in re.findall(r"/F\d+ ([\d.]+) Tf", text)]
    assert sizes and min(sizes) >= 8


def test_statement_with_bad_filters_goes_back_to_the_list(
    member_client: Client, world: ClaimsWorld
) -> None:
    response = member_client.get(PDF_URL, {"date_from": "2026-02-01", "date_to": "2026-01-01"})

    assert response.status_code == 302
    assert response["Location"].startswith(LIST_URL)


def test_the_statement_downloads_instead_of_replacing_the_page(
    member_client: Client, world: ClaimsWorld
) -> None:
    """The member stays on the claims page: the link asks for a download and the response is
    an attachment, so the browser saves the file rather than navigating to it."""
    page = member_client.get(LIST_URL).content.decode()
    link = re.search(r'<a [^>]*href="(/claims/statement\.pdf[^"]*)"[^>]*>', page)
    assert link is not None
    assert " download" in link.group(0)

    response = member_client.get(link.group(1).replace("&amp;", "&"))

    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("language", "stored_reason", "said", "not_said"),
    [
        ("en", "", "Refill too soon", None),
        ("es", "", "Resurtido demasiado pronto", "Refill too soon"),
        # The reason an adjudicator sent with a known code is not what the member reads.
        ("es", "REFILL TOO SOON", "Resurtido demasiado pronto", "REFILL TOO SOON"),
    ],
)
def test_a_rejected_claims_reason_is_said_from_its_code_in_the_members_language(
    member_client: Client,
    world: ClaimsWorld,
    language: str,
    stored_reason: str,
    said: str,
    not_said: str | None,
) -> None:
    claim = ClaimFactory(
        member=world.family.subscriber,
        drug=world.drugs[0],
        rejected=True,
        reject_code="79",
        reject_reason=stored_reason,
    )
    member_client.post(reverse("set_language"), {"language": language, "next": "/"})

    pages = [
        _html(member_client.get(LIST_URL)),
        _html(member_client.get(_detail_url(claim))),
        b"".join(member_client.get(CSV_URL).streaming_content).decode(),  # type: ignore[attr-defined]
    ]

    for page in pages:
        assert said in page
        assert not_said is None or not_said not in page


def test_an_unknown_reject_code_shows_the_adjudicators_words_and_the_code(
    member_client: Client, world: ClaimsWorld
) -> None:
    claim = ClaimFactory(
        member=world.family.subscriber,
        drug=world.drugs[0],
        rejected=True,
        reject_code="ZZ",
        reject_reason="Something the processor said",
    )

    page = _html(member_client.get(_detail_url(claim)))

    assert "Something the processor said (code ZZ)" in page


# --- Rendering cost ---------------------------------------------------------------------------


def _template_work(client: Client) -> int:
    """Template variables and tags the list page renders: the engine's cost grows with them."""
    from django.template.base import Node

    calls = 0
    original = Node.render_annotated

    def counting(node: Node, context: object) -> object:
        nonlocal calls
        calls += 1
        return original(node, context)

    Node.render_annotated = counting  # type: ignore[method-assign]
    try:
        assert client.get(LIST_URL).status_code == 200
    finally:
        Node.render_annotated = original  # type: ignore[method-assign]
    return calls


def test_the_list_template_work_does_not_grow_with_its_rows(
    client: Client, family: Family, plan_year: int
) -> None:
    """A page of 20 claims costs the template engine what a page of 2 does: the rows (and the
    monthly table) are written in Python, where 25 rows of 7 cells cost a fraction."""
    client.force_login(family.subscriber.user)

    def add_claims(count: int) -> None:
        for index in range(count):
            ClaimFactory(
                member=family.minor_child if index % 2 else family.subscriber,
                drug=DrugFactory(),
                pharmacy=PharmacyFactory() if index % 3 else None,
                service_date=dt.date(plan_year, 1, 1 + index),
                member_paid=D("10.00"),
            )

    add_claims(2)
    _template_work(client)  # the first request of a session records it
    few = _template_work(client)
    add_claims(18)
    many = _template_work(client)

    assert many == few


def test_the_list_reads_the_viewer_and_family_in_one_statement(
    member_client: Client, world: ClaimsWorld
) -> None:
    """``member_page`` reads the viewer and the family they may see at once; the claims scope
    then answers from that (before: the viewer, then the dependents, two round trips)."""
    member_client.get(LIST_URL)  # the first request of a session records it
    with CaptureQueriesContext(connection) as queries:
        html = _html(member_client.get(LIST_URL))

    member_reads = [q for q in queries if q["sql"].startswith('SELECT "members_member"')]
    assert len(member_reads) == 1
    assert str(world.family.minor_child.public_id) in html  # the family is still offered
    assert str(world.family.spouse.public_id) not in html  # and only whom the rule allows


# The rows as the template wrote them before ``claim_rows`` and ``spending_month_rows``: the
# tags must write the same cells, escaped the same way, in either language.
_TEMPLATE_ROWS = Template(
    """{% load i18n money claims %}{% for claim in page.claims %}
<tr class="claim-row claim-row--{{ claim.status }}{% if claim.reverses_id %} claim-row--reversal{% endif %}">
<td class="date">{{ claim.service_date|date:"DATE_FORMAT" }}</td>
{% if scope.shows_family %}<td>{{ claim.member.first_name }}</td>{% endif %}
<td><a href="{{ claim_url_prefix }}{{ claim.public_id }}/">{{ claim.drug.display_name }}</a></td>
<td>{% if claim.pharmacy %}{{ claim.pharmacy.name }}{% else %}{% translate "Not recorded" %}{% endif %}</td>
<td>{% claim_status claim %}</td>
<td class="num">{{ claim.member_paid|money }}</td>
<td class="num">{{ claim.plan_paid|money }}</td>
</tr>{% endfor %}
{% for month in summary.months %}<tr>
<th scope="row">{{ month.month|date:"F Y" }}</th>
<td class="num">{{ month.you_paid|money }}</td>
<td class="num">{{ month.plan_paid|money }}</td>
<td class="num">{{ month.paid_claims }}</td>
</tr>{% endfor %}"""
)


def _rows(html: str) -> tuple[str, str]:
    """The claims table's body rows, then the monthly table's, whitespace between tags dropped."""
    rows = [
        re.sub(r">\s+<", "><", row)
        for row in re.findall(
            r'<tr(?: class="claim-row[^"]*")?>(?:(?!<tr).)*?<td class="num">.*?</tr>', html, re.S
        )
    ]
    claims = [row for row in rows if row.startswith('<tr class="claim-row')]
    months = [row for row in rows if not row.startswith('<tr class="claim-row')]
    return "".join(claims), "".join(months)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_rows_are_the_cells_the_template_wrote_escaped_alike(
    client: Client, family: Family, plan_year: int, language: str
) -> None:
    hostile = '<script>alert("x")</script> & Co\'s'
    FamilyAccessGrantFactory(grantor=family.spouse)
    Member.objects.filter(pk=family.spouse.pk).update(first_name=f"<b>{hostile}</b>")
    drug = DrugFactory(name=f"{hostile} 10 MG Oral Tablet")
    pharmacy = PharmacyFactory(name=f'<img src=x onerror="{hostile}">')
    for index in range(12):
        ClaimFactory(
            member=family.spouse if index % 2 else family.subscriber,
            drug=drug,
            pharmacy=pharmacy if index % 3 else None,
            service_date=dt.date(plan_year, 1 + index, 1 + index),
            member_paid=D("1234.50") * index,
            plan_paid=D("12000.00"),
            status=ClaimStatus.REJECTED if index % 4 == 1 else ClaimStatus.PAID,
            reject_code="75" if index % 4 == 1 else "",
        )
    make_reversed_pair(member=family.subscriber, drug=drug, service_date=dt.date(plan_year, 3, 3))
    client.force_login(family.subscriber.user)

    response = client.get(LIST_URL, headers={"Accept-Language": language})

    html = _html(response)
    assert "<script>" not in html and "<img src=x" not in html and "<b>" not in html
    with translation.override(language):
        before = _TEMPLATE_ROWS.render(
            Context(
                {
                    key: response.context[key]
                    for key in ("page", "scope", "claim_url_prefix", "summary")
                }
            )
        )
    claim_rows, month_rows = _rows(html)
    assert claim_rows.count('<tr class="claim-row ') == 14
    assert month_rows.count('<th scope="row">') == 12
    assert (claim_rows, month_rows) == _rows(before)
