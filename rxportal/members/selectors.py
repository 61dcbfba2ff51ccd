"""Reads of member records, scoped to the signed-in viewer.

Row-level access to family members is decided here and only here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery

from rxportal.accounts.models import Role, User
from rxportal.core import clock
from rxportal.core.contact import Audience, SupportContacts, support_contacts
from rxportal.members import domain
from rxportal.members.models import FamilyAccessGrant, Member

AGE_OF_MAJORITY = domain.AGE_OF_MAJORITY


# A page that composes several apps' selectors (the dashboard) asks for the viewer's member
# record and visible family many times; inside ``family_visibility_cache()`` each is read once.
# Scoped to that block only, so a grant or revoke is never hidden by a stale answer elsewhere.
_visibility_cache: ContextVar[dict[tuple[object, ...], object] | None] = ContextVar(
    "rxportal_family_visibility_cache", default=None
)


@contextmanager
def family_visibility_cache() -> Iterator[None]:
    """Within the block, ``find_member_for_user`` and ``list_family_members_visible_to`` read
    the database once per viewer (and day), then answer from memory. For read-only pages only:
    never wrap a write (a grant, a revoke) and a read of its effect in one block. A block inside
    another shares the outer one's memory."""
    if _visibility_cache.get() is not None:
        yield
        return
    token = _visibility_cache.set({})
    try:
        yield
    finally:
        _visibility_cache.reset(token)


# An app's token bound to one patient at consent (SMART ``launch/patient``) sees only that
# patient, whatever else the family rule would show its user. The API opens a scope around each
# request (``patient_limit_scope``) and its token check sets the limit inside it, so the limit
# covers the whole request (serialising included) and never outlives it.
_NO_SCOPE = "<no patient-limit scope>"
_patient_limit: ContextVar[str | None] = ContextVar("rxportal_patient_limit", default=_NO_SCOPE)


@contextmanager
def patient_limit_scope() -> Iterator[None]:
    """A block (one API request) in which ``limit_to_patient`` may narrow the family rule; any
    limit set inside ends with it."""
    token = _patient_limit.set(None)
    try:
        yield
    finally:
        _patient_limit.reset(token)


def limit_to_patient(public_id: str) -> None:
    """Until the enclosing ``patient_limit_scope`` ends, ``list_family_members_visible_to``
    answers at most this one member (still only if the family rule lets the viewer see them).
    Outside a scope it refuses: a limit that outlived its request would hide or show the wrong
    records to the next one."""
    if _patient_limit.get() == _NO_SCOPE:
        raise RuntimeError("limit_to_patient outside patient_limit_scope")
    _patient_limit.set(str(public_id).strip().lower())


def _current_patient_limit() -> str | None:
    limit = _patient_limit.get()
    return None if limit == _NO_SCOPE else limit


def is_patient_limited() -> bool:
    """Whether this request reads through a token bound to one patient."""
    return _current_patient_limit() is not None


def sees_own_account(viewer: AbstractBaseUser | AnonymousUser, visible: list[Member]) -> bool:
    """Whether records about the viewer's account itself (an inbox message about no member) are
    theirs to read: always, unless a patient limit names someone other than the viewer
    (``visible``: what ``list_family_members_visible_to`` gave)."""
    if _current_patient_limit() is None:
        return True
    return any(member.user_id == viewer.pk for member in visible)


def find_member_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Member | None:
    """The member record linked to this account, with its plan, or None (client, advisor, staff)."""
    if not user.is_authenticated:
        return None
    cache = _visibility_cache.get()
    key = ("member", user.pk)
    if cache is not None and key in cache:
        return cast(Member | None, cache[key])
    member = Member.objects.select_related("plan", "client").filter(user_id=user.pk).first()
    if cache is not None:
        cache[key] = member
    return member


def is_plan_member(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether a member record is linked to this account: one EXISTS, nothing loaded (where
    sign-in sends a client or advisor; ``find_member_for_user`` when the record is needed)."""
    if not user.is_authenticated:
        return False
    cache = _visibility_cache.get()
    key = ("member", user.pk)
    if cache is not None and key in cache:
        return cache[key] is not None
    return Member.objects.filter(user_id=user.pk).exists()


def list_family_members_visible_to(
    *, viewer: AbstractBaseUser | AnonymousUser, today: dt.date | None = None
) -> list[Member]:
    """The viewer's own member record first, then the family members whose data they may see,
    in person-code order. Empty when the viewer is not a plan member.

    The one access rule for family data (claims, prescriptions, orders, ID cards):

    * a subscriber sees their dependents under 18 on `today` (no consent needed), and their
      adult dependents (a spouse, a child of 18 or more) only while that dependent has an
      active ``FamilyAccessGrant`` to them; a child turning 18 drops out until they consent;
    * a dependent (spouse, adult or minor child) sees only their own records;
    * nobody ever sees another family's members;
    * inside an API request whose token is bound to one patient (``limit_to_patient``), only
      that patient, when the rules above let the viewer see them (else nobody).

    One query: the viewer's member record and the visible dependents together.
    """
    today = today or clock.today()
    cache = _visibility_cache.get()
    key = ("family", viewer.pk, today)
    if cache is not None and key in cache:
        return _within_patient_limit(cast(list[Member], cache[key]))
    member_key = ("member", viewer.pk)
    if cache is not None and member_key in cache:  # the viewer's record is read already
        member = cast(Member | None, cache[member_key])
        visible = (
            []
            if member is None
            else list_family_members_visible_to_member(member=member, today=today)
        )
    else:
        member, visible = _read_member_and_family(viewer, today)
    if cache is not None:
        cache[member_key] = member
        cache[key] = visible
    return _within_patient_limit(visible)


def _read_member_and_family(
    viewer: AbstractBaseUser | AnonymousUser, today: dt.date
) -> tuple[Member | None, list[Member]]:
    """The viewer's member record and the family they may see, in one query: their own row
    (``user_id``) or, for a subscriber, a dependent the rule lets them see. Each side is an
    index look-up (user, subscriber), so the OR costs one round trip instead of two."""
    if not viewer.is_authenticated:
        return None, []
    # A scalar subquery, not ``IN``: PostgreSQL then ORs two index scans (user, subscriber);
    # with ``IN`` it scanned the whole members table (tests/members/test_family_visibility.py).
    own_subscriber_row = Member.objects.filter(user_id=viewer.pk, subscriber__isnull=True)
    rows = list(
        Member.objects.select_related("plan", "client")
        .filter(
            Q(user_id=viewer.pk)
            | (
                Q(subscriber_id=Subquery(own_subscriber_row.values("pk")[:1]))
                & _visible_to_their_subscriber(today)
            )
        )
        # The database's order, as list_family_members_visible_to_member reads dependents.
        .order_by("person_code", "pk")
    )
    member = next((row for row in rows if row.user_id == viewer.pk), None)
    if member is None:
        return None, []
    return member, [member, *(row for row in rows if row is not member)]


def _within_patient_limit(visible: list[Member]) -> list[Member]:
    limit = _current_patient_limit()
    if limit is None:
        return list(visible)
    return [member for member in visible if str(member.public_id) == limit]


def list_family_members_visible_to_member(*, member: Member, today: dt.date) -> list[Member]:
    """As ``list_family_members_visible_to`` for a member already read from the viewer's own
    account (``request.member`` on member pages): saves looking the viewer up again. Never pass
    a member the signed-in user is not linked to."""
    if member.subscriber_id is not None:
        return [member]
    dependents = (
        Member.objects.select_related("plan", "client")
        .filter(subscriber=member)
        .filter(_visible_to_their_subscriber(today))
        .order_by("person_code", "pk")
    )
    return [member, *dependents]


def _visible_to_their_subscriber(today: dt.date) -> Q:
    """A dependent row (of a ``Member`` query) whose records their subscriber may see today:
    under 18, or an adult with an active consent grant to the subscriber."""
    active_consent = FamilyAccessGrant.objects.filter(
        grantor=OuterRef("pk"), grantee=OuterRef("subscriber"), revoked_at__isnull=True
    )
    return Q(date_of_birth__gt=domain.compute_latest_adult_birth_date(today)) | Q(
        Exists(active_consent)
    )


@dataclass(frozen=True)
class RecordViewer:
    """A person with an account who may see a member's records: the member, or their
    subscriber under the one access rule. ``first_name`` is the viewer's own."""

    user: User
    first_name: str
    is_patient: bool
    patient_first_name: str


def list_viewers_of_members(
    *, member_ids: Iterable[int], today: dt.date
) -> dict[int, list[RecordViewer]]:
    """Who may see each member's records, for telling them about it (a job over many members):
    the member, if they have an account, then their subscriber when
    ``list_family_members_visible_to`` would show the member to the subscriber; active accounts
    only. Members nobody with an account may see are absent. One query."""
    members = (
        Member.objects.filter(pk__in=list(member_ids))
        .select_related("user", "subscriber__user")
        .annotate(
            subscriber_may_see=ExpressionWrapper(
                _visible_to_their_subscriber(today), output_field=BooleanField()
            )
        )
    )
    viewers: dict[int, list[RecordViewer]] = {}
    for member in members:
        found = []
        # A deactivated account is nobody to tell (as in ``list_users_who_may_see``).
        if member.user is not None and member.user.is_active:
            found.append(RecordViewer(member.user, member.first_name, True, member.first_name))
        subscriber = member.subscriber
        if (
            subscriber is not None
            and subscriber.user is not None
            and subscriber.user.is_active
            and member.subscriber_may_see
        ):
            found.append(
                RecordViewer(subscriber.user, subscriber.first_name, False, member.first_name)
            )
        if found:
            viewers[member.pk] = found
    return viewers


def _latest_birth_date_of_an_adult(today: dt.date) -> dt.date:
    """Kept for callers of the old name; see ``domain.compute_latest_adult_birth_date``."""
    return domain.compute_latest_adult_birth_date(today)


# --- Family access: who can see whose records, and why ---------------------------------------


class AccessReason(StrEnum):
    MINOR = "minor"  # under 18: always visible to the subscriber
    CONSENT = "consent"  # an adult who granted the subscriber access
    NO_CONSENT = "no_consent"  # an adult who has not (or has revoked)


@dataclass(frozen=True)
class FamilyMemberAccess:
    """One dependent as the subscriber sees them on the family access page."""

    member: Member
    reason: AccessReason
    grant: FamilyAccessGrant | None

    @property
    def visible(self) -> bool:
        return self.reason != AccessReason.NO_CONSENT

    @property
    def has_account(self) -> bool:
        return self.member.user_id is not None


@dataclass(frozen=True)
class FamilyAccessOverview:
    """The family access page: for a subscriber, each dependent and why they are (not) visible;
    for a dependent, the subscriber and the dependent's own active grant to them (if any)."""

    viewer: Member
    is_adult: bool
    dependents: list[FamilyMemberAccess] = field(default_factory=list)
    subscriber: Member | None = None
    active_grant: FamilyAccessGrant | None = None

    @property
    def is_subscriber(self) -> bool:
        return self.viewer.subscriber_id is None

    @property
    def can_grant(self) -> bool:
        """An adult dependent without an active grant to their subscriber."""
        return (
            not self.is_subscriber
            and self.is_adult
            and self.subscriber is not None
            and self.active_grant is None
        )

    @property
    def can_revoke(self) -> bool:
        return not self.is_subscriber and self.active_grant is not None


def get_family_access_overview(
    *, viewer: AbstractBaseUser | AnonymousUser, today: dt.date
) -> FamilyAccessOverview | None:
    """What the family access page shows the viewer; None when the viewer is not a member.

    Agrees with ``list_family_members_visible_to`` by construction: the same age cut-off and
    the same active grants. Three queries at most.
    """
    member = find_member_for_user(user=viewer)
    if member is None:
        return None
    adult = domain.is_adult(date_of_birth=member.date_of_birth, today=today)
    if member.subscriber_id is not None:
        subscriber = Member.objects.filter(pk=member.subscriber_id).first()
        grant = (
            FamilyAccessGrant.objects.filter(
                grantor=member, grantee_id=member.subscriber_id, revoked_at__isnull=True
            ).first()
            if subscriber is not None
            else None
        )
        return FamilyAccessOverview(
            viewer=member, is_adult=adult, subscriber=subscriber, active_grant=grant
        )
    dependents = list(Member.objects.filter(subscriber=member).order_by("person_code", "pk"))
    grants = {
        grant.grantor_id: grant
        for grant in FamilyAccessGrant.objects.filter(grantee=member, revoked_at__isnull=True)
    }
    rows = []
    for dependent in dependents:
        if not domain.is_adult(date_of_birth=dependent.date_of_birth, today=today):
            reason = AccessReason.MINOR
        elif dependent.pk in grants:
            reason = AccessReason.CONSENT
        else:
            reason = AccessReason.NO_CONSENT
        rows.append(
            FamilyMemberAccess(member=dependent, reason=reason, grant=grants.get(dependent.pk))
        )
    return FamilyAccessOverview(viewer=member, is_adult=adult, dependents=rows)


def find_active_family_access_grant(
    *, grantor: Member, grantee: Member
) -> FamilyAccessGrant | None:
    return FamilyAccessGrant.objects.filter(
        grantor=grantor, grantee=grantee, revoked_at__isnull=True
    ).first()


# --- The staff console: verifying a caller by member id, date of birth and ZIP ---------------

MEMBER_ID_INPUT_MAX_LENGTH = 40
_NOT_ALNUM_RE = re.compile(r"[^0-9A-Z]")
_NOT_DIGIT_RE = re.compile(r"[^0-9]")


def normalize_member_id(raw: str) -> str:
    """``" rxp-0000 0001 "`` → ``"RXP00000001"``: NFKC, upper case, only ASCII letters and digits
    kept (spacing and punctuation as read over the phone or printed on cards are ignored)."""
    return _NOT_ALNUM_RE.sub("", unicodedata.normalize("NFKC", raw).upper())


def normalize_zip5(raw: str) -> str | None:
    """The 5-digit ZIP of ``"06103"``, ``"06103-1234"`` or ``"061031234"``; None otherwise."""
    digits = _NOT_DIGIT_RE.sub("", unicodedata.normalize("NFKC", raw))
    return digits[:5] if len(digits) in (5, 9) else None


def _is_pbm_staff(viewer: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(
        viewer.is_authenticated and viewer.is_active and getattr(viewer, "is_pbm_staff", False)
    )


def list_members_by_identity(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    member_id: str,
    date_of_birth: dt.date,
    zip_code: str,
) -> list[Member]:
    """Members matching a caller's member id, date of birth and ZIP, for PBM staff only.

    The member id may be typed with any spacing, case or punctuation, and with the person code
    on the end (``RXP00000001-01``); the ZIP is compared on its first five digits (ZIP+4 fine).
    Usually one member; more only for twins on one card or the same card number at two clients.
    Empty for anyone who is not PBM staff. Candidates are narrowed by date of birth in the
    database, then compared in Python, so stored ids and ZIPs need not be normalized.
    """
    if not _is_pbm_staff(viewer):
        return []
    wanted_id = normalize_member_id(member_id)
    wanted_zip = normalize_zip5(zip_code)
    if not wanted_id or wanted_zip is None:
        return []
    candidates = (
        Member.objects.select_related("user", "client", "plan")
        .filter(date_of_birth=date_of_birth)
        .order_by("client_id", "member_id", "person_code")
    )
    return [
        member
        for member in candidates
        if normalize_zip5(member.zip_code) == wanted_zip
        and wanted_id
        in {
            normalize_member_id(member.member_id),
            normalize_member_id(member.member_id + member.person_code),
        }
    ]


def find_member_for_staff(
    *, viewer: AbstractBaseUser | AnonymousUser, public_id: uuid.UUID
) -> Member | None:
    """One member by public id for PBM staff (with account, client and plan), or None."""
    if not _is_pbm_staff(viewer):
        return None
    return (
        Member.objects.select_related("user", "client", "plan").filter(public_id=public_id).first()
    )


# --- Help lines -------------------------------------------------------------------------------


def support_contacts_for_member(member: Member) -> SupportContacts:
    """The numbers a member is given (ID card, footer, emails): their sponsor's own
    member-services line when it has one, else the PBM's (`member.client` fetched with it)."""
    return support_contacts(
        audience=Audience.MEMBER, sponsor_member_phone=member.client.member_services_phone
    )


def get_support_contacts(*, viewer: AbstractBaseUser | AnonymousUser) -> SupportContacts:
    """The phone numbers and hours every page shows this viewer (the one read for pages, PDFs
    and emails; see ``rxportal.core.contact``). One small query for a signed-in member."""
    role = getattr(viewer, "role", None)
    if not viewer.is_authenticated or role is None:
        return support_contacts()
    if role in (Role.CLIENT, Role.ADVISOR):
        return support_contacts(audience=Audience.CLIENT)
    if role != Role.MEMBER:
        return support_contacts()  # PBM staff: both lines, labelled
    member = find_member_for_user(user=viewer)
    if member is None:
        return support_contacts(audience=Audience.MEMBER)
    return support_contacts_for_member(member)


def is_same_name(stored: str, typed: str) -> bool:
    """Public name of ``_same_name`` for other apps' lookups (the sponsors' eligibility)."""
    return _same_name(stored, typed)


def _same_name(stored: str, typed: str) -> bool:
    """Names compared whole, ignoring case, accents and spacing (``"José  Núñez"`` ==
    ``"jose nunez"``); never a prefix or a partial match."""

    def fold(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return " ".join(plain.casefold().split())

    wanted = fold(typed)
    return bool(wanted) and fold(stored) == wanted


def list_members_by_name(
    *,
    viewer: AbstractBaseUser | AnonymousUser,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    zip_code: str,
) -> list[Member]:
    """Members whose first and last name, date of birth and ZIP all match a caller's, for PBM
    staff only (the service center's other way to verify a caller).

    Exact matches only: whole names (case, accents and spacing ignored), the exact date of birth,
    the first five digits of the ZIP. Usually one member; more only when two people share all
    four (the console then asks for the member id). Empty for anyone who is not PBM staff.
    """
    if not _is_pbm_staff(viewer):
        return []
    wanted_zip = normalize_zip5(zip_code)
    if wanted_zip is None or not first_name.strip() or not last_name.strip():
        return []
    candidates = (
        Member.objects.select_related("user", "client", "plan")
        .filter(date_of_birth=date_of_birth)
        .order_by("client_id", "member_id", "person_code")
    )
    return [
        member
        for member in candidates
        if normalize_zip5(member.zip_code) == wanted_zip
        and _same_name(member.first_name, first_name)
        and _same_name(member.last_name, last_name)
    ]


# --- Who is told about a person's records -------------------------------------------------------


def list_users_who_may_see(*, member: Member, today: dt.date) -> list[User]:
    """The accounts that may see ``member``'s records, by the one access rule above: the
    member's own account (when they have one), then their subscriber's when
    ``list_family_members_visible_to_member`` lets the subscriber see them (a minor always, an
    adult dependent only with an active grant). Whoever a message is about, only these people
    are told. Two or three small queries."""
    users: list[User] = []
    own = Member.objects.select_related("user").filter(pk=member.pk).first()
    if own is not None and own.user is not None and own.user.is_active:
        users.append(own.user)
    if member.subscriber_id is None:
        return users
    subscriber = (
        Member.objects.select_related("user")
        .filter(pk=member.subscriber_id, user__isnull=False, user__is_active=True)
        .first()
    )
    if subscriber is None or subscriber.user is None:
        return users
    visible = list_family_members_visible_to_member(member=subscriber, today=today)
    if any(other.pk == member.pk for other in visible):
        users.append(subscriber.user)
    return users


def list_subscriber_ids_of(*, member_ids: Iterable[int]) -> set[int]:
    """The subscribers (family heads) of these members' families, for dependents among them."""
    return set(
        Member.objects.filter(pk__in=set(member_ids), subscriber__isnull=False).values_list(
            "subscriber_id", flat=True
        )
    )


def list_family_members_with_accounts(*, subscriber_id: int) -> list[Member]:
    """The subscriber and their dependents who have an active account (with it), in person-code
    order: who is told about a family-wide fact every one of them sees (the family's limits)."""
    return list(
        Member.objects.filter(Q(pk=subscriber_id) | Q(subscriber_id=subscriber_id))
        .filter(user__isnull=False, user__is_active=True)
        .select_related("user")
        .order_by("person_code", "pk")
    )


def iter_covered_members_with_accounts(
    *, plan_years: Iterable[int], today: dt.date
) -> Iterator[Member]:
    """Members with an active account, covered on ``today``, on a plan of one of these plan
    years (with account and plan), in id order, read in chunks."""
    members = (
        Member.objects.filter(
            plan__plan_year__in=list(plan_years),
            user__isnull=False,
            user__is_active=True,
            coverage_start__lte=today,
        )
        .filter(Q(coverage_end__isnull=True) | Q(coverage_end__gte=today))
        .select_related("user", "plan")
        .order_by("pk")
    )
    return members.iterator(chunk_size=500)


# --- Whose cached pages a change reaches (core.record_versions) -------------------------------


def list_member_ids_with_subscribers(*, member_ids: Iterable[int]) -> set[int]:
    """These members and their families' subscribers: a change in one member's records can
    change what the family's pages show (family accumulators), and every family page's key
    carries the subscriber's version number."""
    rows = Member.objects.filter(pk__in=set(member_ids)).values_list("pk", "subscriber_id")
    return {pk for row in rows for pk in row if pk is not None}


def list_family_user_ids(*, member_ids: Iterable[int]) -> set[int]:
    """Every account linked to a member of these members' families: whom they may see can change
    when one of the family's members or grants does."""
    roots = {
        subscriber_id or pk
        for pk, subscriber_id in Member.objects.filter(pk__in=set(member_ids)).values_list(
            "pk", "subscriber_id"
        )
    }
    return set(
        Member.objects.filter(Q(pk__in=roots) | Q(subscriber_id__in=roots))
        .filter(user__isnull=False)
        .values_list("user_id", flat=True)
    )
