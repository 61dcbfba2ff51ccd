"""Client-portal and account-team forms: input shape only; the rules are in the services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rxportal.clients.domain import Tool
from rxportal.clients.labels import TOOL_LABELS
from rxportal.clients.models import Client, VerificationMethod
from rxportal.clients.services import TEXT_MAX_LENGTH
from rxportal.core.errors import DomainError
from rxportal.core.forms import DescribedFieldsMixin


class ClientsForm(DescribedFieldsMixin, forms.Form):
    def add_domain_error(self, error: DomainError, *, fields: dict[str, str]) -> bool:
        """Show a service's error next to the field its code concerns (by code prefix)."""
        field = next(
            (name for prefix, name in fields.items() if error.code.startswith(prefix)), None
        )
        self.add_error(field, error.message)
        self.describe_fields()
        return field is not None


def _text(label: Any, help_text: Any, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _client_choices(clients: Iterable[Client]) -> list[tuple[str, str]]:
    return [(str(client.public_id), client.name) for client in clients]


METHOD_CHOICES = [("", _("Choose how you verified")), *VerificationMethod.choices]


class AccessRequestForm(ClientsForm):
    client = forms.ChoiceField(label=_("Client"))
    tool = forms.ChoiceField(
        label=_("Tool"),
        choices=[("", _("Choose a tool")), *((t.value, TOOL_LABELS[t]) for t in Tool)],
        help_text=_("Eligibility lookup and claims reports show protected health information."),
    )
    business_reason = _text(
        _("Business reason"),
        _("Why you need this tool for this client. The account team checks it with the client."),
    )

    def __init__(self, *args: Any, clients: Iterable[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _client_choices(clients)
        self.fields["client"].choices = [("", _("Choose a client")), *choices]  # type: ignore[attr-defined]


class LinkForm(ClientsForm):
    client = forms.ChoiceField(label=_("Client"))
    method = forms.ChoiceField(label=_("How you verified this person"), choices=METHOD_CHOICES)
    notes = _text(
        _("Notes"),
        _("Who vouched and anything the next agent should know. At most 1000 characters."),
        required=False,
    )

    def __init__(self, *args: Any, clients: Iterable[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", _("Choose a client")), *_client_choices(clients)]  # type: ignore[attr-defined]


class VerifyForm(ClientsForm):
    method = forms.ChoiceField(label=_("How you are verifying"), choices=METHOD_CHOICES)
    notes = _text(_("Notes"), _("For example, whom you called and when."), required=False)


class DecisionForm(ClientsForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", _("Choose a decision")), ("approve", _("Approve")), ("deny", _("Deny"))],
    )
    method = forms.ChoiceField(
        label=_("How you verified"),
        choices=METHOD_CHOICES,
        required=False,
        help_text=_("Required to approve, unless it is already recorded."),
    )
    reason = _text(_("Reason"), _("Sent to the requester by email and kept in the audit trail."))


class RevokeForm(ClientsForm):
    reason = _text(_("Reason"), _("Sent to the holder by email and kept in the audit trail."))


class LinkEndForm(ClientsForm):
    reason = _text(
        _("Reason"), _("Kept in the audit trail and sent with the notice of any access that ends.")
    )


class LinkRequestForm(ClientsForm):
    organization = forms.CharField(
        label=_("Organization"),
        max_length=200,
        help_text=_("The employer or plan sponsor, as the account team would know it."),
    )
    reason = _text(
        _("How you work with this organization"),
        _("For example, your job there or the services your firm provides to it."),
    )
