"""A formulary import that moves a member's drug: the change waits 30 days, and the member and
everyone who may see their records get one alert with the covered alternatives and their cost."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from rxportal.core import clock
from rxportal.core.importing import CsvSource
from rxportal.formulary import alerts
from rxportal.formulary.errors import FormularyChangeNoticeTooShort
from rxportal.formulary.models import (
    ChangeStatus,
    Drug,
    Formulary,
    FormularyChange,
    FormularyEntry,
    FormularyVersion,
)
from rxportal.formulary.services import apply_due_formulary_changes, import_formularies
from rxportal.formulary.tasks import apply_due_formulary_changes as apply_due_job
from rxportal.notifications import kinds, services
from rxportal.notifications.models import Channel, Notification
from tests.conftest import Family
from tests.factories import ClaimFactory, MemberFactory, PrescriptionFactory, UserFactory
from tests.formulary.conftest import make_drug
from tests.members.factories import FamilyAccessGrantFactory

pytestmark = pytest.mark.django_db

ATORVASTATIN_20 = ("617310", "atorvastatin 20 MG Oral Tablet")
ATORVASTATIN_10 = ("617312", "atorvastatin 10 MG Oral Tablet")
SIMVASTATIN_20 = ("312961", "simvastatin 20 MG Oral Tablet")
LIPITOR_40 = ("617320", "atorvastatin 40 MG Oral Tablet [Lipitor]")
LISINOPRIL_10 = ("314076", "lisinopril 10 MG Oral Tablet")

# (drug, tier, prior authorization, step therapy)
BEFORE = [
    (ATORVASTATIN_20, "generic", False, False),
    (ATORVASTATIN_10, "generic", False, False),
    (SIMVASTATIN_20, "generic", False, False),
    (LIPITOR_40, "preferred-brand", True, False),  # restricted: never offered
    (LISINOPRIL_10, "generic", False, False),  # another class: never offered
]
ATORVASTATIN_MOVES_UP = [
    (ATORVASTATIN_20, "non-preferred-brand", False, False),
    *BEFORE[1:],
]

SAMPLE_CONTEXT = {
    "first_name": "Mateo",
    "about_self": False,
    "announced_on": dt.date(2026, 3, 2),
    "effective_on": dt.date(2026, 4, 1),
    "safety_withdrawal": False,
    "changes": [
        alerts.DrugChangeAlert(
            drug_name="atorvastatin 20 MG Oral Tablet",
            kinds=("tier_up", "prior_authorization_added"),
            tier_before="generic",
            tier_after="non-preferred-brand",
            alternatives=(
                alerts.PricedAlternative(
                    "simvastatin 20 MG Oral Tablet", "generic", alerts.Decimal("10.00")
                ),
            ),
        )
    ],
}

Importer = Callable[..., Any]


@pytest.fixture
def statins(db: None) -> dict[str, Drug]:
    return {rxcui: make_drug(rxcui, name) for (rxcui, name), *_ in BEFORE}


@pytest.fixture
def run_import(
    tmp_path: Path, family: Family, statins: dict[str, Drug], today: dt.date
) -> Importer:
    """Import a formulary file for the family's plan (its formulary code) and run what the
    import starts on commit (the member scan)."""
    code = family.subscriber.plan.formulary.code
    count = 0

    def run(rows: list[tuple[Any, ...]], capture: Any, **options: Any) -> Any:
        nonlocal count
        count += 1
        folder = tmp_path / f"import{count}"
        folder.mkdir()
        with (folder / "plans.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["plan_id", "payer_plan_name", "formulary_id", "formulary_name", "period_start"]
            )
            writer.writerow(["P1", "Gold PPO", code, "Standard formulary", f"{today.year}-01-01"])
        with (folder / "items.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "formulary_id",
                    "rxcui",
                    "rxnorm_name",
                    "drug_tier",
                    "prior_authorization",
                    "step_therapy",
                    "quantity_limit",
                    "quantity_limit_detail",
                    "pharmacy_benefit_types",
                ]
            )
            for (rxcui, name), tier, pa, st in rows:
                writer.writerow(
                    [code, rxcui, name, tier, str(pa).lower(), str(st).lower(), "false", "", ""]
                )
        with capture(execute=True):
            return import_formularies(
                plans=CsvSource(folder / "plans.csv"),
                items=CsvSource(folder / "items.csv"),
                controlled_substances=CsvSource(
                    Path(settings.RXPORTAL_REFERENCE_DATA_DIR) / "dea_controlled_substances.csv"
                ),
                today=options.pop("today", today),
                **options,
            )

    return run


@pytest.fixture
def takers(family: Family, statins: dict[str, Drug]) -> Family:
    """Mateo (20, own account) takes atorvastatin 20 and lets his father Dana see his records;
    Sam (spouse, own account) takes it too but has not consented."""
    family.adult_child.user = UserFactory(username="mateo", email="mateo@example.org")
    family.adult_child.save()
    family.spouse.user = UserFactory(username="sam", email="sam@example.org")
    family.spouse.save()
    FamilyAccessGrantFactory(grantor=family.adult_child, grantee=family.subscriber)
    atorvastatin = statins[ATORVASTATIN_20[0]]
    PrescriptionFactory(member=family.adult_child, drug=atorvastatin)
    PrescriptionFactory(member=family.spouse, drug=atorvastatin)
    return family


def inbox_of(member_or_user: Any) -> list[Notification]:
    user = getattr(member_or_user, "user", member_or_user)
    return list(
        Notification.objects.filter(
            recipient=user, kind=alerts.KIND, channel=Channel.INBOX
        ).order_by("pk")
    )


def test_an_import_that_moves_a_members_drug_alerts_them_once_with_priced_alternatives(
    run_import: Importer, takers: Family, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind=alerts.KIND).count() == 0  # first load: no change

    run_import(ATORVASTATIN_MOVES_UP, django_capture_on_commit_callbacks)

    [alert] = inbox_of(takers.adult_child)
    text = alert.body_text
    assert "Atorvastatin 20 MG Oral Tablet" in text
    assert "“Generic” to “Non-preferred brand”" in text
    # The covered alternatives in the same class without restrictions, priced by the engine
    # (a generic on the standard plan: a $10.00 copay), and nothing else.
    assert "Atorvastatin 10 MG Oral Tablet (Generic): $10.00" in text
    assert "Simvastatin 20 MG Oral Tablet (Generic): $10.00" in text
    assert "Lipitor" not in text
    assert "lisinopril" not in text
    assert alert.link_path == "/prescriptions/"


def test_a_consenting_family_viewer_gets_one_alert_and_a_non_consenting_ones_news_reaches_nobody_else(
    run_import: Importer, takers: Family, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)
    run_import(ATORVASTATIN_MOVES_UP, django_capture_on_commit_callbacks)

    # Dana sees Mateo's records (he consented), not Sam's (she did not): one alert, Mateo's.
    [for_dana] = inbox_of(takers.subscriber)
    assert "Mateo" in for_dana.body_text and "Sam" not in for_dana.body_text
    # Sam is told about her own drug.
    [for_sam] = inbox_of(takers.spouse)
    assert "drugs you take" in for_sam.body_text
    # The minor child takes nothing that changed.
    assert Notification.objects.filter(kind=alerts.KIND, channel=Channel.INBOX).count() == 3


def test_email_and_text_name_no_drug(
    run_import: Importer, takers: Family, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)
    run_import(ATORVASTATIN_MOVES_UP, django_capture_on_commit_callbacks)

    emails = [m for m in mail.outbox if "Coverage of a drug" in m.subject]
    assert sorted(address for m in emails for address in m.to) == [
        "mateo@example.org",
        "sam@example.org",
        takers.subscriber.user.email,
    ]
    for message in emails:
        assert "atorvastatin" not in (message.subject + message.body).lower()
        assert "$" not in message.body
    rendered = services.render_message(kinds.get_kind(alerts.KIND), SAMPLE_CONTEXT)
    assert "atorvastatin" not in (rendered.subject + rendered.sms_text + rendered.body_text)


def test_the_change_waits_30_days_then_the_daily_job_writes_it(
    run_import: Importer, takers: Family, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)
    run_import(ATORVASTATIN_MOVES_UP, django_capture_on_commit_callbacks)
    entry = FormularyEntry.objects.get(drug__rxcui=ATORVASTATIN_20[0])

    [change] = FormularyChange.objects.all()
    assert change.version.effective_on == today + dt.timedelta(days=30)
    assert change.kind_list == ["tier_up"]
    entry.refresh_from_db()
    assert entry.tier == "generic"  # members keep paying the old price until then

    assert apply_due_formulary_changes(today=today + dt.timedelta(days=29)) == 0
    assert apply_due_formulary_changes(today=today + dt.timedelta(days=30)) == 1
    assert apply_due_formulary_changes(today=today + dt.timedelta(days=31)) == 0

    entry.refresh_from_db()
    change.refresh_from_db()
    assert entry.tier == "non-preferred-brand"
    assert change.status == ChangeStatus.APPLIED


def test_a_second_scan_and_a_second_import_of_the_same_file_send_nothing_new(
    run_import: Importer, takers: Family, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)
    run_import(ATORVASTATIN_MOVES_UP, django_capture_on_commit_callbacks)
    sent = Notification.objects.count()
    emails = len(mail.outbox)
    [version] = FormularyVersion.objects.all()

    with django_capture_on_commit_callbacks(execute=True):
        alerts.scan_formulary_version(version_public_id=version.public_id)
    report = run_import(ATORVASTATIN_MOVES_UP, django_capture_on_commit_callbacks)

    assert Notification.objects.count() == sent
    assert len(mail.outbox) == emails
    assert FormularyVersion.objects.count() == 1
    assert report.tables["formulary entries"].changed is False
    assert FormularyChange.objects.get().status == ChangeStatus.SCHEDULED


def test_a_change_less_than_30_days_out_is_refused_and_nothing_is_written(
    run_import: Importer, takers: Family, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)

    with pytest.raises(FormularyChangeNoticeTooShort):
        run_import(
            ATORVASTATIN_MOVES_UP,
            django_capture_on_commit_callbacks,
            effective_on=today + dt.timedelta(days=10),
        )

    assert FormularyEntry.objects.get(drug__rxcui=ATORVASTATIN_20[0]).tier == "generic"
    assert not FormularyChange.objects.exists()
    assert not Notification.objects.filter(kind=alerts.KIND).exists()


def test_a_later_import_that_drops_the_change_cancels_it(
    run_import: Importer, takers: Family, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)
    run_import(ATORVASTATIN_MOVES_UP, django_capture_on_commit_callbacks)

    run_import(BEFORE, django_capture_on_commit_callbacks)

    assert FormularyChange.objects.get().status == ChangeStatus.CANCELLED
    assert apply_due_formulary_changes(today=today + dt.timedelta(days=60)) == 0
    assert FormularyEntry.objects.get(drug__rxcui=ATORVASTATIN_20[0]).tier == "generic"


def test_a_removal_keeps_the_drug_covered_until_its_date(
    run_import: Importer, takers: Family, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)

    run_import(BEFORE[1:], django_capture_on_commit_callbacks)

    assert FormularyEntry.objects.filter(drug__rxcui=ATORVASTATIN_20[0]).exists()
    [alert] = inbox_of(takers.adult_child)
    assert "The plan will no longer cover it." in alert.body_text
    apply_due_formulary_changes(today=today + dt.timedelta(days=30))
    assert not FormularyEntry.objects.filter(drug__rxcui=ATORVASTATIN_20[0]).exists()


def test_a_safety_withdrawal_takes_effect_at_once_and_is_still_told(
    run_import: Importer, takers: Family, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)

    run_import(BEFORE[1:], django_capture_on_commit_callbacks, safety_withdrawal=True)

    assert not FormularyEntry.objects.filter(drug__rxcui=ATORVASTATIN_20[0]).exists()
    assert FormularyChange.objects.get().status == ChangeStatus.APPLIED
    [alert] = inbox_of(takers.adult_child)
    assert "withdrawn for safety reasons" in alert.body_text


def test_a_member_found_by_a_recent_paid_claim_is_alerted(
    run_import: Importer,
    family: Family,
    statins: dict[str, Drug],
    today: dt.date,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ClaimFactory(
        member=family.subscriber,
        plan=family.subscriber.plan,
        drug=statins[ATORVASTATIN_20[0]],
        service_date=today - dt.timedelta(days=20),
    )
    other_plan_member = MemberFactory(user=UserFactory())  # another formulary: not told
    PrescriptionFactory(member=other_plan_member, drug=statins[ATORVASTATIN_20[0]])
    run_import(BEFORE, django_capture_on_commit_callbacks)

    run_import(ATORVASTATIN_MOVES_UP, django_capture_on_commit_callbacks)

    assert len(inbox_of(family.subscriber)) == 1
    assert inbox_of(other_plan_member) == []
    assert Formulary.objects.get(pk=family.subscriber.plan.formulary_id).versions.count() == 1


def test_the_alert_renders_in_spanish() -> None:
    kind = kinds.get_kind(alerts.KIND)

    with translation.override("es"):
        rendered = services.render_message(kind, SAMPLE_CONTEXT)

    assert rendered.subject == "Cambia la cobertura de un medicamento que toma Mateo"
    assert "Pasa del nivel “Genérico”" in rendered.inbox_text
    assert "simvastatin 20 MG Oral Tablet" in rendered.inbox_text
    assert "$10.00" in rendered.inbox_text
    assert "Necesitará autorización previa" in rendered.inbox_text
    assert "Inicie sesión" in rendered.body_text and "Inicie sesión" in rendered.sms_text


def test_the_alert_renders_with_an_empty_context_too() -> None:
    rendered = services.render_message(kinds.get_kind(alerts.KIND), {})

    assert rendered.subject == "Coverage of a drug you take is changing"
    assert rendered.body_text.strip()
    assert rendered.sms_text and "\n" not in rendered.sms_text


def test_the_daily_beat_job_writes_due_changes(
    run_import: Importer,
    takers: Family,
    today: dt.date,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    run_import(BEFORE, django_capture_on_commit_callbacks)
    run_import(ATORVASTATIN_MOVES_UP, django_capture_on_commit_callbacks)
    schedule = settings.CELERY_BEAT_SCHEDULE["formulary.apply_due_formulary_changes"]
    assert schedule["task"] == "formulary.apply_due_formulary_changes"

    monkeypatch.setattr(clock, "today", lambda: today + dt.timedelta(days=30))

    assert apply_due_job.delay().get() == {"applied": 1}
    assert FormularyEntry.objects.get(drug__rxcui=ATORVASTATIN_20[0]).tier == "non-preferred-brand"
