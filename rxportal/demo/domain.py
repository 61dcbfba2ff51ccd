"""Pure generators for demo data: families, prescriptions, adjudicated claims, mail orders.

No ORM, settings or clock: everything arrives as plain values (`DemoContext`, `today`, the
seed). A family is generated from `random.Random(f"...:{seed}:{family_index}")` only, so any
split of families over worker processes gives identical rows (claim numbers, amounts, UUIDs);
only the database primary keys, taken from an injected `IdSource`, depend on the split.

Claims are adjudicated by the benefit engine in date order over the WHOLE family, so each claim's
figures and the individual / family accumulators agree:
* a reversed fill is backed out of the accumulators immediately (NCPDP reversals carry the
  original's date of service, and the reversal row is numbered right after the original);
* rejected claims pay nothing and accrue nothing;
* accumulators reset each calendar plan year. Commercial members keep their plan for both
  years; Part D members' claims use `PARTD-STD-<year of service>`.

Rows are plain tuples in the column order of the `*_FIELDS` tuples below (the services check
those against the models), so they can be streamed with PostgreSQL COPY.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rxportal.demo import people
from rxportal.formulary.domain import DeaSchedule
from rxportal.prescriptions.domain import (
    CONTROLLED_MAX_REFILLS,
    LIMITED_REFILL_SCHEDULES,
    NO_REFILL_SCHEDULES,
    can_refill_automatically,
    compute_controlled_refill_deadline,
)
from rxportal.pricing.domain import compute_units_per_fill
from rxportal.pricing.engine import (
    Accumulators,
    BenefitDesign,
    Channel,
    ClaimInput,
    NetworkStatus,
    Tier,
    adjudicate,
)

ZERO = Decimal("0.00")
UTC = dt.UTC

# --- Columns, in COPY order -----------------------------------------------------------------

MEMBER_FIELDS = (
    "id", "public_id", "created_at", "updated_at", "client_id", "plan_id", "user_id",
    "member_id", "person_code", "relationship", "subscriber_id", "first_name", "last_name",
    "date_of_birth", "email", "phone", "address_line", "city", "state", "zip_code",
    "coverage_start", "coverage_end",
)  # fmt: skip
PRESCRIPTION_FIELDS = (
    "id", "public_id", "created_at", "updated_at", "member_id", "drug_id", "rx_number",
    "prescriber_name", "prescriber_npi", "written_on", "expires_on", "quantity", "days_supply",
    "refills_authorized", "refills_remaining", "last_filled_on", "auto_refill", "status",
)  # fmt: skip
CLAIM_FIELDS = (
    "id", "public_id", "created_at", "updated_at", "claim_number", "member_id", "plan_id",
    "prescription_id", "drug_id", "pharmacy_id", "reverses_id", "service_date", "status",
    "reject_code", "reject_reason", "channel", "tier", "quantity", "days_supply", "total_cost",
    "plan_paid", "member_paid", "deductible_applied", "oop_applied",
)  # fmt: skip
# The tables below are not referenced by other demo rows: the database numbers them.
ACCUMULATOR_FIELDS = (
    "public_id", "created_at", "updated_at", "member_id", "plan_id", "plan_year", "scope",
    "deductible_met", "oop_met",
)  # fmt: skip
MAIL_ORDER_FIELDS = (
    "id", "public_id", "created_at", "updated_at", "order_number", "member_id", "status",
    "status_reason", "ship_to_name", "ship_to_address_line", "ship_to_city", "ship_to_state",
    "ship_to_zip", "carrier", "tracking_number", "ordered_at", "expected_delivery",
)  # fmt: skip
MAIL_ORDER_LINE_FIELDS = ("order_id", "prescription_id", "quantity", "days_supply")
MAIL_ORDER_EVENT_FIELDS = ("order_id", "status", "reason", "occurred_at")

TABLES = ("member", "prescription", "claim", "accumulator", "mail_order", "mail_order_line",
          "mail_order_event")  # fmt: skip

# --- Reference values the generators draw from ----------------------------------------------


@dataclass(frozen=True, slots=True)
class DrugOption:
    """A drug on a plan's formulary with a Synthea unit cost (integer cents per unit)."""

    drug_id: int
    name: str
    tier: Tier
    cost_min_cents: int
    cost_mode_cents: int
    cost_max_cents: int
    is_insulin: bool = False
    prior_authorization: bool = False
    mail_eligible: bool = True
    dea_schedule: str = ""  # formulary.domain.DeaSchedule value


@dataclass(frozen=True, slots=True)
class PlanOption:
    plan_id: int
    client_id: int
    code: str
    design: BenefitDesign
    # Formulary drugs priced in every channel the generator may use for their tier.
    drugs: tuple[DrugOption, ...]
    # Drugs with a cost that are NOT on the formulary (for "product not covered" rejects).
    off_formulary: tuple[DrugOption, ...] = ()


@dataclass(frozen=True, slots=True)
class ZipOption:
    zip_code: str
    state: str
    city: str
    pharmacy_ids: tuple[int, ...]  # nearest network pharmacies first


@dataclass(frozen=True, slots=True)
class DemoContext:
    today: dt.date
    now: dt.datetime  # created_at / updated_at of every row (not part of the determinism)
    commercial_plans: tuple[PlanOption, ...]
    demo_family_plan: PlanOption
    part_d_plans: dict[int, PlanOption]  # by plan year
    zips: tuple[ZipOption, ...]
    preferred_pharmacy_ids: frozenset[int] = frozenset()
    mail_pharmacy_id: int | None = None
    specialty_pharmacy_id: int | None = None

    @property
    def span_start(self) -> dt.date:
        """Claims start on January 1 of last year."""
        return dt.date(self.today.year - 1, 1, 1)

    def part_d_plan_for(self, year: int) -> PlanOption:
        """PARTD-STD-<year>, else the nearest earlier year, else the earliest known."""
        years = sorted(self.part_d_plans)
        earlier = [y for y in years if y <= year]
        return self.part_d_plans[earlier[-1] if earlier else years[0]]


# --- Family layout ---------------------------------------------------------------------------

PART_D_SHARE = 0.15
FAMILY_SIZES = (1, 2, 3, 4, 5)
FAMILY_SIZE_WEIGHTS = (35, 25, 17, 15, 8)
DEMO_FAMILY_SIZE = 3  # family 0: subscriber, spouse and one child under 18 (demo-member)
# Commercial families put on the demo family's plan first: with `make run`'s 200 members that
# plan (demo-client's) gets about 70, so its drug trend shows figures, not only cells under 11.
DEMO_PLAN_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class FamilyShape:
    size: int
    part_d: bool


def compute_family_layout(*, seed: int, members: int) -> list[FamilyShape]:
    """Split `members` people into families (the last one truncated to hit the count exactly).

    Family 0 is the demo family (3 people, commercial) whenever there are 3 members or more.
    """
    rng = random.Random(f"rxportal-demo-layout:{seed}")
    shapes: list[FamilyShape] = []
    left = members
    if left >= DEMO_FAMILY_SIZE:
        shapes.append(FamilyShape(DEMO_FAMILY_SIZE, part_d=False))
        left -= DEMO_FAMILY_SIZE
    while left > 0:
        if rng.random() < PART_D_SHARE:
            size, part_d = 1, True
        else:
            size, part_d = rng.choices(FAMILY_SIZES, FAMILY_SIZE_WEIGHTS)[0], False
        size = min(size, left)
        shapes.append(FamilyShape(size, part_d))
        left -= size
    return shapes


@dataclass(frozen=True, slots=True)
class Batch:
    first_family: int
    end_family: int  # exclusive
    members: int


def compute_batches(layout: Sequence[FamilyShape], *, batch_size: int) -> list[Batch]:
    batches = []
    start, count = 0, 0
    for index, shape in enumerate(layout):
        count += shape.size
        if count >= batch_size:
            batches.append(Batch(start, index + 1, count))
            start, count = index + 1, 0
    if count:
        batches.append(Batch(start, len(layout), count))
    return batches


# --- Identifiers -------------------------------------------------------------------------------


def member_card_id(family_index: int) -> str:
    """The family's card number (Member.member_id), shared by every person in the family."""
    return f"RXD{family_index:09d}"


def claim_number(family_index: int, sequence: int) -> str:
    """Sorted claim numbers give a family's adjudication order."""
    return f"D{family_index:08d}-{sequence:06d}"


def rx_number(family_index: int, sequence: int) -> str:
    return f"R{family_index:08d}{sequence:04d}"


def order_number(family_index: int, sequence: int) -> str:
    return f"M{family_index:08d}{sequence:03d}"


def family_rng(seed: int, family_index: int) -> random.Random:
    return random.Random(f"rxportal-demo:{seed}:{family_index}")


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class IdSource:
    """Primary keys for new rows, per table. The services pass a database-backed one."""

    def take(self, table: str) -> int:  # pragma: no cover - interface
        raise NotImplementedError


class CountingIds(IdSource):
    """Sequential ids from 1 (for pure tests)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, table: str) -> int:
        value = self._next.get(table, 1)
        self._next[table] = value + 1
        return value


@dataclass
class Rows:
    """Generated rows per table, as tuples in `*_FIELDS` order."""

    member: list[tuple] = field(default_factory=list)
    prescription: list[tuple] = field(default_factory=list)
    claim: list[tuple] = field(default_factory=list)
    accumulator: list[tuple] = field(default_factory=list)
    mail_order: list[tuple] = field(default_factory=list)
    mail_order_line: list[tuple] = field(default_factory=list)
    mail_order_event: list[tuple] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {table: len(getattr(self, table)) for table in TABLES}

    def clear(self) -> None:
        for table in TABLES:
            getattr(self, table).clear()


# --- People ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    index: int  # 0 = subscriber
    member_pk: int
    person_code: str
    relationship: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    coverage_start: dt.date
    pharmacy_ids: tuple[int, ...] = ()
    home_pharmacy_id: int | None = None


def _birth_date(rng: random.Random, today: dt.date, min_age: int, max_age: int) -> dt.date:
    age_days = rng.randint(min_age * 365 + 1, max_age * 365 + 364)
    return today - dt.timedelta(days=age_days)


def _phone(rng: random.Random, state: str) -> str:
    area = rng.choice(people.AREA_CODES.get(state, people.DEFAULT_AREA_CODES))
    return f"({area}) 555-01{rng.randint(0, 99):02d}"


def _email(rng: random.Random, first: str, last: str) -> str:
    local = f"{first}.{last}".lower().replace("'", "")
    return f"{local}{rng.randint(1, 999)}@example.com"


# --- Prescriptions and fills ---------------------------------------------------------------

RX_VALID_DAYS = 365
REJECT_RATE = 0.03
REVERSAL_RATE = 0.015
ONE = Decimal(1)

# NCPDP reject codes; a claim stores the code alone (claims.RejectCode says it in words).
REJECT_REFILL_TOO_SOON = "79"
REJECT_PRIOR_AUTH = "75"
REJECT_NOT_COVERED = "70"


def covers(design: BenefitDesign, tier: Tier, channel: Channel) -> bool:
    """Whether the engine finds a cost share (same fallbacks as the engine: mail_90 -> retail_90
    -> retail_30 x3)."""
    shares = design.cost_shares
    if (tier, channel) in shares:
        return True
    if channel is Channel.MAIL_90 and (tier, Channel.RETAIL_90) in shares:
        return True
    return channel in (Channel.MAIL_90, Channel.RETAIL_90) and (tier, Channel.RETAIL_30) in shares


@dataclass(slots=True)
class Course:
    """One drug a person takes, filled repeatedly; split into yearly prescriptions."""

    drug: DrugOption
    channel: Channel
    days_supply: int
    quantity: Decimal
    unit_cents: int
    cost: Decimal
    fill_dates: list[dt.date] = field(default_factory=list)
    prescription_ids: list[int] = field(default_factory=list)  # one per fill
    claim_input: ClaimInput | None = None


def _choose_channel(
    rng: random.Random, drug: DrugOption, designs: Sequence[BenefitDesign]
) -> tuple[Channel, int]:
    if drug.tier is Tier.SPECIALTY and all(
        covers(d, drug.tier, Channel.SPECIALTY) for d in designs
    ):
        return Channel.SPECIALTY, 30
    roll = rng.random()
    if roll < 0.65:
        wanted, days = Channel.RETAIL_30, 30
    elif roll < 0.82 or not drug.mail_eligible:
        wanted, days = Channel.RETAIL_90, 90
    else:
        wanted, days = Channel.MAIL_90, 90
    if all(covers(d, drug.tier, wanted) for d in designs):
        return wanted, days
    return Channel.RETAIL_30, 30


# Synthea's MAX is sometimes a package price (oxycodone 2.5 mg: mode $45, max $5,768 per
# tablet): draws stay within 3 x the mode so one fill does not cost a year's out-of-pocket.
MAX_PRICE_OVER_MODE = 3


def _unit_cents(rng: random.Random, drug: DrugOption) -> int:
    """A price per unit drawn from Synthea's triangular range (max capped, see above). The float
    only picks an integer number of cents; all money arithmetic stays in integers / Decimal."""
    low, mode = drug.cost_min_cents, drug.cost_mode_cents
    high = min(drug.cost_max_cents, mode * MAX_PRICE_OVER_MODE)
    if high <= low:
        return mode
    return max(1, round(rng.triangular(low, high, mode)))


def _make_course(
    rng: random.Random, drug: DrugOption, designs: Sequence[BenefitDesign], network: NetworkStatus
) -> Course:
    channel, days = _choose_channel(rng, drug, designs)
    per_day = 2 if rng.random() < 0.25 else 1
    units = compute_units_per_fill(drug_name=drug.name, days_supply=days, per_day=per_day)
    cents = _unit_cents(rng, drug)
    cost = Decimal(cents * units).scaleb(-2)
    course = Course(
        drug=drug,
        channel=channel,
        days_supply=days,
        quantity=Decimal(units),
        unit_cents=cents,
        cost=cost,
    )
    course.claim_input = ClaimInput(
        tier=drug.tier,
        drug_cost=cost,
        days_supply=days,
        channel=channel,
        is_insulin=drug.is_insulin,
        network_status=network,
    )
    return course


def _spread_fills(
    rng: random.Random, count: int, start: dt.date, end: dt.date, not_before: dt.date
) -> list[dt.date]:
    """`count` fill dates spread evenly over [max(start, not_before), end] with jitter."""
    first = max(start, not_before)
    span = (end - first).days + 1
    if span <= 0 or count <= 0:
        return []
    spacing = span / count
    offset = rng.random() * spacing
    return [
        first + dt.timedelta(days=min(span - 1, int(offset + i * spacing))) for i in range(count)
    ]


# --- Events (sorted per family, then adjudicated) -------------------------------------------

FILL, REJECT = 1, 0  # on the same day a reject comes first (e.g. 75 before the approved fill)


@dataclass(slots=True)
class _Event:
    date: dt.date
    order: int
    person: int
    serial: int
    course: Course | None
    fill_index: int = 0
    reject: str | None = None  # the NCPDP reject code
    drug: DrugOption | None = None  # off-formulary drug for a 70 reject
    reversed_: bool = False


# --- The family generator --------------------------------------------------------------------


def generate_family(
    *,
    ctx: DemoContext,
    seed: int,
    family_index: int,
    shape: FamilyShape,
    claims_per_member: int,
    ids: IdSource,
    out: Rows,
) -> int:
    """Append one family's rows to `out`; return the number of claim rows."""
    rng = family_rng(seed, family_index)
    today, now = ctx.today, ctx.now
    span_start = ctx.span_start
    years = list(range(span_start.year, today.year + 1))
    is_demo = family_index == 0 and shape.size == DEMO_FAMILY_SIZE and not shape.part_d

    # Coverage: one commercial plan for every year, or the Part D plan of each year.
    if shape.part_d:
        plan_by_year = {year: ctx.part_d_plan_for(year) for year in years}
        member_plan = plan_by_year[today.year]
    else:
        member_plan = (
            ctx.demo_family_plan
            if is_demo or rng.random() < DEMO_PLAN_SHARE
            else rng.choice(ctx.commercial_plans)
        )
        plan_by_year = {year: member_plan for year in years}
    designs = [plan_by_year[year].design for year in years]

    # Address on a real ZIP centroid (with its state), near network pharmacies.
    zip_option = rng.choice(ctx.zips)
    last_name = rng.choice(people.LAST_NAMES)
    address = (
        f"{rng.randint(1, 2999)} {rng.choice(people.STREET_NAMES)} "
        f"{rng.choice(people.STREET_SUFFIXES)}"
    )
    if rng.random() < 0.2:
        address += f" Apt {rng.randint(1, 30)}{rng.choice('ABCD')}"
    card = member_card_id(family_index)
    family_start_year = rng.randint(span_start.year - 8, span_start.year)
    family_start = dt.date(family_start_year, 1, 1)

    # People: subscriber, maybe a spouse, then children.
    persons: list[Person] = []
    subscriber_female = rng.random() < 0.5
    if shape.part_d:
        subscriber_dob = _birth_date(rng, today, 67, 92)
    elif is_demo:
        subscriber_dob = _birth_date(rng, today, 36, 46)
    else:
        subscriber_dob = _birth_date(rng, today, 26, 64)
    has_spouse = shape.size >= 2 and (is_demo or rng.random() < 0.75)
    roles = ["subscriber"]
    if has_spouse:
        roles.append("spouse")
    roles.extend(["child"] * (shape.size - len(roles)))
    subscriber_pk = 0
    child_number = 0
    for index, role in enumerate(roles):
        if role == "subscriber":
            female, dob, code = subscriber_female, subscriber_dob, "01"
        elif role == "spouse":
            female = (not subscriber_female) if rng.random() < 0.93 else subscriber_female
            dob = subscriber_dob + dt.timedelta(days=rng.randint(-6 * 365, 6 * 365))
            dob = min(dob, today - dt.timedelta(days=19 * 365))
            code = "02"
        else:
            female = rng.random() < 0.5
            max_age = min(17, max(3, (today - subscriber_dob).days // 365 - 20))
            dob = _birth_date(rng, today, 3, max_age)
            code = f"{3 + child_number:02d}"
            child_number += 1
        first = rng.choice(people.FEMALE_FIRST_NAMES if female else people.MALE_FIRST_NAMES)
        pk = ids.take("member")
        if role == "subscriber":
            subscriber_pk = pk
        start = max(family_start, dob)
        person = Person(
            index=index,
            member_pk=pk,
            person_code=code,
            relationship=role,
            first_name=first,
            last_name=last_name,
            date_of_birth=dob,
            coverage_start=start,
        )
        pharmacies = zip_option.pharmacy_ids
        if pharmacies:
            person.pharmacy_ids = pharmacies
            person.home_pharmacy_id = (
                pharmacies[0] if rng.random() < 0.6 else rng.choice(pharmacies)
            )
        persons.append(person)
        out.member.append(
            (
                pk, _uuid(rng), now, now, member_plan.client_id, member_plan.plan_id, None,
                card, code, role, None if role == "subscriber" else subscriber_pk, first,
                last_name, dob,
                _email(rng, first, last_name) if role != "child" else "",
                _phone(rng, zip_option.state) if role != "child" else "",
                address, zip_option.city, zip_option.state, zip_option.zip_code, start, None,
            )
        )  # fmt: skip

    # Courses and fill dates per person; rejects and reversals as extra events.
    events: list[_Event] = []
    serial = 0
    prescriptions_by_person: dict[int, list[tuple[int, Course, bool]]] = {}
    rx_sequence = 0
    drugs = member_plan.drugs
    for person in persons:
        low = max(1, claims_per_member // 2)
        fills = rng.randint(low, max(low, claims_per_member + claims_per_member // 2))
        if is_demo:
            fills = max(fills, 12)
        if not drugs:
            continue
        course_count = min(
            len(drugs),
            max(1, math.ceil(fills * 30 / max(30, (today - span_start).days)) + rng.randint(0, 2)),
        )
        network = NetworkStatus.IN_NETWORK
        chosen = rng.sample(drugs, course_count)
        courses = [_make_course(rng, drug, designs, network) for drug in chosen]
        if is_demo and not any(can_refill_automatically(d.dea_schedule) for d in chosen):
            # Only Schedule II drugs (never refilled): the demo person also takes one that
            # can be, so every refill state can be shown. Its own generator draws it.
            local = random.Random(f"demo-refillable:{family_index}:{person.index}")
            others = [d for d in drugs if can_refill_automatically(d.dea_schedule)]
            if others:
                courses.append(_make_course(local, local.choice(others), designs, network))
        weights = [30 / course.days_supply for course in courses]
        counts = [0] * len(courses)
        for pick in rng.choices(range(len(courses)), weights, k=fills):
            counts[pick] += 1
        for course, count in zip(courses, counts, strict=True):
            course.fill_dates = _spread_fills(rng, count, span_start, today, person.coverage_start)
        person_rx: list[tuple[int, Course, bool]] = []
        for course in courses:
            if not course.fill_dates:
                continue
            rx_sequence = _write_prescriptions(
                rng, ctx, family_index, rx_sequence, person, course, ids, out, person_rx
            )
            for fill_index, date in enumerate(course.fill_dates):
                if fill_index == 0 and course.drug.prior_authorization:
                    serial += 1
                    events.append(
                        _Event(date, REJECT, person.index, serial, course, reject=REJECT_PRIOR_AUTH)
                    )
                if rng.random() < REJECT_RATE:
                    serial += 1
                    previous = course.fill_dates[fill_index - 1] if fill_index else None
                    if previous is not None and rng.random() < 0.7:
                        early = previous + dt.timedelta(
                            days=rng.randint(1, max(1, course.days_supply // 3))
                        )
                        events.append(
                            _Event(
                                min(early, date), REJECT, person.index, serial, course,
                                fill_index=fill_index - 1, reject=REJECT_REFILL_TOO_SOON,
                            )
                        )  # fmt: skip
                    elif member_plan.off_formulary:
                        events.append(
                            _Event(
                                date, REJECT, person.index, serial, None,
                                reject=REJECT_NOT_COVERED,
                                drug=rng.choice(member_plan.off_formulary),
                            )
                        )  # fmt: skip
                serial += 1
                events.append(
                    _Event(
                        date, FILL, person.index, serial, course, fill_index=fill_index,
                        reversed_=rng.random() < REVERSAL_RATE,
                    )
                )  # fmt: skip
        prescriptions_by_person[person.index] = person_rx

    events.sort(key=lambda e: (e.date, e.order, e.person, e.serial))
    claims = _adjudicate_events(
        rng, ctx, family_index, persons, plan_by_year, events, ids, out, shape
    )
    _write_mail_orders(
        rng, ctx, family_index, persons, prescriptions_by_person, is_demo, zip_option, address,
        ids, out,
    )  # fmt: skip
    return claims


def _write_prescriptions(
    rng: random.Random,
    ctx: DemoContext,
    family_index: int,
    rx_sequence: int,
    person: Person,
    course: Course,
    ids: IdSource,
    out: Rows,
    person_rx: list[tuple[int, Course, bool]],
) -> int:
    """Split a course's fills into prescriptions valid one year each; record which one each
    fill used. Returns the family's next prescription sequence number.

    Controlled substances follow the law: a Schedule II prescription is never refilled, so
    each fill has its own prescription with no refills; a Schedule III-V one is filled at most
    six times (the first fill and five refills) and expires six months after it was written
    (``prescriptions.domain``). Those extra prescriptions draw from their own generator, so
    the family's other rows are the same as without them."""
    today, now = ctx.today, ctx.now
    dates = course.fill_dates
    groups: list[list[int]] = []
    written: list[dt.date] = []
    for i, date in enumerate(dates):
        if not groups or date >= written[-1] + dt.timedelta(days=RX_VALID_DAYS):
            groups.append([])
            written.append(max(person.coverage_start, date - dt.timedelta(days=rng.randint(0, 7))))
        groups[-1].append(i)
    course.prescription_ids = [0] * len(dates)
    prescriber = (
        f"Dr. {rng.choice(people.FEMALE_FIRST_NAMES + people.MALE_FIRST_NAMES)} "
        f"{rng.choice(people.LAST_NAMES)}"
    )
    schedule = DeaSchedule(course.drug.dea_schedule)
    local = random.Random(f"rx:{family_index}:{person.index}:{course.drug.drug_id}:{dates[0]}")
    for number, (group, written_on) in enumerate(zip(groups, written, strict=True), start=1):
        year_current = written_on + dt.timedelta(days=RX_VALID_DAYS) >= today
        extra = rng.randint(0, 5) if year_current else 0
        row_id = _uuid(rng)
        auto_roll = year_current and course.channel is Channel.MAIL_90 and rng.random() < 0.5
        parts = _lawful_parts(schedule, group, dates, written_on, local, person.coverage_start)
        for part_number, (part, part_written) in enumerate(parts, start=1):
            rx_sequence += 1
            pk = ids.take("prescription")
            expires_on = _rx_expiry(schedule, part_written)
            current = expires_on >= today
            last_part = part_number == len(parts)
            # A newer prescription for the same course replaces this one (the prescriber wrote
            # a new one), so only the last of a course is active.
            replaced = number < len(groups) or not last_part
            left = min(extra if last_part and current else 0, _max_fills(schedule) - len(part))
            for i in part:
                course.prescription_ids[i] = pk
            out.prescription.append(
                (
                    pk, row_id if part_number == 1 else _uuid(local), now, now, person.member_pk,
                    course.drug.drug_id, rx_number(family_index, rx_sequence), prescriber, "",
                    part_written, expires_on, course.quantity, course.days_supply,
                    len(part) - 1 + left, left, dates[part[-1]],
                    current and auto_roll and not replaced and can_refill_automatically(schedule),
                    ("cancelled" if replaced else "active") if current else "expired",
                )
            )  # fmt: skip
        person_rx.append((pk, course, year_current))
    return rx_sequence


def _max_fills(schedule: DeaSchedule) -> int:
    """How often one prescription may be filled: once for Schedule II, six times (the first
    fill and five refills) for Schedules III-V; unlimited (a large number) otherwise."""
    if schedule in NO_REFILL_SCHEDULES:
        return 1
    if schedule in LIMITED_REFILL_SCHEDULES:
        return 1 + CONTROLLED_MAX_REFILLS
    return 1_000_000


def _lawful_parts(
    schedule: DeaSchedule,
    group: list[int],
    dates: list[dt.date],
    written_on: dt.date,
    local: random.Random,
    coverage_start: dt.date,
) -> list[tuple[list[int], dt.date]]:
    """A year's fills as the prescriptions the law needs: one for a drug that is not controlled
    (or whose fills fit), else a new one each time the last may not be filled again."""
    parts: list[tuple[list[int], dt.date]] = [([], written_on)]
    for i in group:
        fills, part_written = parts[-1]
        deadline = _rx_expiry(schedule, part_written)
        if fills and (len(fills) >= _max_fills(schedule) or dates[i] > deadline):
            new_written = max(coverage_start, dates[i] - dt.timedelta(days=local.randint(0, 7)))
            parts.append(([], max(new_written, dates[fills[-1]])))
        parts[-1][0].append(i)
    return parts


def _rx_expiry(schedule: DeaSchedule, written_on: dt.date) -> dt.date:
    """A year after writing; six months for Schedules III-V (their refill deadline)."""
    deadline = compute_controlled_refill_deadline(dea_schedule=schedule, written_on=written_on)
    return deadline or written_on + dt.timedelta(days=RX_VALID_DAYS)


def _pharmacy_for(
    rng: random.Random, ctx: DemoContext, person: Person, channel: Channel
) -> int | None:
    if channel is Channel.MAIL_90:
        return ctx.mail_pharmacy_id
    if channel is Channel.SPECIALTY:
        return ctx.specialty_pharmacy_id
    if person.home_pharmacy_id is None:
        return None
    if rng.random() < 0.85:
        return person.home_pharmacy_id
    return rng.choice(person.pharmacy_ids)


def _adjudicate_events(
    rng: random.Random,
    ctx: DemoContext,
    family_index: int,
    persons: list[Person],
    plan_by_year: dict[int, PlanOption],
    events: list[_Event],
    ids: IdSource,
    out: Rows,
    shape: FamilyShape,
) -> int:
    now = ctx.now
    preferred = ctx.preferred_pharmacy_ids
    # Running totals, reset per plan year: [deductible, oop] per (person, year) and per year.
    individual: dict[tuple[int, int], list[Decimal]] = {}
    family: dict[int, list[Decimal]] = {}
    sequence = 0
    claim_rows = out.claim
    for event in events:
        person = persons[event.person]
        year = event.date.year
        plan = plan_by_year[year]
        sequence += 1
        course = event.course
        if event.reject is not None:
            code = event.reject
            if course is not None:
                drug, channel, days, quantity = (
                    course.drug,
                    course.channel,
                    course.days_supply,
                    course.quantity,
                )
                cost = course.cost
                prescription_id: int | None = course.prescription_ids[event.fill_index]
            else:
                assert event.drug is not None
                drug, channel, days, quantity = event.drug, Channel.RETAIL_30, 30, Decimal(30)
                cost = Decimal(drug.cost_mode_cents * 30).scaleb(-2)
                prescription_id = None
            claim_rows.append(
                (
                    ids.take("claim"), _uuid(rng), now, now, claim_number(family_index, sequence),
                    person.member_pk, plan.plan_id, prescription_id, drug.drug_id,
                    _pharmacy_for(rng, ctx, person, channel), None, event.date, "rejected", code,
                    "", channel.value, drug.tier.value, quantity, days, cost, ZERO, ZERO,
                    ZERO, ZERO,
                )
            )  # fmt: skip
            continue

        assert course is not None and course.claim_input is not None
        ind = individual.get((event.person, year))
        if ind is None:
            ind = individual[(event.person, year)] = [ZERO, ZERO]
        fam = family.get(year)
        if fam is None:
            fam = family[year] = [ZERO, ZERO]
        pharmacy_id = _pharmacy_for(rng, ctx, person, course.channel)
        claim = course.claim_input
        if pharmacy_id is not None and pharmacy_id in preferred:
            claim = ClaimInput(
                tier=claim.tier,
                drug_cost=claim.drug_cost,
                days_supply=claim.days_supply,
                channel=claim.channel,
                is_insulin=claim.is_insulin,
                network_status=NetworkStatus.PREFERRED,
            )
        result = adjudicate(
            plan.design, Accumulators(ind[0], ind[1], fam[0], fam[1]), claim, explain=False
        )
        deductible, oop = result.deductible_applied, result.oop_applied
        claim_id = ids.take("claim")
        status = "reversed" if event.reversed_ else "paid"
        row = (
            claim_id, _uuid(rng), now, now, claim_number(family_index, sequence),
            person.member_pk, plan.plan_id, course.prescription_ids[event.fill_index],
            course.drug.drug_id, pharmacy_id, None, event.date, status, "", "",
            course.channel.value, course.drug.tier.value, course.quantity, course.days_supply,
            result.total_cost, result.plan_pays, result.member_pays, deductible, oop,
        )  # fmt: skip
        claim_rows.append(row)
        if event.reversed_:
            # Backed out at once: the original keeps its figures, marked reversed, and a
            # reversal row (same figures, same date of service) points at it.
            sequence += 1
            reversal = (
                ids.take("claim"), _uuid(rng), now, now, claim_number(family_index, sequence),
                *row[5:10], claim_id, *row[11:],
            )  # fmt: skip
            claim_rows.append(reversal)
            continue
        if deductible or oop:
            ind[0] += deductible
            ind[1] += oop
            fam[0] += deductible
            fam[1] += oop

    # Final accumulator rows: every person and plan year; family rows for commercial families.
    for year in sorted({y for y in plan_by_year}):
        plan = plan_by_year[year]
        for person in persons:
            ded, oop = individual.get((person.index, year), (ZERO, ZERO))
            out.accumulator.append(
                (_uuid(rng), now, now, person.member_pk, plan.plan_id, year, "individual", ded, oop)
            )
        if plan.design.deductible_family is not None and shape.size > 1:
            ded, oop = family.get(year, (ZERO, ZERO))
            out.accumulator.append(
                (_uuid(rng), now, now, persons[0].member_pk, plan.plan_id, year, "family", ded, oop)
            )
    return sequence


# --- Mail orders -----------------------------------------------------------------------------

ORDER_STATUSES = ("received", "verifying", "processing", "shipped", "delivered", "on_hold",
                  "cancelled")  # fmt: skip
ORDER_STATUS_WEIGHTS = (5, 5, 6, 8, 60, 8, 8)
# Reason codes (orders.PharmacyReason), stored as codes and said in the reader's language.
ON_HOLD_REASONS = (
    "prescriber_confirmation",
    "payment_declined",
    "prior_authorization",
    "address_unverified",
)
CANCEL_REASONS = (
    "member_request",
    "prescription_expired",
    "duplicate_order",
    "prescriber_discontinued",
)
CARRIERS = ("USPS", "UPS", "FedEx")
# Days before today an in-flight order was placed, so its whole timeline is in the past.
IN_FLIGHT_AGE = {
    "received": (1, 2),
    "verifying": (1, 3),
    "processing": (2, 4),
    "shipped": (4, 8),
    "on_hold": (2, 10),
}


def tracking_number(rng: random.Random, carrier: str) -> str:
    digits = "0123456789"
    if carrier == "USPS":
        return "9400" + "".join(rng.choices(digits, k=18))
    if carrier == "UPS":
        alnum = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
        return "1Z" + "".join(rng.choices(alnum, k=6)) + "03" + "".join(rng.choices(digits, k=8))
    return "".join(rng.choices(digits, k=12))


def compute_order_timeline(
    rng: random.Random, *, status: str, ordered_at: dt.datetime
) -> tuple[list[tuple[str, str, dt.datetime]], str, str, dt.date | None]:
    """Events (status, reason code, time), carrier, tracking number and expected delivery date.
    Only a hold or a cancellation has a reason; every other step says itself."""
    hours = dt.timedelta(hours=1)
    events = [("received", "", ordered_at)]
    carrier = tracking = ""
    expected: dt.date | None = (ordered_at + dt.timedelta(days=7)).date()
    t = ordered_at
    if status in ("verifying", "processing", "shipped", "delivered", "on_hold"):
        t += hours * rng.randint(2, 8)
        events.append(("verifying", "", t))
    if status in ("processing", "shipped", "delivered"):
        t += hours * rng.randint(6, 20)
        events.append(("processing", "", t))
    if status in ("shipped", "delivered"):
        t += hours * rng.randint(6, 30)
        carrier = rng.choice(CARRIERS)
        tracking = tracking_number(rng, carrier)
        events.append(("shipped", "", t))
        expected = (t + dt.timedelta(days=3)).date()
    if status == "delivered":
        t += hours * rng.randint(30, 90)
        events.append(("delivered", "", t))
        expected = t.date()
    if status == "on_hold":
        reason = rng.choice(ON_HOLD_REASONS)
        t += hours * rng.randint(2, 24)
        events.append(("on_hold", reason, t))
        expected = None
    if status == "cancelled":
        reason = rng.choice(CANCEL_REASONS)
        t += hours * rng.randint(1, 48)
        events.append(("cancelled", reason, t))
        expected = None
    return events, carrier, tracking, expected


def _write_mail_orders(
    rng: random.Random,
    ctx: DemoContext,
    family_index: int,
    persons: list[Person],
    prescriptions_by_person: dict[int, list[tuple[int, Course, bool]]],
    is_demo: bool,
    zip_option: ZipOption,
    address: str,
    ids: IdSource,
    out: Rows,
) -> None:
    """The demo family gets one order in every status; other families 0-2 orders."""
    today, now = ctx.today, ctx.now
    candidates = [p for p in persons if prescriptions_by_person.get(p.index)]
    if not candidates:
        return
    if is_demo:
        statuses = list(ORDER_STATUSES)
    else:
        roll = rng.random()
        count = 0 if roll < 0.7 else (1 if roll < 0.93 else 2)
        statuses = rng.choices(ORDER_STATUSES, ORDER_STATUS_WEIGHTS, k=count)
    midnight = dt.datetime.combine(today, dt.time(0, 0), tzinfo=UTC)
    span_days = (today - ctx.span_start).days
    # An open order holds its prescriptions' next refill: no prescription is in two of them
    # (the demo family once had four open orders of one insulin), and a person's second open
    # order takes older prescriptions first, so their current ones stay refillable.
    in_open_order: set[int] = set()
    open_orders_of: dict[int, int] = {}
    for number, status in enumerate(statuses, start=1):
        preferred = candidates[0] if is_demo else rng.choice(candidates)
        is_open = status not in ("delivered", "cancelled")
        person = next(
            (
                p
                for p in [preferred, *candidates]
                if not is_open
                or any(pk not in in_open_order for pk, *_ in prescriptions_by_person[p.index])
            ),
            None,
        )
        if person is None:  # every prescription is already on its way: no order to place
            continue
        if status in IN_FLIGHT_AGE:
            low, high = IN_FLIGHT_AGE[status]
            days_ago = rng.randint(low, high)
        else:
            days_ago = rng.randint(14, max(14, span_days))
        ordered_at = (
            midnight
            - dt.timedelta(days=days_ago)
            + dt.timedelta(hours=rng.randint(7, 16), minutes=rng.randint(0, 59))
        )
        events, carrier, tracking, expected = compute_order_timeline(
            rng, status=status, ordered_at=ordered_at
        )
        reason = events[-1][1] if status in ("on_hold", "cancelled") else ""
        order_pk = ids.take("mail_order")
        out.mail_order.append(
            (
                order_pk, _uuid(rng), now, now, order_number(family_index, number),
                person.member_pk, status, reason, f"{person.first_name} {person.last_name}",
                address, zip_option.city, zip_option.state, zip_option.zip_code, carrier,
                tracking, ordered_at, expected,
            )
        )  # fmt: skip
        rx = prescriptions_by_person[person.index]
        if is_open:
            rx = [item for item in rx if item[0] not in in_open_order]
        if is_open and open_orders_of.get(person.index):
            mail_first = sorted(rx, key=lambda item: item[2])  # not current first
        else:
            current = [item for item in rx if item[2]] or rx
            mail_first = sorted(current, key=lambda item: item[1].channel is not Channel.MAIL_90)
        for pk, course, _current in mail_first[: rng.randint(1, 2)]:
            out.mail_order_line.append((order_pk, pk, course.quantity, course.days_supply))
            if is_open:
                in_open_order.add(pk)
        if is_open:
            open_orders_of[person.index] = open_orders_of.get(person.index, 0) + 1
        for event_status, event_reason, occurred_at in events:
            out.mail_order_event.append((order_pk, event_status, event_reason, occurred_at))
