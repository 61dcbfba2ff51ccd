"""The drug page /drugs/<id>/: facts for everyone, the member's coverage and costs for members."""

from __future__ import annotations

import html
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.audit.models import AuditEvent
from rxportal.formulary import selectors
from rxportal.formulary.models import Drug, FormularyEntry
from rxportal.members.models import Member
from rxportal.plans.models import Tier
from rxportal.pricing.presentation import not_covered_text
from rxportal.pricing.selectors import estimate_fill
from rxportal.web.templatetags.money import money
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

LIPITOR_40 = "617320"
ATORVASTATIN_40 = "617311"
ATORVASTATIN_10 = "617312"
LISINOPRIL_10 = "314076"
LISINOPRIL_2_5 = "311353"
XARELTO = "1114202"


def url(drug: Drug) -> str:
    return reverse("formulary:drug", args=[drug.public_id])


def text_of(response: Any) -> str:
    body = response.content.decode()
    main = body.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def alternative_rows(response: Any) -> list[str]:
    """The text of each row of the cheaper-alternatives table."""
    body = response.content.decode()
    table = body.split('<table class="claims alternatives">', 1)[1].split("</table>", 1)[0]
    tbody = table.split("<tbody>", 1)[1]
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    ]


def entry(member: Member, drug: Drug, tier: str, **rules: Any) -> FormularyEntry:
    return FormularyEntry.objects.create(
        formulary=member.plan.formulary, drug=drug, tier=tier, **rules
    )


@pytest.fixture
def member(drugs: dict[str, Drug]) -> Member:
    """A member whose formulary has Lipitor (PA, quantity limit) with two cheaper generics,
    Xarelto as a specialty drug, and lisinopril 10 MG but not 2.5 MG."""
    member = MemberFactory(user=UserFactory())
    lipitor = entry(
        member,
        drugs[LIPITOR_40],
        Tier.PREFERRED_BRAND,
        prior_authorization=True,
        quantity_limit=True,
        quantity_limit_amount=30,
        quantity_limit_days=30,
    )
    lipitor.alternatives.set([drugs[ATORVASTATIN_40], drugs[ATORVASTATIN_10]])
    entry(member, drugs[ATORVASTATIN_40], Tier.GENERIC)
    entry(member, drugs[ATORVASTATIN_10], Tier.PREFERRED_GENERIC, step_therapy=True)
    entry(member, drugs[XARELTO], Tier.SPECIALTY, is_specialty=True, mail_eligible=False)
    entry(member, drugs[LISINOPRIL_10], Tier.GENERIC)
    return member


@pytest.fixture
def member_client(client: Client, member: Member) -> Client:
    client.force_login(member.user)
    return client


def test_the_url_is_drugs_and_the_public_id() -> None:
    public_id = uuid.uuid4()
    assert reverse("formulary:drug", args=[public_id]) == f"/drugs/{public_id}/"


def test_an_unknown_drug_is_404(member_client: Client) -> None:
    assert member_client.get(f"/drugs/{uuid.uuid4()}/").status_code == 404
    assert member_client.get("/drugs/not-a-uuid/").status_code == 404
    assert not AuditEvent.objects.filter(action="phi.drug_coverage.viewed").exists()


def test_a_member_sees_the_coverage_flags_of_the_formulary_entry(
    member_client: Client, drugs: dict[str, Drug]
) -> None:
    response = member_client.get(url(drugs[LIPITOR_40]))

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]
    text = text_of(response)
    assert "Lipitor 40 MG Oral Tablet" in text
    assert "Brand name drug. Generic name: atorvastatin" in text
    assert "Covered by your plan" in text
    assert "Tier Preferred brand" in text
    assert "Prior authorization Required" in text
    assert "Step therapy Not required" in text
    assert "Quantity limit 30 per 30 days" in text
    assert "Specialty drug No" in text
    assert "Mail order Available" in text


def test_specialty_and_mail_order_flags_follow_the_entry(
    member_client: Client, drugs: dict[str, Drug]
) -> None:
    text = text_of(member_client.get(url(drugs[XARELTO])))

    assert "Tier Specialty" in text
    assert "Specialty drug Yes, filled by a specialty pharmacy" in text
    assert "Mail order Not available" in text
    assert "Quantity limit No limit" in text
    assert "Prior authorization Not required" in text


def test_the_drug_and_its_alternatives_cost_what_the_estimator_says(
    member_client: Client, member: Member, drugs: dict[str, Drug]
) -> None:
    response = member_client.get(url(drugs[LIPITOR_40]))

    coverage = response.context["page"].coverage
    assert [alt.drug.rxcui for alt in coverage.alternatives] == [ATORVASTATIN_40, ATORVASTATIN_10]
    text = text_of(response)
    own = estimate_fill(member=member, drug=drugs[LIPITOR_40], channel="retail_30")
    assert own.member_pays is not None
    assert coverage.estimate.member_pays == own.member_pays
    assert f"About {money(own.member_pays)} for a 30-day supply" in text
    rows = alternative_rows(response)
    assert len(rows) == 2
    generic, preferred_generic = (
        estimate_fill(member=member, drug=alternative.drug, channel="retail_30")
        for alternative in coverage.alternatives
    )
    assert [alt.estimate.member_pays for alt in coverage.alternatives] == [
        generic.member_pays,
        preferred_generic.member_pays,
    ]
    assert generic.member_pays == Decimal("10.00")  # the standard plan's generic copay
    assert rows[0].startswith("Atorvastatin 40 MG Oral Tablet")
    assert rows[0].endswith(money(generic.member_pays))
    # The standard test plan prices no preferred-generic tier at retail: no figure, a reason.
    assert preferred_generic.member_pays is None
    assert rows[1].startswith("Atorvastatin 10 MG Oral Tablet")
    assert rows[1].endswith(f"No estimate {not_covered_text(preferred_generic)}")
    # Generic first (cheapest tier), and the step-therapy rule of the second one is shown.
    assert text.index("Atorvastatin 40 MG Oral Tablet Generic") < text.index(
        "Atorvastatin 10 MG Oral Tablet Preferred generic Step therapy"
    )


def test_a_drug_the_plan_does_not_cover_offers_covered_forms_of_the_ingredient(
    member_client: Client, member: Member, drugs: dict[str, Drug]
) -> None:
    response = member_client.get(url(drugs[LISINOPRIL_2_5]))

    text = text_of(response)
    assert "Not covered by your plan" in text
    assert "Tier" not in text.split("Your estimated cost")[0].split("Your plan's coverage")[1]
    assert "We cannot estimate a cost: This drug is not on your plan's formulary" in text
    coverage = response.context["page"].coverage
    assert [alt.drug.rxcui for alt in coverage.alternatives] == [LISINOPRIL_10]
    expected = estimate_fill(member=member, drug=drugs[LISINOPRIL_10], channel="retail_30")
    assert expected.member_pays == Decimal("10.00")  # the standard plan's generic copay
    assert money(expected.member_pays) in text


def test_the_page_lists_other_strengths_and_forms_with_links(
    client: Client, drugs: dict[str, Drug]
) -> None:
    response = client.get(url(drugs[LIPITOR_40]))

    body = response.content.decode()
    for rxcui in ("617310", ATORVASTATIN_40, ATORVASTATIN_10, "259255", "617314"):
        assert url(drugs[rxcui]) in body
    assert f'href="{url(drugs[LIPITOR_40])}"' not in body.split("other-forms-heading")[1]
    assert "<caption" in body
    assert 'scope="col"' in body


def test_an_anonymous_visitor_sees_the_drug_but_no_coverage(
    client: Client, member: Member, drugs: dict[str, Drug]
) -> None:
    response = client.get(url(drugs[LIPITOR_40]))

    assert response.status_code == 200
    text = text_of(response)
    assert "Lipitor 40 MG Oral Tablet" in text
    assert "Strength 40 MG" in text
    assert "Dose form Oral Tablet" in text
    assert "Sign in to see your coverage" in text
    for hidden in ("Covered by your plan", "Preferred brand", "Prior authorization", "$"):
        assert hidden not in text
    assert f"?next=/drugs/{drugs[LIPITOR_40].public_id}/" in html.unescape(
        response.content.decode()
    ).replace("%2F", "/")
    assert response.context["page"].coverage is None
    assert not AuditEvent.objects.filter(action="phi.drug_coverage.viewed").exists()


def test_a_signed_in_non_member_sees_no_coverage(client: Client, drugs: dict[str, Drug]) -> None:
    client.force_login(UserFactory(role="client"))

    text = text_of(client.get(url(drugs[LIPITOR_40])))

    assert "Coverage and costs are shown to plan members" in text
    assert "Covered by your plan" not in text


def test_the_member_view_is_audited_without_phi(
    member_client: Client, member: Member, drugs: dict[str, Drug]
) -> None:
    member_client.get(url(drugs[LIPITOR_40]))

    event = AuditEvent.objects.get(action="phi.drug_coverage.viewed")
    assert event.outcome == "success"
    assert event.actor_id == member.user_id
    assert event.subject_id == str(member.public_id)
    assert event.details == {
        "edge": "web",
        "item": str(drugs[LIPITOR_40].public_id),
        "covered": True,
        "alternatives": 2,
    }
    assert "Lipitor" not in str(event.details) and "atorvastatin" not in str(event.details)


def test_the_estimate_link_carries_the_drug(member_client: Client, drugs: dict[str, Drug]) -> None:
    body = member_client.get(url(drugs[LIPITOR_40])).content.decode()

    assert f'href="/costs/estimate/?drug={drugs[LIPITOR_40].public_id}"' in body


def test_the_page_is_a_handful_of_queries_besides_the_estimates(
    member_client: Client,
    drugs: dict[str, Drug],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Any,
) -> None:
    """Drug, other forms, member, entry, alternatives (with their drugs), audit; session and
    user. The estimates are the pricing app's (each its own few queries), stubbed here."""
    import rxportal.pricing.selectors as pricing

    calls: list[str] = []

    def fake_estimates(**kwargs: Any) -> Any:
        calls.extend(drug.rxcui for drug in kwargs["drugs"])
        return dict.fromkeys((drug.pk for drug in kwargs["drugs"]), estimate_stub)

    estimate_stub = type(
        "Stub", (), {"covered": True, "member_pays": Decimal("1.00"), "days_supply": 30,
                     "quantity": Decimal(30), "not_covered": None}
    )()  # fmt: skip
    monkeypatch.setattr(pricing, "estimate_fills", fake_estimates)
    member_client.get(url(drugs[XARELTO]))  # the session's first request records the device
    calls.clear()

    # Ours: drug, other forms, member, entry, alternatives (5). The audit event: head and
    # insert in a savepoint pair, plus PostgreSQL's chain lock (4-5). Sign-in machinery: the
    # session, its user, allauth's user-session row (read, update) in savepoints (up to 8).
    with django_assert_max_num_queries(18):
        response = member_client.get(url(drugs[LIPITOR_40]))

    assert response.status_code == 200
    assert calls == [LIPITOR_40, ATORVASTATIN_40, ATORVASTATIN_10]


def test_the_whole_page_with_real_estimates_stays_bounded(
    member_client: Client, drugs: dict[str, Drug], django_assert_max_num_queries: Any
) -> None:
    member_client.get(url(drugs[XARELTO]))
    # 18 as above, plus the estimates of the drug and its 2 alternatives: the plan with its
    # cost shares, the accumulators and the entries, read once for all three.
    with django_assert_max_num_queries(18 + 4):
        assert member_client.get(url(drugs[LIPITOR_40])).status_code == 200


def test_selectors_find_coverage_and_cheaper_alternatives(
    member: Member, drugs: dict[str, Drug]
) -> None:
    formulary = member.plan.formulary

    found = selectors.find_coverage(formulary=formulary, drug=drugs[LIPITOR_40])
    assert found is not None and found.prior_authorization
    assert selectors.find_coverage(formulary=formulary, drug=drugs[LISINOPRIL_2_5]) is None
    cheaper = selectors.list_cheaper_alternatives(formulary=formulary, drug=drugs[LIPITOR_40])
    assert [alt.drug.rxcui for alt in cheaper] == [ATORVASTATIN_40, ATORVASTATIN_10]
    assert selectors.list_cheaper_alternatives(formulary=formulary, drug=drugs[XARELTO]) == []
    with pytest.raises(selectors.DrugNotFound):
        selectors.get_drug(public_id=uuid.uuid4())
