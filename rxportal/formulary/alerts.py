"""Formulary-change alerts: once an import has announced coverage changes (a FormularyVersion),
tell every member who takes a changed drug, and everyone who may see that member's records,
with the covered alternatives and what each would cost that member.

Who takes a drug: an active, unexpired prescription for it, or a paid claim in the last
RECENT_CLAIM_DAYS, for a member covered today by a plan on the formulary. Who is told: the
members app's one access rule, seen from the record's side
(``members.selectors.list_users_who_may_see``). Alternatives: drugs of the same
therapeutic class (the same ingredient when the drug has no class) on the formulary, with no
prior authorization or step therapy and no change of their own waiting; priced for this member
by the benefit engine (``pricing.selectors.estimate_fills``), cheapest first.

One alert per member, per recipient, per version, listing all of that member's changed drugs:
the idempotency key is the version, the member and the recipient, so a scan that runs twice
(a retried task, a second import of the same file, which announces no new version anyway)
tells nobody twice. Email and text name no drug; the inbox, behind sign-in, says it all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from rxportal.claims.selectors import list_members_with_recent_paid_claims
from rxportal.core import clock
from rxportal.formulary.domain import TIER_COST_ORDER
from rxportal.formulary.models import (
    ChangeStatus,
    Drug,
    FormularyChange,
    FormularyEntry,
    FormularyVersion,
)
from rxportal.members.models import Member
from rxportal.members.selectors import list_users_who_may_see
from rxportal.notifications.services import notify
from rxportal.plans.models import Tier
from rxportal.prescriptions.selectors import list_members_with_active_prescriptions
from rxportal.pricing.selectors import estimate_fills

KIND = "formulary.coverage_changing"
RECENT_CLAIM_DAYS = 120
ALTERNATIVES_SHOWN = 3
# The alternatives' costs are for a 30-day retail fill, as on the drug page.
PRICING_CHANNEL = "retail_30"
LINK_PATH = "/prescriptions/"


@dataclass(frozen=True)
class PricedAlternative:
    drug_name: str
    tier: str
    member_pays: Decimal

    @property
    def tier_label(self) -> str:
        return _tier_label(self.tier)


@dataclass(frozen=True)
class DrugChangeAlert:
    """One changed drug as the message tells it: facts and codes, worded by the template."""

    drug_name: str
    kinds: tuple[str, ...]  # domain.ChangeKind values
    tier_before: str
    tier_after: str  # "" when removed
    alternatives: tuple[PricedAlternative, ...]

    @property
    def tier_before_label(self) -> str:
        return _tier_label(self.tier_before)

    @property
    def tier_after_label(self) -> str:
        return _tier_label(self.tier_after)


@dataclass(frozen=True)
class ScanResult:
    members: int
    notifications: int


def scan_formulary_version(
    *, version_public_id: uuid.UUID | str, today: dt.date | None = None
) -> ScanResult:
    """Alert everyone concerned by one version's changes (the Celery task's body). Safe to
    run twice: the second run writes no message (same idempotency keys)."""
    when = today or clock.today()
    version = FormularyVersion.objects.get(public_id=version_public_id)
    changes = {
        change.drug_id: change
        for change in FormularyChange.objects.filter(version=version)
        .exclude(status=ChangeStatus.CANCELLED)
        .select_related("drug")
    }
    takers: dict[int, set[int]] = defaultdict(set)
    if changes:
        for found in (
            list_members_with_active_prescriptions(
                drug_ids=changes, formulary_id=version.formulary_id, today=when
            ),
            list_members_with_recent_paid_claims(
                drug_ids=list(changes),
                formulary_id=version.formulary_id,
                since=when - dt.timedelta(days=RECENT_CLAIM_DAYS),
                today=when,
            ),
        ):
            for member_id, drug_ids in found.items():
                takers[member_id] |= drug_ids
    candidates = _alternative_candidates(version.formulary_id, list(changes.values()))
    sent = 0
    members = Member.objects.filter(pk__in=takers).select_related("user").order_by("pk")
    for member in members:
        with transaction.atomic():
            alerts = _alerts_for(
                member, [changes[pk] for pk in sorted(takers[member.pk])], candidates
            )
            for recipient in list_users_who_may_see(member=member, today=when):
                sent += len(
                    notify(
                        recipient=recipient,
                        kind=KIND,
                        context={
                            "first_name": member.first_name,
                            "about_self": recipient.pk == member.user_id,
                            "announced_on": version.announced_on,
                            "effective_on": version.effective_on,
                            "safety_withdrawal": version.safety_withdrawal,
                            "changes": alerts,
                        },
                        idempotency_key=(
                            f"{version.public_id.hex}:{member.public_id.hex}:{recipient.pk}"
                        ),
                        link_path=LINK_PATH,
                        about_member=member,
                    )
                )
    FormularyVersion.objects.filter(pk=version.pk, scanned_at__isnull=True).update(
        scanned_at=clock.now()
    )
    return ScanResult(members=len(takers), notifications=sent)


def _alternative_candidates(
    formulary_id: int, changes: list[FormularyChange]
) -> dict[int, list[Drug]]:
    """Changed drug pk -> the drugs that could replace it on this formulary with no new
    restriction (before pricing, which is per member)."""
    restricted = set(
        FormularyChange.objects.filter(
            formulary_id=formulary_id, status=ChangeStatus.SCHEDULED
        ).values_list("drug_id", flat=True)
    ) | {change.drug_id for change in changes}
    open_entries = FormularyEntry.objects.filter(
        formulary_id=formulary_id,
        prior_authorization=False,
        step_therapy=False,
        tier__in=TIER_COST_ORDER,
    ).exclude(drug_id__in=restricted)
    found: dict[int, list[Drug]] = {}
    for change in changes:
        drug = change.drug
        if drug.therapeutic_class:
            same = Q(drug__therapeutic_class=drug.therapeutic_class)
        elif drug.ingredient:
            same = Q(drug__ingredient=drug.ingredient)
        else:
            found[drug.pk] = []
            continue
        found[drug.pk] = [entry.drug for entry in open_entries.filter(same).select_related("drug")]
    return found


def _alerts_for(
    member: Member, changes: list[FormularyChange], candidates: dict[int, list[Drug]]
) -> list[DrugChangeAlert]:
    """The member's changed drugs, each with its cheapest alternatives priced for them."""
    wanted = {drug.pk: drug for change in changes for drug in candidates[change.drug_id]}
    estimates = (
        estimate_fills(member=member, drugs=list(wanted.values()), channel=PRICING_CHANNEL)
        if wanted
        else {}
    )
    alerts = []
    for change in changes:
        priced = []
        for drug in candidates[change.drug_id]:
            estimate = estimates[drug.pk]
            if estimate.covered and estimate.member_pays is not None:
                priced.append(
                    PricedAlternative(
                        drug_name=drug.display_name,
                        tier=estimate.tier or "",
                        member_pays=estimate.member_pays,
                    )
                )
        priced.sort(key=lambda alternative: (alternative.member_pays, alternative.drug_name))
        alerts.append(
            DrugChangeAlert(
                drug_name=change.drug.display_name,
                kinds=tuple(change.kind_list),
                tier_before=change.tier_before,
                tier_after=change.tier_after,
                alternatives=tuple(priced[:ALTERNATIVES_SHOWN]),
            )
        )
    return alerts


def _tier_label(tier: str) -> str:
    try:
        return str(Tier(tier).label)
    except ValueError:
        return tier
