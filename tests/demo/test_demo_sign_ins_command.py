from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

# The command reads where demo-client's tools are (nothing before seed_demo).
pytestmark = pytest.mark.django_db


def test_prints_every_demo_sign_in() -> None:
    out = StringIO()
    call_command("demo_sign_ins", stdout=out)
    text = out.getvalue()
    for username, password in [
        ("demo-member", "Demo-Member-Passphrase-2026"),
        ("demo-client", "Demo-Client-Passphrase-2026"),
        ("demo-advisor", "Demo-Advisor-Passphrase-2026"),
        ("demo-accountteam", "Demo-AccountTeam-Passphrase-2026"),
        ("demo-service", "Demo-Service-Passphrase-2026"),
    ]:
        assert f"{username}" in text and password in text
    assert "Morning tea by the lake" in text
    assert "blue heron" in text
    assert "RXPORTALDEMOMEMBERTOTPSECRETAAAA" in text


def test_prints_the_challenge_questions_and_the_steps_on_a_new_browser() -> None:
    out = StringIO()
    call_command("demo_sign_ins", stdout=out)
    text = out.getvalue()
    for question in (
        "What was the name of your first pet?",
        "What was the first concert you went to?",
        "What was your childhood nickname?",
    ):
        assert question in text
    assert "On a browser the portal does not know yet" in text
    assert text.index("blue heron") < text.index("Morning tea by the lake")


@override_settings(RXPORTAL_CREATE_DEMO_ACCOUNTS=False)
def test_prints_no_passwords_outside_development() -> None:
    out = StringIO()
    call_command("demo_sign_ins", stdout=out)
    assert "Passphrase" not in out.getvalue()


def test_says_where_staff_work_and_what_the_back_office_holds() -> None:
    out = StringIO()
    call_command("demo_sign_ins", stdout=out)
    text = out.getvalue()

    assert "staff console: /staff/" in text
    assert "back office: /backoffice/ (plans, drugs, pharmacies; superusers: audited records)" in (
        text
    )
