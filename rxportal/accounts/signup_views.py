"""Registration, step 1: the pages before allauth's signup page (``account_signup``).

* ``/accounts/register/``: members, or clients and advisors?
* ``/accounts/register/member/``: prove you are a plan member (eligibility match).
* ``/accounts/register/business/``: a client's or advisor's name, organization and role.

Both leave a small note in the session (``services.registration``) and send the visitor on to
allauth's ``/accounts/signup/`` (our ``RegistrationSignupForm``), then allauth's email code page,
then, for members, the second-factor enrolment that ``MfaEnrolmentGateMiddleware`` enforces.
"""

from __future__ import annotations

from typing import Any

from allauth.account.mixins import RedirectAuthenticatedUserMixin
from allauth.core import ratelimit
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from rxportal.accounts.forms.registration import (
    NO_MATCH_ERROR,
    REGISTRATION_ERRORS_ID,
    BusinessDetailsForm,
    MemberEligibilityForm,
)
from rxportal.accounts.services import registration
from rxportal.core import clock


@method_decorator(never_cache, name="dispatch")
class RegisterStartView(RedirectAuthenticatedUserMixin, TemplateView):
    template_name = "accounts/register_start.html"


@method_decorator(never_cache, name="dispatch")
@method_decorator(
    sensitive_post_parameters("member_id", "first_name", "last_name", "date_of_birth", "zip_code"),
    name="dispatch",
)
class RegisterMemberView(RedirectAuthenticatedUserMixin, FormView):
    """Member id, names, date of birth and ZIP must match one eligibility record.

    A failed match has one answer, whichever field was wrong, and counts against the
    ``rx_eligibility`` rate limit (per address, and per member id as a keyed digest); a match
    moves on the same way whether or not the record already has an account.
    """

    form_class = MemberEligibilityForm
    template_name = "accounts/register_member.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["registration_errors_id"] = REGISTRATION_ERRORS_ID
        return context

    def form_valid(self, form: MemberEligibilityForm) -> HttpResponse:
        request = self.request
        data = form.cleaned_data
        key = registration.eligibility_rate_key(data["member_id"])
        action = registration.ELIGIBILITY_RATE_ACTION
        if not ratelimit.consume(request, action=action, key=key, dry_run=True):
            return ratelimit.respond_429(request)
        matched = registration.verify_eligibility(
            request=request,
            member_id=data["member_id"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            zip_code=data["zip_code"],
            now=clock.now(),
        )
        if not matched:
            ratelimit.consume(request, action=action, key=key)
            form.add_error(None, NO_MATCH_ERROR)
            form.describe_fields()
            return self.form_invalid(form)
        return HttpResponseRedirect(reverse("account_signup"))


@method_decorator(never_cache, name="dispatch")
class RegisterBusinessView(RedirectAuthenticatedUserMixin, FormView):
    """Clients and advisors: name, organization and role; the work email comes next."""

    form_class = BusinessDetailsForm
    template_name = "accounts/register_business.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["registration_errors_id"] = REGISTRATION_ERRORS_ID
        return context

    def form_valid(self, form: BusinessDetailsForm) -> HttpResponse:
        data = form.cleaned_data
        registration.start_business_registration(
            request=self.request,
            first_name=data["first_name"],
            last_name=data["last_name"],
            organization_claim=data["organization_claim"],
            role=data["role"],
            now=clock.now(),
        )
        return HttpResponseRedirect(reverse("account_signup"))
