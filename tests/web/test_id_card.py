"""ID cards: the page, the printable PDF, the NCPDP fields, and who may see whose card."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation

from rxportal.audit.models import AuditEvent
from rxportal.core import clock
from rxportal.web.id_card_pdf import (
    BACK,
    CARD_HEIGHT,
    CARD_WIDTH,
    FRONT,
    MARGIN,
    MIN_FONT_SIZE,
    layout_id_card,
    render_id_card_pdf,
)
from rxportal.web.selectors import id_card_for, list_id_cards
from tests.conftest import Family
from tests.factories import ClientFactory, MemberFactory, PlanFactory, UserFactory
from tests.members.factories import FamilyAccessGrantFactory
from tests.pdf_text import pdf_text_runs

pytestmark = pytest.mark.django_db
URL = reverse("web:id_card")
NCPDP_LABELS = ("Name", "ID", "Person code", "RxBIN", "RxPCN", "RxGrp")


def _html(response) -> str:
    return response.content.decode()


def _pdf_url(member) -> str:
    return reverse("web:id_card_pdf", args=[member.public_id])


def _last_event() -> AuditEvent:
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None
    return event


@pytest.mark.parametrize("url_name", ["page", "pdf"])
def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, family: Family, url_name: str
) -> None:
    url = URL if url_name == "page" else _pdf_url(family.subscriber)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_the_page_shows_the_card_fields_of_the_member_and_visible_family(
    client: Client, family: Family, settings
) -> None:
    plan = family.subscriber.plan
    client.force_login(family.subscriber.user)

    response = client.get(URL)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = _html(response)
    assert html.count("<h1") == 1
    for label in NCPDP_LABELS:
        assert f"<dt>{label}</dt>" in html
    for text in (
        family.subscriber.full_name,
        family.subscriber.member_id,
        plan.rx_bin,
        plan.rx_pcn,
        plan.rx_group,
        plan.name,
        family.subscriber.client.name,  # the issuer when the plan names none
        family.subscriber.client.member_services_phone,
        settings.RXPORTAL_SUPPORT["pharmacist_phone"],
    ):
        assert text in html
    assert "<dd>01</dd>" in html and "<dd>03</dd>" in html  # the subscriber, the minor child
    assert family.minor_child.full_name in html
    assert family.spouse.full_name not in html  # an adult without consent
    assert family.adult_child.full_name not in html
    assert f'href="{_pdf_url(family.subscriber)}"' in html
    assert f'href="{_pdf_url(family.minor_child)}"' in html
    event = _last_event()
    assert (event.action, event.subject_id) == (
        "phi.id_card.viewed",
        str(family.subscriber.public_id),
    )
    assert event.details == {"edge": "web", "cards": 2}


def test_an_adult_who_consented_has_a_card_on_the_page(client: Client, family: Family) -> None:
    FamilyAccessGrantFactory(grantor=family.spouse)
    client.force_login(family.subscriber.user)

    html = _html(client.get(URL))

    assert family.spouse.full_name in html
    assert f'href="{_pdf_url(family.spouse)}"' in html


def test_the_card_uses_the_plan_issuer_and_falls_back_to_the_pbm_line(settings) -> None:
    plan = PlanFactory(issuer_name="Example Health Insurance Co.")
    member = MemberFactory(plan=plan, client=ClientFactory(member_services_phone=""))

    card = id_card_for(member)

    assert card.issuer == "Example Health Insurance Co."
    assert card.member_services_phone == settings.RXPORTAL_SUPPORT["member_phone"]


def test_the_pdf_download_is_a_card_with_every_field(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    response = client.get(_pdf_url(family.minor_child))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="rxportal-id-card-03.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    event = _last_event()
    assert (event.action, event.outcome, event.subject_id) == (
        "phi.id_card.downloaded",
        "success",
        str(family.minor_child.public_id),
    )
    assert event.details == {"edge": "web", "format": "pdf", "own_card": False}


@pytest.mark.parametrize("who", ["spouse", "adult_child", "stranger"])
def test_the_pdf_of_a_member_the_viewer_may_not_see_is_a_404(
    client: Client, family: Family, who: str
) -> None:
    member = MemberFactory() if who == "stranger" else getattr(family, who)
    client.force_login(family.subscriber.user)
    events_before = AuditEvent.objects.count()

    response = client.get(_pdf_url(member))

    assert response.status_code == 404
    assert AuditEvent.objects.count() == events_before


def test_a_dependent_gets_only_their_own_card(client: Client, family: Family) -> None:
    family.spouse.user = UserFactory(username="spouse")
    family.spouse.save()
    client.force_login(family.spouse.user)

    html = _html(client.get(URL))

    assert family.spouse.full_name in html
    assert family.subscriber.full_name not in html
    assert client.get(_pdf_url(family.subscriber)).status_code == 404
    assert client.get(_pdf_url(family.spouse)).status_code == 200


def test_a_malformed_card_address_is_a_404(client: Client, family: Family) -> None:
    client.force_login(family.subscriber.user)

    assert client.get("/id-card/not-a-uuid.pdf").status_code == 404


def test_the_pdf_has_every_field_and_ncpdp_label(family: Family) -> None:
    card = id_card_for(family.subscriber)

    pdf = render_id_card_pdf(card, page_compression=0)

    assert pdf.startswith(b"%PDF")
    for text in (*NCPDP_LABELS, card.name, card.member_id, card.rx_bin, card.rx_pcn):
        assert f"({text})".encode() in pdf, text
    for text in (card.rx_group, card.member_services_phone, card.pharmacist_phone):
        assert text.encode() in pdf
    assert b"/Count 2" in pdf  # front and back
    assert re.search(rb"/MediaBox \[ 0 0 242\.6\d* 153\.0\d* \]", pdf)  # 85.6 x 54 mm


def test_the_card_layout_keeps_text_at_8pt_or_more_and_inside_the_card(family: Family) -> None:
    family.subscriber.first_name = "Maria-Guadalupe Alejandra"
    family.subscriber.last_name = "Fernandez de la Concepcion-Villanueva"
    card = id_card_for(family.subscriber)

    layout = layout_id_card(card)

    assert {text.side for text in layout} == {FRONT, BACK}
    for text in layout:
        assert text.size >= MIN_FONT_SIZE
        assert text.x >= MARGIN and text.x + text.width <= CARD_WIDTH - MARGIN + 0.01, text
        assert 0 < text.y < CARD_HEIGHT - 8, text
    front = [text.text for text in layout if text.side == FRONT]
    for label in NCPDP_LABELS:
        assert label in front
    assert any(text.endswith("…") for text in front)  # the long name was shortened to fit
    for value in (card.member_id, card.person_code, card.rx_bin, card.rx_pcn, card.rx_group):
        assert value in front


def test_front_texts_do_not_overlap(family: Family) -> None:
    layout = [text for text in layout_id_card(id_card_for(family.subscriber)) if text.side == FRONT]

    for i, a in enumerate(layout):
        for b in layout[i + 1 :]:
            same_line = abs(a.y - b.y) < max(a.size, b.size)
            overlaps = a.x < b.x + b.width and b.x < a.x + a.width
            assert not (same_line and overlaps), (a.text, b.text)


def test_id_cards_read_within_a_query_budget(family: Family, django_assert_max_num_queries) -> None:
    FamilyAccessGrantFactory(grantor=family.spouse)
    FamilyAccessGrantFactory(grantor=family.adult_child)

    with django_assert_max_num_queries(2):
        cards = list_id_cards(viewer=family.subscriber.user, today=clock.today())

    assert len(cards) == 4


LONG_VALUES = {
    "member_id": "ZX98765432101234567W",  # 20 characters, the longest a member id may be
    "rx_group": "WM12345CT001234",  # 15, the longest group number
    "rx_pcn": "MWPORTALRX",  # 10, the longest PCN
}
# Where the old back note broke "RxGrp" from its number.
TYPICAL_VALUES = {"member_id": "ZXC123456789", "rx_group": "12345CT0010001", "rx_pcn": "RXPORTAL"}


def _long_card(family: Family, values: dict[str, str] = LONG_VALUES) -> object:
    plan = family.subscriber.plan
    plan.rx_bin, plan.rx_group, plan.rx_pcn = "610014", values["rx_group"], values["rx_pcn"]
    family.subscriber.member_id = values["member_id"]
    family.subscriber.person_code = "001"
    return id_card_for(family.subscriber)


@pytest.mark.parametrize("values", [LONG_VALUES, TYPICAL_VALUES], ids=["longest", "typical"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_card_value_is_whole_on_one_line_in_both_languages(
    family: Family, language: str, values: dict[str, str]
) -> None:
    """Nothing a pharmacy types is cut, shortened or wrapped: each number, and the coverage
    date, is drawn whole in one piece of text, and on the back each label keeps its number."""
    card = _long_card(family, values)
    with translation.override(language):
        layout = layout_id_card(card)
        covered = formats.date_format(card.coverage_start, "SHORT_DATE_FORMAT")

    texts = [text.text for text in layout]
    for value in (*values.values(), card.person_code, card.rx_bin, covered):
        assert any(value in text for text in texts), (value, texts)
    assert not any(text.endswith("…") for text in texts), texts
    back = [text.text for text in layout if text.side == BACK]
    for label, value in (
        ("RxBIN", card.rx_bin),
        ("RxPCN", card.rx_pcn),
        ("RxGrp", card.rx_group),
    ):
        assert any(f"{label} {value}" in line for line in back), (label, back)
    for text in layout:
        assert text.size >= MIN_FONT_SIZE
        assert text.x >= MARGIN and text.x + text.width <= CARD_WIDTH - MARGIN + 0.01, text
        assert 0 < text.y < CARD_HEIGHT - 8, text


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_two_texts_overlap_on_either_side(family: Family, language: str) -> None:
    with translation.override(language):
        layout = layout_id_card(_long_card(family))

    for side in (FRONT, BACK):
        texts = [text for text in layout if text.side == side]
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                same_line = abs(a.y - b.y) < max(a.size, b.size)
                overlaps = a.x < b.x + b.width and b.x < a.x + a.width
                assert not (same_line and overlaps), (a.text, b.text)


def test_the_spanish_card_says_its_labels_in_spanish(client: Client, family: Family) -> None:
    """Name and person code are said in the card's language (the NCPDP abbreviations RxBIN,
    RxPCN, RxGrp and ID are the same in both)."""
    client.force_login(family.subscriber.user)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})

    page = _html(client.get(URL))
    runs = pdf_text_runs(client.get(_pdf_url(family.subscriber)).content)

    for label in ("Nombre", "Código de persona"):
        assert f"<dt>{label}</dt>" in page
        assert label in runs
    for english in ("Name", "Person code"):
        assert f"<dt>{english}</dt>" not in page
        assert english not in runs
    for label in ("ID", "RxBIN", "RxPCN", "RxGrp"):
        assert f"<dt>{label}</dt>" in page and label in runs
