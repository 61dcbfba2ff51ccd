"""prepare_demo_security (called by seed_demo) and the allauth adapter configuration."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from rxportal.accounts.models import ChallengeAnswer, Role, SecurityProfile
from rxportal.accounts.services.challenges import check_challenge_answer
from rxportal.accounts.services.demo import DEMO_TOTP_SECRET, prepare_demo_security
from tests.accounts.test_signin_support import (
    enter_password,
    enter_totp,
    enter_username,
    fresh_cache,  # noqa: F401
    html_of,
    totp_code,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.mark.parametrize(
    ("role", "is_staff", "gets_totp"),
    [
        (Role.MEMBER, False, True),
        (Role.SERVICE_CENTER, True, True),
        (Role.ACCOUNT_TEAM, True, True),
        (Role.CLIENT, False, False),
        (Role.ADVISOR, False, False),
    ],
)
def test_demo_accounts_get_email_sitekey_answers_and_totp_when_required(
    role: str, is_staff: bool, gets_totp: bool
) -> None:
    user = UserFactory(username=f"demo-{role}", role=role, is_staff=is_staff)

    prepare_demo_security(user=user)
    prepare_demo_security(user=user)  # idempotent

    email = EmailAddress.objects.get(user=user)
    assert (email.email, email.verified, email.primary) == (user.email, True, True)
    assert SecurityProfile.objects.get(user=user).sitekey_phrase == "Morning tea by the lake"
    questions = list(ChallengeAnswer.objects.filter(user=user).values_list("question", flat=True))
    assert len(questions) == 3
    assert all(
        check_challenge_answer(user=user, question=q, answer="blue heron") for q in questions
    )
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    assert (totp is not None) is gets_totp
    if totp is not None:
        assert DEMO_TOTP_SECRET not in totp.data["secret"]
        assert get_mfa_adapter().decrypt(totp.data["secret"]) == DEMO_TOTP_SECRET


def test_totp_can_be_left_out() -> None:
    user = UserFactory(role=Role.MEMBER)

    prepare_demo_security(user=user, totp=False)

    assert not Authenticator.objects.filter(user=user).exists()


def test_demo_security_is_refused_outside_development(settings) -> None:
    settings.RXPORTAL_CREATE_DEMO_ACCOUNTS = False

    with pytest.raises(ImproperlyConfigured):
        prepare_demo_security(user=UserFactory())


def test_a_demo_member_signs_in_with_every_step(client: Client) -> None:
    user = UserFactory(username="demo-member", role=Role.MEMBER)
    prepare_demo_security(user=user)

    enter_username(client, "demo-member", answer="blue heron")
    page = html_of(client.get(reverse("rx_login_password")))
    after_password = enter_password(client)
    response = enter_totp(client, totp_code(DEMO_TOTP_SECRET))

    assert "Morning tea by the lake" in page
    assert after_password["Location"] == reverse("mfa_authenticate")
    assert response["Location"] == reverse("web:dashboard")
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_login_stages_are_in_order() -> None:
    stages = get_account_adapter().get_login_stages()

    assert stages.index("rxportal.accounts.stages.NewDeviceStage") < stages.index(
        "rxportal.accounts.stages.AuthenticatorStage"  # allauth's MFA stage, subclassed
    )
    assert "allauth.mfa.stages.AuthenticateStage" not in stages
    assert stages[-1] == "rxportal.accounts.stages.SecondFactorPolicyStage"
    assert "allauth.mfa.stages.TrustStage" not in stages


def test_webauthn_uses_the_configured_relying_party_and_checks_origins(settings) -> None:
    from allauth.mfa import app_settings as mfa_settings

    settings.RXPORTAL_WEBAUTHN_RP_ID = "portal.example.org"

    assert get_mfa_adapter().get_public_key_credential_rp_entity()["id"] == "portal.example.org"
    assert mfa_settings.WEBAUTHN_USER_VERIFICATION == "required"
    assert mfa_settings.WEBAUTHN_ALLOW_INSECURE_ORIGIN is False
    assert mfa_settings.TRUST_ENABLED is False
    assert (mfa_settings.TOTP_PERIOD, mfa_settings.TOTP_DIGITS, mfa_settings.TOTP_TOLERANCE) == (
        30,
        6,
        1,
    )
