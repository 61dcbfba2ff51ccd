"""Every kind of message the portal sends, owned here: its topic, whether a person may switch it
off, and on which channels it can go and goes by default.

A kind's words live in templates under ``notifications/messages/<code with "." as "/">/``:
``subject.txt`` (one line), ``body.txt`` and, optionally, ``body.html``, ``sms.txt`` and
``inbox.txt``. The settings page lists kinds by topic; a person's departures from a kind's
default channels are stored per kind and channel (``models.NotificationPreference``). ``notify`` renders them in the recipient's language. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Topic(StrEnum):
    """How the settings page groups kinds."""

    PRESCRIPTIONS = "prescriptions"
    ORDERS = "orders"
    FORMULARY = "formulary"
    BENEFITS = "benefits"
    SECURITY = "security"
    ACCOUNT = "account"
    CLIENTS = "clients"


TOPIC_LABELS: dict[Topic, Promise] = {
    Topic.PRESCRIPTIONS: _("Prescriptions and refills"),
    Topic.ORDERS: _("Mail orders"),
    Topic.FORMULARY: _("Changes to your drugs' coverage"),
    Topic.BENEFITS: _("Your benefits"),
    Topic.SECURITY: _("Security of your account"),
    Topic.ACCOUNT: _("Your account"),
    Topic.CLIENTS: _("Client tools and access"),
}

# Messages on these topics are about a person's health or coverage (PHI once read in the inbox).
PHI_TOPICS = frozenset({Topic.PRESCRIPTIONS, Topic.ORDERS, Topic.FORMULARY, Topic.BENEFITS})

# The channel values of ``models.Channel`` (kept as strings here so this module stays pure).
EMAIL = "email"
SMS = "sms"
INBOX = "inbox"
ALL_CHANNELS: tuple[str, ...] = (EMAIL, SMS, INBOX)


@dataclass(frozen=True)
class Kind:
    code: str
    topic: Topic
    label: Promise
    # False: a person cannot switch it off (security notices, answers to their own requests).
    optional: bool = True
    channels: tuple[str, ...] = ALL_CHANNELS
    default_channels: tuple[str, ...] = (EMAIL, INBOX)

    @property
    def about_phi(self) -> bool:
        """Its inbox text may name drugs, costs or benefits: reading it is audited."""
        return self.topic in PHI_TOPICS

    @property
    def template_dir(self) -> str:
        return "notifications/messages/" + self.code.replace(".", "/")


KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in (
        # Security notices: always sent, by email and to the inbox.
        Kind(
            "security.sign_in_paused",
            Topic.SECURITY,
            _("Sign-in paused after wrong passwords"),
            optional=False,
            channels=(EMAIL, INBOX),
        ),
        Kind(
            "security.password_changed",
            Topic.SECURITY,
            _("Password changed"),
            optional=False,
            channels=(EMAIL, INBOX),
        ),
        Kind(
            "security.username_changed",
            Topic.SECURITY,
            _("Username changed by our staff"),
            optional=False,
            channels=(EMAIL, INBOX),
        ),
        Kind(
            "security.email_changed",
            Topic.SECURITY,
            _("Email address changed by our staff"),
            optional=False,
            channels=(EMAIL, INBOX),
        ),
        Kind(
            "security.challenges_reset",
            Topic.SECURITY,
            _("Challenge questions reset"),
            optional=False,
            channels=(EMAIL, INBOX),
        ),
        # Answers to something the person asked for: always sent, by email.
        Kind(
            "account.username_reminder",
            Topic.ACCOUNT,
            _("Username reminder you asked for"),
            optional=False,
            channels=(EMAIL,),
            default_channels=(EMAIL,),
        ),
        Kind(
            "clients.access_decided",
            Topic.CLIENTS,
            _("Decision on a tool access request"),
            optional=False,
            channels=(EMAIL, INBOX),
        ),
        Kind(
            "clients.grant_revoked",
            Topic.CLIENTS,
            _("Tool access revoked"),
            optional=False,
            channels=(EMAIL, INBOX),
        ),
        # A formulary change to a drug the member (or someone whose records they may see)
        # takes, announced before it takes effect (rxportal/formulary/alerts.py).
        Kind(
            "formulary.coverage_changing",
            Topic.FORMULARY,
            _("Coverage of a drug you or your family take is changing"),
        ),
        Kind(
            "security.new_device",
            Topic.SECURITY,
            _("New device signed in"),
            optional=False,
            channels=(EMAIL, INBOX),
        ),
        Kind(
            "security.second_factor_changed",
            Topic.SECURITY,
            _("Second sign-in step added, removed or changed"),
            optional=False,
            channels=(EMAIL, INBOX),
        ),
        Kind(
            "clients.grant_expiring",
            Topic.CLIENTS,
            _("Tool access about to end"),
            channels=(EMAIL, INBOX),
        ),
        # Reminders: optional; by email and to the inbox unless the person chooses otherwise.
        Kind("prescriptions.refill_due", Topic.PRESCRIPTIONS, _("A refill is due")),
        # Members' automatic refills, mail orders and benefits (optional; the inbox has details).
        Kind(
            "prescriptions.auto_refill_placed",
            Topic.PRESCRIPTIONS,
            _("Automatic refill placed"),
        ),
        Kind(
            "prescriptions.auto_refill_blocked",
            Topic.PRESCRIPTIONS,
            _("Automatic refill could not be placed"),
        ),
        Kind("orders.shipped", Topic.ORDERS, _("Order shipped")),
        Kind("orders.delivered", Topic.ORDERS, _("Order delivered")),
        Kind("orders.on_hold", Topic.ORDERS, _("Order on hold")),
        Kind("orders.late", Topic.ORDERS, _("Order later than expected")),
        Kind("benefits.new_plan_year", Topic.BENEFITS, _("New plan year")),
        Kind("benefits.deductible_met", Topic.BENEFITS, _("Deductible met")),
        Kind(
            "benefits.out_of_pocket_max_reached",
            Topic.BENEFITS,
            _("Out-of-pocket maximum reached"),
        ),
    )
}


class UnknownKind(LookupError):
    pass


def get_kind(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise UnknownKind(code) from None
