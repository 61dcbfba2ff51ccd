"""Plan use cases that write: the standard (demo / reference) plans."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.clients.models import Client, ClientKind
from rxportal.core import clock
from rxportal.formulary.models import Formulary
from rxportal.members.selectors import iter_covered_members_with_accounts
from rxportal.notifications.services import notify
from rxportal.pharmacies.models import Network
from rxportal.plans.domain import (
    CostShareValues,
    StandardPlanSpec,
    compute_qhp_plan_specs,
    cost_share_values_from_design,
)
from rxportal.plans.errors import ReferenceDataMissing
from rxportal.plans.models import CostShare, Plan, PlanKind
from rxportal.pricing.engine import BenefitDesign
from rxportal.pricing.partd import part_d_standard_design

QHP_PLANS_FILE = "qhp_formulary_plans.csv"
QHP_COST_SHARING_FILE = "qhp_formulary_cost_sharing.csv"
NETWORK_CODE = "RXP-NATIONAL"
PART_D_YEARS = (2025, 2026)
# Part D plans reuse this real formulary: CMS Part D formulary files are not in data/reference,
# and this plan (BlueChoice HMO HSA Silver $3,000) is the one whose raw FHIR is also bundled.
PART_D_FORMULARY_CODE = "Formulary-10207VA0380001"
# The issuer of every QHP plan in the file (data/reference README: CareFirst BlueCross BlueShield,
# Virginia marketplace, plan year 2024).
QHP_ISSUER_NAME = "CareFirst BlueCross BlueShield"
# Demo card values. RxBIN 999999 is deliberately not a production PBM's BIN (e.g. 610014 is
# real), so a demo card can never route a claim to a real processor. PCN/group are ours.
DEMO_RX_BIN = "999999"
DEMO_RX_PCN_COMMERCIAL = "RXPDEMO"
DEMO_RX_PCN_PART_D = "RXPDEMOD"
MEDICARE_CLIENT_CODE = "RXP-MEDICARE-PDP"
MEDICARE_CLIENT_NAME = "Rxportal Medicare Prescription Drug Plan"
# 555-01xx numbers are reserved for fiction.
COMMERCIAL_PHONE = "1-800-555-0150"
MEDICARE_PHONE = "1-800-555-0160"


@dataclass(frozen=True, slots=True)
class _PlanRecord:
    code: str
    client: Client
    name: str
    kind: str
    plan_year: int
    rx_pcn: str
    rx_group: str
    issuer_name: str
    source_plan_id: str
    formulary: Formulary
    network: Network
    deductible_individual: Decimal
    deductible_family: Decimal | None
    oop_max_individual: Decimal
    oop_max_family: Decimal | None
    insulin_monthly_cap: Decimal | None
    out_of_network_covered: bool
    cost_shares: tuple[CostShareValues, ...]


def client_code_for_issuer(issuer_id: str) -> str:
    return f"QHP-{issuer_id}"


def commercial_plan_code(source_plan_id: str) -> str:
    return f"QHP-{source_plan_id}"


def part_d_plan_code(year: int) -> str:
    return f"PARTD-STD-{year}"


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise ReferenceDataMissing(
            f"Reference file {path} is missing: see data/reference.", path=str(path)
        )
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def create_standard_plans(
    *, data_dir: Path | None = None, plan_year: int | None = None, actor: Any = None
) -> list[Plan]:
    """Create or update the standard plans; safe to run again (idempotent).

    * one commercial plan per real marketplace plan in `qhp_formulary_cost_sharing.csv`
      (code `QHP-<HIOS plan id>`, its own real formulary `Formulary-<plan id>`, network
      RXP-NATIONAL, plan year = `plan_year` or the current year), under one health-plan client
      per issuer (HIOS issuer id);
    * `PARTD-STD-2025` and `PARTD-STD-2026` from `part_d_standard_design(year)` under a Medicare
      client, on formulary `PART_D_FORMULARY_CODE`.

    Needs `import_reference_data` first (formularies and network); raises ReferenceDataMissing.
    """
    directory = Path(data_dir or settings.RXPORTAL_REFERENCE_DATA_DIR)
    year = plan_year or clock.today().year
    specs = compute_qhp_plan_specs(
        plan_rows=_read_csv(directory / QHP_PLANS_FILE),
        cost_rows=_read_csv(directory / QHP_COST_SHARING_FILE),
    )
    needed = {spec.formulary_code for spec in specs} | {PART_D_FORMULARY_CODE}
    formularies = {f.code: f for f in Formulary.objects.filter(code__in=needed)}
    missing = sorted(needed - formularies.keys())
    network = Network.objects.filter(code=NETWORK_CODE).first()
    if missing or network is None:
        what = ", ".join(missing[:3]) + ("..." if len(missing) > 3 else "")
        raise ReferenceDataMissing(
            "Reference data is missing "
            + (f"(formularies {what})" if missing else f"(network {NETWORK_CODE})")
            + ": run `python manage.py import_reference_data` first.",
            missing_formularies=missing,
            network_present=network is not None,
        )

    with transaction.atomic():
        records = [
            *_commercial_records(specs, formularies, network, year),
            *_part_d_records(formularies[PART_D_FORMULARY_CODE], network),
        ]
        plans = [_save_plan(record) for record in records]
        record_event(
            action="plans.standard_plans_saved",
            outcome=Outcome.SUCCESS,
            actor=actor,
            details={"plans": len(plans), "plan_year": year},
        )
        return plans


def _commercial_records(
    specs: list[StandardPlanSpec],
    formularies: dict[str, Formulary],
    network: Network,
    year: int,
) -> list[_PlanRecord]:
    clients: dict[str, Client] = {}
    records = []
    for spec in specs:
        client = clients.get(spec.issuer_id)
        if client is None:
            client, _ = Client.objects.update_or_create(
                code=client_code_for_issuer(spec.issuer_id),
                defaults={
                    "name": f"CareFirst {spec.product_name} (Virginia marketplace)",
                    "kind": ClientKind.HEALTH_PLAN,
                    "member_services_phone": COMMERCIAL_PHONE,
                },
            )
            clients[spec.issuer_id] = client
        records.append(
            _PlanRecord(
                code=commercial_plan_code(spec.source_plan_id),
                client=client,
                name=spec.marketing_name,
                kind=PlanKind.COMMERCIAL,
                plan_year=year,
                rx_pcn=DEMO_RX_PCN_COMMERCIAL,
                rx_group=spec.source_plan_id,
                issuer_name=QHP_ISSUER_NAME,
                source_plan_id=spec.source_plan_id,
                formulary=formularies[spec.formulary_code],
                network=network,
                deductible_individual=spec.deductible_individual,
                deductible_family=spec.deductible_family,
                oop_max_individual=spec.oop_max_individual,
                oop_max_family=spec.oop_max_family,
                insulin_monthly_cap=None,  # not in the QHP file
                out_of_network_covered=spec.out_of_network_covered,
                cost_shares=spec.cost_shares,
            )
        )
    return records


def _part_d_records(formulary: Formulary, network: Network) -> list[_PlanRecord]:
    client, _ = Client.objects.update_or_create(
        code=MEDICARE_CLIENT_CODE,
        defaults={
            "name": MEDICARE_CLIENT_NAME,
            "kind": ClientKind.MEDICARE,
            "member_services_phone": MEDICARE_PHONE,
        },
    )
    records = []
    for year in PART_D_YEARS:
        design: BenefitDesign = part_d_standard_design(year)
        records.append(
            _PlanRecord(
                code=part_d_plan_code(year),
                client=client,
                name=f"Medicare Part D Defined Standard Benefit {year}",
                kind=PlanKind.MEDICARE_PART_D,
                plan_year=year,
                rx_pcn=DEMO_RX_PCN_PART_D,
                rx_group=f"PARTDSTD{year}",
                issuer_name=MEDICARE_CLIENT_NAME,
                source_plan_id="",
                formulary=formulary,
                network=network,
                deductible_individual=design.deductible_individual,
                deductible_family=design.deductible_family,
                oop_max_individual=design.oop_max_individual,
                oop_max_family=design.oop_max_family,
                insulin_monthly_cap=design.insulin_monthly_cap,
                out_of_network_covered=design.out_of_network_covered,
                cost_shares=tuple(cost_share_values_from_design(design)),
            )
        )
    return records


def _save_plan(record: _PlanRecord) -> Plan:
    plan, _ = Plan.objects.update_or_create(
        code=record.code,
        defaults={
            "client": record.client,
            "name": record.name,
            "kind": record.kind,
            "plan_year": record.plan_year,
            "rx_bin": DEMO_RX_BIN,
            "rx_pcn": record.rx_pcn,
            "rx_group": record.rx_group,
            "issuer_name": record.issuer_name,
            "source_plan_id": record.source_plan_id,
            "formulary": record.formulary,
            "network": record.network,
            "deductible_individual": record.deductible_individual,
            "deductible_family": record.deductible_family,
            "oop_max_individual": record.oop_max_individual,
            "oop_max_family": record.oop_max_family,
            "insulin_monthly_cap": record.insulin_monthly_cap,
            "out_of_network_covered": record.out_of_network_covered,
        },
    )
    wanted = {(row.tier, row.channel): row for row in record.cost_shares}
    existing = {(row.tier, row.channel): row for row in plan.cost_shares.all()}
    stale = [row.pk for key, row in existing.items() if key not in wanted]
    if stale:
        CostShare.objects.filter(pk__in=stale).delete()
    new_rows = []
    for key, values in wanted.items():
        fields = {
            "copay": values.copay,
            "coinsurance_pct": values.coinsurance_pct,
            "minimum": values.minimum,
            "maximum": values.maximum,
            "deductible_applies": values.deductible_applies,
        }
        row = existing.get(key)
        if row is None:
            new_rows.append(
                CostShare(plan=plan, tier=values.tier, channel=values.channel, **fields)
            )
        elif any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            row.save()  # the copay-XOR-coinsurance and range checks are DB constraints
    CostShare.objects.bulk_create(new_rows)
    return plan


# --- The new plan year --------------------------------------------------------------------------

# A plan year's start is told about for this many days (a job that missed a day still tells).
NEW_PLAN_YEAR_NOTICE_DAYS = 7


def send_new_plan_year_notices(*, today: dt.date) -> int:
    """Daily: tell each member with an account, covered today, whose plan's year began in the
    last ``NEW_PLAN_YEAR_NOTICE_DAYS`` days (plan years are calendar years, as
    ``claims.domain.compute_plan_year_period`` says). It is their own plan: each person is told
    about their own, once per plan year (safe to run every day, and twice). Each member is told
    in their own transaction. Returns how many members were told about (now or before)."""
    starts = [
        today - dt.timedelta(days=days_ago) for days_ago in range(NEW_PLAN_YEAR_NOTICE_DAYS + 1)
    ]
    years = sorted({start.year for start in starts if start == dt.date(start.year, 1, 1)})
    if not years:
        return 0
    told = 0
    for member in iter_covered_members_with_accounts(plan_years=years, today=today):
        assert member.user is not None
        plan = member.plan
        with transaction.atomic():
            notify(
                recipient=member.user,
                kind="benefits.new_plan_year",
                context={
                    "recipient_first_name": member.user.first_name,
                    "plan_year": plan.plan_year,
                    "deductible": plan.deductible_individual,
                    "out_of_pocket_max": plan.oop_max_individual,
                },
                idempotency_key=f"{member.public_id}:{plan.plan_year}",
                link_path="/claims/",
                about_member=member,
            )
        told += 1
    return told
