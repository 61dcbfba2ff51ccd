"""Seed a development database with a realistic, deterministic demo population.

`seed_demo` creates the standard plans, then members with dependents, prescriptions, claims
adjudicated by the benefit engine, accumulators and mail orders, in batches of families (never
the whole population in memory), optionally in several worker processes (PostgreSQL only), and
finally the demo sign-ins.

Re-running is harmless: claims can never be deleted (database trigger), so instead of wiping,
a run records itself as a marker client `DEMO-SEED-<seed>-<members>` and a later run with the
same seed and member count does nothing ("already seeded"). Another seed, member count or an
unfinished run is refused: seed into a fresh database.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue as queue_module
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import connection, connections, transaction
from django.db.models import Case, Exists, OuterRef, Q, When

from rxportal.accounts import permissions as perms
from rxportal.accounts.models import Role, User
from rxportal.accounts.services.demo import prepare_demo_security
from rxportal.analytics.services import rebuild_claim_rollups
from rxportal.audit.models import Outcome
from rxportal.audit.services import record_event
from rxportal.claims.services import send_benefit_limit_notices
from rxportal.clients.models import Client, ClientKind
from rxportal.connected_apps.services import ensure_demo_mobile_app
from rxportal.core import clock
from rxportal.core.errors import ValidationFailed
from rxportal.core.record_versions import bump_all_records
from rxportal.demo.bulk import TABLE_SPECS, check_table_specs, make_ids, make_writer
from rxportal.demo.client_access import seed_demo_client_access
from rxportal.demo.domain import (
    TABLES,
    Batch,
    DemoContext,
    FamilyShape,
    Rows,
    compute_batches,
    compute_family_layout,
    generate_family,
    member_card_id,
)
from rxportal.demo.errors import DemoAlreadySeeded, DemoRefusedInProduction
from rxportal.demo.selectors import build_demo_context
from rxportal.formulary.alerts import scan_formulary_version
from rxportal.formulary.models import FormularyEntry
from rxportal.formulary.services import announce_coverage_change
from rxportal.members.models import Member, Relationship
from rxportal.members.services import link_member_user
from rxportal.orders.selectors import find_newest_open_order_not_shipped
from rxportal.orders.services import record_order_status
from rxportal.plans.models import Tier
from rxportal.plans.services import create_standard_plans
from rxportal.prescriptions.domain import NO_REFILL_SCHEDULES, can_refill_automatically
from rxportal.prescriptions.models import Prescription, PrescriptionStatus
from rxportal.prescriptions.selectors import find_prescriptions_on_order
from rxportal.prescriptions.services import run_due_auto_refills

DEFAULT_CLAIMS_PER_MEMBER = 105
DEFAULT_BATCH_SIZE = 1000
MARKER_PREFIX = "DEMO-SEED-"
MARKER_COMPLETE = "complete"
MARKER_RUNNING = "in progress"

ProgressCallback = Callable[[int, int], None]  # (members done, claims written) since last call


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str
    role: str
    is_staff: bool


DEMO_MEMBER_USERNAME = "demo-member"
DEMO_SPOUSE_USERNAME = "demo-spouse"

# Published demo credentials (README, login page in development). Created only when
# settings.RXPORTAL_CREATE_DEMO_ACCOUNTS is true, which production settings force off.
DEMO_ACCOUNTS = (
    DemoAccount("demo-member", "Demo-Member-Passphrase-2026", Role.MEMBER, False),
    # The demo member's spouse: an adult dependent, who decides whether demo-member may see
    # their records (the family page at /family/).
    DemoAccount(DEMO_SPOUSE_USERNAME, "Demo-Spouse-Passphrase-2026", Role.MEMBER, False),
    DemoAccount("demo-client", "Demo-Client-Passphrase-2026", Role.CLIENT, False),
    DemoAccount("demo-advisor", "Demo-Advisor-Passphrase-2026", Role.ADVISOR, False),
    DemoAccount(
        "demo-accountteam",
        "Demo-AccountTeam-Passphrase-2026",
        Role.ACCOUNT_TEAM,
        True,
    ),
    DemoAccount("demo-service", "Demo-Service-Passphrase-2026", Role.SERVICE_CENTER, True),
)

# Back-office groups for the demo staff: read the reference data their job needs in the admin.
# Nothing that holds a person's data: PHI admins are for superusers only (audit.phi_admin), and
# the staff console (/staff/) is where the service center verifies callers and the account team
# manages accounts.
# The role groups (accounts.permissions.ROLE_GROUPS, the one list the migrations granted): view
# rights on reference data for the back office, plus every console permission of the role (the
# seeding *sets* a group's permissions, so it must keep them all).
STAFF_GROUPS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    Role.ACCOUNT_TEAM: (
        perms.ROLE_GROUPS[Role.ACCOUNT_TEAM][0],
        ("clients", "plans", "formulary", "pharmacies"),
        perms.ROLE_GROUPS[Role.ACCOUNT_TEAM][1],
    ),
    Role.SERVICE_CENTER: (
        perms.ROLE_GROUPS[Role.SERVICE_CENTER][0],
        ("formulary", "pharmacies", "plans"),
        perms.ROLE_GROUPS[Role.SERVICE_CENTER][1],
    ),
}


@dataclass
class SeedSummary:
    seed: int
    members: int
    claims_per_member: int
    workers: int = 1
    already_seeded: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    claim_statuses: dict[str, int] = field(default_factory=dict)
    plans: int = 0
    demo_accounts: int = 0
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def marker_code(seed: int, members: int) -> str:
    return f"{MARKER_PREFIX}{seed}-{members}"


def _marker_name(seed: int, members: int, claims_per_member: int, state: str) -> str:
    return (
        f"Demo data marker: seed {seed}, {members} members, "
        f"{claims_per_member} claims/member ({state})"
    )


def seed_demo(
    *,
    members: int,
    seed: int = 1,
    claims_per_member: int = DEFAULT_CLAIMS_PER_MEMBER,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
    on_progress: ProgressCallback | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    actor: Any = None,
) -> SeedSummary:
    """Create the demo population (see the module docstring). Returns what was written."""
    if settings.RXPORTAL_ENV == "production":
        raise DemoRefusedInProduction("seed_demo never runs in production.")
    _check_arguments(members, seed, claims_per_member, batch_size, workers)
    if settings.RXPORTAL_CREATE_DEMO_ACCOUNTS:
        # The mobile app's demo client, also into a database seeded before it existed.
        ensure_demo_mobile_app()
    started = time.monotonic()
    summary = SeedSummary(seed=seed, members=members, claims_per_member=claims_per_member)

    code = marker_code(seed, members)
    markers = list(Client.objects.filter(code__startswith=MARKER_PREFIX).order_by("code"))
    if any(m.code == code and m.name.endswith(f"({MARKER_COMPLETE})") for m in markers):
        summary.already_seeded = True
        summary.seconds = time.monotonic() - started
        return summary
    if markers:
        raise DemoAlreadySeeded(
            f"This database already holds demo data ({markers[0].name}). Claims cannot be "
            "deleted, so seed into a fresh database.",
            markers=[m.code for m in markers],
        )

    plans = create_standard_plans(actor=actor)
    summary.plans = len(plans)
    ctx = build_demo_context(plans=plans, today=today or clock.today(), now=now or clock.now())
    check_table_specs()
    layout = compute_family_layout(seed=seed, members=members)
    batches = compute_batches(layout, batch_size=batch_size)
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # SQLite has one writer; inside a caller's transaction other connections see nothing.
        workers = 1
    workers = max(1, min(workers, len(batches)))
    summary.workers = workers

    marker = Client.objects.create(
        code=code,
        name=_marker_name(seed, members, claims_per_member, MARKER_RUNNING),
        kind=ClientKind.EMPLOYER,
    )
    report = on_progress or (lambda _members, _claims: None)
    if workers == 1:
        totals = generate_batches(
            ctx=ctx, layout=layout, batches=batches, seed=seed,
            claims_per_member=claims_per_member, report=report,
        )  # fmt: skip
    else:
        totals = _generate_in_processes(
            ctx=ctx, layout=layout, batches=batches, seed=seed,
            claims_per_member=claims_per_member, workers=workers, report=report,
        )  # fmt: skip
    summary.rows = {table: totals.get(table, 0) for table in TABLES}
    summary.claim_statuses = {
        key.split(":", 1)[1]: value for key, value in sorted(totals.items()) if ":" in key
    }

    # The demo family: the first family, when it has a spouse or child to show.
    demo_subscriber = (
        Member.objects.filter(
            client_id=ctx.demo_family_plan.client_id, member_id=member_card_id(0), person_code="01"
        ).first()
        if layout and layout[0].size >= 3
        else None
    )
    if demo_subscriber is not None:
        show_every_prescription_state(subscriber=demo_subscriber, today=ctx.today)
    if settings.RXPORTAL_CREATE_DEMO_ACCOUNTS:
        client_name = Client.objects.get(pk=ctx.demo_family_plan.client_id).name
        summary.demo_accounts = len(
            create_demo_accounts(demo_subscriber=demo_subscriber, client_name=client_name)
        )
        if demo_subscriber is not None:
            announce_demo_formulary_change(subscriber=demo_subscriber, today=ctx.today)
            show_member_notices(subscriber=demo_subscriber, today=ctx.today, now=ctx.now)
    with transaction.atomic():
        marker.name = _marker_name(seed, members, claims_per_member, MARKER_COMPLETE)
        marker.save(update_fields=["name", "updated_at"])
        record_event(
            action="demo.seeded",
            outcome=Outcome.SUCCESS,
            actor=actor,
            details={"seed": seed, "members": members, "claims": summary.rows.get("claim", 0)},
        )
    _analyze()
    # Claims and accumulators went in by COPY or bulk insert (no signals): every member's cached
    # dashboard is out of date.
    bump_all_records()
    # Drug-trend rollups of the clients whose claims were just written, here and now: with a
    # broker configured a queued job would wait for a worker `make run` does not start, and the
    # demo dashboard would stay empty.
    for client_id in sorted({plan.client_id for plan in plans}):
        rebuild_claim_rollups(client_id=client_id)
    summary.seconds = time.monotonic() - started
    return summary


def _check_arguments(
    members: int, seed: int, claims_per_member: int, batch_size: int, workers: int
) -> None:
    problems = []
    if members < 1:
        problems.append("members must be at least 1")
    if not 0 <= seed < 10**10:
        problems.append("seed must be between 0 and 9999999999")
    if claims_per_member < 1:
        problems.append("claims per member must be at least 1")
    if batch_size < 1:
        problems.append("batch size must be at least 1")
    if workers < 1:
        problems.append("workers must be at least 1")
    if members >= 10**8:
        problems.append("members must be below 100,000,000")
    if problems:
        raise ValidationFailed("; ".join(problems) + ".", code="demo.invalid_arguments")


def generate_batches(
    *,
    ctx: DemoContext,
    layout: Sequence[FamilyShape],
    batches: Sequence[Batch],
    seed: int,
    claims_per_member: int,
    report: ProgressCallback,
) -> Counter[str]:
    """Generate and write `batches` on this process's database connection."""
    ids = make_ids(connection)
    writer = make_writer(connection)
    rows = Rows()
    totals: Counter[str] = Counter()
    for batch in batches:
        for family_index in range(batch.first_family, batch.end_family):
            generate_family(
                ctx=ctx,
                seed=seed,
                family_index=family_index,
                shape=layout[family_index],
                claims_per_member=claims_per_member,
                ids=ids,
                out=rows,
            )
        counts = rows.counts()
        statuses = Counter(row[12] for row in rows.claim)
        writer.write(rows)
        rows.clear()
        totals.update(counts)
        totals.update({f"claim:{status}": n for status, n in statuses.items()})
        report(batch.members, counts["claim"])
    return totals


def _worker_main(
    index: int,
    workers: int,
    ctx: DemoContext,
    layout: Sequence[FamilyShape],
    batches: Sequence[Batch],
    seed: int,
    claims_per_member: int,
    messages: Any,
) -> None:
    """Body of one forked worker: its share of the batches on its own connection."""
    try:
        totals = generate_batches(
            ctx=ctx,
            layout=layout,
            batches=batches[index::workers],
            seed=seed,
            claims_per_member=claims_per_member,
            report=lambda m, c: messages.put(("progress", m, c)),
        )
        messages.put(("done", index, dict(totals)))
    except BaseException:
        messages.put(("error", index, traceback.format_exc()))
        raise
    finally:
        connections.close_all()


def _generate_in_processes(
    *,
    ctx: DemoContext,
    layout: Sequence[FamilyShape],
    batches: Sequence[Batch],
    seed: int,
    claims_per_member: int,
    workers: int,
    report: ProgressCallback,
) -> Counter[str]:
    """Fork `workers` processes (each opens its own connection) and gather their totals."""
    mp = multiprocessing.get_context("fork")
    messages = mp.Queue()
    connections.close_all()  # children must not share the parent's socket
    processes = [
        mp.Process(
            target=_worker_main,
            args=(i, workers, ctx, layout, batches, seed, claims_per_member, messages),
            name=f"seed_demo-worker-{i}",
        )
        for i in range(workers)
    ]
    totals: Counter[str] = Counter()
    try:
        for process in processes:
            process.start()
        finished = 0
        while finished < workers:
            try:
                message = messages.get(timeout=2)
            except queue_module.Empty:
                dead = [p.name for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"seed_demo worker(s) died: {', '.join(dead)}") from None
                continue
            kind = message[0]
            if kind == "progress":
                report(message[1], message[2])
            elif kind == "done":
                totals.update(message[2])
                finished += 1
            else:
                raise RuntimeError(f"seed_demo worker {message[1]} failed:\n{message[2]}")
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
    return totals


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(spec.db_table for spec in TABLE_SPECS.values())
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def show_every_prescription_state(*, subscriber: Member, today: dt.date) -> None:
    """Give the demo family one prescription in each state the prescriptions page explains.

    Generated courses seldom give one family all of them. Deterministic: the same rows change
    for the same seed.
    The subscriber's two newest active prescriptions become "no refills left" (a renewal can
    be requested) and "expired 20 days ago"; one prescription with refills left of the
    subscriber or a child (a 90-day one when there is one) gets automatic refills.
    """
    family = [subscriber.pk, *subscriber.dependents.values_list("pk", flat=True)]
    active = Prescription.objects.filter(
        member_id__in=family, status=PrescriptionStatus.ACTIVE
    ).order_by("rx_number")
    expired_on = today - dt.timedelta(days=20)
    own = list(active.filter(member_id=subscriber.pk).select_related("drug").reverse())
    # "No refills left" needs a drug that can have refills: not a Schedule II one.
    own.sort(key=lambda rx: not can_refill_automatically(rx.drug.dea_schedule))
    with transaction.atomic():
        if own:
            used_up = own[0]
            used_up.refills_remaining = 0
            used_up.save(update_fields=["refills_remaining", "updated_at"])
        lapsed = next(
            (rx for rx in own[1:] if rx.last_filled_on is None or rx.last_filled_on < expired_on),
            None,
        )
        if lapsed is not None:
            lapsed.expires_on = max(expired_on, lapsed.written_on)
            lapsed.status = PrescriptionStatus.EXPIRED
            lapsed.save(update_fields=["expires_on", "status", "updated_at"])
        # Someone whose prescriptions the subscriber sees without consent: not the spouse.
        # A 90-day supply when there is one (mail order's usual fill).
        # One with refills left first; else a used-up one (it gets refills below). Never a
        # Schedule II drug: the law allows no refills, automatic or not.
        live = list(active.values_list("pk", flat=True))
        # Not one in an open mail order: it is on order, so the job would rightly skip it.
        on_order = find_prescriptions_on_order(prescription_ids=live, today=today)
        automatic = (
            active.exclude(drug__dea_schedule__in=NO_REFILL_SCHEDULES)
            .exclude(pk__in=[rx.pk for rx in own[:2]])
            .exclude(pk__in=on_order)
            .exclude(member__relationship=Relationship.SPOUSE)
            .order_by(
                Case(When(refills_remaining__gt=0, then=0), default=1),
                Case(When(days_supply__gte=84, then=0), default=1),
                "rx_number",
            )
            .first()
        )
        if automatic is not None:
            # Due today with refills to spare: the seed runs the automatic-refill job for the
            # family (``show_member_notices``), and one refill is left after it.
            automatic.auto_refill = True
            automatic.refills_remaining = max(automatic.refills_remaining, 2)
            automatic.refills_authorized = max(automatic.refills_authorized, 2)
            automatic.last_filled_on = today - dt.timedelta(days=automatic.days_supply)
            automatic.save(
                update_fields=[
                    "auto_refill",
                    "refills_remaining",
                    "refills_authorized",
                    "last_filled_on",
                    "updated_at",
                ]
            )


def show_member_notices(*, subscriber: Member, today: dt.date, now: dt.datetime) -> None:
    """Leave demo-member a few messages in the inbox through the real producers: the family's
    due automatic refill (placed, or why not), their newest open mail order shipped, and any
    deductible or out-of-pocket maximum the generated claims reached this plan year."""
    family = [subscriber.pk, *subscriber.dependents.values_list("pk", flat=True)]
    run_due_auto_refills(today=today, now=now, member_ids=family)
    open_order = find_newest_open_order_not_shipped(member_ids=family, before=now)
    if open_order is not None:
        record_order_status(
            order=open_order,
            status="shipped",
            now=now,
            carrier="UPS",
            tracking_number=f"1Z{open_order.order_number[-8:]}",
        )
    with transaction.atomic():
        send_benefit_limit_notices(
            member_ids=family, plan_year=subscriber.plan.plan_year, today=today
        )


def announce_demo_formulary_change(*, subscriber: Member, today: dt.date) -> None:
    """Leave one pending formulary change on a drug the demo subscriber takes, so demo-member
    finds its alert (with alternatives and their cost) in the inbox: the drug moves to the
    non-preferred brand tier, or needs prior authorization when it is there already.

    The member scan runs here and now, like the rollups above: with a broker configured a
    queued scan would wait for a worker `make run` does not start (it sends nothing twice).
    """
    plan = subscriber.plan
    # A drug only the subscriber takes, when there is one: one alert, about them.
    shared = Prescription.objects.filter(
        drug_id=OuterRef("drug_id"),
        member__subscriber=subscriber,
        status=PrescriptionStatus.ACTIVE,
    )
    prescription = (
        Prescription.objects.filter(
            member=subscriber,
            status=PrescriptionStatus.ACTIVE,
            expires_on__gte=today,
            drug__formulary_entries__formulary_id=plan.formulary_id,
            drug__formulary_entries__prior_authorization=False,
        )
        .select_related("drug")
        .order_by(Exists(shared).asc(), "rx_number")
        .first()
    )
    if prescription is None:
        return
    entry = FormularyEntry.objects.get(formulary_id=plan.formulary_id, drug=prescription.drug)
    dearer = entry.tier != Tier.NON_PREFERRED_BRAND
    version = announce_coverage_change(
        formulary=entry.formulary,
        drug=prescription.drug,
        today=today,
        tier=Tier.NON_PREFERRED_BRAND if dearer else None,
        prior_authorization=None if dearer else True,
    )
    if version is not None:
        scan_formulary_version(version_public_id=version.public_id, today=today)


def create_demo_accounts(*, demo_subscriber: Member | None, client_name: str) -> list[User]:
    """The five demo sign-ins (idempotent). Staff roles get a back-office group each."""
    users = []
    with transaction.atomic():
        groups = {role: _ensure_group(*spec) for role, spec in STAFF_GROUPS.items()}
        for account in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=account.username)
            user.role = account.role
            user.is_staff = account.is_staff
            user.is_active = True
            user.organization_claim = client_name if account.role == Role.CLIENT else ""
            user.email = f"{account.username}@example.com"
            if account.username == DEMO_MEMBER_USERNAME and demo_subscriber is not None:
                user.first_name = demo_subscriber.first_name
                user.last_name = demo_subscriber.last_name
            user.set_password(account.password)
            user.save()
            if account.role in groups:
                user.groups.add(groups[account.role])
            users.append(user)
        if demo_subscriber is not None:
            by_name = {user.username: user for user in users}
            link_member_user(member=demo_subscriber, user=by_name[DEMO_MEMBER_USERNAME])
            spouse = (
                demo_subscriber.dependents.filter(relationship=Relationship.SPOUSE)
                .order_by("person_code")
                .first()
            )
            spouse_user = by_name[DEMO_SPOUSE_USERNAME]
            if spouse is not None:
                spouse_user.first_name, spouse_user.last_name = spouse.first_name, spouse.last_name
                spouse_user.save(update_fields=["first_name", "last_name"])
                link_member_user(member=spouse, user=spouse_user)
        # SiteKey, challenge answers, verified email and (members, staff) the demo TOTP secret.
        for user in users:
            prepare_demo_security(user=user)
        by_name = {user.username: user for user in users}
        seed_demo_client_access(
            client_user=by_name["demo-client"],
            advisor=by_name["demo-advisor"],
            agent=by_name["demo-accountteam"],
            clients=_demo_clients(client_name),
            now=clock.now(),
        )
    return users


def _demo_clients(client_name: str) -> list[Client]:
    """The demo family's client first, then another plan sponsor (not a seed marker)."""
    sponsors = Client.objects.exclude(code__startswith=MARKER_PREFIX).order_by("code")
    first = sponsors.filter(name=client_name).first()
    others = list(sponsors.exclude(pk=first.pk)[:1]) if first is not None else list(sponsors[:2])
    return [first, *others] if first is not None else others


def _ensure_group(name: str, view_apps: tuple[str, ...], extra: tuple[str, ...]) -> Group:
    """The group with exactly these permissions (a re-seed takes back any granted before);
    ``extra`` are "app_label.codename"."""
    group, _ = Group.objects.get_or_create(name=name)
    view = Permission.objects.filter(
        content_type__app_label__in=view_apps, codename__startswith="view_"
    )
    wanted = Q(pk__in=[])
    for dotted in extra:
        app_label, codename = dotted.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set([*view, *Permission.objects.filter(wanted)])
    return group
