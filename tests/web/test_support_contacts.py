"""One source for each phone number: the footer, the ID card page and its PDF agree."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from rxportal.plans.services import COMMERCIAL_PHONE
from rxportal.web.id_card_pdf import render_id_card_pdf
from rxportal.web.selectors import id_card_for
from tests.factories import ClientFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def _footer(html: str) -> str:
    match = re.search(r'<footer class="site-footer">.*?</footer>', html, re.S)
    assert match is not None
    return match.group(0)


def _footer_member_line(html: str) -> str:
    match = re.search(
        r"<dt>Member services</dt>\s*<dd><a href=\"tel:([^\"]+)\">", _footer(html), re.S
    )
    assert match is not None
    return match.group(1)


def test_the_footer_and_the_id_card_show_the_sponsors_member_services_number(
    client: Client, settings
) -> None:
    # As the demo data has it: the plan sponsor prints its own member-services line.
    member = MemberFactory(
        user=UserFactory(username="demo-like"),
        client=ClientFactory(member_services_phone=COMMERCIAL_PHONE),
    )
    assert settings.RXPORTAL_SUPPORT["member_phone"] != COMMERCIAL_PHONE
    client.force_login(member.user)

    page = client.get(reverse("web:id_card")).content.decode()
    pdf = render_id_card_pdf(id_card_for(member), page_compression=0)

    assert _footer_member_line(page) == COMMERCIAL_PHONE
    assert f'href="tel:{COMMERCIAL_PHONE}"' in page.split('<footer class="site-footer">')[0]
    assert COMMERCIAL_PHONE.encode() in pdf
    assert settings.RXPORTAL_SUPPORT["member_phone"].encode() not in pdf
    # Every other page the member opens says the same.
    assert _footer_member_line(client.get(reverse("web:dashboard")).content.decode()) == (
        COMMERCIAL_PHONE
    )


def test_a_sponsor_without_its_own_line_gets_the_pbm_number_everywhere(
    client: Client, settings
) -> None:
    member = MemberFactory(user=UserFactory(), client=ClientFactory(member_services_phone=""))
    client.force_login(member.user)

    page = client.get(reverse("web:id_card")).content.decode()

    default = settings.RXPORTAL_SUPPORT["member_phone"]
    assert _footer_member_line(page) == default
    assert id_card_for(member).member_services_phone == default


def test_visitors_and_clients_see_the_pbm_member_services_number(client: Client, settings) -> None:
    MemberFactory(client=ClientFactory(member_services_phone=COMMERCIAL_PHONE))
    default = settings.RXPORTAL_SUPPORT["member_phone"]

    assert _footer_member_line(client.get(reverse("web:home")).content.decode()) == default

    client.force_login(UserFactory(role="client"))
    html = client.get(reverse("web:home")).content.decode()
    assert _footer_member_line(html) == default
    assert f'href="tel:{settings.RXPORTAL_SUPPORT["client_phone"]}"' in _footer(html)


@pytest.mark.parametrize(
    "send",
    [
        "rxportal.accounts.services.recovery._send_password_changed_notice",
        "rxportal.staff.services.usernames._send_username_changed_notice",
    ],
)
def test_notice_emails_give_a_member_the_number_on_their_card(
    send: str, django_capture_on_commit_callbacks
) -> None:
    from django.core import mail
    from django.utils.module_loading import import_string

    member = MemberFactory(
        user=UserFactory(email="dana@example.com"),
        client=ClientFactory(member_services_phone=COMMERCIAL_PHONE),
    )

    with django_capture_on_commit_callbacks(execute=True):  # the outbox delivers on commit
        import_string(send)(member.user)

    assert len(mail.outbox) == 1
    assert COMMERCIAL_PHONE in mail.outbox[0].body
    assert id_card_for(member).member_services_phone == COMMERCIAL_PHONE
