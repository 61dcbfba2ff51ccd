"""Sign-in pages of ours. Included before allauth's URLs, so ``accounts/login/`` (allauth's
``account_login``) is our username step, and ``reverse("account_login")`` still points there."""

from django.urls import path, re_path
from django.views.generic import RedirectView

from rxportal.accounts.views import (
    my_account,
    new_device,
    recovery,
    registration,
    second_factor,
    signin,
)

urlpatterns = [
    path("accounts/login/", signin.IdentifyView.as_view(), name="rx_identify"),
    path("accounts/login/question/", signin.QuestionView.as_view(), name="rx_login_question"),
    path("accounts/login/password/", signin.PasswordStepView.as_view(), name="rx_login_password"),
    path(
        "accounts/login/new-device/", new_device.NewDeviceView.as_view(), name="rx_login_new_device"
    ),
    # The text-message second factor at sign-in (SmsSecondFactorStage).
    path(
        "accounts/login/text-message/",
        second_factor.SmsSecondFactorView.as_view(),
        name="rx_login_sms",
    ),
    # My Account. allauth's own password-change page leads to ours.
    path(
        "accounts/password/change/",
        RedirectView.as_view(pattern_name="rx_myaccount_password"),
    ),
    path("my-account/", my_account.MyAccountView.as_view(), name="rx_myaccount"),
    path(
        "my-account/password/",
        my_account.MyAccountPasswordView.as_view(),
        name="rx_myaccount_password",
    ),
    path(
        "my-account/security-questions/",
        my_account.ChallengeQuestionsView.as_view(),
        name="rx_myaccount_challenges",
    ),
    path("my-account/sitekey/", my_account.SiteKeyView.as_view(), name="rx_myaccount_sitekey"),
    path(
        "my-account/text-message/",
        my_account.SmsFactorView.as_view(),
        name="rx_myaccount_sms",
    ),
    path(
        "my-account/recovery-codes/",
        my_account.RecoveryCodesView.as_view(),
        name="rx_myaccount_recovery_codes",
    ),
    path(
        "my-account/recovery-codes/download/",
        my_account.RecoveryCodesDownloadView.as_view(),
        name="rx_myaccount_recovery_codes_download",
    ),
    path(
        "my-account/sessions/sign-out-others/",
        my_account.EndOtherSessionsView.as_view(),
        name="rx_myaccount_end_other_sessions",
    ),
    path(
        "my-account/devices/<uuid:device_id>/forget/",
        my_account.ForgetDeviceView.as_view(),
        name="rx_myaccount_forget_device",
    ),
    # allauth's passkey removal does not ask the MFA adapter whether it may: ours does.
    path(
        "accounts/2fa/webauthn/keys/<int:pk>/remove/",
        my_account.PortalRemoveWebAuthnView.as_view(),
        name="rx_remove_webauthn",
    ),
    # The session time-out script (static/accounts/session-timeout.js).
    path(
        "my-account/session/keep-alive/",
        my_account.session_keep_alive,
        name="rx_session_keep_alive",
    ),
    path("my-account/session/status/", my_account.session_status, name="rx_session_status"),
    # Recovery. accounts/password/reset/ is also allauth's ``account_reset_password``, so its
    # links land here.
    path(
        "accounts/password/reset/",
        recovery.ForgotPasswordView.as_view(),
        name="rx_password_reset",
    ),
    path(
        "accounts/password/reset/code/",
        recovery.ResetCodeView.as_view(),
        name="rx_password_reset_code",
    ),
    path(
        "accounts/password/reset/question/",
        recovery.ResetQuestionView.as_view(),
        name="rx_password_reset_question",
    ),
    path(
        "accounts/password/reset/second-step/",
        recovery.ResetSecondFactorView.as_view(),
        name="rx_password_reset_second_factor",
    ),
    path(
        "accounts/password/reset/new-password/",
        recovery.ResetNewPasswordView.as_view(),
        name="rx_password_reset_new_password",
    ),
    path(
        "accounts/password/reset/changed/",
        recovery.ResetDoneView.as_view(),
        name="rx_password_reset_done",
    ),
    # allauth's own reset pages (by link or by code) skip the question and the second factor:
    # every one of them leads to the start of ours.
    re_path(
        r"^accounts/password/reset/(?:key/.*|done/|confirm/|complete/)$",
        RedirectView.as_view(pattern_name="rx_password_reset"),
    ),
    path(
        "accounts/username/forgot/",
        recovery.ForgotUsernameView.as_view(),
        name="rx_forgot_username",
    ),
    path(
        "accounts/username/forgot/sent/",
        recovery.ForgotUsernameSentView.as_view(),
        name="rx_forgot_username_sent",
    ),
    # Registration, step 1; the account step is allauth's accounts/signup/ (account_signup).
    path("accounts/register/", registration.RegisterStartView.as_view(), name="rx_register"),
    path(
        "accounts/register/member/",
        registration.RegisterMemberView.as_view(),
        name="rx_register_member",
    ),
    path(
        "accounts/register/business/",
        registration.RegisterBusinessView.as_view(),
        name="rx_register_business",
    ),
]
