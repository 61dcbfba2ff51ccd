"""Registration, step 1: the pages before allauth's signup page (``account_signup``), over
``flows.registration``.

* ``/accounts/register/``: members, or clients and advisors?
* ``/accounts/register/member/``: prove you are a plan member (eligibility match).
* ``/accounts/register/business/``: a client's or advisor's name, organization and role.

Both send the visitor on to allauth's ``/accounts/signup/`` (our ``RegistrationSignupForm``).
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

from rxportal.accounts.flows import registration as registration_flow
from rxportal.accounts.flows.registration import EligibilityOutcome
from rxportal.accounts.forms.registration import (
    NO_MATCH_ERROR,
    REGISTRATION_ERRORS_ID,
    BusinessDetailsForm,
    MemberEligibilityForm,
)
from rxportal.accounts.services import registration
from rxportal.core import clock


class _RegistrationStepView(RedirectAuthenticatedUserMixin, FormView):
    """A step-1 form; its error summary has the registration pages' id."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["registration_errors_id"] = REGISTRATION_ERRORS_ID
        return context


@method_decorator(never_cache, name="dispatch")
class RegisterStartView(RedirectAuthenticatedUserMixin, TemplateView):
    template_name = "accounts/register_start.html"


@method_decorator(never_cache, name="dispatch")
@method_decorator(
    sensitive_post_parameters("member_id", "first_name", "last_name", "date_of_birth", "zip_code"),
    name="dispatch",
)
class RegisterMemberView(_RegistrationStepView):
    """Member id, names, date of birth and ZIP must match one eligibility record.

    A failed match has one answer, whichever field was wrong, and counts against the
    ``rx_eligibility`` rate limit (per address, and per member id as a keyed digest); a match
    moves on the same way whether or not the record already has an account.
    """

    form_class = MemberEligibilityForm
    template_name = "accounts/register_member.html"

    def form_valid(self, form: MemberEligibilityForm) -> HttpResponse:
        data = form.cleaned_data
        outcome = registration_flow.check_member_eligibility(
            request=self.request,
            member_id=data["member_id"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            zip_code=data["zip_code"],
            now=clock.now(),
        )
        if outcome == EligibilityOutcome.RATE_LIMITED:
            return ratelimit.respond_429(self.request)
        if outcome == EligibilityOutcome.NO_MATCH:
            form.add_error(None, NO_MATCH_ERROR)
            form.describe_fields()
            return self.form_invalid(form)
        return HttpResponseRedirect(reverse("account_signup"))


@method_decorator(never_cache, name="dispatch")
class RegisterBusinessView(_RegistrationStepView):
    """Clients and advisors: name, organization and role; the work email comes next."""

    form_class = BusinessDetailsForm
    template_name = "accounts/register_business.html"

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
