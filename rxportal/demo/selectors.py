"""Reads that build the demo generator's context from the imported reference data."""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from rxportal.demo.domain import DemoContext, DrugOption, PlanOption, ZipOption, covers
from rxportal.demo.errors import DemoReferenceDataMissing
from rxportal.formulary.models import Drug, FormularyEntry
from rxportal.pharmacies.models import NetworkPharmacy, ZipCentroid
from rxportal.plans.models import Plan, PlanKind
from rxportal.plans.selectors import list_benefit_designs
from rxportal.pricing.engine import BenefitDesign, Channel, Tier

DEMO_FAMILY_PLAN_CODE = "QHP-10207VA0380001"  # BlueChoice HMO HSA Silver $3,000
# A member lives where a network pharmacy is within about 16 km (0.15 degrees of latitude).
MAX_PHARMACY_DISTANCE_DEG = 0.15
ZIP_BOX_MARGIN_DEG = 0.3
NEAREST_PHARMACIES = 5
MISPLACED_PHARMACY_DEG = 0.5


def _cents(value: Decimal | None) -> int | None:
    if value is None:
        return None
    return int((value * 100).to_integral_value())


def _drug_option(drug: Drug, tier: Tier, *, prior_authorization: bool, mail: bool) -> DrugOption:
    mode = _cents(drug.unit_cost_mode)
    assert mode is not None
    low = _cents(drug.unit_cost_min)
    high = _cents(drug.unit_cost_max)
    low = mode if low is None else min(low, mode)
    high = mode if high is None else max(high, mode)
    return DrugOption(
        drug_id=drug.pk,
        name=drug.name,
        tier=tier,
        cost_min_cents=low,
        cost_mode_cents=mode,
        cost_max_cents=high,
        is_insulin=drug.is_insulin,
        prior_authorization=prior_authorization,
        mail_eligible=mail,
        dea_schedule=drug.dea_schedule,
    )


def _is_priced(designs: Iterable[BenefitDesign], tier: Tier) -> bool:
    """The generator always has a retail_30 fill to fall back on (and specialty for tier 5)."""
    channel = Channel.SPECIALTY if tier is Tier.SPECIALTY else Channel.RETAIL_30
    return all(covers(d, tier, channel) or covers(d, tier, Channel.RETAIL_30) for d in designs)


def _plan_option(
    plan: Plan, designs: list[BenefitDesign], costed: dict[int, Drug], design: BenefitDesign
) -> PlanOption:
    known_tiers = {t.value for t in Tier}
    entries = (
        FormularyEntry.objects.filter(formulary_id=plan.formulary_id, drug_id__in=list(costed))
        .order_by("drug__rxcui")
        .values_list("drug_id", "tier", "prior_authorization", "mail_eligible")
    )
    drugs = []
    on_formulary = set()
    for drug_id, tier_value, prior_auth, mail in entries:
        on_formulary.add(drug_id)
        if tier_value not in known_tiers:
            continue
        tier = Tier(tier_value)
        if _is_priced(designs, tier):
            drugs.append(
                _drug_option(costed[drug_id], tier, prior_authorization=prior_auth, mail=mail)
            )
    off = [
        _drug_option(drug, Tier.NON_PREFERRED_BRAND, prior_authorization=False, mail=True)
        for drug_id, drug in sorted(costed.items(), key=lambda item: item[1].rxcui)
        if drug_id not in on_formulary
    ]
    return PlanOption(
        plan_id=plan.pk,
        client_id=plan.client_id,
        code=plan.code,
        design=design,
        drugs=tuple(drugs),
        off_formulary=tuple(off),
    )


class _PharmacyGrid:
    """Network pharmacies bucketed in cells of MAX_PHARMACY_DISTANCE_DEG, so a ZIP only looks
    at the 3 x 3 cells around it (everything within the distance limit is in there)."""

    def __init__(self, pharmacies: list[tuple[int, float, float]]) -> None:
        mean_lat = sum(p[1] for p in pharmacies) / len(pharmacies)
        self.scale = math.cos(math.radians(mean_lat))
        self.lon_cell = MAX_PHARMACY_DISTANCE_DEG / self.scale
        self.cells: dict[tuple[int, int], list[tuple[int, float, float]]] = defaultdict(list)
        for pharmacy in pharmacies:
            self.cells[self._cell(pharmacy[1], pharmacy[2])].append(pharmacy)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / MAX_PHARMACY_DISTANCE_DEG), math.floor(lon / self.lon_cell)

    def nearest(self, lat: float, lon: float) -> list[int]:
        """Up to NEAREST_PHARMACIES within the distance limit, nearest first."""
        row, col = self._cell(lat, lon)
        scale = self.scale
        found = []
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                for pk, plat, plon in self.cells.get((row + dr, col + dc), ()):
                    distance = math.hypot(lat - plat, (lon - plon) * scale)
                    if distance <= MAX_PHARMACY_DISTANCE_DEG:
                        found.append((distance, pk))
        return [pk for _, pk in heapq.nsmallest(NEAREST_PHARMACIES, found)]


def _zip_options(
    network_id: int,
) -> tuple[tuple[ZipOption, ...], frozenset[int], int | None, int | None]:
    memberships = NetworkPharmacy.objects.filter(network_id=network_id).select_related("pharmacy")
    located: list[tuple[int, float, float]] = []
    preferred: set[int] = set()
    retail: list[int] = []
    states: set[str] = set()
    mail_id = specialty_id = None
    for membership in memberships.order_by("pharmacy__license_number"):
        pharmacy = membership.pharmacy
        if membership.is_preferred:
            preferred.add(pharmacy.pk)
        if pharmacy.is_mail and mail_id is None:
            mail_id = pharmacy.pk
        if pharmacy.is_specialty and specialty_id is None:
            specialty_id = pharmacy.pk
        if not pharmacy.is_retail:
            continue
        retail.append(pharmacy.pk)
        states.add(pharmacy.state)
        if pharmacy.latitude is not None and pharmacy.longitude is not None:
            located.append((pharmacy.pk, pharmacy.latitude, pharmacy.longitude))
    if not retail:
        raise DemoReferenceDataMissing("The RXP-NATIONAL network has no retail pharmacies.")

    located = _drop_misplaced(located, states)
    zips: list[ZipOption] = []
    if located:
        lats = [p[1] for p in located]
        lons = [p[2] for p in located]
        centroids = ZipCentroid.objects.filter(
            latitude__gte=min(lats) - ZIP_BOX_MARGIN_DEG,
            latitude__lte=max(lats) + ZIP_BOX_MARGIN_DEG,
            longitude__gte=min(lons) - ZIP_BOX_MARGIN_DEG,
            longitude__lte=max(lons) + ZIP_BOX_MARGIN_DEG,
        ).order_by("zip_code")
        rows = list(
            centroids.values_list("zip_code", "state", "place_names", "latitude", "longitude")
        )
        named = [(lat, lon, state, names) for _, state, names, lat, lon in rows if names]
        grid = _PharmacyGrid(located)
        for zip_code, state, names, lat, lon in rows:
            nearest = grid.nearest(lat, lon)
            if not nearest:
                continue
            city = _city(names) or _nearest_city(lat, lon, state, named)
            if city:
                zips.append(ZipOption(zip_code, state, city, tuple(nearest)))
    if not zips:
        # Pharmacies without coordinates: any named ZIP in their states, any network pharmacy.
        some = tuple(sorted(retail)[:50])
        for zip_code, state, names in (
            ZipCentroid.objects.filter(state__in=states)
            .exclude(place_names="")
            .order_by("zip_code")
            .values_list("zip_code", "state", "place_names")
        ):
            zips.append(ZipOption(zip_code, state, _city(names), some))
    if not zips:
        raise DemoReferenceDataMissing("No ZIP centroids near the network's pharmacies.")
    return tuple(zips), frozenset(preferred), mail_id, specialty_id


def _drop_misplaced(
    located: list[tuple[int, float, float]], states: set[str]
) -> list[tuple[int, float, float]]:
    """Leave out pharmacies geocoded far from every ZIP of their state (the CT roster has one
    Connecticut store with coordinates in Illinois)."""
    centroids = list(
        ZipCentroid.objects.filter(state__in=states).values_list("latitude", "longitude")
    )
    if not centroids:
        return located
    return [
        p
        for p in located
        if any(
            abs(p[1] - lat) < MISPLACED_PHARMACY_DEG and abs(p[2] - lon) < MISPLACED_PHARMACY_DEG
            for lat, lon in centroids
        )
    ]


def _city(place_names: str) -> str:
    first = place_names.split(";")[0].strip()
    return first.title() if first.isupper() else first


def _nearest_city(
    lat: float, lon: float, state: str, named: list[tuple[float, float, str, str]]
) -> str:
    same_state = [(abs(lat - a) + abs(lon - b), names) for a, b, s, names in named if s == state]
    if not same_state:
        return ""
    return _city(min(same_state)[1])


def build_demo_context(*, plans: list[Plan], today: dt.date, now: dt.datetime) -> DemoContext:
    """Everything the generators draw from, read once: designs, drugs, ZIPs, pharmacies."""
    designs = list_benefit_designs(plan.pk for plan in plans)
    costed = {
        drug.pk: drug
        for drug in Drug.objects.filter(unit_cost_mode__isnull=False).order_by("rxcui")
    }
    if not costed:
        raise DemoReferenceDataMissing("No drugs with a unit cost.")
    if not ZipCentroid.objects.exists():
        raise DemoReferenceDataMissing("No ZIP centroids.")

    commercial = [p for p in plans if p.kind == PlanKind.COMMERCIAL]
    part_d = [p for p in plans if p.kind == PlanKind.MEDICARE_PART_D]
    if not commercial or not part_d:
        raise DemoReferenceDataMissing("Standard plans are missing.")
    commercial_options = tuple(
        _plan_option(plan, [designs[plan.pk]], costed, designs[plan.pk])
        for plan in sorted(commercial, key=lambda p: p.code)
    )
    part_d_designs = [designs[plan.pk] for plan in part_d]
    part_d_options = {
        plan.plan_year: _plan_option(plan, part_d_designs, costed, designs[plan.pk])
        for plan in part_d
    }
    usable = tuple(option for option in commercial_options if option.drugs)
    if not usable or not all(option.drugs for option in part_d_options.values()):
        raise DemoReferenceDataMissing("No formulary drug with a unit cost on the standard plans.")
    demo_plan = next((o for o in usable if o.code == DEMO_FAMILY_PLAN_CODE), usable[0])
    network_ids = {plan.network_id for plan in plans}
    if len(network_ids) != 1:
        raise DemoReferenceDataMissing("The standard plans should share one network.")
    zips, preferred, mail_id, specialty_id = _zip_options(network_ids.pop())
    return DemoContext(
        today=today,
        now=now,
        commercial_plans=usable,
        demo_family_plan=demo_plan,
        part_d_plans=part_d_options,
        zips=zips,
        preferred_pharmacy_ids=preferred,
        mail_pharmacy_id=mail_id,
        specialty_pharmacy_id=specialty_id,
    )
